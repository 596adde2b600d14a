"""Bad SavedModel inputs fail with one clear error naming the file, tensor or choice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.graph.models import Case
from tfjs_build.errors import SourceError, UnsupportedModelError
from tfjs_build.graph import convert_saved_model, list_signatures


def _copy(case: Case, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(case.path, target)
    return target


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or directory"):
        convert_saved_model(tmp_path / "nowhere")


def test_a_file_is_not_a_saved_model(tmp_path: Path) -> None:
    file = tmp_path / "model.pb"
    file.write_bytes(b"\x00")
    with pytest.raises(SourceError, match="not a SavedModel directory"):
        convert_saved_model(file)


def test_directory_without_saved_model_pb(tmp_path: Path) -> None:
    (tmp_path / "variables").mkdir()
    with pytest.raises(SourceError, match=r"saved_model\.pb is missing"):
        convert_saved_model(tmp_path)


def test_truncated_saved_model_pb(mlp_case: Case, tmp_path: Path) -> None:
    copy = _copy(mlp_case, tmp_path)
    pb = copy / "saved_model.pb"
    pb.write_bytes(pb.read_bytes()[: pb.stat().st_size // 3])
    with pytest.raises(SourceError, match=r"saved_model\.pb.*(truncated|corrupt)"):
        convert_saved_model(copy)


def test_missing_variables(mlp_case: Case, tmp_path: Path) -> None:
    copy = _copy(mlp_case, tmp_path)
    shutil.rmtree(copy / "variables")
    with pytest.raises(SourceError, match=r"variables\.index: missing"):
        convert_saved_model(copy)


def test_missing_variable_data_shard(mlp_case: Case, tmp_path: Path) -> None:
    copy = _copy(mlp_case, tmp_path)
    for shard in (copy / "variables").glob("variables.data-*"):
        shard.unlink()
    with pytest.raises(SourceError, match=r"variables\.data"):
        convert_saved_model(copy)


def test_unknown_signature_lists_the_existing_ones(two_signatures_cases: tuple[Case, Case]) -> None:
    with pytest.raises(
        SourceError, match=r"no signature 'predict' \(it has: scaled, serving_default\)"
    ):
        convert_saved_model(two_signatures_cases[0].path, signature="predict")


def test_unknown_tags_list_the_existing_ones(mlp_case: Case) -> None:
    with pytest.raises(SourceError, match=r"no MetaGraph with tags \[train\]; it has \[serve\]"):
        convert_saved_model(mlp_case.path, tags=("train",))


def test_list_signatures(mlp_case: Case) -> None:
    assert list_signatures(mlp_case.path) == ["serving_default"]


def test_resource_input_cannot_be_fed(tmp_path: Path) -> None:
    import tensorflow as tf

    class Handle(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([], tf.resource, name="handle"),
                tf.TensorSpec([2], tf.float32, name="x"),
            ]
        )
        def __call__(self, handle: tf.Tensor, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": x * 2.0}

    module = Handle()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures=module.__call__)
    with pytest.raises(
        UnsupportedModelError, match=r"input 'handle' .*resource tensor, which TF\.js cannot feed"
    ):
        convert_saved_model(tmp_path / "sm")


def test_unknown_backend(mlp_case: Case) -> None:
    with pytest.raises(UnsupportedModelError, match="unknown TF.js backend"):
        convert_saved_model(mlp_case.path, backends=("tpu",))


def test_a_table_read_other_than_by_lookups_is_named(tmp_path: Path) -> None:
    import tensorflow as tf

    class Vocabulary(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            keys, values = tf.constant(["a", "b"]), tf.constant([1, 2], tf.int64)
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(keys, values), -1
            )

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
        def __call__(self, words: tf.Tensor) -> dict[str, tf.Tensor]:
            keys, _ = self.table.export()
            return {"known": tf.reduce_any(tf.equal(words[:, None], keys[None, :]), axis=1)}

    module = Vocabulary()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures=module.__call__)
    with pytest.raises(
        UnsupportedModelError, match=r"sm.*resource .* is read only by LookupTableExportV2"
    ):
        convert_saved_model(tmp_path / "sm")
