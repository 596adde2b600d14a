"""The tool's own directory in a project (``.tfjs-build/``): caches and rejected builds, never
committed."""

from __future__ import annotations

import contextlib
from pathlib import Path

TOOL_DIR = ".tfjs-build"
HASH_CACHE = f"{TOOL_DIR}/hash-cache.json"
REJECTED_DIR = f"{TOOL_DIR}/rejected"


def make_tool_directory(directory: Path) -> None:
    """Create ``directory`` with a ``.gitignore`` of ``*`` in the outermost directory this creates,
    so ``git add -A`` never commits a cache or a rejected build; existing directories are left
    alone."""
    directory = Path(directory)
    if directory.is_dir():
        return
    outermost = directory
    while not outermost.parent.exists():
        outermost = outermost.parent
    directory.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        (outermost / ".gitignore").write_text(
            "# created by tfjs-build: a cache, never commit it\n*\n"
        )


def rejected_build_path(root: Path, name: str) -> Path:
    """Where the last rejected build of model (or output directory) ``name`` under ``root`` is
    kept for inspection."""
    return Path(root) / REJECTED_DIR / name
