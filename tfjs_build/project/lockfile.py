"""The lockfile ``tfjs-build.lock``: what each published artifact was built from, and what it is.

JSON, deterministic (sorted keys, two-space indent, one entry per model), written only when its
content changes, atomically and under a lock on its directory, so parallel builds (``doit -n 2``)
each add their entry safely. With the artifacts committed beside it, it lets a fresh clone know
everything is fresh.

A build reads it once through a :class:`PendingLockfile`, which queues the build's changes and
applies them in one write when the build session closes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypedDict

from tfjs_build.atomic_file import write_text_atomically
from tfjs_build.dirlock import directory_lock
from tfjs_build.errors import LockfileError, TfjsBuildError
from tfjs_build.parity.record import ParitySummary
from tfjs_build.project.code import CodeRecord

LOCK_VERSION = 1


class _LockEntryRequired(TypedDict):
    source: str
    source_fingerprint: str
    options: dict[str, Any]
    options_fingerprint: str
    versions: dict[str, str]
    output: str
    format: str
    files: dict[str, str]
    parity: ParitySummary


class LockEntry(_LockEntryRequired, total=False):
    """One model's record; ``code`` for a model built with custom code (``imports``)."""

    code: CodeRecord
    quantization: dict[str, list[str]]
    """``quantization = "auto"``: the table it resolved to (exact weight names per dtype)."""


class LockDocument(TypedDict):
    """The whole lockfile."""

    version: int
    models: dict[str, LockEntry]


Change = Callable[[dict[str, LockEntry]], None]
"""An edit of the lockfile's models, applied in place."""

_ENTRY_TYPES: dict[str, type | tuple[type, ...]] = {
    "source": str,
    "source_fingerprint": str,
    "options": dict,
    "options_fingerprint": str,
    "versions": dict,
    "output": str,
    "format": str,
    "files": dict,
    "parity": dict,
    "code": dict,
    "quantization": dict,
}


def empty_lockfile() -> LockDocument:
    """The content of a lockfile that does not exist yet."""
    return {"version": LOCK_VERSION, "models": {}}


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise LockfileError(f"cannot read the lockfile {path}: {exc}") from None


def _check_entry(path: Path, name: str, entry: object) -> LockEntry:
    if not isinstance(entry, dict):
        raise LockfileError(
            f"{path}: the entry of model {name!r} is not a table; delete the entry (or the "
            "lockfile) and rebuild"
        )
    for key, kind in _ENTRY_TYPES.items():
        if key in entry and not isinstance(entry[key], kind):
            raise LockfileError(
                f"{path}: model {name!r} has {key} of the wrong type "
                f"({type(entry[key]).__name__}); delete the entry (or the lockfile) and rebuild"
            )
    files = entry.get("files") or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise LockfileError(
            f"{path}: model {name!r} has a files table that is not names to hashes; delete the "
            "entry (or the lockfile) and rebuild"
        )
    return entry  # type: ignore[return-value]  # checked key by key above


def parse_lockfile(path: Path, text: str | None) -> LockDocument:
    """The lockfile ``text`` read from ``path`` (an empty one for ``None``), checked."""
    if text is None:
        return empty_lockfile()
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise LockfileError(
            f"{path} is not a valid tfjs-build lockfile ({exc}); delete it and rebuild"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("models"), dict):
        raise LockfileError(
            f"{path} is not a tfjs-build lockfile (no 'models' table); delete it and rebuild"
        )
    if document.get("version") != LOCK_VERSION:
        raise LockfileError(
            f"{path} has lockfile version {document.get('version')!r}; this tfjs-build reads version {LOCK_VERSION}"
        )
    models = {name: _check_entry(path, name, e) for name, e in document["models"].items()}
    return {"version": LOCK_VERSION, "models": models}


def read_lockfile(path: Path) -> LockDocument:
    """The lockfile's content; an empty one when it does not exist."""
    return parse_lockfile(Path(path), _read_text(Path(path)))


def render_lockfile(document: LockDocument) -> str:
    """The canonical text of a lockfile."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def update_lockfile(path: Path, changes: Iterable[Change]) -> bool:
    """Apply ``changes`` to the lockfile's models under its directory's lock; write only if the
    text changed (and never create a lockfile with no models). True when it was written."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with directory_lock(path.parent):
            before = _read_text(path)
            document = parse_lockfile(path, before)
            for change in changes:
                change(document["models"])
            if not document["models"] and before is None:
                return False
            text = render_lockfile(document)
            if text == before:
                return False
            write_text_atomically(path, text)
            return True
    except OSError as exc:
        raise TfjsBuildError(
            f"cannot write the lockfile {path}: {exc.strerror}; it is unchanged, so the models "
            "built will be found stale and restored from the build cache next time"
        ) from None


class PendingLockfile:
    """One build's view of the lockfile: read once, changed in memory, written once.

    ``models`` shows the file as read plus this build's changes. :meth:`commit` applies the
    changes to the file as it is then (re-read under the lock), so entries that another process
    wrote in the meantime are kept.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._models: dict[str, LockEntry] | None = None
        self._changes: list[Change] = []

    @property
    def models(self) -> Mapping[str, LockEntry]:
        """Every model's entry as this build sees it."""
        if self._models is None:
            self._models = dict(read_lockfile(self.path)["models"])
        return self._models

    @property
    def pending(self) -> int:
        """How many changes wait for :meth:`commit`."""
        return len(self._changes)

    def _queue(self, change: Change) -> None:
        self.models  # noqa: B018  (read before the first change, so the view includes the file)
        assert self._models is not None
        change(self._models)
        self._changes.append(change)

    def set(self, name: str, entry: LockEntry) -> None:
        """Record ``entry`` for model ``name``."""
        self._queue(lambda models: models.__setitem__(name, entry))

    def remove(self, name: str) -> None:
        """Forget model ``name``."""
        self._queue(lambda models: models.pop(name, None) and None)

    def commit(self) -> bool:
        """Write the queued changes (if they change anything); True when the file was written."""
        changes, self._changes = self._changes, []
        if not changes:
            return False
        return update_lockfile(self.path, changes)
