"""The custom code a model is built with: the modules it imports and their files in the project.

Recorded in the model's lockfile entry and part of its cache key, so editing a custom layer makes
exactly the models that import it stale, and ``check`` says which file changed. Standard library
only: the files are found by path and import statements, nothing is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

from tfjs_build.custom_code import module_files
from tfjs_build.project.fingerprint import HashCache


class CodeRecord(TypedDict):
    """``modules`` as configured; ``files``: project-relative path -> sha256."""

    modules: list[str]
    files: dict[str, str]


def code_record(modules: Sequence[str], root: Path, hashes: HashCache) -> CodeRecord | None:
    """The record of ``modules`` (``None`` when the model imports none)."""
    if not modules:
        return None
    files = {
        path.relative_to(root).as_posix(): hashes.file_hash(path)
        for path in module_files(modules, root)
    }
    return {"modules": list(modules), "files": files}


def code_changes(recorded: CodeRecord | None, current: CodeRecord | None) -> list[str]:
    """Why ``current`` differs from what was recorded, as freshness reasons (none: the same)."""
    if recorded == current:
        return []
    old_modules = recorded["modules"] if recorded else []
    new_modules = current["modules"] if current else []
    if old_modules != new_modules:
        return [
            f"imports changed ({', '.join(old_modules) or 'none'} -> {', '.join(new_modules) or 'none'})"
        ]
    old_files = recorded["files"] if recorded else {}
    new_files = current["files"] if current else {}
    changed = sorted(
        name
        for name in set(old_files) | set(new_files)
        if old_files.get(name) != new_files.get(name)
    )
    return [f"custom code changed: {', '.join(changed)}"]
