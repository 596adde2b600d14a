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
