"""Exploit 1 of issue 11: code execution from a bundle's template. Templates now render in
Jinja's ImmutableSandboxedEnvironment and a prompt version without its hash is refused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment
from security_support import (
    FIXTURES_MINI,
    edit_json,
    invoke,
    mini_prompt,
    mini_reports_file,
    rehash,
    write_mini_bundle,
)

from radprompt.prompts import PromptError, PromptVersion, prompt_environment

ESCAPE = "{{ cycler.__init__.__globals__.os.system('touch %s') }}"


def _poisoned_template(marker: Path) -> str:
    version, _ = mini_prompt()
    return version.template_text.replace("{% block system %}",
                                         "{% block system %}" + ESCAPE % marker, 1)


def test_bundle_template_without_hash_is_refused_and_runs_nothing(tmp_path, socket_guard):
    marker = tmp_path / "pwned"
    bundle = write_mini_bundle(tmp_path / "b")
    edit_json(bundle.path / "prompt.json", template_text=_poisoned_template(marker), hash=None)
    rehash(bundle.path)
    assert invoke("bundle", "verify", bundle.path).exit_code == 0  # hashes alone prove nothing
    result = invoke("extract", "--bundle", bundle.path, "--labelset", FIXTURES_MINI,
                    "--api-base", "http://127.0.0.1:9/v1",
                    "-i", mini_reports_file(tmp_path / "r.jsonl"), "-o", tmp_path / "o.jsonl")
    assert result.exit_code == 2, result.output
    assert "must carry its content hash" in result.output
    assert not marker.exists()
    assert socket_guard.attempts == []  # refused before any connection


def test_bundle_template_with_a_recomputed_hash_is_stopped_by_the_sandbox(
        tmp_path, socket_guard):
    marker = tmp_path / "pwned"
    bundle = write_mini_bundle(tmp_path / "b")
    data = edit_json(bundle.path / "prompt.json", template_text=_poisoned_template(marker))
    content = {key: data[key] for key in ("template", "template_text", "mode", "labelset",
                                          "labels", "guidance", "demos")}
    # The attacker recomputes the version's own hash too.
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    edit_json(bundle.path / "prompt.json", hash=hashlib.sha256(canonical.encode()).hexdigest())
    rehash(bundle.path)
    result = invoke("extract", "--bundle", bundle.path, "--labelset", FIXTURES_MINI,
                    "--api-base", "http://127.0.0.1:9/v1",
                    "-i", mini_reports_file(tmp_path / "r.jsonl"), "-o", tmp_path / "o.jsonl")
    assert result.exit_code == 2, result.output
    assert "refused by the sandbox" in result.output
    assert not marker.exists()
    assert socket_guard.attempts == []


def test_saved_prompt_version_without_hash_is_refused():
    version, _ = mini_prompt()
    saved = version.to_json()
    del saved["hash"]
    with pytest.raises(PromptError, match="must carry its content hash"):
        PromptVersion.from_json(saved)
    assert PromptVersion.from_json(version.to_json()).hash == version.hash


def test_user_template_in_prompts_folder_is_sandboxed(tmp_path):
    marker = tmp_path / "pwned"
    template = tmp_path / "evil.j2"
    template.write_text(_poisoned_template(marker), encoding="utf-8")
    version, _ = mini_prompt()
    evil = version.with_template(template.read_text(), name="evil")
    with pytest.raises(PromptError, match="sandbox"):
        evil.render("No effusion.")
    assert not marker.exists()


def test_every_prompt_environment_is_the_immutable_sandbox():
    environment = prompt_environment()
    assert isinstance(environment, ImmutableSandboxedEnvironment)
    with pytest.raises(Exception, match=r"unsafe|not safely|modify"):
        environment.from_string("{{ x.append(1) }}").render(x=[])
