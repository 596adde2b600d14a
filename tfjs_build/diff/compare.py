"""Compare a project's models at a git ref with its working tree: the one entry point."""

from __future__ import annotations

import os
from pathlib import Path

from tfjs_build.diff.changes import DiffReport, diff_projects
from tfjs_build.diff.snapshot import read_snapshots
from tfjs_build.diff.tree import GitTree, WorkTree


def compare(root: Path, lockfile: Path, base: str = "HEAD") -> DiffReport:
    """The models that differ between ``base`` and the working tree of the project at ``root``
    (``lockfile``: its lockfile, as configured)."""
    relative = Path(os.path.relpath(lockfile.resolve(), root.resolve())).as_posix()
    base_tree, work_tree = GitTree(root, base), WorkTree(root)
    diffs = diff_projects(read_snapshots(base_tree, relative), read_snapshots(work_tree, relative))
    return DiffReport(base, work_tree.label, tuple(diffs))
