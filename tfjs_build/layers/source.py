"""Open a Keras model file (``.keras`` archive or legacy HDF5) with zipfile, h5py and json only.

``open_keras_model`` yields a ``KerasModelFile``: the model config, the Keras version and backend
that wrote it, and the open HDF5 group holding the weights. Untrusted input is handled
defensively: archive members with absolute or parent paths are refused, attributes are decoded
whatever their HDF5 string type, and corrupt or truncated files give a ``SourceError``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Literal

import h5py
import numpy as np

from tfjs_build.errors import SourceError
from tfjs_build.layers.file_window import FileWindow, stored_member_offset
from tfjs_build.layers.hdf5_safety import refuse_outside_references
from tfjs_build.sources.sniff import keras_file_kind

KERAS_CONFIG = "config.json"
KERAS_METADATA = "metadata.json"
KERAS_WEIGHTS = "model.weights.h5"

WeightLayout = Literal["keras3", "legacy_h5"]


@dataclass(frozen=True)
class KerasModelFile:
    """A Keras model file, open for reading."""

    path: Path
    model_config: dict[str, Any]
    keras_version: str
    backend: str
    layout: WeightLayout
    """``keras3``: the ``.keras`` weight store (``layers/<class>/vars/<i>``); ``legacy_h5``: the
    ``model_weights`` group of an HDF5 model file (``<layer>/<weight name>``)."""
    weights: h5py.Group | None
    mapping: tuple[Path, int] | None
    """``(file, offset)``: the HDF5 weights file starts at ``offset`` bytes into ``file``, so its
    contiguous datasets can be read from there directly (``None``: read them through h5py)."""

    @property
    def keras_major(self) -> int:
        """The major version of the Keras that saved the file (2 for tf_keras)."""
        head = self.keras_version.split(".", 1)[0]
        return int(head) if head.isdigit() else 2


def attribute_text(value: Any, what: str) -> str:
    """An HDF5 string attribute as ``str``, whatever string type h5py returns for it."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise SourceError(f"{what} is not UTF-8 text") from None
    if isinstance(value, str):
        return value
    raise SourceError(f"{what} is not a text attribute")


def attribute_text_list(value: Any, what: str) -> list[str]:
    """An HDF5 list-of-strings attribute as ``list[str]``."""
    if isinstance(value, (bytes, str, np.bytes_)):
        return [attribute_text(value, what)]
    try:
        items = list(np.asarray(value).reshape(-1))
    except (TypeError, ValueError):
        raise SourceError(f"{what} is not a list of names") from None
    return [attribute_text(item, what) for item in items]


def _json_object(text: str | bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{what} is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise SourceError(f"{what} is not a JSON object")
    return value


def _open_h5(source: Any, what: str) -> h5py.File:
    """Open for reading, refusing a file that refers to other files before anything is read."""
    try:
        h5 = h5py.File(source, "r")
    except (OSError, ValueError) as exc:
        raise SourceError(
            f"{what} is not a readable HDF5 file, corrupt or truncated ({exc})"
        ) from None
    try:
        refuse_outside_references(h5, what)
    except BaseException:
        h5.close()
        raise
    return h5


@contextmanager
def open_keras_model(path: Path, *, with_weights: bool = True) -> Iterator[KerasModelFile]:
    """Open ``path`` (``.keras``, ``.h5`` or ``.hdf5``, recognized by content, or a Keras
    SavedModel directory) for conversion. ``with_weights=False``: the config is all the caller
    reads (a SavedModel's variables then stay unread, and TensorFlow unimported)."""
    if Path(path).is_dir():
        with _open_keras_saved_model(Path(path), with_weights) as model:
            yield model
    elif keras_file_kind(path) == "keras":
        with _open_keras_archive(path) as model:
            yield model
    else:
        with _open_legacy_h5(path) as model:
            yield model


@contextmanager
def _open_legacy_h5(path: Path) -> Iterator[KerasModelFile]:
    with _open_h5(path, str(path)) as h5:
        try:
            raw_config = h5.attrs.get("model_config")
        except (OSError, RuntimeError) as exc:
            raise SourceError(f"{path}: cannot read its attributes, corrupt? ({exc})") from None
        if raw_config is None:
            raise SourceError(
                f"{path} holds weights only: it has no model_config attribute, so the "
                "architecture is missing; save the whole model (model.save('model.keras') or "
                "model.save('model.h5')), not model.save_weights()"
            )
        config = _json_object(
            attribute_text(raw_config, f"{path} model_config"), f"{path} model_config"
        )
        version = attribute_text(h5.attrs.get("keras_version", b"2"), f"{path} keras_version")
        backend = attribute_text(h5.attrs.get("backend", b"tensorflow"), f"{path} backend")
        weights = h5.get("model_weights")
        if weights is not None and not isinstance(weights, h5py.Group):
            raise SourceError(f"{path}: model_weights is not an HDF5 group")
        yield KerasModelFile(path, config, version, backend, "legacy_h5", weights, (path, 0))


@contextmanager
def _open_keras_saved_model(path: Path, with_weights: bool) -> Iterator[KerasModelFile]:
    from tfjs_build.layers.keras_metadata import read_keras_metadata

    metadata = read_keras_metadata(path)
    config, version, backend = metadata.model_config, metadata.keras_version, metadata.backend
    if not with_weights:
        yield KerasModelFile(path, config, version, backend, "legacy_h5", None, None)
        return
    from tfjs_build.layers.saved_model_weights import checkpoint_weights

    with checkpoint_weights(path, metadata) as weights:
        yield KerasModelFile(path, config, version, backend, "legacy_h5", weights, None)


def _safe_member_name(path: Path, name: str) -> None:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise SourceError(
            f"{path}: archive member {name!r} has an absolute or parent path; refusing to read "
            "this .keras file"
        )


@contextmanager
def _open_keras_archive(path: Path) -> Iterator[KerasModelFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(
            f"{path} is not a readable .keras archive, corrupt or truncated ({exc})"
        ) from None
    with archive, path.open("rb") as raw, ExitStack() as stack:
        try:
            names = archive.namelist()
            for name in names:
                _safe_member_name(path, name)
            if KERAS_CONFIG not in names:
                raise SourceError(
                    f"{path}: the archive has no {KERAS_CONFIG}; is it a Keras 3 model?"
                )
            config = _json_object(archive.read(KERAS_CONFIG), f"{path} {KERAS_CONFIG}")
            metadata: dict[str, Any] = {}
            if KERAS_METADATA in names:
                metadata = _json_object(archive.read(KERAS_METADATA), f"{path} {KERAS_METADATA}")
            weights = None
            if KERAS_WEIGHTS in names:
                weights = _weights_member(archive, raw, path, stack)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise SourceError(f"{path}: corrupt or truncated .keras archive ({exc})") from None
        version = str(metadata.get("keras_version", "3"))
        backend = str(metadata.get("backend", config.get("backend", "tensorflow")))
        h5, mapping = weights if weights else (None, None)
        yield KerasModelFile(path, config, version, backend, "keras3", h5, mapping)


def _weights_member(
    archive: zipfile.ZipFile, raw: BinaryIO, path: Path, stack: ExitStack
) -> tuple[h5py.File, tuple[Path, int]]:
    """Open the archive's HDF5 weights in place when stored, else from an extracted copy."""
    info = archive.getinfo(KERAS_WEIGHTS)
    what = f"{path} {KERAS_WEIGHTS}"
    start = stored_member_offset(raw, info)
    if start is not None and start + info.file_size <= path.stat().st_size:
        window = FileWindow(raw, start, info.file_size)
        return stack.enter_context(_open_h5(window, what)), (path, start)
    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tfjs-build-keras-")))
    extracted = scratch / KERAS_WEIGHTS
    with archive.open(info) as member, extracted.open("wb") as out:
        shutil.copyfileobj(member, out, 1 << 20)
    return stack.enter_context(_open_h5(extracted, what)), (extracted, 0)
