"""Publish an artifact directory atomically: write it beside the old one, then swap.

A reader sees the old artifact or the new one, never a mix; an interrupted build (crash, kill,
Ctrl-C) leaves the old one as it was; no stale shard of an earlier build survives. On Linux the
swap is one ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames, recovered on the next publish.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tfjs_build.artifact.format import MODEL_JSON, SIDE_FILES
from tfjs_build.dirlock import directory_lock
from tfjs_build.errors import ArtifactError, TfjsBuildError
from tfjs_build.leftovers import remove_orphans
from tfjs_build.tool_dir import make_tool_directory

T = TypeVar("T")

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _sibling(output: Path, role: str) -> Path:
    return output.parent / f".{output.name}.tfjs-build-{role}"


def leftovers(output: Path) -> list[Path]:
    """Hidden siblings of ``output`` that a publish in progress (or an interrupted one) made."""
    return sorted(Path(output).parent.glob(f".{Path(output).name}.tfjs-build-*"))


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths; False where the platform or filesystem cannot."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name, use_errno=True) if name else None
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _fsync_directory(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class PendingSyncs:
    """Directories to flush to disk later, together: a run that restores many artifacts pays for
    one journal commit at its end, before it writes the lockfile that names them, rather than
    two per artifact. Until then a crash may leave a published directory short of entries: the
    lockfile still describes the previous state, so ``check`` finds it stale and the next run
    restores it again."""

    def __init__(self) -> None:
        self._paths: dict[Path, None] = {}
        self._lock = threading.Lock()

    def add(self, *paths: Path) -> None:
        with self._lock:
            self._paths.update(dict.fromkeys(paths))

    @property
    def pending(self) -> tuple[Path, ...]:
        """The directories to flush, in the order they were added."""
        with self._lock:
            return tuple(self._paths)

    def flush(self) -> None:
        """fsync every directory added since the last flush, once each."""
        with self._lock:
            paths, self._paths = list(self._paths), {}
        for path in paths:
            _fsync_directory(path)


def _recover(output: Path) -> None:
    """Undo what an interrupted publish left behind (called under the directory lock)."""
    old = _sibling(output, "old")
    if old.exists():
        if not output.exists():
            old.rename(output)
        else:
            shutil.rmtree(old, ignore_errors=True)
    remove_orphans(output.parent, f".{output.name}.tfjs-build-new-")


def artifact_files(directory: Path) -> set[str] | None:
    """The names of the files an artifact in ``directory`` consists of (``model.json``, the shards
    its weights manifest lists, the files a build writes beside them), or ``None`` when there is
    no readable ``model.json``."""
    try:
        document = json.loads((directory / MODEL_JSON).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    names = {MODEL_JSON, *SIDE_FILES}
    manifest = document.get("weightsManifest") if isinstance(document, dict) else None
    for group in manifest if isinstance(manifest, list) else []:
        paths = group.get("paths") if isinstance(group, dict) else None
        for path in paths if isinstance(paths, list) else []:
            if isinstance(path, str) and path and Path(path).name == path:
                names.add(path)
    return names


def foreign_entries(directory: Path) -> list[str]:
    """What in ``directory`` is not part of the artifact there (everything, when there is none),
    sorted: files a user keeps there, subdirectories, links."""
    if not directory.is_dir():
        return []
    owned = artifact_files(directory) or set()
    return sorted(
        entry.name
        for entry in directory.iterdir()
        if entry.name not in owned or entry.is_symlink() or not entry.is_file()
    )


def _check_replaceable(output: Path) -> None:
    if output.is_symlink() or (output.exists() and not output.is_dir()):
        raise ArtifactError(f"refusing to replace {output}: it is not a directory")
    foreign = foreign_entries(output)
    if foreign:
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise ArtifactError(
            f"refusing to replace {output}: it holds {foreign[0]}{more}, which is not part of a "
            "TF.js artifact and would be lost; move it away or choose an output directory of "
            "its own"
        )


def _swap_in(staging: Path, output: Path, later: PendingSyncs | None) -> None:
    if later is None:
        _fsync_directory(staging)
    if output.exists():
        if _exchange(staging, output):
            shutil.rmtree(staging, ignore_errors=True)
        else:
            old = _sibling(output, "old")
            output.rename(old)
            staging.rename(output)
            shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(output)
    if later is None:
        _fsync_directory(output.parent)
    else:
        later.add(output, output.parent)


def _keep_rejected(staging: Path, target: Path) -> None:
    """Move the rejected ``staging`` to ``target``, replacing an earlier rejected build; keep
    nothing when that fails (a full disk must not hide why the build was rejected)."""
    shutil.rmtree(target, ignore_errors=True)
    try:
        make_tool_directory(target.parent)  # git-ignored where it is new
        try:
            staging.rename(target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            shutil.copytree(staging, target)  # another filesystem; staging is removed after
    except OSError:
        shutil.rmtree(target, ignore_errors=True)


def publish_directory(
    output: Path,
    fill: Callable[[Path], T],
    *,
    verify: Callable[[Path], None] | None = None,
    rejected: Path | None = None,
    later: PendingSyncs | None = None,
) -> T:
    """Build a new ``output`` directory with ``fill(staging)`` and swap it in if ``verify`` passes.

    When ``verify(staging)`` raises an ``ArtifactError``-like ``TfjsBuildError`` (it rejected the
    build), the old ``output`` stays untouched and, given ``rejected``, the rejected build is moved
    there (replacing an earlier one) before the error propagates. An interrupt or any other
    failure keeps nothing. A build that is published removes an earlier rejected one. The new
    directory's entries and the swap are flushed to disk before this returns, or, given
    ``later``, when the caller flushes it.
    """
    output = Path(os.path.abspath(output))
    output.parent.mkdir(parents=True, exist_ok=True)
    _check_replaceable(output)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{output.name}.tfjs-build-new-{os.getpid()}-", dir=output.parent)
    )
    try:
        result = fill(staging)
        if verify is not None:
            try:
                verify(staging)
            except TfjsBuildError:
                if rejected is not None:
                    _keep_rejected(staging, rejected)
                raise
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
        with directory_lock(output.parent):
            _recover(output)
            _check_replaceable(output)
            _swap_in(staging, output, later)
        if rejected is not None and rejected.exists():
            shutil.rmtree(rejected, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return result
