from __future__ import annotations

import json

import pytest

from tfjs_build.lock import deferred_writes, read_lock, remove_entry, set_entry, update_lock


def test_lockfile_is_sorted_deterministic_and_written_only_on_change(tmp_path):
    path = tmp_path / "tfjs-build.lock"
    assert read_lock(path) == {"version": 1, "models": {}}
    assert update_lock(path, lambda m: m.update(zeta={"b": 2, "a": 1}, alpha={"x": [1]})) is True
    text = path.read_text()
    assert (
        text
        == json.dumps(
            {"models": {"alpha": {"x": [1]}, "zeta": {"a": 1, "b": 2}}, "version": 1},
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    stamp = path.stat().st_mtime_ns
    assert update_lock(path, lambda m: m.update(zeta={"a": 1, "b": 2})) is False
    assert path.stat().st_mtime_ns == stamp
    assert remove_entry(path, "zeta") is True
    assert list(read_lock(path)["models"]) == ["alpha"]


def test_removing_from_a_missing_lockfile_writes_nothing(tmp_path):
    assert remove_entry(tmp_path / "tfjs-build.lock", "x") is False
    assert not (tmp_path / "tfjs-build.lock").exists()


def test_deferred_writes_write_once_at_the_end_even_after_an_error(tmp_path):
    path = tmp_path / "tfjs-build.lock"
    set_entry(path, "a", {"source": "a.keras"})
    with pytest.raises(KeyboardInterrupt), deferred_writes(path):
        set_entry(path, "b", {"source": "b.keras"})
        set_entry(path, "c", {"source": "c.keras"})
        assert sorted(read_lock(path)["models"]) == ["a"]  # nothing written yet
        set_entry(tmp_path / "other.lock", "x", {"source": "x.keras"})
        assert sorted(read_lock(tmp_path / "other.lock")["models"]) == ["x"]  # other files: at once
        raise KeyboardInterrupt
    assert sorted(read_lock(path)["models"]) == ["a", "b", "c"]
