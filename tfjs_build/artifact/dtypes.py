"""Bring numpy arrays to the dtypes TF.js stores, and encode them as TF.js reads them."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tfjs_build.artifact.format import WeightDtype
from tfjs_build.errors import ArtifactError

STRING_LENGTH_BYTES = 4
"""TF.js stores each string element as a little-endian uint32 byte count, then the bytes."""

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_INT32 = np.iinfo(np.int32)


def tfjs_dtype(name: str, array: np.ndarray) -> WeightDtype:
    """The TF.js dtype that stores ``array``; an error naming the weight when there is none."""
    kind = array.dtype.kind
    if kind == "f":
        return "float32"
    if kind in "iu":
        return "int32"
    if kind == "b":
        return "bool"
    if kind in "USO":
        return "string"
    raise ArtifactError(
        f"weight {name!r} has dtype {array.dtype}, which TF.js cannot store "
        "(supported: float32, int32, bool, string, and float64/int64 narrowed)"
    )


def narrow(name: str, array: np.ndarray) -> np.ndarray:
    """``array`` as TF.js's little-endian float32/int32/bool, checking that narrowing loses no range.

    float64 values beyond float32's range and integers beyond int32's are errors naming the weight.
    Arrays that already have the target dtype are returned without a copy.
    """
    dtype = tfjs_dtype(name, array)
    if dtype == "float32":
        if array.dtype != np.float32 and array.dtype.itemsize > 4 and array.size:
            finite = np.abs(array[np.isfinite(array)])
            if finite.size and float(finite.max()) > _FLOAT32_MAX:
                raise ArtifactError(
                    f"weight {name!r} ({array.dtype}) has values beyond float32's range "
                    f"(max |x| = {float(finite.max()):g}); TF.js stores float32 only"
                )
        return np.ascontiguousarray(array, dtype="<f4")
    if dtype == "int32":
        if array.dtype.itemsize >= 4 and array.dtype != np.int32 and array.size:
            lo, hi = int(array.min()), int(array.max())
            if lo < _INT32.min or hi > _INT32.max:
                raise ArtifactError(
                    f"weight {name!r} ({array.dtype}) has values outside int32's range "
                    f"[{lo}, {hi}]; TF.js stores int32 only"
                )
        return np.ascontiguousarray(array, dtype="<i4")
    if dtype == "bool":
        return np.ascontiguousarray(array, dtype=np.bool_)
    raise ArtifactError(f"weight {name!r} is a string tensor; encode it with encode_strings")


def _string_elements(name: str, array: np.ndarray) -> Iterator[bytes]:
    for item in array.reshape(-1):
        if isinstance(item, bytes):
            yield item
        elif isinstance(item, str):
            yield item.encode("utf-8")
        else:
            raise ArtifactError(
                f"weight {name!r} is a string tensor with a {type(item).__name__} element; "
                "expected bytes or str"
            )


def encode_strings(name: str, array: np.ndarray) -> bytes:
    """TF.js's encoding of a string tensor: per element, uint32 LE length then the bytes."""
    parts: list[bytes] = []
    for element in _string_elements(name, array):
        parts.append(len(element).to_bytes(STRING_LENGTH_BYTES, "little"))
        parts.append(element)
    return b"".join(parts)


def decode_strings(name: str, data: memoryview, count: int) -> tuple[np.ndarray, int]:
    """Decode ``count`` TF.js-encoded strings from ``data``; return them and the bytes consumed."""
    out = np.empty(count, dtype=object)
    offset = 0
    for i in range(count):
        header_end = offset + STRING_LENGTH_BYTES
        if header_end > len(data):
            raise ArtifactError(f"weight {name!r}: string data ends early at element {i}")
        length = int.from_bytes(data[offset:header_end], "little")
        end = header_end + length
        if end > len(data):
            raise ArtifactError(f"weight {name!r}: string data ends early at element {i}")
        out[i] = bytes(data[header_end:end])
        offset = end
    return out, offset
