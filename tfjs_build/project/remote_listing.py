"""``tfjs-build cache list|prune --remote``: the remote cache's entries, and removing the oldest."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tfjs_build.project.remote_manifest import Manifest
from tfjs_build.project.remote_store import RemoteStore

BLOB_GRACE_SECONDS = 3600
"""Prune leaves unreferenced blobs younger than this: a push may be about to name them."""


@dataclass(frozen=True)
class RemoteEntryInfo:
    """One remote entry, as listed."""

    key: str
    total_bytes: int
    created: float
    source: str


@dataclass(frozen=True)
class RemotePruneReport:
    """What a remote prune removed and what is left."""

    removed: int
    freed_bytes: int
    kept: int
    kept_bytes: int
    blobs_removed: int
    blobs_recent: int


def manifests(store: RemoteStore) -> tuple[list[Manifest], list[str]]:
    """Every entry's manifest, oldest first, and the paths of manifests that are damaged."""
    listed = [found.path for found in store.listing(store.entries_dir(), "listing entries")]
    keys = {path.rsplit("/", 1)[-1].removesuffix(".json"): path for path in listed}
    found = store.read_entries(list(keys))
    readable = [m for m in found.values() if isinstance(m, dict)]
    damaged = [keys[key] for key, m in found.items() if not isinstance(m, dict)]
    return sorted(readable, key=lambda m: (m["created"], m["key"])), damaged


def entries(store: RemoteStore) -> list[RemoteEntryInfo]:
    """Every readable entry, oldest first."""
    return [
        RemoteEntryInfo(m["key"], m["total_bytes"], m["created"], m["source"])
        for m in manifests(store)[0]
    ]


def prune(store: RemoteStore, max_bytes: int) -> RemotePruneReport:
    """Remove the oldest entries until the rest hold at most ``max_bytes`` (damaged manifests go
    too), then every blob no entry names that is older than :data:`BLOB_GRACE_SECONDS`."""
    found, damaged = manifests(store)
    total = sum(m["total_bytes"] for m in found)
    doomed = list(damaged)
    kept: list[Manifest] = []
    for manifest in found:
        if total > max_bytes:
            doomed.append(store.manifest_path(manifest["key"]))
            total -= manifest["total_bytes"]
        else:
            kept.append(manifest)
    for path in doomed:
        store.remove(path, "removing an entry")
    named = {f["sha256"] for m in kept for f in m["files"].values() if "data" not in f}
    removed = recent = 0
    now = time.time()
    for blob in store.listing(store.blobs_dir(), "listing blobs"):
        if blob.path.rsplit("/", 1)[-1] in named:
            continue
        if blob.modified is None or now - blob.modified < BLOB_GRACE_SECONDS:
            recent += 1
            continue
        store.remove(blob.path, "removing a blob")
        removed += 1
    freed = sum(m["total_bytes"] for m in found) - total
    return RemotePruneReport(len(found) - len(kept), freed, len(kept), total, removed, recent)
