"""The Chrome DevTools Protocol over the pipe Chromium opens with ``--remote-debugging-pipe``.

Chromium reads commands from file descriptor 3 and writes replies and events to 4, each message
JSON ending in a NUL byte. Standard library only; one caller at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import time
from typing import Any

from tfjs_build.errors import RuntimeFailure

_CHUNK = 1 << 20


class CdpError(RuntimeFailure):
    """Chromium answered a command with an error, or went away."""


class CdpTimeout(CdpError):
    """Chromium gave no answer within the time limit (the page may still be working)."""


class CdpConnection:
    """Send commands, wait for their replies; events are dropped except a crash of the page
    being waited on."""

    def __init__(self, to_browser: int, from_browser: int) -> None:
        self._to, self._from = to_browser, from_browser
        self._buffer = b""
        self._next_id = 0
        self.closed = False

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        """Send ``method`` (to the page ``session``, else the browser); return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self._write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline, method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CdpError(f"Chromium refused {method}: {reply['error'].get('message')}")
                return dict(reply.get("result", {}))
            if (
                reply.get("method") == "Inspector.targetCrashed"
                and reply.get("sessionId") == session
            ):
                raise CdpError(f"the Chromium page crashed during {method} (out of memory?)")

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._to, view) :]
        except OSError:
            self.closed = True
            raise CdpError("Chromium has exited; its DevTools pipe is closed") from None

    def _read_message(self, deadline: float, method: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CdpTimeout(f"Chromium did not answer {method} within the time limit")
            ready, _, _ = select.select([self._from], [], [], min(remaining, 1.0))
            if not ready:
                continue
            chunk = os.read(self._from, _CHUNK)
            if not chunk:
                self.closed = True
                raise CdpError(f"Chromium exited while running {method}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def close(self) -> None:
        """Close both pipe ends (Chromium exits when its end of the pipe closes)."""
        for fd in (self._to, self._from):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.closed = True
