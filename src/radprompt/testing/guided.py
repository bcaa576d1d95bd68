"""A fake model that follows the guidance it is sent, and revises guidance from error examples.

``GuidedAnswerer`` makes prompt optimization testable offline: a better prompt truly scores
better. For an extraction request it reads, in the system message, each asked label's section
(``## <label id> (...)`` up to the next heading) and the phrases of its ``Reported as: a; b.``
line (and ``Not this finding: ...`` exclusions), then answers like the rule engine would with
only those phrases: a finding the guidance does not name is not found.

For a revision request (the ``prompts/propose_revision.j2`` layout: ``<label id="...">``,
``<guidance>...</guidance>`` and ``<error kind="FN|FP" ...>sentence</error>`` lines) it plays a
reflective model that knows a ``vocabulary`` labelset: it adds to the ``Reported as:`` line each
vocabulary phrase of the label that occurs in a missed (FN) error sentence, and answers
``{"guidance": ..., "rationale": ...}``. That is the only place the fake "knows" more than the
prompt tells it, as a real model knows synonyms.

Example::

    >>> import json
    >>> from radprompt.labelset import load_labelset
    >>> labels = load_labelset("chestxray21")
    >>> answer = GuidedAnswerer(labelset=labels)([
    ...     {"role": "system", "content": "## pneumothorax (Pneumothorax)\\nReported as: ptx."},
    ...     {"role": "user", "content": "Small left ptx."}])
    >>> json.loads(answer)["pneumothorax"]
    {'state': 'present', 'evidence': 'Small left ptx.', 'attributes': {'laterality': 'left', \
'severity': 'small'}}
"""

from __future__ import annotations

import json
import re
from typing import Any

from radprompt.labelset import LabelSet
from radprompt.reports import Report
from radprompt.testing.fake_answers import answer_json

__all__ = ["REVISION_MARKER", "GuidedAnswerer"]

REVISION_MARKER = "<guidance>"
"""A conversation holding this string is a guidance-revision request."""

_SECTION = re.compile(r"^## ([a-z0-9_]+)\b[^\n]*\n(.*?)(?=^## |^Examples:|^Answer with|\Z)",
                      re.MULTILINE | re.DOTALL)
_REPORTED = re.compile(r"^Reported as:\s*(.*?)\.?\s*$", re.MULTILINE)
_EXCLUDED = re.compile(r"^Not this finding:\s*(.*?)\.?\s*$", re.MULTILINE)
_DSPY_OUTPUTS = "Your output fields are:"
_LABEL = re.compile(r'<label id="([a-z0-9_]+)"')
_GUIDANCE = re.compile(r"<guidance>\n?(.*?)\n?</guidance>", re.DOTALL)
_ERROR = re.compile(r'<error kind="(FN|FP)"[^>]*>(.*?)</error>', re.DOTALL)


def _split(line: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in line.split(";") if part.strip())


class GuidedAnswerer:
    """Answer extraction requests from the guidance in the prompt; revise guidance on request.

    ``vocabulary`` (default: ``labelset``) is what the reviser knows about each label's names.
    """

    def __init__(self, *, labelset: LabelSet, vocabulary: LabelSet | None = None) -> None:
        self.labelset = labelset
        self.vocabulary = vocabulary or labelset
        self._engines: dict[str, Any] = {}

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        text = "\n".join(str(m.get("content", "")) for m in messages)
        if REVISION_MARKER in text:
            return self.revise(text)
        if _DSPY_OUTPUTS in text:
            return self.fill_fields(text)
        return self.extract(messages)

    def fill_fields(self, text: str) -> str:
        """Answer a request in DSPy's chat layout (MIPROv2's own proposals): every output
        field filled, an asked-for instruction echoing the one given (the fake cannot write
        better instructions; MIPROv2 then chooses among demos)."""
        outputs = text.split(_DSPY_OUTPUTS, 1)[1].split("All interactions", 1)[0]
        parts = []
        for name in re.findall(r"^\d+\. `(\w+)`", outputs, re.MULTILINE):
            value = "none"
            if "instruction" in name:
                given = re.findall(r"\[\[ ## (\w*instruction\w*) ## \]\]\n(.*?)(?=\n\[\[ ## |\Z)",
                                   text, re.DOTALL)
                value = next((v.strip() for k, v in given if k != name and v.strip()
                              and not v.strip().startswith("{")), "Label the report.")
            parts.append(f"[[ ## {name} ## ]]\n{value}\n")
        return "\n".join([*parts, "[[ ## completed ## ]]"])

    # -- extraction ------------------------------------------------------------------------
    def _engine(self, system: str) -> tuple[Any, list[str]]:
        if system in self._engines:
            return self._engines[system]
        from radprompt.extractors.rules import RulesExtractor

        if len(self._engines) > 256:
            self._engines.clear()
        labelset, asked = self.labelset, []
        for label_id, body in _SECTION.findall(system):
            if label_id not in labelset.ids or labelset.get(label_id).derived is not None:
                continue
            asked.append(label_id)
            reported = _REPORTED.search(body)
            excluded = _EXCLUDED.search(body)
            phrases = _split(reported.group(1)) if reported else ()
            label = labelset.get(label_id).model_copy(update={
                "phrases": phrases or ("\x00never\x00",), "synonyms": (),
                "exclusions": _split(excluded.group(1)) if excluded else (),
            })
            labelset = labelset.with_label(label)
        entry = (RulesExtractor(labelset=labelset), asked)
        self._engines[system] = entry
        return entry

    def extract(self, messages: list[dict[str, Any]]) -> str:
        system = "\n".join(str(m.get("content", "")) for m in messages
                           if m.get("role") == "system")
        report = next((str(m.get("content", "")) for m in messages if m.get("role") == "user"),
                      "")
        report = report.removeprefix("Report:").strip()
        engine, asked = self._engine(system)
        findings = engine.extract_report(Report(id="fake", text=report))
        return answer_json(findings, asked, system=system)

    # -- revision --------------------------------------------------------------------------
    def revise(self, text: str) -> str:
        label_match, guidance_match = _LABEL.search(text), _GUIDANCE.search(text)
        if label_match is None or guidance_match is None:
            return json.dumps({"guidance": "", "rationale": "no label or guidance found"})
        label_id, guidance = label_match.group(1), guidance_match.group(1).strip()
        reported = _REPORTED.search(guidance)
        known = list(_split(reported.group(1))) if reported else []
        lowered = {phrase.lower() for phrase in known}
        missed = " ".join(sentence for kind, sentence in _ERROR.findall(text) if kind == "FN")
        added = []
        if label_id in self.vocabulary.ids:
            for phrase in self.vocabulary.get(label_id).mention_phrases:
                if phrase.lower() in lowered:
                    continue
                if re.search(rf"(?<!\w){re.escape(phrase)}s?(?!\w)", missed, re.IGNORECASE):
                    added.append(phrase)
                    lowered.add(phrase.lower())
        line = f"Reported as: {'; '.join([*known, *added])}."
        revised = (_REPORTED.sub(lambda _: line, guidance, count=1) if reported
                   else f"{guidance}\n{line}")
        return json.dumps({"guidance": revised,
                           "rationale": f"added {', '.join(added) or 'nothing'} from the "
                                        "missed reports"})
