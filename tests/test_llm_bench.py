"""``radprompt bench llm`` on a small corpus: the figures the issue asks for hold."""

from __future__ import annotations

from llm_support import private_cache_fixture  # noqa: F401 - autouse fixture
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.testing import synthetic_reports
from radprompt.testing.bench_llm import bench_llm


def test_all_labels_mode_figures(chestxray21):
    reports = synthetic_reports(labelset=chestxray21, count=64, seed=11)
    result = bench_llm(labelset=chestxray21, reports=reports, latency=0.02, concurrency=16,
                       mode="all")
    assert result.requests == 64 and result.requests_per_report == 1.0
    assert result.second_run_requests == 0
    assert result.failures == 0
    assert result.prefix_share >= 0.8
    assert result.peak_concurrency <= 16
    assert result.seconds >= result.ideal_seconds


def test_cli_compares_the_modes(mini_labelset):
    result = CliRunner().invoke(app, [
        "bench", "llm", "--labelset", "tests/fixtures/mini.yaml", "--reports", "32",
        "--label-reports", "8", "--latency", "0.01", "--backend", "openai_compatible"])
    assert result.exit_code == 0, result.output
    assert "extract_all" in result.output and "extract_label" in result.output
    assert "wall/ideal" in result.output and "static prefix" in result.output
