"""Comparing directories in tests: every file's sha256 by relative path."""

from __future__ import annotations

import hashlib
from pathlib import Path


def tree_hashes(directory: Path) -> dict[str, str]:
    """sha256 of every file under ``directory``, by relative POSIX path."""
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(directory).rglob("*"))
        if p.is_file()
    }
