"""A build cache on object storage or a shared disk: where things are, what is checked, what a
failure means.

Under the URL (``s3://bucket/prefix``, ``gs://...``, ``az://...``, ``file:///shared/dir``):

- ``v1/entries/<key>.json``, an entry's manifest (:mod:`tfjs_build.project.remote_manifest`),
  keyed like the local cache; files of at most :data:`INLINE_BYTES` travel inside it, so a small
  model is one request;
- ``v1/blobs/<sha256>``, each larger file, named by its content.

A pusher holding a signing key signs each manifest (its ``signature`` field,
:mod:`tfjs_build.project.cache_signing`); a store given trusted keys takes an entry without a
valid signature by one of them as :class:`Unsigned`.

A push uploads the blobs first and the manifest last, so a reader finds a whole entry or none.
Blobs are named by their content and a manifest only names blobs by content, so two machines
pushing one key write equivalent entries and harm nothing. A fetch checks every file against its
sha256 and size before it writes it anywhere.

The bytes travel through a transport (:mod:`tfjs_build.project.remote_transport`: obstore or
fsspec, chosen by :mod:`tfjs_build.project.remote_clients`), imported when a store is opened,
never when this module is. Reads go in batches (one round of concurrent requests for many paths).
Every operation is retried with backoff; a remote that still fails raises
:class:`~tfjs_build.errors.RemoteCacheError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from tfjs_build.errors import RemoteCacheError, RemoteDenied
from tfjs_build.parity.record import ParitySummary
from tfjs_build.project.cache_signing import PublicKey, SecretKey, Unsigned, check_signature, sign
from tfjs_build.project.remote_clients import AUTO, open_transport
from tfjs_build.project.remote_manifest import (
    DamagedEntry,
    Manifest,
    RemoteFile,
    file_record,
    inline_data,
    new_manifest,
    parse_manifest,
    sha256_hex,
    unsigned_part,
    with_signature,
    write_checked,
)
from tfjs_build.project.remote_transport import Deadline, Listed

T = TypeVar("T")

LAYOUT = "v1"
INLINE_BYTES = 64 * 1024
"""Files up to this size travel inside the manifest."""
BATCH_BYTES = 64 * 1024 * 1024
"""Blobs read in one batch hold at most this much memory."""


class ChangedArtifact(Exception):
    """A file to push no longer has the hash it was built with."""


def _describe(exc: BaseException) -> str:
    """``ErrorType: first line of the message``."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _count(count: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{count} {noun if count == 1 else plural}"


def _batches(
    blobs: list[tuple[str, str, RemoteFile]],
) -> Iterator[list[tuple[str, str, RemoteFile]]]:
    """``blobs`` in consecutive batches of at most :data:`BATCH_BYTES` (a larger one alone)."""
    batch: list[tuple[str, str, RemoteFile]] = []
    size = 0
    for blob in blobs:
        if batch and size + blob[2]["size"] > BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(blob)
        size += blob[2]["size"]
    if batch:
        yield batch


class RemoteStore:
    """The remote cache at one URL (see the module docstring). Safe to use from several threads."""

    def __init__(
        self,
        url: str,
        *,
        attempts: int = 3,
        backoff: float = 0.25,
        timeout: float = 30,
        inline_bytes: int = INLINE_BYTES,
        trusted: tuple[PublicKey, ...] = (),
        signer: SecretKey | None = None,
        client: str = AUTO,
    ) -> None:
        self.url = url.rstrip("/")
        self.trusted = trusted
        self.signer = signer
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.inline_bytes = inline_bytes
        self.transport = open_transport(self.url, client, timeout)
        root = self.transport.root
        self._base = f"{root}/{LAYOUT}" if root else LAYOUT

    # ------------------------------------------------------------------------------ paths
    def entries_dir(self) -> str:
        return f"{self._base}/entries"

    def blobs_dir(self) -> str:
        return f"{self._base}/blobs"

    def manifest_path(self, key: str) -> str:
        return f"{self.entries_dir()}/{key}.json"

    def blob_path(self, sha256: str) -> str:
        return f"{self.blobs_dir()}/{sha256}"

    # ------------------------------------------------------------------------ operations
    def _call(self, what: str, operation: Callable[[], T], *, reading: bool = True) -> T:
        """``operation()``, tried up to ``attempts`` times with growing pauses.

        A missing file is an answer to a read (``FileNotFoundError`` passes through) and a
        failure of a write (no such bucket); a refusal is not retried (:class:`RemoteDenied`),
        nor is an operation that outlived the deadline (the backend retried within it); anything
        else the backend raises (botocore, aiohttp, OSError: each backend has its own) is
        retried, then becomes :class:`RemoteCacheError`.
        """
        failure: BaseException | None = None
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 4 ** (attempt - 1))
            try:
                return operation()
            except FileNotFoundError as exc:
                if reading:
                    raise
                raise RemoteCacheError(f"{self.url}: {what}: not found ({exc})") from None
            except PermissionError as exc:
                raise RemoteDenied(f"{self.url}: {what}: access denied ({exc})") from None
            except Deadline:
                raise self._too_late(what) from None
            except Exception as exc:  # any failure of the backend means "unavailable"
                failure = exc
        assert failure is not None
        raise RemoteCacheError(
            f"{self.url}: {what} failed {self.attempts} times ({_describe(failure)})"
        )

    def _read_many(self, paths: list[str], what: str) -> dict[str, bytes | None]:
        """The bytes at each of ``paths``, None where there is nothing, read in one batch:
        concurrently where the backend is asynchronous (s3fs, gcsfs, adlfs). Reads that fail are
        retried like :meth:`_call`'s operations; a refusal raises :class:`RemoteDenied`."""
        found: dict[str, bytes | None] = {}
        pending = list(dict.fromkeys(paths))
        failure: BaseException | None = None
        for attempt in range(self.attempts):
            if not pending:
                break
            if attempt:
                time.sleep(self.backoff * 4 ** (attempt - 1))
            try:
                results = self.transport.read_many(pending)
            except Deadline:
                raise self._too_late(what) from None
            except Exception as exc:  # the whole batch failed
                failure = exc
                continue
            retry = []
            for path in pending:
                value = results.get(path, failure)
                if isinstance(value, bytes):
                    found[path] = value
                elif isinstance(value, FileNotFoundError):
                    found[path] = None
                elif isinstance(value, PermissionError):
                    raise RemoteDenied(f"{self.url}: {what}: access denied ({value})")
                elif isinstance(value, Deadline):
                    raise self._too_late(what)
                else:
                    failure = value
                    retry.append(path)
            pending = retry
        if pending:
            reason = _describe(failure) if failure is not None else "no answer"
            raise RemoteCacheError(f"{self.url}: {what} failed {self.attempts} times ({reason})")
        return found

    def _too_late(self, what: str) -> RemoteCacheError:
        return RemoteCacheError(
            f"{self.url}: {what}: no answer within {self.timeout:g} s (cache_remote_timeout)"
        )

    def _write(self, path: str, data: bytes, what: str) -> None:
        self._call(what, lambda: self.transport.write(path, data), reading=False)

    def _exists(self, path: str, what: str) -> bool:
        return self._call(what, lambda: self.transport.exists(path))

    # ---------------------------------------------------------------------------- fetch
    def read_entries(self, keys: list[str]) -> dict[str, Manifest | DamagedEntry | Unsigned | None]:
        """The manifest of each of ``keys`` (None: no such entry), read in one batch; with
        trusted keys, :class:`Unsigned` for one that none of them signed."""
        paths = {key: self.manifest_path(key) for key in keys}
        read = self._read_many(list(paths.values()), f"reading {_count(len(keys), 'entry')}")
        found: dict[str, Manifest | DamagedEntry | Unsigned | None] = {}
        for key, path in paths.items():
            raw = read[path]
            try:
                found[key] = None if raw is None else parse_manifest(raw, key)
                if raw is not None and self.trusted:
                    check_signature(self.trusted, key, *unsigned_part(raw))
            except (DamagedEntry, Unsigned) as exc:
                found[key] = exc
        return found

    def download(
        self, manifests: list[Manifest], directories: dict[str, Path]
    ) -> dict[str, DamagedEntry | None]:
        """Write each entry's files into ``directories[key]``, each checked against its size and
        sha256 first; the blobs of all the entries are read in batches of at most
        :data:`BATCH_BYTES`. Returns each key's problem, None for an entry written whole."""
        problems: dict[str, DamagedEntry | None] = {m["key"]: None for m in manifests}

        def write(key: str, name: str, record: RemoteFile, data: bytes | None) -> None:
            if problems[key] is None:
                try:
                    if data is None:
                        raise DamagedEntry(f"{name} is missing")
                    write_checked(directories[key], name, record, data)
                except DamagedEntry as exc:
                    problems[key] = exc

        blobs: list[tuple[str, str, RemoteFile]] = []
        for manifest in manifests:
            for name, record in manifest["files"].items():
                if "data" not in record:
                    blobs.append((manifest["key"], name, record))
                    continue
                try:
                    write(manifest["key"], name, record, inline_data(name, record))
                except DamagedEntry as exc:
                    problems[manifest["key"]] = exc
        for batch in _batches(blobs):
            paths = [self.blob_path(record["sha256"]) for _, _, record in batch]
            read = self._read_many(paths, f"reading {_count(len(paths), 'file')}")
            for (key, name, record), path in zip(batch, paths, strict=True):
                write(key, name, record, read[path])
        return problems

    # ----------------------------------------------------------------------------- push
    def push(
        self,
        key: str,
        directory: Path,
        files: dict[str, str],
        *,
        format: str,
        parity: ParitySummary,
        source: str,
        replace: bool = False,
    ) -> bool:
        """Upload the artifact in ``directory`` (``files``: name to sha256) as ``key``'s entry.

        False when the entry exists already (entries are immutable; ``replace`` overwrites a
        damaged one). Each file is read and checked against its sha256 before it is uploaded
        (:class:`ChangedArtifact` otherwise); the manifest goes last.
        """
        if not replace and self._pushed(key):
            return False
        records: dict[str, RemoteFile] = {}
        for name, expected in sorted(files.items()):
            data = (directory / name).read_bytes()
            if sha256_hex(data) != expected:
                raise ChangedArtifact(f"{name} changed since it was built")
            records[name] = file_record(data, expected, self.inline_bytes)
            if "data" in records[name]:
                continue
            if replace or not self._exists(self.blob_path(expected), f"looking up {name}"):
                self._write(self.blob_path(expected), data, f"uploading {name}")
        encoded = new_manifest(key, format, parity, source, records)
        if self.signer is not None:
            encoded = with_signature(encoded, sign(self.signer, key, encoded))
        self._write(self.manifest_path(key), encoded, f"uploading entry {key[:12]}")
        return True

    def _pushed(self, key: str) -> bool:
        """Whether ``key``'s entry exists (signed, when this store signs what it pushes: an
        unsigned one is replaced)."""
        what = f"looking up entry {key[:12]}"
        if self.signer is None:
            return self._exists(self.manifest_path(key), what)
        raw = self._read_many([self.manifest_path(key)], what)[self.manifest_path(key)]
        try:
            return raw is not None and unsigned_part(raw)[1] is not None
        except (UnicodeDecodeError, ValueError, AttributeError):
            return False  # not even JSON: replace it

    # ------------------------------------------------------------------------- listing
    def listing(self, path: str, what: str) -> list[Listed]:
        """The objects directly under ``path`` (none if it is absent)."""
        return self._call(what, lambda: self.transport.listing(path))

    def remove(self, path: str, what: str) -> None:
        """Remove the object at ``path``."""
        self._call(what, lambda: self.transport.remove(path), reading=False)
