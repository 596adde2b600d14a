"""SavedModels of every kind converted to graph models and run in real TF.js (cpu and wasm)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tfjs_build
from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.graph import convert_saved_model, list_signatures


def _ops(artifact: tfjs_build.artifact.Artifact) -> set[str]:
    topology = artifact.topology
    ops = {node["op"] for node in topology["node"]}
    for function in topology["library"].get("function", []):
        ops.update(node["op"] for node in function.get("nodeDef", []))
    return ops


@pytest.mark.parametrize(
    "case_name",
    [
        "mlp_case",
        "control_flow_case",
        "two_inputs_case",
        "keras3_export_case",
        "tf_keras_case",
        "wide_int_case",
    ],
)
def test_saved_model_runs_in_tfjs_like_tensorflow(
    case_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    case: Case = request.getfixturevalue(case_name)
    artifact = convert_saved_model(case.path)
    assert artifact.format == "graph-model"
    assert artifact.converted_by == f"tfjs-build {tfjs_build.__version__}"
    assert artifact.signature is not None
    assert set(artifact.signature["inputs"]) == set(case.inputs)
    assert set(artifact.signature["outputs"]) == set(case.expected)
    assert_runs_like_tensorflow(write(artifact, tmp_path / "model"), case.inputs, case.expected)


def test_signature_names_inputs_and_outputs_by_key(two_inputs_case: Case) -> None:
    signature = convert_saved_model(two_inputs_case.path).signature
    assert signature is not None
    assert signature["inputs"]["features"]["dtype"] == "DT_FLOAT"
    assert signature["inputs"]["ids"]["dtype"] == "DT_INT32"
    assert signature["inputs"]["features"]["tensorShape"] == {
        "dim": [{"size": "-1"}, {"size": "4"}]
    }
    assert {k: v["name"] for k, v in signature["outputs"].items()} == {
        "score": "score:0",
        "embedding": "embedding:0",
        "best": "best:0",
    }
    assert signature["outputs"]["best"]["dtype"] == "DT_INT32"
    assert convert_saved_model(two_inputs_case.path).user_metadata is None  # the pipeline's


def test_conversion_is_stable_from_run_to_run(two_inputs_case: Case) -> None:
    first, second = (convert_saved_model(two_inputs_case.path) for _ in range(2))
    assert json.dumps(first.topology, sort_keys=True) == json.dumps(second.topology, sort_keys=True)
    assert first.signature == second.signature
    assert [name for name, _ in first.weights] == [name for name, _ in second.weights]


def test_control_flow_stays_v2(control_flow_case: Case) -> None:
    ops = _ops(convert_saved_model(control_flow_case.path))
    assert ops & {"While", "StatelessWhile"}
    assert ops & {"If", "StatelessIf"}
    assert not ops & {"Enter", "Exit", "Merge", "Switch", "NextIteration"}


def test_debug_ops_and_variables_are_gone(mlp_case: Case) -> None:
    artifact = convert_saved_model(mlp_case.path)
    ops = _ops(artifact)
    assert not ops & {
        "CheckNumerics",
        "Assert",
        "VarHandleOp",
        "ReadVariableOp",
        "StatefulPartitionedCall",
    }
    assert "_FusedMatMul" in ops
    assert artifact.weights and all(name for name, _ in artifact.weights)


def test_each_signature_of_a_two_signature_model(
    two_signatures_cases: tuple[Case, Case], tmp_path: Path
) -> None:
    default, scaled = two_signatures_cases
    assert list_signatures(default.path) == ["scaled", "serving_default"]
    first = convert_saved_model(default.path)
    second = convert_saved_model(default.path, signature="scaled")
    assert set(second.signature["inputs"]) == {"x", "factor"}  # type: ignore[index]
    assert_runs_like_tensorflow(
        write(first, tmp_path / "default"), default.inputs, default.expected
    )
    assert_runs_like_tensorflow(write(second, tmp_path / "scaled"), scaled.inputs, scaled.expected)


def test_keras3_export_folds_batch_norm_into_fused_convolutions(keras3_export_case: Case) -> None:
    ops = _ops(convert_saved_model(keras3_export_case.path))
    assert "_FusedConv2D" in ops
    assert "FusedDepthwiseConv2dNative" in ops
    assert not ops & {"FusedBatchNormV3", "_FusedDepthwiseConv2dNative", "Rsqrt"}


def test_output_key_equal_to_an_input_key(tmp_path: Path) -> None:
    import numpy as np
    import tensorflow as tf

    class Same(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def __call__(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"x": x * 3.0, "copy": tf.identity(x)}

    module = Same()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures=module.__call__)
    artifact = convert_saved_model(tmp_path / "sm")
    assert artifact.signature is not None
    assert artifact.signature["inputs"]["x"]["name"] == "x:0"
    assert artifact.signature["outputs"]["x"]["name"] == "x_output:0"
    x = np.array([1.0, -2.0], dtype="float32")
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"), {"x": x}, {"x": x * 3.0, "copy": x}
    )


def test_string_constants_are_weights_tfjs_returns(tmp_path: Path) -> None:
    import numpy as np
    import tensorflow as tf

    from tfjs_build.runtime import run_in_tfjs

    class Labelled(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.labels = tf.Variable(["cat", "dog", "bird"], dtype=tf.string)

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="scores")])
        def __call__(self, scores: tf.Tensor) -> dict[str, tf.Tensor]:
            return {
                "labels": tf.identity(self.labels),
                "best": tf.argmax(scores, axis=-1, output_type=tf.int32),
            }

    module = Labelled()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures=module.__call__)
    artifact = convert_saved_model(tmp_path / "sm")
    strings = [value for _, value in artifact.weights if value.dtype == object]
    assert len(strings) == 1 and list(strings[0]) == [b"cat", b"dog", b"bird"]
    directory = write(artifact, tmp_path / "model")
    scores = np.array([[0.1, 0.9, 0.0], [0.0, 0.1, 2.0]], dtype="float32")
    for backend in ("cpu", "wasm"):
        got = run_in_tfjs(directory, {"scores": scores}, backend=backend)
        assert list(got["labels"]) == [b"cat", b"dog", b"bird"]
        assert got["best"].tolist() == [1, 2]
