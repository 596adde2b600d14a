"""Temporary directories named after the process that made them, and removing those whose
process is gone (killed before its own cleanup could run)."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_pid(name: str, prefix: str) -> int | None:
    """The process id in ``{prefix}{pid}-...``, or None when ``name`` is not such a name."""
    if not name.startswith(prefix):
        return None
    pid = name[len(prefix) :].split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


def remove_orphans(directory: Path, prefix: str) -> None:
    """Remove ``directory/{prefix}{pid}-*`` entries whose process no longer exists.

    One ``scandir`` comparing names: a publish calls this for its output's parent, which holds
    every artifact of a project (``Path.glob`` made a path object and a stat of each)."""
    try:
        with os.scandir(directory) as entries:
            names = [entry.name for entry in entries if entry.name.startswith(prefix)]
    except OSError:  # no such directory (yet), or unreadable: nothing of ours to remove
        return
    for name in names:
        pid = owner_pid(name, prefix)
        if pid is not None and not process_alive(pid):
            shutil.rmtree(Path(directory) / name, ignore_errors=True)


def private_temporary_directory(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary directory ``{prefix}{pid}-XXXX`` that this process removes when done; those of
    processes killed before they could are removed first."""
    remove_orphans(Path(tempfile.gettempdir()), prefix)
    return tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-")


def private_path(prefix: str) -> Path:
    """A fresh name ``{prefix}{pid}-XXXXXXXX`` in the temporary directory, not yet made; those of
    processes killed before they could remove theirs are removed first.

    Knowing the name before the directory exists lets its maker remove it whenever it is
    interrupted, even between making it and recording that it did.
    """
    directory = Path(tempfile.gettempdir())
    remove_orphans(directory, prefix)
    return directory / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"
