"""Browser benchmarks: headless Chromium start-up, and parity in the browser on a keras.applications
model (weights=None).

python bench/bench_browser.py               # start-up (5 fresh browsers), then parity on
                                            # MobileNetV2 224x224 (layers and graph) on
                                            # webgl and webgl-f16, twice each in one browser
python bench/bench_browser.py --size 96     # a smaller MobileNetV2
python bench/bench_browser.py --skip-startup --models MobileNetV2 ResNet50 DenseNet121 \
    --backends webgl                        # large models (103 MB in 25 shards, 32 MB in 8)
                                            # next to MobileNetV2 in the same run
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from tfjs_build.parity import check_parity  # noqa: E402
from tfjs_build.runtime import RuntimePool  # noqa: E402
from tfjs_build.runtime.browser import BrowserSession  # noqa: E402
from tfjs_build.runtime.node_packages import ensure_node_packages  # noqa: E402


def bench_startup(repeats: int) -> None:
    """Seconds to a DevTools session, then to a page with TF.js's webgl backend ready."""
    ensure_node_packages()
    launch, ready = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        with RuntimePool() as pool:
            session: BrowserSession = pool.browser()
            launch.append(time.perf_counter() - started)
            pool.get("webgl").environment()
            ready.append(time.perf_counter() - started)
            version = session.version
    print(f"{version}, {repeats} fresh browsers:")
    for label, values in (("Chromium up, DevTools answering", launch), ("webgl page ready", ready)):
        print(
            f"  {label}: median {statistics.median(values):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f})"
        )


def _trained_like_statistics(model: Any, seed: int = 0) -> None:
    """BatchNormalization statistics away from their initial values: with them, an untrained
    MobileNetV2's activations fade and every class gets exactly 1/1000."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            gamma, beta, mean, var = (w.shape for w in layer.get_weights())
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma).astype("float32"),
                    rng.normal(0, 0.1, beta).astype("float32"),
                    rng.normal(0, 0.1, mean).astype("float32"),
                    rng.uniform(0.5, 1.5, var).astype("float32"),
                ]
            )


def bench_parity(
    name: str, size: int, formats: list[str], backends: list[str], attempts: int = 2
) -> None:
    """check_parity seconds per format and backend; each model twice in the same browser."""
    import keras

    from tfjs_build.artifact import write_artifact
    from tfjs_build.graph import convert_keras_to_graph
    from tfjs_build.layers import convert_keras_to_layers

    converters = {"layers": convert_keras_to_layers, "graph": convert_keras_to_graph}
    model = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3))
    _trained_like_statistics(model)
    with tempfile.TemporaryDirectory() as scratch, RuntimePool() as pool:
        source = Path(scratch) / "model.keras"
        model.save(source)
        print(f"{name} {size}x{size}, {model.count_params():,} parameters, probes of batch 2")
        pool.get(backends[0]).environment()  # start-up is measured above, not here
        for fmt in formats:
            art = Path(scratch) / fmt
            write_artifact(converters[fmt](source), art)
            megabytes = sum(p.stat().st_size for p in art.iterdir()) / 1e6
            shards = len(list(art.glob("*.bin")))
            print(f" {fmt}: {megabytes:.1f} MB, {shards} shards", flush=True)
            for backend in backends:
                for attempt in ("first", "again")[:attempts]:
                    started = time.perf_counter()
                    report = check_parity(art, source, backends=(backend,), runtimes=pool)
                    total = time.perf_counter() - started
                    worst = max(o["max_abs_error"] for o in report.record["backends"][0]["outputs"])
                    print(
                        f"  {fmt} {backend} ({attempt}): check_parity {total:.2f} s, of which "
                        f"TF.js {report.seconds[backend]:.2f} s; max abs error {worst:.2g}, "
                        f"passed={report.passed}",
                        flush=True,
                    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--models", nargs="*", default=["MobileNetV2"], help="keras.applications names"
    )
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--formats", nargs="*", default=["layers", "graph"])
    parser.add_argument("--backends", nargs="*", default=["webgl", "webgl-f16"])
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--attempts", type=int, default=2, choices=(1, 2), help="checks per model")
    args = parser.parse_args(argv)
    if not args.skip_startup:
        bench_startup(args.repeats)
    for name in args.models:
        bench_parity(name, args.size, args.formats, args.backends, args.attempts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
