"""Engines on one machine: ``radprompt extract --workers N`` gives the findings of one process,
in order, survives a killed worker and resumes from its journal. The IU check reads
../shared/data and skips when it is absent; the other reports are synthetic."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from engines_support import KillingRulesExtractor
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.engines import (
    InProcessEngine,
    ProcessPoolEngine,
    ShardStore,
    build_engine,
    result_record,
)
from radprompt.extractors.base import ExtractionFailure, ExtractionResult, ProgressCallback
from radprompt.extractors.rules import RulesExtractor
from radprompt.journal import FindingsJournal
from radprompt.labelset import load_labelset
from radprompt.pipeline import extract_dataset, extract_records
from radprompt.reports import Report, read_dataset

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "experiments" / "demo" / "test.jsonl"
runner = CliRunner()


def _extract(args: list[str]) -> None:
    result = runner.invoke(app, ["extract", *args])
    assert result.exit_code in (0, 1), result.output  # 1: rows the reader could not use


def test_workers_give_the_findings_of_one_process_byte_for_byte(tmp_path):
    _extract(["-i", str(DEMO), "-o", str(tmp_path / "one.jsonl")])
    _extract(["-i", str(DEMO), "-o", str(tmp_path / "two.jsonl"), "--workers", "2"])
    one = (tmp_path / "one.jsonl").read_bytes()
    assert one and one == (tmp_path / "two.jsonl").read_bytes()


def test_workers_on_the_iu_reports(tmp_path, shared_data):
    reports = shared_data / "iu-openi" / "indiana_reports.csv"
    _extract(["-i", str(reports), "-o", str(tmp_path / "one.jsonl")])
    _extract(["-i", str(reports), "-o", str(tmp_path / "two.jsonl"), "--workers", "2"])
    one = (tmp_path / "one.jsonl").read_bytes()
    assert one.count(b"\n") > 3000
    assert one == (tmp_path / "two.jsonl").read_bytes()


def test_workers_write_csv_as_one_process_does(tmp_path):
    _extract(["-i", str(DEMO), "-o", str(tmp_path / "one.csv")])
    _extract(["-i", str(DEMO), "-o", str(tmp_path / "two.csv"), "--workers", "3"])
    one = (tmp_path / "one.csv").read_bytes()
    assert one.count(b"\n") > 100 and one == (tmp_path / "two.csv").read_bytes()


@pytest.mark.parametrize("count", [0, 1, 3])
def test_more_workers_than_reports(count, chestxray21):
    reports = [Report(id=f"s{i}", text=text) for i, text in enumerate(  # synthetic
        ["No pneumothorax.", "Small left pleural effusion.", "Possible pneumonia."][:count])]
    extractor = RulesExtractor(labelset=chestxray21)
    expected = [result_record(result) for result in extractor.extract(reports)]
    batches: list[list[str]] = []
    engine = ProcessPoolEngine(workers=4)
    engine.run_records(reports, extractor=extractor, on_records=lambda b: batches.append(list(b)))
    assert [record for batch in batches for record in batch] == expected
    assert engine.delivered_ == count  # one report a task when there are fewer than workers


def test_repeated_reports_are_read_once_and_keep_their_own_ids(chestxray21):
    texts = ["No pneumothorax.", "Small left pleural effusion.", "Possible pneumonia."]
    reports = [Report(id=f"t{i}", text=texts[i % 3]) for i in range(12)]  # synthetic
    reports.append(Report(id="zh", text=texts[1], meta={"language": "zh"}))
    extractor = RulesExtractor(labelset=chestxray21)
    expected = [result_record(result) for result in extractor.extract(reports)]
    records: list[str] = []
    engine = ProcessPoolEngine(workers=2, chunk_size=1)
    engine.run_records(reports, extractor=extractor, on_records=records.extend)
    assert records == expected
    assert len(set(records)) == len(reports)  # each under its own id
    assert engine.delivered_ == 4  # one task a distinct text (and language): 3 + the Chinese


def test_records_and_results_agree(chestxray21):
    data = read_dataset(DEMO, labelset=chestxray21)
    extractor = RulesExtractor(labelset=chestxray21)
    for engine in (InProcessEngine(), ProcessPoolEngine(workers=2, chunk_size=7)):
        results: list[ExtractionResult] = []
        records: list[str] = []
        engine.run(data.reports, extractor=extractor, on_result=results.append)
        engine.run_records(data.reports, extractor=extractor, on_records=records.extend)
        assert records == [result_record(result) for result in results]
        assert len(records) == len(data.reports)


class FailingRulesExtractor(RulesExtractor):
    """The rule engine, but ``victim`` comes back as a failure (as an LLM's unusable answer)."""

    def __init__(self, *, victim: str, **kwargs):
        super().__init__(**kwargs)
        self.victim = victim

    def extract(self, reports: Sequence[Report], *,
                progress: ProgressCallback | None = None) -> list[ExtractionResult]:
        return [ExtractionFailure(report.id, "synthetic failure", raw_output='{"failed"')
                if report.id == self.victim else result
                for report, result in zip(reports, super().extract(reports), strict=True)]


def test_a_failure_comes_back_from_a_worker_as_a_failure(chestxray21):
    data = read_dataset(DEMO, labelset=chestxray21)
    victim = data.reports[5].id
    run = extract_records(data, extractor=FailingRulesExtractor(victim=victim,
                                                                labelset=chestxray21),
                          engine=ProcessPoolEngine(workers=2, chunk_size=4))
    assert run.failures == [ExtractionFailure(victim, "synthetic failure", '{"failed"')]
    assert len(run.records) == len(data.reports) - 1
    assert victim not in {json.loads(record)["id"] for record in run.records}


class BackwardsRulesExtractor(RulesExtractor):
    """The rule engine, handing each chunk's results over last first (as streamed answers)."""

    def extract_each(self, reports, *, on_result, progress=None):
        for result in reversed(self.extract(reports)):
            on_result(result)


def test_records_come_in_input_order_whatever_order_results_come_in(chestxray21):
    data = read_dataset(DEMO, labelset=chestxray21)
    records: list[str] = []
    InProcessEngine().run_records(data.reports, extractor=BackwardsRulesExtractor(
        labelset=chestxray21), on_records=records.extend)
    assert [json.loads(record)["id"] for record in records] == [r.id for r in data.reports]


def test_ray_shards_that_finish_early_wait_for_the_ones_before_them():
    from radprompt.engines._records import InOrder  # no Ray needed: the driver's ordering

    handed: list[str] = []
    in_order = InOrder(handed.extend)
    for index in (2, 0, 3, 1):
        in_order.add(index, [f"r{index}a", f"r{index}b"])
    assert handed == ["r0a", "r0b", "r1a", "r1b", "r2a", "r2b", "r3a", "r3b"]


def test_a_shard_keeps_line_breaks_inside_its_records(tmp_path, chestxray21):
    records = [result_record(RulesExtractor(labelset=chestxray21).extract_report(
        Report(id=f"u{i}", text=text))) for i, text in enumerate(  # synthetic
        ["No pneumothorax.\u2028Small left pleural effusion.", "Heart size normal.\x85"])]
    assert "\u2028" in records[0]  # kept as it is: the records are JSON, not ASCII
    store = ShardStore(folder=tmp_path, fingerprint="rules", input="synthetic", shard_size=2,
                       labelset=chestxray21)
    store.write(0, "key", records)
    assert store.read(0, "key") == records


def test_a_killed_worker_loses_and_repeats_nothing(tmp_path, chestxray21):
    data = read_dataset(DEMO, labelset=chestxray21)
    expected = extract_dataset(data, extractor=RulesExtractor(labelset=chestxray21))
    killer = KillingRulesExtractor(victim=data.reports[70].id, marker=tmp_path / "killed",
                                   labelset=chestxray21)
    seen: list[str] = []
    engine = ProcessPoolEngine(workers=2, chunk_size=10)
    journal = FindingsJournal(path=tmp_path / "out.partial.jsonl")
    run = extract_dataset(data, extractor=killer, engine=engine, journal=journal,
                          progress=lambda n: seen.append(str(n)))
    assert (tmp_path / "killed").exists() and engine.restarts_ == 1
    assert [f.to_json() for f in run.findings] == [f.to_json() for f in expected.findings]
    lines = journal.path.read_text(encoding="utf-8").splitlines()[1:]
    assert len(lines) == len(data.reports)  # each report journaled once
    assert sum(int(n) for n in seen) == len(data.reports)


def test_a_stopped_run_resumes_from_its_journal(tmp_path, chestxray21):
    data = read_dataset(DEMO, labelset=chestxray21)
    expected = extract_dataset(data, extractor=RulesExtractor(labelset=chestxray21))
    journal = FindingsJournal(path=tmp_path / "out.partial.jsonl", fingerprint="rules")
    killer = KillingRulesExtractor(victim=data.reports[95].id, marker=tmp_path / "killed",
                                   always=True, labelset=chestxray21)
    with pytest.raises(RuntimeError, match="died"):
        extract_dataset(data, extractor=killer, journal=journal,
                        engine=ProcessPoolEngine(workers=2, chunk_size=20, max_restarts=1))
    kept = list(journal.done())  # whole chunks before the one that always dies, in order
    assert kept and kept == [report.id for report in data.reports[:len(kept)]]
    assert len(kept) % 20 == 0 and len(kept) <= 80
    run = extract_dataset(data, extractor=RulesExtractor(labelset=chestxray21),
                          journal=journal, engine=ProcessPoolEngine(workers=2, chunk_size=20))
    assert run.resumed == len(kept)
    assert [f.to_json() for f in run.findings] == [f.to_json() for f in expected.findings]


def test_options_that_do_not_fit_the_engine_are_refused(tmp_path):
    rules = RulesExtractor(labelset=load_labelset("chestxray21"))
    assert isinstance(build_engine("local", extractor=rules), InProcessEngine)
    with pytest.raises(ValueError, match="known: local, ray"):
        build_engine("spark", extractor=rules)
    with pytest.raises(ValueError, match="--shard-size is for --engine ray"):
        build_engine("local", extractor=rules, shard_size=10)
    result = runner.invoke(app, ["extract", "-i", str(DEMO), "-o", str(tmp_path / "o.jsonl"),
                                 "--engine", "ray", "--workers", "2"])
    assert result.exit_code == 2 and "--workers is for --engine local" in result.output
