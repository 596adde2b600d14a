"""A static file server on 127.0.0.1 for the browser runner: its page, the pinned TF.js bundle and
the artifacts being checked, each under a mount point; nothing else is reachable."""

from __future__ import annotations

import secrets
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
}


class LocalServer:
    """Serves directories under URL prefixes until :meth:`close`; listens on loopback only."""

    def __init__(self) -> None:
        self._mounts: dict[str, Path] = {}
        mounts = self._mounts

        class Handler(SimpleHTTPRequestHandler):
            def guess_type(self, path: Any) -> str:
                return _TYPES.get(Path(path).suffix, "application/octet-stream")

            def translate_path(self, path: str) -> str:
                return str(_resolve(mounts, path) or "/nonexistent")

            def list_directory(self, path: Any) -> None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return None

            def end_headers(self) -> None:
                self.send_header("Cache-Control", "no-store")
                super().end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="tfjs-build-local-server", daemon=True
        )
        self._thread.start()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def mount(self, directory: Path, name: str | None = None) -> str:
        """Serve ``directory`` and return its base URL (ending in ``/``); ``name`` fixes the
        prefix, else it is a fresh random one (so a browser never reuses a cached file)."""
        prefix = name or secrets.token_hex(8)
        self._mounts[prefix] = Path(directory).resolve()
        return f"{self.origin}/{prefix}/"

    def unmount(self, url: str) -> None:
        """Stop serving what :meth:`mount` returned ``url`` for."""
        self._mounts.pop(urlsplit(url).path.strip("/").split("/")[0], None)

    def close(self) -> None:
        """Stop the server and its thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _resolve(mounts: dict[str, Path], url_path: str) -> Path | None:
    """The file a request path names, only when it lies inside its mount."""
    parts = unquote(urlsplit(url_path).path).lstrip("/").split("/", 1)
    root = mounts.get(parts[0])
    if root is None or len(parts) < 2:
        return None
    target = (root / parts[1]).resolve()
    return target if target.is_relative_to(root) and target.is_file() else None
