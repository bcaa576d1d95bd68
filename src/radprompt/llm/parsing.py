"""Read a model's answer against the schema its prompt asked for.

The answer is one JSON object with a key per asked label and ``{"state", "evidence",
"attributes"}`` values; ``attributes`` (laterality, severity, size, location, temporal change,
device type, tip position, the rule engine's ``Attributes``) is read for present and uncertain
findings and may be left out or null: a malformed one is ignored, never re-asked.
``parse_answer`` accepts what models commonly wrap around it (a ``<think>`` block, a code fence,
a sentence before or after) and raises ``AnswerError`` with a message meant to be sent back to
the model when the object is missing, cut off, malformed or incomplete. An evidence quote is
located in the report (exactly, else ignoring case and spacing); a quote that is not in the
report is dropped from the finding and flagged, never trusted.

Example::

    >>> parsed = parse_answer('{"edema": {"state": "absent", "evidence": "no edema"}}',
    ...                       label_ids=["edema"], report_text="There is No  edema.")
    >>> parsed.states["edema"].state.value, parsed.states["edema"].evidence.text
    ('absent', 'No  edema')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from radprompt.findings import ATTRIBUTE_NAMES, Attributes, Evidence, Finding, State
from radprompt.languages import locate_unspaced
from radprompt.llm.calls import AnswerError, pick_json

__all__ = ["AnswerError", "EvidenceFlag", "ParsedAnswer", "answer_schema", "parse_answer",
           "read_findings"]

_STATES = {state.value: state for state in State} | {"not mentioned": State.NOT_MENTIONED}


@dataclass(frozen=True, slots=True)
class EvidenceFlag:
    """An evidence quote the model gave that is not in the report."""

    label_id: str
    quote: str

    def to_json(self) -> dict[str, str]:
        return {"label": self.label_id, "problem": "evidence not in report", "quote": self.quote}


@dataclass(frozen=True)
class ParsedAnswer:
    states: dict[str, Finding]
    flags: tuple[EvidenceFlag, ...] = ()


def answer_schema(label_ids: Sequence[str]) -> dict[str, Any]:
    """The JSON Schema of an answer for ``label_ids`` (for structured-output decoding)."""
    attributes = {
        "type": "object",
        "properties": {name: {"type": ["string", "null"]} for name in ATTRIBUTE_NAMES},
        "required": list(ATTRIBUTE_NAMES),
        "additionalProperties": False,
    }
    value = {
        "type": "object",
        "properties": {
            "state": {"type": "string", "enum": [state.value for state in State]},
            "evidence": {"type": ["string", "null"]},
            "attributes": {"anyOf": [attributes, {"type": "null"}]},
        },
        "required": ["state", "evidence", "attributes"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {label_id: value for label_id in label_ids},
        "required": list(label_ids),
        "additionalProperties": False,
    }


def json_object(text: str, *, cut_off: bool) -> dict[str, Any]:
    return pick_json(text, cut_off=cut_off, shorter="answer with a shorter evidence quote per "
                     "label")


def _key(text: str) -> str:
    return "_".join(text.lower().replace("-", " ").split())


def undrift(data: dict[str, Any], label_ids: Sequence[str]) -> dict[str, Any]:
    """The answer with the drift small models show without structured output undone: the
    object wrapped in one outer key (``{"findings": {...}}``) and label keys written as names
    ("Pleural Effusion", "PLEURAL_EFFUSION") instead of ids."""
    asked = set(label_ids)
    by_key = {_key(label_id): label_id for label_id in label_ids}
    if len(data) == 1 and not asked & set(data):
        ((outer, inner),) = data.items()
        # not a single label written by name ({"Cardiomegaly": {"state": ...}})
        if isinstance(inner, dict) and _key(str(outer)) not in by_key and "state" not in inner:
            data = inner
    renamed = {}
    for key, value in data.items():
        label_id = key if key in asked else by_key.get(_key(str(key)))
        if label_id is not None and label_id not in renamed:
            renamed[label_id] = value
    return renamed if renamed else data


def _attributes(value: Any) -> Attributes:
    """The answer's ``attributes`` object, keeping only string values (lenient by design)."""
    if not isinstance(value, dict):
        return Attributes()
    return Attributes.from_json({name: text for name, text in value.items()
                                 if isinstance(text, str)})


def _state(label_id: str, value: Any) -> tuple[State, Any]:
    evidence: Any = None
    if isinstance(value, dict):
        if "state" not in value:
            raise AnswerError(f'"{label_id}" has no "state"')
        evidence = value.get("evidence")
        value = value["state"]
    if not isinstance(value, str) or value.strip().lower() not in _STATES:
        allowed = ", ".join(state.value for state in State)
        raise AnswerError(f'"{label_id}": state {value!r} is not one of {allowed}')
    if evidence is not None and not isinstance(evidence, str):
        raise AnswerError(f'"{label_id}": evidence must be a string quote or null')
    return _STATES[value.strip().lower()], evidence


def locate_quote(quote: str, report_text: str) -> Evidence | None:
    """Find ``quote`` in the report: exactly, else ignoring case, spacing and outer quotes."""
    candidates = [quote, quote.strip().strip("\"'`").strip()]
    candidates.append(candidates[-1].rstrip(".;,"))
    for candidate in candidates:
        if candidate and (start := report_text.find(candidate)) >= 0:
            return Evidence(start, start + len(candidate), candidate)
    folded, offsets = _fold(report_text)
    for candidate in candidates[1:]:
        needle, _ = _fold(candidate)
        if needle.strip() and (at := folded.find(needle.strip())) >= 0:
            start, end = offsets[at], offsets[at + len(needle.strip()) - 1] + 1
            return Evidence(start, end, report_text[start:end])
    span = locate_unspaced(quote, report_text)  # Chinese: no spaces to rely on
    return None if span is None else Evidence(span[0], span[1], report_text[span[0]:span[1]])


def _fold(text: str) -> tuple[str, list[int]]:
    """Lower-case ``text`` with runs of whitespace as one space, and each char's offset."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        chars.append(char.lower())
        offsets.append(index)
    return "".join(chars), offsets


def parse_answer(
    text: str,
    *,
    label_ids: Sequence[str],
    report_text: str,
    cut_off: bool = False,
) -> ParsedAnswer:
    """Validate an answer for ``label_ids``; raise ``AnswerError`` saying what to fix.

    ``cut_off`` says the model stopped at its token limit (``finish_reason == "length"``).
    Keys the prompt did not ask for are ignored.
    """
    data = undrift(json_object(text, cut_off=cut_off), label_ids)
    missing = [label_id for label_id in label_ids if label_id not in data]
    if missing:
        raise AnswerError(f"the JSON object lacks key(s) {', '.join(missing)}; give every one "
                          f"of the {len(label_ids)} keys")
    return read_findings(data, label_ids=label_ids, report_text=report_text)


def read_findings(data: dict[str, Any], *, label_ids: Sequence[str],
                  report_text: str) -> ParsedAnswer:
    """The findings of the answer's entries for ``label_ids`` (those present in ``data``),
    each evidence quote located in the report or flagged."""
    states: dict[str, Finding] = {}
    flags: list[EvidenceFlag] = []
    for label_id in label_ids:
        if label_id not in data:
            continue
        state, quote = _state(label_id, data[label_id])
        attributes = Attributes()
        if state in (State.PRESENT, State.UNCERTAIN) and isinstance(data[label_id], dict):
            attributes = _attributes(data[label_id].get("attributes"))
        evidence = None
        if state is not State.NOT_MENTIONED and quote and quote.strip():
            evidence = locate_quote(quote, report_text)
            if evidence is None:
                flags.append(EvidenceFlag(label_id, quote))
        states[label_id] = Finding(state, evidence, attributes)
    return ParsedAnswer(states=states, flags=tuple(flags))
