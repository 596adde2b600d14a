"""Keras models TF.js layers cannot express go to the graph converter under ``--format auto``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.convert import ConvertOptions, convert_source
from tfjs_build.errors import UnsupportedModelError


def test_auto_lambda_model_needs_the_opt_in_named_where_options_are_set(
    keras3_lambda_case: Case,
) -> None:
    with pytest.raises(UnsupportedModelError, match="with --allow-unsafe-deserialization$"):
        convert_source(keras3_lambda_case.path, ConvertOptions(format="auto", origin="cli"))
    with pytest.raises(
        UnsupportedModelError,
        match=r"with `allow_unsafe_deserialization = true` in \[tool.tfjs-build\]$",
    ):
        convert_source(keras3_lambda_case.path, ConvertOptions(format="auto", origin="toml"))
    with pytest.raises(UnsupportedModelError, match="with allow_unsafe_deserialization=True$"):
        convert_source(keras3_lambda_case.path, ConvertOptions(format="auto"))


def test_auto_lambda_model_becomes_a_graph_model(keras3_lambda_case: Case, tmp_path: Path) -> None:
    conversion = convert_source(
        keras3_lambda_case.path, ConvertOptions(format="auto", allow_unsafe_deserialization=True)
    )
    assert conversion.format == "graph"
    assert "Lambda" in conversion.reason
    assert_runs_like_tensorflow(
        write(conversion.artifact, tmp_path / "m"),
        keras3_lambda_case.inputs,
        keras3_lambda_case.expected,
    )


def test_auto_op_lambda_h5_becomes_a_graph_model_naming_the_layer(
    tf_keras_op_lambda_case: Case, tmp_path: Path
) -> None:
    """tf_keras records a TFOpLambda's call as one tensor ref, not a list of them: a valid file."""
    conversion = convert_source(tf_keras_op_lambda_case.path, ConvertOptions(format="auto"))
    assert conversion.format == "graph"
    assert conversion.reason == "TF.js layers cannot express tf.math.multiply (TFOpLambda)"
    assert_runs_like_tensorflow(
        write(conversion.artifact, tmp_path / "m"),
        tf_keras_op_lambda_case.inputs,
        tf_keras_op_lambda_case.expected,
    )


def test_layers_format_refuses_the_op_lambda_saying_why(tf_keras_op_lambda_case: Case) -> None:
    with pytest.raises(
        UnsupportedModelError,
        match=r"tf\.math\.multiply \(TFOpLambda\): a TensorFlow function called on a tensor",
    ):
        convert_source(tf_keras_op_lambda_case.path, ConvertOptions(format="layers"))


@pytest.mark.parametrize("case_name", ["keras3_custom_case", "keras3_attention_case"])
def test_auto_custom_and_attention_models(
    case_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    case: Case = request.getfixturevalue(case_name)
    conversion = convert_source(case.path, ConvertOptions(format="auto"))
    assert conversion.format == "graph"
    ops = {node["op"] for node in conversion.artifact.topology["node"]}
    assert "Einsum" not in ops
    assert_runs_like_tensorflow(
        write(conversion.artifact, tmp_path / "m"), case.inputs, case.expected
    )
