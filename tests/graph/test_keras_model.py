"""Keras models TF.js layers cannot express, traced into graph models and run in real TF.js."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.errors import SourceError, UnsupportedModelError
from tfjs_build.graph import convert_keras_to_graph
from tfjs_build.graph.keras_model import lambda_layers, read_keras_config
from tfjs_build.graph.pipeline import ConversionReport


def test_lambda_needs_the_opt_in(keras3_lambda_case: Case) -> None:
    with pytest.raises(
        UnsupportedModelError,
        match=r"Lambda layer\(s\) 'affine'.*allow_unsafe_deserialization=True",
    ):
        convert_keras_to_graph(keras3_lambda_case.path)


def test_tf_keras_lambda_needs_the_opt_in(tf_keras_lambda_case: Case) -> None:
    with pytest.raises(UnsupportedModelError, match=r"'square'.*allow_unsafe_deserialization=True"):
        convert_keras_to_graph(tf_keras_lambda_case.path)


@pytest.mark.parametrize("case_name", ["keras3_lambda_case", "tf_keras_lambda_case"])
def test_lambda_model_with_opt_in_runs_in_tfjs(
    case_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    case: Case = request.getfixturevalue(case_name)
    artifact = convert_keras_to_graph(case.path, allow_unsafe_deserialization=True)
    assert artifact.signature is not None
    assert list(artifact.signature["inputs"]) == ["numbers"]
    assert_runs_like_tensorflow(write(artifact, tmp_path / "model"), case.inputs, case.expected)


def test_custom_layer_model_runs_in_tfjs(keras3_custom_case: Case, tmp_path: Path) -> None:
    artifact = convert_keras_to_graph(keras3_custom_case.path)
    assert artifact.signature is not None
    assert set(artifact.signature["inputs"]) == {"left", "right"}
    assert set(artifact.signature["outputs"]) == {"first", "second"}
    assert artifact.generated_by is not None and artifact.generated_by.startswith("Keras 3")
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"), keras3_custom_case.inputs, keras3_custom_case.expected
    )


def test_unregistered_custom_layer_says_what_to_do(
    keras3_custom_case: Case, tmp_path: Path
) -> None:
    import zipfile

    renamed = tmp_path / "renamed.keras"
    with (
        zipfile.ZipFile(keras3_custom_case.path) as source,
        zipfile.ZipFile(renamed, "w") as target,
    ):
        for item in source.namelist():
            data = source.read(item)
            if item == "config.json":
                data = data.replace(b"ScaledTanh", b"NoSuchLayer")
            target.writestr(item, data)
    with pytest.raises(
        SourceError, match=r"Keras cannot load this model.*register_keras_serializable"
    ):
        convert_keras_to_graph(renamed)


def test_reading_the_config_runs_no_keras(
    keras3_lambda_case: Case, tf_keras_lambda_case: Case
) -> None:
    assert read_keras_config(keras3_lambda_case.path)[0] == "keras3"
    flavor, config = read_keras_config(tf_keras_lambda_case.path)
    assert flavor == "tf_keras"
    assert lambda_layers(config) == ["square"]


def test_not_a_keras_file(tmp_path: Path) -> None:
    bogus = tmp_path / "model.keras"
    bogus.write_bytes(b"not a zip")
    with pytest.raises(SourceError, match="is neither a Keras .keras archive nor an HDF5 model"):
        convert_keras_to_graph(bogus)


def test_recurrent_model_with_sequences_runs_in_tfjs(
    keras3_recurrent_case: Case, tmp_path: Path
) -> None:
    """Each step's output lives in a TensorList; TF.js must not free it when the loop body ends."""
    artifact = convert_keras_to_graph(keras3_recurrent_case.path)
    library_ops = {
        node["op"]
        for function in artifact.topology["library"]["function"]
        for node in function.get("nodeDef", [])
    }
    assert "TensorListSetItem" in library_ops
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"),
        keras3_recurrent_case.inputs,
        keras3_recurrent_case.expected,
    )


def test_grouped_convolutions_are_inlined_and_rewritten(
    keras3_grouped_conv_case: Case, tmp_path: Path
) -> None:
    report = ConversionReport()
    artifact = convert_keras_to_graph(keras3_grouped_conv_case.path, report=report)
    ops = {node["op"] for node in artifact.topology["node"]}
    assert report.calls_inlined >= 2
    assert report.rewrites.get("grouped Conv2D") == 2
    assert not ops & {"PartitionedCall", "StatefulPartitionedCall"}
    assert "FusedDepthwiseConv2dNative" in ops or "DepthwiseConv2dNative" in ops
    assert artifact.topology["library"].get("function", []) == []
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"),
        keras3_grouped_conv_case.inputs,
        keras3_grouped_conv_case.expected,
    )
