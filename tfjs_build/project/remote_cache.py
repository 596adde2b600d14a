"""The remote build cache as one run uses it: fetched into the local cache, pushed in the
background, and never the reason a build fails.

A :class:`~tfjs_build.project.session.BuildSession` with ``cache_remote`` set holds one
:class:`RemoteCache`. A stale model missing from the local cache is fetched from the remote into
the local cache (every file checked against its sha256), then restored from there like any local
hit. :meth:`RemoteCache.prefetch` starts those fetches for many models at once: :data:`CHUNK`
entries to a batch of requests (sent concurrently by asynchronous backends such as s3fs), several
batches at a time in worker threads, each model's entry available as soon as its batch is in. A
model that was converted is pushed in the background; :meth:`RemoteCache.finish` waits for the
pushes.

What goes wrong becomes a note for the session to report, never an exception: a damaged remote
entry is ignored (and replaced by the next push); a remote that cannot be reached after the
retries is left alone for the rest of the run, said once; a remote that refuses writes stops the
pushes, said once. The remote is opened (and fsspec imported) on first use.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from pathlib import Path

from tfjs_build.errors import ConfigError, MissingDependencyError, RemoteDenied, TfjsBuildError
from tfjs_build.parity.record import ParitySummary
from tfjs_build.project.cache import BuildCache
from tfjs_build.project.cache_signing import PublicKey, SecretKey, Unsigned
from tfjs_build.project.remote_manifest import DamagedEntry, Manifest
from tfjs_build.project.remote_store import ChangedArtifact, RemoteStore

WORKERS = 4
"""Batches of transfers in flight at once."""
CHUNK = 16
"""Entries fetched in one batch of requests."""

READ_ONLY_HINT = "--no-cache-push, or `cache_push = false` in [tool.tfjs-build]"


class RemoteCache:
    """One run's use of the remote cache at ``url`` next to the local ``cache``."""

    def __init__(
        self,
        url: str,
        cache: BuildCache,
        *,
        push: bool = True,
        timeout: float = 30,
        client: str = "auto",
        workers: int = WORKERS,
        trusted: tuple[PublicKey, ...] = (),
        signer: SecretKey | None = None,
    ) -> None:
        self.url = url
        self.trusted = trusted
        self.signer = signer
        self.timeout = timeout
        self.client = client
        self.cache = cache
        self.push_enabled = push
        self.workers = workers
        self._lock = threading.Lock()
        self._opening = threading.Lock()
        self._store: RemoteStore | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pid = os.getpid()
        self._fetches: dict[str, Future[bool]] = {}
        self._pushes: list[Future[bool]] = []
        self._fetched: set[str] = set()
        self._damaged: set[str] = set()
        self._notes: list[tuple[str | None, str]] = []
        self._unavailable = False
        self._said: set[str] = set()

    # --------------------------------------------------------------------------- helpers
    def _executor(self) -> ThreadPoolExecutor:
        """The worker threads (started on first use)."""
        self._after_fork()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="tfjs-build-remote")
        return self._pool

    def _after_fork(self) -> None:
        """In a forked process (``doit -n``), forget the parent's threads, transfers and
        connections: none of them exists here."""
        if self._pid != os.getpid():
            self._pool, self._store, self._fetches, self._pushes = None, None, {}, []
            self._lock, self._opening = threading.Lock(), threading.Lock()
            self._pid = os.getpid()

    def _opened(self) -> RemoteStore:
        with self._opening:  # importing the backend takes a while: not under self._lock
            if self._store is None:
                self._store = RemoteStore(
                    self.url,
                    timeout=self.timeout,
                    trusted=self.trusted,
                    signer=self.signer,
                    client=self.client,
                )
            return self._store

    def _note(self, name: str | None, message: str) -> None:
        with self._lock:
            self._notes.append((name, message))

    def _say_once(self, topic: str, message: str) -> None:
        """A note about the whole run (no model's name), made once per ``topic``."""
        with self._lock:
            if topic in self._said:
                return
            self._said.add(topic)
        self._note(None, message)

    def _give_up(self, error: TfjsBuildError) -> None:
        """Stop using the remote for the rest of the run, and say so once."""
        self._unavailable = True
        message = f"remote cache unavailable: {error}; building without it for the rest of this run"
        self._say_once("unavailable", message)

    def notes(self) -> list[tuple[str | None, str]]:
        """``(model name, message)`` for each problem since the last call, oldest first; the name
        is None for a problem of the whole run (the remote unreachable, refusing access)."""
        with self._lock:
            taken, self._notes = self._notes, []
        return taken

    def from_remote(self, key: str) -> bool:
        """Whether this run brought ``key``'s entry into the local cache from the remote (its
        prefetch, if one is under way, is waited for: it may have just filled the entry)."""
        future = self._fetches.get(key)
        if future is not None:
            with contextlib.suppress(CancelledError):
                future.result()
        return key in self._fetched

    # ----------------------------------------------------------------------------- fetch
    def prefetch(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Start fetching the entries of ``(model name, key)`` pairs missing from the local
        cache, :data:`CHUNK` entries to a batch, each batch as soon as it is full (so the remote
        is opened and the first batches are under way while ``wanted`` is still computing)."""
        pool = self._executor()
        chunk: dict[str, str] = {}
        opening = self._store is None and not self._unavailable
        for name, key in wanted:
            if key in self._fetches or key in chunk.values() or self.cache.lookup(key) is not None:
                continue  # two models built alike share one entry
            if opening:  # the first entry to fetch: open the remote while the keys are computed
                pool.submit(self._open_early)
                opening = False
            chunk[name] = key
            if len(chunk) == CHUNK:
                self._submit(pool, chunk)
                chunk = {}
        if chunk:
            self._submit(pool, chunk)

    def _open_early(self) -> None:
        with contextlib.suppress(TfjsBuildError):  # said by the first fetch that needs it
            self._opened()

    def _submit(self, pool: ThreadPoolExecutor, chunk: dict[str, str]) -> None:
        futures = {key: Future[bool]() for key in chunk.values()}
        self._fetches.update(futures)
        pool.submit(self._settle, chunk, futures)

    def _settle(self, chunk: dict[str, str], futures: dict[str, Future[bool]]) -> None:
        """Fetch the entries of ``chunk`` (names to keys) whose futures were not cancelled."""
        running = [key for key, future in futures.items() if future.set_running_or_notify_cancel()]
        try:
            fetched = self._fetch({n: k for n, k in chunk.items() if k in running})
        except BaseException as exc:  # a bug: whoever waits for these entries sees it
            for key in running:
                futures[key].set_exception(exc)
            raise
        for key in running:
            futures[key].set_result(fetched[key])

    def fetch(self, name: str, key: str) -> bool:
        """Bring ``key``'s entry from the remote into the local cache (waiting for its prefetch,
        if one was started); True when the local cache now holds it."""
        self._after_fork()
        future = self._fetches.pop(key, None)
        if future is not None:
            try:
                return future.result()
            except CancelledError:
                pass
        return self._fetch({name: key})[key]

    def _fetch(self, wanted: dict[str, str]) -> dict[str, bool]:
        """Fetch the entries of ``wanted`` (model names to keys) into the local cache in one
        batch of requests; which of them the local cache now holds."""
        fetched = dict.fromkeys(wanted.values(), False)
        if self._unavailable or not wanted:
            return fetched
        names = {key: name for name, key in wanted.items()}
        try:
            store = self._opened()
            manifests = []
            for key, found in store.read_entries(list(names)).items():
                if isinstance(found, DamagedEntry):
                    self._ignore_damaged(names[key], key, found)
                elif isinstance(found, Unsigned):
                    self._ignore_unsigned(key, found)
                elif found is not None:
                    manifests.append(found)
            staging = {m["key"]: self.cache.staging_directory("remote-") for m in manifests}
            try:
                problems = store.download(manifests, staging)
                for manifest in manifests:
                    key = manifest["key"]
                    if (problem := problems[key]) is not None:
                        self._ignore_damaged(names[key], key, problem)
                    else:
                        fetched[key] = self._add_locally(names[key], manifest, staging[key])
            finally:
                for directory in staging.values():
                    shutil.rmtree(directory, ignore_errors=True)
        except RemoteDenied as exc:
            self._say_once("read denied", f"{exc}; taken as a miss")
        except TfjsBuildError as exc:  # unreachable, or its backend is not installed
            self._give_up(exc)
        except OSError as exc:  # the local cache could not take them
            self._note(names[next(iter(names))], f"could not fetch from the remote cache: {exc}")
        return fetched

    def refuse(self, key: str) -> None:
        """``key``'s fetched entry was refused (it disagrees with the lockfile): the next push of
        ``key`` replaces it."""
        with self._lock:
            self._damaged.add(key)

    def _ignore_unsigned(self, key: str, problem: Unsigned) -> None:
        """Take an entry no trusted key signed as absent (a signing push replaces it); said once
        per run, naming the first."""
        with self._lock:
            self._damaged.add(key)
        message = (
            f"entries of the remote cache not signed by a key in cache_trusted_keys are taken as "
            f"absent (the first: {key[:12]}, {problem})"
        )
        self._say_once("unsigned", message)

    def _ignore_damaged(self, name: str, key: str, problem: DamagedEntry) -> None:
        self._damaged.add(key)
        self._note(name, f"the remote cache's entry {key[:12]} is damaged ({problem}); ignored")

    def _add_locally(self, name: str, manifest: Manifest, staged: Path) -> bool:
        """Add a fetched entry to the local cache; whether it holds it now (it does not when
        the artifact is larger than the whole local cache may be)."""
        key = manifest["key"]
        try:
            self.cache.store(
                key,
                staged,
                {file: record["sha256"] for file, record in manifest["files"].items()},
                manifest["parity"],
                format=manifest["format"],
                source=manifest["source"],
                prune=False,
                checked=True,  # download() checked every file: the staging directory moves in
            )
        except OSError as exc:
            self._note(name, f"could not add the remote cache's entry to the local cache: {exc}")
            return False
        if self.cache.lookup(key) is None:
            return False
        self._fetched.add(key)
        return True

    # ------------------------------------------------------------------------------ push
    def push(
        self,
        name: str,
        key: str,
        artifact: Path,
        files: dict[str, str],
        *,
        format: str,
        parity: ParitySummary,
        source: str,
    ) -> None:
        """Upload the published ``artifact`` as ``key``'s entry, in the background."""
        stopped = {"write denied", "signing"} & self._said
        if self.push_enabled and not self._unavailable and not stopped:
            job = (name, key, artifact, dict(files), format, parity, source)
            self._pushes.append(self._executor().submit(self._push, *job))

    def _push(
        self,
        name: str,
        key: str,
        artifact: Path,
        files: dict[str, str],
        format: str,
        parity: ParitySummary,
        source: str,
    ) -> bool:
        if self._unavailable:
            return False
        try:
            return self._opened().push(
                key,
                artifact,
                files,
                format=format,
                parity=parity,
                source=source,
                replace=key in self._damaged,
            )
        except RemoteDenied as exc:
            message = f"{exc}; not pushing for the rest of this run (read only: {READ_ONLY_HINT})"
            self._say_once("write denied", message)
        except (ConfigError, MissingDependencyError) as exc:  # the signing key, or cryptography
            self._say_once("signing", f"{exc}; not pushing for the rest of this run")
        except TfjsBuildError as exc:  # unreachable, or its backend is not installed
            self._give_up(exc)
        except (ChangedArtifact, OSError) as exc:  # reading the artifact
            self._note(name, f"not pushed to the remote cache: {exc}")
        return False

    def finish(self) -> int:
        """Wait for the pushes; drop the prefetches nobody asked for. Returns the number of
        entries pushed since the last call."""
        self._after_fork()
        pushes, self._pushes = self._pushes, []
        for future in self._fetches.values():
            future.cancel()
        self._fetches = {}
        return sum(future.result() for future in pushes)
