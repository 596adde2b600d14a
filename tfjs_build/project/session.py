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

from tfjs_build.artifact.budget import budget_message, over_budget
from tfjs_build.artifact.format import MODEL_JSON, PARITY_JSON
from tfjs_build.artifact.publish import PendingSyncs, artifact_files
from tfjs_build.artifact.quantization_record import (
    QuantizationPlanRecord,
    plan_summary,
    recorded_plan,
    resolved_table,
)
from tfjs_build.depfile import model_inputs, relative_to, write_depfile
from tfjs_build.display import shown_path
from tfjs_build.errors import ParityError, TfjsBuildError
from tfjs_build.parity.record import (
    DivergenceRecord,
    ParityRecord,
    ParitySummary,
    SkippedRecord,
    divergence_words,
    parity_summary,
)
from tfjs_build.project.cache import BuildCache, CachedArtifact, RefusedEntry, cache_key
from tfjs_build.project.cache_signing import signing_key_from_env, trusted_keys
from tfjs_build.project.code import CodeRecord, code_record
from tfjs_build.project.config import PYPROJECT, ModelSpec, ProjectConfig
from tfjs_build.project.events import (
    Explained,
    Finished,
    ModelResult,
    Pushed,
    RemoteWarned,
    Reporter,
    Silent,
    Started,
    Warned,
)
from tfjs_build.project.fingerprint import HashCache, json_fingerprint
from tfjs_build.project.lockfile import LockEntry, PendingLockfile
from tfjs_build.project.remote_cache import RemoteCache
from tfjs_build.project.status import (
    Freshness,
    ProjectStatus,
    model_freshness,
    orphan_outputs,
    output_files,
    same_inputs,
    tool_versions,
)
from tfjs_build.runtime.pool import RuntimePool
from tfjs_build.sources.registry import source_fingerprint
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
                client=config.cache_remote_client,
                trusted=trusted_keys(config.root, config.cache_trusted_keys),
                signer=signing_key_from_env() if config.cache_push else None,
            )
        self._versions: dict[str, str] | None = None
        self._owner = os.getpid()
        self._filled_cache = False
        self._syncs = PendingSyncs()
        """The restored artifacts' directories, flushed to disk together by :meth:`flush`."""

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
            self._syncs.flush()  # what the lockfile is about to name is on disk first
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
        return ProjectStatus(found, orphans, outputs, self.config.problems + self._over_budget())

    def _over_budget(self) -> tuple[str, ...]:
        """A problem for each published artifact larger than its model's ``max_size``."""
        problems = []
        for spec in self.config.models:
            output = self.config.root / spec.output
            size = over_budget(output, spec.options.max_size)
            if size is not None and spec.options.max_size is not None:
                message = budget_message(output, size, spec.options.max_size, spec.options.origin)
                problems.append(f"model {spec.name!r} ({shown_path(output)}): {message}")
        return tuple(problems)

    def _fits_budget(self, spec: ModelSpec, key: str) -> bool:
        """Whether the cache entry ``key`` (if any) fits ``spec``'s budget. One that does not is
        not restored: converting again rejects it, saying why, and keeps it aside."""
        return over_budget(self.cache.entry_path(key), spec.options.max_size) is None

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
        fingerprint = source_fingerprint(source, self.hashes, spec.options)
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

    def _restore(
        self, spec: ModelSpec, key: str, pinned: LockEntry | None
    ) -> CachedArtifact | None:
        """Publish ``key``'s entry from the local cache, or else from the remote one, if it fits
        the model's budget. With ``pinned`` (the lockfile's entry for a build from the same
        inputs) only an entry holding exactly its files is restored (see :meth:`_from_local`)."""
        if not self._fits_budget(spec, key):
            return None
        hit, refused = self._from_local(spec, key, pinned)
        if hit is None and not refused and self.remote is not None:
            fetched = self.remote.fetch(spec.name, key) and self._fits_budget(spec, key)
            self._remote_notes()
            hit = self._from_local(spec, key, pinned)[0] if fetched else None
        if hit is not None and self.remote is not None and self.remote.from_remote(key):
            self._filled_cache = True
        return hit

    def _from_local(
        self, spec: ModelSpec, key: str, pinned: LockEntry | None
    ) -> tuple[CachedArtifact | None, bool]:
        """Restore ``key``'s entry from the local cache: the hit, and whether an entry was
        refused for disagreeing with the lockfile (evicted, and said; an entry this run fetched
        from the remote is marked for the push to replace)."""
        expected = pinned["files"] if pinned is not None else None
        try:
            return self.cache.restore(
                key, self.config.root / spec.output, self.hashes, expected, self._syncs
            ), False
        except RefusedEntry as exc:
            if self.remote is not None and self.remote.from_remote(key):
                self.remote.refuse(key)
                where, evicted = f"the remote cache {self.remote.url}'s", "refused"
            else:
                where, evicted = "the local cache's", "refused and evicted"
            message = (
                f"{where} entry {key[:12]} is not the artifact the lockfile records for this "
                f"source, options and versions ({exc}); {evicted}, building from source"
            )
            self.reporter.report(Warned(spec.name, message))
            return None, True

    # ---------------------------------------------------------------------------- build
    def build(self, spec: ModelSpec, *, force: bool = False) -> ModelResult:
        """Bring ``spec``'s artifact up to date and record it in the lockfile.

        A fresh artifact is left alone (unless ``force``). Otherwise the build cache is asked
        first: a hit publishes the cached artifact without importing TensorFlow. On a miss the
        model is converted, checked for parity, published and added to the cache. ``force``
        converts even a fresh model and does not read the cache.
        """
        result = self._build(spec, force)
        if result.outcome != "failed" and self.config.depfile_dir is not None:
            self._write_depfile(spec, self.config.depfile_dir)
        self.reporter.report(Finished(result))
        if os.getpid() != self._owner:
            self.flush()
        return result

    def _write_depfile(self, spec: ModelSpec, directory: Path) -> None:
        """Write ``directory/NAME.d``: what ``spec``'s model.json is built from, as paths
        relative to the project (where Make or Ninja runs)."""
        root = self.config.root
        extra = [root / PYPROJECT]
        if spec.parity.parity_samples is not None:
            extra.append(root / spec.parity.parity_samples)
        inputs = model_inputs(
            root / spec.source, imports=spec.options.imports, root=root, extra=extra
        )
        target = relative_to(root / spec.output / MODEL_JSON, root)
        try:
            write_depfile(
                directory / f"{spec.name}.d", target, [relative_to(p, root) for p in inputs]
            )
        except (OSError, TfjsBuildError) as exc:
            self.reporter.report(Warned(spec.name, f"could not write its depfile: {exc}"))

    def _build(self, spec: ModelSpec, force: bool) -> ModelResult:
        freshness = self.freshness(spec)
        if freshness.fresh and not force:
            return ModelResult(spec.name, "up to date")
        reasons = freshness.reasons or ("forced",)
        source = self.config.root / spec.source
        if not source.exists():
            error = f"source {spec.source} does not exist"
            return ModelResult(spec.name, "failed", reasons, error=error)
        fingerprint = source_fingerprint(source, self.hashes, spec.options)
        code = code_record(spec.options.imports, self.config.root, self.hashes)
        key = cache_key(fingerprint, spec.settings(), self.versions_for(spec), code)
        if self.use_cache and not force:
            self.reporter.report(Started(spec.name, "restore", spec.source, reasons))
            entry = self.lockfile.models.get(spec.name)
            pinned = (
                entry
                if same_inputs(entry, fingerprint, spec.settings(), code, self.versions_for(spec))
                else None
            )
            try:
                hit = self._restore(spec, key, pinned)
            except TfjsBuildError as exc:
                return ModelResult(spec.name, "failed", reasons, key, error=str(exc))
            if hit is not None:
                return self._restored(spec, reasons, (fingerprint, code), hit, pinned)
        self.reporter.report(Started(spec.name, "convert", spec.source, reasons))
        return self._convert(spec, reasons, (fingerprint, code), key)

    def _record(
        self,
        spec: ModelSpec,
        built_from: BuiltFrom,
        artifact_format: str,
        files: dict[str, str],
        parity: ParitySummary,
        plan: QuantizationPlanRecord | None = None,
    ) -> None:
        fingerprint, code = built_from
        entry: LockEntry = {
            "source": spec.source.as_posix(),
            "source_fingerprint": fingerprint,
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
        if plan is not None:
            entry["quantization"] = resolved_table(plan)
        self.lockfile.set(spec.name, entry)

    def _restored(
        self,
        spec: ModelSpec,
        reasons: tuple[str, ...],
        built_from: BuiltFrom,
        hit: CachedArtifact,
        pinned: LockEntry | None,
    ) -> ModelResult:
        """Record a restored artifact: a lockfile entry for the same inputs is kept as it was
        (the entry's files matched it; its other claims, parity included, are not taken)."""
        format, parity = (
            (pinned["format"], pinned["parity"]) if pinned else (hit.format, hit.parity)
        )
        plan = _auto_plan(self.config.root / spec.output)
        self._record(spec, built_from, format, hit.files, parity, plan)
        return ModelResult(
            spec.name,
            "restored",
            reasons,
            hit.key,
            format=format,
            total_bytes=hit.total_bytes,
            shards=hit.shards,
            parity=parity,
            from_remote=self.remote is not None and self.remote.from_remote(hit.key),
            quantization=plan_summary(plan) if plan is not None else None,
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
            found = _divergences(exc)
            return ModelResult(spec.name, "failed", reasons, key, error=str(exc), divergences=found)
        except OSError as exc:  # a full or read-only disk, a name too long for it, ...
            where = exc.filename or output
            error = f"cannot write {where}: {exc.strerror}; the previous artifact is unchanged"
            return ModelResult(spec.name, "failed", reasons, key, error=error)
        files = {name: self.hashes.file_hash(output / name) for name in output_files(output)}
        summary = parity_summary(built.parity)
        for warning in built.warnings:
            self.reporter.report(Warned(spec.name, warning))
        for backend, divergence in _explained(built.parity):
            self.reporter.report(Explained(spec.name, backend, divergence_words(divergence)))
        plan = built.quantization_plan.record() if built.quantization_plan else None
        self._record(spec, built_from, built.format, files, summary, plan)
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
            quantization=plan_summary(plan) if plan is not None else None,
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


def _divergences(error: BaseException) -> dict[str, DivergenceRecord]:
    """Where each failing backend first diverges, when ``error`` is (or was raised from) a
    parity failure."""
    cause = error if isinstance(error, ParityError) else error.__cause__
    report = cause.report if isinstance(cause, ParityError) else None
    if report is None:
        return {}
    return {
        result.backend: result.divergence.to_record()
        for result in report.results
        if result.divergence is not None
    }


def _explained(
    record: ParityRecord | SkippedRecord | None,
) -> list[tuple[str, DivergenceRecord]]:
    """The backends of a passing check that localized (``parity_explain = "always"``)."""
    if record is None or record["skipped"]:
        return []
    return [(b["backend"], b["divergence"]) for b in record["backends"] if "divergence" in b]


def _auto_plan(output: Path) -> QuantizationPlanRecord | None:
    """The plan ``quantization = "auto"`` chose for the artifact in ``output`` (its
    ``parity.json``), if it did."""
    import json

    try:
        return recorded_plan(json.loads((output / PARITY_JSON).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
