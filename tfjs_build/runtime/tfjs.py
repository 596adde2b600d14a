"""Run TF.js artifacts in real TensorFlow.js in Node (pure-JS cpu or wasm backend), in one
long-lived worker per backend that is restarted when it dies or its memory grows."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfjs_build.backends import BROWSER_BACKENDS, NODE_BACKENDS, PARITY_BACKENDS
from tfjs_build.errors import RuntimeFailure
from tfjs_build.runtime.node_packages import NodeSetup
from tfjs_build.runtime.node_worker import NodeWorker, WorkerDied
from tfjs_build.runtime.protocol import ExplainRequest, RuntimeRecord, TimedRun
from tfjs_build.runtime.tensors import decode_output, encode_input

_Encoded = tuple[str, tuple[int, ...], str, bytes]
"""An input as the worker gets it: name, shape, TF.js dtype and raw bytes."""


@dataclass(frozen=True)
class Recycling:
    """When a healthy worker is replaced by a fresh one after a job: after ``max_jobs`` jobs, or
    when its resident memory has grown by more than ``max_growth`` bytes since it was ready (the
    wasm heap never shrinks), or when TF.js tensors outlive their job."""

    max_jobs: int = 500
    max_growth: int = 1 << 30

    def due(self, worker: NodeWorker) -> bool:
        """Whether ``worker`` should be replaced now."""
        if worker.jobs >= self.max_jobs:
            return True
        now, then = worker.memory, worker.started_memory
        if now is None or then is None:
            return False
        return now["rss"] - then["rss"] > self.max_growth or now["tensors"] > then["tensors"]


WASM_TRAPS = ("memory access out of bounds", "unreachable", "Aborted(", "out of memory")
"""What a WebAssembly trap in a TF.js kernel says (wasm aborts mid-kernel, leaving its heap as it
was): a worker that saw one serves no further job."""


def _wasm_trap(error: str) -> bool:
    return any(trap in error for trap in WASM_TRAPS)


class NodeRuntime:
    """A :class:`~tfjs_build.runtime.protocol.TfjsRuntime` for ``cpu`` or ``wasm``.

    Its worker starts on the first run and serves every run until :meth:`close`. A worker that
    dies during a run (or while starting for it) is replaced and the run tried once more; if the
    new one dies too, the run fails with :class:`~tfjs_build.errors.RuntimeFailure`. ``setup`` (shared by a build's
    runtimes) finds ``node`` and the packages once.
    """

    def __init__(
        self,
        backend: str,
        setup: NodeSetup | None = None,
        *,
        recycling: Recycling = Recycling(),
    ) -> None:
        if backend not in NODE_BACKENDS:
            raise RuntimeFailure(_not_in_node(backend))
        self._backend = backend
        self._setup = setup or NodeSetup()
        self._recycling = recycling
        self._worker: NodeWorker | None = None
        self._lock = threading.Lock()
        self.starts = 0
        """How many workers this runtime started (one, unless one died or was recycled)."""

    @property
    def backend(self) -> str:
        """``cpu`` or ``wasm``."""
        return self._backend

    @property
    def worker(self) -> NodeWorker | None:
        """The running worker, if any."""
        return self._worker

    def start(self) -> None:
        """Start the worker now if there is none, without waiting for it to get ready."""
        with self._lock:
            self._ready_worker()

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
        explain: ExplainRequest | None = None,
    ) -> TimedRun:
        """:meth:`run` with TF.js's timings (what ``explain`` asks for instead of the outputs)."""
        encoded = [
            (name, np.shape(value), *encode_input(name, value)) for name, value in inputs.items()
        ]
        job = {
            "model_dir": str(Path(artifact_dir).resolve()),
            "outputs": list(outputs) if outputs is not None else None,
            "warm_runs": warm_runs,
            "explain": explain,
        }
        with self._lock:
            try:
                try:
                    return self._attempt(job, encoded)
                except WorkerDied:
                    self._discard()
                return self._attempt(job, encoded)
            except WorkerDied as died:
                raise RuntimeFailure(
                    f"TF.js ({self._backend}) failed on {artifact_dir}: {died} (a fresh worker "
                    "died too)"
                ) from None
            except RuntimeFailure as exc:
                raise RuntimeFailure(
                    f"TF.js ({self._backend}) failed on {artifact_dir}: {exc}"
                ) from None

    def _attempt(self, job: Mapping[str, object], inputs: list[_Encoded]) -> TimedRun:
        worker = self._ready_worker()
        work = worker.scratch / f"job{worker.jobs}"
        work.mkdir()
        try:
            files = [
                _input_file(encoded, work / f"input{i}.bin") for i, encoded in enumerate(inputs)
            ]
            reply = worker.call({**job, "inputs": files, "result_dir": str(work)})
            if not reply["ok"]:
                if _wasm_trap(str(reply["error"])):
                    self._discard()  # its WebAssembly memory may be corrupt: the next job starts anew
                raise RuntimeFailure(str(reply["error"]))
            return TimedRun(_read_outputs(reply["outputs"]), reply["timings"])
        except (RuntimeFailure, OSError):
            raise
        except BaseException:  # interrupted mid-job: its reply would answer the next request
            self._discard()
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
            if self._worker is worker and self._recycling.due(worker):
                self._discard()

    def _ready_worker(self) -> NodeWorker:
        worker = self._worker
        if worker is not None and not worker.owned:
            worker = self._worker = None  # forked: the parent's worker stays the parent's
        if worker is not None and not worker.alive:
            self._discard()
            worker = None
        if worker is None:
            self.starts += 1
            worker = self._worker = NodeWorker(
                self._setup.node, self._setup.packages, self._backend
            )
        return worker

    def _discard(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()

    def explain(
        self, artifact_dir: Path, inputs: Mapping[str, np.ndarray], request: ExplainRequest
    ) -> dict[str, np.ndarray]:
        """The layers' outputs (or one layer's) that ``request`` asks for, by key."""
        return self.timed_run(artifact_dir, inputs, explain=request).outputs

    def environment(self) -> RuntimeRecord:
        """Nothing to record: the TF.js version is in the lockfile."""
        return {}

    def close(self) -> None:
        """End the worker (the next run would start another). Idempotent."""
        self._discard()


def run_in_tfjs(
    model_dir: Path,
    inputs: Mapping[str, np.ndarray],
    *,
    backend: str = "cpu",
    outputs: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Load the artifact in ``model_dir`` in TF.js in Node, run ``inputs``, return its outputs.

    This starts a worker and ends it; for many runs, or the browser backends, use a
    :class:`~tfjs_build.runtime.RuntimePool`.
    """
    runtime = NodeRuntime(backend)
    try:
        return runtime.run(model_dir, inputs, outputs)
    finally:
        runtime.close()


def _not_in_node(backend: str) -> str:
    if backend in BROWSER_BACKENDS:
        return f"TF.js backend {backend!r} runs in a browser; run it through a RuntimePool"
    return f"unknown TF.js backend {backend!r}; choose one of {', '.join(PARITY_BACKENDS)}"


def _input_file(encoded: _Encoded, file: Path) -> dict[str, object]:
    name, shape, dtype, raw = encoded
    file.write_bytes(raw)
    return {"name": name, "dtype": dtype, "shape": list(shape), "file": str(file)}


def _read_outputs(specs: list[dict[str, object]]) -> dict[str, np.ndarray]:
    return {
        str(spec["name"]): decode_output(
            str(spec["name"]),
            str(spec["dtype"]),
            list(spec["shape"]),  # type: ignore[call-overload]
            Path(str(spec["file"])).read_bytes(),
        )
        for spec in specs
    }
