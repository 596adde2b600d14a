from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tfjs_build.artifact import Artifact, QuantizationPlan, read_artifact, write_artifact
from tfjs_build.artifact.weights import write_weights
from tfjs_build.errors import ArtifactError

RNG = np.random.default_rng(7)

EVERY_DTYPE = [
    ("f32", RNG.standard_normal((3, 5)).astype(np.float32)),
    ("f64", RNG.standard_normal((4,))),
    ("i32", np.array([[-(2**31), 0], [2**31 - 1, 7]], dtype=np.int32)),
    ("i64", np.array([-5, 1_000_000_000], dtype=np.int64)),
    ("bool", np.array([[True, False, True]])),
    ("str", np.array([["héllo", ""], ["x" * 300, "ok"]], dtype=object)),
    ("bytes", np.array([b"\x00\xff", b"abc"], dtype=object)),
    ("scalar", np.float32(3.5)),
    ("empty", np.zeros((0, 4), np.float32)),
]


def _roundtrip(tmp_path: Path, weights, **kwargs) -> dict[str, np.ndarray]:
    write_artifact(
        Artifact("layers-model", {"model_config": {}}, list(weights)), tmp_path / "a", **kwargs
    )
    return read_artifact(tmp_path / "a").weight_dict()


def _expected(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype.kind == "O":
        return np.vectorize(lambda v: v.encode() if isinstance(v, str) else v, otypes=[object])(
            array
        )
    if array.dtype.kind == "f":
        return array.astype(np.float32)
    if array.dtype.kind in "iu":
        return array.astype(np.int32)
    return array


@pytest.mark.parametrize("shard_size", [1, 5, 64, 4 * 1024 * 1024])
def test_every_dtype_round_trips_exactly_for_any_shard_size(tmp_path, shard_size):
    back = _roundtrip(tmp_path, EVERY_DTYPE, shard_size=shard_size)
    assert list(back) == [name for name, _ in EVERY_DTYPE]
    for name, array in EVERY_DTYPE:
        expected = _expected(array)
        assert back[name].shape == expected.shape, name
        assert back[name].dtype == expected.dtype, name
        assert np.array_equal(back[name], expected), name


def test_shards_are_cut_at_the_shard_size_and_weights_straddle_them(tmp_path):
    weights = [("a", np.arange(5, dtype=np.float32)), ("b", np.arange(3, dtype=np.int32))]
    manifest = write_artifact(Artifact("layers-model", {}, weights), tmp_path / "a", shard_size=12)
    paths = manifest["weightsManifest"][0]["paths"]
    assert paths == ["group1-shard1of3.bin", "group1-shard2of3.bin", "group1-shard3of3.bin"]
    sizes = [(tmp_path / "a" / p).stat().st_size for p in paths]
    assert sizes == [12, 12, 8]
    data = b"".join((tmp_path / "a" / p).read_bytes() for p in paths)
    assert data == np.arange(5, dtype="<f4").tobytes() + np.arange(3, dtype="<i4").tobytes()


def test_shard_size_of_one_byte_gives_one_file_per_byte(tmp_path):
    manifest = write_artifact(
        Artifact("layers-model", {}, [("w", np.array([1.0, 2.0], np.float32))]),
        tmp_path / "a",
        shard_size=1,
    )
    assert manifest["weightsManifest"][0]["paths"] == [
        f"group1-shard{i}of8.bin" for i in range(1, 9)
    ]
    assert np.array_equal(read_artifact(tmp_path / "a").weight_dict()["w"], [1.0, 2.0])


def test_empty_weight_list_writes_an_empty_group_and_no_shard(tmp_path):
    manifest = write_artifact(Artifact("layers-model", {"x": 1}, []), tmp_path / "a")
    assert manifest["weightsManifest"] == [{"paths": [], "weights": []}]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["model.json"]
    assert read_artifact(tmp_path / "a").weights == []


def test_manifest_entries_have_name_shape_and_tfjs_dtype(tmp_path):
    manifest = write_artifact(Artifact("graph-model", {"node": []}, EVERY_DTYPE), tmp_path / "a")
    entries = manifest["weightsManifest"][0]["weights"]
    assert [(e["name"], e["shape"], e["dtype"]) for e in entries] == [
        ("f32", [3, 5], "float32"),
        ("f64", [4], "float32"),
        ("i32", [2, 2], "int32"),
        ("i64", [2], "int32"),
        ("bool", [1, 3], "bool"),
        ("str", [2, 2], "string"),
        ("bytes", [2], "string"),
        ("scalar", [], "float32"),
        ("empty", [0, 4], "float32"),
    ]
    on_disk = json.loads((tmp_path / "a" / "model.json").read_text())
    assert on_disk["weightsManifest"] == manifest["weightsManifest"]


def test_strings_use_tfjs_length_prefixed_utf8(tmp_path):
    write_weights([("s", np.array(["é", "ab"], dtype=object))], tmp_path)
    assert (
        tmp_path / "group1-shard1of1.bin"
    ).read_bytes() == b"\x02\x00\x00\x00\xc3\xa9\x02\x00\x00\x00ab"


def test_duplicate_weight_names_are_rejected(tmp_path):
    weights = [("w", np.zeros(2, np.float32)), ("w", np.ones(2, np.float32))]
    with pytest.raises(ArtifactError, match="duplicate weight name 'w'"):
        write_weights(weights, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_int64_beyond_int32_is_an_error_naming_the_weight(tmp_path):
    with pytest.raises(
        ArtifactError, match=r"weight 'ids' \(int64\) has values outside int32's range"
    ):
        write_weights([("ids", np.array([1, 2**40], np.int64))], tmp_path)


def test_float64_beyond_float32_is_an_error_naming_the_weight(tmp_path):
    with pytest.raises(
        ArtifactError, match=r"weight 'big' \(float64\) has values beyond float32's range"
    ):
        write_weights([("big", np.array([1e300]))], tmp_path)


def test_unsupported_dtype_is_an_error_naming_the_weight(tmp_path):
    with pytest.raises(ArtifactError, match="weight 'c' has dtype complex128"):
        write_weights([("c", np.array([1j]))], tmp_path)


def test_writing_into_a_non_empty_directory_is_refused(tmp_path):
    (tmp_path / "old.bin").write_bytes(b"x")
    with pytest.raises(ArtifactError, match="is not empty"):
        write_artifact(Artifact("layers-model", {}, []), tmp_path)


def test_quantization_is_chosen_per_weight_by_name_pattern(tmp_path):
    weights = [
        ("dense/kernel", RNG.standard_normal((4, 4)).astype(np.float32)),
        ("dense/bias", RNG.standard_normal(4).astype(np.float32)),
        ("ids", np.array([1, 2], np.int32)),
    ]
    plan = QuantizationPlan("uint8", exclude=("*/bias",))
    manifest = write_artifact(
        Artifact("layers-model", {}, weights), tmp_path / "a", quantization=plan
    )
    quantized = {
        e["name"]: e.get("quantization", {}).get("dtype")
        for e in manifest["weightsManifest"][0]["weights"]
    }
    assert quantized == {"dense/kernel": "uint8", "dense/bias": None, "ids": None}
    back = read_artifact(tmp_path / "a").weight_dict()
    assert np.array_equal(back["dense/bias"], weights[1][1])
    assert np.array_equal(back["ids"], [1, 2])
