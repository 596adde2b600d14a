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
"""

from __future__ import annotations

import difflib
import glob
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfjs_build.artifact.format import DEFAULT_SHARD_SIZE, QUANTIZATION_DTYPES
from tfjs_build.convert import DEFAULT_BACKENDS, FORMAT_CHOICES, ConvertOptions
from tfjs_build.display import parse_size
from tfjs_build.errors import TfjsBuildError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
LOCKFILE = "tfjs-build.lock"
DEFAULT_CACHE_DIR = ".tfjs-build/cache"
DEFAULT_CACHE_MAX_BYTES = 2 * 10**9
PARITY_BACKENDS = ("cpu", "wasm")
_GLOB_CHARS = set("*?[")


class ConfigError(TfjsBuildError):
    """The ``[tool.tfjs-build]`` configuration is invalid."""


@dataclass(frozen=True)
class ParitySettings:
    """How (and whether) a build is checked against its source in TF.js."""

    enabled: bool = True
    backends: tuple[str, ...] = PARITY_BACKENDS
    seed: int = 0
    samples: Path | None = None
    atol: float | None = None
    rtol: float | None = None
    scale_tol: float | None = None


@dataclass(frozen=True)
class ModelSpec:
    """One model to build: where it comes from, where it goes, and how."""

    name: str
    source: Path
    output: Path
    options: ConvertOptions = field(default_factory=ConvertOptions)
    parity: ParitySettings = field(default_factory=ParitySettings)

    def settings(self) -> dict[str, Any]:
        """Everything that shapes the artifact, as plain JSON (fingerprinted into the lockfile)."""
        o, p = self.options, self.parity
        return {
            "format": o.format,
            "quantization": o.quantization,
            "quantize_only": list(o.quantize_include),
            "quantize_skip": list(o.quantize_exclude),
            "shard_size": o.shard_size,
            "signature": o.signature,
            "tags": list(o.tags),
            "target_backends": list(o.target_backends),
            "check_ops": o.check_ops,
            "allow_unsafe_deserialization": o.allow_unsafe_deserialization,
            "parity": p.enabled,
            "parity_backends": list(p.backends),
            "parity_seed": p.seed,
            "parity_samples": str(p.samples) if p.samples else None,
            "parity_atol": p.atol,
            "parity_rtol": p.rtol,
            "parity_scale_tol": p.scale_tol,
        }


@dataclass(frozen=True)
class ProjectConfig:
    """The whole configuration of one project root."""

    root: Path
    models: tuple[ModelSpec, ...]
    lockfile: Path
    cache_dir: Path
    cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key} = {value!r}: expected a non-empty string")
    return value


def _size(key: str, value: Any) -> int:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(key: str, value: Any) -> str:
        if value not in choices:
            raise ConfigError(f"{key} = {value!r}: expected one of {', '.join(map(repr, choices))}")
        return str(value)

    return check


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} = {value!r}: expected true or false")
    return value


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key} = {value!r}: expected a whole number >= 1")
    return value


def _int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key} = {value!r}: expected a whole number")
    return value


def _tolerance(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{key} = {value!r}: expected a number >= 0")
    return float(value)


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{key} = {value!r}: expected a list of strings")
    return tuple(value)


def _subset(choices: tuple[str, ...]) -> Callable[[str, Any], tuple[str, ...]]:
    def check(key: str, value: Any) -> tuple[str, ...]:
        items = _strings(key, value)
        bad = [v for v in items if v not in choices]
        if bad or not items:
            raise ConfigError(
                f"{key} = {value!r}: expected a non-empty list drawn from {', '.join(map(repr, choices))}"
            )
        return items

    return check


MODEL_KEYS: dict[str, Callable[[str, Any], Any]] = {
    "format": _choice(FORMAT_CHOICES),
    "quantization": _choice(("none", *QUANTIZATION_DTYPES)),
    "quantize_only": _strings,
    "quantize_skip": _strings,
    "shard_size": _positive_int,
    "signature": _string,
    "tags": _strings,
    "target_backends": _subset(DEFAULT_BACKENDS),
    "check_ops": _bool,
    "allow_unsafe_deserialization": _bool,
    "parity": _bool,
    "parity_backends": _subset(PARITY_BACKENDS),
    "parity_seed": _int,
    "parity_samples": _string,
    "parity_atol": _tolerance,
    "parity_rtol": _tolerance,
    "parity_scale_tol": _tolerance,
}
ENTRY_KEYS = {"name": _string, "source": _string, "output": _string}
TOP_KEYS = {
    "output_root": _string,
    "cache_dir": _string,
    "cache_max_size": _size,
    "lockfile": _string,
    "models": None,
}


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else f"; allowed: {', '.join(sorted(allowed))}"
            )
            raise ConfigError(f"unknown key {key!r} in {where}{hint}")


def _model_settings(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    return {
        key: MODEL_KEYS[key](f"{where}.{key}", table[key]) for key in MODEL_KEYS if key in table
    }


def _spec(root: Path, name: str, source: Path, output: Path, settings: dict[str, Any]) -> ModelSpec:
    quantization = settings.get("quantization", "none")
    options = ConvertOptions(
        format=settings.get("format", "auto"),
        quantization=None if quantization == "none" else quantization,
        quantize_include=settings.get("quantize_only", ("*",)) or ("*",),
        quantize_exclude=settings.get("quantize_skip", ()),
        shard_size=settings.get("shard_size", DEFAULT_SHARD_SIZE),
        signature=settings.get("signature", "serving_default"),
        tags=settings.get("tags", ("serve",)),
        target_backends=settings.get("target_backends", DEFAULT_BACKENDS),
        check_ops=settings.get("check_ops", True),
        allow_unsafe_deserialization=settings.get("allow_unsafe_deserialization", False),
    )
    samples = settings.get("parity_samples")
    parity = ParitySettings(
        enabled=settings.get("parity", True),
        backends=settings.get("parity_backends", PARITY_BACKENDS),
        seed=settings.get("parity_seed", 0),
        samples=Path(samples) if samples else None,
        atol=settings.get("parity_atol"),
        rtol=settings.get("parity_rtol"),
        scale_tol=settings.get("parity_scale_tol"),
    )
    return ModelSpec(name, source, output, options, parity)


def _expand(
    root: Path, entry: Mapping[str, Any], defaults: dict[str, Any], output_root: Path, where: str
) -> list[ModelSpec]:
    _check_keys(entry, set(ENTRY_KEYS) | set(MODEL_KEYS), where)
    if "source" not in entry:
        raise ConfigError(
            f"{where} has no 'source' (the model file or SavedModel directory to convert)"
        )
    source = _string(f"{where}.source", entry["source"])
    name = _string(f"{where}.name", entry["name"]) if "name" in entry else None
    output = _string(f"{where}.output", entry["output"]) if "output" in entry else None
    settings = {**defaults, **_model_settings(entry, where)}
    if not _GLOB_CHARS & set(source):
        model_name = name or Path(source).stem
        return [
            _spec(
                root,
                model_name,
                Path(source),
                Path(output) if output else output_root / model_name,
                settings,
            )
        ]
    specs = []
    for match in sorted(glob.glob(source, root_dir=root)):
        stem = Path(match).stem
        model_name = f"{name}-{stem}" if name else stem
        target = Path(output) / stem if output else output_root / model_name
        specs.append(_spec(root, model_name, Path(match), target, settings))
    return specs


def parse_config(table: Mapping[str, Any], root: Path) -> ProjectConfig:
    """Validate a ``[tool.tfjs-build]`` table and expand it into model specs."""
    where = "[tool.tfjs-build]"
    _check_keys(table, set(TOP_KEYS) | set(MODEL_KEYS), where)
    output_root = Path(_string(f"{where}.output_root", table.get("output_root", "web_model")))
    defaults = _model_settings(table, "tool.tfjs-build")
    entries = table.get("models", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{where}.models must be an array of tables ([[tool.tfjs-build.models]])")
    models: list[ModelSpec] = []
    for index, entry in enumerate(entries):
        models += _expand(root, entry, defaults, output_root, f"tool.tfjs-build.models[{index}]")
    seen: dict[str, ModelSpec] = {}
    for spec in models:
        if spec.name in seen:
            raise ConfigError(
                f"two models are named {spec.name!r} (sources {seen[spec.name].source} and {spec.source}); give each a unique name"
            )
        if not spec.name.replace("-", "").replace("_", "").replace(".", "").isalnum():
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
    return ProjectConfig(
        root=root,
        models=tuple(models),
        lockfile=root / _string(f"{where}.lockfile", table.get("lockfile", LOCKFILE)),
        cache_dir=root
        / Path(
            _string(f"{where}.cache_dir", table.get("cache_dir", DEFAULT_CACHE_DIR))
        ).expanduser(),
        cache_max_bytes=_size(
            f"{where}.cache_max_size", table.get("cache_max_size", DEFAULT_CACHE_MAX_BYTES)
        ),
    )


def load_config(root: Path = Path(".")) -> ProjectConfig:
    """Read ``root/pyproject.toml`` and return its tfjs-build configuration."""
    root = Path(root).resolve()
    path = root / PYPROJECT
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist; tfjs-build reads its configuration from [tool.tfjs-build] there"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    table = document.get("tool", {}).get("tfjs-build")
    if table is None:
        raise ConfigError(
            f"{path} has no [tool.tfjs-build] table; add one with [[tool.tfjs-build.models]] entries"
        )
    try:
        return parse_config(table, root)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
