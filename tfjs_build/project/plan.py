"""What a project build would do, decided without doing it (``tfjs-build convert --dry-run``).

Reads the lockfile, the hash cache and the names of the local build cache's entries; writes
nothing (no lockfile, hash cache, cache or artifact). Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from tfjs_build.project.cache import BuildCache, cache_key
from tfjs_build.project.code import code_record
from tfjs_build.project.config import ModelSpec, ProjectConfig
from tfjs_build.project.fingerprint import HashCache, tree_fingerprint
from tfjs_build.project.lockfile import PendingLockfile
from tfjs_build.project.status import model_freshness, tool_versions
from tfjs_build.tool_dir import HASH_CACHE

PlannedAction = Literal["up to date", "restore", "convert", "fail"]


@dataclass(frozen=True)
class PlannedBuild:
    """What building one model would do: ``action`` on ``source`` into ``output``, because of
    ``reasons`` (the staleness reasons ``tfjs-build check`` gives); ``cache_key`` when stale."""

    name: str
    source: Path
    output: Path
    action: PlannedAction
    reasons: tuple[str, ...] = ()
    cache_key: str | None = None
    note: str = ""


def plan_builds(
    config: ProjectConfig,
    specs: Iterable[ModelSpec],
    *,
    force: bool = False,
    use_cache: bool = True,
) -> list[PlannedBuild]:
    """What ``session.build(spec, force=force)`` would do for each of ``specs``."""
    entries = PendingLockfile(config.lockfile).models
    hashes = HashCache(config.root / HASH_CACHE)  # read, never saved
    cache = BuildCache(config.cache_dir, config.cache_max_bytes)
    versions = tool_versions()
    plans = []
    for spec in specs:
        freshness = model_freshness(spec, config.root, entries.get(spec.name), hashes, versions)
        if freshness.fresh and not force:
            plans.append(PlannedBuild(spec.name, spec.source, spec.output, "up to date"))
            continue
        plan = _stale_plan(config, spec, freshness.reasons or ("forced",), hashes, versions)
        if plan.action == "convert" and use_cache and not force:
            if cache.has(plan.cache_key or ""):
                plan = replace(plan, action="restore", note="from the local build cache")
            elif config.cache_remote:
                note = f"unless {config.cache_remote} has it (not asked in a dry run)"
                plan = replace(plan, note=note)
        plans.append(plan)
    return plans


def _stale_plan(
    config: ProjectConfig,
    spec: ModelSpec,
    reasons: tuple[str, ...],
    hashes: HashCache,
    versions: dict[str, str],
) -> PlannedBuild:
    source = config.root / spec.source
    if not source.exists():
        return PlannedBuild(spec.name, spec.source, spec.output, "fail", reasons)
    code = code_record(spec.options.imports, config.root, hashes)
    key = cache_key(tree_fingerprint(source, hashes), spec.settings(), versions, code)
    return PlannedBuild(spec.name, spec.source, spec.output, "convert", reasons, key)
