"""Read ``keras_metadata.pb``, the Keras model a Keras 2 SavedModel holds, without TensorFlow.

The file is a ``SavedMetadata`` message: one ``SavedObject`` (field 1) per Keras object, each with
its ``node_path`` (3: ``root``, ``root.layer-2``, ...), ``identifier`` (4: ``_tf_keras_model``...)
and ``metadata`` (5: JSON; for the root, the model's class, config and Keras version). Read with
:mod:`tfjs_build.protowire`; damaged bytes or JSON are one ``SourceError`` naming the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfjs_build.errors import SourceError
from tfjs_build.protowire import LENGTH, fields, text

KERAS_METADATA_PB = "keras_metadata.pb"
_OBJECT, _NODE_PATH, _METADATA = 1, 3, 5
_LAYER_PATHS = ("layer-", "layer_with_weights-")


@dataclass(frozen=True)
class KerasMetadata:
    """The Keras model a SavedModel directory records."""

    model_config: dict[str, Any]
    keras_version: str
    backend: str
    layer_paths: dict[str, str]
    """Each top-level layer's name by its object path under the root (``layer-1`` or
    ``layer_with_weights-0``: ``dense``)."""


def read_keras_metadata(directory: Path) -> KerasMetadata:
    """The model config, Keras version and layer paths ``directory/keras_metadata.pb`` holds."""
    where = Path(directory) / KERAS_METADATA_PB
    try:
        data = where.read_bytes()
    except OSError as exc:
        raise SourceError(f"{where}: cannot read it ({exc.strerror})") from None
    try:
        objects = [
            _saved_object(value)
            for number, wire, value in fields(data)
            if number == _OBJECT and wire == LENGTH
        ]
    except ValueError as exc:
        raise SourceError(
            f"{where}: damaged Keras metadata ({exc}); save the model again"
        ) from None
    roots = [meta for path, meta in objects if path == "root"]
    if not roots:
        raise SourceError(
            f"{where}: the Keras metadata describes no model (no root object); save the model again"
        )
    root = _json_object(roots[0], where)
    config = root.get("model_config") or {
        "class_name": root.get("class_name"),
        "config": root.get("config"),
    }
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise SourceError(
            f"{where}: the Keras metadata holds no model config (a subclassed model?); "
            "convert it as a graph model"
        )
    paths = {}
    for path, meta in objects:
        head, _, rest = path.partition(".")
        if head == "root" and rest.startswith(_LAYER_PATHS) and "." not in rest:
            paths[rest] = str(_json_object(meta, where).get("name", ""))
    return KerasMetadata(
        _plain(config),
        str(root.get("keras_version", "2")),
        str(root.get("backend", "tensorflow")),
        paths,
    )


def _plain(value: Any) -> Any:
    """A config as ``get_config`` returns it: the metadata spells tuples
    ``{"class_name": "__tuple__", "items": [...]}`` and tags objects with ``shared_object_id``."""
    if isinstance(value, dict):
        if value.get("class_name") == "__tuple__" and isinstance(value.get("items"), list):
            return [_plain(item) for item in value["items"]]
        return {k: _plain(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _saved_object(message: int | bytes) -> tuple[str, str]:
    if not isinstance(message, bytes):
        raise ValueError("an object entry is not a message")
    path = metadata = ""
    for number, _, value in fields(message):
        if number == _NODE_PATH:
            path = text(value, "a node path")
        elif number == _METADATA:
            metadata = text(value, "an object's metadata")
    return path, metadata


def _json_object(metadata: str, where: Path) -> dict[str, Any]:
    try:
        value = json.loads(metadata)
    except ValueError as exc:
        raise SourceError(
            f"{where}: damaged Keras metadata (JSON: {exc}); save the model again"
        ) from None
    if not isinstance(value, dict):
        raise SourceError(
            f"{where}: damaged Keras metadata (not a JSON object); save the model again"
        )
    return value
