"""Which client library moves the remote cache's bytes (``cache_remote_client``).

``"auto"`` takes the first client in :data:`CLIENTS` that is installed and suits the URL and the
environment: obstore for ``s3://`` when it can find the credentials itself (it made a warm CI
shard of 125 models twice as fast as s3fs: docs/benchmarks.md, "Remote cache"), fsspec for
everything else. ``"obstore"`` or ``"fsspec"`` insists on one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from tfjs_build.errors import MissingDependencyError
from tfjs_build.project.remote_fsspec import FSSPEC
from tfjs_build.project.remote_obstore import OBSTORE
from tfjs_build.project.remote_transport import Client, Transport

CLIENTS: tuple[Client, ...] = (OBSTORE, FSSPEC)
"""Every client, in the order ``"auto"`` tries them."""
AUTO = "auto"


def choose(url: str, client: str = AUTO, environ: Mapping[str, str] | None = None) -> Client:
    """The client for ``url`` under the setting ``client``."""
    if client != AUTO:
        return next(c for c in CLIENTS if c.name == client)
    environ = os.environ if environ is None else environ
    return next(c for c in CLIENTS if c.installed() and c.suits(url, environ))


def open_transport(url: str, client: str, timeout: float) -> Transport:
    """A transport for ``url`` through the chosen client."""
    chosen = choose(url, client)
    if not chosen.installed():
        raise MissingDependencyError(
            f"cache_remote_client = '{client}' needs {chosen.package}; install it with: "
            "pip install 'tfjs-build[s3]'"
        )
    return chosen.open(url, timeout)
