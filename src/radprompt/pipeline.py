"""Library calls behind the CLI verbs ``extract``, ``score`` and ``bench rules``.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.pipeline import build_extractor, extract_dataset
    >>> from radprompt.reports import read_dataset
    >>> ls = load_labelset("chestxray21")
    >>> data = read_dataset("experiments/demo/dev.jsonl", labelset=ls)
    >>> run = extract_dataset(data, extractor=build_extractor("rules", labelset=ls))
    >>> len(run.findings) == len(data.reports)
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radprompt.engines import (
    Engine,
    InProcessEngine,
    JsonlLines,
    is_failure_record,
    result_from_record,
)
from radprompt.errors import InputError, RowError
from radprompt.extractors.base import (
    ExtractionFailure,
    ExtractionResult,
    Extractor,
    ProgressCallback,
)
from radprompt.extractors.registry import EXTRACTOR_KINDS, build_extractor
from radprompt.extractors.rules import RulesExtractor
from radprompt.findings import Findings
from radprompt.journal import FindingsJournal
from radprompt.labelset import LabelSet, UncertaintyPolicy
from radprompt.reports import Dataset, Report, read_dataset

if TYPE_CHECKING:
    from radprompt.bundles import Bundle
    from radprompt.llm import Usage
    from radprompt.scoring import ScoreReport

__all__ = [
    "EXTRACTOR_KINDS",
    "BenchResult",
    "ChosenExtractor",
    "ExtractionRun",
    "RecordedRun",
    "bench_rules",
    "build_extractor",
    "choose_extractor",
    "extract_dataset",
    "extract_records",
    "extractor_fingerprint",
    "score_files",
]


@dataclass(frozen=True)
class ChosenExtractor:
    """The extractor a command asked for, the labelset its findings carry (a bundle's own,
    when it has one), the verified bundle it came from, and notes for the user."""

    extractor: Extractor
    labelset: LabelSet
    bundle: Bundle | None = None
    notes: tuple[str, ...] = ()


def choose_extractor(
    *,
    labelset: LabelSet,
    extractor: str | Path | None = None,
    bundle: str | Path | None = None,
    bundle_key: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ChosenExtractor:
    """The extractor a command asks for: a verified ``bundle`` (with ``bundle_key``, its
    signature is checked), an ``extractor`` recipe, or with neither the rule engine, or an LLM
    described by ``overrides`` alone when they name a ``model``. ``overrides`` are LLM
    settings from the command line (``None`` values are ignored); the rule engine takes none.
    """
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    if bundle is not None:
        if extractor or "model" in given:
            raise InputError(bundle, "--bundle fixes the extractor; drop --extractor / --model")
        # loaded only when a bundle is given: its signing and formats cost an import
        from radprompt.bundles import bundle_labelset, load_bundle, open_bundle, read_key

        key = read_key(Path(bundle_key)) if bundle_key is not None else None
        labels = bundle_labelset(load_bundle(bundle, key=key)) or labelset
        opened = open_bundle(bundle, labelset=labels, overrides=given, key=key)
        return ChosenExtractor(opened.extractor, labels, opened.bundle, opened.notes)
    if extractor is None and "model" not in given:
        extractor = "rules"
    if extractor == "rules" and given:
        option = next(iter(given)).replace("_", "-")
        raise InputError("--extractor", f"--{option} is an LLM option; drop it, or give an LLM "
                         "recipe with --extractor (or --model without --extractor rules)")
    return ChosenExtractor(build_extractor(extractor, labelset=labelset, overrides=given),
                           labelset)


@dataclass
class ExtractionRun:
    """Findings and failures in input order; ``resumed`` reports came from the journal;
    ``usage`` holds an LLM extractor's requests, tokens and cost."""

    findings: list[Findings] = field(default_factory=list)
    failures: list[ExtractionFailure] = field(default_factory=list)
    problems: list[RowError] = field(default_factory=list)
    resumed: int = 0
    usage: Usage | None = None


def extractor_fingerprint(extractor: Extractor, *, labelset: LabelSet) -> str:
    """What decides an extractor's output (``Extractor.fingerprint``)."""
    return extractor.fingerprint(labelset=labelset)


def extract_dataset(
    dataset: Dataset,
    *,
    extractor: Extractor,
    progress: ProgressCallback | None = None,
    journal: FindingsJournal | None = None,
    engine: Engine | None = None,
) -> ExtractionRun:
    """Extract findings for every usable report; carry the dataset's row problems along.

    With a ``journal``, reports it already holds are not extracted again, and each finished
    report is appended to it at once, so a killed run continues where it stopped. ``engine``
    says where extraction runs (default: this process; see ``radprompt.engines``).
    """
    run = ExtractionRun(problems=list(dataset.problems))
    texts = {report.id: report.text for report in dataset.reports}
    # Only findings extracted from the very same report text are reused.
    done = journal.done(texts=texts) if journal else {}
    run.resumed = len(done)
    if done and progress is not None:
        progress(len(done))
    todo = [report for report in dataset.reports if report.id not in done]
    new: dict[str, ExtractionResult] = {}

    def keep(result: ExtractionResult) -> None:
        new[result.report_id] = result
        if journal is not None:
            journal.record(result, text=texts.get(result.report_id))

    with journal if journal is not None else nullcontext():
        (engine or InProcessEngine()).run(todo, extractor=extractor, on_result=keep,
                                          progress=progress)
    for report in dataset.reports:
        result = done.get(report.id) or new.get(report.id)
        if isinstance(result, ExtractionFailure):
            run.failures.append(result)
        elif result is not None:
            run.findings.append(result)
    run.usage = getattr(engine, "usage_", None) or extractor.usage_  # Ray sums its workers'
    run.resumed += getattr(engine, "resumed_", 0)
    return run


@dataclass
class RecordedRun:
    """``extract_records``' findings as records (their lines of the JSONL findings format, see
    ``radprompt.engines``) in input order, its failures and the dataset's row problems."""

    records: list[str] = field(default_factory=list)
    failures: list[ExtractionFailure] = field(default_factory=list)
    problems: list[RowError] = field(default_factory=list)
    resumed: int = 0
    usage: Usage | None = None
    streamed: int = 0
    """Records handed to ``extract_records``' ``stream`` (not kept in ``records``)."""


def extract_records(
    dataset: Dataset | JsonlLines,
    *,
    extractor: Extractor,
    progress: ProgressCallback | None = None,
    engine: Engine | None = None,
    stream: Callable[[Sequence[str]], None] | None = None,
) -> RecordedRun:
    """``extract_dataset`` without a journal, for the rule engine: the findings stay records,
    as worker processes hand them back and ``outputs.write_records`` writes them, instead of
    being rebuilt as objects only to be written out again (about 40% of the cost of
    extracting them). A JSONL input's lines (``engines.jsonl_lines``) are read by the worker
    processes of an engine that can (``ProcessPoolEngine.run_jsonl``), else here. ``stream``
    takes the findings' records as they come, in input order, instead of ``run.records`` (an
    ``outputs.RecordsWriter``)."""
    if isinstance(dataset, JsonlLines) and not hasattr(engine, "run_jsonl"):
        dataset = dataset.read(0, len(dataset.lines), seen={})
    run = RecordedRun(problems=[] if isinstance(dataset, JsonlLines) else list(dataset.problems))

    def keep(records: Sequence[str]) -> None:
        found = run.records if stream is None else []
        for record in records:
            result = result_from_record(record) if is_failure_record(record) else None
            if isinstance(result, ExtractionFailure):
                run.failures.append(result)
            else:
                found.append(record)
        if stream is not None:
            stream(found)
            run.streamed += len(found)

    if isinstance(dataset, JsonlLines):
        run.problems = engine.run_jsonl(  # type: ignore[union-attr]
            dataset, extractor=extractor, on_records=keep, progress=progress)
    else:
        (engine or InProcessEngine()).run_records(dataset.reports, extractor=extractor,
                                                  on_records=keep, progress=progress)
    run.usage = getattr(engine, "usage_", None) or extractor.usage_
    run.resumed = getattr(engine, "resumed_", 0)
    return run


@dataclass
class ScoredFiles:
    report: ScoreReport
    problems: list[RowError]


def score_files(
    *,
    predictions: str | Path,
    references: str | Path,
    labelset: LabelSet,
    reference_format: str = "auto",
    uncertain_as: UncertaintyPolicy | None = None,
) -> ScoredFiles:
    """Score a predictions file against a reference file (any format ``read_dataset`` reads)."""
    from radprompt.scoring import score  # not on the extract path

    predicted = read_dataset(predictions, labelset=labelset, require_text=False)
    reference = read_dataset(
        references, labelset=labelset, format=reference_format, require_text=False
    )
    if not reference.has_labels:
        raise InputError(references, "the reference file has no label columns")
    if not predicted.has_labels:
        raise InputError(predictions, "the predictions file has no findings")
    problems = [*predicted.problems, *reference.problems, *_unmatched(predicted, reference)]
    report = score(
        predictions=predicted.references,
        references=reference.references,
        labelset=labelset,
        labels=reference.covered_labels,
        uncertain_as=uncertain_as or reference.uncertain_as,
    )
    return ScoredFiles(report=report, problems=problems)


def _unmatched(predicted: Dataset, reference: Dataset) -> list[RowError]:
    """Prediction ids without a reference (listed, never dropped silently); no id in common,
    or references that are all blank, leave nothing to score."""
    common = set(predicted.references) & set(reference.references)
    if not common:
        example = next(iter(predicted.references)), next(iter(reference.references))
        raise InputError(predicted.path, f"no report id in common with {reference.path} (e.g. "
                         f"prediction {example[0]!r}, reference {example[1]!r}); nothing to score")
    if not any(findings.states for findings in reference.references.values()):
        raise InputError(reference.path, "every reference label is blank (not mentioned); "
                         "there is nothing to score against")
    return [RowError(predicted.path, number, "no reference report with this id (left out of "
                     "the scores)", report_id=report_id)
            for number, report_id in enumerate(predicted.references, 1)
            if report_id not in reference.references]


@dataclass(frozen=True)
class BenchResult:
    reports: int
    seconds: float
    source: str
    cpu_seconds: float = 0.0
    """CPU time of the same pass (this process); steadier than wall time on a shared machine."""

    @property
    def reports_per_second(self) -> float:
        return self.reports / self.seconds if self.seconds else float("inf")

    @property
    def reports_per_cpu_second(self) -> float:
        return self.reports / self.cpu_seconds if self.cpu_seconds else float("inf")


def bench_rules(
    reports: list[Report], *, labelset: LabelSet, repeat: int = 3, source: str = "",
    copies: int = 1,
) -> BenchResult:
    """Time the rule engine over ``copies`` readings of the distinct texts of ``reports`` (best
    of ``repeat`` passes, one core), in wall and CPU seconds.

    Every reading is cold: a repeated text is timed once (the engine remembers a report's
    findings by its text), and each copy gets a new engine (built untimed) with the
    attribute memory cleared, so nothing read in an earlier copy or pass is served from
    memory. ``BenchResult.reports`` counts the readings timed.
    """
    from radprompt.extractors.attributes import clear_memory

    distinct = list({report.text: report for report in reports}.values())
    RulesExtractor(labelset=labelset).extract(distinct[:1])  # compile and warm up the patterns
    best, best_cpu = float("inf"), float("inf")
    for _ in range(max(1, repeat)):
        wall = cpu = 0.0
        for _ in range(max(1, copies)):
            extractor = RulesExtractor(labelset=labelset)
            clear_memory()
            started, started_cpu = time.perf_counter(), time.process_time()
            extractor.extract(distinct)
            wall += time.perf_counter() - started
            cpu += time.process_time() - started_cpu
        best, best_cpu = min(best, wall), min(best_cpu, cpu)
    return BenchResult(reports=len(distinct) * max(1, copies), seconds=best, source=source,
                       cpu_seconds=best_cpu)
