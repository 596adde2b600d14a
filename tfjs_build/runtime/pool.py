"""The TF.js runtimes of one build, keyed by backend, closed together.

Each Node backend (``cpu``, ``wasm``) gets one long-lived worker on its first run; the browser
starts on the first webgl run and serves both ``webgl`` and ``webgl-f16`` (one page each); all
serve every run until the pool closes, so a build pays each start-up once, and finds and checks
``node`` once. Use it as a context manager: the workers and Chromium are ended on every way out,
Ctrl-C included.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from tfjs_build.backends import BROWSER_BACKENDS, NODE_BACKENDS, PARITY_BACKENDS, ParityBackend
from tfjs_build.errors import RuntimeFailure
from tfjs_build.runtime.node_packages import NodeSetup
from tfjs_build.runtime.protocol import TfjsRuntime

if TYPE_CHECKING:
    from tfjs_build.runtime.browser import BrowserSession


class RuntimePool:
    """Hands out one :class:`~tfjs_build.runtime.protocol.TfjsRuntime` per backend."""

    def __init__(self, *, chrome: str | None = None) -> None:
        self._chrome = chrome
        self._runtimes: dict[str, TfjsRuntime] = {}
        self._browser: BrowserSession | None = None
        self._node = NodeSetup()
        self.browser_starts = 0
        """How many browsers this pool started (one, unless one died)."""

    def get(self, backend: str) -> TfjsRuntime:
        """The runtime for ``backend``, started on first use (a browser that died, again)."""
        if self._browser is not None and not self._browser.chrome.alive:
            for name in BROWSER_BACKENDS:
                self._runtimes.pop(name, None)
            self._browser.close()
            self._browser = None
        if backend not in self._runtimes:
            self._runtimes[backend] = self._start(backend)
        return self._runtimes[backend]

    def _start(self, backend: str) -> TfjsRuntime:
        if backend in NODE_BACKENDS:
            from tfjs_build.runtime.tfjs import NodeRuntime

            return NodeRuntime(_known(backend), self._node)
        if backend in BROWSER_BACKENDS:
            from tfjs_build.runtime.browser import BrowserRuntime

            return BrowserRuntime(self.browser(), _known(backend))
        raise RuntimeFailure(
            f"unknown TF.js backend {backend!r}; choose one of {', '.join(PARITY_BACKENDS)}"
        )

    def start_node_workers(self, backends: Sequence[str]) -> None:
        """Start the Node workers of ``backends`` now, without waiting: they load TF.js while
        the caller does something else (parity imports TensorFlow for its reference)."""
        from tfjs_build.runtime.tfjs import NodeRuntime

        for backend in backends:
            if backend in NODE_BACKENDS:
                runtime = self.get(backend)
                if isinstance(runtime, NodeRuntime):
                    with contextlib.suppress(RuntimeFailure):  # the run says so, for its backend
                        runtime.start()

    def browser(self) -> BrowserSession:
        """The pool's browser (its process, DevTools connection and server), started now if
        it has none."""
        if self._browser is None:
            from tfjs_build.runtime.browser import BrowserSession

            self._browser = BrowserSession(self._chrome)
            self.browser_starts += 1
        return self._browser

    def close(self) -> None:
        """Close every runtime (ending the Node workers) and end the browser. Idempotent."""
        runtimes, self._runtimes = list(self._runtimes.values()), {}
        browser, self._browser = self._browser, None
        try:
            for runtime in runtimes:
                runtime.close()
        finally:
            if browser is not None:
                browser.close()

    def __enter__(self) -> RuntimePool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _known(backend: str) -> ParityBackend:
    return next(b for b in PARITY_BACKENDS if b == backend)
