"""Each exact rewrite of an op TF.js lacks computes what TensorFlow computes, in real TF.js."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.graph import convert_saved_model
from tfjs_build.graph.pipeline import ConversionReport

REWRITTEN_OPS = {"Erfc", "Softsign", "Xlogy", "Xdivy", "Inv", "Rint", "BiasAddV1", "BatchMatMulV3"}


@pytest.fixture(scope="session")
def rewrites_case(model_dir: Path) -> Case:
    import tensorflow as tf

    raw = tf.raw_ops

    class Lacking(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 4], tf.float32, name="x"),
                tf.TensorSpec([None, 4], tf.float32, name="y"),
                tf.TensorSpec([4], tf.float32, name="bias"),
            ]
        )
        def __call__(self, x: tf.Tensor, y: tf.Tensor, bias: tf.Tensor) -> dict[str, tf.Tensor]:
            positive = tf.abs(y) + 0.5
            return {
                "erfc": raw.Erfc(x=x),
                "softsign": raw.Softsign(features=x),
                "xlogy": raw.Xlogy(x=tf.nn.relu(x), y=positive),
                "xdivy": raw.Xdivy(x=tf.nn.relu(x), y=positive),
                "inv": raw.Inv(x=positive),
                "rint": raw.Rint(x=x * 2.5),
                "bias_add_v1": raw.BiasAddV1(value=x, bias=bias),
                "batch_matmul_v3": raw.BatchMatMulV3(x=x, y=tf.transpose(y), Tout=tf.float32),
            }

    module = Lacking()
    path = model_dir / "rewrites"
    tf.saved_model.save(module, str(path), signatures=module.__call__)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4)).astype("float32")
    x[0, :2] = [0.0, 0.2]  # exact zeros for xlogy/xdivy, halves for rint
    x[1, :2] = [0.2, -0.6]
    inputs = {
        "x": x,
        "y": rng.normal(size=(3, 4)).astype("float32"),
        "bias": rng.normal(size=(4,)).astype("float32"),
    }
    function = tf.saved_model.load(str(path)).signatures["serving_default"]
    expected = {
        k: v.numpy() for k, v in function(**{k: tf.constant(v) for k, v in inputs.items()}).items()
    }
    return Case(path, inputs, expected)


def test_rewrites_remove_every_lacking_op_and_match_tensorflow(
    rewrites_case: Case, tmp_path: Path
) -> None:
    report = ConversionReport()
    artifact = convert_saved_model(rewrites_case.path, report=report)
    ops = {node["op"] for node in artifact.topology["node"]}
    assert not ops & REWRITTEN_OPS
    assert set(report.rewrites) >= REWRITTEN_OPS - {
        "BiasAddV1"
    }  # Grappler may turn BiasAddV1 into BiasAdd
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"), rewrites_case.inputs, rewrites_case.expected
    )


def test_debug_ops_are_stripped_inside_loops_too(tmp_path: Path) -> None:
    import tensorflow as tf

    class Checked(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([3], tf.float32, name="x")])
        def __call__(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            def body(i: tf.Tensor, value: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
                tf.debugging.assert_greater_equal(i, 0, message="negative step")
                tf.print("step", i)
                return i + 1, tf.debugging.check_numerics(value * 0.5, "bad value")

            _, result = tf.while_loop(lambda i, _: i < 3, body, [tf.constant(0), x])
            tf.debugging.assert_all_finite(result, "not finite")
            return {"halved": result}

    module = Checked()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures=module.__call__)
    artifact = convert_saved_model(tmp_path / "sm")
    ops = {node["op"] for node in artifact.topology["node"]}
    for function in artifact.topology["library"].get("function", []):
        ops.update(node["op"] for node in function.get("nodeDef", []))
    assert not ops & {"Assert", "PrintV2", "StringFormat", "CheckNumerics", "CheckNumericsV2"}
    x = np.array([8.0, -4.0, 2.0], dtype="float32")
    assert_runs_like_tensorflow(write(artifact, tmp_path / "model"), {"x": x}, {"halved": x / 8.0})
