"""Benchmark: ``doit convert`` on 100 up-to-date models, as a whole process (wall seconds).

Builds 100 tiny layers models once (no parity, so it is quick), then times repeated no-op runs.
Run: python bench/bench_doit_uptodate.py [--models 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np


def _write_h5_model(path: Path, seed: int) -> None:
    """A Keras-2-style Dense model written with h5py alone (what tf_keras would save)."""
    rng = np.random.default_rng(seed)
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "x"},
                },
                {
                    "class_name": "Dense",
                    "config": {
                        "name": "dense",
                        "units": 2,
                        "activation": "linear",
                        "use_bias": True,
                        "dtype": "float32",
                    },
                },
            ],
        },
    }
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [b"dense"]
        dense = weights.create_group("dense")
        dense.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        group = dense.create_group("dense")
        group["kernel:0"] = rng.standard_normal((4, 2)).astype("float32")
        group["bias:0"] = rng.standard_normal(2).astype("float32")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "models").mkdir()
        for i in range(args.models):
            _write_h5_model(root / "models" / f"m{i:03d}.h5", i)
        (root / "pyproject.toml").write_text(
            '[tool.tfjs-build]\nparity = false\n\n[[tool.tfjs-build.models]]\nsource = "models/*.h5"\n'
        )
        (root / "dodo.py").write_text("from tfjs_build.doit import task_convert  # noqa: F401\n")
        started = time.perf_counter()
        first = subprocess.run(
            [sys.executable, "-m", "doit", "convert"], cwd=root, capture_output=True, text=True
        )
        cold = time.perf_counter() - started
        converted = first.stdout.count(": converted (")
        if first.returncode != 0 or converted != args.models:
            print(first.stdout[-2000:], first.stderr[-2000:])
            return 1
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-m", "doit", "convert"], cwd=root, capture_output=True, text=True
            )
            times.append(time.perf_counter() - started)
            assert run.returncode == 0 and ": converted (" not in run.stdout
    print(
        f"{args.models} models: cold convert (no parity) {cold:.2f} s; up-to-date run median "
        f"{statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}, {args.runs} runs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
