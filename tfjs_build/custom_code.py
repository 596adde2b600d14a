"""The user's Python modules a model needs loaded first: custom layers registered on import.

A model whose layers come from a package that registers them with Keras when imported (a team's
``my_project.layers`` with ``@keras.saving.register_keras_serializable``, ``kapre``) loads only
once that module is imported. :func:`imported_modules` imports them, with the project root first
on ``sys.path``, around loading the model. :func:`module_files` finds, without importing anything,
the files of those modules that live in the project, and the project files they import in turn,
so that editing a custom layer makes exactly the models that import it stale.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from tfjs_build.errors import TfjsBuildError
from tfjs_build.options import Origin, spell


class CustomCodeError(TfjsBuildError):
    """A module listed in ``imports`` cannot be found or imported."""


def imports_hint(origin: Origin, module: str = "my_project.layers") -> str:
    """How the user lists ``module`` among the modules to import, where they set options."""
    return spell("imports", (module,), origin)


def _module_path(name: str, root: Path) -> tuple[Path, bool] | None:
    """``(file, is_package)`` of module ``name`` under ``root``, found by path alone."""
    base = root.joinpath(*name.split("."))
    package = base / "__init__.py"
    if package.is_file():
        return package, True
    module = base.with_suffix(".py")
    if module.is_file():
        return module, False
    return None


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _imports_of(source: Path, name: str, is_package: bool) -> set[str]:
    """Module names the file of module ``name`` imports (relative imports resolved); a file
    that does not parse imports nothing here (importing it will say what is wrong)."""
    try:
        tree = ast.parse(source.read_bytes(), filename=str(source))
    except (SyntaxError, ValueError, OSError):
        return set()
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if base:
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def module_files(modules: Sequence[str], root: Path) -> list[Path]:
    """The files under ``root`` that importing ``modules`` runs: each module's file, its parent
    packages' ``__init__.py`` and, transitively, the project modules they import. Sorted;
    modules from outside the project (installed packages) contribute nothing."""
    root = Path(root)
    seen: set[str] = set()
    files: set[Path] = set()
    pending = [parent for name in modules for parent in _with_parents(name)]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        found = _module_path(name, root)
        if found is None or not _inside(found[0], root):
            continue
        path, is_package = found
        files.add(path)
        for imported in _imports_of(path, name, is_package):
            pending.extend(_with_parents(imported))
    return sorted(files)


@contextlib.contextmanager
def imported_modules(
    modules: Sequence[str], root: Path | None, origin: Origin = "python"
) -> Iterator[None]:
    """Import ``modules`` with ``root`` (the project; default: the working directory) first on
    ``sys.path``, which stays there until the block ends (so code the model runs while loading
    can import its siblings). ``origin`` spells hints for where ``imports`` was set."""
    if not modules:
        yield
        return
    entry = str(Path(root or ".").resolve())
    sys.path.insert(0, entry)
    try:
        for name in modules:
            _import(name, entry, origin)
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)


def _import(name: str, root: str, origin: Origin) -> None:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if name == missing or name.startswith(f"{missing}."):
            raise CustomCodeError(
                f"cannot import {name!r} (from {imports_hint(origin, name)}): no module "
                f"{missing!r} in {root} or the installed packages"
            ) from None
        raise CustomCodeError(f"importing {name!r} failed: {exc}") from None
    except Exception as exc:  # the user's module raised while being imported
        first_line = (str(exc).strip().splitlines() or [""])[0]
        raise CustomCodeError(
            f"importing {name!r} failed: {type(exc).__name__}: {first_line}"
        ) from None
