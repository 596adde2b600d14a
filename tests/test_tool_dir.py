from __future__ import annotations

from tfjs_build.tool_dir import make_tool_directory


def test_cache_directories_tfjs_build_creates_are_ignored_by_git(tmp_path):
    make_tool_directory(tmp_path / ".tfjs-build" / "cache")
    assert (tmp_path / ".tfjs-build" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert not (tmp_path / ".tfjs-build" / "cache" / ".gitignore").exists()
    existing = tmp_path / "mine"
    existing.mkdir()
    make_tool_directory(existing)
    assert list(existing.iterdir()) == []  # a directory the user made is not touched
