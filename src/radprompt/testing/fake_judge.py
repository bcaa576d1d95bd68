"""A fake model that answers the clinical-significance prompts, for offline tests and demos.

``RulesJudgeAnswerer`` plugs into ``radprompt.testing.FakeOpenAIServer``: it recognises which
prompt it was sent (one-pass verdict, two-pass difference list, two-pass difference verdict)
by the JSON keys the system message asks for, reads the two reports from the ``<reference>``
and ``<candidate>`` tags, compares their findings with ``FindingFeatures`` and answers in the
asked JSON shape. It knows nothing else about the templates, so edited templates keep working
as long as they keep those keys and tags. It is a test double, not an evaluator: its verdicts
are the rule engine's.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> answer = RulesJudgeAnswerer(labelset=load_labelset("chestxray21"))([
    ...     {"role": "system", "content": 'Answer ... "significant_error": true | false ...'},
    ...     {"role": "user", "content": "<reference>\\nLeft effusion.\\n</reference>\\n"
    ...                                 "<candidate>\\nRight effusion.\\n</candidate>"}])
    >>> json.loads(answer)["error_type"]
    'laterality_swap'

From a shell (prints ``READY <base url>``; stops when stdin closes)::

    python -m radprompt.testing.fake_judge --latency 0.01
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from radprompt.labelset import LabelSet

__all__ = ["RulesJudgeAnswerer"]

SIGNIFICANT_FEATURES = {
    "added_findings": "false_finding",
    "removed_findings": "omitted_finding",
    "negation_flips": "negation_flip",
    "laterality_mismatches": "laterality_swap",
    "severity_mismatch": "severity_change",
    "measurement_mismatch": "wrong_measurement",
    "device_position_mismatches": "device_malposition",
}
"""Features the fake calls significant, and the error type it names for each."""


def _tag(text: str, name: str) -> str:
    match = re.search(rf"<{name}>\s*(.*?)\s*</{name}>", text, re.DOTALL)
    return match.group(1) if match else ""


class RulesJudgeAnswerer:
    """Answer the significance prompts from the rule engine's findings (built lazily)."""

    def __init__(self, *, labelset: LabelSet) -> None:
        self.labelset = labelset
        self._features: Any = None

    def _differences(self, reference: str, candidate: str) -> list[tuple[str, float]]:
        from radprompt.significance.features import AGGREGATE_FEATURES, FindingFeatures

        if self._features is None:
            self._features = FindingFeatures(labelset=self.labelset)
        row = self._features.pair_features(reference=reference, candidate=candidate)
        found = [(name, row[name]) for name in AGGREGATE_FEATURES if row[name]]
        if not found and " ".join(reference.split()) != " ".join(candidate.split()):
            found.append(("wording", 1.0))
        return found

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        system = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
        user = next((str(m.get("content", "")) for m in messages if m.get("role") == "user"), "")
        reference, candidate = _tag(user, "reference"), _tag(user, "candidate")
        if '"clinically_significant"' in system:
            description = _tag(user, "difference")
            kind = description.rsplit("description:", 1)[-1].strip().split(":", 1)[0]
            error = SIGNIFICANT_FEATURES.get(kind)
            return json.dumps({"reasoning": f"{kind} difference",
                               "clinically_significant": error is not None,
                               "error_type": error or "none"})
        differences = self._differences(reference, candidate)
        if '"differences": [' in system:
            return json.dumps({"differences": [
                {"reference": None, "candidate": None, "description": f"{name}: {value:g}"}
                for name, value in differences]})
        errors = [SIGNIFICANT_FEATURES[name] for name, _ in differences
                  if name in SIGNIFICANT_FEATURES]
        return json.dumps({"differences": ", ".join(name for name, _ in differences) or "none",
                           "significant_error": bool(errors),
                           "error_type": errors[0] if errors else "none"})


def main(argv: list[str] | None = None) -> None:
    """Serve the fake judge on loopback until stdin closes."""
    import argparse

    from radprompt.labelset import load_labelset
    from radprompt.testing import FakeOpenAIServer

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument("--labelset", default="chestxray21")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    answerer = RulesJudgeAnswerer(labelset=load_labelset(args.labelset))
    with FakeOpenAIServer(answerer=answerer, latency=args.latency, port=args.port) as server:
        sys.stdout.write(f"READY {server.base_url}\n")
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    main()
