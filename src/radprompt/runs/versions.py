"""Stored program versions: ``versions/<hash>.yaml`` (a labelset, the rule engine) or
``versions/<hash>.json`` (a prompt program). A version's hash is the first 16 hex digits of
the sha256 of its review text; for the rule engine that text is ``labelset_yaml``.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> len(version_hash(labelset_yaml(load_labelset("chestxray21"))))
    16
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from radprompt.extractors.rules import RulesExtractor
from radprompt.labelset import LabelSet, parse_labelset

__all__ = ["labelset_yaml", "read_rules_version", "rules_extractor", "version_hash"]


def version_hash(review_text: str) -> str:
    """The content hash of a program version, from the text a reviewer reads."""
    return hashlib.sha256(review_text.encode("utf-8")).hexdigest()[:16]


def labelset_yaml(labelset: LabelSet) -> str:
    """A stable, readable YAML text of a labelset (loadable with ``load_labelset``)."""
    data = labelset.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("cues", {})["scope_tokens"] = labelset.cues.scope_tokens
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def read_rules_version(path: Path) -> tuple[LabelSet, str]:
    """The labelset a rule-engine version file holds, and its version hash."""
    labelset = parse_labelset(yaml.safe_load(path.read_text("utf-8")), path=path)
    return labelset, version_hash(labelset_yaml(labelset))


def rules_extractor(labelset: LabelSet) -> RulesExtractor:
    """The rule engine as the optimizer runs a version (sentence cache on)."""
    return RulesExtractor(labelset=labelset, cache_sentences=True)
