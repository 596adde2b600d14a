"""Run a TF.js artifact in real TensorFlow.js (Node, pure-JS cpu or wasm backend)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build.artifact.dtypes import decode_strings, encode_strings
from tfjs_build.artifact.format import output_keys
from tfjs_build.backends import PARITY_BACKENDS, ParityBackend
from tfjs_build.errors import RuntimeFailure
from tfjs_build.leftovers import private_temporary_directory
from tfjs_build.runtime.node_packages import ensure_node_packages, js_dir, node_executable

Backend = ParityBackend
BACKENDS: tuple[Backend, ...] = PARITY_BACKENDS
_RAW_DTYPES = {"float32": "<f4", "int32": "<i4", "bool": "?"}


def _input_spec(name: str, value: np.ndarray, directory: Path, index: int) -> dict[str, Any]:
    array = np.asarray(value)
    if array.dtype.kind in "SUO":
        dtype, data = "string", string_tensor_bytes(name, array)
    elif array.dtype.kind == "f":
        dtype, data = "float32", _raw_bytes(array, "<f4")
    elif array.dtype.kind in "iu":
        dtype, data = "int32", _raw_bytes(array, "<i4")
    elif array.dtype.kind == "b":
        dtype, data = "bool", _raw_bytes(array, "?")
    else:
        raise RuntimeFailure(
            f"input {name!r} has dtype {array.dtype}; TF.js inputs here are float, int, bool or "
            "string"
        )
    file = directory / f"input{index}.bin"
    file.write_bytes(data)
    return {"name": name, "dtype": dtype, "shape": list(array.shape), "file": str(file)}


def _raw_bytes(array: np.ndarray, dtype: str) -> bytes:
    return np.ascontiguousarray(array.astype(dtype)).tobytes()


def string_tensor_bytes(name: str, array: np.ndarray) -> bytes:
    """A string tensor (``str`` as UTF-8, or ``bytes``) as run.js reads it: per element, a uint32
    LE byte count then the bytes, the layout of TF.js string weights."""
    odd = next((x for x in array.reshape(-1) if not isinstance(x, (str, bytes))), None)
    if odd is not None:
        raise RuntimeFailure(
            f"input {name!r} holds a value of type {type(odd).__name__}; string inputs hold str or bytes"
        )
    return encode_strings(name, array)


def _read_output(spec: dict[str, Any]) -> np.ndarray:
    data = Path(spec["file"]).read_bytes()
    shape = tuple(spec["shape"])
    if spec["dtype"] == "string":
        values, _ = decode_strings(spec["name"], memoryview(data), int(np.prod(shape)))
        return values.reshape(shape)
    raw = np.frombuffer(data, dtype=_RAW_DTYPES[spec["dtype"]])
    return raw.astype(raw.dtype.newbyteorder("=")).reshape(shape)


def run_in_tfjs(
    model_dir: Path,
    inputs: Mapping[str, np.ndarray],
    *,
    backend: str = "cpu",
    outputs: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Load the artifact in ``model_dir`` in TF.js, run ``inputs`` and return its outputs by key.

    Layers models take inputs by input-layer name and key outputs by output layer name
    (``name.position`` where outputs share a layer, see ``output_keys``); graph models take
    signature input keys (or node names) and key outputs by signature output key. ``outputs``
    selects and orders the outputs returned.
    """
    if backend not in BACKENDS:
        raise RuntimeFailure(
            f"unknown TF.js backend {backend!r}; choose one of {', '.join(BACKENDS)}"
        )
    packages = ensure_node_packages()
    node = node_executable()
    with private_temporary_directory("tfjs-build-run-") as scratch:
        work = Path(scratch)
        job = {
            "model_dir": str(Path(model_dir).resolve()),
            "inputs": [_input_spec(n, v, work, i) for i, (n, v) in enumerate(inputs.items())],
            "outputs": list(outputs) if outputs is not None else None,
            "result_dir": str(work),
        }
        request = work / "request.json"
        request.write_text(json.dumps({"backend": backend, "jobs": [job]}))
        result = subprocess.run(
            [node, str(js_dir() / "run.js"), str(packages), str(request)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeFailure(
                f"TF.js ({backend}) failed on {model_dir}: {_error_message(result)}"
            )
        specs = json.loads((work / "outputs.json").read_text())
        keys = output_keys([spec["name"] for spec in specs])
        results = {key: _read_output(spec) for key, spec in zip(keys, specs, strict=True)}
    if outputs is None:
        return results
    missing = [name for name in outputs if name not in results]
    if missing:
        raise RuntimeFailure(
            f"TF.js ({backend}): {model_dir} has no output {', '.join(map(repr, missing))}; "
            f"it has {', '.join(map(repr, results))}"
        )
    return {name: results[name] for name in outputs}


def _error_message(result: subprocess.CompletedProcess[str]) -> str:
    for line in reversed(result.stderr.strip().splitlines()):
        try:
            return str(json.loads(line)["error"])
        except (ValueError, KeyError, TypeError):
            continue
    return (result.stderr.strip() or result.stdout.strip() or f"exit code {result.returncode}")[
        -2000:
    ]
