"""TF.js's webgl and webgpu backends in a real headless Chromium: one browser per build, one page
per backend.

The page and the pinned TF.js bundle (``tf.min.js``, which holds the webgl and webgpu backends)
come from a :class:`LocalServer` on 127.0.0.1, and so does each artifact, under a fresh URL per
run; tensors cross the DevTools pipe as base64.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build.backends import BROWSER_BACKENDS, ParityBackend
from tfjs_build.errors import RuntimeFailure
from tfjs_build.runtime.cdp import CdpError, CdpTimeout
from tfjs_build.runtime.chrome import ChromeProcess
from tfjs_build.runtime.local_server import LocalServer
from tfjs_build.runtime.node_packages import js_dir, tfjs_bundle_dir
from tfjs_build.runtime.protocol import ExplainRequest, RuntimeRecord, TimedRun
from tfjs_build.runtime.tensors import decode_output, encode_input

RUNNER_PAGE = "js/browser/runner.html"
SETUP_SECONDS = 120.0
RUN_BASE_SECONDS = 120.0
RUN_SECONDS_PER_MB = 6.0
"""A run may take :data:`RUN_BASE_SECONDS` plus this per MB of artifact: a large model's first
run uploads its weights and compiles many shaders, slowly on SwiftShader (ResNet50, 104 MB, takes
about 85 s on 2 busy cores). A page that stalls is caught by this limit, a lost context or a
crash at once."""
SLOWER_BACKENDS = {"webgpu": 4.0}
"""How many times webgl's time a backend takes on SwiftShader (webgpu: 3-9 times, measured on
MobileNetV2): its limit is that much longer."""
STATE_SECONDS = 5.0


class BrowserSession:
    """A headless Chromium and the local server its pages load from, until :meth:`close`."""

    def __init__(self, executable: str | None = None, *, tfjs_version: str | None = None) -> None:
        bundle = tfjs_bundle_dir(tfjs_version)
        self.chrome = ChromeProcess(executable)  # before the server's thread starts: it forks
        try:
            self.server = LocalServer()
        except BaseException:
            self.chrome.close()
            raise
        self.server.mount(bundle, "tfjs")
        self.server.mount(js_dir(), "js")
        self._targets: dict[str, str] = {}

    @property
    def version(self) -> str:
        """The browser's product and version, e.g. ``Chrome/131.0.6778.85``."""
        return self.chrome.version

    def open_page(self) -> str:
        """A new page with the runner loaded; returns its DevTools session id."""
        url = f"{self.server.origin}/{RUNNER_PAGE}"
        # A window each, so that no page is a background tab (their timers would be throttled).
        target = self.chrome.connection.call(
            "Target.createTarget", {"url": url, "newWindow": True}
        )["targetId"]
        session = self.chrome.connection.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        self._targets[session] = target
        deadline = time.monotonic() + SETUP_SECONDS
        while True:
            with contextlib.suppress(RuntimeFailure):  # the page may still be navigating
                if self.evaluate(session, "typeof tfjsBuildRun === 'function'", timeout=10):
                    return str(session)
            if time.monotonic() > deadline or not self.chrome.alive:
                raise RuntimeFailure(
                    f"the runner page did not load in {self.chrome.executable}: "
                    f"{self.chrome.log_tail()}"
                )
            time.sleep(0.05)

    def close_page(self, session: str) -> None:
        """Close the page of ``session`` (the browser keeps running)."""
        target = self._targets.pop(session, None)
        if target is not None:
            with contextlib.suppress(CdpError):
                self.chrome.connection.call("Target.closeTarget", {"targetId": target})

    def evaluate(self, session: str, expression: str, *, timeout: float) -> Any:
        """Evaluate ``expression`` in the page (awaiting a promise) and return its JSON value."""
        reply = self.chrome.connection.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=session,
            timeout=timeout,
        )
        if "exceptionDetails" in reply:
            raise RuntimeFailure(_exception_text(reply["exceptionDetails"]))
        return reply["result"].get("value")

    def close(self) -> None:
        """End the browser (its whole process group) and the server. Idempotent."""
        self.chrome.close()
        self.server.close()


class BrowserRuntime:
    """A :class:`~tfjs_build.runtime.protocol.TfjsRuntime` for a browser backend (``webgl``,
    ``webgl-f16``, ``webgpu``): one page of a :class:`BrowserSession`, set up once and reused for
    every artifact."""

    def __init__(self, session: BrowserSession, backend: ParityBackend) -> None:
        if backend not in BROWSER_BACKENDS:
            raise RuntimeFailure(f"TF.js backend {backend!r} does not run in the browser here")
        self._session, self._backend = session, backend
        self._page: str | None = None
        self._environment: RuntimeRecord = {}

    @property
    def backend(self) -> str:
        """``webgl``, ``webgl-f16`` or ``webgpu``."""
        return self._backend

    def _ready_page(self) -> str:
        if self._page is None:
            page = self._session.open_page()
            found = self._session.evaluate(
                page, f"tfjsBuildSetup({json.dumps(self._backend)})", timeout=SETUP_SECONDS
            )
            self._environment = {"browser": self._session.version, **found}
            self._page = page
        return self._page

    def explain(
        self, artifact_dir: Path, inputs: Mapping[str, np.ndarray], request: ExplainRequest
    ) -> dict[str, np.ndarray]:
        """The layers' outputs (or one layer's) that ``request`` asks for, by key."""
        return self.timed_run(artifact_dir, inputs, explain=request).outputs

    def environment(self) -> RuntimeRecord:
        """Browser version, and where the backend ran: WebGL renderer and version and whether
        textures hold float32; or the WebGPU adapter and whether it has ``shader-f16``."""
        self._ready_page()
        return dict(self._environment)  # type: ignore[return-value]

    def run(
        self,
        artifact_dir: Path,
        inputs: Mapping[str, np.ndarray],
        outputs: Sequence[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Load the artifact in the page, run ``inputs`` and return the outputs by name."""
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
        page = self._ready_page()
        base = self._session.server.mount(Path(artifact_dir))
        limit = run_time_limit(artifact_dir, self._backend)
        try:
            job = {
                "model_url": base + "model.json",
                "inputs": [_input_payload(name, value) for name, value in inputs.items()],
                "outputs": list(outputs) if outputs is not None else None,
                "warm_runs": warm_runs,
                "explain": explain,
            }
            result = self._session.evaluate(page, f"tfjsBuildRun({json.dumps(job)})", timeout=limit)
        except CdpTimeout:
            waiting = self._waiting_for(page)
            self._drop_page()
            raise RuntimeFailure(
                f"TF.js ({self._backend}) gave no answer on {artifact_dir} within {limit:.0f} s "
                f"(the limit for {_megabytes(artifact_dir):.1f} MB), waiting for {waiting}"
            ) from None
        except RuntimeFailure as exc:
            if isinstance(exc, CdpError) or self._page_lost(page):
                self._drop_page()  # a crashed page or a lost context: a new page next run
            raise RuntimeFailure(
                f"TF.js ({self._backend}) failed on {artifact_dir}: {exc}"
            ) from None
        finally:
            self._session.server.unmount(base)
        named = {
            item["name"]: decode_output(
                item["name"], item["dtype"], item["shape"], base64.b64decode(item["data"])
            )
            for item in result["outputs"]
        }
        return TimedRun(named, result["timings"])

    def _waiting_for(self, page: str) -> str:
        """What the page says its run was doing; a page too busy to say is named as such."""
        try:
            state = self._session.evaluate(page, "tfjsBuildState()", timeout=STATE_SECONDS)
        except RuntimeFailure:
            return "a page too busy to answer (a long WebGL or WebGPU call)"
        if state.get("lost"):
            return f"a page whose context is gone: {state['lost']}"
        return str(state.get("stage"))

    def _page_lost(self, page: str) -> bool:
        """Whether the page's GPU context is gone (the page cannot run anything again)."""
        try:
            return bool(
                self._session.evaluate(page, "tfjsBuildState().lost", timeout=STATE_SECONDS)
            )
        except RuntimeFailure:
            return True

    def _drop_page(self) -> None:
        if self._page is not None and self._session.chrome.alive:
            self._session.close_page(self._page)
        self._page = None

    def close(self) -> None:
        """Close this backend's page (the session's owner ends the browser)."""
        if self._page is not None and self._session.chrome.alive:
            self._session.close_page(self._page)
        self._page = None


def run_time_limit(artifact_dir: Path, backend: str = "webgl") -> float:
    """Seconds a run of the artifact in ``artifact_dir`` on ``backend`` may take before it counts
    as stalled."""
    pace = SLOWER_BACKENDS.get(backend, 1.0)
    return pace * (RUN_BASE_SECONDS + RUN_SECONDS_PER_MB * _megabytes(artifact_dir))


def _megabytes(artifact_dir: Path) -> float:
    files = (p for p in Path(artifact_dir).iterdir() if p.is_file())
    return sum(p.stat().st_size for p in files) / 1e6


def _input_payload(name: str, value: np.ndarray) -> dict[str, Any]:
    dtype, raw = encode_input(name, value)
    return {
        "name": name,
        "dtype": dtype,
        "shape": list(np.shape(value)),
        "data": base64.b64encode(raw).decode("ascii"),
    }


def _exception_text(details: dict[str, Any]) -> str:
    exception = details.get("exception") or {}
    text = exception.get("description") or details.get("text") or "an exception in the page"
    text = str(text).split("\n    at ")[0].strip()
    return text.removeprefix("Error: ")  # a plain Error's message is the line; TypeError etc. stay
