"""The compact answer (``mode: mentioned``) and the answer-size bound of every mode.

In ``mentioned`` mode one request asks for every label, and the answer lists only the labels
the report mentions, each as ``{"state", "evidence"}`` (no attributes); a label left out is not
mentioned. A chest X-ray report mentions a handful of the 21 labels, so the answer is a few
dozen tokens instead of the ~800 of a full all-labels answer: what makes a small model on a CPU
(SmolLM2 on llama.cpp, ~12 tokens/s) usable at all. Its JSON Schema has no required keys, so
structured-output decoding (vLLM, llama.cpp's grammar, Ollama) keeps the answer to the asked
ids and states; OpenAI's strict structured outputs want every key required: use ``mode: all``
there.

``answer_token_cap`` bounds what a schema-following answer can take, from the schema's size
(keys, the fixed text of each entry, an evidence quote of at most ``EVIDENCE_TOKENS`` and never
longer than the report; the compact schema also caps a quote at ``EVIDENCE_CHARS``); a
recipe's ``max_tokens`` is lowered to it when structured output is on
(without it a model may think or wrap the JSON in prose, so nothing is bounded).

Example::

    >>> parsed = parse_mentioned('{"edema": {"state": "absent", "evidence": "No edema"}}',
    ...                          label_ids=["edema", "pneumothorax"],
    ...                          report_text="No edema.")
    >>> {label: finding.state.value for label, finding in parsed.states.items()}
    {'edema': 'absent'}
    >>> answer_token_cap(label_ids=["edema"], mode="mentioned", report_text="No edema.")
    47
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from radprompt.findings import State
from radprompt.llm.calls import AnswerError
from radprompt.llm.parsing import ParsedAnswer, json_object, read_findings, undrift

__all__ = ["EVIDENCE_CHARS", "EVIDENCE_TOKENS", "answer_token_cap", "mentioned_schema",
           "parse_mentioned"]

EVIDENCE_CHARS = 200
"""The longest evidence quote the compact schema allows ("the shortest passage"): a small
model under a grammar can otherwise write one string until ``max_tokens``."""
EVIDENCE_TOKENS = 48
"""Tokens allowed for one evidence quote (``EVIDENCE_CHARS`` at about 4 characters a token)."""
_ENTRY_TOKENS = {"mentioned": 16, "all": 64, "label": 64}
"""The fixed text of one label's entry: key quotes, field names, state, punctuation (``all``
and ``label`` add the seven attribute keys)."""
_LAYOUT_TOKENS = 8
"""Per entry: the new lines and indentation a pretty-printing model adds."""
_ANSWER_TOKENS = 16
"""The braces around the answer and the end-of-turn token."""
_LIST_KEYS = ("label", "id", "finding", "name")


def mentioned_schema(label_ids: Sequence[str]) -> dict[str, Any]:
    """The JSON Schema of a compact answer: any of ``label_ids`` as keys, none required."""
    value = {
        "type": "object",
        "properties": {
            "state": {"type": "string",
                      "enum": [state.value for state in State
                               if state is not State.NOT_MENTIONED]},
            "evidence": {"type": "string", "maxLength": EVIDENCE_CHARS},
        },
        "required": ["state", "evidence"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {label_id: value for label_id in label_ids},
        "additionalProperties": False,
    }


def _from_list(data: dict[str, Any]) -> dict[str, Any]:
    """``{"findings": [{"label": id, "state": ...}, ...]}`` (a list some models write) as
    ``{id: {...}}``; anything else as it is."""
    if len(data) != 1:
        return data
    (entries,) = data.values()
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        return data
    keyed: dict[str, Any] = {}
    for entry in entries:
        key = next((entry[name] for name in _LIST_KEYS if isinstance(entry.get(name), str)), None)
        if key is not None:
            keyed[key] = entry
    return keyed


def parse_mentioned(text: str, *, label_ids: Sequence[str], report_text: str,
                    cut_off: bool = False) -> ParsedAnswer:
    """Read a compact answer; ``AnswerError`` saying what to fix when it is not one.

    ``{}`` is a valid answer (the report mentions none of the labels). Keys that are not
    asked ids are ignored, unless no key is one (then the model used other keys).
    """
    data = json_object(text, cut_off=cut_off)
    if not data:
        return ParsedAnswer(states={})
    data = undrift(_from_list(data), label_ids)
    if data and not set(label_ids) & set(data):
        shown = ", ".join(sorted(map(str, data))[:5])
        raise AnswerError(f"the keys ({shown}) are not finding ids; use only ids from the list: "
                          f"{', '.join(label_ids)}")
    return read_findings(data, label_ids=label_ids, report_text=report_text)


def answer_token_cap(*, label_ids: Sequence[str], mode: str, report_text: str) -> int:
    """The most tokens a schema-following answer for ``label_ids`` in ``mode`` needs."""
    evidence = min(EVIDENCE_TOKENS, len(report_text) // 3 + 1)  # a quote is never longer
    entry = _ENTRY_TOKENS.get(mode, _ENTRY_TOKENS["all"]) + _LAYOUT_TOKENS + evidence
    keys = sum(len(label_id) // 3 + 2 for label_id in label_ids)
    return _ANSWER_TOKENS + keys + entry * len(label_ids)
