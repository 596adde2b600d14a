from __future__ import annotations

import zipfile

import pytest

from tfjs_build.errors import SourceError
from tfjs_build.sources import identify_source


def test_kinds_are_told_apart_by_content(tmp_path):
    with zipfile.ZipFile(tmp_path / "m.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    (tmp_path / "m.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 8)
    (tmp_path / "sm").mkdir()
    (tmp_path / "sm" / "saved_model.pb").write_bytes(b"")
    assert identify_source(tmp_path / "m.keras") == "keras"
    assert identify_source(tmp_path / "m.h5") == "h5"
    assert identify_source(tmp_path / "sm") == "saved_model"


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("bad.keras", b"PK broken", "is not a zip archive, so it is not a Keras 3 .keras file"),
        ("bad.h5", b"GIF89a", "is not an HDF5 file"),
        (
            "model.onnx",
            b"",
            "unknown model kind; expected a Keras .keras or .h5/.hdf5 file or a SavedModel directory",
        ),
    ],
)
def test_wrong_or_corrupt_files_are_named(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(SourceError, match=message):
        identify_source(tmp_path / name)


def test_directory_without_saved_model_pb(tmp_path):
    with pytest.raises(SourceError, match="is a directory without saved_model.pb"):
        identify_source(tmp_path)
    with pytest.raises(SourceError, match="no such file or directory"):
        identify_source(tmp_path / "nope")
