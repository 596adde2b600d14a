"""``tfjs-build cache verify``: every entry of the local or the remote cache checked whole
(structure, every file's hash, and on the remote the signature when keys are trusted)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from tfjs_build.project.cache import BuildCache, model_json_problem
from tfjs_build.project.remote_manifest import Manifest
from tfjs_build.project.remote_store import RemoteStore

CHUNK = 16
"""Remote entries read in one batch of requests."""


def local_problems(cache: BuildCache) -> Iterator[tuple[str, str | None]]:
    """``(key, problem)`` for every entry directory of ``cache``; the problem is None for a whole
    entry."""
    for key in cache.entry_keys():
        yield key, cache.problem(key)


def _remote_keys(store: RemoteStore) -> list[str]:
    listed = store.listing(store.entries_dir(), "listing entries")
    names = (found.path.rsplit("/", 1)[-1] for found in listed)
    return sorted(n.removesuffix(".json") for n in names if n.endswith(".json"))


def remote_problems(store: RemoteStore, scratch: Path) -> Iterator[tuple[str, str | None]]:
    """``(key, problem)`` for every entry of the remote ``store`` (its signature checked when the
    store trusts keys), its files downloaded into ``scratch`` (emptied after each batch) and
    checked against their hashes and its ``model.json``."""
    keys = _remote_keys(store)
    for start in range(0, len(keys), CHUNK):
        found = store.read_entries(keys[start : start + CHUNK])
        manifests: list[Manifest] = []
        for key, manifest in found.items():
            if isinstance(manifest, Exception):
                yield key, str(manifest)
            elif manifest is None:
                yield key, "its manifest vanished while it was checked"
            else:
                manifests.append(manifest)
        directories = {m["key"]: scratch / m["key"] for m in manifests}
        for directory in directories.values():
            directory.mkdir(parents=True)
        try:
            problems = store.download(manifests, directories)
            for manifest in manifests:
                key = manifest["key"]
                if (problem := problems[key]) is not None:
                    yield key, str(problem)
                else:
                    yield key, model_json_problem(directories[key], manifest["files"])
        finally:
            for directory in directories.values():
                shutil.rmtree(directory, ignore_errors=True)
