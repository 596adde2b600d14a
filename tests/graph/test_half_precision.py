"""Mixed precision Keras models become float32 graph models: no 16-bit tensor is left, and TF.js
computes what the model's float32 twin (same weights, float32 policy) computes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.layers.conftest import keras_flavor
from tfjs_build.artifact.files import write_artifact
from tfjs_build.graph.convert import convert_keras_to_graph
from tfjs_build.graph.pipeline import ConversionReport
from tfjs_build.runtime.tfjs import run_in_tfjs

IMAGES = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")


def mixed_cnn(keras: Any, policy: str) -> Any:
    """A small CNN whose layers compute in ``policy``; softmax in float32, as Keras advises."""
    keras.mixed_precision.set_global_policy(policy)
    try:
        layers = keras.layers
        x = keras.Input((8, 8, 3), name="image")
        y = layers.Conv2D(4, 3, activation="relu")(x)
        y = layers.BatchNormalization()(y)
        y = layers.DepthwiseConv2D(3, padding="same")(y)
        y = layers.GlobalAveragePooling2D()(y)
        y = layers.Dense(5, name="logits")(y)
        out = layers.Activation("softmax", dtype="float32", name="probs")(y)
        return keras.Model(x, [y, out])
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize(
    ("flavor", "policy"),
    [("keras3", "mixed_float16"), ("tf_keras", "mixed_float16"), ("keras3", "mixed_bfloat16")],
)
def test_mixed_precision_graphs_compute_in_float32(
    flavor: str, policy: str, tmp_path: Path
) -> None:
    keras = keras_flavor(flavor)
    keras.utils.set_random_seed(0)
    mixed = mixed_cnn(keras, policy)
    twin = mixed_cnn(keras, "float32")
    twin.set_weights(mixed.get_weights())
    source = tmp_path / "mixed.keras"
    mixed.save(source)
    report = ConversionReport()
    write_artifact(convert_keras_to_graph(source, report=report), tmp_path / "graph")
    assert report.rewrites["float16 to float32"] > 0
    model_json = (tmp_path / "graph" / "model.json").read_text()
    assert "DT_HALF" not in model_json and "DT_BFLOAT16" not in model_json
    dtypes = {w["dtype"] for w in json.loads(model_json)["weightsManifest"][0]["weights"]}
    assert dtypes <= {"float32", "int32"}  # int32: shapes and axes
    expected = dict(zip(("logits", "probs"), twin.predict(IMAGES, verbose=0), strict=True))
    for backend in ("cpu", "wasm"):
        actual = run_in_tfjs(tmp_path / "graph", {"image": IMAGES}, backend=backend)
        for name, want in expected.items():
            np.testing.assert_allclose(actual[name], want, atol=1e-5, rtol=1e-4, err_msg=name)
