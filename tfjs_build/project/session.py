"""A build session: everything one run of one project owns, and the one place models are built.

The doit tasks, ``tfjs-build convert``/``check`` and the pre-commit hooks each open one
:class:`BuildSession` per run. It owns the configuration, the lockfile as this run sees it (with
its pending changes), the file-hash cache, the build cache, the TF.js runtimes parity runs in (a
browser, for webgl, starts once per session) and the reporter; :meth:`close` (or leaving the
``with`` block, also on an error or Ctrl-C) writes the lockfile and the hash cache once and ends
the browser. Nothing is kept in module globals, so two sessions of two projects in one process share
nothing.

Deciding freshness and restoring from the cache never import TensorFlow; converting does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from tfjs_build.artifact.publish import artifact_files
from tfjs_build.errors import TfjsBuildError
from tfjs_build.parity.record import ParitySummary, parity_summary
from tfjs_build.project.cache import BuildCache, CachedArtifact, cache_key
from tfjs_build.project.code import CodeRecord, code_record
from tfjs_build.project.config import ModelSpec, ProjectConfig
from tfjs_build.project.events import (
    Finished,
    ModelResult,
    Pushed,
    RemoteWarned,
    Reporter,
    Silent,
    Started,
    Warned,
)
from tfjs_build.project.fingerprint import HashCache, json_fingerprint, tree_fingerprint
from tfjs_build.project.lockfile import LockEntry, PendingLockfile
from tfjs_build.project.remote_cache import RemoteCache
from tfjs_build.project.status import (
    Freshness,
    ProjectStatus,
    model_freshness,
    orphan_outputs,
    output_files,
    tool_versions,
)
from tfjs_build.runtime.pool import RuntimePool
from tfjs_build.tool_dir import HASH_CACHE, rejected_build_path

BuiltFrom = tuple[str, "CodeRecord | None"]
"""A build's source fingerprint and custom code record, as the lockfile records them."""

if TYPE_CHECKING:
    from tfjs_build.pipeline import Verifier


class BuildSession:
    """One run's view of one project (see the module docstring).

    ``use_cache=False`` neither reads nor fills the build cache, local or remote. A session used
    from a forked worker process (``doit -n``) writes each model's lockfile entry as soon as it is
    built, since the process that opened the session is the one that closes it.
    """

    def __init__(
        self, config: ProjectConfig, reporter: Reporter | None = None, *, use_cache: bool = True
    ) -> None:
        self.config = config
        self.reporter: Reporter = reporter or Silent()
        self.use_cache = use_cache
        self.lockfile = PendingLockfile(config.lockfile)
        self.hashes = HashCache(config.root / HASH_CACHE)
        self.cache = BuildCache(config.cache_dir, config.cache_max_bytes)
        self.runtimes = RuntimePool()  # starts nothing until a parity check runs
        self.remote: RemoteCache | None = None
        if use_cache and config.cache_remote:
            self.remote = RemoteCache(
                config.cache_remote,
                self.cache,
                push=config.cache_push,
                timeout=config.cache_remote_timeout,
            )
        self._versions: dict[str, str] | None = None
        self._owner = os.getpid()
        self._filled_cache = False

    # ------------------------------------------------------------------------- lifetime
    def __enter__(self) -> BuildSession:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def flush(self) -> None:
        """Write the pending lockfile changes and the hash cache; prune the cache if it grew;
        wait for the pushes to the remote cache."""
        try:
            self.lockfile.commit()
        finally:
            self.hashes.save()
            if self._filled_cache:
                self._filled_cache = False
                self.cache.prune()
            self._finish_pushes()

    def close(self) -> None:
        """Write what this run changed, once, and end the browser if one was started. The
        session can be used again afterwards."""
        try:
            self.flush()
        finally:
            self.runtimes.close()

    # ------------------------------------------------------------------------ freshness
    @property
    def versions(self) -> dict[str, str]:
        """The converter's and TF.js's versions (read once per session)."""
        if self._versions is None:
            self._versions = tool_versions()
        return self._versions

    def versions_for(self, spec: ModelSpec) -> dict[str, str]:
        """The converter's version and the TF.js release ``spec`` is built for (its
        ``tfjs_version``): recorded in the lockfile and the cache key."""
        return {**self.versions, "tfjs": spec.options.tfjs_version}

    def freshness(self, spec: ModelSpec) -> Freshness:
        """Whether ``spec``'s artifact is up to date, and why not."""
        entry = self.lockfile.models.get(spec.name)
        return model_freshness(spec, self.config.root, entry, self.hashes, self.versions_for(spec))

    def status(self) -> ProjectStatus:
        """Every configured model's freshness, the lockfile's orphaned entries and artifact
        directories, and the configuration's problems."""
        found = tuple(self.freshness(spec) for spec in self.config.models)
        orphans = self.orphans()
        outputs = orphan_outputs(
            self.config.root,
            self.config.output_root,
            {spec.output for spec in self.config.models},
            [self.lockfile.models[name]["output"] for name in orphans],
        )
        return ProjectStatus(found, orphans, outputs, self.config.problems)

    def orphans(self) -> tuple[str, ...]:
        """Lockfile entries of models no longer configured."""
        configured = {spec.name for spec in self.config.models}
        return tuple(sorted(set(self.lockfile.models) - configured))

    # --------------------------------------------------------------------- remote cache
    def prefetch(self, specs: Iterable[ModelSpec]) -> None:
        """Start fetching the remote cache's entries for the stale models among ``specs``, in
        parallel, so that building them finds them in the local cache."""
        if self.remote is not None:
            self.remote.prefetch(
                (spec.name, key) for spec in specs if (key := self._stale_key(spec))
            )

    def _stale_key(self, spec: ModelSpec) -> str | None:
        source = self.config.root / spec.source
        if self.freshness(spec).fresh or not source.exists():
            return None
        fingerprint = tree_fingerprint(source, self.hashes)
        return cache_key(fingerprint, spec.settings(), self.versions_for(spec))

    def _remote_notes(self) -> None:
        if self.remote is not None:
            for name, message in self.remote.notes():
                if name is None:
                    self.reporter.report(RemoteWarned(self.remote.url, message))
                else:
                    self.reporter.report(Warned(name, message))

    def _finish_pushes(self) -> None:
        if self.remote is not None:
            pushed = self.remote.finish()
            self._remote_notes()
            if pushed:
                self.reporter.report(Pushed(self.remote.url, pushed))

    def _restore(self, spec: ModelSpec, key: str) -> CachedArtifact | None:
        """Publish ``key``'s entry from the local cache, or else from the remote one."""
        output = self.config.root / spec.output
        hit = self.cache.restore(key, output, self.hashes)
        if hit is None and self.remote is not None:
            fetched = self.remote.fetch(spec.name, key)
            self._remote_notes()
            hit = self.cache.restore(key, output, self.hashes) if fetched else None
        if hit is not None and self.remote is not None and self.remote.from_remote(key):
            self._filled_cache = True
        return hit

    # ---------------------------------------------------------------------------- build
    def build(self, spec: ModelSpec, *, force: bool = False) -> ModelResult:
        """Bring ``spec``'s artifact up to date and record it in the lockfile.

        A fresh artifact is left alone (unless ``force``). Otherwise the build cache is asked
        first: a hit publishes the cached artifact without importing TensorFlow. On a miss the
        model is converted, checked for parity, published and added to the cache. ``force``
        converts even a fresh model and does not read the cache.
        """
        result = self._build(spec, force)
        self.reporter.report(Finished(result))
        if os.getpid() != self._owner:
            self.flush()
        return result

    def _build(self, spec: ModelSpec, force: bool) -> ModelResult:
        freshness = self.freshness(spec)
        if freshness.fresh and not force:
            return ModelResult(spec.name, "up to date")
        reasons = freshness.reasons or ("forced",)
        source = self.config.root / spec.source
        if not source.exists():
            error = f"source {spec.source} does not exist"
            return ModelResult(spec.name, "failed", reasons, error=error)
        fingerprint = tree_fingerprint(source, self.hashes)
        code = code_record(spec.options.imports, self.config.root, self.hashes)
        key = cache_key(fingerprint, spec.settings(), self.versions_for(spec), code)
        if self.use_cache and not force:
            self.reporter.report(Started(spec.name, "restore", spec.source, reasons))
            try:
                hit = self._restore(spec, key)
            except TfjsBuildError as exc:
                return ModelResult(spec.name, "failed", reasons, key, error=str(exc))
            if hit is not None:
                return self._restored(spec, reasons, (fingerprint, code), hit)
        self.reporter.report(Started(spec.name, "convert", spec.source, reasons))
        return self._convert(spec, reasons, (fingerprint, code), key)

    def _record(
        self,
        spec: ModelSpec,
        built_from: BuiltFrom,
        artifact_format: str,
        files: dict[str, str],
        parity: ParitySummary,
    ) -> None:
        source_fingerprint, code = built_from
        entry: LockEntry = {
            "source": spec.source.as_posix(),
            "source_fingerprint": source_fingerprint,
            "options": spec.settings(),
            "options_fingerprint": json_fingerprint(spec.settings()),
            "versions": self.versions_for(spec),
            "output": spec.output.as_posix(),
            "format": artifact_format,
            "files": files,
            "parity": parity,
        }
        if code is not None:
            entry["code"] = code
        self.lockfile.set(spec.name, entry)

    def _restored(
        self, spec: ModelSpec, reasons: tuple[str, ...], built_from: BuiltFrom, hit: CachedArtifact
    ) -> ModelResult:
        self._record(spec, built_from, hit.format, hit.files, hit.parity)
        return ModelResult(
            spec.name,
            "restored",
            reasons,
            hit.key,
            format=hit.format,
            total_bytes=hit.total_bytes,
            shards=hit.shards,
            parity=hit.parity,
            from_remote=self.remote is not None and self.remote.from_remote(hit.key),
        )

    def rejected_path(self, spec: ModelSpec) -> Path:
        """Where the last build of ``spec`` that parity rejected is kept."""
        return rejected_build_path(self.config.root, spec.name)

    def _verifier(self, spec: ModelSpec) -> Verifier:
        from tfjs_build.verification import parity_verifier, skipped_verifier

        if spec.parity.parity:
            return parity_verifier(spec.parity, spec.options, self.runtimes)
        return skipped_verifier(f"parity = false for model {spec.name!r}")

    def _convert(
        self, spec: ModelSpec, reasons: tuple[str, ...], built_from: BuiltFrom, key: str
    ) -> ModelResult:
        """Convert, verify and publish ``spec``; record it in the lockfile and the cache."""
        from tfjs_build.pipeline import build

        started = time.perf_counter()
        output = self.config.root / spec.output
        try:
            built = build(
                self.config.root / spec.source,
                output,
                replace(spec.options, project_root=self.config.root),
                verify=self._verifier(spec),
                rejected=self.rejected_path(spec),
            )
        except TfjsBuildError as exc:
            return ModelResult(spec.name, "failed", reasons, key, error=str(exc))
        except OSError as exc:  # a full or read-only disk, a name too long for it, ...
            where = exc.filename or output
            error = f"cannot write {where}: {exc.strerror}; the previous artifact is unchanged"
            return ModelResult(spec.name, "failed", reasons, key, error=error)
        files = {name: self.hashes.file_hash(output / name) for name in output_files(output)}
        summary = parity_summary(built.parity)
        for warning in built.warnings:
            self.reporter.report(Warned(spec.name, warning))
        self._record(spec, built_from, built.format, files, summary)
        added = False
        if self.use_cache:
            try:
                added = self.cache.store(
                    key,
                    output,
                    files,
                    summary,
                    format=built.format,
                    source=spec.source.as_posix(),
                    prune=False,  # once, when the session is flushed
                )
            except OSError as exc:
                self.reporter.report(
                    Warned(spec.name, f"could not add it to the build cache: {exc}")
                )
            self._filled_cache = self._filled_cache or added
            if self.remote is not None:
                self.remote.push(
                    spec.name,
                    key,
                    output,
                    files,
                    format=built.format,
                    parity=summary,
                    source=spec.source.as_posix(),
                )
        return ModelResult(
            spec.name,
            "converted",
            reasons,
            key,
            format=built.format,
            total_bytes=built.total_bytes,
            shards=built.shards,
            parity=summary,
            seconds=time.perf_counter() - started,
            added_to_cache=added,
        )

    # ---------------------------------------------------------------------------- clean
    def forget(self, spec: ModelSpec) -> None:
        """Remove a model's artifact (only the files tfjs-build wrote) and its lockfile entry."""
        output = self.config.root / spec.output
        entry = self.lockfile.models.get(spec.name)
        written = set(entry["files"]) if entry else artifact_files(output) or set()
        for name in sorted(written):
            path = output / name
            if path.is_file() and not path.is_symlink():
                path.unlink()
        with contextlib.suppress(OSError):
            output.rmdir()  # only when nothing else is left in it
        shutil.rmtree(self.rejected_path(spec), ignore_errors=True)
        self.lockfile.remove(spec.name)
        if os.getpid() != self._owner:
            self.flush()

    def drop_orphans(self) -> tuple[str, ...]:
        """Drop lockfile entries of models no longer configured (their artifacts are left
        alone); return their names."""
        dropped = self.orphans()
        for name in dropped:
            self.lockfile.remove(name)
        return dropped


def open_session(
    root: Path, reporter: Reporter | None = None, *, use_cache: bool = True
) -> BuildSession:
    """A session for the project configured in ``root/pyproject.toml``."""
    from tfjs_build.project.config import load_config

    return BuildSession(load_config(root), reporter, use_cache=use_cache)
