"""Jinja prompt templates and content-hashed prompt versions.

A template in ``prompts/`` defines three blocks: ``system`` (instructions, per-label guidance,
few-shot demos: the static prefix), ``user`` (the report, last) and ``retry`` (the message
sent after an answer that could not be used, with ``problem``). A ``PromptVersion`` is the
template text plus the guidance and demos it renders; it is hashed over that content, knows its
parent's hash, and is never edited in place: ``with_guidance`` / ``with_demos`` return a new
version (that is how the optimizer proposes changes, shown with ``diff_versions``).

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.prompts import PromptVersion, diff_versions
    >>> base = PromptVersion.from_labelset(load_labelset("chestxray21"), mode="all")
    >>> messages = base.render("No pneumothorax.")
    >>> [m["role"] for m in messages], messages[-1]["content"].endswith("No pneumothorax.")
    (['system', 'user'], True)
    >>> child = base.with_guidance({"edema": "Fluid in the lung interstitium."}, note="shorter")
    >>> child.parent == base.hash, child.hash != base.hash
    (True, True)
    >>> print(diff_versions(base, child))  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from radprompt.errors import RadpromptError
from radprompt.findings import Findings, State
from radprompt.labelset import Label, LabelSet
from radprompt.resources import find_resource, resource_roots

__all__ = [
    "DEFAULT_TEMPLATES",
    "Demo",
    "PromptError",
    "PromptVersion",
    "default_guidance",
    "diff_versions",
    "prompt_environment",
    "written_phrases",
]

Mode = Literal["all", "mentioned", "label"]
DEFAULT_TEMPLATES: dict[str, str] = {"all": "extract_all", "mentioned": "extract_mentioned",
                                     "label": "extract_label"}
"""The template each extraction mode renders unless a recipe names another (``mentioned``:
all labels in one request, the answer listing only those the report mentions)."""
GUIDANCE_TEMPLATE = "label_guidance"
BLOCKS = ("system", "user", "retry")
_SENTINEL = "\x00REPORT\x00"


class PromptError(RadpromptError):
    """A template that cannot be loaded or rendered (missing block, undefined variable)."""


def prompt_environment() -> Environment:
    """Jinja over every ``prompts/`` folder (user's first), ``StrictUndefined``, no escaping.

    Every template renders in Jinja's ``ImmutableSandboxedEnvironment``: a template from a
    bundle, a run directory or a user's folder is data, so it cannot reach Python internals
    (``cycler.__init__.__globals__``), call unsafe methods or change the objects it is given.
    """
    folders = [str(root / "prompts") for root in resource_roots() if (root / "prompts").is_dir()]
    environment = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(folders),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    environment.filters["written"] = written_phrases
    return environment


def written_phrases(phrases: Iterable[str]) -> list[str]:
    """``phrases`` as a reader writes them (the filter ``written``): the rule engine's gapped
    patterns (``heart * enlarged``) left out. A model reads word order for itself, and every
    pattern a prompt lists costs context."""
    return [phrase for phrase in phrases if "*" not in phrase.split()]


_ENVIRONMENT: list[Environment] = []
_COMPILED: dict[str, Template] = {}


def _compile(text: str, *, name: str) -> Template:
    key = hashlib.sha256(text.encode()).hexdigest()
    if key not in _COMPILED:
        if not _ENVIRONMENT:
            _ENVIRONMENT.append(prompt_environment())
        try:
            _COMPILED[key] = _ENVIRONMENT[0].from_string(text)
        except TemplateError as exc:
            raise PromptError(f"template {name!r}: {exc}") from exc
    return _COMPILED[key]


def _template_text(name_or_path: str | Path) -> tuple[str, str]:
    path = find_resource("prompts", name_or_path, suffix=".j2")
    return path.stem, path.read_text(encoding="utf-8")


def default_guidance(label: Label) -> str:
    """A label's guidance rendered from its labelset entry by ``prompts/label_guidance.j2``."""
    name, text = _template_text(GUIDANCE_TEMPLATE)
    try:
        return _compile(text, name=name).render(label=label).strip()
    except TemplateError as exc:
        raise PromptError(f"template {name!r}: {exc}") from exc


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Demo:
    """A few-shot example: a report and the answer it should get, per label."""

    report: str
    findings: Mapping[str, tuple[str, str | None]]
    """label id -> (state, evidence quote or None); labels left out are not mentioned."""

    @classmethod
    def from_findings(cls, report: str, findings: Findings) -> Demo:
        return cls(report, {
            label_id: (finding.state.value, finding.evidence.text if finding.evidence else None)
            for label_id, finding in findings.states.items()
        })

    def answer(self, label_ids: Iterable[str], *, mentioned_only: bool = False) -> str:
        """The exact JSON answer for ``label_ids`` (what the model should write); with
        ``mentioned_only`` the labels the report does not mention are left out."""
        answer = {}
        for label_id in label_ids:
            state, evidence = self.findings.get(label_id, (State.NOT_MENTIONED.value, None))
            if mentioned_only and state == State.NOT_MENTIONED.value:
                continue
            answer[label_id] = {"state": state, "evidence": evidence}
        return json.dumps(answer, ensure_ascii=False)

    def to_json(self) -> dict[str, Any]:
        return {"report": self.report,
                "findings": {k: list(v) for k, v in sorted(self.findings.items())}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Demo:
        return cls(str(data["report"]),
                   {k: (str(v[0]), v[1]) for k, v in dict(data["findings"]).items()})


@dataclass(frozen=True)
class PromptVersion:
    """A template, the per-label guidance and the demos it renders; immutable, content-hashed.

    ``hash`` covers everything the model can see (template text, labels, guidance, demos) and
    the mode, not ``parent`` or ``note``. ``labels`` are the (id, display name) pairs asked
    about, in labelset order; derived labels (No Finding) are computed, never asked.
    """

    template: str
    template_text: str
    mode: Mode
    labelset: str
    labels: tuple[tuple[str, str], ...]
    guidance: Mapping[str, str]
    demos: tuple[Demo, ...] = ()
    parent: str | None = None
    note: str = ""
    _cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.template_text, str):
            raise PromptError("template_text must be a string")
        object.__setattr__(self, "guidance", MappingProxyType(dict(self.guidance)))
        if self.mode not in DEFAULT_TEMPLATES:
            raise PromptError(f"mode {self.mode!r} is not one of {', '.join(DEFAULT_TEMPLATES)}")
        missing = [label_id for label_id, _ in self.labels if label_id not in self.guidance]
        unknown = sorted(set(self.guidance) - set(self.label_ids))
        if missing or unknown:
            raise PromptError(f"guidance does not match the labels: missing {missing}, "
                              f"unknown {unknown}")
        compiled = _compile(self.template_text, name=self.template)
        absent = [block for block in BLOCKS if block not in compiled.blocks]
        if absent:
            raise PromptError(f"template {self.template!r} lacks block(s) {absent}; a prompt "
                              f"template defines {{% block system %}}, user and retry")

    def __deepcopy__(self, memo: dict[int, Any]) -> PromptVersion:
        """Immutable: a copy is the version itself (DSPy deep-copies the programs it tries)."""
        return self

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_labelset(
        cls,
        labelset: LabelSet,
        *,
        mode: Mode = "all",
        template: str | Path | None = None,
        demos: Iterable[Demo] = (),
    ) -> PromptVersion:
        """The root version: the labelset's default guidance in ``prompts/<template>.j2``."""
        name, text = _template_text(template or DEFAULT_TEMPLATES[mode])
        asked = [label for label in labelset.labels if label.derived is None]
        return cls(
            template=name,
            template_text=text,
            mode=mode,
            labelset=f"{labelset.name}@{labelset.version}",
            labels=tuple((label.id, label.name) for label in asked),
            guidance={label.id: default_guidance(label) for label in asked},
            demos=tuple(demos),
        )

    def _child(self, note: str, **changes: Any) -> PromptVersion:
        return replace(self, parent=self.hash, note=note, **changes)

    def with_guidance(self, updates: Mapping[str, str], *, note: str = "") -> PromptVersion:
        """A new version whose guidance for the labels in ``updates`` is replaced."""
        unknown = sorted(set(updates) - set(self.label_ids))
        if unknown:
            raise PromptError(f"no such label(s) in this prompt: {unknown}")
        return self._child(note, guidance={**self.guidance, **updates})

    def with_demos(self, demos: Iterable[Demo], *, note: str = "") -> PromptVersion:
        return self._child(note, demos=tuple(demos))

    def with_template(self, text: str, *, name: str | None = None,
                      note: str = "") -> PromptVersion:
        return self._child(note, template_text=text, template=name or self.template)

    # -- identity --------------------------------------------------------------------------
    @property
    def label_ids(self) -> list[str]:
        return [label_id for label_id, _ in self.labels]

    def content(self) -> dict[str, Any]:
        """What the hash covers, as plain data."""
        return {
            "template": self.template,
            "template_text": self.template_text,
            "mode": self.mode,
            "labelset": self.labelset,
            "labels": [list(pair) for pair in self.labels],
            "guidance": dict(self.guidance),
            "demos": [demo.to_json() for demo in self.demos],
        }

    @property
    def hash(self) -> str:
        if "hash" not in self._cache:
            digest = hashlib.sha256(_canonical(self.content()).encode()).hexdigest()
            self._cache["hash"] = digest
        return str(self._cache["hash"])

    def to_json(self) -> dict[str, Any]:
        return {**self.content(), "hash": self.hash, "parent": self.parent, "note": self.note}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PromptVersion:
        """Read a saved version; its ``hash`` must be there and match the content."""
        if not isinstance(data, Mapping) or not data.get("hash"):
            raise PromptError("a saved prompt version must carry its content hash ('hash'); "
                              "this one has none, so its content cannot be trusted")
        missing = [key for key in ("template", "template_text", "mode", "labelset", "labels",
                                   "guidance") if key not in data]
        if missing:
            raise PromptError(f"a saved prompt version lacks key(s) {', '.join(missing)}")
        version = cls(
            template=data["template"],
            template_text=data["template_text"],
            mode=data["mode"],
            labelset=data["labelset"],
            labels=tuple((str(a), str(b)) for a, b in data["labels"]),
            guidance=dict(data["guidance"]),
            demos=tuple(Demo.from_json(demo) for demo in data.get("demos", ())),
            parent=data.get("parent"),
            note=data.get("note", ""),
        )
        if data["hash"] != version.hash:
            raise PromptError(f"prompt version content does not match its hash {data['hash']}")
        return version

    # -- rendering -------------------------------------------------------------------------
    def requests(self) -> list[tuple[str, ...]]:
        """The label ids of each request a report needs: one group (all, mentioned) or one per
        label."""
        if self.mode != "label":
            return [tuple(self.label_ids)]
        return [(label_id,) for label_id in self.label_ids]

    def _context(self, label_ids: tuple[str, ...]) -> dict[str, Any]:
        names = dict(self.labels)
        labels = [{"id": i, "name": names[i], "guidance": self.guidance[i]} for i in label_ids]
        context: dict[str, Any] = {
            "labels": labels,
            "label_ids": list(label_ids),
            "demos": [{"report": d.report,
                       "answer": d.answer(label_ids, mentioned_only=self.mode == "mentioned")}
                      for d in self.demos],
        }
        if self.mode == "label":
            context["label"] = labels[0]
        return context

    def _block(self, block: str, label_ids: tuple[str, ...], **extra: Any) -> str:
        template = _compile(self.template_text, name=self.template)
        context = template.new_context({**self._context(label_ids), **extra})
        try:
            return "".join(template.blocks[block](context)).strip()
        except SecurityError as exc:
            raise PromptError(f"template {self.template!r}, block {block!r} was refused by the "
                              f"sandbox: {exc}") from None
        except TemplateError as exc:
            raise PromptError(f"template {self.template!r}, block {block!r}: {exc}") from exc

    def _system(self, label_ids: tuple[str, ...]) -> str:
        key = ("system", label_ids)
        if key not in self._cache:
            text = self._block("system", label_ids, report=_SENTINEL)
            if _SENTINEL in text:
                raise PromptError(f"template {self.template!r}: the report belongs in the user "
                                  "block, after the static prefix")
            self._cache[key] = text
        return str(self._cache[key])

    def _group(self, label_id: str | None) -> tuple[str, ...]:
        groups = self.requests()
        if label_id is None:
            if len(groups) != 1:
                raise PromptError("a per-label prompt renders one label: pass label_id")
            return groups[0]
        if label_id not in self.label_ids:
            raise PromptError(f"no such label in this prompt: {label_id!r}")
        return (label_id,) if self.mode == "label" else groups[0]

    def render(self, report_text: str, *, label_id: str | None = None) -> list[dict[str, str]]:
        """The chat messages for one report (and, in per-label mode, one label)."""
        group = self._group(label_id)
        messages = []
        system = self._system(group)
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": self._block("user", group,
                                                                report=report_text)})
        return messages

    def retry_message(self, problem: str, *, label_id: str | None = None) -> dict[str, str]:
        """The user message that sends ``problem`` back after an unusable answer."""
        group = self._group(label_id)
        return {"role": "user",
                "content": self._block("retry", group, report="", problem=problem)}

    def static_prefix(self, *, label_id: str | None = None) -> str:
        """Every message text before the report: what a server's prefix cache can reuse."""
        messages = self.render(_SENTINEL, label_id=label_id)
        text = "\n".join(message["content"] for message in messages)
        return text.split(_SENTINEL, 1)[0]

    def describe(self) -> str:
        """A readable listing of the version (template, guidance per label, demos)."""
        parts = [f"# prompt {self.hash[:12]} ({self.template}, mode {self.mode}, "
                 f"{self.labelset})", "", f"## template {self.template}", self.template_text]
        for label_id, name in self.labels:
            parts += [f"## guidance {label_id} ({name})", self.guidance[label_id], ""]
        for number, demo in enumerate(self.demos, 1):
            parts += [f"## demo {number}", demo.report, demo.answer(self.label_ids), ""]
        return "\n".join(parts)


def diff_versions(old: PromptVersion, new: PromptVersion, *, context: int = 3) -> str:
    """A unified diff between two versions' readable listings (empty when equal)."""
    lines = difflib.unified_diff(
        old.describe().splitlines(keepends=True),
        new.describe().splitlines(keepends=True),
        fromfile=f"prompt {old.hash[:12]}",
        tofile=f"prompt {new.hash[:12]}",
        n=context,
    )
    return "".join(lines)
