"""Run a TF.js artifact in real TensorFlow.js in Node (pure-JS cpu or wasm backend)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from tfjs_build.backends import BROWSER_BACKENDS, NODE_BACKENDS, PARITY_BACKENDS
from tfjs_build.errors import RuntimeFailure
from tfjs_build.leftovers import private_temporary_directory
from tfjs_build.runtime.node_packages import ensure_node_packages, js_dir, node_executable
from tfjs_build.runtime.protocol import RuntimeRecord, TimedRun
from tfjs_build.runtime.tensors import decode_output, encode_input


class NodeRuntime:
    """A :class:`~tfjs_build.runtime.protocol.TfjsRuntime` for ``cpu`` or ``wasm``.

    Each run is one Node process today; the Protocol lets a long-lived worker replace it.
    """

    def __init__(self, backend: str) -> None:
        if backend not in NODE_BACKENDS:
            raise RuntimeFailure(_not_in_node(backend))
        self._backend = backend

    @property
    def backend(self) -> str:
        """``cpu`` or ``wasm``."""
        return self._backend

    def run(
        self,
        artifact_dir: Path,
        inputs: Mapping[str, np.ndarray],
        outputs: Sequence[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Load the artifact in Node, run ``inputs`` and return the outputs by name."""
        return self.timed_run(artifact_dir, inputs, outputs).outputs

    def timed_run(
        self,
        artifact_dir: Path,
        inputs: Mapping[str, np.ndarray],
        outputs: Sequence[str] | None = None,
        *,
        warm_runs: int = 0,
    ) -> TimedRun:
        """:meth:`run` with TF.js's timings."""
        packages = ensure_node_packages()
        node = node_executable()
        with private_temporary_directory("tfjs-build-run-") as scratch:
            work = Path(scratch)
            job = {
                "model_dir": str(Path(artifact_dir).resolve()),
                "inputs": [_input_file(n, v, work, i) for i, (n, v) in enumerate(inputs.items())],
                "outputs": list(outputs) if outputs is not None else None,
                "result_dir": str(work),
                "warm_runs": warm_runs,
            }
            request = work / "request.json"
            request.write_text(json.dumps({"backend": self._backend, "jobs": [job]}))
            result = subprocess.run(
                [node, str(js_dir() / "run.js"), str(packages), str(request)],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeFailure(
                    f"TF.js ({self._backend}) failed on {artifact_dir}: {_error_message(result)}"
                )
            written = json.loads((work / "outputs.json").read_text())
            named = {
                spec["name"]: decode_output(
                    spec["name"], spec["dtype"], spec["shape"], Path(spec["file"]).read_bytes()
                )
                for spec in written["outputs"]
            }
            return TimedRun(named, written["timings"])

    def environment(self) -> RuntimeRecord:
        """Nothing to record: the TF.js version is in the lockfile."""
        return {}

    def close(self) -> None:
        """Nothing is held between runs yet."""


def run_in_tfjs(
    model_dir: Path,
    inputs: Mapping[str, np.ndarray],
    *,
    backend: str = "cpu",
    outputs: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Load the artifact in ``model_dir`` in TF.js in Node, run ``inputs``, return its outputs.

    For the browser backends, or many runs, use a :class:`~tfjs_build.runtime.RuntimePool`.
    """
    return NodeRuntime(backend).run(model_dir, inputs, outputs)


def _not_in_node(backend: str) -> str:
    if backend in BROWSER_BACKENDS:
        return f"TF.js backend {backend!r} runs in a browser; run it through a RuntimePool"
    return f"unknown TF.js backend {backend!r}; choose one of {', '.join(PARITY_BACKENDS)}"


def _input_file(name: str, value: np.ndarray, directory: Path, index: int) -> dict[str, object]:
    dtype, raw = encode_input(name, value)
    file = directory / f"input{index}.bin"
    file.write_bytes(raw)
    return {"name": name, "dtype": dtype, "shape": list(np.shape(value)), "file": str(file)}


def _error_message(result: subprocess.CompletedProcess[str]) -> str:
    for line in reversed(result.stderr.strip().splitlines()):
        try:
            return str(json.loads(line)["error"])
        except (ValueError, KeyError, TypeError):
            continue
    return (result.stderr.strip() or result.stdout.strip() or f"exit code {result.returncode}")[
        -2000:
    ]
