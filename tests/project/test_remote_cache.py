"""A build session with a remote cache, on real models: restores from it, pushes to it, and
builds anyway when the remote is damaged or stops answering."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
from fsspec.core import url_to_fs

from bench.bench_doit_uptodate import write_h5_model
from tests.conftest import make_user_repo, remote_objects, use_s3
from tests.moto_server import S3Server, s3_server
from tests.tree import tree_hashes
from tfjs_build.project.config import load_config
from tfjs_build.project.events import (
    BuildEvent,
    Collecting,
    Finished,
    Pushed,
    RemoteWarned,
    Warned,
)
from tfjs_build.project.lockfile import read_lockfile
from tfjs_build.project.session import BuildSession

WIDE = (64, 512, 8)  # a 130 kB shard: stored as a blob, not inside the manifest


def project(remote: str) -> str:
    """dense and conv, dense again quantized (another cache key), and a wide model; no parity."""
    return f"""[tool.tfjs-build]
parity = false
cache_remote = "{remote}"

[[tool.tfjs-build.models]]
source = "models/dense.keras"

[[tool.tfjs-build.models]]
name = "dense-uint8"
source = "models/dense.keras"
quantization = "uint8"

[[tool.tfjs-build.models]]
source = "models/conv.h5"

[[tool.tfjs-build.models]]
source = "models/wide.h5"
"""


def clone(root: Path, model_files: Path, remote: str) -> Path:
    make_user_repo(root, model_files, project(remote))
    write_h5_model(root / "models" / "wide.h5", 7, WIDE)
    return root


def build(root: Path, *, prefetch: bool = True, reporter=None) -> tuple[dict[str, str], list]:
    """Build every model in one session; ``{name: outcome or 'remote'}`` and the events."""
    events = reporter or Collecting()
    config = load_config(root)
    with BuildSession(config, events) as session:
        if prefetch:
            session.prefetch(config.models)
        results = [session.build(spec) for spec in config.models]
    outcomes = {r.name: "remote" if r.from_remote else r.outcome for r in results}
    return outcomes, events.events


def warnings(events: list[BuildEvent]) -> list[tuple[str, str]]:
    """``(model name, message)`` of each warning; ``"run"`` names a warning about the run."""
    return [
        ("run" if isinstance(e, RemoteWarned) else e.name, e.message)
        for e in events
        if isinstance(e, (Warned, RemoteWarned))
    ]


MODELS = ("dense", "dense-uint8", "conv", "wide")


def test_a_clone_restores_every_model_from_the_remote_then_from_its_own_cache(
    remote_url, tmp_path, model_files
):
    first = clone(tmp_path / "first", model_files, remote_url)
    outcomes, events = build(first)
    assert outcomes == dict.fromkeys(MODELS, "converted")
    assert [e for e in events if isinstance(e, Pushed)] == [Pushed(remote_url, 4)]
    assert warnings(events) == []
    stored = remote_objects(remote_url)
    assert sum(name.startswith("v1/entries/") for name in stored) == 4
    assert sum(name.startswith("v1/blobs/") for name in stored) == 1  # wide's shard

    second = clone(tmp_path / "second", model_files, remote_url)
    outcomes, events = build(second)
    assert outcomes == dict.fromkeys(MODELS, "remote")
    assert warnings(events) == [] and not any(isinstance(e, Pushed) for e in events)
    assert tree_hashes(second / "web_model") == tree_hashes(first / "web_model")
    assert read_lockfile(second / "tfjs-build.lock") == read_lockfile(first / "tfjs-build.lock")
    assert remote_objects(remote_url) == stored  # restoring writes nothing remotely

    shutil.rmtree(second / "web_model")  # the local cache comes first, now that it holds them
    assert build(second)[0] == dict.fromkeys(MODELS, "restored")


def _damage(url: str, how: str) -> None:
    fs, root = url_to_fs(url, skip_instance_cache=True)
    if how == "truncated blob":
        [blob] = fs.find(f"{root}/v1/blobs")
        fs.pipe_file(blob, fs.cat_file(blob)[:1000])
        return
    for path in fs.find(f"{root}/v1/entries"):
        manifest = json.loads(fs.cat_file(path))
        if manifest["source"] == "models/dense.keras" and manifest["parity"]["skipped"]:
            data = bytearray(base64.b64decode(manifest["files"]["model.json"]["data"]))
            data[-2] ^= 1  # one bit, same size
            manifest["files"]["model.json"]["data"] = base64.b64encode(data).decode()
            fs.pipe_file(path, json.dumps(manifest).encode())


@pytest.mark.parametrize(
    ("how", "victims"),
    [("truncated blob", ["wide"]), ("tampered inline file", ["dense", "dense-uint8"])],
)
def test_a_damaged_remote_entry_is_reported_never_published_and_replaced(
    remote_url, tmp_path, model_files, how, victims
):
    first = clone(tmp_path / "first", model_files, remote_url)
    build(first)
    _damage(remote_url, how)

    second = clone(tmp_path / "second", model_files, remote_url)
    outcomes, events = build(second)
    assert outcomes == {m: "converted" if m in victims else "remote" for m in MODELS}
    problem = {
        "truncated blob": r"group1-shard1of1\.bin has 1000 bytes, not \d+",
        "tampered inline file": r"model\.json does not match its sha256",
    }[how]
    said = warnings(events)
    assert [name for name, _ in said] == victims
    assert all(
        re.fullmatch(
            rf"the remote cache's entry [0-9a-f]{{12}} is damaged \({problem}\); ignored", m
        )
        for _, m in said
    ), said
    assert tree_hashes(second / "web_model") == tree_hashes(first / "web_model")
    assert [e for e in events if isinstance(e, Pushed)] == [Pushed(remote_url, len(victims))]

    third = clone(tmp_path / "third", model_files, remote_url)
    assert build(third)[0] == dict.fromkeys(MODELS, "remote")  # the push repaired the entries


class StopsTheServer(Collecting):
    """Collects events; stops the S3 server as soon as the first model is finished."""

    def __init__(self, server: S3Server) -> None:
        super().__init__()
        self.server = server

    def report(self, event: BuildEvent) -> None:
        super().report(event)
        if isinstance(event, Finished):
            self.server.stop()


def test_a_server_stopped_mid_run_costs_conversions_never_the_build(
    tmp_path, model_files, monkeypatch
):
    with s3_server(tmp_path / "moto.log") as server:
        remote = f"s3://{use_s3(server, tmp_path, monkeypatch)}/cache"
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore's own retries; ours remain
        first = clone(tmp_path / "first", model_files, remote)
        assert build(first)[0] == dict.fromkeys(MODELS, "converted")

        second = clone(tmp_path / "second", model_files, remote)
        stopper = StopsTheServer(server)
        outcomes, events = build(second, prefetch=False, reporter=stopper)  # as doit builds
        assert server.process.poll() is not None

    assert outcomes == {
        "dense": "remote",
        "dense-uint8": "converted",
        "conv": "converted",
        "wide": "converted",
    }
    [(name, message)] = warnings(events)  # said once, though it cost three models
    assert name == "run"
    assert message.startswith(
        f"remote cache unavailable: {remote}: reading 1 entry "
    ) and message.endswith("; building without it for the rest of this run")
    assert "failed 3 times (GenericError: Generic S3 error: Error performing GET" in message
    assert not any(isinstance(e, Pushed) for e in events)
    assert tree_hashes(second / "web_model") == tree_hashes(first / "web_model")
    assert sorted(read_lockfile(second / "tfjs-build.lock")["models"]) == sorted(MODELS)


def test_two_models_built_alike_share_one_remote_entry(remote_url, tmp_path, model_files):
    config = f"""[tool.tfjs-build]
parity = false
cache_remote = "{remote_url}"

[[tool.tfjs-build.models]]
source = "models/conv.h5"

[[tool.tfjs-build.models]]
name = "conv-again"
source = "models/conv.h5"
"""
    first = make_user_repo(tmp_path / "first", model_files, config)
    assert build(first)[0] == {"conv": "converted", "conv-again": "restored"}
    assert sum(n.startswith("v1/entries/") for n in remote_objects(remote_url)) == 1

    second = make_user_repo(tmp_path / "second", model_files, config)
    assert build(second)[0] == {"conv": "remote", "conv-again": "remote"}
    assert tree_hashes(second / "web_model" / "conv-again") == tree_hashes(
        first / "web_model" / "conv"
    )
