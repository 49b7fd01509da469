"""Start-up of the `refundable` command: how long a fresh process takes to decide one request.

Method: every command below runs N times as a new process (a "cold" start for Python: nothing
cached in the process; the OS file cache is warm, as it is for anyone who runs the command
twice). The commands take turns (round robin), so a busy machine slows them alike, and each
figure is the median of its N wall-clock times. Two limits are measured in the same run:
a bare `python -c pass` (the interpreter alone) and `python -c "import typer"` (the CLI
framework alone); the ratios say how far the command is from them.

Run: .venv/bin/python bench/startup.py [N]    (default N = 21)
"""

from __future__ import annotations

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


def measure(n: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as cwd:  # an unrelated directory, like a user's
        for argv in COMMANDS.values():  # one warm-up each: pyc files, OS cache
            once(argv, cwd)
        for _ in range(n):
            for name, argv in COMMANDS.items():
                samples[name].append(once(argv, cwd))
    return {name: statistics.median(times) for name, times in samples.items()}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    medians = measure(n)
    bare = medians["python -c pass"]
    typer_only = medians['python -c "import typer"']
    print(f"{n} runs each, median wall-clock seconds; target for decide: < {TARGET_S} s\n")
    print("| command | median (s) | × python -c pass | × import typer |")
    print("| --- | ---: | ---: | ---: |")
    for name, median in medians.items():
        print(f"| {name} | {median:.3f} | {median / bare:.1f} | {median / typer_only:.2f} |")


if __name__ == "__main__":
    main()
