"""A signature read from the SavedModel's files converts to the artifact loading the SavedModel
makes; what the files cannot give alone (tables, TF1 graphs) goes through the loader."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.graph.models import Case
from tests.graph.test_freeze import _live_variables
from tfjs_build.artifact.model import Artifact
from tfjs_build.errors import SourceError
from tfjs_build.graph import convert_saved_model
from tfjs_build.graph.freeze import (
    _Captures,
    _variable_reads,
    constants_for_variables,
    inline_calls_for_freezing,
)
from tfjs_build.graph.pipeline import ConversionReport
from tfjs_build.graph.saved_model_reader import read_signature

READ_FROM_FILES = [
    "mlp_case",
    "two_inputs_case",
    "keras3_export_case",
    "tf_keras_case",
    "tf_keras_conv_bn_case",
    "wide_int_case",
    "bitcast_case",
    "spectrogram_case",
    "text_tower_case",
]
LOADED = [
    "control_flow_case",
    "nested_loops_case",
    "string_table_case",
    "keras_lookups_case",
    "tf1_table_case",
    "channels_first_case",
]
"""Control flow (its functions stay in the artifact as the loader rebuilds them), lookup tables
(their contents come from the loaded objects) and TF1 SavedModels."""


def _same(fast: Artifact, loaded: Artifact) -> None:
    assert fast.topology == loaded.topology
    assert fast.signature == loaded.signature
    assert fast.extra == loaded.extra
    assert [name for name, _ in fast.weights] == [name for name, _ in loaded.weights]
    for (name, a), (_, b) in zip(fast.weights, loaded.weights, strict=True):
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("case_name", READ_FROM_FILES + LOADED)
def test_the_files_give_the_artifact_loading_gives(
    case_name: str, request: pytest.FixtureRequest
) -> None:
    case: Case = request.getfixturevalue(case_name)
    read = read_signature(case.path, "serving_default", ["serve"], case_name)
    assert (read is not None) == (case_name in READ_FROM_FILES)

    fast = convert_saved_model(case.path, check_ops=False)
    loaded = convert_saved_model(case.path, check_ops=False, read_files=False)

    _same(fast, loaded)
    assert fast.weights


@dataclass
class _VariablesAtFreezing(ConversionReport):
    """The live TensorFlow variables when freezing first starts."""

    variables: int | None = None

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        if phase == "freeze" and self.variables is None:
            self.variables = _live_variables()
        with super().timed(phase):
            yield


@pytest.mark.parametrize("read_files", [True, False])
def test_reading_the_files_restores_no_variable(keras3_export_case: Case, read_files: bool) -> None:
    before = _live_variables()
    report = _VariablesAtFreezing()

    convert_saved_model(keras3_export_case.path, report=report, read_files=read_files)

    assert report.variables is not None
    if read_files:
        assert report.variables == before
    else:  # the loader made one per weight
        assert report.variables > before


def test_a_damaged_checkpoint_is_left_to_the_loader_to_name(mlp_case: Case, tmp_path: Path) -> None:
    copy = tmp_path / "mlp"
    shutil.copytree(mlp_case.path, copy)
    data = next((copy / "variables").glob("variables.data-*"))
    data.write_bytes(data.read_bytes()[:40])

    assert read_signature(copy, "serving_default", ["serve"], "mlp") is None
    with pytest.raises(SourceError, match=r"TensorFlow cannot load this SavedModel"):
        convert_saved_model(copy)


WALKED_BY_TENSORFLOW = {"two_inputs_case", "wide_int_case", "text_tower_case"}
"""Captures used otherwise than by reads (and Identity nodes): TensorFlow's own graph walk
replaces them."""


@pytest.mark.parametrize("case_name", READ_FROM_FILES)
def test_variables_become_the_constants_tensorflow_makes(
    case_name: str, request: pytest.FixtureRequest
) -> None:
    import tensorflow as tf
    from tensorflow.python.framework import convert_to_constants

    case: Case = request.getfixturevalue(case_name)
    files = read_signature(case.path, "serving_default", ["serve"], case_name)
    assert files is not None
    fetches = [b.tensor for b in files.inputs] + [f"{name}:0" for name in files.captured]
    inlined = inline_calls_for_freezing(
        files.graph_def, fetches + [b.tensor for b in files.outputs]
    )
    data = {
        name: convert_to_constants._TensorData(
            numpy=value, dtype=tf.as_dtype(value.dtype).as_datatype_enum, index=index
        )
        for index, (name, value) in enumerate(files.captured.items())
    }
    expected, _ = convert_to_constants._replace_variables_by_constants(
        converter_data=_Captures(inlined, data)
    )
    reads = _variable_reads(inlined, files.captured)
    assert (reads is None) == (case_name in WALKED_BY_TENSORFLOW)

    assert constants_for_variables(inlined, files.captured) == expected
