"""Listing and pruning the remote cache (``tfjs-build cache list|prune --remote``), on moto's S3
server and on a shared directory."""

from __future__ import annotations

import time

from tests.conftest import remote_objects
from tests.project.test_remote_store import make_artifact, push
from tfjs_build.project.remote_listing import BLOB_GRACE_SECONDS, entries, prune
from tfjs_build.project.remote_store import RemoteStore


def test_prune_removes_the_oldest_entries_then_unreferenced_blobs(
    remote_url, tmp_path, monkeypatch
):
    store = RemoteStore(remote_url)
    sizes = {}
    for index, key in enumerate(["old", "middle", "new"]):
        files = make_artifact(tmp_path / key, bytes([index]) * 100_000)
        push(store, key, tmp_path / key, files)
        sizes[key] = sum(p.stat().st_size for p in (tmp_path / key).iterdir())
        time.sleep(0.05)  # distinct creation times
    assert [e.key for e in entries(store)] == ["old", "middle", "new"]

    young = prune(store, sizes["middle"] + sizes["new"])
    assert (young.removed, young.kept, young.freed_bytes) == (1, 2, sizes["old"])
    assert (young.blobs_removed, young.blobs_recent) == (0, 1)  # a push may still name it
    assert [e.key for e in entries(store)] == ["middle", "new"]

    monkeypatch.setattr("tfjs_build.project.remote_listing.BLOB_GRACE_SECONDS", -1)
    everything = prune(store, 0)
    assert (everything.removed, everything.kept, everything.kept_bytes) == (2, 0, 0)
    assert (everything.blobs_removed, everything.blobs_recent) == (3, 0)
    assert remote_objects(remote_url) == {}
    assert BLOB_GRACE_SECONDS == 3600
