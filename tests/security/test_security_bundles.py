"""Exploits 2 and 4 of issue 11: a tampered bundle cannot send reports (or secrets) off the
machine, and approvals cannot be forged: bundles are signed with a key the user holds."""

from __future__ import annotations

import os

import pytest
from security_support import (
    FIXTURES_MINI,
    edit_json,
    invoke,
    mini_reports_file,
    rehash,
    write_mini_bundle,
)

from radprompt.bundles import (
    NEVER_FROM_BUNDLE,
    BundleError,
    generate_key,
    open_bundle,
    read_key,
    verify_bundle,
)
from radprompt.labelset import load_labelset


def _extract(tmp_path, bundle, *extra):
    return invoke("extract", "--bundle", bundle, "--labelset", FIXTURES_MINI,
                  "-i", mini_reports_file(tmp_path / "r.jsonl"), "-o", tmp_path / "o.jsonl",
                  *extra)


def test_tampered_recipe_cannot_choose_a_remote_endpoint(tmp_path, socket_guard, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "s3cret-value")
    bundle = write_mini_bundle(tmp_path / "b")
    edit_json(bundle.path / "recipe.json", allow_remote=True,
              api_base="http://reports.attacker.example/v1", api_key_env="SECRET_TOKEN")
    rehash(bundle.path)
    result = _extract(tmp_path, bundle.path)
    assert result.exit_code == 2, result.output
    assert "a bundle never chooses where reports go" in result.output
    assert "--api-base http://reports.attacker.example/v1" in result.output  # told, not used
    assert socket_guard.remote == [] and socket_guard.attempts == []


def test_tampered_recipe_for_a_hosted_model_is_refused_as_remote(tmp_path, socket_guard,
                                                                 monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "s3cret-value")
    bundle = write_mini_bundle(tmp_path / "b", model="openai/gpt-4o-mini", api_base=None)
    edit_json(bundle.path / "recipe.json", allow_remote=True, api_key_env="SECRET_TOKEN",
              backend="litellm")
    rehash(bundle.path)
    result = _extract(tmp_path, bundle.path)
    assert result.exit_code == 2, result.output
    assert "refusing to send reports to openai/gpt-4o-mini" in result.output
    assert socket_guard.remote == []


def test_bundle_runtime_keys_come_from_the_user(tmp_path, monkeypatch):
    bundle = write_mini_bundle(tmp_path / "b")
    saved = edit_json(bundle.path / "recipe.json", allow_remote=True, api_key_env="HOME")
    assert saved["allow_remote"] is True
    rehash(bundle.path)
    opened = open_bundle(bundle.path, labelset=load_labelset(FIXTURES_MINI),
                         overrides={"api_base": "http://127.0.0.1:8001/v1"})
    recipe = opened.extractor.recipe  # type: ignore[attr-defined]
    assert recipe.allow_remote is False and recipe.api_key_env is None
    assert recipe.api_base == "http://127.0.0.1:8001/v1"
    assert any("ignored the bundle's allow_remote, api_key_env" in n for n in opened.notes)
    assert any("made against http://127.0.0.1:9/v1" in n for n in opened.notes)
    assert {"allow_remote", "api_base", "api_key_env"} <= NEVER_FROM_BUNDLE


def test_environment_endpoint_is_used_and_named(tmp_path, monkeypatch):
    monkeypatch.setenv("HOSTED_VLLM_API_BASE", "http://127.0.0.1:8002/v1")
    bundle = write_mini_bundle(tmp_path / "b")
    opened = open_bundle(bundle.path, labelset=load_labelset(FIXTURES_MINI))
    assert opened.extractor.recipe.api_base == "http://127.0.0.1:8002/v1"  # type: ignore[attr-defined]
    assert any("$HOSTED_VLLM_API_BASE" in note for note in opened.notes)


@pytest.mark.parametrize("param", ["api_base", "base_url", "extra_headers", "api_key"])
def test_bundle_extra_params_cannot_name_a_server_or_secret(tmp_path, socket_guard, param):
    bundle = write_mini_bundle(tmp_path / "b")
    edit_json(bundle.path / "recipe.json", extra_params={param: "http://attacker.example"})
    rehash(bundle.path)
    result = _extract(tmp_path, bundle.path, "--api-base", "http://127.0.0.1:9/v1")
    assert result.exit_code == 2 and "a bundle may not set them" in result.output
    assert socket_guard.attempts == []


def test_forged_approval_verifies_only_as_unverified(tmp_path):
    key_path = generate_key(tmp_path / "k")
    bundle = write_mini_bundle(tmp_path / "b", key=read_key(key_path))
    assert verify_bundle(bundle.path, key=read_key(key_path)).review == "reviewed"
    approvals = [{"decision": "accept", "reviewer": "Dr. Never Saw It", "time": "x"}]
    edit_json(bundle.path / "bundle.json", approvals=approvals)
    rehash(bundle.path)  # the attacker's hashes are consistent again...
    unchecked = verify_bundle(bundle.path)
    assert unchecked.review == "unverified" and unchecked.approvals == []
    with pytest.raises(BundleError, match="signature does not match"):  # ...the key is not
        verify_bundle(bundle.path, key=read_key(key_path))
    result = invoke("bundle", "verify", bundle.path, "--key", key_path)
    assert result.exit_code == 2 and "signature does not match" in result.output


def test_unsigned_bundle_is_refused_when_a_key_is_given(tmp_path):
    key_path = generate_key(tmp_path / "k")
    bundle = write_mini_bundle(tmp_path / "b")
    result = invoke("bundle", "verify", bundle.path, "--key", key_path)
    assert result.exit_code == 2 and "is not signed" in result.output
    plain = invoke("bundle", "verify", bundle.path)
    assert plain.exit_code == 0 and "not signed: the recorded review 'reviewed' is not " \
        "trusted" in plain.output


def test_ed25519_signature_verifies_with_the_public_half_only(tmp_path):
    pytest.importorskip("cryptography")
    private = generate_key(tmp_path / "k", scheme="ed25519")
    public = tmp_path / "k.pub"
    bundle = write_mini_bundle(tmp_path / "b", key=read_key(private))
    checked = verify_bundle(bundle.path, key=read_key(public))
    assert checked.signature_verified and checked.review == "reviewed"
    other = generate_key(tmp_path / "other", scheme="ed25519")
    with pytest.raises(BundleError, match="signature does not match"):
        verify_bundle(bundle.path, key=read_key(tmp_path / "other.pub"))
    assert other.exists()
    result = invoke("bundle", "verify", bundle.path, "--key", public)
    assert result.exit_code == 0 and "signature verified (ed25519" in result.output


def test_expect_hash_pins_the_bundle_the_audit_log_recorded(tmp_path):
    bundle = write_mini_bundle(tmp_path / "b")
    good = invoke("bundle", "verify", bundle.path, "--expect-hash", bundle.content_hash[:16])
    assert good.exit_code == 0
    edit_json(bundle.path / "bundle.json", review="reviewed", metrics={"dev": 0.99})
    rehash(bundle.path)
    bad = invoke("bundle", "verify", bundle.path, "--expect-hash", bundle.content_hash)
    assert bad.exit_code == 2 and "not the bundle the audit log recorded" in bad.output


def test_symbolic_links_are_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("patient data")
    bundle = write_mini_bundle(tmp_path / "b")
    os.symlink(secret, bundle.path / "messages.json.link")
    rehash(bundle.path)
    with pytest.raises(BundleError, match="symbolic link"):
        verify_bundle(bundle.path)


def test_listed_paths_outside_the_bundle_are_refused(tmp_path):
    bundle = write_mini_bundle(tmp_path / "b")
    manifest = edit_json(bundle.path / "bundle.json")
    manifest["files"]["../outside.txt"] = "0" * 64
    edit_json(bundle.path / "bundle.json", files=manifest["files"])
    with pytest.raises(BundleError, match="not a plain path inside the bundle"):
        verify_bundle(bundle.path)
