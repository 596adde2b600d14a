"""Build the models of a configured project: what is stale, build it, record it in the lockfile.

This is the one place the doit tasks, the CLI's ``check``/``convert --all`` and the pre-commit
hooks decide freshness and build; deciding freshness never imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from tfjs_build import __version__
from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.cache import BuildCache, cache_key
from tfjs_build.config import ModelSpec, ProjectConfig
from tfjs_build.display import human_bytes
from tfjs_build.errors import TfjsBuildError
from tfjs_build.fingerprint import HashCache, json_fingerprint, tree_fingerprint
from tfjs_build.lock import (
    LockEntry,
    deferred_writes,
    read_lock,
    remove_entry,
    set_entry,
    update_lock,
)

HASH_CACHE = ".tfjs-build/hash-cache.json"


@cache
def versions() -> dict[str, str]:
    """The converter's and TF.js's versions: a change in either makes every artifact stale."""
    from tfjs_build.runtime.node_packages import js_dir

    package = json.loads((js_dir() / "package.json").read_text())
    return {"tfjs-build": __version__, "tfjs": package["dependencies"]["@tensorflow/tfjs"]}


_HASH_CACHES: dict[Path, HashCache] = {}


_BATCHES: set[Path] = set()


@contextlib.contextmanager
def batch(config: ProjectConfig) -> Iterator[None]:
    """Build many models with one lockfile write, one hash-cache save and one cache prune.

    Per model each would cost time in proportion to the project's size; what finished is still
    recorded when the block ends with an error or Ctrl-C.
    """
    _BATCHES.add(config.root)
    try:
        with deferred_writes(config.lockfile):
            yield
    finally:
        _BATCHES.discard(config.root)
        hash_cache(config).save()
        if config.cache_dir.is_dir():
            project_cache(config).prune()


def _batched(config: ProjectConfig) -> bool:
    return config.root in _BATCHES


def hash_cache(config: ProjectConfig) -> HashCache:
    """The project's file-hash cache (one per process and project)."""
    path = config.root / HASH_CACHE
    if path not in _HASH_CACHES:
        _HASH_CACHES[path] = HashCache(path)
    return _HASH_CACHES[path]


@dataclass(frozen=True)
class Freshness:
    """Whether a model's artifact is up to date, and if not, every reason why."""

    name: str
    reasons: tuple[str, ...]

    @property
    def fresh(self) -> bool:
        """No reason to rebuild."""
        return not self.reasons


def _output_files(directory: Path) -> list[str]:
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.is_file())


def model_freshness(
    spec: ModelSpec, config: ProjectConfig, lock_models: dict[str, Any], hashes: HashCache
) -> Freshness:
    """Compare a model's source, options, versions and output with its lockfile entry."""
    root = config.root
    entry = lock_models.get(spec.name)
    source = root / spec.source
    if not source.exists():
        return Freshness(spec.name, (f"source {spec.source} does not exist",))
    if entry is None:
        return Freshness(spec.name, ("never built (no lockfile entry)",))
    reasons = []
    if entry.get("source") != spec.source.as_posix():
        reasons.append(f"source path changed ({entry.get('source')} -> {spec.source.as_posix()})")
    elif entry.get("source_fingerprint") != tree_fingerprint(source, hashes):
        reasons.append(f"source {spec.source} changed")
    if entry.get("options_fingerprint") != json_fingerprint(spec.settings()):
        reasons.append("options changed")
    if entry.get("versions") != versions():
        reasons.append(
            f"converter or TF.js version changed ({entry.get('versions')} -> {versions()})"
        )
    output = root / spec.output
    if entry.get("output") != spec.output.as_posix():
        reasons.append(f"output moved to {spec.output.as_posix()}")
    recorded: dict[str, str] = entry.get("files") or {}
    present = _output_files(output)
    if not (output / MODEL_JSON).is_file():
        reasons.append(f"{spec.output.as_posix()}/{MODEL_JSON} is missing")
    else:
        missing = sorted(set(recorded) - set(present))
        extra = sorted(set(present) - set(recorded))
        edited = sorted(
            n for n in set(recorded) & set(present) if hashes.file_hash(output / n) != recorded[n]
        )
        if missing:
            reasons.append(f"output files missing: {', '.join(missing)}")
        if extra:
            reasons.append(f"unexpected output files: {', '.join(extra)}")
        if edited:
            reasons.append(f"output files edited: {', '.join(edited)}")
    return Freshness(spec.name, tuple(reasons))


@dataclass(frozen=True)
class ProjectStatus:
    """Every configured model's freshness, and lockfile entries no configured model owns."""

    models: tuple[Freshness, ...]
    orphans: tuple[str, ...]

    @property
    def stale(self) -> tuple[Freshness, ...]:
        """The models whose artifacts need building."""
        return tuple(f for f in self.models if not f.fresh)


def project_status(config: ProjectConfig) -> ProjectStatus:
    """Check every configured model against the lockfile (no TensorFlow, no numpy)."""
    lock_models = read_lock(config.lockfile)["models"]
    hashes = hash_cache(config)
    try:
        found = tuple(model_freshness(s, config, lock_models, hashes) for s in config.models)
    finally:
        hashes.save()
    configured = {spec.name for spec in config.models}
    return ProjectStatus(found, tuple(sorted(set(lock_models) - configured)))


def drop_orphans(config: ProjectConfig) -> tuple[str, ...]:
    """Drop lockfile entries of models no longer configured (their artifacts are left alone);
    return their names."""
    configured = {spec.name for spec in config.models}
    dropped: list[str] = []

    def drop(models: dict[str, Any]) -> None:
        for name in sorted(set(models) - configured):
            del models[name]
            dropped.append(name)

    update_lock(config.lockfile, drop)
    return tuple(dropped)


Outcome = Literal["converted", "restored", "up to date", "failed"]
CHANGED: tuple[Outcome, ...] = ("converted", "restored")


@dataclass(frozen=True)
class ModelResult:
    """What building one model did, with the line a person reads."""

    name: str
    outcome: Outcome
    line: str
    reasons: tuple[str, ...] = ()
    cache_key: str | None = None

    @property
    def changed_files(self) -> bool:
        """The artifact and lockfile entry were (re)written."""
        return self.outcome in CHANGED


def _parity_words(summary: dict[str, Any]) -> str:
    if summary.get("skipped"):
        return f"parity SKIPPED ({summary.get('reason')})"
    return f"parity max abs error {summary['max_abs_error']:.2g} on {'+'.join(summary['backends'])}"


def _size_words(artifact_format: str, total_bytes: int, shards: int) -> str:
    plural = "s" if shards != 1 else ""
    return f"{artifact_format}, {human_bytes(total_bytes)}, {shards} shard{plural}"


def project_cache(config: ProjectConfig) -> BuildCache:
    """The project's build cache (``cache_dir``, bounded by ``cache_max_size``)."""
    return BuildCache(config.cache_dir, config.cache_max_bytes)


def _record(
    spec: ModelSpec,
    source_fingerprint: str,
    artifact_format: str,
    files: dict[str, str],
    parity: dict[str, Any],
) -> LockEntry:
    return {
        "source": spec.source.as_posix(),
        "source_fingerprint": source_fingerprint,
        "options": spec.settings(),
        "options_fingerprint": json_fingerprint(spec.settings()),
        "versions": versions(),
        "output": spec.output.as_posix(),
        "format": artifact_format,
        "files": files,
        "parity": parity,
    }


def build_model(
    spec: ModelSpec,
    config: ProjectConfig,
    *,
    force: bool = False,
    use_cache: bool = True,
    verbose: bool = True,
) -> ModelResult:
    """Bring ``spec``'s artifact up to date and record it in the lockfile.

    A fresh artifact is left alone (unless ``force``). Otherwise the build cache is asked first:
    a hit publishes the cached artifact without importing TensorFlow. On a miss the model is
    converted, checked for parity, published and added to the cache. ``force`` converts even a
    fresh model and does not read the cache.
    """
    lock_models = read_lock(config.lockfile)["models"]
    hashes = hash_cache(config)
    try:
        freshness = model_freshness(spec, config, lock_models, hashes)
        if freshness.fresh and not force:
            return ModelResult(spec.name, "up to date", f"{spec.name}: up to date")
        reasons = freshness.reasons or ("forced",)
        source = config.root / spec.source
        if not source.exists():
            line = f"{spec.name}: FAILED: source {spec.source} does not exist"
            return ModelResult(spec.name, "failed", line, reasons)
        source_fingerprint = tree_fingerprint(source, hashes)
        key = cache_key(source_fingerprint, spec.settings(), versions())
        cache = project_cache(config) if use_cache else None
        if cache is not None and not force:
            hit = cache.restore(key, config.root / spec.output, hashes)
            if hit is not None:
                if verbose:
                    print(f"{spec.name}: stale ({'; '.join(reasons)})", file=sys.stderr, flush=True)
                entry = _record(spec, source_fingerprint, hit.format, hit.files, hit.parity)
                set_entry(config.lockfile, spec.name, entry)
                line = (
                    f"{spec.name}: restored from cache "
                    f"({_size_words(hit.format, hit.total_bytes, hit.shards)}, "
                    f"{_parity_words(hit.parity)} when built, key {key[:12]})"
                )
                return ModelResult(spec.name, "restored", line, reasons, key)
        return _convert(spec, config, reasons, source_fingerprint, key, cache, verbose=verbose)
    finally:
        if not _batched(config):
            hashes.save()


def _convert(
    spec: ModelSpec,
    config: ProjectConfig,
    reasons: tuple[str, ...],
    source_fingerprint: str,
    key: str,
    cache: BuildCache | None,
    *,
    verbose: bool,
) -> ModelResult:
    """Convert, verify and publish ``spec``; record it in the lockfile and the cache."""
    from tfjs_build.pipeline import build
    from tfjs_build.verification import parity_summary, parity_verifier, skipped_verifier

    if verbose:
        print(
            f"{spec.name}: converting {spec.source} ({'; '.join(reasons)}) ...",
            file=sys.stderr,
            flush=True,
        )
    started = time.perf_counter()
    output = config.root / spec.output
    if spec.parity.enabled:
        verify = parity_verifier(spec.parity, spec.options)
    else:
        verify = skipped_verifier(f"parity = false for model {spec.name!r}")
    try:
        result = build(config.root / spec.source, output, spec.options, verify=verify)
    except TfjsBuildError as exc:
        return ModelResult(spec.name, "failed", f"{spec.name}: FAILED: {exc}", reasons, key)
    hashes = hash_cache(config)
    summary = parity_summary(result.parity)
    files = {name: hashes.file_hash(output / name) for name in _output_files(output)}
    set_entry(
        config.lockfile, spec.name, _record(spec, source_fingerprint, result.format, files, summary)
    )
    cached = ""
    if cache is not None:
        try:
            stored = cache.store(
                key,
                output,
                files,
                summary,
                format=result.format,
                source=spec.source.as_posix(),
                prune=not _batched(config),
            )
            cached = ", added to the cache" if stored else ""
        except OSError as exc:
            print(
                f"{spec.name}: warning: could not add it to the build cache: {exc}", file=sys.stderr
            )
    seconds = time.perf_counter() - started
    line = (
        f"{spec.name}: converted ({_size_words(result.format, result.total_bytes, result.shards)}, "
        f"{_parity_words(summary)}, {seconds:.1f}s{cached})"
    )
    return ModelResult(spec.name, "converted", line, reasons, key)


def forget_model(spec: ModelSpec, config: ProjectConfig) -> None:
    """Remove a model's artifact (only the files tfjs-build wrote) and its lockfile entry."""
    import shutil

    from tfjs_build.artifact.publish import rejected_path

    output = config.root / spec.output
    if (output / MODEL_JSON).is_file():
        shutil.rmtree(output)
    if rejected_path(output).is_dir():
        shutil.rmtree(rejected_path(output))
    remove_entry(config.lockfile, spec.name)
