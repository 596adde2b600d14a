"""Channels-first graphs run channels-last in TF.js, with the same values as in TensorFlow."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.graph_defs import GraphDefBuilder, ints, lowered_artifact, run_in_tensorflow
from tests.graph.models import Case
from tests.graph.test_products import all_ops
from tfjs_build.graph import convert_saved_model


def _data_formats(topology: dict) -> set[str]:
    import base64

    return {
        base64.b64decode(node["attr"]["data_format"]["s"]).decode()
        for node in topology["node"]
        if "data_format" in node.get("attr", {})
    }


def test_a_tf1_channels_first_net_runs_channels_last(
    channels_first_case: Case, tmp_path: Path
) -> None:
    artifact = convert_saved_model(channels_first_case.path)
    assert _data_formats(artifact.topology) == {"NHWC"}
    ops = [node["op"] for node in artifact.topology["node"]]
    assert ops.count("Transpose") <= 3  # into the net, out of it for each of its two outputs
    assert {"_FusedConv2D", "FusedDepthwiseConv2dNative", "MaxPool", "AvgPool"} <= set(ops)
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"),
        channels_first_case.inputs,
        channels_first_case.expected,
    )


def _channels_first_ops() -> tuple[GraphDefBuilder, list[str]]:
    rng = np.random.default_rng(31)
    g = GraphDefBuilder()
    x = g.placeholder("x")
    kernel = g.const("kernel", (rng.normal(size=(3, 3, 3, 4)) * 0.5).astype("float32"))
    depthwise = g.const("depthwise", (rng.normal(size=(3, 3, 3, 2)) * 0.5).astype("float32"))
    bias = g.const("bias", rng.normal(size=3).astype("float32"))
    nchw = {"data_format": b"NCHW"}
    fetches = [
        g.node("conv", "Conv2D", [x, kernel], strides=ints(1, 1, 2, 1), padding=b"SAME", **nchw),
        g.node(
            "conv_padded",
            "Conv2D",
            [x, kernel],
            strides=ints(1, 1, 1, 1),
            padding=b"EXPLICIT",
            explicit_paddings=ints(0, 0, 0, 0, 1, 2, 0, 1),
            **nchw,
        ),
        g.node(
            "depthwise_conv",
            "DepthwiseConv2dNative",
            [x, depthwise],
            strides=ints(1, 1, 2, 2),
            padding=b"VALID",
            **nchw,
        ),
        g.node("bias_add", "BiasAdd", [x, bias], **nchw),
        g.node(
            "max_pool",
            "MaxPool",
            [x],
            ksize=ints(1, 1, 3, 2),
            strides=ints(1, 1, 2, 2),
            padding=b"SAME",
            **nchw,
        ),
        g.node(
            "avg_pool",
            "AvgPool",
            [x],
            ksize=ints(1, 1, 2, 2),
            strides=ints(1, 1, 1, 2),
            padding=b"VALID",
            **nchw,
        ),
    ]
    return g, fetches


def test_each_channels_first_lowering_matches_tensorflow(tmp_path: Path) -> None:
    g, fetches = _channels_first_ops()
    feeds = {"x": np.random.default_rng(32).normal(size=(2, 3, 9, 8)).astype("float32")}
    expected = run_in_tensorflow(g.graph_def, feeds, fetches)
    artifact, counts = lowered_artifact(g.graph_def, feeds, fetches)
    assert counts == {
        "Conv2D": 2,
        "DepthwiseConv2dNative": 1,
        "BiasAdd": 1,
        "MaxPool": 1,
        "AvgPool": 1,
    }
    assert _data_formats(artifact.topology) == {"NHWC"}
    assert "Transpose" in all_ops(artifact.topology)
    assert_runs_like_tensorflow(write(artifact, tmp_path / "model"), feeds, expected)


def test_transposes_between_lowered_nodes_cancel(tmp_path: Path) -> None:
    g = GraphDefBuilder()
    x = g.placeholder("x")
    bias = g.const("bias", np.arange(3, dtype="float32"))
    added = g.node("bias_add", "BiasAdd", [x, bias], data_format=b"NCHW")
    pooled = g.node(
        "pool",
        "MaxPool",
        [added],
        ksize=ints(1, 1, 2, 2),
        strides=ints(1, 1, 2, 2),
        padding=b"VALID",
        data_format=b"NCHW",
    )
    feeds = {"x": np.random.default_rng(33).normal(size=(1, 3, 4, 4)).astype("float32")}
    expected = run_in_tensorflow(g.graph_def, feeds, [pooled])
    artifact, _ = lowered_artifact(g.graph_def, feeds, [pooled])
    ops = [node["op"] for node in artifact.topology["node"]]
    assert ops.count("Transpose") == 2  # BiasAdd's way back and the pool's way in cancel
    assert_runs_like_tensorflow(write(artifact, tmp_path / "model"), feeds, expected)
