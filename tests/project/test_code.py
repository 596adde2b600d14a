"""A model's custom code record: the modules it imports and their project files' hashes."""

from __future__ import annotations

from pathlib import Path

from tfjs_build.project.cache import cache_key
from tfjs_build.project.code import code_changes, code_record
from tfjs_build.project.fingerprint import HashCache


def test_the_record_names_each_project_file_and_says_which_changed(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "layers.py").write_text("from . import base\n")
    (tmp_path / "lib" / "base.py").write_text("A = 1\n")
    assert code_record([], tmp_path, HashCache()) is None
    first = code_record(["lib.layers"], tmp_path, HashCache())
    assert first is not None
    assert first["modules"] == ["lib.layers"]
    assert sorted(first["files"]) == ["lib/__init__.py", "lib/base.py", "lib/layers.py"]
    assert code_changes(first, code_record(["lib.layers"], tmp_path, HashCache())) == []

    (tmp_path / "lib" / "base.py").write_text("A = 2\n")
    edited = code_record(["lib.layers"], tmp_path, HashCache())
    assert code_changes(first, edited) == ["custom code changed: lib/base.py"]
    (tmp_path / "lib" / "layers.py").write_text("")  # no longer imports base
    assert code_changes(edited, code_record(["lib.layers"], tmp_path, HashCache())) == [
        "custom code changed: lib/base.py, lib/layers.py"
    ]
    assert code_changes(first, None) == ["imports changed (lib.layers -> none)"]
    assert code_changes(None, first) == ["imports changed (none -> lib.layers)"]


def test_custom_code_is_part_of_the_cache_key_only_when_there_is_some() -> None:
    plain = cache_key("sha256:a", {"format": "auto"}, {"tfjs": "4.22.0"})
    assert cache_key("sha256:a", {"format": "auto"}, {"tfjs": "4.22.0"}, None) == plain
    code = {"modules": ["lib"], "files": {"lib.py": "1"}}
    with_code = cache_key("sha256:a", {"format": "auto"}, {"tfjs": "4.22.0"}, code)
    assert with_code != plain
    edited = {"modules": ["lib"], "files": {"lib.py": "2"}}
    assert cache_key("sha256:a", {"format": "auto"}, {"tfjs": "4.22.0"}, edited) != with_code
