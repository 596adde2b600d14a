"""Benchmark: a cold build of 20 small distinct models with parity on cpu and wasm (whole processes,
wall seconds), against one ``import tensorflow`` and, optionally, an earlier version of tfjs-build.

Each round times, interleaved so that machine drift hits every side alike, on a fresh copy of the
project (no lockfile, no build cache; the npm packages already installed):

- ``python -c "import tensorflow"``: the reference (parity's reference run needs TensorFlow);
- ``doit convert`` and ``tfjs-build convert`` with this checkout;
- with ``--baseline SRC``, the same two with the tfjs-build source tree in SRC (for example
  ``git archive <commit> | tar -x -C SRC``), run with ``PYTHONPATH=SRC``.

Goal (issue: one Node worker per backend per build): each build within 2x ``import tensorflow``.
A last, untimed build per side counts the Node processes it started, through a ``node`` first on
PATH that logs each start.
Run: python bench/bench_parity_workers.py [--models 20] [--runs 5] [--baseline SRC]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_doit_uptodate import write_h5_model

PYPROJECT = """[tool.tfjs-build]
parity = true
parity_backends = ["cpu", "wasm"]

[[tool.tfjs-build.models]]
source = "models/*.h5"
"""
DODO = "from tfjs_build.doit import task_convert  # noqa: F401\n"
IMPORT_TENSORFLOW = [sys.executable, "-c", "import tensorflow"]
DOIT = [sys.executable, "-m", "doit", "convert"]
CLI = [sys.executable, "-m", "tfjs_build", "convert"]


def make_project(root: Path, count: int) -> Path:
    """``count`` Dense .h5 models of different widths and weights, parity on cpu and wasm."""
    (root / "models").mkdir(parents=True)
    for index in range(count):
        widths = (4 + index % 5, 3 + index % 4, 2)
        write_h5_model(root / "models" / f"m{index:02d}.h5", seed=index, widths=widths)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "dodo.py").write_text(DODO)
    return root


def fresh_copy(template: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target)
    return target


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return seconds


def environments(baseline: Path | None) -> dict[str, dict[str, str]]:
    base = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    sides = {"this": {**base, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}}
    if baseline is not None:
        sides["baseline"] = {**base, "PYTHONPATH": str(baseline.resolve())}
    return sides


def counted_node_starts(template: Path, work: Path, command: list[str], env: dict[str, str]) -> int:
    """How many Node processes one build starts."""
    bin_dir = work / "counting-bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = bin_dir / "starts.log"
    log.unlink(missing_ok=True)
    (bin_dir / "node").write_text(
        f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{shutil.which("node")}" "$@"\n'
    )
    (bin_dir / "node").chmod(0o755)
    counting = {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}
    timed(command, fresh_copy(template, work / "project"), counting)
    return len(log.read_text().splitlines())


def summary(label: str, seconds: list[float], reference: list[float]) -> None:
    ratios = [s / r for s, r in zip(seconds, reference, strict=True)]
    print(
        f"  {label:<28} median {statistics.median(seconds):6.2f}s "
        f"(min {min(seconds):.2f}, max {max(seconds):.2f}); / import tensorflow: median "
        f"{statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="an earlier tfjs-build source tree")
    args = parser.parse_args()
    sides = environments(args.baseline)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        template = make_project(work / "template", args.models)
        for env in sides.values():  # warm: npm packages installed, Python files cached
            timed(CLI, fresh_copy(template, work / "project"), env)
        times: dict[str, list[float]] = {"import tensorflow": []}
        for _ in range(args.runs):
            times["import tensorflow"].append(timed(IMPORT_TENSORFLOW, work, sides["this"]))
            for side, env in sides.items():
                for name, command in (("doit convert", DOIT), ("tfjs-build convert", CLI)):
                    seconds = timed(command, fresh_copy(template, work / "project"), env)
                    times.setdefault(f"{name} ({side})", []).append(seconds)
        print(f"{args.models} models, parity on cpu+wasm, {args.runs} interleaved runs:")
        reference = times["import tensorflow"]
        print(f"  {'import tensorflow':<28} median {statistics.median(reference):6.2f}s")
        for label, seconds in times.items():
            if label != "import tensorflow":
                summary(label, seconds, reference)
        if "baseline" in sides:
            for name in ("doit convert", "tfjs-build convert"):
                ratios = [
                    new / old
                    for new, old in zip(
                        times[f"{name} (this)"], times[f"{name} (baseline)"], strict=True
                    )
                ]
                print(f"  {name}: this / baseline median {statistics.median(ratios):.2f}")
        for side, env in sides.items():
            for name, command in (("doit convert", DOIT), ("tfjs-build convert", CLI)):
                starts = counted_node_starts(template, work, command, env)
                print(f"  Node processes started by {name} ({side}): {starts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
