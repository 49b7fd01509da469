"""Start-up of the `refundable` command: how long a fresh process takes to decide one request.

Method: every command below runs N times as a new process (a "cold" start for Python: nothing
cached in the process; the OS file cache is warm, as it is for anyone who runs the command
twice). The commands take turns (round robin), so a busy machine slows them alike; each
figure is the minimum (the run least disturbed by other processes: on a shared, loaded machine
the best estimate of the command's own cost) and the median of its N wall-clock times, and the
load average is printed. Two limits are measured in the same run:
a bare `python -c pass` (the interpreter alone) and `python -c "import typer"` (the CLI
framework alone); the ratios say how far the command is from them.

Run: .venv/bin/python bench/startup.py [N]    (default N = 21)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path

PY = sys.executable
EXAMPLE = Path(str(files("refundable") / "examples" / "requests" / "conek-late-duplicate.yaml"))
TARGET_S = 0.4

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [PY, "-c", "pass"],
    'python -c "import typer"': [PY, "-c", "import typer"],
    "refundable --version": [PY, "-m", "refundable", "--version"],
    "refundable decide --json (conek)": [
        PY,
        "-m",
        "refundable",
        "decide",
        "--policy",
        "conek",
        "--json",
        str(EXAMPLE),
    ],
    "refundable decide, table (conek)": [
        PY,
        "-m",
        "refundable",
        "decide",
        "--policy",
        "conek",
        str(EXAMPLE),
    ],
    "refundable demo (all four policies)": [PY, "-m", "refundable", "demo", "--json"],
}


def once(argv: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def measure(n: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as cwd:  # an unrelated directory, like a user's
        for argv in COMMANDS.values():  # one warm-up each: pyc files, OS cache
            once(argv, cwd)
        for _ in range(n):
            for name, argv in COMMANDS.items():
                samples[name].append(once(argv, cwd))
    return samples


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    load_before = os.getloadavg()
    samples = measure(n)
    load_after = os.getloadavg()
    best = {name: min(times) for name, times in samples.items()}
    bare, typer_only = best["python -c pass"], best['python -c "import typer"']
    print(
        f"{n} runs each, wall-clock seconds; target for decide: < {TARGET_S} s; load average "
        f"(1, 5, 15 min) before {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f}, "
        f"after {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f}\n"
    )
    print("| command | min (s) | median (s) | min × python -c pass | min × import typer |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, times in samples.items():
        low, mid = best[name], statistics.median(times)
        print(f"| {name} | {low:.3f} | {mid:.3f} | {low / bare:.1f} | {low / typer_only:.2f} |")


if __name__ == "__main__":
    main()
