"""The probe file beside an artifact: what the live check replays, in the safetensors layout."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from tfjs_build.errors import ArtifactError
from tfjs_build.parity.probe_file import PROBE_FILE, read_probe_file, write_probe_file


def test_inputs_and_reference_outputs_round_trip(tmp_path) -> None:
    inputs = {
        "image": np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7,
        "ids": np.array([[1, 5], [0, 2]], np.int64),
        "mask": np.array([True, False]),
    }
    reference = {"probs": np.array([[0.25, 0.75]], np.float32), "words": np.array([b"a"])}
    path = write_probe_file(tmp_path, inputs, reference)
    assert path == tmp_path / PROBE_FILE
    got_inputs, got_outputs = read_probe_file(path)
    assert list(got_inputs) == ["image", "ids", "mask"] and list(got_outputs) == ["probs"]
    assert got_inputs["image"].dtype == np.float32
    assert np.array_equal(got_inputs["image"], inputs["image"].astype(np.float32))
    assert got_inputs["ids"].dtype == np.int32 and got_inputs["ids"].tolist() == [[1, 5], [0, 2]]
    assert got_inputs["mask"].tolist() == [True, False]
    assert np.array_equal(got_outputs["probs"], reference["probs"])
    (length,) = struct.unpack_from("<Q", path.read_bytes())
    metadata = json.loads(path.read_bytes()[8 : 8 + length])["__metadata__"]
    assert json.loads(metadata["not_stored"]) == ["output:words"]


def test_the_layout_is_safetensors(tmp_path) -> None:
    path = write_probe_file(tmp_path, {"x": np.ones((2, 2), np.float32)}, {"y": np.zeros(3)})
    data = path.read_bytes()
    (length,) = struct.unpack_from("<Q", data)
    assert length % 8 == 0
    header = json.loads(data[8 : 8 + length])
    assert header["input:x"] == {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
    assert header["output:y"] == {"dtype": "F32", "shape": [3], "data_offsets": [16, 28]}
    assert len(data) == 8 + length + 28


def test_a_damaged_file_is_named(tmp_path) -> None:
    (tmp_path / PROBE_FILE).write_bytes(b"\x05\x00")
    with pytest.raises(ArtifactError, match=f"{PROBE_FILE}: not a parity probe file"):
        read_probe_file(tmp_path / PROBE_FILE)
