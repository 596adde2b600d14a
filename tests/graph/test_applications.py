"""Whole Keras applications exported as SavedModels run on TF.js cpu and wasm (slow)."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from tests.graph.checks import write
from tfjs_build.graph import convert_saved_model
from tfjs_build.graph.pipeline import ConversionReport
from tfjs_build.runtime import run_in_tfjs

# (application, input size, absolute tolerance for its logits)
APPLICATIONS = [
    (
        "MobileNetV3Small",
        96,
        1e-5,
    ),  # the incumbent fails: "_fusedhardswish has not been implemented"
    ("EfficientNetB0", 64, 1e-5),  # swish everywhere, squeeze-and-excitation, oneDNN rank-4 biases
    ("ConvNeXtTiny", 32, 5e-5),  # grouped convolutions under jit_compile, exact GELU; logits ~4
]


def _fused_ops(topology: dict) -> set[str]:
    return {
        base64.b64decode(s).decode()
        for node in topology["node"]
        for s in node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])
    }


@pytest.mark.slow
@pytest.mark.parametrize(("name", "size", "tolerance"), APPLICATIONS)
def test_application_runs_on_cpu_and_wasm(
    name: str, size: int, tolerance: float, tmp_path: Path
) -> None:
    import keras
    import tensorflow as tf

    model = getattr(keras.applications, name)(
        weights=None, input_shape=(size, size, 3), classifier_activation=None
    )
    rng = np.random.default_rng(0)
    for variable in model.weights:  # batch-norm statistics away from their defaults
        if "moving_variance" in variable.path:
            variable.assign(rng.uniform(0.5, 1.5, variable.shape).astype("float32"))
    model.export(str(tmp_path / "saved"), verbose=False)
    image = rng.uniform(0, 255, size=(1, size, size, 3)).astype("float32")
    function = tf.saved_model.load(str(tmp_path / "saved")).signatures["serving_default"]
    expected = {k: v.numpy() for k, v in function(tf.constant(image)).items()}

    report = ConversionReport()
    artifact = convert_saved_model(tmp_path / "saved", report=report)

    assert report.nodes_after < report.nodes_before
    assert not any("HardSwish" in op or "Swish" in op for op in _fused_ops(artifact.topology))
    assert artifact.signature is not None
    (input_key,) = artifact.signature["inputs"]
    directory = write(artifact, tmp_path / "tfjs")
    for backend in ("cpu", "wasm"):
        got = run_in_tfjs(directory, {input_key: image}, backend=backend)
        for key, want in expected.items():
            np.testing.assert_allclose(
                got[key], want, rtol=0, atol=tolerance, err_msg=f"{name} {backend}"
            )
