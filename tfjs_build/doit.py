"""doit integration: one ``convert`` subtask per configured model.

The canonical ``dodo.py`` of a user's repo is one line::

    from tfjs_build.doit import task_convert

Repos that declare models in code build a configuration themselves::

    from tfjs_build.doit import convert_tasks, parse_config

    def task_convert():
        yield from convert_tasks(parse_config({"models": [{"source": "models/x.keras"}]}, Path(".")))

Loading these tasks and deciding what is up to date never imports TensorFlow. Each subtask's
``file_dep`` is its source's files (so a training task that has them as targets runs first), its
``uptodate`` check compares sources, options, versions and outputs with ``tfjs-build.lock``; the
action checks again, so a fresh clone with committed artifacts and lockfile converts nothing even
with an empty doit database. One :class:`~tfjs_build.project.session.BuildSession` serves the whole
doit run: it is closed (lockfile and hash cache written, the browser of webgl parity ended) by the
``convert`` group task after its subtasks, or by the teardown of a subtask run on its own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from doit.exceptions import TaskFailed

from tfjs_build.display import shown_path
from tfjs_build.errors import EXIT_INTERRUPTED, TfjsBuildError
from tfjs_build.interrupts import EXIT_TERMINATED, Terminated, terminate_as_exception
from tfjs_build.options import OPTIONS
from tfjs_build.project.config import ModelSpec, ProjectConfig, load_config, parse_config
from tfjs_build.project.fingerprint import source_files
from tfjs_build.project.session import BuildSession
from tfjs_build.sources.sniff import H5_SUFFIXES
from tfjs_build.text_reporter import TextReporter

__all__ = ["convert_tasks", "parse_config", "task_convert"]

_FILE_SUFFIXES = (*H5_SUFFIXES, ".keras", ".pb", ".pbtxt")


def _file_deps(spec: ModelSpec, root: Path) -> list[str]:
    source = root / spec.source
    if source.exists():
        files = source_files(source)
    elif source.suffix.lower() in _FILE_SUFFIXES:
        files = [source]
    else:
        files = [source / "saved_model.pb"]
    return [shown_path(p) for p in files]


def _quantization_text(spec: ModelSpec) -> str:
    return OPTIONS["quantization"].kind.to_text(spec.options.quantization)


def _convert(spec: ModelSpec, session: BuildSession) -> TaskFailed | None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        with terminate_as_exception():
            result = session.build(spec)
    except (KeyboardInterrupt, Terminated) as stop:
        interrupted = isinstance(stop, KeyboardInterrupt)
        try:
            session.close()  # what finished stays recorded
        except Exception as exc:  # the run stops all the same, and says why it could not tidy
            print(f"tfjs-build: while stopping: {exc}", file=sys.stderr)
        print(f"tfjs-build: {'interrupted' if interrupted else 'terminated'}", file=sys.stderr)
        raise SystemExit(EXIT_INTERRUPTED if interrupted else EXIT_TERMINATED) from None
    finally:
        _release_captured_streams()
    if result.outcome == "failed":
        return TaskFailed(f"{spec.name} was not built; its previous artifact is unchanged")
    return None


def _release_captured_streams() -> None:
    """Point absl's log handler (installed by TensorFlow) back at the real stderr.

    It binds to doit's captured stream, which cannot be closed, and logging's shutdown would
    print a spurious traceback at exit.
    """
    absl_logging = sys.modules.get("absl.logging")
    get_handler = getattr(absl_logging, "get_absl_handler", None)  # None if interrupted mid-import
    if get_handler is not None:
        get_handler().python_handler.stream = sys.__stderr__


def _clean(spec: ModelSpec, session: BuildSession) -> None:
    session.forget(spec)
    session.flush()  # doit runs no group action when cleaning
    print(f"{spec.name}: removed {spec.output.as_posix()}")


def _close(session: BuildSession) -> None:
    session.close()  # lockfile and hash cache written, the browser (if any) ended


def _fail(problem: str) -> TaskFailed:
    print(f"tfjs-build: error: {problem}", file=sys.stderr)
    return TaskFailed("the configuration names a source that gives no model")


def convert_tasks(
    config: ProjectConfig, session: BuildSession | None = None
) -> Iterator[dict[str, Any]]:
    """doit subtasks (one per model) for ``config``, to ``yield from`` inside a ``task_*``."""
    session = session or BuildSession(config, TextReporter())
    yield {
        "basename": "convert",
        "name": None,
        "doc": "Build TF.js artifacts for the models in [tool.tfjs-build]",
        "actions": [(_close, [session])],
        "verbosity": 2,
    }
    for number, problem in enumerate(config.problems, 1):
        yield {
            "basename": "convert",
            "name": f"problem-{number}",
            "doc": problem,
            "actions": [(_fail, [problem])],
            "uptodate": [False],
            "verbosity": 2,
        }
    for spec in config.models:
        yield {
            "basename": "convert",
            "name": spec.name,
            "doc": f"{spec.source.as_posix()} -> {spec.output.as_posix()} "
            f"(format {spec.options.format}, quantization {_quantization_text(spec)}, "
            f"parity {'+'.join(spec.parity.parity_backends) if spec.parity.parity else 'OFF'})",
            "actions": [(_convert, [spec, session])],
            "file_dep": _file_deps(spec, config.root),
            "targets": [shown_path(config.root / spec.output / "model.json")],
            "uptodate": [lambda task, values, spec=spec: session.freshness(spec).fresh],
            "clean": [(_clean, [spec, session])],
            "teardown": [(_close, [session])],
            "verbosity": 2,
        }


def task_convert() -> Iterator[dict[str, Any]]:
    """Build TF.js artifacts for the models configured in ./pyproject.toml [tool.tfjs-build].

    An invalid configuration stops doit with the one line the CLI prints (exit 2), not a
    traceback from doit's loader.
    """
    try:
        config = load_config(Path.cwd())
    except TfjsBuildError as exc:
        print(f"tfjs-build: error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    yield from convert_tasks(config)
