"""The remote store on moto's S3 server (through obstore and s3fs) and on a shared directory: layout, checks,
concurrent pushes, pruning, an unreachable server, a backend that is not installed."""

from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest
from fsspec.core import url_to_fs

from tests.conftest import remote_objects
from tfjs_build.errors import MissingDependencyError, RemoteCacheError
from tfjs_build.parity.record import ParitySummary
from tfjs_build.project.remote_manifest import DamagedEntry, Manifest
from tfjs_build.project.remote_store import ChangedArtifact, RemoteStore

PARITY: ParitySummary = {"passed": True, "max_abs_error": 3e-7, "backends": ["cpu"], "inputs": None}
SHARD = "group1-shard1of1.bin"


def make_artifact(directory: Path, shard: bytes) -> dict[str, str]:
    """A small artifact: model.json, one weight shard, parity.json; its files' sha256."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "model.json": json.dumps({"format": "layers-model", "bytes": len(shard)}).encode(),
        SHARD: shard,
        "parity.json": b'{"passed": true}\n',
    }
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def push(store: RemoteStore, key: str, artifact: Path, files: dict[str, str], **kw) -> bool:
    return store.push(
        key, artifact, files, format="layers", parity=PARITY, source="models/m.h5", **kw
    )


def manifest(store: RemoteStore, key: str) -> Manifest:
    found = store.read_entries([key])[key]
    if not isinstance(found, dict):
        raise AssertionError(f"no readable entry {key}: {found}")
    return found


def fetch(store: RemoteStore, key: str, into: Path) -> dict[str, bytes]:
    """``key``'s files, fetched and checked; raises the entry's problem if it is damaged."""
    into.mkdir(parents=True, exist_ok=True)
    found = store.read_entries([key])[key]
    if isinstance(found, Exception):
        raise found
    assert found is not None
    if (problem := store.download([found], {key: into})[key]) is not None:
        raise problem
    return {p.name: p.read_bytes() for p in sorted(into.iterdir())}


def test_an_entry_round_trips_byte_identical_with_small_files_inline(remote_url, tmp_path):
    big = os.urandom(100_000)  # above INLINE_BYTES: a blob named by its sha256
    files = make_artifact(tmp_path / "built", big)
    store = RemoteStore(remote_url)
    assert push(store, "k" * 64, tmp_path / "built", files) is True

    objects = remote_objects(remote_url)
    assert sorted(objects) == [f"v1/blobs/{files[SHARD]}", f"v1/entries/{'k' * 64}.json"]
    assert objects[f"v1/blobs/{files[SHARD]}"] == big
    manifest = json.loads(objects[f"v1/entries/{'k' * 64}.json"])
    assert (manifest["key"], manifest["format"], manifest["parity"]) == ("k" * 64, "layers", PARITY)
    assert manifest["source"] == "models/m.h5"
    assert manifest["total_bytes"] == sum(p.stat().st_size for p in (tmp_path / "built").iterdir())
    assert "data" not in manifest["files"][SHARD]
    model_json = (tmp_path / "built" / "model.json").read_bytes()
    assert base64.b64decode(manifest["files"]["model.json"]["data"]) == model_json

    fetched = fetch(RemoteStore(remote_url), "k" * 64, tmp_path / "fetched")
    assert fetched == {p.name: p.read_bytes() for p in sorted((tmp_path / "built").iterdir())}
    assert store.read_entries(["absent"]) == {"absent": None}


def test_entries_are_immutable_and_a_damaged_one_can_be_replaced(remote_url, tmp_path):
    store = RemoteStore(remote_url)
    push(store, "key", tmp_path / "a", make_artifact(tmp_path / "a", b"first"))
    before = remote_objects(remote_url)
    assert push(store, "key", tmp_path / "b", make_artifact(tmp_path / "b", b"second")) is False
    assert remote_objects(remote_url) == before

    assert push(
        store, "key", tmp_path / "b", make_artifact(tmp_path / "b", b"second"), replace=True
    )
    assert fetch(store, "key", tmp_path / "out")[SHARD] == b"second"


def test_a_file_changed_since_it_was_built_is_not_pushed(remote_url, tmp_path):
    files = make_artifact(tmp_path / "built", os.urandom(100_000))
    (tmp_path / "built" / SHARD).write_bytes(b"edited after the build")
    with pytest.raises(ChangedArtifact, match=f"{SHARD} changed since it was built"):
        push(RemoteStore(remote_url), "key", tmp_path / "built", files)
    assert remote_objects(remote_url) == {}


def _tamper(url: str, key: str, how: str, files: dict[str, str]) -> None:
    fs, root = url_to_fs(url, skip_instance_cache=True)
    manifest_path, blob_path = f"{root}/v1/entries/{key}.json", f"{root}/v1/blobs/{files[SHARD]}"
    manifest = json.loads(fs.cat_file(manifest_path))
    blob = fs.cat_file(blob_path)
    if how == "truncated blob":
        fs.pipe_file(blob_path, blob[: len(blob) // 2])
    elif how == "tampered blob":
        fs.pipe_file(blob_path, bytes([blob[0] ^ 1]) + blob[1:])
    elif how == "missing blob":
        fs.rm_file(blob_path)
    elif how == "tampered inline file":
        evil = b'{"format": "layers-model", "evil": 1}'
        manifest["files"]["model.json"]["data"] = base64.b64encode(evil).decode()
        manifest["files"]["model.json"]["size"] = len(evil)
    elif how == "manifest of another key":
        manifest["key"] = "another"
    elif how == "unsafe file name":
        manifest["files"]["../../outside"] = manifest["files"].pop("parity.json")
    elif how == "manifest not JSON":
        fs.pipe_file(manifest_path, b'{"key": "trunc')
        return
    fs.pipe_file(manifest_path, json.dumps(manifest).encode())


@pytest.mark.parametrize(
    ("how", "problem"),
    [
        ("truncated blob", f"{SHARD} has 50000 bytes, not 100000"),
        ("tampered blob", f"{SHARD} does not match its sha256"),
        ("missing blob", f"{SHARD} is missing"),
        ("tampered inline file", "model.json does not match its sha256"),
        ("manifest of another key", "its manifest is for another key"),
        ("unsafe file name", "it names an unsafe file '../../outside'"),
        ("manifest not JSON", "its manifest is not JSON"),
    ],
)
def test_a_damaged_entry_is_refused_saying_what_is_wrong(remote_url, tmp_path, how, problem):
    files = make_artifact(tmp_path / "built", os.urandom(100_000))
    store = RemoteStore(remote_url)
    push(store, "key", tmp_path / "built", files)
    _tamper(remote_url, "key", how, files)

    with pytest.raises(DamagedEntry) as raised:
        fetch(store, "key", tmp_path / "staging")
    assert str(raised.value) == problem


def _push_at(url: str, artifact: str, files: dict[str, str], seed: float, start: float) -> bool:
    parity: ParitySummary = {"passed": True, "max_abs_error": seed, "backends": [], "inputs": None}
    while time.time() < start:
        pass
    store = RemoteStore(url)
    return store.push(
        "same-key", Path(artifact), files, format="layers", parity=parity, source="m", replace=True
    )


def test_concurrent_pushes_of_one_key_leave_one_valid_entry(remote_url, tmp_path):
    files = make_artifact(tmp_path / "built", os.urandom(300_000))
    start = time.time() + 2.0
    jobs = [(remote_url, str(tmp_path / "built"), files, i * 1e-7, start) for i in range(4)]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert pool.starmap(_push_at, jobs) == [True] * 4

    store = RemoteStore(remote_url)
    entry = manifest(store, "same-key")
    assert entry["parity"]["max_abs_error"] in {i * 1e-7 for i in range(4)}  # type: ignore[typeddict-item]
    assert fetch(store, "same-key", tmp_path / "out") == {
        p.name: p.read_bytes() for p in sorted((tmp_path / "built").iterdir())
    }
    assert sorted(remote_objects(remote_url)) == [
        f"v1/blobs/{files[SHARD]}",
        "v1/entries/same-key.json",
    ]  # no temporary files left on a shared disk either


UNREACHABLE = {
    "fsspec": 'EndpointConnectionError: Could not connect to the endpoint URL: "{url}"',
    "obstore": "GenericError: Generic S3 error: Error performing GET {url} in ",
}
"""How each client says that nothing listens at ``url``."""


@pytest.mark.parametrize("client", sorted(UNREACHABLE))
def test_an_unreachable_server_is_retried_with_backoff_then_reported(
    tmp_path, monkeypatch, s3, client
):
    closed = f"http://127.0.0.1:{_closed_port()}"
    for name, value in s3.env(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", closed)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore's own retries, the standard variable
    store = RemoteStore("s3://bucket/cache", attempts=3, backoff=0.2, client=client)
    started = time.perf_counter()
    with pytest.raises(RemoteCacheError) as raised:
        store.read_entries(["key"])
    waited = time.perf_counter() - started
    said = UNREACHABLE[client].format(url=f"{closed}/bucket/cache/v1/entries/key.json")
    assert str(raised.value).startswith(
        f"s3://bucket/cache: reading 1 entry failed 3 times ({said}"
    )
    assert 1.0 <= waited < 10  # pauses of 0.2 s and 0.8 s between the three tries


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port  # nothing listens there once the probe is closed


@pytest.mark.parametrize(
    ("url", "extra"), [("gs://bucket/cache", "gcs"), ("az://box/cache", "azure")]
)
def test_a_backend_that_is_not_installed_names_its_extra(url, extra):
    package = {"gcs": "gcsfs", "azure": "adlfs"}[extra]
    try:
        __import__(package)
    except ImportError:
        pass
    else:
        pytest.skip(f"{package} is installed here")
    with pytest.raises(MissingDependencyError) as raised:
        RemoteStore(url)
    assert str(raised.value) == (
        f"cache_remote {url} needs {package}; install it with: pip install 'tfjs-build[{extra}]'"
    )
