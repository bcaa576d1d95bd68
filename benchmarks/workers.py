"""Whole-process throughput of ``radprompt extract`` in one process and with ``--workers N``.

Usage: .venv/bin/python benchmarks/workers.py INPUT [--workers 2] [--repeat 5]

Each repeat runs the two commands one after the other (alternating which goes first) and
times the whole process tree: wall seconds, and CPU seconds of the command and every process
it started (this script is the "subreaper" of the tree, so worker processes that outlive
their parent are still counted). The machine's load average is printed before and after,
since other work on the machine changes wall times.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reap_all() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of ``command`` and all its descendants."""
    cpu, started = _cpu_of_children(), time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _reap_all()
    return time.perf_counter() - started, _cpu_of_children() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    radprompt = str(Path(sys.executable).with_name("radprompt"))
    folder = Path(tempfile.mkdtemp())
    runs = {"1 process": [], f"--workers {args.workers}": []}
    commands = {"1 process": [], f"--workers {args.workers}": ["--workers", str(args.workers)]}
    print(f"load average before: {os.getloadavg()}")
    for repeat in range(args.repeat):
        order = list(commands) if repeat % 2 == 0 else list(reversed(commands))
        for name in order:
            output = folder / f"{repeat}-{name.replace(' ', '')}.jsonl"
            command = [radprompt, "extract", "-i", str(args.input), "-o", str(output),
                       *commands[name]]
            runs[name].append(timed(command))
            print(f"{name}: {runs[name][-1][0]:.2f} s wall, {runs[name][-1][1]:.2f} CPU s",
                  flush=True)
    print(f"load average after: {os.getloadavg()}")
    one, many = runs.values()
    wall = [a[0] / b[0] for a, b in zip(one, many, strict=True)]
    for name, times in runs.items():
        print(f"{name}: median {statistics.median(t[0] for t in times):.2f} s wall, "
              f"{statistics.median(t[1] for t in times):.2f} CPU s")
    print(f"speed-up (wall, paired runs): median {statistics.median(wall):.2f}x, "
          f"min {min(wall):.2f}x, max {max(wall):.2f}x")


if __name__ == "__main__":
    main()
