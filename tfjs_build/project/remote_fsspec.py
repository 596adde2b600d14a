"""The remote cache's bytes through fsspec (s3fs, gcsfs, adlfs, or a local or mounted disk).

fsspec and its backend are imported when a transport is opened. Credentials come from each
backend's usual places (for S3 the AWS variables and profiles, ``AWS_ENDPOINT_URL`` included),
options from fsspec's configuration (``FSSPEC_S3_ANON=true``, ...).
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from tfjs_build.errors import MissingDependencyError, RemoteCacheError
from tfjs_build.project.remote_transport import Deadline, Listed

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

T = TypeVar("T")

_BACKENDS = (
    dict.fromkeys(("s3", "s3a"), ("s3fs", "s3"))
    | dict.fromkeys(("gs", "gcs"), ("gcsfs", "gcs"))
    | dict.fromkeys(("az", "abfs", "abfss", "adl"), ("adlfs", "azure"))
)
"""The package behind each protocol and the extra that installs it."""


def _file_system(url: str) -> tuple[AbstractFileSystem, str]:
    """fsspec's file system for ``url`` (a new instance: no state shared with other users of
    fsspec in this process) and the path of ``url`` in it."""
    scheme = url.partition("://")[0]
    try:
        from fsspec.core import url_to_fs

        found: tuple[AbstractFileSystem, str] = url_to_fs(url, skip_instance_cache=True)
        return found
    except ImportError as exc:
        if scheme in _BACKENDS:
            package, extra = _BACKENDS[scheme]
            hint = f"{package}; install it with: pip install 'tfjs-build[{extra}]'"
        else:
            hint = f"a package fsspec could not import ({exc}); install it"
        raise MissingDependencyError(f"cache_remote {url} needs {hint}") from None
    except ValueError as exc:  # fsspec's word for an unknown protocol
        raise RemoteCacheError(f"cache_remote {url}: {exc}") from None


def _modified(info: dict[str, Any]) -> float | None:
    """A listed object's modification time, as backends spell it (None when not given)."""
    for field in ("LastModified", "mtime", "last_modified", "updated", "created"):
        value = info.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        timestamp = getattr(value, "timestamp", None)
        if callable(timestamp):  # a datetime
            return float(timestamp())
    return None


class FsspecTransport:
    """A :class:`~tfjs_build.project.remote_transport.Transport` over one fsspec file system."""

    def __init__(self, url: str, timeout: float) -> None:
        self.fs, root = _file_system(url)
        self.root = root.rstrip("/")
        self._local = bool(getattr(self.fs, "local_file", False))
        # An asynchronous backend's calls take a deadline (fsspec cancels them past it); a local
        # or mounted disk is read directly.
        self._deadline = {"timeout": timeout} if getattr(self.fs, "async_impl", False) else {}

    def _timed(self, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except Exception as exc:
            if type(exc).__name__ == "FSTimeoutError":  # fsspec.exceptions, imported lazily
                raise Deadline() from None
            raise

    def read_many(self, paths: list[str]) -> Mapping[str, bytes | BaseException]:
        found: dict[str, bytes | BaseException] = self._timed(
            lambda: self.fs.cat(paths, on_error="return", **self._deadline)
        )
        return found

    def write(self, path: str, data: bytes) -> None:
        """On a local or mounted disk through a temporary name and a rename (object stores write
        objects whole)."""
        if not self._local:
            self._timed(lambda: self.fs.pipe_file(path, data, **self._deadline))
            return
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        temporary = f"{path}.{uuid.uuid4().hex}.tmp"
        try:
            self.fs.pipe_file(temporary, data)
            self.fs.mv(temporary, path)
        finally:
            if self.fs.exists(temporary):
                self.fs.rm(temporary)

    def exists(self, path: str) -> bool:
        found: bool = self._timed(lambda: self.fs.exists(path, **self._deadline))
        return found

    def listing(self, path: str) -> list[Listed]:
        self.fs.invalidate_cache(path)
        try:
            found: list[dict[str, Any]] = self._timed(
                lambda: self.fs.ls(path, detail=True, **self._deadline)
            )
        except FileNotFoundError:
            return []
        return [
            Listed(info["name"], int(info.get("size") or 0), _modified(info))
            for info in found
            if info.get("type") != "directory"
        ]

    def remove(self, path: str) -> None:
        self._timed(lambda: self.fs.rm_file(path, **self._deadline))


class FsspecClient:
    """fsspec: every URL it knows (it is a dependency of tfjs-build; the backends are extras)."""

    name = "fsspec"
    package = "fsspec"

    def installed(self) -> bool:
        return importlib.util.find_spec("fsspec") is not None

    def suits(self, url: str, environ: Mapping[str, str]) -> bool:
        return True

    def open(self, url: str, timeout: float) -> FsspecTransport:
        return FsspecTransport(url, timeout)


FSSPEC = FsspecClient()
