"""Only fusions every target backend executes survive; the rest run as plain ops on cpu and wasm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case, keras_case, randomize
from tfjs_build.graph import convert_keras_to_graph, convert_saved_model
from tfjs_build.graph.fusion import apply_fusion_policy, common_activations
from tfjs_build.graph.pipeline import ConversionReport

ACTIVATIONS = ["hard_swish", "tanh", "gelu", "silu", "relu6", "elu", "sigmoid", "leaky_relu"]


def _fused_activations(topology: dict[str, Any]) -> set[str]:
    import base64

    found = set()
    for node in topology["node"]:
        if node["op"] in ("_FusedConv2D", "_FusedMatMul", "FusedDepthwiseConv2dNative"):
            ops = [
                base64.b64decode(s).decode() for s in node["attr"]["fused_ops"]["list"].get("s", [])
            ]
            found.update(ops[1:])
    return found


@pytest.fixture(scope="session")
def activations_case(model_dir: Path) -> Case:
    """Conv and Dense layers with the activations TensorFlow's remapper likes to fuse."""
    import keras

    rng = np.random.default_rng(11)
    inputs = keras.Input((8, 8, 3), name="image")
    x = inputs
    for name in ACTIVATIONS:
        x = keras.layers.Conv2D(4, 3, padding="same", activation=name, name=f"conv_{name}")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", activation="hard_swish")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    for name in ACTIVATIONS:
        x = keras.layers.Dense(6, activation=name, name=f"dense_{name}")(x)
    outputs = keras.layers.Dense(3, name="scores")(x)
    model = keras.Model(inputs, outputs)
    randomize(model.weights, rng, -0.6, 0.6)
    feed = {"image": rng.normal(size=(2, 8, 8, 3)).astype("float32")}
    return keras_case(model, model_dir / "activations.keras", feed)


def test_unsupported_fused_activations_run_on_cpu_and_wasm(
    activations_case: Case, tmp_path: Path
) -> None:
    report = ConversionReport()
    artifact = convert_keras_to_graph(activations_case.path, report=report)
    assert report.fused_split >= 3  # hard-swish, swish, tanh fusions were made and undone
    ops = {node["op"] for node in artifact.topology["node"]}
    assert not {op for op in ops if op.startswith("_Mkl") or op == "_FusedDepthwiseConv2dNative"}
    assert _fused_activations(artifact.topology) <= common_activations(("cpu", "wasm", "webgl"))
    assert "_FusedConv2D" in ops  # the fusions TF.js runs are kept
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"), activations_case.inputs, activations_case.expected
    )


def test_fused_matmul_with_tanh_is_split() -> None:
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    for name in ("x", "w", "b"):
        node = graph_def.node.add(name=name, op="Placeholder")
        node.attr["dtype"].type = tf.float32.as_datatype_enum
    fused = graph_def.node.add(name="dense", op="_FusedMatMul", input=["x", "w", "b"])
    fused.attr["T"].type = tf.float32.as_datatype_enum
    fused.attr["num_args"].i = 1
    fused.attr["fused_ops"].list.s.extend([b"BiasAdd", b"Tanh"])
    graph_def.node.add(name="out", op="Identity", input=["dense"]).attr[
        "T"
    ].type = tf.float32.as_datatype_enum

    stats = apply_fusion_policy(graph_def, ("cpu", "wasm"))

    assert stats == {"kept": 0, "split": 1}
    by_name = {node.name: node for node in graph_def.node}
    assert by_name["dense"].op == "Tanh"
    bias = by_name[by_name["dense"].input[0]]
    assert bias.op == "BiasAdd" and by_name[bias.input[0]].op == "MatMul"
    assert list(by_name[bias.input[0]].input) == ["x", "w"]


@pytest.fixture(scope="session")
def batch_norm_chain_case(model_dir: Path) -> Case:
    """MobileNet-style blocks: bias-free convolutions, batch norm, relu6; a bias-free Dense."""
    import keras

    rng = np.random.default_rng(12)
    inputs = keras.Input((10, 10, 3), name="image")
    x = keras.layers.Conv2D(8, 3, use_bias=False)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU(6.0)(x)
    x = keras.layers.DepthwiseConv2D(3, use_bias=False, depth_multiplier=2)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(4, use_bias=False, activation="relu", name="features")(x)
    model = keras.Model(inputs, outputs)
    randomize(model.weights, rng, 0.05, 0.35)
    feed = {"image": rng.normal(size=(2, 10, 10, 3)).astype("float32")}
    return keras_case(model, model_dir / "bn_chain.keras", feed)


def test_bias_free_chains_are_fused_with_folded_batch_norms(
    batch_norm_chain_case: Case, tmp_path: Path
) -> None:
    report = ConversionReport()
    artifact = convert_keras_to_graph(batch_norm_chain_case.path, report=report)
    ops = [node["op"] for node in artifact.topology["node"]]
    assert report.fused_added >= 2
    assert ops.count("_FusedConv2D") == 1 and ops.count("FusedDepthwiseConv2dNative") == 1
    assert ops.count("_FusedMatMul") == 1
    assert not {"Mul", "Relu6", "Relu", "Conv2D", "DepthwiseConv2dNative", "MatMul"} & set(ops)
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"),
        batch_norm_chain_case.inputs,
        batch_norm_chain_case.expected,
    )


def test_tf_keras_batch_norms_fold_into_fused_convolutions(
    tf_keras_conv_bn_case: Case, tmp_path: Path
) -> None:
    artifact = convert_saved_model(tf_keras_conv_bn_case.path)
    ops = [node["op"] for node in artifact.topology["node"]]
    assert ops.count("_FusedConv2D") == 2 and ops.count("FusedDepthwiseConv2dNative") == 1
    assert not {"FusedBatchNormV3", "Mul", "Add", "AddV2", "Relu", "Relu6"} & set(ops)
    assert ops.count("Tanh") == 1  # no backend fuses tanh: it stays a plain op
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"),
        tf_keras_conv_bn_case.inputs,
        tf_keras_conv_bn_case.expected,
    )
