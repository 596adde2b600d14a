"""The lockfile ``tfjs-build.lock``: what each published artifact was built from, and what it is.

JSON, deterministic (sorted keys, two-space indent, one entry per model), written only when its
content changes and under a file lock, so parallel builds (``doit -n 2``) each add their entry
safely. With the artifacts committed beside it, it lets a fresh clone know everything is fresh.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypedDict

from tfjs_build.errors import TfjsBuildError

LOCK_VERSION = 1


class LockEntry(TypedDict):
    """One model's record."""

    source: str
    source_fingerprint: str
    options: dict[str, Any]
    options_fingerprint: str
    versions: dict[str, str]
    output: str
    format: str
    files: dict[str, str]
    parity: dict[str, Any]


def _empty() -> dict[str, Any]:
    return {"version": LOCK_VERSION, "models": {}}


_READ_CACHE: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}


def read_lock(path: Path) -> dict[str, Any]:
    """The lockfile's content; an empty one when it does not exist.

    Parsed once per process while the file is unchanged (doit asks once per model); callers
    must not modify the result.
    """
    key = os.path.abspath(path)
    try:
        stat = os.stat(key)
    except FileNotFoundError:
        return _empty()
    stamp = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    cached = _READ_CACHE.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    document = _parse_lock(Path(path))
    _READ_CACHE[key] = (stamp, document)
    return document


def _parse_lock(path: Path) -> dict[str, Any]:
    return _parse_text(path, _read_text(path))


def _read_text(path: Path) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TfjsBuildError(f"cannot read the lockfile {path}: {exc}") from None


def _parse_text(path: Path, text: str | None) -> dict[str, Any]:
    if text is None:
        return _empty()
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise TfjsBuildError(
            f"{path} is not a valid tfjs-build lockfile ({exc}); delete it and rebuild"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("models"), dict):
        raise TfjsBuildError(
            f"{path} is not a tfjs-build lockfile (no 'models' table); delete it and rebuild"
        )
    if document.get("version") != LOCK_VERSION:
        raise TfjsBuildError(
            f"{path} has lockfile version {document.get('version')!r}; this tfjs-build reads version {LOCK_VERSION}"
        )
    return document


def render_lock(document: dict[str, Any]) -> str:
    """The canonical text of a lockfile."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def update_lock(path: Path, change: Callable[[dict[str, Any]], None]) -> bool:
    """Apply ``change`` to the lockfile's models under a lock; write only if the text changed.

    Inside ``deferred_writes(path)`` the change is queued and applied once when that block ends.
    """
    path = Path(path)
    queued = _DEFERRED.get(os.path.abspath(path))
    if queued is not None:
        queued.append(change)
        return True
    return _apply(path, [change])


def _apply(path: Path, changes: list[Callable[[dict[str, Any]], None]]) -> bool:
    with _locked(path):
        before = _read_text(path)
        document = _parse_text(path, before)
        for change in changes:
            change(document["models"])
        if not document["models"] and before is None:
            return False
        text = render_lock(document)
        if text == before:
            return False
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        return True


_DEFERRED: dict[str, list[Callable[[dict[str, Any]], None]]] = {}


@contextlib.contextmanager
def deferred_writes(path: Path) -> Iterator[None]:
    """Queue lockfile changes made inside the block and write them once at its end.

    One write instead of one per model for a project-wide build; what was queued is written even
    when the block is left by an error or Ctrl-C, so finished builds stay recorded.
    """
    key = os.path.abspath(path)
    if key in _DEFERRED:
        yield
        return
    _DEFERRED[key] = []
    try:
        yield
    finally:
        changes = _DEFERRED.pop(key)
        if changes:
            _apply(Path(path), changes)


def set_entry(path: Path, name: str, entry: LockEntry) -> bool:
    """Record ``entry`` for model ``name``."""
    return update_lock(path, lambda models: models.__setitem__(name, entry))


def remove_entry(path: Path, name: str) -> bool:
    """Forget model ``name``."""
    return update_lock(path, lambda models: models.pop(name, None))
