"""Sniff a model file's content: the signatures that tell a Keras archive from an HDF5 file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from tfjs_build.errors import SourceError

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
