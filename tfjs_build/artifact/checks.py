"""Check a ``model.json`` read from disk before anything trusts it: its types, its weights manifest
and the shard paths it names.

Artifacts come from anywhere (other converters, downloads), so a reader must never crash on one,
open a file outside the artifact directory, or allocate what a shape claims before the shards show
the bytes exist. Every failure is an ``ArtifactError`` naming the file and the offending key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from tfjs_build.artifact.manifest import STORED_ITEM_BYTES
from tfjs_build.errors import ArtifactError

MAX_RANK = 32
MAX_DIM = 2**31 - 1
"""TF.js sizes tensors with int32 (and keeps arrays under 2**31 elements)."""

_OPTIONAL_OBJECTS = ("signature", "userDefinedMetadata", "modelInitializer")
_OPTIONAL_TEXTS = ("format", "generatedBy", "convertedBy")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def check_document(document: Any, path: Path) -> dict[str, Any]:
    """``document`` (parsed ``path``) if it is a well-typed ``model.json``, else ``ArtifactError``."""
    if not isinstance(document, dict):
        raise ArtifactError(f"{path} holds a JSON {_kind(document)}, not a TF.js model.json object")
    if not isinstance(document.get("modelTopology"), dict):
        raise ArtifactError(f"{path} has no modelTopology object; it is not a TF.js model.json")
    for key in _OPTIONAL_TEXTS:
        if document.get(key) is not None and not isinstance(document[key], str):
            raise ArtifactError(f"{path}: {key} is a {_kind(document[key])}, not a string")
    for key in _OPTIONAL_OBJECTS:
        if document.get(key) is not None and not isinstance(document[key], dict):
            raise ArtifactError(f"{path}: {key} is a {_kind(document[key])}, not an object")
    manifest = document.get("weightsManifest")
    if manifest is not None:
        check_manifest(manifest, path)
    return document


def check_manifest(manifest: Any, where: Path) -> None:
    """A weights manifest's groups, shard paths and entries, or ``ArtifactError``."""
    if not isinstance(manifest, list):
        raise ArtifactError(f"{where}: weightsManifest is a {_kind(manifest)}, not a list")
    for index, group in enumerate(manifest):
        at = f"{where}: weightsManifest[{index}]"
        if not isinstance(group, dict):
            raise ArtifactError(f"{at} is a {_kind(group)}, not an object")
        paths, weights = group.get("paths", []), group.get("weights", [])
        if not isinstance(paths, list) or not isinstance(weights, list):
            raise ArtifactError(f"{at}: paths and weights must be lists")
        for relative in paths:
            problem = shard_path_problem(relative)
            if problem:
                raise ArtifactError(f"{at}: shard path {relative!r:.200} {problem}")
        for entry in weights:
            _check_entry(entry, at)


def _check_entry(entry: Any, at: str) -> None:
    if not isinstance(entry, dict):
        raise ArtifactError(f"{at}: a weight entry is a {_kind(entry)}, not an object")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ArtifactError(f"{at}: a weight entry has no name (got {name!r:.80})")
    if not isinstance(entry.get("dtype"), str):
        raise ArtifactError(f"{at}: weight {name!r} has no dtype string")
    shape_problem = _shape_problem(entry.get("shape"))
    if shape_problem:
        raise ArtifactError(
            f"{at}: weight {name!r} has shape {entry.get('shape')!r:.80}: {shape_problem}"
        )
    quantization = entry.get("quantization")
    if quantization is None:
        return
    if not isinstance(quantization, dict) or not isinstance(quantization.get("dtype"), str):
        raise ArtifactError(f"{at}: weight {name!r} has a quantization without a dtype string")
    for key in ("min", "scale"):
        value = quantization.get(key)
        if value is not None and not _finite_number(value):
            raise ArtifactError(f"{at}: weight {name!r} has quantization {key} {value!r:.40}")


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shape_problem(shape: Any) -> str | None:
    if not isinstance(shape, list):
        return "not a list of sizes"
    if len(shape) > MAX_RANK:
        return f"rank above {MAX_RANK}"
    for dim in shape:
        if not isinstance(dim, int) or isinstance(dim, bool) or not 0 <= dim <= MAX_DIM:
            return f"sizes must be whole numbers from 0 to {MAX_DIM}"
    return None


def shard_path_problem(relative: Any) -> str | None:
    """Why ``relative`` cannot name a shard inside the artifact directory (``None``: it can)."""
    if not isinstance(relative, str) or not relative or "\0" in relative:
        return "is not a file name"
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or "\\" in relative or ":" in pure.parts[0]:
        return "leaves the artifact directory"
    return None


def shard_file_problem(directory: Path, relative: str) -> str | None:
    """Why shard ``relative`` cannot be read from ``directory``: its path, a symlink out of the
    directory, a missing file, or something other than a regular file (a FIFO would block)."""
    problem = shard_path_problem(relative)
    if problem:
        return problem
    path = directory / relative
    try:
        resolved = path.resolve()
        if not resolved.is_relative_to(directory.resolve()):
            return "leaves the artifact directory (through a symbolic link)"
        if not path.exists():
            return "is missing"
        if not path.is_file():
            return "is not a regular file"
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on Python 3.10
        return f"cannot be read ({exc})"
    return None


def check_shard_files(directory: Path, document: Mapping[str, Any]) -> None:
    """``ArtifactError`` for the first shard of ``document``'s manifest that cannot be read from
    ``directory`` (before handing the artifact to a reader that would follow it, such as TF.js)."""
    for group in document.get("weightsManifest") or []:
        for relative in group.get("paths", []):
            problem = shard_file_problem(directory, relative)
            if problem:
                raise ArtifactError(f"{directory}: weight shard {relative!r:.200} {problem}")


def expected_bytes(entries: Sequence[Mapping[str, Any]]) -> int | None:
    """Bytes a group's entries occupy in its shards, or ``None`` when a string tensor (of
    variable length) or an unknown dtype makes that unknowable up front."""
    total = 0
    for entry in entries:
        quantization = entry.get("quantization")
        stored = quantization["dtype"] if quantization else entry["dtype"]
        if stored not in STORED_ITEM_BYTES:
            return None
        total += math.prod(entry["shape"]) * STORED_ITEM_BYTES[stored]
    return total
