"""``radprompt extract --workers N`` on a JSONL input, whose lines the worker processes read
themselves: the same output, refused rows, messages and exit codes as one process, byte for
byte, whatever the file holds (repeated reports, ids repeated near and far, bad rows, line
breaks inside a report), and a killed worker or a stopped run loses and repeats nothing.
Every report here is synthetic."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engines_support import KillingRulesExtractor
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.engines import ProcessPoolEngine, jsonl_lines
from radprompt.engines._processes import shrinking_spans
from radprompt.extractors.rules import RulesExtractor
from radprompt.pipeline import extract_records
from radprompt.reports import read_dataset

runner = CliRunner()
SENTENCES = ("No pneumothorax.", "Small left pleural effusion.", "Possible pneumonia.",
             "Heart size is normal.", "Mild cardiomegaly.", "No focal consolidation.",
             "Bibasilar atelectasis.", "Lungs are clear.")


def _text(number: int) -> str:
    return " ".join(SENTENCES[(number * k) % len(SENTENCES)] for k in (1, 3, 5))


def _messy_lines(count: int = 400) -> list[str]:
    """Synthetic JSONL lines: repeated texts, and every kind of row the reader refuses."""
    lines = [json.dumps({"id": f"s{i}", "text": _text(i)}) for i in range(count)]
    lines[5] = json.dumps({"id": "s1", "text": "Edema."})  # duplicate id, same part
    lines[300] = json.dumps({"id": "s2", "text": "Edema."})  # duplicate id, a later part
    lines[310] = json.dumps({"id": "s2", "text": "No edema."})  # ... and again
    lines[20] = json.dumps({"id": "empty", "text": "  "})  # empty text, id still taken
    lines[350] = json.dumps({"id": "empty", "text": "Edema."})
    lines[30] = "{not json"
    lines[40] = json.dumps(["a list"])
    lines[50] = json.dumps({"id": 1.5, "text": "Edema."})
    lines[60] = json.dumps({"id": "nul", "text": "Edema.\x00"})
    lines[70] = json.dumps({"id": "sep", "text": "Small effusion.\u2028No pneumothorax."},
                           ensure_ascii=False)  # one line: U+2028 inside a string is no line break
    lines[80] = json.dumps({"id": "lang", "text": _text(3), "language": "en"})
    lines[90] = ""
    lines[100] = json.dumps({"id": "labelled", "text": "Edema.", "labels": {"Edema": 1}})
    lines[110] = json.dumps({"id": "bad-label", "text": "Edema.", "labels": {"Edema": 7}})
    lines[120] = json.dumps({"id": "", "text": "Edema."})
    return lines


def _extract(tmp_path: Path, source: Path, name: str, *more: str) -> tuple[int, str, bytes]:
    output = tmp_path / f"{name}.jsonl"
    result = runner.invoke(app, ["extract", "-i", str(source), "-o", str(output), *more])
    failed = output.with_name(output.name + ".failed.jsonl")
    written = output.read_bytes() if output.exists() else b""
    listed = failed.read_bytes() if failed.exists() else b""
    return result.exit_code, result.output.replace(name, "NAME"), written + b"--\n" + listed


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_workers_read_a_messy_jsonl_as_one_process_does(tmp_path, newline):
    source = tmp_path / "messy.jsonl"
    source.write_bytes(newline.join(_messy_lines()).encode("utf-8") + newline.encode())
    one = _extract(tmp_path, source, "one")
    assert one[0] == 1 and "duplicate id (first seen in row 3)" in one[1]
    assert one[2].count(b'{"id": "s') > 300 and b'"row": 351' in one[2]  # line 351
    for workers in ("2", "3"):
        assert _extract(tmp_path, source, "one", "--workers", workers) == one


def test_workers_write_csv_from_jsonl_as_one_process_does(tmp_path):
    source = tmp_path / "messy.jsonl"
    source.write_text("\n".join(_messy_lines()) + "\n", encoding="utf-8")
    outputs = []
    for workers in ("1", "2"):
        output = tmp_path / f"w{workers}.csv"
        result = runner.invoke(app, ["extract", "-i", str(source), "-o", str(output),
                                     "--workers", workers])
        assert result.exit_code == 1
        outputs.append(output.read_bytes())
    assert outputs[0].count(b"\n") > 300 and outputs[0] == outputs[1]


@pytest.mark.parametrize("line, message", [
    (json.dumps({"text": "Edema."}), "no 'id' field"),
    (json.dumps({"id": "x"}), "no 'text' field"),
    (json.dumps({"id": "x", "text": "Edema.", "labels": {"Unknown": 1}}), "is not a label"),
])
def test_a_line_that_stops_the_read_stops_it_with_the_same_message(tmp_path, line, message):
    lines = _messy_lines()
    lines[250] = line
    source = tmp_path / "stops.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = _extract(tmp_path, source, "one")
    assert one[0] == 2 and message in one[1] and "line 251" in one[1]
    (tmp_path / "one.jsonl").write_text("an earlier output\n", encoding="utf-8")
    assert _extract(tmp_path, source, "one", "--workers", "2") == (
        2, one[1], b"an earlier output\n--\n")  # left as it was, nothing half written
    assert not list(tmp_path.glob("*.writing"))


def test_a_file_of_blank_lines_is_refused_the_same_way(tmp_path):
    source = tmp_path / "blank.jsonl"
    source.write_text("\n  \n\u2028\n", encoding="utf-8")
    one = _extract(tmp_path, source, "one", "--format", "jsonl")
    assert one[0] == 2 and "no reports in the file" in one[1]
    assert _extract(tmp_path, source, "one", "--format", "jsonl", "--workers", "2") == one


def test_tasks_shrink_towards_the_end_and_cover_every_line():
    runs = shrinking_spans(30_000, workers=2)
    assert runs[0] == (0, 1000) and runs[-1][1] == 30_000
    assert all(a[1] == b[0] for a, b in itertools.pairwise(runs))
    assert runs[-1][1] - runs[-1][0] <= 50
    assert shrinking_spans(3, workers=4) == [(0, 1), (1, 2), (2, 3)]


def test_a_killed_worker_reading_jsonl_loses_and_repeats_nothing(tmp_path, chestxray21):
    source = tmp_path / "messy.jsonl"
    source.write_text("\n".join(_messy_lines()) + "\n", encoding="utf-8")
    data = read_dataset(source, labelset=chestxray21)
    expected = extract_records(data, extractor=RulesExtractor(labelset=chestxray21))
    killer = KillingRulesExtractor(victim="s200", marker=tmp_path / "killed",
                                   labelset=chestxray21)
    engine = ProcessPoolEngine(workers=2, chunk_size=30)
    seen: list[int] = []
    run = extract_records(jsonl_lines(source, labelset=chestxray21), extractor=killer,
                          engine=engine, progress=seen.append)
    assert (tmp_path / "killed").exists() and engine.restarts_ == 1
    assert run.records == expected.records
    assert [str(p) for p in run.problems] == [str(p) for p in expected.problems]
    assert sum(seen) == data.rows  # every line that holds something, once


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the workers in /proc")
def test_a_killed_run_started_again_writes_the_whole_output(tmp_path):
    """The rule engine keeps no journal (it reads a report faster than journaling it): a run
    killed half way leaves no output (only OUTPUT.writing), and the same command then writes
    all of it."""
    source = tmp_path / "big.jsonl"
    source.write_text("".join(json.dumps({"id": f"b{i}", "text": _text(i) + f" {i} mm."})
                              + "\n" for i in range(8_000)), encoding="utf-8")
    output = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "radprompt", "extract", "-i", str(source), "-o",
               str(output), "--workers", "2"]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, start_new_session=True)
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    while process.poll() is None and not children.read_text().strip():
        time.sleep(0.05)  # until the workers are forked
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL and not output.exists()  # killed half way
    subprocess.run(command, check=True, capture_output=True)
    assert not output.with_name("out.jsonl.writing").exists()
    one = tmp_path / "one.jsonl"
    subprocess.run([*command[:7], str(one)], check=True, capture_output=True)
    assert output.read_bytes() == one.read_bytes() and one.read_bytes().count(b"\n") == 8_000


def test_a_unicode_line_break_inside_a_string_keeps_its_record_whole(tmp_path):
    """JSON written with ensure_ascii=False keeps U+2028 / U+2029 / U+0085 raw: the record is
    one report, read the same in one process and in the workers."""
    source = tmp_path / "unicode.jsonl"
    texts = ["Small effusion.\u2028No pneumothorax.", "Edema.\u2029Cardiomegaly.", "Clear.\x85"]
    source.write_text("".join(json.dumps({"id": f"u{i}", "text": text}, ensure_ascii=False)
                              + "\r\n" for i, text in enumerate(texts)), encoding="utf-8")
    one = _extract(tmp_path, source, "one")
    assert one[0] == 0, one[1]
    output = one[2].split(b"--\n")[0].decode()
    written = [json.loads(line) for line in output.split("\n") if line]
    assert [record["id"] for record in written] == ["u0", "u1", "u2"]
    assert _extract(tmp_path, source, "one", "--workers", "2") == one
