"""TF.js's webgl backend in a real headless Chromium: one browser per build, one page per backend.

The page and the pinned TF.js bundle (``@tensorflow/tfjs/dist/tf.min.js``, which holds the webgl
backend) come from a :class:`LocalServer` on 127.0.0.1, and so does each artifact, under a fresh
URL per run; tensors cross the DevTools pipe as base64.
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
from tfjs_build.runtime.cdp import CdpError
from tfjs_build.runtime.chrome import ChromeProcess
from tfjs_build.runtime.local_server import LocalServer
from tfjs_build.runtime.node_packages import js_dir, tfjs_bundle_dir
from tfjs_build.runtime.protocol import ExplainRequest, RuntimeRecord, TimedRun
from tfjs_build.runtime.tensors import decode_output, encode_input

RUNNER_PAGE = "js/browser/runner.html"
SETUP_SECONDS = 120.0
RUN_SECONDS = 900.0
"""A large model's first run compiles many shaders, slowly on SwiftShader."""


class BrowserSession:
    """A headless Chromium and the local server its pages load from, until :meth:`close`."""

    def __init__(self, executable: str | None = None) -> None:
        bundle = tfjs_bundle_dir()
        self.chrome = ChromeProcess(executable)  # before the server's thread starts: it forks
        try:
            self.server = LocalServer()
        except BaseException:
            self.chrome.close()
            raise
        self.server.mount(bundle, "tfjs")
        self.server.mount(js_dir(), "js")

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
        with contextlib.suppress(CdpError):
            self.chrome.connection.call("Target.closeTarget", {"targetId": self._target(session)})

    def _target(self, session: str) -> str:
        info = self.chrome.connection.call("Target.getTargetInfo", session=session)
        return str(info["targetInfo"]["targetId"])

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
    """A :class:`~tfjs_build.runtime.protocol.TfjsRuntime` for ``webgl`` or ``webgl-f16``: one page
    of a :class:`BrowserSession`, set up once and reused for every artifact."""

    def __init__(self, session: BrowserSession, backend: ParityBackend) -> None:
        if backend not in BROWSER_BACKENDS:
            raise RuntimeFailure(f"TF.js backend {backend!r} does not run in the browser here")
        self._session, self._backend = session, backend
        self._page: str | None = None
        self._environment: RuntimeRecord = {}

    @property
    def backend(self) -> str:
        """``webgl`` or ``webgl-f16``."""
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
        """Browser version, WebGL renderer and version, and whether textures hold float32."""
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
        try:
            job = {
                "model_url": base + "model.json",
                "inputs": [_input_payload(name, value) for name, value in inputs.items()],
                "outputs": list(outputs) if outputs is not None else None,
                "warm_runs": warm_runs,
                "explain": explain,
            }
            result = self._session.evaluate(
                page, f"tfjsBuildRun({json.dumps(job)})", timeout=RUN_SECONDS
            )
        except RuntimeFailure as exc:
            if isinstance(exc, CdpError):
                self._page = None  # a crashed page is opened again on the next run
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

    def close(self) -> None:
        """Close this backend's page (the session's owner ends the browser)."""
        if self._page is not None and self._session.chrome.alive:
            self._session.close_page(self._page)
        self._page = None


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
    return str(text).split("\n    at ")[0].strip()
