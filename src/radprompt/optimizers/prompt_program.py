"""The LLM extractor as an optimizable program: a PromptVersion plus its extraction recipe.

``review_text`` is what a clinician reads and what proposal diffs compare: the model and its
decoding, each label's guidance, the few-shot demos, then the template. ``apply`` turns
``set_guidance`` / ``set_demos`` revisions into a new ``PromptVersion`` whose parent is this
program's version; ``with_settings`` changes searched settings (temperature, how many demos).
A program is saved as JSON (``versions/<hash>.json``); its extractor caches every answer in the
run's ``cache.sqlite``, so a resumed run never sends a finished request again.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.llm import LLMRecipe
    >>> program = PromptProgram.initial(
    ...     labelset=load_labelset("chestxray21"),
    ...     recipe=LLMRecipe(model="hosted_vllm/m", api_base="http://127.0.0.1:8000/v1"))
    >>> child = program.apply([Revision(kind="set_guidance", label_id="edema",
    ...                                 value="Fluid in the lung. Reported as: edema.")])
    >>> child.version.parent == program.version.hash, child.hash != program.hash
    (True, True)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from radprompt.errors import InputError, validation_problem
from radprompt.extractors.llm import LLMExtractor
from radprompt.labelset import LabelSet, read_yaml
from radprompt.llm import LLMRecipe, check_destination
from radprompt.optimizers.program import Program, Revision
from radprompt.prompts import Demo, PromptVersion
from radprompt.resources import find_resource

__all__ = ["PLACEMENT_KEYS", "PromptProgram", "demo_values", "extraction_recipe"]

_DECODING = ("temperature", "max_tokens", "top_p", "seed")
TEMPERATURES = (0.0, 0.3, 0.7)
"""Decoding temperatures the search tries."""
DEMO_LIMITS = (0, 1, 2, 4, 8)
"""Numbers of few-shot demos the search tries (besides all of them)."""


def demo_values(demos: Sequence[Demo]) -> list[dict[str, Any]]:
    """The JSON value of a ``set_demos`` revision."""
    return [demo.to_json() for demo in demos]


@dataclass(frozen=True)
class PromptProgram(Program):
    """A prompt version, the recipe that sends it, and the labelset it answers for."""

    kind: ClassVar[str] = "prompt"
    suffix: ClassVar[str] = ".json"
    version: PromptVersion
    recipe: LLMRecipe
    labelset: LabelSet
    _text: list[str] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def initial(cls, *, labelset: LabelSet, recipe: LLMRecipe) -> PromptProgram:
        """The recipe's root version (the labelset's guidance, the recipe's demos)."""
        version = LLMExtractor(labelset=labelset, recipe=recipe).prompt_version()
        return cls(version=version, recipe=recipe, labelset=labelset)

    # -- what the reviewer reads -------------------------------------------------------------
    def review_text(self) -> str:
        if self._text:
            return self._text[0]
        version, params = self.version, self.recipe.decoding_params()
        decoding = ", ".join(f"{name} {params[name]}" for name in _DECODING if name in params)
        parts = [f"# prompt for {version.labelset}: mode {version.mode}, template "
                 f"{version.template}", f"# model {self.recipe.model}; {decoding}", ""]
        for label_id, name in version.labels:
            parts += [f"## guidance {label_id} ({name})", version.guidance[label_id], ""]
        for number, demo in enumerate(version.demos, 1):
            parts += [f"## demo {number}", demo.report, demo.answer(version.label_ids), ""]
        parts += [f"## template {version.template}", version.template_text.rstrip(), ""]
        self._text.append("\n".join(parts))
        return self._text[0]

    # -- behaviour ---------------------------------------------------------------------------
    def build_extractor(self) -> LLMExtractor:
        return LLMExtractor(labelset=self.labelset, recipe=self.recipe, prompt=self.version)

    def apply(self, revisions: Sequence[Revision]) -> PromptProgram:
        guidance: dict[str, str] = {}
        demos = list(self.version.demos)
        notes = []
        for revision in revisions:
            if revision.kind == "set_guidance":
                if revision.label_id is None:
                    raise ValueError("set_guidance needs a label")
                guidance[revision.label_id] = str(revision.value).strip()
            elif revision.kind == "set_demos":
                known = {demo.report for demo in demos}
                for value in revision.value:
                    demo = Demo.from_json(value)
                    if demo.report not in known:
                        demos.append(demo)
                        known.add(demo.report)
            else:
                raise ValueError(f"a prompt program cannot apply a {revision.kind!r} revision")
            notes.append(revision.describe())
        version = self.version
        if guidance:
            version = version.with_guidance(guidance)
        if tuple(demos) != version.demos:
            version = version.with_demos(demos)
        if version is self.version:
            return self
        version = replace(version, parent=self.version.hash, note="; ".join(notes))
        return replace(self, version=version, _text=[])

    def settings_space(self) -> dict[str, tuple[Any, ...]]:
        """The decoding temperature, and at most how many few-shot demos to keep (``None``:
        all those the chosen revisions leave), which with the ``set_demos`` revisions
        searches the number and the choice of demos."""
        temperature = self.recipe.temperature
        return {"temperature": (temperature, *(t for t in TEMPERATURES if t != temperature)),
                "max_demos": (None, *DEMO_LIMITS)}

    def with_settings(self, settings: dict[str, Any]) -> PromptProgram:
        program = self
        if (limit := settings.get("max_demos")) is not None and limit < len(self.version.demos):
            version = replace(self.version.with_demos(self.version.demos[:limit]),
                              parent=self.version.parent or self.version.hash,
                              note=f"{self.version.note}; at most {limit} demos".strip("; "))
            program = replace(program, version=version, _text=[])
        if "temperature" in settings and settings["temperature"] != self.recipe.temperature:
            recipe = self.recipe.model_copy(update={"temperature": float(settings["temperature"])})
            program = replace(program, recipe=recipe, _text=[])
        return program

    # -- storage -----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        recipe = self.recipe.model_dump(mode="json", exclude={"cache_path"}, exclude_defaults=True)
        return {"kind": self.kind, "hash": self.hash, "prompt": self.version.to_json(),
                "recipe": recipe, "review_text": self.review_text()}

    def save(self, directory: Path) -> Path:
        path = directory / f"{self.hash}{self.suffix}"
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.partial")
            temporary.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
            temporary.replace(path)
        return path

    @classmethod
    def load(cls, path: Path, *, labelset: LabelSet, cache_path: Path | None = None,
             overrides: Mapping[str, Any] | None = None) -> PromptProgram:
        """Read a saved program (after the privacy check). ``cache_path`` (the run's cache)
        and the ``PLACEMENT_KEYS`` of ``overrides`` (where the server is now, ...) replace
        recipe keys that are not part of what the model sees; other keys are ignored."""
        data = json.loads(path.read_text(encoding="utf-8"))
        recipe = {**data["recipe"], **{key: value for key, value in (overrides or {}).items()
                                       if key in PLACEMENT_KEYS and value is not None}}
        if cache_path is not None:
            recipe["cache_path"] = str(cache_path)
        program = cls(version=PromptVersion.from_json(data["prompt"]),
                      recipe=LLMRecipe.model_validate(recipe), labelset=labelset)
        if data.get("hash") not in (None, program.hash):
            raise InputError(path, "the program's content does not match its hash")
        _check_privacy(program.recipe)
        return program


PLACEMENT_KEYS = ("api_base", "api_key_env", "backend", "backend_options", "allow_remote",
                  "concurrency", "timeout", "max_attempts", "backoff", "cache",
                  "input_cost_per_mtok", "output_cost_per_mtok")
"""Recipe keys a resumed run takes from its configuration rather than from a saved version:
where and how requests are sent, never what the model sees."""


def _check_privacy(recipe: LLMRecipe) -> None:
    check_destination(model=recipe.model, api_base=recipe.api_base,
                      backend=recipe.resolved_backend, allow_remote=recipe.allow_remote)


def extraction_recipe(*, extractor: str, overrides: Mapping[str, Any]) -> LLMRecipe:
    """The recipe of a prompt run (after the privacy check): the ``extractor`` recipe in
    ``extractors/`` (none for "llm" or "rules") with ``overrides`` (the command line's
    --model, --api-base, ...) on top."""
    from pydantic import ValidationError

    given = {key: value for key, value in overrides.items() if value is not None}
    where = Path("<command line>")
    recipe: Any = {"kind": "llm"}
    if extractor not in ("llm", "rules", ""):
        where = find_resource("extractors", extractor, suffix=".yaml")
        recipe = read_yaml(where)
        if not isinstance(recipe, dict) or recipe.get("kind") != "llm":
            raise InputError(where, "prompt optimization needs an LLM recipe (kind: llm); "
                             "the rule engine is optimized with --extractor rules and no "
                             "--model")
    try:
        parsed = LLMRecipe.model_validate({**recipe, **given})
    except ValidationError as exc:
        where_in, problem = validation_problem(exc)
        raise InputError(where, f"{where_in}: {problem}" if where_in else problem) from exc
    _check_privacy(parsed)
    return parsed
