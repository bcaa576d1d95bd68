"""``radprompt extract --engine ray`` on a local Ray with two CPUs (one Ray start for the
module): the findings of one process byte for byte, shards resumed one by one, a killed worker
losing and repeating nothing, an LLM extractor on the workers. The IU check reads
../shared/data and skips when it is absent; the other reports are synthetic."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.engines import ShardStore
from radprompt.extractors.base import ExtractionResult, ProgressCallback
from radprompt.extractors.rules import RulesExtractor
from radprompt.pipeline import extract_dataset
from radprompt.reports import Report, read_dataset

ray = pytest.importorskip("ray", reason="the Ray engine needs the ray extra")
pytest.importorskip("pyarrow", reason="the Ray engine needs pyarrow")

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "experiments" / "demo" / "test.jsonl"
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # as RayEngine does: no phoning home
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers lack tests/
    yield
    ray.shutdown()


def _extract(args: list[str]) -> str:
    result = runner.invoke(app, ["extract", *args])
    assert result.exit_code in (0, 1), result.output  # 1: rows the reader could not use
    return result.output


def test_ray_gives_the_findings_of_one_process_and_resumes_shard_by_shard(tmp_path):
    _extract(["-i", str(DEMO), "-o", str(tmp_path / "one.jsonl")])
    ray_args = ["-i", str(DEMO), "-o", str(tmp_path / "ray.jsonl"), "--engine", "ray",
                "--shard-size", "50"]
    _extract(ray_args)
    one = (tmp_path / "one.jsonl").read_bytes()
    assert one and one == (tmp_path / "ray.jsonl").read_bytes()
    shards = tmp_path / "ray.jsonl.shards"
    manifest = json.loads((shards / "manifest.json").read_text())
    assert sorted(entry["reports"] for entry in manifest["shards"].values()) == [40, 50, 50]
    assert b"".join((shards / f"part-0000{i}.jsonl").read_bytes() for i in range(3)) == one
    again = _extract(ray_args)
    assert "(140 from the unfinished run before)" in again
    assert (tmp_path / "ray.jsonl").read_bytes() == one


def test_ray_on_the_iu_reports_writes_parquet_shards_with_the_same_findings(
        tmp_path, shared_data):
    import pyarrow.parquet as pq

    reports = shared_data / "iu-openi" / "indiana_reports.csv"
    _extract(["-i", str(reports), "-o", str(tmp_path / "one.jsonl")])
    _extract(["-i", str(reports), "-o", str(tmp_path / "ray.parquet"), "--engine", "ray"])
    lines = (tmp_path / "one.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 3000
    assert pq.read_table(tmp_path / "ray.parquet").column("record").to_pylist() == lines
    shards = sorted((tmp_path / "ray.parquet.shards").glob("part-*.parquet"))
    assert [row for shard in shards
            for row in pq.read_table(shard).column("record").to_pylist()] == lines
    failed = (tmp_path / "one.jsonl.failed.jsonl").read_bytes()
    assert failed == (tmp_path / "ray.parquet.failed.jsonl").read_bytes()


class KillingRulesExtractor(RulesExtractor):
    """The rule engine, but the Ray worker that meets ``victim`` first kills itself."""

    def __init__(self, *, victim: str, marker: Path, **kwargs):
        super().__init__(**kwargs)
        self.victim, self.marker = victim, marker

    def extract(self, reports: Sequence[Report], *,
                progress: ProgressCallback | None = None) -> list[ExtractionResult]:
        if any(report.id == self.victim for report in reports):
            try:
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                pass
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return super().extract(reports, progress=progress)


def test_a_killed_ray_worker_loses_and_repeats_nothing(tmp_path, chestxray21):
    from radprompt.engines import RayEngine

    data = read_dataset(DEMO, labelset=chestxray21)
    expected = extract_dataset(data, extractor=RulesExtractor(labelset=chestxray21))
    killer = KillingRulesExtractor(victim=data.reports[70].id, marker=tmp_path / "killed",
                                   labelset=chestxray21)
    store = ShardStore(folder=tmp_path / "shards", fingerprint="rules", input="demo",
                       shard_size=20, labelset=chestxray21)
    delivered: list[str] = []
    run = extract_dataset(data, extractor=killer,
                          engine=RayEngine(shard_size=20, store=store),
                          progress=lambda n: delivered.append(str(n)))
    assert (tmp_path / "killed").exists()
    assert [f.to_json() for f in run.findings] == [f.to_json() for f in expected.findings]
    assert sum(int(n) for n in delivered) == len(data.reports)
    ids = [json.loads(line)["id"] for path in sorted((tmp_path / "shards").glob("part-*"))
           for line in path.read_text(encoding="utf-8").splitlines()]
    assert ids == [report.id for report in data.reports]


def test_an_llm_extractor_on_ray_workers_uses_the_cache_and_keeps_failures(tmp_path):
    from llm_support import MINI_REPORTS, mini_reports, recipe_for

    from radprompt.engines import RayEngine
    from radprompt.extractors.base import ExtractionFailure
    from radprompt.extractors.llm import LLMExtractor
    from radprompt.labelset import load_labelset
    from radprompt.reports import Dataset
    from radprompt.testing import Behaviour, FakeOpenAIServer, RulesAnswerer

    mini = load_labelset(REPO / "tests" / "fixtures" / "mini.yaml")
    data = Dataset(path=tmp_path / "mini.jsonl", reports=mini_reports())
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=mini)) as server:
        server.script(Behaviour.prose(), match="Right pneumothorax", repeat=True)
        recipe = recipe_for(server, tmp_path, parse_retries=0)
        alone = extract_dataset(data, extractor=LLMExtractor(labelset=mini, recipe=recipe))
        asked = server.request_count
        store = ShardStore(folder=tmp_path / "shards", fingerprint="llm", input="mini",
                           shard_size=2, labelset=mini)
        on_ray = extract_dataset(data, extractor=LLMExtractor(labelset=mini, recipe=recipe),
                                 engine=RayEngine(shard_size=2, store=store))
        again = [request.messages[-1]["content"] for request in server.requests[asked:]]
    assert [f.to_json() for f in on_ray.findings] == [f.to_json() for f in alone.findings]
    assert len(on_ray.findings) == len(MINI_REPORTS) - 1
    (failure,) = on_ray.failures
    assert isinstance(failure, ExtractionFailure) and failure == alone.failures[0]
    assert again and all("Right pneumothorax" in text for text in again)  # the rest: cached
    assert on_ray.usage is not None and on_ray.usage.requests == len(again)
    assert on_ray.usage.cache_hits == len(MINI_REPORTS) - 1
    assert json.loads((tmp_path / "shards" / "manifest.json").read_text())["shards"]["2"][
        "failed"] == 1


def test_a_stop_on_a_worker_reads_as_in_one_process(tmp_path):
    from llm_support import mini_reports, recipe_for

    from radprompt.engines import RayEngine
    from radprompt.extractors.llm import LLMExtractor
    from radprompt.labelset import load_labelset
    from radprompt.llm.client import LLMStopError
    from radprompt.reports import Dataset
    from radprompt.testing import Behaviour, FakeOpenAIServer, RulesAnswerer

    mini = load_labelset(REPO / "tests" / "fixtures" / "mini.yaml")
    data = Dataset(path=tmp_path / "mini.jsonl", reports=mini_reports())
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=mini)) as server:
        server.script(Behaviour.fail(401), repeat=True)
        extractor = LLMExtractor(labelset=mini, recipe=recipe_for(server, tmp_path))
        with pytest.raises(LLMStopError, match="401"):
            extract_dataset(data, extractor=extractor, engine=RayEngine(shard_size=3))
