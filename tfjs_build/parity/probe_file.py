"""The probe inputs and reference outputs of a parity check, saved beside the artifact.

One ``parity-probe.safetensors`` file: an 8-byte little-endian header length, a JSON header naming
each tensor (``input:NAME``, ``output:NAME``) with its dtype (``F32``, ``I32``, ``BOOL``), shape and
byte range, then the raw little-endian data. Any safetensors reader opens it, and a page reads it
with a few lines of JavaScript (the report's live check does). String tensors are left out, and
named in the header's ``__metadata__["not_stored"]`` (a JSON list), so a reader knows it cannot
replay a model with string inputs.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from tfjs_build.artifact.format import PARITY_PROBE as PROBE_FILE
from tfjs_build.errors import ArtifactError

_DTYPES = {"F32": np.dtype("<f4"), "I32": np.dtype("<i4"), "BOOL": np.dtype("?")}
_ALIGN = 8


def _stored(array: np.ndarray) -> tuple[str, np.ndarray] | None:
    """The safetensors dtype and array TF.js would compare against, or ``None`` (strings)."""
    kind = array.dtype.kind
    if kind == "f":
        return "F32", array.astype("<f4")
    if kind in "iu":
        return "I32", array.astype("<i4")  # TF.js computes integers as int32
    if kind == "b":
        return "BOOL", array.astype("?")
    return None


def write_probe_file(
    directory: Path, inputs: Mapping[str, np.ndarray], reference: Mapping[str, np.ndarray]
) -> Path:
    """Write ``inputs`` and the ``reference`` outputs into ``directory``; return the file."""
    header: dict[str, object] = {}
    not_stored: list[str] = []
    chunks: list[bytes] = []
    offset = 0
    named = [(f"input:{k}", v) for k, v in inputs.items()]
    named += [(f"output:{k}", v) for k, v in reference.items()]
    for key, value in named:
        stored = _stored(np.asarray(value))
        if stored is None:
            not_stored.append(key)
            continue
        dtype, array = stored
        data = np.ascontiguousarray(array).tobytes()
        header[key] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {
        "format": "tfjs-build parity probe",
        "not_stored": json.dumps(not_stored),
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % _ALIGN)
    path = Path(directory) / PROBE_FILE
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))
    return path


def read_probe_file(path: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The inputs and reference outputs saved in ``path``, by name."""
    data = Path(path).read_bytes()
    try:
        (length,) = struct.unpack_from("<Q", data)
        header = json.loads(data[8 : 8 + length])
        inputs: dict[str, np.ndarray] = {}
        outputs: dict[str, np.ndarray] = {}
        for key, spec in header.items():
            if key == "__metadata__":
                continue
            begin, end = (8 + length + int(o) for o in spec["data_offsets"])
            array = np.frombuffer(data[begin:end], dtype=_DTYPES[spec["dtype"]])
            role, name = key.split(":", 1)
            (inputs if role == "input" else outputs)[name] = array.reshape(spec["shape"])
    except (struct.error, ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"{path}: not a parity probe file ({exc}); rebuild the model") from None
    return inputs, outputs
