"""``[tool.tfjs-build]`` in ``pyproject.toml`` to a list of model specs, validated with clear errors.

```toml
[tool.tfjs-build]
output_root = "web_model"      # where artifacts go unless a model names its own output
quantization = "none"          # defaults for every per-model key below
parity_backends = ["cpu", "wasm"]

[[tool.tfjs-build.models]]
name = "classifier"
source = "models/classifier.keras"   # a path, or a glob giving one model per match
output = "web_model/classifier"      # optional
quantization = "uint8"               # per-model override
```

The keys, their types and defaults come from the option table in :mod:`tfjs_build.options`.
"""

from __future__ import annotations

import glob
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tfjs_build.errors import ConfigError
from tfjs_build.options import (
    DEFAULT_CACHE_MAX_BYTES,
    DEFAULT_OUTPUT_ROOT,
    MODEL_OPTIONS,
    OPTIONS,
    PROJECT_OPTIONS,
    ConvertOptions,
    ParityOptions,
    fingerprint_settings,
    model_options,
    suggest,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
TABLE = "[tool.tfjs-build]"
_GLOB_CHARS = set("*?[")
_ENTRY_KEYS = ("name", "source", "output")


@dataclass(frozen=True)
class ModelSpec:
    """One model to build: where it comes from, where it goes, and how."""

    name: str
    source: Path
    output: Path
    options: ConvertOptions = field(default_factory=ConvertOptions)
    parity: ParityOptions = field(default_factory=ParityOptions)

    def settings(self) -> dict[str, Any]:
        """Everything that shapes the artifact, as plain JSON (fingerprinted into the lockfile)."""
        return fingerprint_settings(self.options, self.parity)


@dataclass(frozen=True)
class ProjectConfig:
    """The whole configuration of one project root.

    ``problems`` are configured sources that give no model (a glob matching nothing, a matched
    file whose name cannot name a model): the other models still build, and every command that
    checks or builds the project fails naming them.
    """

    root: Path
    models: tuple[ModelSpec, ...]
    lockfile: Path
    cache_dir: Path
    cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES
    problems: tuple[str, ...] = ()
    output_root: Path = Path(DEFAULT_OUTPUT_ROOT)
    cache_remote: str | None = None
    cache_remote_timeout: int = 30
    cache_remote_client: str = "auto"
    cache_push: bool = True
    depfile_dir: Path | None = None
    """Where a project build writes each model's Make/Ninja depfile (``NAME.d``), if anywhere."""
    cache_trusted_keys: tuple[str, ...] = ()


def valid_name(name: str) -> bool:
    """Whether ``name`` can name a model (and its output directory)."""
    return bool(name) and name.replace("-", "").replace("_", "").replace(".", "").isalnum()


def _string(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} = {value!r}: expected a non-empty string")
    return value


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"unknown key {key!r} in {where}{suggest(key, sorted(allowed))}")


def _model_values(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    return {
        o.key: o.check(table[o.key], f"{where}.{o.key}") for o in MODEL_OPTIONS if o.key in table
    }


def _spec(root: Path, name: str, source: Path, output: Path, values: dict[str, Any]) -> ModelSpec:
    options, parity = model_options(values, origin="toml")
    # the root finds the files options name (metadata), to fingerprint them
    return ModelSpec(name, source, output, replace(options, project_root=root), parity)


def _expand(
    root: Path,
    entry: Mapping[str, Any],
    defaults: dict[str, Any],
    output_root: Path,
    where: str,
    problems: list[str],
) -> list[ModelSpec]:
    _check_keys(entry, set(_ENTRY_KEYS) | {o.key for o in MODEL_OPTIONS}, where)
    if "source" not in entry:
        raise ConfigError(
            f"{where} has no 'source' (the model file or SavedModel directory to convert)"
        )
    source = _string(f"{where}.source", entry["source"])
    name = _string(f"{where}.name", entry["name"]) if "name" in entry else None
    output = _string(f"{where}.output", entry["output"]) if "output" in entry else None
    values = {**defaults, **_model_values(entry, where)}
    if not _GLOB_CHARS & set(source):
        model_name = name or Path(source).stem
        target = Path(output) if output else output_root / model_name
        return [_spec(root, model_name, Path(source), target, values)]
    matches = sorted(glob.glob(source, root_dir=root))
    if not matches:
        problems.append(
            f"{where}.source = {source!r} matches no file or directory under {root}; fix the "
            "pattern, or remove the entry if its models are gone"
        )
    specs = []
    for match in matches:
        stem = Path(match).stem
        model_name = f"{name}-{stem}" if name else stem
        if not valid_name(model_name):
            problems.append(
                f"{match} (matched by {where}.source = {source!r}) would be model {model_name!r}, "
                "and a model name takes letters, digits, '-', '_' and '.' only; rename the file, "
                "or give it an entry of its own with a name"
            )
            continue
        target = Path(output) / stem if output else output_root / model_name
        specs.append(_spec(root, model_name, Path(match), target, values))
    return specs


def _check_unique(models: list[ModelSpec]) -> None:
    seen: dict[str, ModelSpec] = {}
    for spec in models:
        if spec.name in seen:
            raise ConfigError(
                f"two models are named {spec.name!r} (sources {seen[spec.name].source} and {spec.source}); give each a unique name"
            )
        if not valid_name(spec.name):
            raise ConfigError(
                f"model name {spec.name!r}: use letters, digits, '-', '_' and '.' only"
            )
        seen[spec.name] = spec
    writers: dict[Path, str] = {}
    for spec in models:
        if spec.output in writers:
            raise ConfigError(
                f"two models write to {spec.output} ({writers[spec.output]!r} and {spec.name!r}); "
                "give each its own output"
            )
        writers[spec.output] = spec.name
        if spec.output.suffix.lower() in (".keras", ".h5"):
            raise ConfigError(
                f"model {spec.name!r} writes to {spec.output.as_posix()}, a Keras file; the "
                "project builds TF.js artifact directories: write Keras files with "
                "`tfjs-build convert SOURCE OUTPUT.keras`"
            )


def _check_inside(root: Path, models: list[ModelSpec]) -> None:
    resolved_root = Path(root).resolve()
    for spec in models:
        output = (resolved_root / spec.output).resolve()
        if output == resolved_root or not output.is_relative_to(resolved_root):
            raise ConfigError(
                f"model {spec.name!r} writes to {spec.output.as_posix()}, which is outside the "
                f"project directory {resolved_root} (or is that directory itself); choose an output inside it, or set "
                "`allow_outside_project = true` in [tool.tfjs-build] if you mean it"
            )


def parse_config(table: Mapping[str, Any], root: Path) -> ProjectConfig:
    """Validate a ``[tool.tfjs-build]`` table and expand it into model specs."""
    _check_keys(table, {*OPTIONS, "models"}, TABLE)
    project = {
        o.key: o.check(table.get(o.key, o.default), f"{TABLE}.{o.key}") for o in PROJECT_OPTIONS
    }
    defaults = _model_values(table, "tool.tfjs-build")
    entries = table.get("models", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{TABLE}.models must be an array of tables ([[tool.tfjs-build.models]])")
    models: list[ModelSpec] = []
    problems: list[str] = []
    output_root = Path(project["output_root"])
    for index, entry in enumerate(entries):
        where = f"tool.tfjs-build.models[{index}]"
        models += _expand(root, entry, defaults, output_root, where, problems)
    _check_unique(models)
    if not project["allow_outside_project"]:
        _check_inside(root, models)
    return ProjectConfig(
        root=root,
        models=tuple(models),
        lockfile=root / project["lockfile"],
        cache_dir=root / Path(project["cache_dir"]).expanduser(),
        cache_max_bytes=project["cache_max_size"],
        problems=tuple(problems),
        output_root=output_root,
        cache_remote=project["cache_remote"],
        cache_remote_timeout=project["cache_remote_timeout"],
        cache_remote_client=project["cache_remote_client"],
        cache_push=project["cache_push"],
        depfile_dir=root / project["depfile_dir"] if project["depfile_dir"] else None,
        cache_trusted_keys=project["cache_trusted_keys"],
    )


def read_table(root: Path) -> dict[str, Any]:
    """The raw ``[tool.tfjs-build]`` table of ``root/pyproject.toml``."""
    path = Path(root) / PYPROJECT
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist; tfjs-build reads its configuration from {TABLE} there"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    tool = document.get("tool")
    table = tool.get("tfjs-build") if isinstance(tool, dict) else None
    if table is None:
        hint = ""
        if isinstance(tool, dict) and "tfjs_build" in tool:
            hint = (
                " ([tool.tfjs_build] is spelt with an underscore; the table is [tool.tfjs-build])"
            )
        raise ConfigError(
            f"{path} has no {TABLE} table{hint}; add one with [[tool.tfjs-build.models]] entries"
        )
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.tfjs-build must be a table ({TABLE})")
    return table


def load_config(
    root: Path = Path("."), overrides: Mapping[str, Any] | None = None
) -> ProjectConfig:
    """Read ``root/pyproject.toml`` and return its tfjs-build configuration.

    ``overrides`` (checked project-level values by key, from the command line) replace the
    table's values.
    """
    root = Path(root).resolve()
    table = {**read_table(root), **(overrides or {})}
    try:
        return parse_config(table, root)
    except ConfigError as exc:
        raise ConfigError(f"{root / PYPROJECT}: {exc}") from None
