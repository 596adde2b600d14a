"""The op check names every op TF.js lacks and the nodes using it; it can be switched off."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph import convert_saved_model
from tfjs_build.graph.op_check import load_op_table


@pytest.fixture(scope="session")
def lacking_model(model_dir: Path) -> Path:
    import tensorflow as tf

    class Special(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def __call__(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            positive = tf.abs(x) + 1.0
            return {
                "lgamma": tf.math.lgamma(positive),
                "digamma": tf.math.digamma(positive) + tf.math.lgamma(positive * 2.0),
            }

    module = Special()
    path = model_dir / "lacking"
    tf.saved_model.save(module, str(path), signatures=module.__call__)
    return path


def test_op_check_names_each_missing_op_and_its_nodes(lacking_model: Path) -> None:
    with pytest.raises(UnsupportedModelError) as caught:
        convert_saved_model(lacking_model)
    message = str(caught.value)
    assert "cannot run 2 op(s)" in message
    assert "Digamma (node " in message
    assert "Lgamma (nodes " in message and "Lgamma_1" in message
    assert "check_ops=False" in message
    assert "\n" not in message


def test_op_check_can_be_switched_off(lacking_model: Path) -> None:
    artifact = convert_saved_model(lacking_model, check_ops=False)
    assert "Lgamma" in {node["op"] for node in artifact.topology["node"]}


def test_op_table_comes_from_tfjs_4_22() -> None:
    table = load_op_table()
    assert table.version == "4.22.0"
    assert {
        "_FusedConv2D",
        "FusedDepthwiseConv2dNative",
        "While",
        "StatelessIf",
        "Erf",
    } <= table.ops
    assert "Erfc" not in table.ops
    assert table.missing_kernel("Einsum", "wasm") and not table.missing_kernel("Einsum", "cpu")


def _node(op: str, **attrs: object) -> object:
    from tests.graph.graph_defs import GraphDefBuilder

    g = GraphDefBuilder()
    g.node("n", op, [], **attrs)
    return g.graph_def.node[0]


def _complex(name: str) -> object:
    from tensorflow.core.framework import attr_value_pb2

    return attr_value_pb2.AttrValue(type=8 if name == "complex64" else 1)


@pytest.mark.parametrize(
    ("op", "attrs", "backends", "problems"),
    [
        (
            "Conv2D",
            {"data_format": b"NCHW"},
            ("cpu", "wasm"),
            ["Conv2D with data_format=NCHW on wasm"],
        ),
        ("Conv2D", {"data_format": b"NCHW"}, ("cpu", "webgl"), []),
        ("Conv2D", {"data_format": b"NHWC"}, ("wasm",), []),
        ("MaxPool", {"data_format": b"NCHW"}, ("cpu",), ["MaxPool with data_format=NCHW"]),
        ("BiasAdd", {"data_format": b"NCHW"}, ("cpu",), ["BiasAdd with data_format=NCHW"]),
        (
            "DepthwiseConv2dNative",
            {"data_format": b"NCHW"},
            ("cpu",),
            ["DepthwiseConv2dNative with data_format=NCHW"],
        ),
        ("MaxPool3D", {"data_format": b"NCDHW"}, ("cpu",), ["MaxPool3D with data_format=NCDHW"]),
        (
            "FusedBatchNormV3",
            {"is_training": True},
            ("cpu",),
            ["FusedBatchNormV3 with is_training=true"],
        ),
        ("GatherV2", {"batch_dims": 0}, ("wasm",), []),
        ("RFFT", {"Tcomplex": _complex("complex64")}, ("cpu", "wasm"), ["RFFT on wasm"]),
        ("Abs", {}, ("wasm",), []),
        ("Abs", {"T": _complex("complex64")}, ("cpu", "wasm"), ["Abs on wasm"]),
        ("Einsum", {}, ("cpu", "wasm"), ["Einsum on wasm"]),
        # the pinned tfjs-backend-webgpu registers no Unique or NonMaxSuppressionV4 kernel
        ("Unique", {}, ("cpu", "webgl", "webgpu"), ["Unique on webgpu"]),
        ("NonMaxSuppressionV4", {}, ("webgpu",), ["NonMaxSuppressionV4 on webgpu"]),
        ("Conv2D", {"data_format": b"NHWC"}, ("webgpu",), []),
    ],
)
def test_node_problems_per_backend_and_attribute(
    op: str, attrs: dict, backends: tuple[str, ...], problems: list[str]
) -> None:
    from tfjs_build.graph.op_check import node_problems

    assert node_problems(_node(op, **attrs), backends) == problems


def test_fused_activations_a_backend_lacks() -> None:
    from tests.graph.graph_defs import strings
    from tfjs_build.graph.op_check import node_problems

    node = _node("_FusedConv2D", fused_ops=strings(b"BiasAdd", b"Tanh"))
    assert node_problems(node, ("cpu", "wasm")) == [
        "_FusedConv2D fusing Tanh on cpu",
        "_FusedConv2D fusing Tanh on wasm",
    ]
    assert (
        node_problems(_node("_FusedMatMul", fused_ops=strings(b"BiasAdd", b"Relu")), ("wasm",))
        == []
    )


def test_op_check_names_an_attribute_no_lowering_handles() -> None:
    from tests.graph.graph_defs import GraphDefBuilder, ints
    from tfjs_build.graph.op_check import check_ops

    g = GraphDefBuilder()
    g.node(
        "pool3d",
        "MaxPool3D",
        [g.placeholder("x")],
        ksize=ints(1, 1, 2, 2, 2),
        strides=ints(1, 1, 2, 2, 2),
        padding=b"VALID",
        data_format=b"NCDHW",
    )
    with pytest.raises(
        UnsupportedModelError, match=r"MaxPool3D with data_format=NCDHW \(node pool3d\)"
    ):
        check_ops(g.graph_def, ("cpu",), "model.pb")
