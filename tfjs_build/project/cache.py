"""The content-addressed build cache: published artifacts keyed by what they were built from.

A key is the sha256 of a model's source fingerprint, the settings that shape its artifact and the
converter's and TF.js's versions, so two clones, branches or CI jobs that would build the same
artifact share one entry. An entry is a directory ``v1/<key>/`` holding the artifact's files
(``parity.json`` included) and ``entry.json`` (format, file hashes, parity summary, size).

- **Filling** copies the artifact into a private directory inside the cache and renames it into
  place in one step. When two processes fill one key, the first rename wins and the other copy is
  discarded: a reader sees a complete entry or none.
- **A hit** copies the files into the output through the atomic publish, checking every file's
  sha256 on the way; a damaged entry is dropped and the model is built instead.
- **Size bound**: after each fill the least recently used entries are evicted until the cache
  fits ``cache_max_size``; ``tfjs-build cache prune`` does the same on demand.

Standard library only: a hit never imports TensorFlow or numpy.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.artifact.manifest import manifest_problems
from tfjs_build.artifact.publish import PendingSyncs, publish_directory
from tfjs_build.errors import ArtifactError
from tfjs_build.options import DEFAULT_CACHE_MAX_BYTES
from tfjs_build.parity.record import ParitySummary, checked_summary
from tfjs_build.project.fingerprint import HashCache, json_fingerprint
from tfjs_build.tool_dir import make_tool_directory

_LAYOUT = "v1"
_ENTRY = "entry.json"
_CHUNK = 1 << 20
_STALE_TEMP_SECONDS = 3600


def cache_key(
    source_fingerprint: str,
    settings: dict[str, Any],
    versions: dict[str, str],
    code: Mapping[str, Any] | None = None,
) -> str:
    """The key of the artifact built from this source with these settings, versions and custom
    ``code`` (a model's ``CodeRecord``, if it imports any)."""
    material: dict[str, Any] = {
        "source": source_fingerprint,
        "settings": settings,
        "versions": versions,
    }
    if code:
        material["code"] = code
    return json_fingerprint(material).removeprefix("sha256:")


@dataclass(frozen=True)
class CachedArtifact:
    """What a cache entry holds, as recorded when it was filled."""

    key: str
    format: str
    files: dict[str, str]
    parity: ParitySummary
    total_bytes: int
    shards: int


@dataclass(frozen=True)
class EntryInfo:
    """One entry on disk: its key, size and when it was last used."""

    key: str
    path: Path
    total_bytes: int
    last_used: float
    source: str


@dataclass(frozen=True)
class PruneReport:
    """What a prune removed and what is left."""

    removed: int
    freed_bytes: int
    kept: int
    kept_bytes: int


class CacheMiss(Exception):
    """The entry is absent, incomplete or damaged."""


class RefusedEntry(Exception):
    """An entry whose files are not the ones the caller expects (the lockfile's); it has been
    evicted. The message says how they differ."""


def files_disagreement(claimed: Mapping[str, str], expected: Mapping[str, str]) -> str | None:
    """How an entry's files (name to sha256) differ from ``expected``; None if they do not."""
    if set(claimed) != set(expected):
        return (
            f"it holds {', '.join(sorted(claimed))}, the lockfile records "
            f"{', '.join(sorted(expected))}"
        )
    for name in sorted(claimed):
        if claimed[name] != expected[name]:
            return (
                f"{name} has sha256 {claimed[name][:12]}, the lockfile records "
                f"{expected[name][:12]}"
            )
    return None


def _copy_hashing(source: Path, target: Path, buffer: bytearray) -> str:
    """Copy ``source`` to ``target`` and return the sha256 of the bytes copied.

    Failing to read ``source`` is a :class:`CacheMiss` (the entry is damaged); failing to write
    ``target`` is an ``OSError`` as raised (the entry is fine, the output's disk is not).
    """
    digest = hashlib.sha256()
    view = memoryview(buffer)
    try:
        reader = open(source, "rb")  # noqa: SIM115  (closed below, read errors told apart)
    except OSError as exc:
        raise CacheMiss(f"cannot read {source.name}: {exc.strerror}") from None
    with reader, open(target, "wb") as writer:
        while True:
            try:
                count = reader.readinto(buffer)
            except OSError as exc:
                raise CacheMiss(f"cannot read {source.name}: {exc.strerror}") from None
            if not count:
                break
            digest.update(view[:count])
            writer.write(view[:count])
    return digest.hexdigest()


def model_json_problem(directory: Path, names: Iterable[str]) -> str | None:
    """What is wrong with the artifact in ``directory`` (of the files ``names``) by its
    ``model.json``: a listed shard missing or of a size its weights do not need; None if
    nothing."""
    try:
        document = json.loads((directory / MODEL_JSON).read_text(encoding="utf-8"))
        sizes = {name: (directory / name).stat().st_size for name in names}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"unreadable: {exc}"
    problems = manifest_problems(document, sizes)
    return problems[0] if problems else None


def _file_sha256(path: Path) -> str:
    """The sha256 of the file at ``path``; :class:`CacheMiss` if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as reader:
            while chunk := reader.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise CacheMiss(f"cannot read {path.name}: {exc.strerror}") from None
    return digest.hexdigest()


class BuildCache:
    """A cache directory of published artifacts (see the module docstring)."""

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_CACHE_MAX_BYTES) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._entries = self.directory / _LAYOUT
        self._temp = self.directory / "tmp"

    def entry_path(self, key: str) -> Path:
        """Where the entry for ``key`` lives (whether or not it exists)."""
        return self._entries / key

    def staging_directory(self, prefix: str) -> Path:
        """A new private directory inside the cache (on its file system, so that its files can be
        renamed in); ``prune`` removes it once it has been abandoned for an hour."""
        make_tool_directory(self.directory)
        self._temp.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self._temp))

    def has(self, key: str) -> bool:
        """Whether a complete entry for ``key`` seems to be there (reads nothing but its name;
        :meth:`lookup` checks it)."""
        return (self.entry_path(key) / _ENTRY).is_file()

    def lookup(self, key: str, *, discard: bool = True) -> CachedArtifact | None:
        """The recorded description of ``key``'s entry, or None if there is no complete entry.

        An entry whose ``entry.json`` cannot be read or understood is dropped (the next build
        refills it) unless ``discard`` is false.
        """
        record = self.entry_path(key) / _ENTRY
        if not record.exists():
            return None
        try:
            document = json.loads(record.read_text(encoding="utf-8"))
            return CachedArtifact(
                key=key,
                format=str(document["format"]),
                files={str(k): str(v) for k, v in document["files"].items()},
                parity=checked_summary(document["parity"]),
                total_bytes=int(document["total_bytes"]),
                shards=int(document["shards"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            if discard:
                self._discard(self.entry_path(key))
            return None

    def _check_against_model_json(self, entry: Path, cached: CachedArtifact) -> None:
        """Raise :class:`CacheMiss` unless the entry holds every shard its ``model.json`` lists,
        of the sizes its weights need."""
        problem = model_json_problem(entry, cached.files)
        if problem is not None:
            raise CacheMiss(problem)

    def problem(self, key: str) -> str | None:
        """What is wrong with ``key``'s entry (its record, its ``model.json``, a file's hash),
        or None when it is whole. Reads every file; changes nothing."""
        cached = self.lookup(key, discard=False)
        entry = self.entry_path(key)
        if cached is None:
            return f"its {_ENTRY} is missing or malformed"
        if MODEL_JSON not in cached.files:
            return f"it holds no {MODEL_JSON}"
        try:
            self._check_against_model_json(entry, cached)
            for name, expected in cached.files.items():
                if Path(name).name != name or name in ("", ".", "..", _ENTRY):
                    return f"it names an unsafe file {name!r}"
                if _file_sha256(entry / name) != expected:
                    return f"{name} does not match its recorded hash"
        except CacheMiss as exc:
            return str(exc)
        return None

    def restore(
        self,
        key: str,
        output: Path,
        hashes: HashCache | None = None,
        expected: Mapping[str, str] | None = None,
        later: PendingSyncs | None = None,
    ) -> CachedArtifact | None:
        """Publish ``key``'s artifact to ``output``; None (and ``output`` untouched) on a miss.
        ``later`` takes the directories to flush to disk (see ``publish_directory``).

        With ``expected`` (the files, name to sha256, the lockfile records for a build from the
        same inputs) an entry that records other files is evicted and :class:`RefusedEntry`
        raised: its hashes are its own claims, the lockfile's are the project's. The entry is
        checked against its ``model.json`` (every listed shard present, of the right size) and
        every file against its recorded sha256 while it is copied; an entry that fails a check
        is removed so the next build refills it. Failing to write ``output`` (a full or
        read-only disk) raises ``ArtifactError`` naming it and keeps the entry.
        """
        cached = self.lookup(key)
        if cached is None or MODEL_JSON not in cached.files:
            return None
        if expected is not None and (problem := files_disagreement(cached.files, expected)):
            self._discard(self.entry_path(key))
            raise RefusedEntry(problem)
        entry = self.entry_path(key)
        buffer = bytearray(_CHUNK)

        def fill(staging: Path) -> None:
            for name, expected in cached.files.items():
                if Path(name).name != name or name in ("", ".", "..", _ENTRY):
                    raise CacheMiss(f"unsafe file name {name!r}")
                if _copy_hashing(entry / name, staging / name, buffer) != expected:
                    raise CacheMiss(f"{name} does not match its recorded hash")

        try:
            self._check_against_model_json(entry, cached)
            publish_directory(Path(output), fill, later=later)
        except CacheMiss:
            self._discard(entry)
            return None
        except OSError as exc:
            where = exc.filename or output
            raise ArtifactError(
                f"cannot restore the cached artifact into {output}: {exc.strerror} ({where}); "
                "the cache entry is kept"
            ) from None
        with contextlib.suppress(OSError):
            os.utime(entry / _ENTRY)
        if hashes is not None:
            for name, digest in cached.files.items():
                hashes.remember(Path(output) / name, digest)
        return cached

    def store(
        self,
        key: str,
        artifact_dir: Path,
        files: dict[str, str],
        parity: ParitySummary,
        *,
        format: str,
        source: str = "",
        prune: bool = True,
        checked: bool = False,
    ) -> bool:
        """Copy the published artifact in ``artifact_dir`` into the cache under ``key``.

        ``checked``: ``artifact_dir`` is a staging directory of this cache holding exactly
        ``files``, each already checked against its sha256 (a fetched remote entry); it is
        moved into place rather than copied (and is gone afterwards either way). Returns False
        when an entry for ``key`` already exists (a concurrent or earlier fill won) or the
        artifact is larger than the whole cache may be.
        """
        if checked:
            staging = Path(artifact_dir)
        elif _ENTRY in files:
            return False
        else:
            staging = self.staging_directory(f"fill-{os.getpid()}-")
        try:
            total = sum((Path(artifact_dir) / name).stat().st_size for name in files)
            if _ENTRY in files or total > self.max_bytes or self.lookup(key) is not None:
                return False
            buffer = bytearray(_CHUNK)
            for name, expected in () if checked else files.items():
                if _copy_hashing(Path(artifact_dir) / name, staging / name, buffer) != expected:
                    return False  # the artifact changed under us; do not cache it
            record = {
                "format": format,
                "files": files,
                "parity": parity,
                "total_bytes": total,
                "shards": sum(1 for n in files if n.endswith(".bin")),
                "source": source,
                "created": time.time(),
            }
            (staging / _ENTRY).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
            self._entries.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(staging, self.entry_path(key))
            except OSError:
                return False  # another process filled this key first; its entry is as good
            if prune:
                self.prune()
            return True
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def entry_keys(self) -> list[str]:
        """The key of every entry directory, complete or not, sorted."""
        with contextlib.suppress(FileNotFoundError):
            return sorted(p.name for p in self._entries.iterdir() if p.is_dir())
        return []

    def entries(self) -> list[EntryInfo]:
        """Every complete entry, least recently used first."""
        found = []
        with contextlib.suppress(FileNotFoundError):
            for path in self._entries.iterdir():
                with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                    record_path = path / _ENTRY
                    record = json.loads(record_path.read_text(encoding="utf-8"))
                    found.append(
                        EntryInfo(
                            key=path.name,
                            path=path,
                            total_bytes=int(record["total_bytes"]),
                            last_used=record_path.stat().st_mtime,
                            source=str(record.get("source", "")),
                        )
                    )
        return sorted(found, key=lambda e: (e.last_used, e.key))

    def prune(self, max_bytes: int | None = None) -> PruneReport:
        """Evict least recently used entries until the rest fit ``max_bytes`` (default: the bound).

        Incomplete entries and fills abandoned over an hour ago are removed too.
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        self._remove_abandoned()
        entries = self.entries()
        total = sum(e.total_bytes for e in entries)
        removed = freed = 0
        for entry in entries:
            if total <= limit:
                break
            if self._discard(entry.path):
                removed += 1
                freed += entry.total_bytes
            total -= entry.total_bytes
        return PruneReport(removed, freed, len(entries) - removed, total)

    def _remove_abandoned(self) -> None:
        now = time.time()
        with contextlib.suppress(FileNotFoundError):
            for path in self._entries.iterdir():
                if not (path / _ENTRY).is_file():
                    self._discard(path)
        with contextlib.suppress(FileNotFoundError):
            for path in self._temp.iterdir():
                with contextlib.suppress(OSError):
                    if now - path.stat().st_mtime > _STALE_TEMP_SECONDS:
                        shutil.rmtree(path, ignore_errors=True)

    def _discard(self, entry: Path) -> bool:
        """Remove an entry: renamed out of sight first, so no reader finds half of it."""
        self._temp.mkdir(parents=True, exist_ok=True)
        doomed = Path(tempfile.mkdtemp(prefix="evict-", dir=self._temp))
        try:
            os.rename(entry, doomed / "entry")
        except OSError:
            return False
        finally:
            shutil.rmtree(doomed, ignore_errors=True)
        return True
