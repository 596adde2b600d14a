"""One long-lived Node.js process running TF.js jobs for one backend (``js/worker.js``).

Requests and replies are JSON lines on its stdin and stdout; tensors travel as files in the
worker's private scratch directory, which is named on its command line so that it can be found.
It runs in its own session, so a terminal's Ctrl-C reaches this process, which then ends it. When
this process dies without ending it (SIGKILL), its stdin closes and it exits by itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypedDict

from tfjs_build.errors import RuntimeFailure
from tfjs_build.interrupts import interrupts_deferred
from tfjs_build.leftovers import private_path
from tfjs_build.runtime.node_packages import js_dir

SCRATCH_PREFIX = "tfjs-build-run-"
"""Scratch directories are ``{SCRATCH_PREFIX}{pid}-*``: those of killed builds go at the next start."""
LOG_NAME = "node.log"
EXIT_SECONDS = 5.0
"""How long an idle worker gets to exit after its stdin closes before it is killed."""


class Memory(TypedDict):
    """What the worker holds after a job: live TF.js tensors and its resident set in bytes."""

    tensors: int
    rss: int


class WorkerDied(RuntimeFailure):
    """The worker process ended before it was ready or before it answered."""


@dataclass
class _Held:
    """What ending a worker releases, filled in as it starts (so that an interrupt at any point
    releases what exists): its scratch directory, its process, and whether it is busy (starting,
    or a request waiting for its reply; then it is killed at once)."""

    scratch: Path
    owner: int
    process: subprocess.Popen[bytes] | None = None
    busy: bool = True


class NodeWorker:
    """A worker for ``backend``, started at once; it gets ready (loads TF.js) while the caller goes
    on, and :meth:`call` waits for that before sending the first job. :meth:`close` ends it."""

    def __init__(self, node: str, packages: Path, backend: str) -> None:
        self.backend = backend
        self.scratch = private_path(SCRATCH_PREFIX)
        self._held = _Held(self.scratch, os.getpid())
        self._finalizer = weakref.finalize(self, _end, self._held)
        self._next_id = 0
        self.jobs = 0
        """Jobs answered so far."""
        self.started_memory: Memory | None = None
        """What the worker held once TF.js was ready, before any job (None until then)."""
        self.memory: Memory | None = None
        """What it held after its last job (or once ready)."""
        try:
            with interrupts_deferred():  # never a started process that nothing holds
                self.scratch.mkdir(mode=0o700)
                self._held.process = self.process = _spawn(node, packages, backend, self.scratch)
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int:
        """The Node process's id."""
        return self.process.pid

    @property
    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process.poll() is None

    @property
    def owned(self) -> bool:
        """Whether this process started it (a forked child must start its own)."""
        return os.getpid() == self._held.owner

    def wait_ready(self) -> None:
        """Wait until TF.js is loaded; raise :class:`WorkerDied` if the worker ended first."""
        if self.started_memory is not None:
            return
        try:
            ready = self._read(None)
        except BaseException:
            self.close()
            raise
        self.started_memory = self.memory = ready["memory"]
        self._held.busy = False

    def call(self, job: dict[str, Any]) -> dict[str, Any]:
        """Send ``job`` (once the worker is ready) and return the reply (``ok``, then the outputs
        or an ``error``)."""
        self.wait_ready()
        self._next_id += 1
        line = json.dumps({**job, "id": self._next_id}) + "\n"
        stdin: IO[bytes] = self.process.stdin  # type: ignore[assignment]
        self._held.busy = True
        try:
            stdin.write(line.encode())
            stdin.flush()
        except (BrokenPipeError, ValueError):
            raise self._died() from None
        reply = self._read(self._next_id)
        self._held.busy = False
        self.jobs += 1
        self.memory = reply["memory"]
        return reply

    def _read(self, wanted: int | None) -> dict[str, Any]:
        """The next reply (the ready message when ``wanted`` is None); lines that are not one
        (nothing should print to stdout, but a library might) are skipped."""
        stdout: IO[bytes] = self.process.stdout  # type: ignore[assignment]
        while True:
            line = stdout.readline()
            if not line:
                raise self._died()
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if isinstance(message, dict) and message.get("id") == wanted:
                    return message

    def _died(self) -> WorkerDied:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=EXIT_SECONDS)
        code = self.process.poll()
        how = "was killed" if code is None or code < 0 else f"exited with code {code}"
        return WorkerDied(f"the Node worker {how}: {self.log_tail()}")

    def log_tail(self) -> str:
        """The error the worker reported, else the last lines it printed (for error messages)."""
        try:
            text = (self.scratch / LOG_NAME).read_text(errors="replace")
        except OSError:
            return "(no output)"
        for line in reversed(text.strip().splitlines()):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                return str(json.loads(line)["error"]).split("\n")[0]
        return " | ".join(text.strip().splitlines()[-3:])[-2000:] or "(no output)"

    def close(self) -> None:
        """Close its stdin and let it exit (kill it when busy or when it lingers), then remove its
        scratch directory. Idempotent."""
        self._finalizer()


def _spawn(node: str, packages: Path, backend: str, scratch: Path) -> subprocess.Popen[bytes]:
    command = [node, str(js_dir() / "worker.js"), str(packages), backend, str(scratch)]
    try:
        with open(scratch / LOG_NAME, "wb") as log:
            return subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
    except OSError as exc:
        raise RuntimeFailure(f"cannot start {node}: {exc}") from None


def _end(held: _Held) -> None:
    if os.getpid() != held.owner:
        return  # a forked child: the worker and its directory belong to its parent
    process = held.process
    if process is not None:
        with contextlib.suppress(OSError, ValueError):
            process.stdin.close()  # type: ignore[union-attr]
        if not held.busy:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=EXIT_SECONDS)
        if process.poll() is None:  # never signal a reaped process's id: it may be reused
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=EXIT_SECONDS)
        with contextlib.suppress(OSError, ValueError):
            process.stdout.close()  # type: ignore[union-attr]
    shutil.rmtree(held.scratch, ignore_errors=True)
