"""doit integration: one ``convert`` subtask per configured model.

The canonical ``dodo.py`` of a user's repo is one line::

    from tfjs_build.doit import task_convert

Repos that declare models in code build a configuration themselves::

    from tfjs_build.config import parse_config
    from tfjs_build.doit import convert_tasks

    def task_convert():
        yield from convert_tasks(parse_config({"models": [{"source": "models/x.keras"}]}, Path(".")))

Loading these tasks and deciding what is up to date never imports TensorFlow. Each subtask's
``file_dep`` is its source's files (so a training task that has them as targets runs first), its
``uptodate`` check compares sources, options, versions and outputs with ``tfjs-build.lock``; the
action checks again, so a fresh clone with committed artifacts and lockfile converts nothing even
with an empty doit database.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tfjs_build.config import ModelSpec, ProjectConfig, load_config
from tfjs_build.display import shown_path
from tfjs_build.fingerprint import source_files
from tfjs_build.lock import read_lock
from tfjs_build.sources import H5_SUFFIXES

_FILE_SUFFIXES = (*H5_SUFFIXES, ".keras")


def _file_deps(spec: ModelSpec, root: Path) -> list[str]:
    source = root / spec.source
    if source.exists():
        files = source_files(source)
    elif source.suffix.lower() in _FILE_SUFFIXES:
        files = [source]
    else:
        files = [source / "saved_model.pb"]
    return [shown_path(p) for p in files]


def _is_fresh(spec: ModelSpec, config: ProjectConfig) -> bool:
    from tfjs_build.project import hash_cache, model_freshness

    hashes = hash_cache(config)
    try:
        return model_freshness(spec, config, read_lock(config.lockfile)["models"], hashes).fresh
    finally:
        hashes.save()


def _convert(spec: ModelSpec, config: ProjectConfig) -> bool:
    from tfjs_build.project import build_model

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        result = build_model(spec, config)
    finally:
        _release_captured_streams()
    print(result.line, flush=True)
    return result.outcome != "failed"


def _release_captured_streams() -> None:
    """Point absl's log handler (installed by TensorFlow) back at the real stderr.

    It binds to doit's captured stream, which cannot be closed, and logging's shutdown would
    print a spurious traceback at exit.
    """
    absl_logging = sys.modules.get("absl.logging")
    if absl_logging is not None:
        handler = absl_logging.get_absl_handler()
        handler.python_handler.stream = sys.__stderr__


def _clean(spec: ModelSpec, config: ProjectConfig) -> None:
    from tfjs_build.project import forget_model

    forget_model(spec, config)
    print(f"{spec.name}: removed {spec.output.as_posix()}")


def convert_tasks(config: ProjectConfig) -> Iterator[dict[str, Any]]:
    """doit subtasks (one per model) for ``config``, to ``yield from`` inside a ``task_*``."""
    yield {
        "basename": "convert",
        "name": None,
        "doc": "Build TF.js artifacts for the models in [tool.tfjs-build]",
    }
    for spec in config.models:
        yield {
            "basename": "convert",
            "name": spec.name,
            "doc": f"{spec.source.as_posix()} -> {spec.output.as_posix()} "
            f"(format {spec.options.format}, quantization {spec.options.quantization or 'none'}, "
            f"parity {'+'.join(spec.parity.backends) if spec.parity.enabled else 'OFF'})",
            "actions": [(_convert, [spec, config])],
            "file_dep": _file_deps(spec, config.root),
            "targets": [shown_path(config.root / spec.output / "model.json")],
            "uptodate": [lambda task, values, spec=spec: _is_fresh(spec, config)],
            "clean": [(_clean, [spec, config])],
            "verbosity": 2,
        }


def task_convert() -> Iterator[dict[str, Any]]:
    """Build TF.js artifacts for the models configured in ./pyproject.toml [tool.tfjs-build]."""
    yield from convert_tasks(load_config(Path.cwd()))
