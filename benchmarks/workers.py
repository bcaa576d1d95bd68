"""Whole-process throughput of ``radprompt extract`` in one process and with ``--workers N``.

Usage: .venv/bin/python benchmarks/workers.py INPUT [--workers 2] [--repeat 5] [--copies K]
       .venv/bin/python benchmarks/workers.py --synthetic 30000 [--workers 2] [--repeat 3]

Each repeat runs the two commands one after the other (alternating which goes first) and
times the whole process tree: wall seconds, and CPU seconds of the command and every process
it started (this script is the "subreaper" of the tree, so worker processes that outlive
their parent are still counted). The machine's one-minute load average is printed with every
run, and the CPU seconds all other processes used meanwhile (from /proc/stat), since other work
on the machine changes wall times: on a busy machine judge by the CPU seconds (the workers'
whole tree should cost about what one process costs), and by the wall speed-up only of the
quiet pairs (printed apart: both runs while other processes used under 5% of a core).
``--copies K`` first writes INPUT K times into one temporary file (a CSV's first column, a
JSONL's ``id``, suffixed
``-0`` .. ``-K-1``), for a corpus larger than the fixed cost of starting; the rule engine
remembers the findings of a report text it has read, so copies cost little in either command.
``--synthetic N`` instead writes N distinct reports composed by the demo corpus's builder
(experiments/demo, written by us; about 1 CPU s per thousand reports to build), the way to see
what the workers gain on an archive whose reports are all different (its path is printed: give
it as INPUT to time the same file again without building it). The outputs of every run of
both commands are compared byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
QUIET = 0.05
"""A run is quiet when every other process together used under this share of one core."""


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reap_all() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _busy() -> float:
    """CPU seconds the whole machine has been busy (all processes; /proc/stat), or 0."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    idle = int(fields[3]) + int(fields[4])  # idle, iowait
    return (sum(int(value) for value in fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall and CPU seconds of ``command`` and all its descendants, and the CPU seconds
    every other process on the machine used meanwhile (what the load average only hints at)."""
    cpu, busy, started = _cpu_of_children(), _busy(), time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _reap_all()
    wall, cpu = time.perf_counter() - started, _cpu_of_children() - cpu
    return wall, cpu, max(0.0, _busy() - busy - cpu)


def repeated(source: Path, copies: int, folder: Path) -> Path:
    """``source`` written ``copies`` times into one file, each copy's ids suffixed."""
    target = folder / f"{source.stem}-x{copies}{source.suffix}"
    if source.suffix.lower() == ".jsonl":
        rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()
                if line.strip()]
        target.write_text("".join(json.dumps({**row, "id": f"{row['id']}-{copy}"}) + "\n"
                                  for copy in range(copies) for row in rows), encoding="utf-8")
        return target
    with source.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for copy in range(copies):
            writer.writerows([f"{row[0]}-{copy}", *row[1:]] for row in rows)
    return target


def synthetic(count: int, folder: Path) -> Path:
    """``count`` distinct synthetic reports from the demo corpus's builder, as JSONL."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments" / "demo"))
    import build_corpus  # the demo builder's modules import each other by name

    splits = build_corpus.build_corpus(seed=build_corpus.SEED + 1, n_reports=count)
    target = folder / f"synthetic-{count}.jsonl"
    target.write_text("".join(json.dumps({"id": record["id"], "text": record["text"]}) + "\n"
                              for split in splits.values() for record in split),
                      encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", type=Path, nargs="?")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--synthetic", type=int, default=0, metavar="N",
                        help="N distinct synthetic reports instead of INPUT")
    args = parser.parse_args()
    if (args.input is None) == (args.synthetic == 0):
        parser.error("give INPUT or --synthetic N")
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    radprompt = str(Path(sys.executable).with_name("radprompt"))
    folder = Path(tempfile.mkdtemp())
    if args.synthetic:
        source = synthetic(args.synthetic, folder)
    else:
        source = repeated(args.input, args.copies, folder) if args.copies > 1 else args.input
    many = f"--workers {args.workers}"
    commands = {"1 process": [], many: ["--workers", str(args.workers)]}
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    print(f"input {source}; {os.cpu_count()} cores; load average before: "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    outputs: set[str] = set()  # sha256 of every run's output: one value when all agree
    lines = 0
    for repeat in range(args.repeat):
        order = list(commands) if repeat % 2 == 0 else list(reversed(commands))
        for name in order:
            output = folder / f"{repeat}-{name.replace(' ', '')}.jsonl"
            command = [radprompt, "extract", "-i", str(source), "-o", str(output),
                       *commands[name]]
            runs[name].append(timed(command))
            written = output.read_bytes() if output.exists() else b""
            outputs.add(hashlib.sha256(written).hexdigest())
            lines = max(lines, written.count(b"\n"))
            output.unlink(missing_ok=True)
            wall, cpu, others = runs[name][-1]
            print(f"{name}: {wall:.2f} s wall, {cpu:.2f} CPU s (load {os.getloadavg()[0]:.2f}; "
                  f"other processes {others:.2f} CPU s meanwhile)", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    same = "yes" if len(outputs) == 1 and lines else "NO"
    print(f"outputs of all {2 * args.repeat} runs identical: {same} ({lines} reports)")
    for name, times in runs.items():
        print(f"{name}: median {statistics.median(t[0] for t in times):.2f} s wall, "
              f"{statistics.median(t[1] for t in times):.2f} CPU s")
    wall = [a[0] / b[0] for a, b in zip(runs["1 process"], runs[many], strict=True)]
    cpu = [b[1] / a[1] for a, b in zip(runs["1 process"], runs[many], strict=True)]
    print(f"speed-up (wall, paired runs): median {statistics.median(wall):.2f}x, "
          f"min {min(wall):.2f}x, max {max(wall):.2f}x")
    quiet = [ratio for ratio, a, b in zip(wall, runs["1 process"], runs[many], strict=True)
             if a[2] <= QUIET * a[0] and b[2] <= QUIET * b[0]]
    if quiet:
        print(f"speed-up (wall) of the {len(quiet)} pair(s) during which other processes used "
              f"under {QUIET:.0%} of a core: median {statistics.median(quiet):.2f}x, "
              f"min {min(quiet):.2f}x, max {max(quiet):.2f}x")
    else:
        print(f"no pair ran while other processes used under {QUIET:.0%} of a core: the wall "
              "speed-up above is not what an idle machine gives")
    print(f"CPU of {many} / CPU of 1 process (paired runs): median "
          f"{statistics.median(cpu):.2f}, min {min(cpu):.2f}, max {max(cpu):.2f}")


if __name__ == "__main__":
    main()
