"""Benchmark: cold conversion of a ~100 MB-weights Keras .h5 to a TF.js layers model.

Each measurement is a whole fresh process (interpreter start, imports, reading, writing shards),
timed next to ``cp`` of the same file. Before every run the source is evicted from the page cache
(``posix_fadvise(DONTNEED)``), so reads come from disk as on a first build.
Targets: <= 1.5 s wall and peak RSS <= 1.5 x weight bytes + 150 MB.

    python bench/bench_layers_convert.py [--repeat 3] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_check import run_process

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024

CONVERT = (
    "import sys\n"
    "from pathlib import Path\n"
    "from tfjs_build.artifact import write_artifact\n"
    "from tfjs_build.layers import convert_keras_to_layers\n"
    "write_artifact(convert_keras_to_layers(Path(sys.argv[1])), Path(sys.argv[2]))\n"
)


def build_source(target: Path) -> int:
    """Save a Keras 3 MLP with ~100 MB of float32 weights as legacy HDF5 (and as ``.keras`` next
    to it); return the weight bytes."""
    code = (
        "import os, sys\n"
        "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "import keras\n"
        "model = keras.Sequential([keras.Input((1024,)), keras.layers.Dense(4096, activation='relu'),\n"
        "    keras.layers.Dense(4096, activation='relu'), keras.layers.Dense(1024)])\n"
        "model.save(sys.argv[1])\n"
        "model.save(sys.argv[1][: -len('.h5')] + '.keras')\n"
        "print(sum(w.size for w in model.get_weights()) * 4)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1])


def evict(path: Path) -> None:
    """Drop ``path`` from the page cache so the next read is cold."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def measure(argv: list[str]) -> tuple[float, float]:
    """``(wall seconds, peak RSS MiB)`` of one child process (RSS measured as bench_check does)."""
    run = run_process(argv, REPO, {**os.environ, "PYTHONPATH": str(REPO)})
    if run.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed with exit code {run.returncode}: {run.stderr[-500:]}")
    return run.wall, run.rss_mib


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None, help="keep the source model here")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-layers-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / "mlp-100mb.h5"
    weight_bytes = build_source(source)
    budget_mib = (1.5 * weight_bytes + 150 * 1e6) / MIB
    rows: dict[str, list[tuple[float, float]]] = {
        "cp": [],
        "convert (python -c)": [],
        "convert .keras (python -c)": [],
        "tfjs-build convert CLI": [],
    }
    for run in range(args.repeat):
        for label in rows:
            target = work / f"out-{run}-{'-'.join(label.split()[:2])}"
            shutil.rmtree(target, ignore_errors=True)
            evict(source)
            if label == "cp":
                command = ["cp", str(source), str(target)]
            elif label.startswith("convert .keras"):
                keras_source = source.with_suffix(".keras")
                evict(keras_source)
                command = [sys.executable, "-c", CONVERT, str(keras_source), str(target)]
            elif label.startswith("convert"):
                command = [sys.executable, "-c", CONVERT, str(source), str(target)]
            else:
                command = [
                    sys.executable,
                    "-m",
                    "tfjs_build",
                    "convert",
                    str(source),
                    str(target),
                    "--format",
                    "layers",
                    "--no-parity",
                ]
            rows[label].append(measure(command))
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()
    print(
        f"source: {source.stat().st_size / MIB:.1f} MiB file, {weight_bytes / MIB:.1f} MiB of weights"
    )
    print(f"RSS budget: {budget_mib:.0f} MiB; wall budget: 1.5 s")
    print(f"{'command':<26}{'wall median s':>14}{'wall max s':>12}{'peak RSS MiB':>14}")
    for label, results in rows.items():
        walls = [wall for wall, _ in results]
        peak = max(rss for _, rss in results)
        print(f"{label:<26}{statistics.median(walls):>14.3f}{max(walls):>12.3f}{peak:>14.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
