"""Model sources: each kind one module behind :class:`~tfjs_build.sources.kind.SourceKind`,
found through :mod:`tfjs_build.sources.registry`. Standard library only at import time."""

from __future__ import annotations

from tfjs_build.sources.registry import identify_source, source_fingerprint, source_kind
from tfjs_build.sources.sniff import (
    H5_SUFFIXES,
    HDF5_SIGNATURE,
    ZIP_SIGNATURE,
    KerasFileKind,
    keras_file_kind,
)

__all__ = [
    "H5_SUFFIXES",
    "HDF5_SIGNATURE",
    "ZIP_SIGNATURE",
    "KerasFileKind",
    "identify_source",
    "keras_file_kind",
    "source_fingerprint",
    "source_kind",
]
