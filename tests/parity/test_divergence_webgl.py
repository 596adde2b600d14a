"""Localizing a divergence on webgl-f16 in the machine's real Chromium: a layer whose values
leave float16's range is named, and the cause is named as an overflow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tfjs_build.artifact import write_artifact
from tfjs_build.convert import convert_source
from tfjs_build.parity import check_parity


@pytest.fixture(scope="module")
def amplifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Keras 3 MLP whose middle layer ``amplify`` reaches ~1e5 (beyond float16's 65504) and
    whose next layer scales it back down, converted to ``artifact/``."""
    import keras

    keras.utils.set_random_seed(4)
    features = keras.Input((4,), name="features")
    h = keras.layers.Dense(4, activation="relu", name="hidden")(features)
    h = keras.layers.Dense(4, name="amplify")(h)
    h = keras.layers.Dense(2, name="shrink")(h)
    model = keras.Model(features, h)
    hidden = model.get_layer("hidden")
    hidden.kernel.assign(np.abs(hidden.kernel.numpy()) + 0.5)
    model.get_layer("amplify").kernel.assign(np.full((4, 4), 5e4, "float32"))
    model.get_layer("shrink").kernel.assign(np.full((4, 2), 1e-4, "float32"))
    root = tmp_path_factory.mktemp("amplifier")
    model.save(root / "amplifier.keras")
    write_artifact(convert_source(root / "amplifier.keras").artifact, root / "artifact")
    return root


def test_a_float16_overflow_is_named_on_webgl_f16(amplifier: Path, runtimes) -> None:
    report = check_parity(
        amplifier / "artifact",
        amplifier / "amplifier.keras",
        backends=("webgl", "webgl-f16"),
        float_range=(0.5, 1.0),
        runtimes=runtimes,
    )
    webgl, f16 = report.results
    assert webgl.passed and webgl.divergence is None  # float32 textures hold 1e5
    assert f16.divergence is not None and f16.divergence.first is not None
    message = report.failure_message() or ""
    assert "parity failed on TF.js webgl-f16" in message
    assert "first diverges at layer 'amplify' (Dense)" in message, message
    assert "float16 overflow" in message and "beyond float16's largest 65504" in message
    divergence = report.record["backends"][1]["divergence"]
    assert [c["kind"] for c in divergence["causes"]] == ["float16_overflow"]
    assert [s["passed"] for s in divergence["steps"]] == [True, False, False]
