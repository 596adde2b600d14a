"""The build cache on real files: fill, restore with hash checks, concurrent fills, the size bound."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from tests.filesystems import tmpfs
from tfjs_build.errors import ArtifactError
from tfjs_build.parity.record import ParitySummary
from tfjs_build.project.cache import BuildCache, RefusedEntry, cache_key, files_disagreement
from tfjs_build.project.fingerprint import HashCache


def make_artifact(directory: Path, payload: bytes, shards: int = 1) -> dict[str, str]:
    """A small artifact directory of ``shards`` shards; returns its files' sha256."""
    directory.mkdir(parents=True, exist_ok=True)
    names = [f"group1-shard{i}of{shards}.bin" for i in range(1, shards + 1)]
    weights = [{"name": "w", "shape": [len(payload) * shards], "dtype": "bool"}]
    manifest = [{"paths": names, "weights": weights}]
    document = {"format": "layers-model", "payload": len(payload), "weightsManifest": manifest}
    files = {
        "model.json": json.dumps(document).encode(),
        **dict.fromkeys(names, payload),
        "parity.json": b'{"passed": true}',
    }
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def tree(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


PARITY: ParitySummary = {"passed": True, "max_abs_error": 1e-7, "backends": ["cpu"], "inputs": None}


def fill(cache: BuildCache, key: str, artifact: Path, files: dict[str, str]) -> bool:
    return cache.store(key, artifact, files, PARITY, format="layers", source="models/m.keras")


def test_key_depends_on_source_settings_and_versions():
    base = cache_key("sha256:a", {"quantization": None}, {"tfjs": "4.22.0"})
    assert len(base) == 64
    assert base == cache_key("sha256:a", {"quantization": None}, {"tfjs": "4.22.0"})
    assert base != cache_key("sha256:b", {"quantization": None}, {"tfjs": "4.22.0"})
    assert base != cache_key("sha256:a", {"quantization": "uint8"}, {"tfjs": "4.22.0"})
    assert base != cache_key("sha256:a", {"quantization": None}, {"tfjs": "4.21.0"})


def test_a_filled_entry_restores_the_same_bytes_and_its_record(tmp_path):
    artifact = tmp_path / "built"
    files = make_artifact(artifact, b"\x01\x02" * 1000)
    cache = BuildCache(tmp_path / "cache")
    assert fill(cache, "k1", artifact, files) is True
    assert fill(cache, "k1", artifact, files) is False  # already there

    hashes = HashCache()
    restored = cache.restore("k1", tmp_path / "out", hashes)
    assert restored is not None
    assert (restored.format, restored.files, restored.parity) == ("layers", files, PARITY)
    assert (restored.total_bytes, restored.shards) == (sum(map(len, tree(artifact).values())), 1)
    assert tree(tmp_path / "out") == tree(artifact)
    # the restored files' hashes are remembered, so a freshness check does not read them again
    assert (
        hashes.file_hash(tmp_path / "out" / "group1-shard1of1.bin") == files["group1-shard1of1.bin"]
    )
    assert (tmp_path / "cache" / ".gitignore").read_text().endswith("*\n")


def test_a_checked_staging_directory_moves_in_whole_and_restores_like_a_copy(tmp_path):
    cache = BuildCache(tmp_path / "cache")
    staged = cache.staging_directory("remote-")
    files = make_artifact(staged, b"\x03" * 500)
    made = tree(staged)
    assert cache.store("k1", staged, files, PARITY, format="layers", checked=True) is True
    assert not staged.exists()  # moved, not copied
    assert cache.restore("k1", tmp_path / "out") is not None
    assert tree(tmp_path / "out") == made

    again = cache.staging_directory("remote-")
    make_artifact(again, b"\x03" * 500)
    assert cache.store("k1", again, files, PARITY, format="layers", checked=True) is False
    assert not again.exists()  # the key was taken: the staged copy is gone, the entry kept
    assert cache.problem("k1") is None


def test_a_miss_leaves_the_output_untouched(tmp_path):
    cache = BuildCache(tmp_path / "cache")
    previous = make_artifact(tmp_path / "out", b"old")
    assert cache.restore("absent", tmp_path / "out") is None
    assert {n: hashlib.sha256(d).hexdigest() for n, d in tree(tmp_path / "out").items()} == previous


def test_a_damaged_entry_is_dropped_and_never_published(tmp_path):
    artifact = tmp_path / "built"
    files = make_artifact(artifact, b"weights" * 100)
    cache = BuildCache(tmp_path / "cache")
    fill(cache, "k1", artifact, files)
    shard = cache.entry_path("k1") / "group1-shard1of1.bin"
    shard.write_bytes(b"X" + shard.read_bytes()[1:])
    old = make_artifact(tmp_path / "out", b"old")

    assert cache.restore("k1", tmp_path / "out") is None
    assert {n: hashlib.sha256(d).hexdigest() for n, d in tree(tmp_path / "out").items()} == old
    assert not cache.entry_path("k1").exists()
    assert fill(cache, "k1", artifact, files) is True  # refilled by the next build


def test_an_entry_naming_a_file_outside_itself_is_refused(tmp_path):
    artifact = tmp_path / "built"
    files = make_artifact(artifact, b"w")
    cache = BuildCache(tmp_path / "cache")
    fill(cache, "k1", artifact, files)
    record_path = cache.entry_path("k1") / "entry.json"
    record = json.loads(record_path.read_text())
    record["files"]["../../secret"] = record["files"].pop("parity.json")
    record_path.write_text(json.dumps(record))
    (tmp_path / "secret").write_text("do not copy")

    assert cache.restore("k1", tmp_path / "out") is None
    assert not (tmp_path / "out").exists()


def _fill_at(cache_dir: str, artifact: str, files: dict[str, str], start: float) -> bool:
    while time.time() < start:
        pass
    return fill(BuildCache(Path(cache_dir)), "same-key", Path(artifact), files)


def test_concurrent_fills_of_one_key_leave_one_valid_entry(tmp_path):
    artifact = tmp_path / "built"
    files = make_artifact(artifact, os.urandom(4 << 20))
    start = time.time() + 1.0
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        results = pool.starmap(
            _fill_at, [(str(tmp_path / "cache"), str(artifact), files, start)] * 6
        )
    assert sorted(results) == [False] * 5 + [True]
    cache = BuildCache(tmp_path / "cache")
    assert [e.key for e in cache.entries()] == ["same-key"]
    assert sorted(p.name for p in (tmp_path / "cache" / "v1").iterdir()) == ["same-key"]
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []  # losers cleaned up after themselves
    restored = cache.restore("same-key", tmp_path / "out")
    assert restored is not None and tree(tmp_path / "out") == tree(artifact)


def test_the_size_bound_evicts_least_recently_used_entries(tmp_path):
    cache = BuildCache(tmp_path / "cache", max_bytes=10_000)
    for index, key in enumerate(["a", "b", "c"]):
        files = make_artifact(tmp_path / key, bytes([index]) * 3000)
        fill(cache, key, tmp_path / key, files)
        stamp = time.time() - 100 + index
        os.utime(cache.entry_path(key) / "entry.json", (stamp, stamp))
    assert [e.key for e in cache.entries()] == ["a", "b", "c"]
    cache.restore("a", tmp_path / "out")  # a is now the most recently used

    files = make_artifact(tmp_path / "d", b"d" * 3000)
    fill(cache, "d", tmp_path / "d", files)  # 4 entries of ~3 kB > 10 kB: b goes
    assert [e.key for e in cache.entries()] == ["c", "a", "d"]
    assert sum(e.total_bytes for e in cache.entries()) <= 10_000

    report = cache.prune(0)
    assert (report.removed, report.kept, report.kept_bytes) == (3, 0, 0)
    assert cache.entries() == []


def test_an_artifact_larger_than_the_whole_cache_is_not_stored(tmp_path):
    files = make_artifact(tmp_path / "big", b"x" * 5000)
    cache = BuildCache(tmp_path / "cache", max_bytes=4000)
    assert fill(cache, "big", tmp_path / "big", files) is False
    assert cache.entries() == []


def test_prune_removes_abandoned_fills_and_incomplete_entries(tmp_path):
    cache = BuildCache(tmp_path / "cache")
    files = make_artifact(tmp_path / "built", b"w")
    fill(cache, "kept", tmp_path / "built", files)
    abandoned = tmp_path / "cache" / "tmp" / "fill-999999-x"
    abandoned.mkdir(parents=True)
    old = time.time() - 2 * 3600
    os.utime(abandoned, (old, old))
    recent = tmp_path / "cache" / "tmp" / "fill-999998-y"
    recent.mkdir()
    incomplete = cache.entry_path("half")
    incomplete.mkdir()
    (incomplete / "model.json").write_text("{}")

    report = cache.prune()
    assert (report.removed, report.kept) == (0, 1)
    assert not abandoned.exists() and recent.exists() and not incomplete.exists()
    assert [e.key for e in cache.entries()] == ["kept"]


@pytest.mark.parametrize("payload", [b"", b"\x00" * 10])
def test_restore_replaces_a_previous_artifact_completely(tmp_path, payload):
    files = make_artifact(tmp_path / "built", payload)
    cache = BuildCache(tmp_path / "cache")
    fill(cache, "k", tmp_path / "built", files)
    out = tmp_path / "out"
    make_artifact(out, b"old", shards=2)
    cache.restore("k", out)
    assert tree(out) == tree(tmp_path / "built")


def test_an_entry_whose_model_json_lists_a_shard_it_lacks_is_dropped(tmp_path):
    artifact = tmp_path / "built"
    files = make_artifact(artifact, b"w" * 64, shards=2)
    del files["group1-shard2of2.bin"]  # an entry.json that forgot a shard: hashes all match
    cache = BuildCache(tmp_path / "cache")
    fill(cache, "k1", artifact, files)
    assert cache.restore("k1", tmp_path / "out") is None
    assert not (tmp_path / "out").exists()
    assert not cache.entry_path("k1").exists()


def test_an_entry_whose_shards_do_not_add_up_to_its_weights_is_dropped(tmp_path):
    artifact = tmp_path / "built"
    files = make_artifact(artifact, b"w" * 64)
    shard = artifact / "group1-shard1of1.bin"
    shard.write_bytes(b"w" * 63)  # truncated before it was cached, hashes recorded as it is
    files["group1-shard1of1.bin"] = hashlib.sha256(shard.read_bytes()).hexdigest()
    cache = BuildCache(tmp_path / "cache")
    fill(cache, "k1", artifact, files)
    assert cache.restore("k1", tmp_path / "out") is None
    assert not cache.entry_path("k1").exists()


def test_an_unreadable_entry_json_is_dropped_and_refilled(tmp_path):
    artifact = tmp_path / "built"
    files = make_artifact(artifact, b"w")
    cache = BuildCache(tmp_path / "cache")
    fill(cache, "k1", artifact, files)
    (cache.entry_path("k1") / "entry.json").write_text("{not json")
    assert cache.restore("k1", tmp_path / "out") is None
    assert not cache.entry_path("k1").exists()
    assert fill(cache, "k1", artifact, files) is True


def test_a_full_disk_while_restoring_keeps_the_good_entry(tmp_path):
    artifact = tmp_path / "built"
    files = make_artifact(artifact, b"w" * 200_000)
    cache = BuildCache(tmp_path / "cache")
    fill(cache, "k1", artifact, files)
    with tmpfs(tmp_path / "small", "64k") as small:
        with pytest.raises(ArtifactError) as caught:
            cache.restore("k1", small / "out")
        message = str(caught.value)
        assert message.startswith(f"cannot restore the cached artifact into {small / 'out'}: ")
        assert "No space left on device" in message and message.endswith("the cache entry is kept")
        assert sorted(p.name for p in small.iterdir()) == []  # no staging directory left
    assert cache.lookup("k1") is not None
    restored = cache.restore("k1", tmp_path / "out")  # and it still restores where there is room
    assert restored is not None and tree(tmp_path / "out") == tree(artifact)


def test_an_entry_disagreeing_with_the_expected_files_is_refused_evicted_and_unpublished(tmp_path):
    files = make_artifact(tmp_path / "built", b"\x01" * 64)
    cache = BuildCache(tmp_path / "cache")
    assert fill(cache, "k", tmp_path / "built", files)
    make_artifact(tmp_path / "out", b"\x03" * 64)  # the previous artifact
    previous = tree(tmp_path / "out")
    expected = {**files, "group1-shard1of1.bin": "0" * 64}
    with pytest.raises(RefusedEntry) as refused:
        cache.restore("k", tmp_path / "out", expected=expected)
    assert str(refused.value) == (
        f"group1-shard1of1.bin has sha256 {files['group1-shard1of1.bin'][:12]}, the lockfile "
        "records 000000000000"
    )
    assert cache.lookup("k") is None  # evicted
    assert tree(tmp_path / "out") == previous

    assert fill(cache, "k", tmp_path / "built", files)
    assert files_disagreement(files, {"model.json": files["model.json"]}) == (
        "it holds group1-shard1of1.bin, model.json, parity.json, the lockfile records model.json"
    )
    hit = cache.restore("k", tmp_path / "out", expected=files)
    assert hit is not None and tree(tmp_path / "out") == tree(tmp_path / "built")


def test_problem_names_what_is_wrong_with_an_entry_and_changes_nothing(tmp_path):
    files = make_artifact(tmp_path / "built", b"\x01" * 64)
    cache = BuildCache(tmp_path / "cache")
    assert fill(cache, "k", tmp_path / "built", files)
    assert cache.problem("k") is None
    shard = cache.entry_path("k") / "group1-shard1of1.bin"
    shard.write_bytes(b"\x02" * 64)
    assert cache.problem("k") == "group1-shard1of1.bin does not match its recorded hash"
    shard.write_bytes(b"\x02" * 63)
    assert cache.problem("k") == "weights group 0 needs 64 bytes, its shards hold 63"
    (cache.entry_path("k") / "entry.json").write_text("{")
    assert cache.problem("k") == "its entry.json is missing or malformed"
    assert cache.entry_keys() == ["k"]  # still there: problem() removes nothing
