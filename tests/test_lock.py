from __future__ import annotations

import json

from tfjs_build.lock import read_lock, remove_entry, update_lock


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
