"""Write named arrays as one TF.js weight group cut into shards, and read any manifest back.

Writing streams: each weight is narrowed or quantized on its own and its bytes go straight to the
shard files, so peak memory stays near the size of the largest single weight.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from tfjs_build.artifact.checks import check_manifest, expected_bytes, shard_file_problem
from tfjs_build.artifact.dtypes import (
    STRING_LENGTH_BYTES,
    decode_strings,
    encode_strings,
    narrow,
    tfjs_dtype,
)
from tfjs_build.artifact.format import (
    DEFAULT_SHARD_SIZE,
    WeightEntry,
    WeightGroup,
    shard_name,
)
from tfjs_build.artifact.manifest import STORED_ITEM_BYTES
from tfjs_build.artifact.quantization_rules import WeightQuantizer
from tfjs_build.artifact.quantize import dequantize, quantize
from tfjs_build.errors import ArtifactError

_NUMPY_DTYPES = {
    "float32": "<f4",
    "int32": "<i4",
    "bool": "?",
    "float16": "<f2",
    "uint8": "<u1",
    "uint16": "<u2",
}

NamedArrays = Sequence[tuple[str, np.ndarray]]


class _ShardWriter:
    """Writes a byte stream into ``count`` files of ``shard_size`` bytes (the last may be shorter)."""

    def __init__(self, directory: Path, total: int, shard_size: int, group: int = 1) -> None:
        self.directory = directory
        self.shard_size = shard_size
        self.count = math.ceil(total / shard_size) if total else 0
        self.paths = [shard_name(i + 1, self.count, group) for i in range(self.count)]
        self._index = -1
        self._room = 0
        self._file: BinaryIO | None = None

    def write(self, data: memoryview) -> None:
        while len(data):
            if self._room == 0:
                self._next_file()
            take = min(self._room, len(data))
            assert self._file is not None
            self._file.write(data[:take])
            self._room -= take
            data = data[take:]

    def _next_file(self) -> None:
        self._close_current()
        self._index += 1
        if self._index >= self.count:
            raise AssertionError("more weight bytes than planned")
        self._file = open(self.directory / self.paths[self._index], "wb")  # noqa: SIM115 (held across writes)
        self._room = self.shard_size

    def _close_current(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    def close(self) -> None:
        self._close_current()
        if self._index != self.count - 1:
            raise AssertionError("fewer weight bytes than planned")

    def abort(self) -> None:
        """Close and delete what was written, so a failed write leaves no partial shards."""
        if self._file is not None:
            self._file.close()
            self._file = None
        for name in self.paths[: self._index + 1]:
            (self.directory / name).unlink(missing_ok=True)


def _stored_bytes(entry: WeightEntry, encoded_strings: bytes | None) -> int:
    if encoded_strings is not None:
        return len(encoded_strings)
    dtype = entry["quantization"]["dtype"] if "quantization" in entry else entry["dtype"]
    return math.prod(entry["shape"]) * STORED_ITEM_BYTES[dtype]


def _check_names(weights: Iterable[tuple[str, np.ndarray]]) -> None:
    seen: set[str] = set()
    for name, _ in weights:
        if not isinstance(name, str) or not name:
            raise ArtifactError(f"weight names must be non-empty strings, got {name!r}")
        if name in seen:
            raise ArtifactError(f"duplicate weight name {name!r}: every weight needs its own name")
        seen.add(name)


def layer_of(name: str) -> str:
    """The layer a layers model's weight belongs to: its name up to the first ``/``."""
    return name.split("/", 1)[0]


def _grouped(names: Sequence[str], group_of: Callable[[str], str] | None) -> list[list[int]]:
    """Weight positions by group, groups in the order of their first weight (one group when
    ``group_of`` is ``None``)."""
    if group_of is None:
        return [list(range(len(names)))]
    groups: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        groups.setdefault(group_of(name), []).append(index)
    return list(groups.values()) or [[]]


def write_weights(
    weights: NamedArrays,
    directory: Path,
    *,
    shard_size: int = DEFAULT_SHARD_SIZE,
    quantization: WeightQuantizer | None = None,
    group_of: Callable[[str], str] | None = None,
) -> list[WeightGroup]:
    """Write ``weights`` into ``directory`` as shards of weight groups; return the manifest.

    ``quantization`` decides each weight's dtype (a ``QuantizationPlan`` or a
    ``MixedQuantizationPlan``); every decision is made before anything is written. ``group_of``
    names each weight's group (such as :func:`layer_of`); by default all are in one group."""
    if shard_size < 1:
        raise ArtifactError(f"shard size must be at least 1 byte, got {shard_size}")
    _check_names(weights)
    entries: list[WeightEntry] = []
    strings: list[bytes | None] = []
    for name, array in weights:
        array = np.asarray(array)
        dtype = tfjs_dtype(name, array)
        entry: WeightEntry = {"name": name, "shape": [int(d) for d in array.shape], "dtype": dtype}
        if quantization is not None:
            chosen = quantization.decide(name, array.dtype.kind == "f").dtype
            if chosen is not None:
                entry["quantization"] = {"dtype": chosen}
        entries.append(entry)
        strings.append(encode_strings(name, array) if dtype == "string" else None)
    manifest: list[WeightGroup] = []
    writers: list[_ShardWriter] = []
    try:
        for number, indices in enumerate(_grouped([n for n, _ in weights], group_of), 1):
            total = sum(_stored_bytes(entries[i], strings[i]) for i in indices)
            writer = _ShardWriter(directory, total, shard_size, number)
            writers.append(writer)
            for i in indices:
                _write_entry(writer, entries[i], strings[i], weights[i])
            writer.close()
            manifest.append({"paths": writer.paths, "weights": [entries[i] for i in indices]})
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    return manifest


def _write_entry(
    writer: _ShardWriter,
    entry: WeightEntry,
    encoded: bytes | None,
    weight: tuple[str, np.ndarray],
) -> None:
    if encoded is not None:
        writer.write(memoryview(encoded))
        return
    name, array = weight
    stored = narrow(name, np.asarray(array))
    if "quantization" in entry:
        stored, entry["quantization"] = quantize(name, stored, entry["quantization"]["dtype"])
    writer.write(stored.reshape(-1).view(np.uint8).data)


def _shard_paths(directory: Path, group: WeightGroup) -> list[Path]:
    """The group's shard files, each inside ``directory`` and a regular file, or an error."""
    paths = []
    for relative in group.get("paths", []):
        problem = shard_file_problem(directory, relative)
        if problem == "is missing":
            raise ArtifactError(
                f"{directory / relative}: weight shard named in model.json is missing; "
                "rebuild the artifact"
            )
        if problem:
            raise ArtifactError(
                f"{directory}: weights manifest path {relative!r:.200} {problem}; refusing to read it"
            )
        paths.append(directory / relative)
    return paths


def _read_group(directory: Path, group: WeightGroup) -> bytes:
    """The group's shards, concatenated; sizes are checked first, so shards much longer than
    the manifest describes are never read into memory."""
    paths = _shard_paths(directory, group)
    try:
        on_disk = sum(path.stat().st_size for path in paths)
        expected = expected_bytes(group.get("weights", []))
        if expected is not None and on_disk > expected:
            raise ArtifactError(_too_long(directory, group, on_disk - expected))
        return b"".join(path.read_bytes() for path in paths)
    except OSError as exc:
        raise ArtifactError(f"{directory}: cannot read a weight shard ({exc})") from None


def _too_long(directory: Path, group: WeightGroup, extra: int) -> str:
    return (
        f"{directory}: shards of {group.get('paths')} hold {extra} bytes more than the manifest "
        "describes; model.json and the shards do not belong together"
    )


def _decode_entry(entry: WeightEntry, data: memoryview, where: Path) -> tuple[np.ndarray, int]:
    name, shape, dtype = entry["name"], tuple(entry["shape"]), entry["dtype"]
    count = math.prod(shape)
    if "quantization" not in entry and dtype == "string":
        if count * STRING_LENGTH_BYTES > len(data):  # each string takes at least its length
            raise ArtifactError(
                f"{where}: weight data ends early: {name!r} holds {count} strings, "
                f"{len(data)} bytes are left; a shard is truncated or missing"
            )
        values, used = decode_strings(name, data, count)
        return values.reshape(shape), used
    quantization = entry.get("quantization")
    stored_dtype = quantization["dtype"] if quantization else dtype
    if stored_dtype not in _NUMPY_DTYPES:
        raise ArtifactError(f"{where}: weight {name!r} has unsupported dtype {stored_dtype!r}")
    used = count * STORED_ITEM_BYTES[stored_dtype]
    if used > len(data):
        raise ArtifactError(
            f"{where}: weight data ends early: {name!r} needs {used} bytes, {len(data)} are left; "
            "a shard is truncated or missing"
        )
    stored = np.frombuffer(data[:used], dtype=_NUMPY_DTYPES[stored_dtype]).reshape(shape)
    if quantization:
        return dequantize(stored, quantization, dtype).reshape(shape), used
    return stored.astype(stored.dtype.newbyteorder("="), copy=True), used


def read_weights(directory: Path, manifest: list[WeightGroup]) -> list[tuple[str, np.ndarray]]:
    """Reassemble and dequantize every weight of ``manifest`` from the shards in ``directory``."""
    check_manifest(manifest, directory)
    out: list[tuple[str, np.ndarray]] = []
    for group in manifest:
        data = memoryview(_read_group(directory, group))
        offset = 0
        for entry in group.get("weights", []):
            try:
                array, used = _decode_entry(entry, data[offset:], directory)
            except (KeyError, TypeError, ValueError) as exc:
                raise ArtifactError(
                    f"{directory}: malformed weights manifest entry {entry!r:.200} ({exc})"
                ) from None
            out.append((entry["name"], array))
            offset += used
        if offset != len(data):
            raise ArtifactError(_too_long(directory, group, len(data) - offset))
    return out
