"""The files of each bundle format (see ``radprompt.bundles``).

A prompt bundle always holds ``prompt.json`` (the PromptVersion, content-hashed) and
``recipe.json`` (the model recipe); these are what ``extract --bundle`` runs, so the messages
it sends are the ones rendered during optimization. The format adds views for other tools:

- ``json``: ``messages.json``, every request's messages with the report as ``{{ report }}``.
- ``text``: ``messages/<request>-<n>-<role>.txt``, one file per message.
- ``jinja``: ``template.j2`` and ``context.json``; rendering the template's blocks with that
  context (report added) gives the messages.
- ``promptfoo``: ``promptfooconfig.yaml`` + ``prompt.json`` (chat messages with
  ``{{report}}``), the provider, and tests with one assertion per label.
- ``dspy``: ``program.json``, the state of ``radprompt.llm.dspy_program.FindingsProgram``;
  load with ``FindingsProgram(version=...).load("program.json")``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from radprompt.bundles.container import BundleError

if TYPE_CHECKING:
    from radprompt.llm import LLMRecipe
    from radprompt.prompts import PromptVersion

__all__ = ["FORMATS", "PROMPT_ONLY_FORMATS", "REPORT_PLACEHOLDER", "prompt_files",
           "rendered_requests", "rules_summary"]

FORMATS = ("json", "text", "jinja", "promptfoo", "dspy")
PROMPT_ONLY_FORMATS = ("jinja", "promptfoo", "dspy")

REPORT_PLACEHOLDER = "{{ report }}"


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def rendered_requests(version: PromptVersion,
                      report: str = REPORT_PLACEHOLDER) -> list[dict[str, Any]]:
    """Each request a report needs (one, or one per label) with its rendered messages."""
    requests = []
    for group in version.requests():
        label_id = group[0] if version.mode == "label" else None
        requests.append({"label_id": label_id, "labels": list(group),
                         "messages": version.render(report, label_id=label_id)})
    return requests


def prompt_files(version: PromptVersion, recipe: LLMRecipe, *, format: str,
                 tests: list[dict[str, Any]]) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "prompt.json": _dump(version.to_json()),
        # Where reports go and which secret is sent are never part of a bundle.
        "recipe.json": _dump(recipe.model_dump(mode="json", exclude={
            "cache_path", "allow_remote", "api_key_env", "backend_options"})),
    }
    if format == "json":
        files["messages.json"] = _dump({"report_placeholder": REPORT_PLACEHOLDER,
                                        "requests": rendered_requests(version)})
    elif format == "text":
        for number, request in enumerate(rendered_requests(version), 1):
            name = request["label_id"] or "all"
            for index, message in enumerate(request["messages"], 1):
                files[f"messages/{number:02d}-{name}-{index}-{message['role']}.txt"] = (
                    message["content"] + "\n")
    elif format == "jinja":
        files[f"{version.template}.j2"] = version.template_text
        files["context.json"] = _dump({
            "template": f"{version.template}.j2",
            "blocks": ["system", "user"],
            "requests": [{"label_id": r["label_id"],
                          "context": version._context(tuple(r["labels"]))}
                         for r in rendered_requests(version)],
            "report_variable": "report",
        })
    elif format == "promptfoo":
        files.update(_promptfoo(version, recipe, tests))
    elif format == "dspy":
        files["program.json"] = _dspy_state(version)
    return files


def _nunjucks_safe(text: str) -> str:
    """Text promptfoo's Nunjucks renders verbatim."""
    if any(mark in text for mark in ("{{", "{%", "{#")):
        return "{% raw %}" + text + "{% endraw %}"
    return text


def _provider(recipe: LLMRecipe) -> dict[str, Any]:
    prefix, _, name = recipe.model.partition("/")
    config: dict[str, Any] = {k: v for k, v in recipe.decoding_params().items()
                              if k in ("temperature", "max_tokens", "top_p", "seed")}
    if prefix in ("hosted_vllm", "openai"):
        provider = f"openai:chat:{name}"
        if recipe.api_base:
            config["apiBaseUrl"] = recipe.api_base
        if recipe.api_key_env:
            config["apiKeyEnvar"] = recipe.api_key_env
    elif prefix == "anthropic":
        provider = f"anthropic:messages:{name}"
    elif prefix == "ollama":
        provider = f"ollama:chat:{name}"
    else:
        provider = f"litellm:{recipe.model}"
    return {"id": provider, "config": config}


def _promptfoo(version: PromptVersion, recipe: LLMRecipe,
               tests: list[dict[str, Any]]) -> dict[str, str]:
    if version.mode == "label":
        raise BundleError("the promptfoo export needs a prompt in mode 'all' (one request per "
                          "report); this one asks one label per request")
    files: dict[str, str] = {}
    prompts = []
    for request in rendered_requests(version, report="\x00"):
        messages = [{"role": m["role"],
                     "content": "{{report}}".join(_nunjucks_safe(part)
                                                  for part in m["content"].split("\x00"))}
                    for m in request["messages"]]
        name = f"prompt-{request['label_id'] or 'all'}.json"
        files[name] = _dump(messages)
        prompts.append({"id": f"file://{name}", "label": request["label_id"] or "all labels"})
    cases = []
    for case in tests:
        asserts: list[dict[str, Any]] = [{"type": "is-json"}]
        for label_id, state in sorted(case["findings"].items()):
            if label_id not in version.label_ids:
                continue
            asserts.append({
                "type": "javascript", "metric": label_id,
                "value": f"(JSON.parse(output)[{json.dumps(label_id)}] || {{}}).state === "
                         f"{json.dumps(state)}",
            })
        cases.append({"description": case.get("id", ""), "vars": {"report": case["report"]},
                      "assert": asserts})
    config = {
        "description": f"radprompt prompt {version.hash[:12]} ({version.labelset})",
        "prompts": prompts,
        "providers": [_provider(recipe)],
        "tests": cases,
    }
    files["promptfooconfig.yaml"] = yaml.safe_dump(config, sort_keys=False, allow_unicode=True,
                                                   width=100)
    return files


def _dspy_state(version: PromptVersion) -> str:
    from radprompt.llm.dspy_program import FindingsProgram  # imports dspy: heavy, optional

    program = FindingsProgram(version=version)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "program.json"
        program.save(str(path))
        return path.read_text("utf-8")


def rules_summary(manifest: dict[str, Any]) -> str:
    """A readable summary of a rules bundle (``bundle.txt``)."""
    lines = [f"radprompt bundle: rule engine, version {manifest['version']}",
             f"labelset {manifest['labelset']}; review: {manifest['review']}",
             f"source run: {manifest['source'].get('run')}", ""]
    for split in ("dev", "test"):
        report = (manifest.get("metrics") or {}).get(split)
        if report:
            lines.append(f"{split}: macro-F1 {report['macro_f1']:.4f}, micro-F1 "
                         f"{report['micro_f1']:.4f} on {report['n_reports']} reports")
    lines.append("")
    lines.append("approvals:")
    for record in manifest.get("approvals", []):
        who = "auto-approve" if record.get("automatic") else record.get("reviewer")
        lines.append(f"  {record['time']}  {record['decision']}  by {who}: "
                     f"{record.get('comment', '')}")
    lines += ["", "use: radprompt extract --bundle <this folder> -i reports.jsonl -o out.jsonl"]
    return "\n".join(lines) + "\n"
