"""Lookup tables convert with a modelInitializer that fills them, and string inputs reach them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case, run_signature
from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph import convert_saved_model

TABLE_CASES = {
    "string_table_case": 1,
    "integer_table_case": 1,
    "keras_lookups_case": 2,
    "tf1_table_case": 1,
    "string_hashing_case": 0,
}


def _tables(topology: dict[str, Any]) -> list[str]:
    return sorted(node["name"] for node in topology.get("node", []) if node["op"] == "HashTableV2")


@pytest.mark.parametrize(("case_name", "tables"), TABLE_CASES.items())
def test_tables_and_string_inputs_run_in_tfjs_like_tensorflow(
    case_name: str, tables: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    case: Case = request.getfixturevalue(case_name)
    artifact = convert_saved_model(case.path)
    used = _tables(artifact.topology)
    assert len(used) == tables
    initializer = artifact.extra.get("modelInitializer", {})
    assert _tables(initializer) == used  # TF.js shares a table by node name
    imports = [node for node in initializer.get("node", []) if node["op"] == "LookupTableImportV2"]
    assert sorted(node["input"][0] for node in imports) == used
    assert_runs_like_tensorflow(write(artifact, tmp_path / "model"), case.inputs, case.expected)


def test_an_unused_table_is_dropped_and_the_used_one_holds_its_keys(
    string_table_case: Case,
) -> None:
    artifact = convert_saved_model(string_table_case.path)
    initializer = artifact.extra["modelInitializer"]
    keys_node = next(n for n in initializer["node"] if n["name"].endswith("/keys"))
    weights = artifact.weight_dict()
    assert sorted(weights[keys_node["name"]].tolist()) == sorted(
        w.encode() for w in ["cat", "dog", "bird", "héron", "鳥"]
    )
    assert all(w.dtype.kind != "f" or w.size > 2 for w in weights.values())  # no [5., 6.]


def test_string_split_runs_as_tfjs_string_split(tmp_path: Path) -> None:
    import tensorflow as tf

    class Split(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def __call__(self, text: Any) -> Any:
            words = tf.raw_ops.StringSplitV2(input=text, sep="")
            return {"words": words.values, "where": words.indices, "shape": words.shape}

    module = Split()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures=module.__call__)
    feed = {"text": np.array(["  two\twords ", "a,,b\n\r\x0b\x0c c", "", "one"], dtype=object)}
    artifact = convert_saved_model(tmp_path / "sm")
    ops = {node["op"] for node in artifact.topology["node"]}
    assert "StringSplit" in ops and "StringSplitV2" not in ops
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"), feed, run_signature(tmp_path / "sm", feed)
    )


def test_text_vectorization_names_the_ragged_ops_tfjs_cannot_run(tmp_path: Path) -> None:
    import keras

    text = keras.Input((), dtype="string", name="text")
    ids = keras.layers.TextVectorization(
        vocabulary=["cat", "dog"], output_sequence_length=3, standardize=None
    )(text)
    keras.Model(text, ids).export(str(tmp_path / "sm"), verbose=False)
    with pytest.raises(
        UnsupportedModelError, match=r"RaggedTensorToTensor \(node .*RaggedToTensor"
    ):
        convert_saved_model(tmp_path / "sm")
