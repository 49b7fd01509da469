"""Start-up of the `refundable` command: how long a fresh process takes to decide one request.

Method: every command below runs N times as a new process (a "cold" start for Python: nothing
cached in the process; the OS file cache is warm, as it is for anyone who runs the command
twice). The commands take turns (round robin), so a busy machine slows them alike; each
figure is the minimum (the run least disturbed by other processes: on a shared, loaded machine
the best estimate of the command's own cost) and the median of its N wall-clock times, beside
the least CPU time (user + system) of a run, which waiting for a busy CPU does not inflate; the
load average is printed. Two limits are measured in the same run:
a bare `python -c pass` (the interpreter alone) and `python -c "import typer"` (the CLI
framework alone); the ratios say how far the command is from them.

What is measured is the command a user runs: the wheel built from this checkout, installed
in a fresh virtual environment with the locked dependencies and bytecode compiled at install
(as pip and uv do by default for a wheel), run from an unrelated directory. The checkout's own
editable install is not a fair stand-in: with PYTHONDONTWRITEBYTECODE set (as on the shared
machines) its modules are compiled from source on every start, about 60 ms that no installed
copy pays. `--checkout` measures the checkout instead, for comparison.

Run: .venv/bin/python bench/startup.py [N] [--checkout]    (default N = 21; needs .tools/bin/uv)
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / ".tools" / "bin" / "uv"
TARGET_S = 0.4


def _uv(*args: str) -> None:
    subprocess.run([str(UV), *args], cwd=ROOT, check=True, capture_output=True)


def install_wheel(base: Path) -> str:
    """Build the wheel and install it, with the locked dependencies and compiled bytecode, in a
    fresh venv under ``base`` (the steps of tests/e2e/test_wheel.py); its python's path."""
    _uv("build", "--wheel", "--out-dir", str(base / "dist"), "--no-create-gitignore")
    (wheel,) = (base / "dist").glob("refundable-*.whl")
    locked = base / "constraints.txt"
    _uv("export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "-o", str(locked))
    _uv("venv", "--python", sys.executable, "--no-project", str(base / "venv"))
    py = base / "venv" / "bin" / "python"
    _uv("pip", "install", "--python", str(py), "--compile-bytecode", "-c", str(locked), str(wheel))
    return str(py)


def commands(py: str) -> dict[str, list[str]]:
    find = "import refundable, pathlib; print(pathlib.Path(refundable.__file__).parent)"
    package = subprocess.run([py, "-c", find], check=True, capture_output=True, text=True)
    example = Path(package.stdout.strip()) / "examples" / "requests" / "conek-late-duplicate.yaml"
    decide = [py, "-m", "refundable", "decide", "--policy", "conek"]
    return {
        "python -c pass": [py, "-c", "pass"],
        'python -c "import typer"': [py, "-c", "import typer"],
        "refundable --version": [py, "-m", "refundable", "--version"],
        "refundable decide --json (conek)": [*decide, "--json", str(example)],
        "refundable decide, table (conek)": [*decide, str(example)],
        "refundable demo (all four policies)": [py, "-m", "refundable", "demo", "--json"],
    }


def once(argv: list[str], cwd: str) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run of the command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(n: int, cmds: dict[str, list[str]]) -> dict[str, list[tuple[float, float]]]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    with tempfile.TemporaryDirectory() as cwd:  # an unrelated directory, like a user's
        for argv in cmds.values():  # one warm-up each: OS file cache
            once(argv, cwd)
        for _ in range(n):
            for name, argv in cmds.items():
                samples[name].append(once(argv, cwd))
    return samples


def _load(avg: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.1f}" for x in avg)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 21
    with tempfile.TemporaryDirectory() as base:
        if "--checkout" in sys.argv:
            what, cmds = "the checkout's editable install", commands(sys.executable)
        else:
            what, cmds = (
                "the installed wheel (bytecode compiled)",
                commands(install_wheel(Path(base))),
            )
        load_before = os.getloadavg()
        samples = measure(n, cmds)
    load_after = os.getloadavg()
    best = {name: min(wall for wall, _ in times) for name, times in samples.items()}
    bare, typer_only = best["python -c pass"], best['python -c "import typer"']
    print(
        f"{what}: {n} runs each, wall-clock seconds; target for decide: < {TARGET_S} s; "
        f"load average (1, 5, 15 min) before {_load(load_before)}, after {_load(load_after)}\n"
    )
    print(
        "| command | min (s) | median (s) | min CPU (s) | min × python -c pass "
        "| min × import typer |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, times in samples.items():
        low, mid = best[name], statistics.median(wall for wall, _ in times)
        cpu = min(c for _, c in times)
        print(
            f"| {name} | {low:.3f} | {mid:.3f} | {cpu:.3f} | {low / bare:.1f} "
            f"| {low / typer_only:.2f} |"
        )


if __name__ == "__main__":
    main()
