"""Frozen, hashed bundles of an approved program version, and their verification.

A bundle is a folder: ``bundle.json`` (what it is, where it came from, the labelset version,
the model and decoding parameters, dev / test metrics, the approvals, every file's sha256 and
a ``content_hash`` over all of it) plus the program files the format asks for:

- ``kind: rules`` -- ``labelset.yaml``, exactly the text the optimizer scored. Formats
  ``json`` and ``text`` (the latter adds a readable ``bundle.txt``).
- ``kind: prompt`` -- ``prompt.json`` (the PromptVersion) and ``recipe.json`` (the model
  recipe) always, plus per format: ``json`` the rendered ``messages.json``; ``text`` one text
  file per message; ``jinja`` the template and its context; ``promptfoo`` a
  ``promptfooconfig.yaml``; ``dspy`` a ``program.json`` for ``FindingsProgram.load``.

Only accepted versions export from a run unless ``allow_unreviewed=True``, and then the bundle
says so (``review: "unreviewed"``). ``verify_bundle`` refuses a bundle whose files were
changed, added or removed; ``extractor_from_bundle`` builds the extractor the bundle froze.

Example::

    >>> run = "runs/20260101-chestxray21-rules"
    >>> bundle = export_run(run, output="out/bundle")  # doctest: +SKIP
    >>> verify_bundle("out/bundle").content_hash == bundle.content_hash  # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from radprompt.bundles.container import Bundle, BundleError, write_bundle
from radprompt.bundles.formats import FORMATS, PROMPT_ONLY_FORMATS, prompt_files, rules_summary
from radprompt.bundles.signing import BundleKey
from radprompt.llm import LLMRecipe
from radprompt.prompts import PromptVersion
from radprompt.runs import Run, VersionRecord

__all__ = ["export_run", "write_prompt_bundle"]


def write_prompt_bundle(
    version: PromptVersion,
    recipe: LLMRecipe,
    *,
    output: str | Path,
    format: str = "json",
    metrics: dict[str, Any] | None = None,
    approvals: list[dict[str, Any]] | None = None,
    review: str = "unreviewed",
    source: dict[str, Any] | None = None,
    tests: list[dict[str, Any]] | None = None,
    program: str | None = None,
    key: BundleKey | None = None,
) -> Bundle:
    """Freeze a PromptVersion and its model recipe (``tests``: promptfoo test cases, each
    ``{"report": text, "findings": {label_id: state}}``; ``program``: the run's version hash
    of the prompt + recipe, recorded as the bundle's ``version``; ``key`` signs it)."""
    _check_format(format, kind="prompt")
    files = prompt_files(version, recipe, format=format, tests=tests or [])
    manifest = {
        "kind": "prompt", "format": format, "version": program or version.hash,
        "prompt_version": version.hash, "parent": version.parent,
        "labelset": version.labelset, "template": version.template, "mode": version.mode,
        "model": recipe.model, "api_base": recipe.api_base,
        "decoding": recipe.decoding_params(),
        "structured_output": recipe.uses_structured_output,
        "extractor": {"kind": "llm", "prompt": "prompt.json", "recipe": "recipe.json"},
        "metrics": metrics or {}, "approvals": approvals or [], "review": review,
        "source": source or {},
    }
    return write_bundle(output, files=files, manifest=manifest, key=key)


def _check_format(format: str, *, kind: str) -> None:
    if format not in FORMATS:
        raise BundleError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    if kind == "rules" and format in PROMPT_ONLY_FORMATS:
        raise BundleError(f"--format {format} exports an LLM prompt; this run's program is the "
                          "rule engine (a labelset), so use --format json or text")


def export_run(
    run_path: str | Path,
    *,
    output: str | Path,
    format: str = "json",
    version: str | None = None,
    allow_unreviewed: bool = False,
    include_reports: bool = False,
    key: BundleKey | None = None,
) -> Bundle:
    """Export a version of an optimize run (default: the newest accepted one) as a bundle.

    Refuses a version no reviewer (or ``--auto-approve``) accepted unless
    ``allow_unreviewed``; the bundle then records ``review: "unreviewed"`` (or ``rejected``).
    The promptfoo format copies dev reports into its test cases: only from an experiment marked
    synthetic, unless ``include_reports`` (real reports are patient data). With ``key`` the
    bundle is signed, which is what makes its approvals trusted by whoever verifies it.
    """
    run = Run.open(run_path)
    path = run.version_path(version or run.accepted_version())
    chosen = path.name.split(".", 1)[0]
    record = run.version_record(chosen)
    kind = record.kind
    _check_format(format, kind=kind)
    review, decisions = run.approvals(chosen)
    if review in ("unreviewed", "rejected") and not allow_unreviewed:
        raise BundleError(f"version {chosen} of run {run.path.name} is {review}: only "
                          "accepted versions export (review it with `radprompt review "
                          f"{run.path}`, or pass --allow-unreviewed and the bundle says so)")
    manifest = run.manifest
    source = {"run": manifest.id, "run_path": str(run.path.resolve()),
              "experiment": manifest.config.get("experiment"),
              "optimizer": manifest.config.get("optimizer")}
    metrics = _metrics(run, record)
    records = [d.to_json() for d in decisions]
    if kind == "rules":
        labelset = yaml.safe_load(path.read_text("utf-8"))
        files: dict[str, str | bytes] = {"labelset.yaml": path.read_bytes()}
        bundle_manifest = {
            "kind": "rules", "format": format, "version": chosen,
            "parent": record.parent,
            "labelset": f"{labelset.get('name')}@{labelset.get('version')}",
            "extractor": {"kind": "rules", "labelset": "labelset.yaml"},
            "model": None, "decoding": None,
            "metrics": metrics, "approvals": records, "review": review, "source": source,
        }
        if format == "text":
            files["bundle.txt"] = rules_summary(bundle_manifest)
        return write_bundle(output, files=files, manifest=bundle_manifest, key=key)
    saved = json.loads(path.read_text("utf-8"))  # a PromptProgram: {"prompt", "recipe", ...}
    prompt = PromptVersion.from_json(saved["prompt"])
    recipe = LLMRecipe.model_validate(saved["recipe"])
    return write_prompt_bundle(prompt, recipe, output=output, format=format, metrics=metrics,
                               approvals=records, review=review, source=source, program=chosen,
                               key=key,
                               tests=_promptfoo_tests(run, include_reports=include_reports)
                               if format == "promptfoo" else None)


def _promptfoo_tests(run: Run, *, include_reports: bool,
                     limit: int = 50) -> list[dict[str, Any]]:
    """promptfoo test cases from the run's dev split (its labelled reports)."""
    experiment = run.experiment()
    if not (experiment.synthetic or include_reports):
        raise BundleError(
            f"the promptfoo tests would copy dev reports of experiment {experiment.name!r}, "
            "which is not marked synthetic (reports are patient data); pass --include-reports "
            "to copy them into the bundle")
    dev = experiment.split("dev")
    return [{"id": report.id, "report": report.text,
             "findings": {label_id: finding.state.value
                          for label_id, finding in dev.references[report.id].states.items()}}
            for report in dev.reports[:limit] if report.id in dev.references]


def _metrics(run: Run, record: VersionRecord) -> dict[str, Any]:
    """Dev / test metrics of a version as the run recorded them (rules: scored if missing)."""
    manifest = run.manifest
    test = None
    if manifest.test_final and manifest.current_version == record.version:
        test = manifest.test_final.to_json()
    elif manifest.test_initial and manifest.initial_version == record.version:
        test = manifest.test_initial.to_json()
    dev = record.dev.to_json() if record.dev else None
    if record.kind == "rules":
        dev = dev or run.score(record.version, "dev").report.to_json()
        test = test or run.score(record.version, "test").report.to_json()
    return {"dev": dev, "test": test}
