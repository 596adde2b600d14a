"""Benchmark: the doit path against the CLI as projects grow (whole processes, wall seconds).

For N tiny layers models (no parity), measures, interleaved A/B in one run so machine drift hits
both sides alike:

- cold build: ``doit convert`` against ``tfjs-build convert`` on a project with nothing built;
- fresh-clone no-op: ``doit convert`` (empty doit database, everything fresh by the lockfile)
  against ``tfjs-build check``.

Goals (issue: a linear doit path): cold within 1.5x, no-op within 3x, at 300 and 1,000 models.
Run: python bench/bench_doit_scaling.py [--models 300 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_doit_uptodate import PYPROJECT, write_h5_model

DODO = "from tfjs_build.doit import task_convert  # noqa: F401\n"


def make_project(root: Path, count: int) -> Path:
    """A project of ``count`` tiny Keras-2-style .h5 models, nothing built."""
    (root / "models").mkdir(parents=True)
    for index in range(count):
        write_h5_model(root / "models" / f"m{index:04d}.h5", seed=index)
    (root / "pyproject.toml").write_text(PYPROJECT.format(extra=""))
    (root / "dodo.py").write_text(DODO)
    return root


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return seconds


def fresh_copy(template: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target, symlinks=True)
    for leftover in target.glob(".doit.db*"):
        leftover.unlink()
    shutil.rmtree(target / ".tfjs-build", ignore_errors=True)  # no hash or build cache
    return target


def setup(template: Path, work: Path):
    """A fresh copy of ``template`` at ``work`` before each run."""
    return lambda _: fresh_copy(template, work)


def pair(runs: int, a: tuple[list[str], Path], b: tuple[list[str], Path], setup) -> list[float]:
    """``runs`` interleaved timings of A and B (after ``setup(which)``); their ratios A/B."""
    ratios, seconds_a, seconds_b = [], [], []
    for _ in range(runs):
        setup("a")
        first = timed(*a)
        setup("b")
        second = timed(*b)
        seconds_a.append(first)
        seconds_b.append(second)
        ratios.append(first / second)
    print(
        f"    A median {statistics.median(seconds_a):.2f}s, B median {statistics.median(seconds_b):.2f}s, "
        f"A/B median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    python = sys.executable
    doit = [python, "-m", "doit", "convert"]
    cli_convert = [python, "-m", "tfjs_build", "convert"]
    cli_check = [python, "-m", "tfjs_build", "check"]
    with tempfile.TemporaryDirectory(prefix="tfjs-build-bench-") as scratch:
        base = Path(scratch)
        for count in args.models:
            template = make_project(base / f"template-{count}", count)
            work = base / f"work-{count}"
            print(f"{count} models")
            print("  cold build: A = doit convert, B = tfjs-build convert")
            pair(args.runs, (doit, work), (cli_convert, work), setup(template, work))
            built = base / f"built-{count}"
            fresh_copy(template, built)
            timed(cli_convert, built)
            print("  fresh-clone no-op: A = doit convert, B = tfjs-build check")
            # a copy has new inodes and stamps: every file is hashed again, as in a fresh clone
            pair(args.runs, (doit, work), (cli_check, work), setup(built, work))


if __name__ == "__main__":
    main()
