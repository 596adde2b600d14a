"""How the remote cache's bytes travel: the small protocol each client module satisfies.

:class:`~tfjs_build.project.remote_store.RemoteStore` decides what to read and write, checks it
and retries; a :class:`Transport` only moves bytes, with one client library (fsspec in
:mod:`~tfjs_build.project.remote_fsspec`, obstore in :mod:`~tfjs_build.project.remote_obstore`;
:mod:`~tfjs_build.project.remote_clients` chooses). Transports speak in the standard library's
terms: ``FileNotFoundError`` for nothing there, ``PermissionError`` for a refusal,
:class:`Deadline` for a round that outlived the timeout; anything else they raise means "failed,
try again".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class Deadline(Exception):
    """A round of requests did not finish within the store's timeout."""


@dataclass(frozen=True)
class Listed:
    """One object found by :meth:`Transport.listing`."""

    path: str
    size: int
    modified: float | None
    """Seconds since the epoch, None when the backend does not say."""


class Transport(Protocol):
    """Moves the remote cache's objects, addressed by paths under :attr:`root`."""

    root: str
    """The path of the cache's URL in this transport ('' for the top of a store)."""

    def read_many(self, paths: list[str]) -> Mapping[str, bytes | BaseException]:
        """Each path's bytes, or the exception reading it raised, in one round of requests
        (concurrent where the client can); raises when the whole round failed."""

    def write(self, path: str, data: bytes) -> None:
        """Write ``path`` whole: no reader ever sees a part of it."""

    def exists(self, path: str) -> bool: ...

    def listing(self, path: str) -> list[Listed]:
        """The objects directly under ``path`` (none when it is absent)."""

    def remove(self, path: str) -> None: ...


class Client(Protocol):
    """One client library: which URLs it serves and how to open a transport with it."""

    name: str
    package: str
    """What to install for it (named in errors)."""

    def installed(self) -> bool: ...

    def suits(self, url: str, environ: Mapping[str, str]) -> bool:
        """Whether ``cache_remote_client = "auto"`` should pick this client for ``url``."""

    def open(self, url: str, timeout: float) -> Transport:
        """A transport for ``url`` whose rounds of requests give up after ``timeout`` s."""
