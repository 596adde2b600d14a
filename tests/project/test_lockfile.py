from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tfjs_build.errors import LockfileError
from tfjs_build.project.lockfile import (
    LockEntry,
    PendingLockfile,
    read_lockfile,
    update_lockfile,
)


def entry(source: str, **more: Any) -> LockEntry:
    return {"source": source, **more}  # type: ignore[typeddict-item]


def test_lockfile_is_sorted_deterministic_and_written_only_on_change(tmp_path: Path) -> None:
    path = tmp_path / "tfjs-build.lock"
    assert read_lockfile(path) == {"version": 1, "models": {}}
    zeta, alpha = entry("z.keras", output="b"), entry("a.keras", files={"x": "1"})
    assert update_lockfile(path, [lambda m: m.update(zeta=zeta, alpha=alpha)]) is True
    text = path.read_text()
    assert (
        text
        == json.dumps(
            {"models": {"alpha": alpha, "zeta": zeta}, "version": 1},
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    stamp = path.stat().st_mtime_ns
    assert update_lockfile(path, [lambda m: m.update(zeta=entry("z.keras", output="b"))]) is False
    assert path.stat().st_mtime_ns == stamp
    assert update_lockfile(path, [lambda m: m.pop("zeta") and None]) is True
    assert list(read_lockfile(path)["models"]) == ["alpha"]


def test_removing_from_a_missing_lockfile_writes_nothing(tmp_path: Path) -> None:
    pending = PendingLockfile(tmp_path / "tfjs-build.lock")
    pending.remove("x")
    assert pending.commit() is False
    assert not (tmp_path / "tfjs-build.lock").exists()


def test_pending_changes_are_written_once_at_commit_and_seen_before(tmp_path: Path) -> None:
    path = tmp_path / "tfjs-build.lock"
    update_lockfile(path, [lambda m: m.update(a=entry("a.keras"))])
    pending = PendingLockfile(path)
    pending.set("b", entry("b.keras"))
    pending.set("c", entry("c.keras"))
    assert sorted(pending.models) == ["a", "b", "c"]  # the build sees its own changes
    assert sorted(read_lockfile(path)["models"]) == ["a"]  # nothing written yet
    assert pending.pending == 2
    assert pending.commit() is True
    assert sorted(read_lockfile(path)["models"]) == ["a", "b", "c"]
    assert pending.pending == 0 and pending.commit() is False


def test_commit_keeps_entries_another_process_wrote_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "tfjs-build.lock"
    pending = PendingLockfile(path)
    assert dict(pending.models) == {}
    pending.set("mine", entry("mine.keras"))
    update_lockfile(path, [lambda m: m.update(theirs=entry("theirs.keras"))])
    pending.commit()
    assert sorted(read_lockfile(path)["models"]) == ["mine", "theirs"]


@pytest.mark.parametrize(
    ("models", "named"),
    [
        ({"m": []}, "the entry of model 'm' is not a table"),
        ({"m": {"files": ["a"]}}, "model 'm' has files of the wrong type (list)"),
        ({"m": {"files": {"model.json": 3}}}, "model 'm' has a files table that is not names"),
        ({"m": {"source": 7}}, "model 'm' has source of the wrong type (int)"),
    ],
)
def test_an_entry_of_the_wrong_shape_is_a_lockfile_error_naming_the_model(
    tmp_path: Path, models: dict[str, object], named: str
) -> None:
    path = tmp_path / "tfjs-build.lock"
    path.write_text(json.dumps({"version": 1, "models": models}))
    with pytest.raises(LockfileError, match=re.escape(named)) as caught:
        read_lockfile(path)
    assert caught.value.exit_code == 2
