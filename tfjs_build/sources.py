"""Identify what a model source path is, with the standard library only."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Literal

from tfjs_build.errors import SourceError

SourceKind = Literal["keras", "h5", "saved_model"]

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
"""The first eight bytes of every HDF5 file."""
H5_SUFFIXES = (".h5", ".hdf5")
ZIP_SIGNATURE = b"PK\x03\x04"
"""The first four bytes of a zip archive (a Keras 3 ``.keras`` file)."""

KerasFileKind = Literal["keras", "h5"]


def keras_file_kind(path: Path) -> KerasFileKind:
    """What a Keras model file is by its content: ``keras`` (a zip archive) or ``h5`` (HDF5).

    The one place a Keras file is sniffed; a file that is neither is a ``SourceError``.
    """
    path = Path(path)
    try:
        with path.open("rb") as stream:
            header = stream.read(8)
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{path} is a directory, not a Keras model file") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read it ({exc.strerror})") from None
    if header.startswith(ZIP_SIGNATURE):
        return "keras"
    if header == HDF5_SIGNATURE:
        return "h5"
    raise SourceError(
        f"{path} is neither a Keras .keras archive nor an HDF5 model (unknown content)"
    )


def identify_source(path: Path) -> SourceKind:
    """``keras`` (Keras 3 archive), ``h5`` (legacy HDF5) or ``saved_model`` (directory)."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if path.is_dir():
        if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
            return "saved_model"
        raise SourceError(
            f"{path} is a directory without saved_model.pb, so it is not a TensorFlow SavedModel"
        )
    suffix = path.suffix.lower()
    if suffix == ".keras":
        if not zipfile.is_zipfile(path):
            raise SourceError(
                f"{path} is not a zip archive, so it is not a Keras 3 .keras file (corrupt or truncated?)"
            )
        return "keras"
    if suffix in H5_SUFFIXES:
        try:
            kind = keras_file_kind(path)
        except SourceError:
            kind = None
        if kind != "h5":
            raise SourceError(f"{path} is not an HDF5 file (corrupt or truncated?)")
        return "h5"
    raise SourceError(
        f"{path}: unknown model kind; expected a Keras .keras or .h5/.hdf5 file or a SavedModel directory"
    )
