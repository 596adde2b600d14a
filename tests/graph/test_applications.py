"""Whole Keras applications exported as SavedModels: they run on TF.js cpu and wasm (slow)."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tfjs_build.graph import convert_saved_model
from tfjs_build.graph.pipeline import ConversionReport


@pytest.mark.slow
def test_mobilenet_v3_small_runs_on_cpu_and_wasm(tmp_path: Path) -> None:
    """The incumbent's MobileNetV3 fails with "_fusedhardswish has not been implemented"."""
    import keras
    import tensorflow as tf

    model = keras.applications.MobileNetV3Small(
        weights=None,
        input_shape=(96, 96, 3),
        include_preprocessing=False,
        classifier_activation=None,
    )
    rng = np.random.default_rng(0)
    for variable in model.weights:  # batch-norm statistics away from their defaults
        if "moving_variance" in variable.path:
            variable.assign(rng.uniform(0.5, 1.5, variable.shape).astype("float32"))
    model.export(str(tmp_path / "saved"), verbose=False)
    image = rng.uniform(-1, 1, size=(1, 96, 96, 3)).astype("float32")
    expected = tf.saved_model.load(str(tmp_path / "saved")).signatures["serving_default"](
        tf.constant(image)
    )
    report = ConversionReport()
    artifact = convert_saved_model(tmp_path / "saved", report=report)
    assert report.fused_added > 0
    fused_ops = {
        base64.b64decode(s).decode()
        for node in artifact.topology["node"]
        for s in node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])
    }
    assert fused_ops and not any("HardSwish" in op for op in fused_ops)
    assert artifact.signature is not None
    (input_key,) = artifact.signature["inputs"]
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "tfjs"),
        {input_key: image},
        {k: v.numpy() for k, v in expected.items()},
    )
