"""Content fingerprints of model sources and artifacts, with a stat cache so unchanged files are
not read again.

A file's fingerprint is the sha256 of its bytes; a directory's (a SavedModel) covers every file
under it, names included, so an added, removed or changed file under ``variables/`` or ``assets/``
changes it while touching a file without changing it does not. Standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from tfjs_build.tool_dir import make_tool_directory

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def source_files(path: Path) -> list[Path]:
    """The files a source consists of: itself, or every file under a directory, sorted."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path]


class HashCache:
    """Remembers file hashes by (size, mtime, inode) so an untouched file is hashed once.

    A touched file whose content is unchanged is re-hashed, found equal, and so still fresh.
    The cache is a plain JSON file (by default ``.tfjs-build/hash-cache.json``); losing it only
    costs time.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._entries: dict[str, list[object]] = {}
        self._dirty = False
        if path is not None:
            with contextlib.suppress(OSError, ValueError):
                loaded = json.loads(Path(path).read_text())
                if isinstance(loaded, dict):
                    self._entries = loaded

    def file_hash(self, path: Path) -> str:
        """sha256 of ``path``, from the cache when its size, mtime and inode are unchanged."""
        stat = os.stat(path)
        key = os.path.abspath(path)
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        cached = self._entries.get(key)
        if cached is not None and cached[:3] == stamp:
            return str(cached[3])
        digest = sha256_file(Path(path))
        self._entries[key] = [*stamp, digest]
        self._dirty = True
        return digest

    def remember(self, path: Path, digest: str) -> None:
        """Record ``digest`` as the hash of ``path`` as it is now (for files just written)."""
        stat = os.stat(path)
        self._entries[os.path.abspath(path)] = [stat.st_size, stat.st_mtime_ns, stat.st_ino, digest]
        self._dirty = True

    def save(self) -> None:
        """Write the cache back if it changed (atomically; failures are ignored)."""
        if self.path is None or not self._dirty:
            return
        with contextlib.suppress(OSError):
            make_tool_directory(self.path.parent)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".hash-cache-")
            with os.fdopen(fd, "w") as handle:
                json.dump(self._entries, handle)
            os.replace(tmp, self.path)
            self._dirty = False


def tree_fingerprint(path: Path, cache: HashCache | None = None) -> str:
    """``sha256:`` of a source: its bytes, or for a directory every relative name and file hash."""
    path = Path(path)
    cache = cache or HashCache()
    if not path.is_dir():
        return "sha256:" + cache.file_hash(path)
    digest = hashlib.sha256()
    for file in source_files(path):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(cache.file_hash(file).encode() + b"\n")
    return "sha256:" + digest.hexdigest()


def json_fingerprint(value: object) -> str:
    """``sha256:`` of a JSON-serializable value in canonical form (sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
