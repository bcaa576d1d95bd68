"""Using a bundle: the extractor it froze, checked before anything is sent.

A bundle is data, never authority. Its templates render in Jinja's sandbox and a prompt version
without its hash is refused; it cannot enable remote providers, choose the endpoint or name the
secret sent (``NEVER_FROM_BUNDLE``: those come from the user's command line, recipe or
environment, and the user is told when the endpoint differs from the one the bundle recorded);
its ``extra_params`` may tune decoding but not name a server, key or header.

Example::

    >>> local = {"api_base": "http://127.0.0.1:8000/v1"}
    >>> opened = open_bundle("out/bundle", overrides=local)  # doctest: +SKIP
    >>> opened.notes  # doctest: +SKIP
    ()
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from radprompt.bundles.container import Bundle, BundleError, verify_bundle
from radprompt.bundles.formats import rendered_requests
from radprompt.bundles.signing import BundleKey
from radprompt.errors import validation_problem
from radprompt.extractors.base import Extractor
from radprompt.extractors.llm import LLMExtractor
from radprompt.labelset import LabelSet, load_labelset, parse_labelset
from radprompt.llm import LLMRecipe, ModelClient, check_destination
from radprompt.llm.privacy import resolve_endpoint
from radprompt.prompts import PromptError, PromptVersion
from radprompt.runs.versions import read_rules_version, rules_extractor

__all__ = [
    "NEVER_FROM_BUNDLE",
    "RUNTIME_KEYS",
    "BundleExtractor",
    "bundle_labelset",
    "extractor_from_bundle",
    "open_bundle",
]

logger = logging.getLogger(__name__)


def bundle_labelset(bundle: Bundle) -> LabelSet | None:
    """The frozen labelset of a rules bundle (None for prompt bundles)."""
    if bundle.kind != "rules":
        return None
    path = bundle.path / "labelset.yaml"
    return parse_labelset(yaml.safe_load(path.read_text("utf-8")), path=path)


RUNTIME_KEYS = frozenset({"api_base", "allow_remote", "backend", "concurrency", "cache",
                          "cache_path", "timeout"})
"""Recipe keys a bundle user may change: where and how requests go, never what they say."""
NEVER_FROM_BUNDLE = frozenset({"allow_remote", "api_base", "api_key_env", "backend_options",
                               "cache_path"})
"""Recipe keys a bundle never supplies: where reports go, which secret is sent, engine options
and files written come from the user's command line, recipe or environment."""
_CONNECTION_WORDS = ("api", "url", "base", "key", "header", "proxy", "client", "token", "secret",
                     "provider", "host", "endpoint", "aws", "vertex", "azure", "credential")


@dataclass(frozen=True)
class BundleExtractor:
    """What ``open_bundle`` gives: the extractor, the verified bundle, and notes for the user
    (the endpoint used when it differs from the recorded one, bundle keys ignored)."""

    extractor: Extractor
    bundle: Bundle
    notes: tuple[str, ...] = ()


def extractor_from_bundle(path: str | Path, *, labelset: LabelSet | None = None,
                          overrides: Mapping[str, Any] | None = None,
                          client: ModelClient | None = None,
                          key: BundleKey | None = None) -> Extractor:
    """The extractor a verified bundle froze (``open_bundle``; its notes are logged)."""
    opened = open_bundle(path, labelset=labelset, overrides=overrides, client=client, key=key)
    for note in opened.notes:
        logger.warning("%s", note)
    return opened.extractor


def open_bundle(path: str | Path, *, labelset: LabelSet | None = None,
                overrides: Mapping[str, Any] | None = None,
                client: ModelClient | None = None,
                key: BundleKey | None = None) -> BundleExtractor:
    """The extractor a verified bundle froze: the same rules, or the same messages and model.

    ``labelset`` decides which labels a prompt bundle's findings carry (default: the prompt's
    labelset); ``overrides`` may change only ``RUNTIME_KEYS`` of a prompt bundle's recipe and
    are the only source of ``api_base`` / ``allow_remote`` (with the environment: a bundle
    never supplies them); ``key`` checks the bundle's signature; ``client`` replaces the model
    client (tests).
    """
    bundle = verify_bundle(path, key=key)
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    frozen = sorted(set(given) - (RUNTIME_KEYS if bundle.kind == "prompt" else set()))
    if frozen:
        raise BundleError(f"{bundle.path}: the bundle freezes {', '.join(frozen)}; only "
                          f"{', '.join(sorted(RUNTIME_KEYS))} of a prompt bundle may change")
    if bundle.kind == "rules":
        rules, version = read_rules_version(bundle.path / "labelset.yaml")
        if version != bundle.version:
            raise BundleError(f"{bundle.path}: labelset.yaml does not hash to version "
                              f"{bundle.version}")
        return BundleExtractor(rules_extractor(rules), bundle)
    if bundle.kind == "prompt":
        return _prompt_extractor(bundle, labelset=labelset, given=given, client=client)
    raise BundleError(f"{bundle.path}: unknown bundle kind {bundle.kind!r}")


def _bundle_json(bundle: Bundle, name: str) -> dict[str, Any]:
    try:
        data = json.loads((bundle.path / name).read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"{bundle.path / name}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BundleError(f"{bundle.path / name}: not a JSON object")
    return data


def _prompt_extractor(bundle: Bundle, *, labelset: LabelSet | None, given: dict[str, Any],
                      client: ModelClient | None) -> BundleExtractor:
    try:
        version = PromptVersion.from_json(_bundle_json(bundle, "prompt.json"))
        rendered_requests(version, report="")  # a refused template fails before any request
    except (PromptError, KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"{bundle.path / 'prompt.json'}: {exc}") from None
    saved = _bundle_json(bundle, "recipe.json")
    notes = []
    # (api_base has its own note below, when the endpoint used differs from it)
    ignored = sorted(k for k in (NEVER_FROM_BUNDLE - {"api_base"}) & set(saved)
                     if saved[k] not in (None, False, {}, ""))
    if ignored:
        notes.append(f"{bundle.path}: ignored the bundle's {', '.join(ignored)}: a bundle never "
                     "decides where reports go or which secret is sent")
    data = {k: v for k, v in saved.items() if k not in NEVER_FROM_BUNDLE}
    _check_extra_params(bundle, data.get("extra_params"))
    recorded = saved.get("api_base") or bundle.manifest.get("api_base")
    source = "--api-base"
    if not given.get("api_base") and isinstance(data.get("model"), str):
        found = resolve_endpoint(model=data["model"], api_base=None,
                                 backend=str(given.get("backend", data.get("backend", "auto"))))
        if found.source.startswith("$"):
            data["api_base"], source = found.url, found.source
    try:
        recipe = LLMRecipe.model_validate({**data, **given})
    except ValueError as exc:
        hint = f" pass --api-base {recorded} if that server is yours" if recorded else ""
        raise BundleError(f"{bundle.path}: {_first_error(exc)}; a bundle never chooses where "
                          f"reports go:{hint or ' pass --api-base'}") from None
    endpoint = check_destination(model=recipe.model, api_base=recipe.api_base,
                                 backend=recipe.resolved_backend, allow_remote=recipe.allow_remote)
    if recorded and endpoint.url and endpoint.url.rstrip("/") != str(recorded).rstrip("/"):
        notes.append(f"the bundle was made against {recorded}; reports now go to {endpoint.url} "
                     f"(from {source})")
    labels = labelset or load_labelset(version.labelset.split("@", 1)[0])
    extractor = LLMExtractor(labelset=labels, recipe=recipe, prompt=version, client=client)
    return BundleExtractor(extractor, bundle, tuple(notes))


def _first_error(exc: ValueError) -> str:
    if callable(getattr(exc, "errors", None)):  # a pydantic ValidationError
        where, message = validation_problem(exc)
        return f"{where}: {message}" if where else message
    return str(exc)


def _check_extra_params(bundle: Bundle, params: Any) -> None:
    """A bundle's ``extra_params`` may tune decoding, never name a server, key or header."""
    if not params:
        return
    if not isinstance(params, dict):
        raise BundleError(f"{bundle.path / 'recipe.json'}: extra_params is not a mapping")
    refused = sorted(name for name in params
                     if any(word in str(name).lower() for word in _CONNECTION_WORDS))
    if refused:
        raise BundleError(f"{bundle.path / 'recipe.json'}: extra_params {refused} would change "
                          "where or how requests are sent; a bundle may not set them")
