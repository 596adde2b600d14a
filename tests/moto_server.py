"""moto's standalone S3 server on 127.0.0.1, started and stopped by the tests.

The code under test talks to it through s3fs over HTTP, exactly as it talks to AWS (this is how
s3fs tests itself): nothing is mocked in the process under test. The server runs in its own
process, dies with the test process (``PR_SET_PDEATHSIG`` on Linux) and is stopped on every way
out of :func:`s3_server`.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1
STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:  # runs in the child between fork and exec
    name = ctypes.util.find_library("c")
    if name:
        ctypes.CDLL(name).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class S3Server:
    """A running server: its endpoint and the environment a client needs to reach it."""

    endpoint: str
    process: subprocess.Popen[bytes]

    def env(self, scratch: Path) -> dict[str, str]:
        """AWS variables for this server, with test credentials and no profile files read."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def new_bucket(self) -> str:
        """Create an empty bucket (through s3fs); its name."""
        import s3fs

        name = f"tfjs-build-{uuid.uuid4().hex[:12]}"
        s3fs.S3FileSystem(
            key="testing",
            secret="testing",
            endpoint_url=self.endpoint,
            skip_instance_cache=True,
        ).mkdir(name)
        return name

    def stop(self) -> None:
        """Stop the server (and wait for it): terminate, then kill."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _answering(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/moto-api/")
        connection.getresponse().read()
    except OSError:
        return False
    return True


@contextlib.contextmanager
def s3_server(log: Path) -> Iterator[S3Server]:
    """A moto S3 server on a free port of 127.0.0.1, its output in ``log``."""
    port = _free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = S3Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answering(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto's S3 server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()
