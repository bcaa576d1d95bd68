"""Runs inside the peers' venv (benchmarks/setup-peers.sh): negspacy or medspaCy ConText reading
reports with the vocabulary of a radprompt labelset.

    python _peers_worker.py --system negspacy --labelset chestxray21 -i REPORTS -o FINDINGS.jsonl
    python _peers_worker.py --versions            ->  JSON on stdout

Every word comes from the labelset, loaded with ``radprompt.labelset.load_labelset`` (the rule
engine's loader); the two peers share everything but the reading of cues:

- spaCy's blank English pipeline (tokenizer only, no trained model, nothing downloaded) and
  spaCy's rule-based sentencizer, ending sentences where radprompt does (``. ! ?`` and ``;``);
- mentions: each label's phrases and synonyms found with spaCy's PhraseMatcher as the rule
  engine reads them (case-insensitive, optional plural ``s`` / ``es``, a hyphen where the phrase
  has a space, ``*`` = up to three words; ``_peers_mentions.py``), less mentions inside one of
  the label's exclusions;
  a mention that is one of the label's ``uncertain_phrases`` is uncertain unless negated; a
  label with no mention but one of its ``normal_phrases`` is absent; a derived label (No Finding)
  is made negative by a mention of one of its ``other_findings`` that the peer does not negate;
- negspacy: its ``Negex`` with a termset of the labelset's cues (``negation_pre`` -> preceding,
  ``negation_post`` -> following, ``pseudo``, ``termination``). negspacy has no hedges, so
  ``uncertainty_*``, ``probable_*`` and ``bidirectional_uncertainty`` go unused;
- medspaCy: its ``ConText`` with one ``ConTextRule`` per cue: negation -> NEGATED_EXISTENCE,
  low-probability hedges (``uncertainty_*``, ``bidirectional_uncertainty``) ->
  POSSIBLE_EXISTENCE, high-probability hedges (``probable_*``) -> PROBABLE_EXISTENCE
  (pyConText's category), ``*_pre`` FORWARD, ``*_post`` BACKWARD, a cue in both BIDIRECTIONAL,
  ``pseudo`` PSEUDO, ``termination`` TERMINATE; a rule reaches to the end of its sentence
  (medspaCy's default), or with ``--scope labelset`` at most the labelset's ``scope_tokens``
  tokens (ConText counts punctuation as tokens, radprompt counts words);
- a label's own cues apply to that label only; each hedge strength gives the state the
  labelset's ``hedges`` convention says (per label if it has its own); a hedge wins over a
  negation (the labelset's "uncertainty wins"), a low-probability hedge over a high one.

Per label, present > uncertain > absent across mentions (``radprompt.findings.PRECEDENCE``)
and derived labels come from ``derive_labels``. Reports are read and findings written with
radprompt's reader and writer, so ids and texts are those ``radprompt extract`` sees.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from importlib.metadata import version
from typing import Any

from _peers_mentions import OTHER, MentionFinder

SENTENCE_ENDS = [";"]
"""Added to spaCy's sentencizer punctuation: radprompt ends a sentence at a semicolon too."""
NEGATION, POSSIBLE, PROBABLE = "negation", "possible", "probable"


def cue_phrases(cues: Any, name: str) -> list[str]:
    """One cue list of ``Cues``, lower-cased, without duplicates."""
    return list(dict.fromkeys(" ".join(p.lower().split()) for p in getattr(cues, name)
                              if p.strip()))


def cue_groups(labelset: Any) -> dict[str, tuple[Any, list[str]]]:
    """Span labels grouped by the cues they read (the labelset's, or merged with their own);
    findings outside the taxonomy read the labelset's, as in the rule engine."""
    groups: dict[str, tuple[Any, list[str]]] = {}
    for label in labelset.labels:
        cues = labelset.cues if label.derived is not None else labelset.cues_for(label)
        span_label = OTHER + label.id if label.derived is not None else label.id
        groups.setdefault(cues.model_dump_json(), (cues, []))[1].append(span_label)
    return groups


def layers(spans: Iterable[Any]) -> list[list[Any]]:
    """Split spans into layers of non-overlapping spans (``doc.ents`` cannot overlap)."""
    out: list[list[Any]] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        for layer in out:
            if layer[-1].end <= span.start:
                layer.append(span)
                break
        else:
            out.append([span])
    return out


Reader = Callable[[Any, list[Any]], list[set[str]]]
"""Reads a doc's spans: for each, the kinds of cue that reach it (negation / possible /
probable)."""


def negspacy_reader(nlp: Any, labelset: Any, *, scope: str) -> Reader:
    if scope != "sentence":
        raise ValueError("negspacy has no scope setting: a cue reaches to the end of its "
                         "sentence or a termination word")
    from negspacy.negation import Negex

    negexes: list[tuple[Any, set[str]]] = []
    for index, (cues, span_labels) in enumerate(cue_groups(labelset).values()):
        termset = {
            "pseudo_negations": cue_phrases(cues, "pseudo"),
            "preceding_negations": cue_phrases(cues, "negation_pre"),
            "following_negations": cue_phrases(cues, "negation_post"),
            "termination": cue_phrases(cues, "termination"),
        }
        negex = Negex(nlp, f"negex_{index}", termset, span_labels, "negex", [])
        negexes.append((negex, set(span_labels)))

    def read(doc: Any, spans: list[Any]) -> list[set[str]]:
        # Negex reads doc.ents, which cannot overlap: hand it the mentions layer by layer
        for layer in layers(spans):
            doc.ents = layer
            labels = {span.label_ for span in layer}
            for negex, span_labels in negexes:
                if labels & span_labels:
                    negex(doc)
        doc.ents = []
        return [{NEGATION} if span._.negex else set() for span in spans]

    return read


CONTEXT_CATEGORIES = {NEGATION: "NEGATED_EXISTENCE", POSSIBLE: "POSSIBLE_EXISTENCE",
                      PROBABLE: "PROBABLE_EXISTENCE"}
CUE_KINDS = {category: kind for kind, category in CONTEXT_CATEGORIES.items()}
CUE_KINDS["HYPOTHETICAL"] = POSSIBLE


def context_rules(cues: Any, *, allowed: set[str] | None, skip: set[tuple[str, str]],
                  max_scope: int | None) -> list[Any]:
    """medspaCy ConText rules for ``cues`` (leaving out ``(literal, category)`` in ``skip``)."""
    from medspacy.context import ConTextRule

    rules = []

    def add(literal: str, category: str, direction: str) -> None:
        if (literal, category) not in skip:
            skip.add((literal, category))
            rules.append(ConTextRule(literal, category, direction=direction,
                                     max_scope=max_scope, allowed_types=allowed))

    for prefix, kind in (("negation", NEGATION), ("uncertainty", POSSIBLE),
                         ("probable", PROBABLE)):
        before = cue_phrases(cues, f"{prefix}_pre")
        after = cue_phrases(cues, f"{prefix}_post")
        for literal in before:
            add(literal, CONTEXT_CATEGORIES[kind], "BIDIRECTIONAL" if literal in after
                else "FORWARD")
        for literal in after:
            add(literal, CONTEXT_CATEGORIES[kind], "BACKWARD")
    for literal in cue_phrases(cues, "bidirectional_uncertainty"):
        add(literal, CONTEXT_CATEGORIES[POSSIBLE], "BIDIRECTIONAL")
    for literal in cue_phrases(cues, "pseudo"):
        add(literal, "PSEUDO", "PSEUDO")
    for literal in cue_phrases(cues, "termination"):
        add(literal, "TERMINATE", "TERMINATE")
    return rules


def medspacy_reader(nlp: Any, labelset: Any, *, scope: str) -> Reader:
    from medspacy.context import ConText

    if scope not in ("sentence", "labelset"):
        raise ValueError(f"unknown scope {scope!r}; known: sentence, labelset")
    context = ConText(nlp, rules=None, input_span_type="group", span_group_name="mentions")
    shared: set[tuple[str, str]] = set()

    def rules(cues: Any, allowed: set[str] | None, skip: set[tuple[str, str]]) -> list[Any]:
        max_scope = cues.scope_tokens if scope == "labelset" else None
        return context_rules(cues, allowed=allowed, skip=skip, max_scope=max_scope)

    context.add(rules(labelset.cues, None, shared))
    for cues, span_labels in cue_groups(labelset).values():
        if cues != labelset.cues:  # a label's own cues: only for that label
            context.add(rules(cues, set(span_labels), set(shared)))

    def read(doc: Any, spans: list[Any]) -> list[set[str]]:
        doc.spans["mentions"] = spans
        context(doc)
        return [{CUE_KINDS[m.category] for m in span._.modifiers if m.category in CUE_KINDS}
                for span in spans]

    return read


READERS = {"negspacy": negspacy_reader, "medspacy": medspacy_reader}


def mention_state(kinds: set[str], *, base: str, hedges: Any) -> str:
    """A mention's state from the kinds of cue that reach it (see the module's docstring)."""
    for kind in (POSSIBLE, PROBABLE):
        if kind in kinds:
            return str(getattr(hedges, kind)) if base == "present" else base
    return "absent" if NEGATION in kinds else base


class PeerReader:
    """One peer reading reports: mentions, their states, normal statements, derived labels."""

    def __init__(self, *, system: str, nlp: Any, labelset: Any, scope: str) -> None:
        from radprompt.findings import PRECEDENCE

        self.labelset = labelset
        self.find = MentionFinder(nlp, labelset)
        self.read = READERS[system](nlp, labelset, scope=scope)
        self.rank = {state: index for index, state in enumerate(PRECEDENCE)}
        self.hedges = {label.id: labelset.hedges_for(label) for label in labelset.labels}

    def __call__(self, report_id: str, doc: Any) -> Any:
        from radprompt.findings import Evidence, Finding, Findings, State, derive_labels

        mentions = self.find(doc)
        states: dict[str, Any] = {}
        uncancelled: set[str] = set()
        for span, base, kinds in zip(mentions.spans, mentions.bases,
                                     self.read(doc, mentions.spans), strict=True):
            label_id = span.label_.removeprefix(OTHER)
            state = State(mention_state(kinds, base=base, hedges=self.hedges[label_id]))
            if span.label_.startswith(OTHER):
                if state is not State.ABSENT:
                    uncancelled.add(label_id)
                continue
            best = states.get(label_id)
            if best is None or self.rank[state] < self.rank[best.state]:
                states[label_id] = Finding(state, Evidence(span.start_char, span.end_char,
                                                           span.text))
        for label_id in mentions.normals - set(states):
            states[label_id] = Finding(State.ABSENT)
        findings = derive_labels(Findings(report_id, states), self.labelset)
        cancelled = {i: Finding(State.ABSENT) for i in uncancelled
                     if findings.state(i) is State.PRESENT}
        return Findings(report_id, {**findings.states, **cancelled}) if cancelled else findings


def extract(*, system: str, labelset_name: str, input_path: str, output: str,
            input_format: str, scope: str) -> int:
    import spacy
    from spacy.pipeline import Sentencizer

    from radprompt.labelset import load_labelset
    from radprompt.reports import read_dataset, write_findings

    labelset = load_labelset(labelset_name)
    dataset = read_dataset(input_path, labelset=labelset, format=input_format)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer",
                 config={"punct_chars": [*Sentencizer.default_punct_chars, *SENTENCE_ENDS]})
    reader = PeerReader(system=system, nlp=nlp, labelset=labelset, scope=scope)
    docs = nlp.pipe((report.text for report in dataset.reports), batch_size=256)
    results = [reader(report.id, doc) for report, doc in zip(dataset.reports, docs, strict=True)]
    write_findings(output, results, labelset=labelset)
    sys.stderr.write(f"{system}: {len(results)} reports, {len(dataset.problems)} unusable rows\n")
    return 0


def versions() -> dict[str, str]:
    return {name: version(name) for name in ("spacy", "negspacy", "medspacy", "pydantic")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", choices=sorted(READERS))
    parser.add_argument("--labelset", default="chestxray21")
    parser.add_argument("--input", "-i")
    parser.add_argument("--output", "-o")
    parser.add_argument("--format", default="auto")
    parser.add_argument("--scope", default="sentence", choices=["sentence", "labelset"],
                        help="medspaCy: how far a cue reaches")
    parser.add_argument("--versions", action="store_true", help="print package versions, exit")
    args = parser.parse_args()
    if args.versions:
        sys.stdout.write(json.dumps(versions()) + "\n")
        return 0
    if not (args.system and args.input and args.output):
        parser.error("--system, --input and --output are required")
    return extract(system=args.system, labelset_name=args.labelset, input_path=args.input,
                   output=args.output, input_format=args.format, scope=args.scope)


if __name__ == "__main__":
    raise SystemExit(main())
