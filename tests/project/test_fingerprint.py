from __future__ import annotations

import os

from tfjs_build.project.fingerprint import HashCache, tree_fingerprint


def test_directory_fingerprint_follows_content_and_names_not_times(tmp_path):
    model = tmp_path / "sm"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"graph")
    (model / "variables" / "v.data").write_bytes(b"weights")
    cache = HashCache(tmp_path / "cache.json")
    first = tree_fingerprint(model, cache)
    os.utime(model / "saved_model.pb", ns=(1, 1))
    assert tree_fingerprint(model, cache) == first
    (model / "assets").mkdir()
    (model / "assets" / "vocab.txt").write_bytes(b"a")
    with_asset = tree_fingerprint(model, cache)
    assert with_asset != first
    (model / "assets" / "vocab.txt").rename(model / "assets" / "vocab2.txt")
    assert tree_fingerprint(model, cache) not in (first, with_asset)


def test_hash_cache_survives_processes_and_notices_same_size_edits(tmp_path):
    file = tmp_path / "m.h5"
    file.write_bytes(b"aaaa")
    cache = HashCache(tmp_path / "cache.json")
    before = tree_fingerprint(file, cache)
    cache.save()
    file.write_bytes(b"bbbb")
    assert tree_fingerprint(file, HashCache(tmp_path / "cache.json")) != before
