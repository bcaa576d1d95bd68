"""Export bundles: accepted versions only, byte-identical reuse, tamper-evident hashes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from review_support import prompt_run, review_run
from typer.testing import CliRunner

from radprompt.bundles import (
    REPORT_PLACEHOLDER,
    BundleError,
    export_run,
    extractor_from_bundle,
    generate_key,
    read_key,
    verify_bundle,
    write_prompt_bundle,
)
from radprompt.cli import app
from radprompt.experiments import load_experiment
from radprompt.labelset import load_labelset
from radprompt.llm import LLMRecipe
from radprompt.llm.base import Backend, Completion
from radprompt.llm.client import ModelClient
from radprompt.optimizers import Run
from radprompt.optimizers.program import RulesProgram
from radprompt.prompts import PromptVersion
from radprompt.reports import Report
from radprompt.review import accept, reject

runner = CliRunner()


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory) -> Run:
    run = review_run(tmp_path_factory)
    accept(run, "round-01", reviewer="Dr. Ada Reviewer", comment="ok")
    return run


def test_full_cycle_bundle_predicts_like_the_approved_version(
        accepted: Run, tmp_path: Path) -> None:
    version = accepted.proposal("round-01").version
    key = generate_key(tmp_path / "bundle.key")
    result = runner.invoke(app, ["export", str(accepted.path), "-o", str(tmp_path / "b"),
                                 "--sign-key", str(key)])
    assert result.exit_code == 0, result.output
    bundle = verify_bundle(tmp_path / "b", key=read_key(key))
    assert bundle.kind == "rules" and bundle.version == version and bundle.review == "reviewed"
    # Deliberately changed (issue 11): approvals are trusted only once the signature is checked.
    assert verify_bundle(tmp_path / "b").review == "unverified"
    manifest = bundle.manifest
    assert manifest["approvals"][0]["reviewer"] == "Dr. Ada Reviewer"
    assert manifest["metrics"]["dev"]["macro_f1"] == pytest.approx(
        accepted.proposal("round-01").dev_after.macro_f1)
    assert manifest["metrics"]["test"]["macro_f1"] > 0
    assert (tmp_path / "b" / "labelset.yaml").read_bytes() == \
        accepted.version_path(version).read_bytes()
    # the extractor the CLI builds from the bundle predicts exactly what the version scored
    labelset = load_labelset("chestxray21")
    dev = load_experiment("demo", labelset=labelset).split("dev")
    approved = RulesProgram.load(accepted.version_path(version)).build_extractor()
    frozen = extractor_from_bundle(tmp_path / "b")
    expected = [f.to_json() for f in approved.extract(dev.reports)]  # type: ignore[union-attr]
    assert [f.to_json() for f in frozen.extract(dev.reports)] == expected  # type: ignore[union-attr]
    reports = tmp_path / "dev.jsonl"
    reports.write_text("".join(json.dumps({"id": r.id, "text": r.text}) + "\n"
                               for r in dev.reports))
    out = tmp_path / "pred.jsonl"
    extracted = runner.invoke(app, ["extract", "--bundle", str(tmp_path / "b"),
                                    "-i", str(reports), "-o", str(out)])
    assert extracted.exit_code == 0, extracted.output
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [w["findings"] for w in written] == [e["findings"] for e in expected]


def test_altered_bundle_fails_verification(accepted: Run, tmp_path: Path) -> None:
    export_run(accepted.path, output=tmp_path / "b", format="text")
    assert (tmp_path / "b" / "bundle.txt").is_file()
    labelset = tmp_path / "b" / "labelset.yaml"
    original = labelset.read_text()
    labelset.write_text(original + "# altered\n")
    result = runner.invoke(app, ["bundle", "verify", str(tmp_path / "b")])
    assert result.exit_code == 2 and "labelset.yaml: content changed" in result.output
    labelset.write_text(original)
    assert runner.invoke(app, ["bundle", "verify", str(tmp_path / "b")]).exit_code == 0
    manifest_path = tmp_path / "b" / "bundle.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["metrics"]["dev"]["macro_f1"] = 0.99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="content hash"):
        verify_bundle(tmp_path / "b")
    with pytest.raises(BundleError):
        extractor_from_bundle(tmp_path / "b")


def test_added_file_fails_and_output_is_never_overwritten(accepted: Run, tmp_path: Path) -> None:
    bundle = export_run(accepted.path, output=tmp_path / "b")
    (bundle.path / "extra.txt").write_text("x")
    with pytest.raises(BundleError, match="added"):
        verify_bundle(bundle.path)
    with pytest.raises(BundleError, match="never overwritten"):
        export_run(accepted.path, output=bundle.path)


def test_rejected_or_unreviewed_versions_need_the_flag(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    run = review_run(tmp_path_factory)
    version = run.proposal("round-01").version
    with pytest.raises(BundleError, match="unreviewed"):
        export_run(run.path, output=tmp_path / "a", version=version)
    reject(run, "round-01", reviewer="Dr. B", comment="no")
    result = runner.invoke(app, ["export", str(run.path), "--version", version,
                                 "-o", str(tmp_path / "b")])
    assert result.exit_code == 2 and "rejected" in result.output
    flagged = runner.invoke(app, ["export", str(run.path), "--version", version,
                                  "--allow-unreviewed", "-o", str(tmp_path / "c")])
    assert flagged.exit_code == 0, flagged.output
    assert verify_bundle(tmp_path / "c").review == "rejected"
    initial = runner.invoke(app, ["export", str(run.path), "--allow-unreviewed",
                                  "-o", str(tmp_path / "d")])
    assert initial.exit_code == 0 and verify_bundle(tmp_path / "d").review == "unreviewed"


def test_prompt_formats_are_refused_for_rules(accepted: Run, tmp_path: Path) -> None:
    for format in ("promptfoo", "dspy", "jinja"):
        with pytest.raises(BundleError, match="json or text"):
            export_run(accepted.path, output=tmp_path / format, format=format)


# --- prompt bundles -------------------------------------------------------------------------

class _Recorder(Backend):
    """A backend that records the exact messages and answers "nothing mentioned"."""

    def __init__(self) -> None:
        self.sent: list[list[dict[str, str]]] = []

    async def complete(self, messages: Sequence[Mapping[str, str]], *,
                       params: Mapping[str, Any]) -> Completion:
        self.sent.append([dict(m) for m in messages])
        await asyncio.sleep(0)
        return Completion(text="{}")


@pytest.fixture(scope="module")
def prompt() -> tuple[PromptVersion, LLMRecipe]:
    labelset = load_labelset("chestxray21")
    version = PromptVersion.from_labelset(labelset).with_guidance(
        {"edema": "Fluid in the lung interstitium or alveoli."}, note="clinician edit")
    recipe = LLMRecipe(model="hosted_vllm/Qwen/Qwen3-14B", api_base="http://127.0.0.1:8000/v1",
                       temperature=0.0, max_tokens=512, seed=7)
    return version, recipe


def test_prompt_bundle_sends_byte_identical_messages(
        prompt: tuple[PromptVersion, LLMRecipe], tmp_path: Path) -> None:
    version, recipe = prompt
    bundle = write_prompt_bundle(version, recipe, output=tmp_path / "p", format="json",
                                 review="reviewed")
    assert verify_bundle(bundle.path).manifest["decoding"] == recipe.decoding_params()
    recorder = _Recorder()
    client = ModelClient(backend=recorder, model=recipe.model, params=recipe.decoding_params())
    local = {"api_base": recipe.api_base}  # a bundle never chooses the endpoint (issue 11)
    extractor = extractor_from_bundle(bundle.path, client=client, overrides=local)
    text = 'Mild "interstitial" edema {{x}}.\nNo pneumothorax.'
    extractor.extract([Report("r1", text)])
    expected = version.render(text)
    assert json.dumps(recorder.sent[0]).encode() == json.dumps(expected).encode()
    frozen = json.loads((bundle.path / "messages.json").read_text())["requests"][0]["messages"]
    filled = [{**m, "content": m["content"].replace(REPORT_PLACEHOLDER, text)} for m in frozen]
    assert filled == expected
    with pytest.raises(BundleError, match="freezes temperature"):
        extractor_from_bundle(bundle.path, overrides={"temperature": 0.7})


def test_jinja_and_text_exports_render_the_same_messages(
        prompt: tuple[PromptVersion, LLMRecipe], tmp_path: Path) -> None:
    from radprompt.prompts import prompt_environment

    version, recipe = prompt
    bundle = write_prompt_bundle(version, recipe, output=tmp_path / "j", format="jinja")
    context = json.loads((bundle.path / "context.json").read_text())
    template = prompt_environment().from_string((bundle.path / context["template"]).read_text())
    request = context["requests"][0]
    ctx = template.new_context({**request["context"], "report": "No effusion."})
    user = "".join(template.blocks["user"](ctx)).strip()
    assert user == version.render("No effusion.")[-1]["content"]
    text = write_prompt_bundle(version, recipe, output=tmp_path / "t", format="text")
    assert sorted(p.name for p in (text.path / "messages").iterdir())[0].endswith("system.txt")


def test_promptfoo_config(prompt: tuple[PromptVersion, LLMRecipe], tmp_path: Path) -> None:
    version, recipe = prompt
    tests = [{"id": "r1", "report": "Small left effusion.",
              "findings": {"pleural_effusion": "present", "edema": "absent"}}]
    bundle = write_prompt_bundle(version, recipe, output=tmp_path / "pf", format="promptfoo",
                                 tests=tests)
    config = yaml.safe_load((bundle.path / "promptfooconfig.yaml").read_text())
    assert config["providers"][0]["id"] == "openai:chat:Qwen/Qwen3-14B"
    assert config["providers"][0]["config"]["apiBaseUrl"] == recipe.api_base
    prompt_file = bundle.path / config["prompts"][0]["id"].removeprefix("file://")
    messages = json.loads(prompt_file.read_text())
    assert messages[-1]["content"].endswith("{{report}}")
    asserts = config["tests"][0]["assert"]
    assert {a.get("metric") for a in asserts} >= {"pleural_effusion", "edema"}
    assert config["tests"][0]["vars"]["report"] == "Small left effusion."


def test_dspy_export_loads(prompt: tuple[PromptVersion, LLMRecipe], tmp_path: Path) -> None:
    pytest.importorskip("dspy")
    from radprompt.llm.dspy_program import FindingsProgram

    version, recipe = prompt
    bundle = write_prompt_bundle(version, recipe, output=tmp_path / "d", format="dspy")
    root = PromptVersion.from_labelset(load_labelset("chestxray21"))
    program = FindingsProgram(version=root)
    program.load(str(bundle.path / "program.json"))
    assert program.prompt_version().guidance["edema"] == version.guidance["edema"]


def test_prompt_run_exports_exactly_what_the_optimizer_scored(tmp_path: Path) -> None:
    recipe = LLMRecipe(model="hosted_vllm/m", api_base="http://127.0.0.1:8000/v1")
    run, _, child = prompt_run(tmp_path / "runs", recipe)
    with pytest.raises(BundleError, match="unreviewed"):
        export_run(run.path, output=tmp_path / "no")
    accept(run, "round-01", reviewer="Dr. Prompt")
    bundle = export_run(run.path, output=tmp_path / "b")
    assert bundle.kind == "prompt" and bundle.version == child.hash
    assert bundle.manifest["prompt_version"] == child.version.hash
    assert bundle.manifest["decoding"]["temperature"] == 0.3
    assert bundle.manifest["approvals"][0]["reviewer"] == "Dr. Prompt"

    def sent_by(extractor: Any) -> list[list[dict[str, str]]]:
        recorder = _Recorder()
        extractor.client = ModelClient(backend=recorder, model="hosted_vllm/m",
                                       params=extractor.recipe.decoding_params())
        extractor.extract([Report("r1", "Mild interstitial edema. No effusion.")])
        return recorder.sent

    scored = sent_by(child.build_extractor())  # what the optimizer's scoring sends
    local = {"api_base": recipe.api_base}  # a bundle never chooses the endpoint (issue 11)
    frozen = sent_by(extractor_from_bundle(bundle.path, overrides=local))
    assert json.dumps(frozen).encode() == json.dumps(scored).encode()
    assert extractor_from_bundle(bundle.path, overrides=local).recipe.decoding_params() == \
        child.recipe.decoding_params()
    promptfoo = export_run(run.path, output=tmp_path / "pf", format="promptfoo")
    config = yaml.safe_load((promptfoo.path / "promptfooconfig.yaml").read_text())
    assert config["tests"] and config["providers"][0]["config"]["temperature"] == 0.3


def test_evaluate_reads_findings_with_a_bundle(accepted: Run, tmp_path: Path) -> None:
    exported = runner.invoke(app, ["export", str(accepted.path), "-o", str(tmp_path / "b")])
    assert exported.exit_code == 0, exported.output
    reports = load_experiment("demo").split("dev").reports[:20]
    references = tmp_path / "refs.jsonl"
    references.write_text("".join(json.dumps({"id": r.id, "text": r.text}) + "\n"
                                  for r in reports))
    result = runner.invoke(app, [
        "evaluate", "--references", str(references), "--generated", f"copy={references}",
        "--metrics", "ranscore", "--bundle", str(tmp_path / "b"), "--resamples", "50",
        "--output-dir", str(tmp_path / "eval"), "--json"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(app, [
        "evaluate", "--references", str(references), "--generated", f"copy={references}",
        "--metrics", "ranscore", "--bundle", str(tmp_path / "b"), "--extractor", "rules"])
    assert refused.exit_code == 2
    assert "--bundle fixes the extractor" in refused.output


def test_promptfoo_copies_real_reports_only_when_asked(tmp_path: Path) -> None:
    demo = Path("experiments/demo").resolve()
    real = tmp_path / "real.yaml"  # the demo's files, but not marked synthetic
    real.write_text(yaml.safe_dump({"name": "real", "labelset": "chestxray21", "splits": {
        split: str(demo / f"{split}.jsonl") for split in ("train", "dev", "test")}}))
    recipe = LLMRecipe(model="hosted_vllm/m", api_base="http://127.0.0.1:8000/v1")
    run, _, _ = prompt_run(tmp_path / "runs", recipe)
    run.update_manifest(config={**run.manifest.config, "experiment": str(real)})
    accept(run, "round-01", reviewer="Dr. Prompt")
    with pytest.raises(BundleError, match="not marked synthetic"):
        export_run(run.path, output=tmp_path / "refused", format="promptfoo")
    assert not (tmp_path / "refused").exists()
    bundle = export_run(run.path, output=tmp_path / "pf", format="promptfoo",
                        include_reports=True)
    assert yaml.safe_load((bundle.path / "promptfooconfig.yaml").read_text())["tests"]
