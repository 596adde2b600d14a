"""The remote cache's bytes through obstore (Rust's ``object_store``) for ``s3://`` URLs.

A small import (milliseconds, against half a second for s3fs and botocore) and the requests of a
round in flight at once. obstore is imported when a transport is opened. It takes its
credentials from the environment only (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/
``AWS_SESSION_TOKEN``, web identity, the container's and the instance's credentials;
``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``), not from AWS profiles or fsspec's configuration:
``cache_remote_client = "auto"`` picks it only when the environment names credentials it reads
and nothing configures s3fs or a profile. Retries are the store's, not obstore's (its own are
turned off), so an outage costs the same few tries with either client.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, TypeVar

from tfjs_build.errors import RemoteCacheError
from tfjs_build.project.remote_transport import Deadline, Listed

if TYPE_CHECKING:
    from obstore.store import ClientConfig, S3Store

T = TypeVar("T")

SCHEMES = ("s3", "s3a")
CONCURRENCY = 16
"""Requests in flight at once (worker threads)."""
_CREDENTIALS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
"""Variables that give obstore credentials without a profile."""
_ENDPOINTS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT")


def _translated(exc: BaseException) -> BaseException:
    """obstore's exceptions in the standard library's terms (see remote_transport)."""
    name = type(exc).__name__
    if name == "NotFoundError":
        return FileNotFoundError(str(exc))
    if name in ("PermissionDeniedError", "UnauthenticatedError"):
        return PermissionError(str(exc))
    return exc


class ObstoreTransport:
    """A :class:`~tfjs_build.project.remote_transport.Transport` over one obstore ``S3Store``;
    paths are relative to the URL (obstore's prefix), so :attr:`root` is empty.

    Requests go through obstore's blocking calls (which release the GIL) in worker threads of
    its own: obstore's asynchronous calls, run on an event loop per call, left the interpreter
    aborting at exit now and then (a Rust thread dropping Python objects after finalization).
    Each round waits at most ``timeout``; its requests time out a second later on their own, so
    the round's deadline is what the store sees."""

    root = ""

    def __init__(self, url: str, timeout: float) -> None:
        from obstore.store import S3Store

        endpoint = next((os.environ[v] for v in _ENDPOINTS if v in os.environ), "")
        limit = f"{timeout + 1:g}s"
        client: ClientConfig = {"timeout": limit, "connect_timeout": limit}
        if endpoint.startswith("http://"):  # a local server (moto, MinIO): as the user set it
            client["allow_http"] = True
        try:
            self.store: S3Store = S3Store.from_url(
                url, client_options=client, retry_config={"max_retries": 0}
            )
        except Exception as exc:  # obstore's configuration errors (a malformed URL or variable)
            raise RemoteCacheError(f"cache_remote {url}: {exc}") from None
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="tfjs-build-obstore")

    def _run(self, work: Callable[[], T]) -> T:
        """``work()`` in a worker thread, within the timeout."""
        future = self._pool.submit(work)
        try:
            return future.result(self.timeout)
        except FutureTimeout:
            raise Deadline() from None
        except Exception as exc:
            raise _translated(exc) from None

    def read_many(self, paths: list[str]) -> Mapping[str, bytes | BaseException]:
        from obstore import get

        def read(path: str) -> bytes:
            return bytes(get(self.store, path).bytes())

        futures = {path: self._pool.submit(read, path) for path in paths}
        late = wait(futures.values(), self.timeout).not_done
        if late:
            for future in late:
                future.cancel()
            raise Deadline()
        found: dict[str, bytes | BaseException] = {}
        for path, future in futures.items():
            failure = future.exception()
            found[path] = future.result() if failure is None else _translated(failure)
        return found

    def write(self, path: str, data: bytes) -> None:
        from obstore import put

        self._run(lambda: put(self.store, path, data))

    def exists(self, path: str) -> bool:
        from obstore import head

        try:
            self._run(lambda: head(self.store, path))
        except FileNotFoundError:
            return False
        return True

    def listing(self, path: str) -> list[Listed]:
        from obstore import list_with_delimiter

        found = self._run(lambda: list_with_delimiter(self.store, path))
        return [
            Listed(meta["path"], meta["size"], meta["last_modified"].timestamp())
            for meta in found["objects"]
        ]

    def remove(self, path: str) -> None:
        from obstore import delete

        self._run(lambda: delete(self.store, path))


class ObstoreClient:
    """obstore, for ``s3://`` URLs."""

    name = "obstore"
    package = "obstore"

    def installed(self) -> bool:
        return importlib.util.find_spec("obstore") is not None

    def suits(self, url: str, environ: Mapping[str, str]) -> bool:
        """An S3 URL, credentials obstore reads in the environment, and no profile or s3fs
        configuration it would ignore."""
        return (
            url.partition("://")[0] in SCHEMES
            and any(name in environ for name in _CREDENTIALS)
            and "AWS_PROFILE" not in environ
            and not any(name.startswith("FSSPEC_S3") for name in environ)
        )

    def open(self, url: str, timeout: float) -> ObstoreTransport:
        if url.partition("://")[0] not in SCHEMES:
            raise RemoteCacheError(
                f"cache_remote {url}: cache_remote_client = 'obstore' serves s3:// URLs; set it "
                "to 'auto' or 'fsspec' for this one"
            )
        return ObstoreTransport(url, timeout)


OBSTORE = ObstoreClient()
