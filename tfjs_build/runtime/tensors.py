"""Tensors to and from TF.js: raw little-endian bytes plus a dtype and a shape (strings: per
element, a uint32 little-endian byte count then the bytes, the layout of TF.js string weights)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfjs_build.artifact.dtypes import decode_strings, encode_strings
from tfjs_build.errors import RuntimeFailure

_RAW_DTYPES = {"float32": "<f4", "int32": "<i4", "bool": "?"}


def encode_input(name: str, value: Any) -> tuple[str, bytes]:
    """The TF.js dtype and raw bytes of input ``name`` (floats as float32, integers as int32,
    ``str`` as UTF-8)."""
    array = np.asarray(value)
    if array.dtype.kind in "SUO":
        odd = next((x for x in array.reshape(-1) if not isinstance(x, (str, bytes))), None)
        if odd is not None:
            raise RuntimeFailure(
                f"input {name!r} holds a value of type {type(odd).__name__}; string inputs hold "
                "str or bytes"
            )
        return "string", encode_strings(name, array)
    if array.dtype.kind == "f":
        dtype = "float32"
    elif array.dtype.kind in "iu":
        dtype = "int32"
    elif array.dtype.kind == "b":
        dtype = "bool"
    else:
        raise RuntimeFailure(
            f"input {name!r} has dtype {array.dtype}; TF.js inputs here are float, int, bool or "
            "string"
        )
    return dtype, np.ascontiguousarray(array.astype(_RAW_DTYPES[dtype])).tobytes()


def decode_output(name: str, dtype: str, shape: list[int], data: bytes) -> np.ndarray:
    """An output TF.js wrote as raw bytes (strings: a 4-byte length before each)."""
    dims = tuple(shape)
    if dtype == "string":
        values, _ = decode_strings(name, memoryview(data), int(np.prod(dims)))
        return values.reshape(dims)
    if dtype not in _RAW_DTYPES:
        raise RuntimeFailure(f"output {name!r} came back from TF.js as unknown dtype {dtype!r}")
    raw = np.frombuffer(data, dtype=_RAW_DTYPES[dtype])
    return raw.astype(raw.dtype.newbyteorder("=")).reshape(dims)
