"""The two sides a diff compares: the project's files at a git ref, and in the working tree.

Both answer the same two questions about project-relative paths, so the snapshot reader never
asks which side it reads. A ref is read with ``git cat-file`` and ``git ls-tree``: no checkout,
the working tree and the index are never touched.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Protocol

from tfjs_build.errors import UsageError


class Tree(Protocol):
    """Files of the project, by path relative to its root (POSIX separators)."""

    label: str
    """How messages name this side: ``HEAD``, ``origin/main``, ``working tree``."""

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or ``None`` when there is no such file."""

    def sizes(self, directory: str) -> dict[str, int]:
        """The size of each file directly in ``directory`` (empty when it does not exist)."""


class WorkTree:
    """The project directory as it is on disk."""

    label = "working tree"

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, path: str) -> bytes | None:
        try:
            return (self.root / path).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def sizes(self, directory: str) -> dict[str, int]:
        folder = self.root / directory
        if not folder.is_dir():
            return {}
        return {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}


class GitTree:
    """The project directory as committed at ``ref`` (the project may be a subdirectory of the
    repository: paths are read relative to it with git's ``REF:./path``)."""

    def __init__(self, root: Path, ref: str) -> None:
        self.root, self.label = root, ref
        self.commit = self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()

    def _git(self, *args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=self.root, capture_output=True, text=True, check=False
            )
        except FileNotFoundError:
            raise UsageError(
                "git is not installed; `tfjs-build diff` reads the base with git"
            ) from None
        if done.returncode != 0:
            raise UsageError(self._failure(done.stderr))
        return done.stdout

    def _failure(self, stderr: str) -> str:
        if "not a git repository" in stderr:
            return (
                f"{self.root} is not in a git repository; `tfjs-build diff` compares with a commit"
            )
        return (
            f"--base {self.label}: not a commit of the repository at {self.root}; give a branch, "
            "a tag or a commit (in CI, fetch the base branch first: git fetch origin main)"
        )

    def _object(self, path: str) -> str:
        return f"{self.commit}:./{path}"

    def read(self, path: str) -> bytes | None:
        done = subprocess.run(
            ["git", "cat-file", "blob", self._object(path)], cwd=self.root, capture_output=True
        )
        return done.stdout if done.returncode == 0 else None

    def sizes(self, directory: str) -> dict[str, int]:
        done = subprocess.run(
            ["git", "ls-tree", "-l", "-z", "--full-tree", self._object(directory)],
            cwd=self.root,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return {}
        sizes = {}
        for record in filter(None, done.stdout.split("\0")):
            meta, _, name = record.partition("\t")
            kind, size = meta.split()[1], meta.split()[3]
            if kind == "blob":
                sizes[name] = int(size)
        return sizes
