"""Whether each configured artifact is up to date with its source, options and tools, and why not.

Standard library only: deciding freshness never imports TensorFlow or numpy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tfjs_build import __version__
from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.project.code import CodeRecord, code_changes, code_record
from tfjs_build.project.config import ModelSpec
from tfjs_build.project.fingerprint import HashCache, json_fingerprint
from tfjs_build.project.lockfile import LockEntry
from tfjs_build.sources.registry import source_fingerprint


def tool_versions() -> dict[str, str]:
    """The converter's and TF.js's versions: a change in either makes every artifact stale."""
    from tfjs_build.runtime.node_packages import pinned_tfjs_version

    return {"tfjs-build": __version__, "tfjs": pinned_tfjs_version()}


@dataclass(frozen=True)
class Freshness:
    """Whether a model's artifact is up to date, and if not, every reason why."""

    name: str
    reasons: tuple[str, ...]

    @property
    def fresh(self) -> bool:
        """No reason to rebuild."""
        return not self.reasons


@dataclass(frozen=True)
class ProjectStatus:
    """Every configured model's freshness, lockfile entries no configured model owns, artifact
    directories no configured model writes, and configured sources that give no model."""

    models: tuple[Freshness, ...]
    orphans: tuple[str, ...]
    orphan_outputs: tuple[Path, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def stale(self) -> tuple[Freshness, ...]:
        """The models whose artifacts need building."""
        return tuple(f for f in self.models if not f.fresh)

    @property
    def ok(self) -> bool:
        """Every artifact is fresh and every configured source gives a model."""
        return not self.stale and not self.problems


def orphan_outputs(
    root: Path, output_root: Path, outputs: set[Path], orphan_entries: list[str]
) -> tuple[Path, ...]:
    """Artifact directories (holding a ``model.json``) that no configured model writes: the
    outputs of orphaned lockfile entries and the directories under ``output_root``."""
    candidates = {root / output for output in map(Path, orphan_entries)}
    with contextlib.suppress(OSError):
        candidates |= {p for p in (root / output_root).iterdir() if p.is_dir()}
    owned = {(root / output).resolve() for output in outputs}
    return tuple(
        sorted(
            path
            for path in candidates
            if path.resolve() not in owned and (path / MODEL_JSON).is_file()
        )
    )


def output_files(directory: Path) -> list[str]:
    """The names of the files in an artifact directory (none when it does not exist)."""
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.is_file())


def _output_reasons(
    spec: ModelSpec, output: Path, recorded: Mapping[str, str], hashes: HashCache
) -> list[str]:
    if not (output / MODEL_JSON).is_file():
        return [f"{spec.output.as_posix()}/{MODEL_JSON} is missing"]
    present = output_files(output)
    missing = sorted(set(recorded) - set(present))
    extra = sorted(set(present) - set(recorded))
    edited = sorted(
        n for n in set(recorded) & set(present) if hashes.file_hash(output / n) != recorded[n]
    )
    reasons = []
    if missing:
        reasons.append(f"output files missing: {', '.join(missing)}")
    if extra:
        reasons.append(f"unexpected output files: {', '.join(extra)}")
    if edited:
        reasons.append(f"output files edited: {', '.join(edited)}")
    return reasons


def _options_changed(recorded: object, settings: Mapping[str, object]) -> str:
    """``options changed (quantization, metadata)``: the keys whose recorded value differs (a
    metadata file's content is part of its value)."""
    if not isinstance(recorded, Mapping):
        return "options changed"
    keys = [k for k in settings if k not in recorded or recorded[k] != settings[k]]
    return f"options changed ({', '.join(keys)})" if keys else "options changed"


def model_freshness(
    spec: ModelSpec,
    root: Path,
    entry: LockEntry | None,
    hashes: HashCache,
    versions: Mapping[str, str],
) -> Freshness:
    """Compare a model's source, options, versions and output with its lockfile ``entry``."""
    source = root / spec.source
    if not source.exists():
        return Freshness(spec.name, (f"source {spec.source} does not exist",))
    if entry is None:
        return Freshness(spec.name, ("never built (no lockfile entry)",))
    reasons = []
    if entry.get("source") != spec.source.as_posix():
        reasons.append(f"source path changed ({entry.get('source')} -> {spec.source.as_posix()})")
    elif entry.get("source_fingerprint") != source_fingerprint(source, hashes, spec.options):
        reasons.append(f"source {spec.source} changed")
    settings = spec.settings()
    if entry.get("options_fingerprint") != json_fingerprint(settings):
        reasons.append(_options_changed(entry.get("options"), settings))
    reasons += code_changes(entry.get("code"), code_record(spec.options.imports, root, hashes))
    if entry.get("versions") != versions:
        reasons.append(
            f"converter or TF.js version changed ({entry.get('versions')} -> {dict(versions)})"
        )
    if entry.get("output") != spec.output.as_posix():
        reasons.append(f"output moved to {spec.output.as_posix()}")
    reasons += _output_reasons(spec, root / spec.output, entry.get("files") or {}, hashes)
    return Freshness(spec.name, tuple(reasons))


def same_inputs(
    entry: LockEntry | None,
    source_fingerprint: str,
    settings: Mapping[str, object],
    code: CodeRecord | None,
    versions: Mapping[str, str],
) -> bool:
    """Whether the lockfile ``entry`` records a build from exactly these inputs (the ones the
    cache key is made of), so that its ``files`` say what such a build holds."""
    return (
        entry is not None
        and entry.get("source_fingerprint") == source_fingerprint
        and entry.get("options_fingerprint") == json_fingerprint(dict(settings))
        and entry.get("code") == code
        and entry.get("versions") == dict(versions)
    )
