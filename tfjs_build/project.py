"""Build the models of a configured project: what is stale, build it, record it in the lockfile.

This is the one place the doit tasks, the CLI's ``check``/``convert --all`` and the pre-commit
hooks decide freshness and build; deciding freshness never imports TensorFlow.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from tfjs_build import __version__
from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.config import ModelSpec, ProjectConfig
from tfjs_build.errors import TfjsBuildError
from tfjs_build.fingerprint import HashCache, json_fingerprint, tree_fingerprint
from tfjs_build.lock import LockEntry, read_lock, remove_entry, set_entry

HASH_CACHE = ".tfjs-build/hash-cache.json"


@cache
def versions() -> dict[str, str]:
    """The converter's and TF.js's versions: a change in either makes every artifact stale."""
    from tfjs_build.runtime.node_packages import js_dir

    package = json.loads((js_dir() / "package.json").read_text())
    return {"tfjs-build": __version__, "tfjs": package["dependencies"]["@tensorflow/tfjs"]}


_HASH_CACHES: dict[Path, HashCache] = {}


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


Outcome = Literal["converted", "up to date", "failed"]


@dataclass(frozen=True)
class ModelResult:
    """What building one model did, with the line a person reads."""

    name: str
    outcome: Outcome
    line: str


def _human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{count} B"


def _parity_words(summary: dict[str, Any]) -> str:
    if summary.get("skipped"):
        return f"parity SKIPPED ({summary.get('reason')})"
    return f"parity max abs error {summary['max_abs_error']:.2g} on {'+'.join(summary['backends'])}"


def build_model(
    spec: ModelSpec, config: ProjectConfig, *, force: bool = False, verbose: bool = True
) -> ModelResult:
    """Build ``spec`` if it is stale (or ``force``), publish it, and record it in the lockfile."""
    from tfjs_build.pipeline import build
    from tfjs_build.verification import parity_summary, parity_verifier, skipped_verifier

    lock_models = read_lock(config.lockfile)["models"]
    hashes = hash_cache(config)
    freshness = model_freshness(spec, config, lock_models, hashes)
    if freshness.fresh and not force:
        hashes.save()
        return ModelResult(spec.name, "up to date", f"{spec.name}: up to date")
    if verbose:
        print(
            f"{spec.name}: converting {spec.source} ({'; '.join(freshness.reasons) or 'forced'}) ...",
            file=sys.stderr,
            flush=True,
        )
    started = time.perf_counter()
    source = config.root / spec.source
    if spec.parity.enabled:
        verify = parity_verifier(spec.parity, spec.options)
    else:
        verify = skipped_verifier(f"parity = false for model {spec.name!r}")
    try:
        result = build(source, config.root / spec.output, spec.options, verify=verify)
    except TfjsBuildError as exc:
        return ModelResult(spec.name, "failed", f"{spec.name}: FAILED: {exc}")
    summary = parity_summary(result.parity)
    output = config.root / spec.output
    entry: LockEntry = {
        "source": spec.source.as_posix(),
        "source_fingerprint": tree_fingerprint(source, hashes),
        "options": spec.settings(),
        "options_fingerprint": json_fingerprint(spec.settings()),
        "versions": versions(),
        "output": spec.output.as_posix(),
        "format": result.format,
        "files": {name: hashes.file_hash(output / name) for name in _output_files(output)},
        "parity": summary,
    }
    set_entry(config.lockfile, spec.name, entry)
    hashes.save()
    seconds = time.perf_counter() - started
    line = (
        f"{spec.name}: converted ({result.format}, {_human_bytes(result.total_bytes)}, "
        f"{result.shards} shard{'s' if result.shards != 1 else ''}, {_parity_words(summary)}, {seconds:.1f}s)"
    )
    return ModelResult(spec.name, "converted", line)


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
