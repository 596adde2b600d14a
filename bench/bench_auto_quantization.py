"""``quantization = "auto"``: its search time and the bytes it saves, next to float32 and uniform
float16/uint8 builds of the same models, built in the same run.

    python bench/bench_auto_quantization.py

Models (Keras 3, untrained, built here): MobileNetV2 at 96x96 (logits) with randomised BatchNorm
statistics; the same with heavy-tailed kernels (Student-t, 3 degrees of freedom: the outliers of
trained weights, which uint8 cannot hold within its tolerance); an Embedding + LSTM text
classifier. Each build converts, checks parity on cpu and wasm and publishes; times are ratios
to the float32 build of the same model.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from tfjs_build.errors import TfjsBuildError  # noqa: E402
from tfjs_build.options import ConvertOptions, ParityOptions  # noqa: E402
from tfjs_build.pipeline import build  # noqa: E402
from tfjs_build.runtime import RuntimePool  # noqa: E402
from tfjs_build.verification import parity_verifier  # noqa: E402

SETTINGS: tuple[tuple[str, Any], ...] = (
    ("float32", None),
    ("float16", "float16"),
    ("uint8", "uint8"),
    ("auto", "auto"),
)


def _mobilenet(keras: Any, heavy_tailed: bool) -> Any:
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), weights=None, classifier_activation=None
    )
    rng = np.random.default_rng(0)
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "BatchNormalization":
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma.shape).astype("float32"),
                    rng.normal(0, 0.1, beta.shape).astype("float32"),
                    rng.normal(0, 0.1, mean.shape).astype("float32"),
                    rng.uniform(0.5, 1.5, var.shape).astype("float32"),
                ]
            )
        elif heavy_tailed and kind in ("Conv2D", "DepthwiseConv2D", "Dense"):
            weights = layer.get_weights()
            spread = float(np.std(weights[0]))
            weights[0] = (rng.standard_t(3, weights[0].shape) * spread / np.sqrt(3)).astype(
                "float32"
            )
            layer.set_weights(weights)
    return model


def _text(keras: Any) -> Any:
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((20,), dtype="int32", name="tokens"),
            keras.layers.Embedding(5000, 64, name="embedding"),
            keras.layers.LSTM(64, name="lstm"),
            keras.layers.Dense(10, activation="softmax", name="classes"),
        ]
    )


def _weight_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.glob("*.bin"))


def main() -> None:
    import keras

    models = {
        "MobileNetV2 96px": lambda: _mobilenet(keras, heavy_tailed=False),
        "MobileNetV2 96px, heavy-tailed kernels": lambda: _mobilenet(keras, heavy_tailed=True),
        "Embedding + LSTM": lambda: _text(keras),
    }
    parity = ParityOptions(parity_backends=("cpu", "wasm"))
    with tempfile.TemporaryDirectory() as tmp, RuntimePool() as runtimes:
        root = Path(tmp)
        print("| model | build | weight bytes | vs float32 | parity | build time vs float32 |")
        print("|---|---|---|---|---|---|")
        for label, make in models.items():
            source = root / f"{len(list(root.iterdir()))}.keras"
            make().save(source)
            baseline_bytes, baseline_seconds = 0, 0.0
            for name, quantization in SETTINGS:
                options = ConvertOptions(quantization=quantization)
                output = root / f"{source.stem}-{name}"
                started = time.perf_counter()
                try:
                    result = build(
                        source, output, options, verify=parity_verifier(parity, options, runtimes)
                    )
                    verdict = "passed"
                except TfjsBuildError:
                    result, verdict = None, "FAILED"
                seconds = time.perf_counter() - started
                if name == "float32":
                    baseline_bytes, baseline_seconds = _weight_bytes(output), seconds
                size = _weight_bytes(output) if result is not None else 0
                plan = result.quantization_plan if result is not None else None
                if plan is not None:
                    verdict += f"; {plan.summary()}"
                shown = f"{size:,}" if result is not None else "-"
                ratio = f"{size / baseline_bytes:.2f}" if result is not None else "-"
                print(
                    f"| {label} | {name} | {shown} | {ratio} | {verdict} | "
                    f"{seconds / baseline_seconds:.1f}x |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
