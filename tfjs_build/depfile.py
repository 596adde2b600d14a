"""Make/Ninja depfiles: an artifact's ``model.json`` depends on every file it was built from.

Outside doit, Make or Ninja cannot know that a SavedModel directory's inner files are inputs; a
depfile tells them (``-include`` it in a Makefile; ``depfile =`` with ``deps = gcc`` in Ninja).
Paths are escaped as GCC's ``-MD`` escapes them, which both read: a space or tab as ``\\ `` (the
backslashes before it doubled), ``#`` as ``\\#``, ``$`` as ``$$``. Like ``-MP``, every input also
gets an empty rule, so deleting one rebuilds instead of stopping Make. Standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from tfjs_build.atomic_file import write_text_atomically
from tfjs_build.custom_code import module_files
from tfjs_build.errors import TfjsBuildError
from tfjs_build.project.fingerprint import source_files


def escape(path: str) -> str:
    """``path`` as a Make/Ninja depfile names it."""
    if "\n" in path or "\r" in path:
        raise TfjsBuildError(
            f"{path!r} has a line break in its name, which a depfile cannot express; rename it"
        )
    escaped, backslashes = [], 0
    for char in path:
        if char in " \t":
            escaped.append("\\" * backslashes + "\\" + char)
        elif char == "#":
            escaped.append("\\#")
        elif char == "$":
            escaped.append("$$")
        else:
            escaped.append(char)
        backslashes = backslashes + 1 if char == "\\" else 0
    return "".join(escaped)


def render(target: str, inputs: Sequence[str]) -> str:
    """The depfile: ``target: inputs...``, then an empty rule per input."""
    lines = [escape(target) + ":" + "".join(f" \\\n  {escape(p)}" for p in inputs), ""]
    lines += [f"{escape(p)}:\n" for p in inputs]
    return "\n".join(lines)


def model_inputs(
    source: Path,
    *,
    imports: Sequence[str] = (),
    root: Path,
    extra: Sequence[Path] = (),
) -> list[Path]:
    """What a model is built from: each file of ``source`` (and, for a directory, each of its
    directories, so that adding a file rebuilds), the project files the ``imports`` modules run,
    and ``extra`` (parity samples, the configuration)."""
    inputs = list(source_files(source))
    if source.is_dir():
        inputs += [source, *(p for p in source.rglob("*") if p.is_dir())]
    inputs += module_files(imports, root) if imports else []
    inputs += [Path(p) for p in extra]
    return sorted(set(inputs), key=lambda p: p.as_posix())


def relative_to(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when it lies below it (as Make run there names it), else
    absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(base))).as_posix()
    except ValueError:
        return absolute.as_posix()


def write_depfile(path: Path, target: str, inputs: Sequence[str]) -> None:
    """Write the depfile at ``path`` atomically (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, render(target, inputs))
