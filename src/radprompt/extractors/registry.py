"""Extractor kinds by the ``kind`` key of a recipe in ``extractors/*.yaml``, and building one.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> type(build_extractor("rules", labelset=load_labelset("chestxray21"))).__name__
    'RulesExtractor'
    >>> build_extractor("rules", labelset=load_labelset("chestxray21"),
    ...                 overrides={"colour": "red"})
    Traceback (most recent call last):
    ...
    radprompt.errors.InputError: ...rules.yaml: unknown key(s) ['colour'] in a rules recipe
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from radprompt.errors import InputError, validation_problem
from radprompt.extractors.base import Extractor
from radprompt.extractors.rules import RulesExtractor
from radprompt.labelset import LabelSet, read_yaml
from radprompt.resources import find_resource

__all__ = ["EXTRACTOR_KINDS", "ExtractorFactory", "build_extractor"]

ExtractorFactory = Callable[..., Extractor]


def _rules_factory(*, labelset: LabelSet, recipe: dict[str, Any]) -> Extractor:
    unknown = set(recipe) - {"kind", "description"}
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)} in a rules recipe")
    return RulesExtractor(labelset=labelset)


def _llm_factory(*, labelset: LabelSet, recipe: dict[str, Any]) -> Extractor:
    from pydantic import ValidationError

    from radprompt.extractors.llm import LLMExtractor
    from radprompt.llm import LLMRecipe, check_destination

    try:
        parsed = LLMRecipe.model_validate(recipe)
    except ValidationError as exc:
        where, problem = validation_problem(exc)
        raise ValueError(f"{where}: {problem}" if where else problem) from exc
    check_destination(model=parsed.model, api_base=parsed.api_base,
                      backend=parsed.resolved_backend, allow_remote=parsed.allow_remote)
    return LLMExtractor(labelset=labelset, recipe=parsed)


EXTRACTOR_KINDS: dict[str, ExtractorFactory] = {"rules": _rules_factory, "llm": _llm_factory}
"""Extractor kinds by the ``kind`` key of a recipe in ``extractors/*.yaml``."""


def build_extractor(
    name_or_path: str | Path | None,
    *,
    labelset: LabelSet,
    overrides: Mapping[str, Any] | None = None,
) -> Extractor:
    """Build the extractor a recipe describes (``rules`` = ``extractors/rules.yaml``).

    ``overrides`` replace recipe keys (``None`` values are ignored); with no recipe they
    describe an LLM extractor on their own (``{"model": "hosted_vllm/...", "api_base": ...}``).
    An unknown kind or key raises ``InputError`` naming the known ones.
    """
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    if name_or_path is None:
        path = Path("<command line>")
        recipe: Any = {"kind": "llm"}
    else:
        path = find_resource("extractors", name_or_path, suffix=".yaml")
        recipe = read_yaml(path)
    if not isinstance(recipe, dict) or "kind" not in recipe:
        raise InputError(path, "an extractor recipe is a mapping with a 'kind' key")
    recipe = {**recipe, **given}
    kind = recipe["kind"]
    factory = EXTRACTOR_KINDS.get(kind)
    if factory is None:
        raise InputError(
            path, f"unknown extractor kind {kind!r}; known: {', '.join(EXTRACTOR_KINDS)}",
            where="kind",
        )
    try:
        return factory(labelset=labelset, recipe=recipe)
    except ValueError as exc:
        raise InputError(path, str(exc)) from exc
