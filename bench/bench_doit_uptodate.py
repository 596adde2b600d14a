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

PYPROJECT = '[tool.tfjs-build]\nparity = false\n{extra}\n[[tool.tfjs-build.models]]\nsource = "models/*.h5"\n'


def write_h5_model(path: Path, seed: int, widths: tuple[int, ...] = (4, 2)) -> int:
    """A Keras-2-style Sequential of Dense layers (``widths[0]`` inputs, then one layer per other
    width) written with h5py alone, as tf_keras would save it; returns the weight bytes."""
    rng = np.random.default_rng(seed)
    layers: list[dict[str, object]] = [
        {
            "class_name": "InputLayer",
            "config": {"batch_input_shape": [None, widths[0]], "dtype": "float32", "name": "x"},
        }
    ]
    names = [f"dense_{i}" if i else "dense" for i in range(len(widths) - 1)]
    for name, units in zip(names, widths[1:], strict=True):
        dense = {"name": name, "units": units, "activation": "linear", "use_bias": True}
        layers.append({"class_name": "Dense", "config": dense | {"dtype": "float32"}})
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}
    total = 0
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [n.encode() for n in names]
        for name, fan_in, units in zip(names, widths[:-1], widths[1:], strict=True):
            layer = weights.create_group(name)
            layer.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
            group = layer.create_group(name)
            group["kernel:0"] = rng.standard_normal((fan_in, units), dtype=np.float32)
            group["bias:0"] = rng.standard_normal(units, dtype=np.float32)
            total += 4 * (fan_in + 1) * units
    return total


def write_project(
    root: Path, models: int, widths: tuple[int, ...] = (4, 2), extra: str = ""
) -> int:
    """A project in ``root`` configuring ``models`` Dense ``.h5`` models (parity off) for
    ``tfjs-build`` and ``doit convert``; ``extra`` is added to ``[tool.tfjs-build]``. Returns
    the weight bytes of one model."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    sizes = [write_h5_model(root / "models" / f"m{i:03d}.h5", i, widths) for i in range(models)]
    (root / "pyproject.toml").write_text(PYPROJECT.format(extra=extra))
    (root / "dodo.py").write_text("from tfjs_build.doit import task_convert  # noqa: F401\n")
    return sizes[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        write_project(root, args.models)
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
