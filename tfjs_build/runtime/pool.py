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
from tfjs_build.errors import ConfigError, RuntimeFailure
from tfjs_build.runtime.node_packages import NodeSetup
from tfjs_build.runtime.protocol import TfjsRuntime
from tfjs_build.tfjs_versions import PINNED, missing_package, unknown_release

if TYPE_CHECKING:
    from tfjs_build.runtime.browser import BrowserSession


class RuntimePool:
    """Hands out one :class:`~tfjs_build.runtime.protocol.TfjsRuntime` per backend."""

    def __init__(self, *, chrome: str | None = None) -> None:
        self._chrome = chrome
        self._runtimes: dict[tuple[str, str], TfjsRuntime] = {}
        self._browsers: dict[str, BrowserSession] = {}
        self._node: dict[str, NodeSetup] = {}
        self.browser_starts = 0
        """How many browsers this pool started (one per TF.js version, unless one died)."""

    def get(self, backend: str, tfjs_version: str = PINNED) -> TfjsRuntime:
        """The runtime for ``backend`` in TF.js ``tfjs_version``, started on first use (a browser
        that died, again)."""
        browser = self._browsers.get(tfjs_version)
        if browser is not None and not browser.chrome.alive:
            for name in BROWSER_BACKENDS:
                self._runtimes.pop((tfjs_version, name), None)
            browser.close()
            del self._browsers[tfjs_version]
        key = (tfjs_version, backend)
        if key not in self._runtimes:
            self._runtimes[key] = self._start(backend, tfjs_version)
        return self._runtimes[key]

    def _start(self, backend: str, tfjs_version: str) -> TfjsRuntime:
        unknown = unknown_release(tfjs_version)  # options checked it; Python callers may not
        if unknown is not None:
            raise ConfigError(f"cannot run TF.js {backend}: {unknown}")
        lacking = missing_package(tfjs_version, backend)
        if lacking is not None:
            raise RuntimeFailure(f"cannot run TF.js {backend}: {lacking}")
        if backend in NODE_BACKENDS:
            from tfjs_build.runtime.tfjs import NodeRuntime

            setup = self._node.setdefault(tfjs_version, NodeSetup(_installed(tfjs_version)))
            return NodeRuntime(_known(backend), setup)
        if backend in BROWSER_BACKENDS:
            from tfjs_build.runtime.browser import BrowserRuntime

            return BrowserRuntime(self.browser(tfjs_version), _known(backend))
        raise RuntimeFailure(
            f"unknown TF.js backend {backend!r}; choose one of {', '.join(PARITY_BACKENDS)}"
        )

    def start_node_workers(self, backends: Sequence[str], tfjs_version: str = PINNED) -> None:
        """Start the Node workers of ``backends`` now, without waiting: they load TF.js while
        the caller does something else (parity imports TensorFlow for its reference)."""
        from tfjs_build.runtime.tfjs import NodeRuntime

        for backend in backends:
            if backend in NODE_BACKENDS:
                with contextlib.suppress(RuntimeFailure):  # the run says so, for its backend
                    runtime = self.get(backend, tfjs_version)
                    if isinstance(runtime, NodeRuntime):
                        runtime.start()

    def browser(self, tfjs_version: str = PINNED) -> BrowserSession:
        """The pool's browser for TF.js ``tfjs_version`` (its process, DevTools connection and
        server), started now if it has none."""
        if tfjs_version not in self._browsers:
            from tfjs_build.runtime.browser import BrowserSession

            self._browsers[tfjs_version] = BrowserSession(
                self._chrome, tfjs_version=_installed(tfjs_version)
            )
            self.browser_starts += 1
        return self._browsers[tfjs_version]

    def close(self) -> None:
        """Close every runtime (ending the Node workers) and end the browser. Idempotent."""
        runtimes, self._runtimes = list(self._runtimes.values()), {}
        browsers, self._browsers = list(self._browsers.values()), {}
        try:
            for runtime in runtimes:
                runtime.close()
        finally:
            for browser in browsers:
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


def _installed(tfjs_version: str) -> str | None:
    """None for the pinned release (installed from the lockfile), else the release."""
    return None if tfjs_version == PINNED else tfjs_version


def _known(backend: str) -> ParityBackend:
    return next(b for b in PARITY_BACKENDS if b == backend)
