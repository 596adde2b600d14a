"""Every source kind, in the order they are tried: the one place that knows them all.

A new kind is a module under :mod:`tfjs_build.sources` with a :class:`SourceKind` object, and a
line in :data:`KINDS` (before any kind that would also claim its paths)."""

from __future__ import annotations

from pathlib import Path

from tfjs_build.errors import SourceError
from tfjs_build.options import ConvertOptions
from tfjs_build.project.fingerprint import HashCache, tree_fingerprint
from tfjs_build.sources.frozen_graph import FROZEN_GRAPH
from tfjs_build.sources.keras_file import KERAS_ARCHIVE, KERAS_HDF5
from tfjs_build.sources.keras_saved_model import KERAS_SAVED_MODEL
from tfjs_build.sources.kind import SourceKind
from tfjs_build.sources.saved_model import SAVED_MODEL
from tfjs_build.sources.tfjs_model import TFJS_GRAPH, TFJS_LAYERS

KINDS: tuple[SourceKind, ...] = (
    KERAS_ARCHIVE,
    KERAS_HDF5,
    KERAS_SAVED_MODEL,
    SAVED_MODEL,
    FROZEN_GRAPH,
    TFJS_LAYERS,
    TFJS_GRAPH,
)

EXPECTED = (
    "expected a Keras .keras or .h5/.hdf5 file or a SavedModel directory "
    "(or a frozen graph .pb/.pbtxt, or a TF.js model.json)"
)


def source_kind(path: Path) -> SourceKind:
    """The kind of the source at ``path``; ``SourceError`` (naming it) when no kind claims it."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    for kind in KINDS:
        if kind.recognise(path):
            return kind
    if path.is_dir():
        raise SourceError(
            f"{path} is a directory without saved_model.pb, so it is not a TensorFlow SavedModel "
            "(nor a TF.js model: no model.json)"
        )
    raise SourceError(f"{path}: unknown model kind; {EXPECTED}")


def identify_source(path: Path) -> str:
    """The name of the source's kind: ``keras`` (Keras 3 archive), ``h5`` (HDF5 file),
    ``saved_model`` (directory), ..."""
    return source_kind(path).name


def source_fingerprint(path: Path, hashes: HashCache, options: ConvertOptions) -> str:
    """``sha256:`` of the source as its kind sees it; a source no kind claims (its build fails
    and says why) by its bytes."""
    try:
        kind = source_kind(path)
    except SourceError:
        return tree_fingerprint(path, hashes)
    return kind.fingerprint(Path(path), hashes, options)
