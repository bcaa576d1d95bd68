"""Guard examples: sentences a label must read in a given state, written by the labelset authors.

They are the labelset's unit tests (``radprompt labelsets test``). They live in
``labelsets/examples/<labelset name>/*.yaml``, each file a mapping from label id to a list of
examples, and are merged into the labels when a labelset is loaded::

    pleural_effusion:
      - {text: "Small left pleural effusion.", state: present}
      - {text: "No pericardial effusion.", state: not_mentioned, note: "look-alike"}

A labelset file whose labels carry ``examples:`` inline (an optimized version dumped by the
optimizer) is self-contained: no example files are merged into it.

Example::

    >>> from radprompt.guard_examples import GuardExample
    >>> GuardExample(text="No pneumothorax.", state="absent").state
    'absent'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from radprompt.errors import InputError, validation_problem
from radprompt.resources import resource_roots

__all__ = ["GUARD_STATES", "GuardExample", "examples_directory", "merge_example_files"]

GUARD_STATES = ("present", "absent", "uncertain", "not_mentioned")
"""The states an example may expect (the values of ``radprompt.findings.State``)."""

EXAMPLES_FOLDER = "examples"


class GuardExample(BaseModel):
    """One sentence (or short report) and the state its label must come out in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    state: str
    lang: str = "en"
    note: str = ""

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("an example needs a non-empty text")
        return value

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        if value not in GUARD_STATES:
            raise ValueError(f"unknown state {value!r}; known: {', '.join(GUARD_STATES)}")
        return value


def examples_directory(*, labelset_path: Path, name: str) -> Path | None:
    """Where a labelset's example files are: ``examples/<name>/`` beside the labelset file,
    else ``labelsets/examples/<name>/`` in the first resource root that has it."""
    candidates = [labelset_path.parent / EXAMPLES_FOLDER / name]
    candidates += [root / "labelsets" / EXAMPLES_FOLDER / name for root in resource_roots()]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


def merge_example_files(
    data: dict[str, Any], *, labelset_path: Path, read: Callable[[Path], Any]
) -> dict[str, Any]:
    """Return labelset ``data`` (a raw YAML mapping) with its example files merged in.

    ``read`` reads one YAML file (``radprompt.labelset.read_yaml``). Data whose labels already
    carry inline examples, or that has no usable ``name`` / ``labels``, is returned unchanged.
    """
    labels = data.get("labels")
    name = data.get("name")
    if not isinstance(name, str) or not isinstance(labels, list):
        return data
    if any(isinstance(label, dict) and "examples" in label for label in labels):
        return data
    directory = examples_directory(labelset_path=labelset_path, name=name)
    if directory is None:
        return data
    ids = [label.get("id") for label in labels if isinstance(label, dict)]
    collected: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.yaml")):
        for label_id, examples in _read_file(path, read=read, ids=ids, labelset=name).items():
            _add(collected.setdefault(label_id, []), examples, path=path, label_id=label_id)
    merged = [
        {**label, "examples": collected[label["id"]]}
        if isinstance(label, dict) and label.get("id") in collected else label
        for label in labels
    ]
    return {**data, "labels": merged}


def _read_file(
    path: Path, *, read: Callable[[Path], Any], ids: list[Any], labelset: str
) -> dict[str, list[dict[str, Any]]]:
    content = read(path)
    if not isinstance(content, dict):
        raise InputError(path, "an examples file maps label ids to lists of "
                         "{text, state, note} entries")
    found: dict[str, list[dict[str, Any]]] = {}
    for label_id, entries in content.items():
        if label_id not in ids:
            raise InputError(path, f"unknown label id {label_id!r}; labelset {labelset!r} has: "
                             f"{', '.join(str(i) for i in ids)}", where=str(label_id))
        if not isinstance(entries, list):
            raise InputError(path, "expected a list of examples", where=str(label_id))
        found[label_id] = [_parse_entry(entry, path=path, where=f"{label_id}[{index}]")
                           for index, entry in enumerate(entries)]
    return found


def _parse_entry(entry: Any, *, path: Path, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise InputError(path, "an example is a mapping with 'text' and 'state'", where=where)
    try:
        example = GuardExample.model_validate(entry)
    except ValidationError as exc:
        key, problem = validation_problem(exc)
        raise InputError(path, problem, where=f"{where}.{key}" if key else where) from exc
    return example.model_dump(exclude_defaults=True)


def _add(
    target: list[dict[str, Any]], examples: list[dict[str, Any]], *, path: Path, label_id: str
) -> None:
    """Append examples, dropping exact repeats; the same text with another state is an error."""
    states = {(item["text"], item.get("lang", "en")): item["state"] for item in target}
    for example in examples:
        key = (example["text"], example.get("lang", "en"))
        if key in states:
            if states[key] != example["state"]:
                raise InputError(path, f"example {example['text']!r} is given as both "
                                 f"{states[key]!r} and {example['state']!r}", where=label_id)
            continue
        states[key] = example["state"]
        target.append(example)
