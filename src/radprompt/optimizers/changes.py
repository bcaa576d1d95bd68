"""Change classes: what each change of a proposal does to the meaning of a label.

Every change is one of

* ``widening``: adds a phrase, synonym, cue, normal statement, demo or guidance sentence (the
  label fires on more wording, or reads more wording correctly);
* ``narrowing``: removes a phrase or a core term, adds an exclusion, changes an uncertainty
  policy or a definition, deletes guidance (the label means less than it did);
* ``setting``: scope, temperature, the number of demos ... (how the extractor runs).

The classes come from comparing the parent with the revised program (a labelset diff for the
rule engine, a guidance / demo diff for a prompt), so an edit that no revision kind names is
classed too. ``--auto-approve`` accepts widening and setting changes only.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.optimizers.program import Revision, RulesProgram
    >>> parent = RulesProgram(labelset=load_labelset("chestxray21"))
    >>> changes = classify_changes(parent=parent, revisions=[
    ...     Revision(kind="remove_phrase", label_id="lung_opacity", value="opacity")],
    ...     settings={})
    >>> [(c.change_class.value, c.core_term) for c in changes]
    [('narrowing', True)]
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from radprompt.labelset import Label, LabelSet
from radprompt.optimizers.program import Program, Revision, RulesProgram
from radprompt.runs.proposal import Change, ChangeClass

__all__ = ["Change", "ChangeClass", "classify_changes", "narrowing_reason"]


_EXCLUDING = frozenset({"exclusions", "pseudo", "termination"})
"""List fields whose additions narrow a label (and whose removals widen it): an exclusion, and
a pseudo-cue or scope terminator, which stop a negation or hedge from reading text it read
before ('without definite' as a pseudo-cue would read "without definite effusion" as present)."""
_SETTINGS = frozenset({"scope_tokens"})
_IGNORED = frozenset({"examples"})
"""Guard examples are never changed by the optimizer; an edit of them is not a change class."""


def classify_changes(*, parent: Program, revisions: Sequence[Revision],
                     settings: dict[str, Any], current_settings: dict[str, Any] | None = None,
                     ) -> list[Change]:
    """Classify what ``revisions`` and ``settings`` change relative to ``parent``.

    ``current_settings``: the parent's value of each searched setting (a setting equal to it
    is no change).
    """
    revised = parent.apply(revisions)
    if isinstance(parent, RulesProgram) and isinstance(revised, RulesProgram):
        changes = labelset_changes(parent.labelset, revised.labelset)
    else:
        changes = _prompt_changes(parent, revised)
    current = current_settings or {}
    for name, value in settings.items():
        if name in current and current[name] == value:
            continue
        changes.append(Change(ChangeClass.SETTING, f"setting {name} = {value}"))
    return changes


def narrowing_reason(changes: Iterable[Change]) -> str | None:
    """Why a proposal needs a reviewer under ``--auto-approve`` (None: it does not)."""
    narrowing = [c for c in changes if c.change_class is ChangeClass.NARROWING]
    if not narrowing:
        return None
    shown = "; ".join(c.description for c in narrowing[:4])
    more = f" and {len(narrowing) - 4} more" if len(narrowing) > 4 else ""
    return f"it narrows what labels mean ({shown}{more})"


# -- the rule engine: a labelset diff -------------------------------------------------------


def labelset_changes(before: LabelSet, after: LabelSet) -> list[Change]:
    """Classified differences between two versions of a labelset."""
    changes = _walk(before.model_dump(mode="json", exclude={"labels"}),
                    after.model_dump(mode="json", exclude={"labels"}), path=(), label=None)
    old = {label.id: label for label in before.labels}
    new = {label.id: label for label in after.labels}
    for label_id in old.keys() - new.keys():
        changes.append(Change(ChangeClass.NARROWING, f"{label_id}: label removed", label_id))
    for label_id in new.keys() - old.keys():
        changes.append(Change(ChangeClass.WIDENING, f"{label_id}: label added", label_id))
    for label_id in (k for k in old if k in new):
        changes += _walk(old[label_id].model_dump(mode="json"),
                         new[label_id].model_dump(mode="json"), path=(),
                         label=old[label_id])
    return changes


def _walk(before: Any, after: Any, *, path: tuple[str, ...], label: Label | None
          ) -> list[Change]:
    if before == after:
        return []
    name = path[-1] if path else ""
    if name in _IGNORED:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for key in dict.fromkeys([*before, *after]):
            changes += _walk(before.get(key), after.get(key), path=(*path, str(key)), label=label)
        return changes
    if isinstance(before, list | type(None)) and isinstance(after, list | type(None)) and \
            (before is not None or after is not None):
        return _list_changes(before or [], after or [], path=path, label=label)
    where = ".".join(path)
    target = f"{label.id}: " if label is not None else ""
    if name in _SETTINGS:
        return [Change(ChangeClass.SETTING, f"{target}{where} {before} -> {after}",
                       label.id if label else None)]
    return [Change(ChangeClass.NARROWING, f"{target}{where} changed ({before!r} -> {after!r})",
                   label.id if label else None)]


def _list_changes(before: list[Any], after: list[Any], *, path: tuple[str, ...],
                  label: Label | None) -> list[Change]:
    old = {_key(item): item for item in before}
    new = {_key(item): item for item in after}
    where = " ".join(path).replace("_", " ")
    target = f"{label.id}: " if label is not None else "all labels: "
    label_id = label.id if label is not None else None
    excluding = bool(path) and path[-1] in _EXCLUDING
    changes = []
    for key in new.keys() - old.keys():
        cls = ChangeClass.NARROWING if excluding else ChangeClass.WIDENING
        changes.append(Change(cls, f"{target}adds {where} {_show(new[key])}", label_id))
    for key in old.keys() - new.keys():
        cls = ChangeClass.WIDENING if excluding else ChangeClass.NARROWING
        core = not excluding and label is not None and _is_core_term(old[key], label)
        what = "core term" if core else where
        changes.append(Change(cls, f"{target}removes {what} {_show(old[key])}", label_id,
                              core_term=core))
    return sorted(changes, key=lambda c: c.description)


def _key(item: Any) -> str:
    return json.dumps(item, sort_keys=True) if not isinstance(item, str) else item


def _show(item: Any) -> str:
    return repr(item) if isinstance(item, str) else json.dumps(item, sort_keys=True)


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2}


def _is_core_term(item: Any, label: Label) -> bool:
    """A phrase made of words of the label's display name or id ('opacity', 'edema')."""
    if not isinstance(item, str):
        item = item.get("text", "") if isinstance(item, dict) else ""
    words = _words(item)
    return bool(words) and words <= (_words(label.name) | _words(label.id.replace("_", " ")))


# -- a prompt: guidance sentences and demos ---------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.;!?])\s+|\n+", text) if s.strip()]


def _prompt_changes(parent: Program, revised: Program) -> list[Change]:
    old, new = getattr(parent, "version", None), getattr(revised, "version", None)
    if old is None or new is None:
        return []
    changes: list[Change] = []
    for label_id, _name in new.labels:
        before = _sentences(old.guidance.get(label_id, ""))
        after = _sentences(new.guidance.get(label_id, ""))
        added = [s for s in after if s not in before]
        removed = [s for s in before if s not in after]
        if added:
            changes.append(Change(ChangeClass.WIDENING, f"{label_id}: adds guidance "
                                  f"{_quote(added)}", label_id))
        if removed:
            changes.append(Change(ChangeClass.NARROWING, f"{label_id}: deletes guidance "
                                  f"{_quote(removed)}", label_id))
    old_demos = {demo.report for demo in old.demos}
    new_demos = {demo.report for demo in new.demos}
    if new_demos - old_demos:
        changes.append(Change(ChangeClass.WIDENING,
                              f"adds {len(new_demos - old_demos)} demo(s)"))
    if old_demos - new_demos:
        changes.append(Change(ChangeClass.NARROWING,
                              f"removes {len(old_demos - new_demos)} demo(s)"))
    return changes


def _quote(sentences: list[str]) -> str:
    text = " ".join(sentences)
    return repr(text if len(text) <= 90 else text[:87] + "...")
