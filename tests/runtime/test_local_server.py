"""The runner's static server: loopback only, mounted directories only, nothing above them."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tfjs_build.runtime.local_server import LocalServer


@pytest.fixture()
def server():
    served = LocalServer()
    yield served
    served.close()


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, b"", ""


def test_mounted_files_are_served_and_nothing_else(server, tmp_path) -> None:
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "model.json").write_text('{"format": "layers-model"}')
    (tmp_path / "art" / "group1-shard1of1.bin").write_bytes(b"\x01\x02")
    (tmp_path / "secret.txt").write_text("not yours")
    base = server.mount(tmp_path / "art")
    assert base.startswith("http://127.0.0.1:") and base.endswith("/")
    assert _get(base + "model.json") == (200, b'{"format": "layers-model"}', "application/json")
    assert _get(base + "group1-shard1of1.bin")[:2] == (200, b"\x01\x02")
    assert _get(base + "../secret.txt")[0] == 404
    assert _get(base + "%2e%2e/secret.txt")[0] == 404
    assert _get(base)[0] == 404  # no directory listings
    assert _get(server.origin + "/elsewhere/model.json")[0] == 404
    server.unmount(base)
    assert _get(base + "model.json")[0] == 404


def test_each_mount_gets_a_fresh_prefix(server, tmp_path) -> None:
    first, second = server.mount(tmp_path), server.mount(tmp_path)
    assert first != second
    assert server.mount(tmp_path, "fixed") == server.origin + "/fixed/"
