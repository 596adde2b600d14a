"""Localizing a graph model's divergence in real TF.js against a real SavedModel: nodes are
matched by name (a fused convolution keeps the name of the node it replaces)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tfjs_build.artifact import quantization_plan, read_artifact, write_artifact
from tfjs_build.parity import check_parity
from tfjs_build.parity.tolerances import ToleranceOverrides

MIDDLE_KERNEL = "StatefulPartitionedCall/middle/ReadVariableOp"


@pytest.fixture(scope="module")
def two_convs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SavedModel of two convolutions and a projection, converted to ``good/``; ``bad/`` has
    the second convolution's kernel scaled."""
    import tensorflow as tf

    from tfjs_build.graph import convert_saved_model

    class Net(tf.Module):
        def __init__(self) -> None:
            rng = np.random.default_rng(0)
            self.k1 = tf.Variable(rng.normal(size=(3, 3, 2, 4)).astype("float32"))
            self.k2 = tf.Variable(rng.normal(size=(3, 3, 4, 4)).astype("float32"))
            self.b2 = tf.Variable(rng.normal(size=(4,)).astype("float32"))
            self.w = tf.Variable(rng.normal(size=(4, 3)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 2], tf.float32, name="image")])
        def serve(self, image):
            h = tf.nn.relu(tf.nn.conv2d(image, self.k1, 1, "SAME"))
            h = tf.nn.conv2d(h, self.k2, 1, "SAME", name="middle")
            h = tf.nn.relu(tf.nn.bias_add(h, self.b2))
            return {"scores": tf.reduce_mean(h, axis=[1, 2]) @ self.w}

    root = tmp_path_factory.mktemp("two_convs")
    net = Net()
    tf.saved_model.save(net, str(root / "model"), signatures=net.serve)
    write_artifact(convert_saved_model(root / "model"), root / "good")
    artifact = read_artifact(root / "good")
    artifact.weights = [(n, w * 1.5 if n == MIDDLE_KERNEL else w) for n, w in artifact.weights]
    write_artifact(artifact, root / "bad")
    plan = quantization_plan("uint8", include=(MIDDLE_KERNEL,))
    write_artifact(read_artifact(root / "good"), root / "uint8", quantization=plan)
    return root


def test_a_quantized_constant_that_breaks_parity_is_named(two_convs: Path, runtimes) -> None:
    strict = ToleranceOverrides(atol=1e-5, rtol=0.0, scale_tol=0.0)
    report = check_parity(
        two_convs / "uint8",
        two_convs / "model",
        backends=("wasm",),
        overrides=strict,
        runtimes=runtimes,
    )
    message = report.failure_message() or ""
    assert "first diverges at node 'StatefulPartitionedCall/Relu_1' (_FusedConv2D)" in message
    assert f"its own error: uint8 quantization of {MIDDLE_KERNEL}" in message, message
    divergence = report.results[0].divergence
    assert divergence is not None and divergence.quantized_weights == (MIDDLE_KERNEL,)


def test_a_corrupted_weight_of_a_graph_model_names_its_node(two_convs: Path, runtimes) -> None:
    report = check_parity(
        two_convs / "bad", two_convs / "model", backends=("cpu",), runtimes=runtimes
    )
    message = report.failure_message() or ""
    assert "first diverges at node 'StatefulPartitionedCall/Relu_1' (_FusedConv2D)" in message
    assert f"its own error: the constant {MIDDLE_KERNEL} differs from the source's" in message
    divergence = report.record["backends"][0]["divergence"]
    assert [s["name"] for s in divergence["steps"]] == [
        "StatefulPartitionedCall/Relu",
        "StatefulPartitionedCall/Relu_1",
        "StatefulPartitionedCall/Mean",
        "StatefulPartitionedCall/matmul",
    ]
    assert [s["passed"] for s in divergence["steps"]] == [True, False, False, False]
    assert divergence["own_error"] is True and divergence["inputs_max_abs_error"] < 1e-5


def test_a_passing_graph_model_reports_every_node_when_asked(two_convs: Path, runtimes) -> None:
    quiet = check_parity(
        two_convs / "good", two_convs / "model", backends=("cpu",), runtimes=runtimes
    )
    assert quiet.passed and "divergence" not in quiet.record["backends"][0]
    asked = check_parity(
        two_convs / "good",
        two_convs / "model",
        backends=("cpu",),
        runtimes=runtimes,
        explain="always",
    )
    divergence = asked.record["backends"][0]["divergence"]
    assert divergence["kind"] == "node" and divergence["name"] is None
    assert len(divergence["steps"]) == 4 and all(s["passed"] for s in divergence["steps"])


@pytest.fixture(scope="module")
def keras_graph(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A Keras 3 CNN converted to a graph model (``good/``) and a copy whose second
    convolution's fused kernel is scaled (``bad/``); with that node's name."""
    import keras

    from tfjs_build.convert import convert_source
    from tfjs_build.options import ConvertOptions

    keras.utils.set_random_seed(0)
    image = keras.Input((8, 8, 3), name="image")
    h = keras.layers.Conv2D(4, 3, activation="relu", name="first")(image)
    h = keras.layers.Conv2D(6, 3, activation="relu", name="second")(h)
    model = keras.Model(image, keras.layers.Dense(3, name="logits")(keras.layers.Flatten()(h)))
    root = tmp_path_factory.mktemp("keras_graph")
    model.save(root / "cnn.keras")
    artifact = convert_source(root / "cnn.keras", ConvertOptions(format="graph")).artifact
    write_artifact(artifact, root / "good")
    (second,) = (
        node
        for node in artifact.topology["node"]
        if node["op"] == "_FusedConv2D" and node["input"][0] != "image"
    )
    kernel = second["input"][1]
    artifact.weights = [(n, w * 1.5 if n == kernel else w) for n, w in artifact.weights]
    write_artifact(artifact, root / "bad")
    return root, second["name"]


def test_a_keras_source_of_a_graph_model_names_the_fused_node(keras_graph, runtimes) -> None:
    root, second = keras_graph
    report = check_parity(root / "bad", root / "cnn.keras", backends=("cpu",), runtimes=runtimes)
    message = report.failure_message() or ""
    assert "/second" in second  # the fused node keeps the name of the layer's last op
    assert f"first diverges at node '{second}' (_FusedConv2D)" in message, message
    assert (
        "its own error: TF.js computes _FusedConv2D differently from TensorFlow here, or its "
        in message
    )
    assert "constants made by the conversion" in message
    steps = report.record["backends"][0]["divergence"]["steps"]
    assert [s["passed"] for s in steps][:2] == [True, False]
