"""Bad, unsafe and incomplete files give one clear SourceError, never a traceback."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.layers.conftest import keras_flavor
from tfjs_build.errors import SourceError, UnsupportedModelError
from tfjs_build.layers import convert_keras_to_layers, find_unsupported_layers


@pytest.fixture(scope="module")
def saved(zoo) -> dict[str, Path]:
    model = zoo("keras3", "sequential_dense")
    return {"keras": model.files[".keras"], "h5": model.files[".h5"]}


def _convert_fails(path: Path, *words: str) -> str:
    with pytest.raises(SourceError) as caught:
        convert_keras_to_layers(path)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message
    return message


@pytest.mark.parametrize("flavor", ["keras3", "tf_keras"])
def test_weights_only_h5_says_the_architecture_is_missing(flavor: str, tmp_path: Path) -> None:
    keras = keras_flavor(flavor)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    target = tmp_path / "only.weights.h5"
    model.save_weights(target)
    _convert_fails(target, str(target), "weights only", "architecture is missing")
    with pytest.raises(SourceError):
        find_unsupported_layers(target)


@pytest.mark.parametrize("kind", ["keras", "h5"])
def test_truncated_files(saved, kind: str, tmp_path: Path) -> None:
    data = saved[kind].read_bytes()
    target = tmp_path / f"cut.{kind}"
    target.write_bytes(data[: len(data) // 2])
    _convert_fails(target, str(target), "truncated")


def test_h5_dataset_past_the_end_of_the_file(saved, tmp_path: Path) -> None:
    """The superblock survives but the weights do not: found before anything is read."""
    data = saved["h5"].read_bytes()
    with h5py.File(saved["h5"]) as h5:
        first_offset = min(
            ds.id.get_offset() for ds in _datasets(h5["model_weights"]) if ds.id.get_offset()
        )
    target = tmp_path / "short.h5"
    target.write_bytes(data[: first_offset + 4])
    _convert_fails(target, str(target))


def _datasets(group: h5py.Group) -> list[h5py.Dataset]:
    found: list[h5py.Dataset] = []
    group.visititems(lambda _, obj: found.append(obj) if isinstance(obj, h5py.Dataset) else None)
    return found


def test_garbage_behind_an_hdf5_signature(tmp_path: Path) -> None:
    target = tmp_path / "garbage.h5"
    target.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 4)
    _convert_fails(target, "not a readable HDF5 file")


@pytest.mark.parametrize("member", ["../escape.txt", "/etc/passwd", "a/../../b"])
def test_keras_archive_with_unsafe_member(saved, member: str, tmp_path: Path) -> None:
    target = tmp_path / "unsafe.keras"
    with zipfile.ZipFile(saved["keras"]) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            copy.writestr(info, original.read(info))
        copy.writestr(member, b"x")
    _convert_fails(target, repr(member), "refusing")


def test_keras_archive_without_config(tmp_path: Path) -> None:
    target = tmp_path / "empty.keras"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("metadata.json", "{}")
    _convert_fails(target, "config.json")


def test_keras_archive_with_broken_json(tmp_path: Path) -> None:
    target = tmp_path / "broken.keras"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("config.json", "{not json")
    _convert_fails(target, "not valid JSON")


def test_h5_with_undecodable_model_config(tmp_path: Path) -> None:
    target = tmp_path / "latin1.h5"
    with h5py.File(target, "w") as h5:
        h5.attrs["model_config"] = np.bytes_(b"\xff\xfe{}")
    _convert_fails(target, "not UTF-8")


def test_h5_missing_weights_of_a_layer(saved, tmp_path: Path) -> None:
    target = tmp_path / "missing.h5"
    target.write_bytes(saved["h5"].read_bytes())
    with h5py.File(target, "r+") as h5:
        config = json.loads(h5.attrs["model_config"])
        hidden = next(
            layer["config"]["name"]
            for layer in config["config"]["layers"]
            if layer["class_name"] == "Dense"
        )
        del h5["model_weights"][hidden]
    _convert_fails(target, hidden, "has 0 weights in the file, expected 2")


@pytest.mark.parametrize("what", ["missing", "directory", "text"])
def test_not_a_model_file(what: str, tmp_path: Path) -> None:
    target = tmp_path / "model.h5"
    if what == "directory":
        target.mkdir()
    elif what == "text":
        target.write_text("hello")
    _convert_fails(target, str(target))


def test_deflated_keras_archive_reads_like_a_stored_one(saved, tmp_path: Path) -> None:
    """Keras stores members uncompressed (read in place); a re-zipped, deflated archive works too."""
    target = tmp_path / "deflated.keras"
    with (
        zipfile.ZipFile(saved["keras"]) as original,
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as copy,
    ):
        for info in original.infolist():
            copy.writestr(info.filename, original.read(info))
    with zipfile.ZipFile(target) as check:
        assert check.getinfo("model.weights.h5").compress_type == zipfile.ZIP_DEFLATED
    stored = convert_keras_to_layers(saved["keras"])
    deflated = convert_keras_to_layers(target)
    assert deflated.topology == stored.topology
    assert [name for name, _ in deflated.weights] == [name for name, _ in stored.weights]
    for (_, a), (_, b) in zip(deflated.weights, stored.weights, strict=True):
        np.testing.assert_array_equal(a, b)


def _write_keras(target: Path, config: object) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
    return target


@pytest.mark.parametrize(
    "layers",
    [
        "not a list",
        [5],
        [{"class_name": "Dense"}],
        [{"class_name": "Dense", "config": {"name": "d"}, "inbound_nodes": [5]}],
        [{"class_name": "Dense", "config": {"name": "d"}, "inbound_nodes": [{"args": [{}]}]}],
        [{"class_name": "InputLayer", "config": {"batch_shape": 7, "name": "i"}}],
    ],
)
def test_malformed_configs_give_one_line_errors(layers: object, tmp_path: Path) -> None:
    config = {
        "class_name": "Functional",
        "config": {"name": "m", "layers": layers, "input_layers": [], "output_layers": []},
    }
    source = _write_keras(tmp_path / "malformed.keras", config)
    with pytest.raises((SourceError, UnsupportedModelError)) as caught:
        convert_keras_to_layers(source)
    assert "\n" not in str(caught.value)
