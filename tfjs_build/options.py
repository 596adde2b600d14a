"""Every option, defined once: its TOML key, type, default, meaning, CLI flag and fingerprint role.

An option is a field of :class:`ConvertOptions`, :class:`ParityOptions` (per model: set at the top
of ``[tool.tfjs-build]``, per ``[[tool.tfjs-build.models]]`` entry, or on ``tfjs-build convert
SOURCE``) or :class:`ProjectSettings` (per project), declared with :func:`option`. Everything else
derives from these declarations: configuration parsing and "did you mean" (:mod:`tfjs_build.project.config`),
the command-line flags (:mod:`tfjs_build.cli.option_flags`), the fingerprint that makes an artifact
stale (:func:`fingerprint_settings`) and ``docs/reference/configuration.md``.

The flag of key ``quantize_only`` is ``--quantize-only``; a boolean ``check_ops`` has
``--check-ops`` and ``--no-check-ops``. Standard library only.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from tfjs_build import tfjs_versions
from tfjs_build.artifact.format import DEFAULT_SHARD_SIZE, QUANTIZATION_DTYPES, QuantizationDtype
from tfjs_build.backends import (
    DEFAULT_PARITY_BACKENDS,
    DEFAULT_TARGET_BACKENDS,
    PARITY_BACKENDS,
    TARGET_BACKENDS,
)
from tfjs_build.display import human_bytes, parse_size
from tfjs_build.errors import ConfigError

if TYPE_CHECKING:
    from tfjs_build.artifact.quantize import QuantizationPlan

T = TypeVar("T")

FormatChoice = Literal["auto", "layers", "graph"]
FORMAT_CHOICES: tuple[FormatChoice, ...] = ("auto", "layers", "graph")
Origin = Literal["cli", "toml", "python"]
"""Where options were set, so that hints speak its syntax: a flag, a TOML key, a keyword."""

Command = Literal["convert", "verify", "check", "cache"]
CONVERT: frozenset[Command] = frozenset({"convert"})
CONVERT_AND_VERIFY: frozenset[Command] = frozenset({"convert", "verify"})


class BadValue(ValueError):
    """A value that does not fit its option's kind (the message says what is expected)."""


# ------------------------------------------------------------------------------------- kinds
@dataclass(frozen=True)
class Kind:
    """How an option's values are written in TOML and on the command line, and checked."""

    name: str
    """What the value is, for messages and the reference ("a whole number >= 1")."""

    repeatable: bool = False
    """A list given on the command line by repeating the flag (else comma-separated)."""

    def check(self, value: object) -> Any:
        """The value (as TOML gives it) converted, or ``BadValue`` saying what is expected."""
        raise NotImplementedError

    def from_text(self, text: str) -> Any:
        """The value from command-line text."""
        return self.check(text)

    def to_text(self, value: object) -> str:
        """``value`` as command-line text (the inverse of :meth:`from_text`)."""
        return "unset" if value is None else str(value)

    def error(self, where: str, value: object, problem: BadValue) -> str:
        """The message for a bad ``value`` of the option at ``where``."""
        return f"{where} = {value!r}: {problem}"

    def to_toml(self, value: object) -> str:
        """``value`` as TOML."""
        if value is None:
            return "unset"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, (tuple, list)):
            return "[" + ", ".join(self.to_toml(v) for v in value) + "]"
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Text(Kind):
    """A non-empty string."""

    name: str = "a non-empty string"

    def check(self, value: object) -> str:
        if not isinstance(value, str) or not value:
            raise BadValue(f"expected {self.name}")
        return value


@dataclass(frozen=True)
class OptionalPath(Kind):
    """A file path (relative to the project root in TOML, to the working directory on the CLI)."""

    name: str = "a file path"

    def check(self, value: object) -> Path | None:
        if value is None:
            return None
        if isinstance(value, Path):
            return value
        return Path(Text(self.name).check(value))


@dataclass(frozen=True)
class Choice(Kind):
    """One of ``choices``; ``none_word`` (such as ``"none"``) stands for ``None``."""

    choices: tuple[str, ...] = ()
    none_word: str | None = None

    def check(self, value: object) -> str | None:
        if value not in self.choices:
            raise BadValue(f"expected one of {', '.join(map(repr, self.choices))}")
        return None if value == self.none_word else str(value)

    def to_text(self, value: object) -> str:
        return self.none_word if value is None and self.none_word else str(value)

    def to_toml(self, value: object) -> str:
        return super().to_toml(self.to_text(value))


@dataclass(frozen=True)
class Flag(Kind):
    """``true`` or ``false``; on the command line ``--key`` / ``--no-key``."""

    name: str = "true or false"

    def check(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise BadValue(f"expected {self.name}")
        return value


@dataclass(frozen=True)
class Integer(Kind):
    """A whole number, at least ``minimum`` when given."""

    minimum: int | None = None

    def check(self, value: object) -> int:
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise BadValue(f"expected {self.name}") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadValue(f"expected {self.name}")
        if self.minimum is not None and value < self.minimum:
            raise BadValue(f"expected {self.name}")
        return value


@dataclass(frozen=True)
class Tolerance(Kind):
    """A number >= 0, or unset (the default for the weights' quantization)."""

    name: str = "a number >= 0"

    def check(self, value: object) -> float | None:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise BadValue(f"expected {self.name}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise BadValue(f"expected {self.name}")
        return float(value)


@dataclass(frozen=True)
class RemoteURL(Kind):
    """A file-system URL that fsspec opens (``s3://bucket/prefix``, ``file:///shared/dir``), or
    unset. Only its form is checked here: the protocol is looked up when the remote is used."""

    name: str = "a URL such as 's3://bucket/prefix', 'gs://bucket/prefix' or 'file:///shared/dir'"

    def check(self, value: object) -> str | None:
        if value is None:
            return None
        text = Text(self.name).check(value).rstrip("/")
        scheme, separator, rest = text.partition("://")
        well_formed = bool(separator and rest) and scheme[:1].isalpha()
        if not well_formed or not all(c.isalnum() or c in "+-." for c in scheme):
            raise BadValue(f"expected {self.name}")
        if scheme == "file" and not rest.startswith("/"):
            raise BadValue("a file:// URL needs an absolute path: file:///shared/dir")
        return text


@dataclass(frozen=True)
class Release(Kind):
    """A TF.js release number that the version facts cover (``tfjs_versions``)."""

    name: str = f"a TF.js release such as '{tfjs_versions.PINNED}', from {tfjs_versions.OLDEST} on"

    def check(self, value: object) -> str:
        text = Text(self.name).check(value).strip()
        try:
            if tfjs_versions.covered(text):
                return text
        except ValueError:
            pass
        raise BadValue(f"expected {self.name}")


@dataclass(frozen=True)
class Size(Kind):
    """A size such as ``"2GB"``, ``"500MB"`` or a number of bytes."""

    name: str = "a size such as '2GB', '500MB' or a number of bytes"

    def check(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise BadValue(f"expected {self.name}")
        try:
            return parse_size(value)
        except ValueError as exc:
            raise BadValue(str(exc)) from None

    def error(self, where: str, value: object, problem: BadValue) -> str:
        return f"{where}: {problem}"  # the problem names the value

    def to_toml(self, value: object) -> str:
        return f'"{human_bytes(int(str(value))).replace(" ", "")}"'

    def to_text(self, value: object) -> str:
        return human_bytes(int(str(value))).replace(" ", "")


@dataclass(frozen=True)
class Strings(Kind):
    """A list of non-empty strings; ``choices`` restricts them, ``non_empty`` needs one at least."""

    choices: tuple[str, ...] = ()
    non_empty: bool = False

    def check(self, value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise BadValue(f"expected {self.name}")
        items = tuple(value)
        if (self.choices and any(v not in self.choices for v in items)) or (
            self.non_empty and not items
        ):
            raise BadValue(f"expected {self.name}")
        return items

    def from_text(self, text: str) -> tuple[str, ...]:
        return self.check([text] if self.repeatable else text)

    def to_text(self, value: object) -> str:
        if isinstance(value, (tuple, list)):
            return ",".join(value) if value else "none"
        return str(value)


@dataclass(frozen=True)
class ModuleNames(Strings):
    """A list of dotted Python module names (``my_project.layers``)."""

    name: str = "a list of Python module names such as 'my_project.layers'"
    repeatable: bool = True

    def check(self, value: object) -> tuple[str, ...]:
        items = super().check(value)
        if not all(part.isidentifier() for item in items for part in item.split(".")):
            raise BadValue(f"expected {self.name} (modules to import, not files)")
        return items


# ----------------------------------------------------------------------------------- options
@dataclass(frozen=True)
class Option:
    """One option: a row of the table everything else is derived from."""

    key: str
    kind: Kind
    default: Any
    help: str
    scope: Literal["model", "project"]
    fingerprinted: bool
    commands: frozenset[Command]
    aliases: tuple[str, ...]
    metavar: str | None

    @property
    def flag(self) -> str:
        """The command-line flag: the key with dashes."""
        return "--" + self.key.replace("_", "-")

    def check(self, value: object, where: str) -> Any:
        """``value`` from TOML at ``where``, checked and converted, or a ``ConfigError``."""
        try:
            return self.kind.check(value)
        except BadValue as exc:
            raise ConfigError(self.kind.error(where, value, exc)) from None


def option(
    kind: Kind,
    default: T,
    help: str,
    *,
    fingerprinted: bool = True,
    commands: frozenset[Command] = CONVERT,
    aliases: tuple[str, ...] = (),
    metavar: str | None = None,
) -> T:
    """Declare a dataclass field as an option (see the module docstring)."""
    meta = {
        "kind": kind,
        "help": help,
        "fingerprinted": fingerprinted,
        "commands": commands,
        "aliases": aliases,
        "metavar": metavar,
    }
    return field(default=default, metadata={"option": meta})


@dataclass(frozen=True)
class ConvertOptions:
    """How to convert and write one model."""

    format: FormatChoice = option(
        Choice("one of 'auto', 'layers', 'graph'", choices=FORMAT_CHOICES),
        "auto",
        "layers model, graph model, or auto: layers when TF.js layers can express every layer, "
        "else graph",
    )
    quantization: QuantizationDtype | None = option(
        Choice(
            "one of 'none', 'float16', 'uint8', 'uint16'",
            choices=("none", *QUANTIZATION_DTYPES),
            none_word="none",
        ),
        None,
        "store float weights as float16, or affine uint8/uint16 (none: float32)",
        aliases=("--quantize",),
    )
    quantize_only: tuple[str, ...] = option(
        Strings("a list of shell patterns", repeatable=True),
        ("*",),
        "quantize only weights whose names match one of these patterns",
        metavar="PATTERN",
    )
    quantize_skip: tuple[str, ...] = option(
        Strings("a list of shell patterns", repeatable=True),
        (),
        "never quantize weights whose names match one of these patterns, e.g. '*/bias'",
        metavar="PATTERN",
    )
    shard_size: int = option(
        Integer("a whole number >= 1", minimum=1),
        DEFAULT_SHARD_SIZE,
        "weight shard size in bytes",
        metavar="BYTES",
    )
    signature: str = option(
        Text(),
        "serving_default",
        "the SavedModel signature to convert (and to check the artifact against)",
        commands=CONVERT_AND_VERIFY,
        metavar="NAME",
    )
    tags: tuple[str, ...] = option(
        Strings("a list of strings"),
        ("serve",),
        "the SavedModel tags of the MetaGraph to load",
        metavar="TAGS",
    )
    target_backends: tuple[str, ...] = option(
        Strings(
            f"a non-empty list drawn from {', '.join(map(repr, TARGET_BACKENDS))}",
            choices=TARGET_BACKENDS,
            non_empty=True,
        ),
        DEFAULT_TARGET_BACKENDS,
        "TF.js backends a graph model must run on: conversion fails on an op one of them lacks; "
        "parity checks the parity backends among them (webgpu's kernels only when named here)",
        metavar="LIST",
    )
    tfjs_version: str = option(
        Release(),
        tfjs_versions.PINNED,
        "the TF.js release the app ships: the layers converter uses only what it can load, and "
        "parity runs in it (its packages are installed once into the tool's cache); recorded in "
        "parity.json and the lockfile",
        commands=CONVERT_AND_VERIFY,
        metavar="VERSION",
        fingerprinted=False,  # the lockfile's versions record it: a default build is unchanged
    )
    check_ops: bool = option(
        Flag(),
        True,
        "fail on ops a target backend cannot execute (graph models)",
        aliases=("--no-op-check",),
    )
    allow_unsafe_deserialization: bool = option(
        Flag(),
        False,
        "allow loading Lambda layers, which executes code stored in the model file",
        commands=CONVERT_AND_VERIFY,
    )
    imports: tuple[str, ...] = option(
        ModuleNames(),
        (),
        "Python modules to import before loading a Keras model, with the project root first on "
        "sys.path: the code registering its custom layers; their files in the project are part "
        "of the fingerprint, so editing them rebuilds the models that import them",
        fingerprinted=False,  # the modules and their files are recorded as the model's code
        commands=CONVERT_AND_VERIFY,
        aliases=("--import",),
        metavar="MODULE",
    )
    origin: Origin = field(default="python", compare=False)
    """Where these options were set (not an option: it picks the syntax of hints)."""
    project_root: Path | None = field(default=None, compare=False)
    """The directory ``imports`` are found in (not an option: the project's root, else the
    working directory)."""

    def quantization_plan(self) -> QuantizationPlan | None:
        """The weight quantization these options ask for, if any."""
        from tfjs_build.artifact.quantize import quantization_plan

        return quantization_plan(self.quantization, self.quantize_only, self.quantize_skip)


@dataclass(frozen=True)
class ParityOptions:
    """How (and whether) a build is checked against its source in TF.js."""

    parity: bool = option(
        Flag(), True, "check the artifact against its source in TF.js before publishing it"
    )
    parity_backends: tuple[str, ...] = option(
        Strings(
            f"a non-empty list drawn from {', '.join(map(repr, PARITY_BACKENDS))}",
            choices=PARITY_BACKENDS,
            non_empty=True,
        ),
        DEFAULT_PARITY_BACKENDS,
        "TF.js backends to check on: cpu and wasm run in Node; webgl, webgl-f16 (float16 "
        "textures, as on phones) and webgpu in the Chrome or Chromium on PATH or in "
        "$TFJS_BUILD_CHROME",
        commands=CONVERT_AND_VERIFY,
        metavar="LIST",
    )
    parity_seed: int = option(
        Integer("a whole number"),
        0,
        "seed of the probe inputs",
        commands=CONVERT_AND_VERIFY,
        aliases=("--seed",),
        metavar="N",
    )
    parity_samples: Path | None = option(
        OptionalPath(),
        None,
        "inputs to check on instead of probes: .npy (one input) or .npz (one array per input name)",
        commands=CONVERT_AND_VERIFY,
        aliases=("--samples",),
        metavar="FILE",
    )
    parity_atol: float | None = option(
        Tolerance(),
        None,
        "absolute tolerance (unset: the default for the weights' quantization); each of the "
        "three tolerances given overrides that default, the others keep it",
        commands=CONVERT_AND_VERIFY,
        aliases=("--atol",),
        metavar="X",
    )
    parity_rtol: float | None = option(
        Tolerance(),
        None,
        "tolerance relative to each reference value",
        commands=CONVERT_AND_VERIFY,
        aliases=("--rtol",),
        metavar="X",
    )
    parity_scale_tol: float | None = option(
        Tolerance(),
        None,
        "tolerance relative to the output's largest |reference|",
        commands=CONVERT_AND_VERIFY,
        aliases=("--scale-tol",),
        metavar="X",
    )
    origin: Origin = field(default="python", compare=False)
    """Where these options were set (not an option: it picks the syntax of hints)."""


DEFAULT_OUTPUT_ROOT = "web_model"
DEFAULT_LOCKFILE = "tfjs-build.lock"
DEFAULT_CACHE_DIR = ".tfjs-build/cache"
DEFAULT_CACHE_MAX_BYTES = 2 * 10**9


@dataclass(frozen=True)
class ProjectSettings:
    """Options of a whole project (top level of ``[tool.tfjs-build]`` only)."""

    output_root: str = option(
        Text(),
        DEFAULT_OUTPUT_ROOT,
        "where artifacts go (OUTPUT_ROOT/NAME) unless a model names its own output",
        fingerprinted=False,
        commands=frozenset({"convert", "check"}),
        metavar="DIR",
    )
    lockfile: str = option(
        Text(),
        DEFAULT_LOCKFILE,
        "the lockfile recording what each artifact was built from",
        fingerprinted=False,
        commands=frozenset({"convert", "check"}),
        metavar="FILE",
    )
    allow_outside_project: bool = option(
        Flag(),
        False,
        "allow outputs outside the project directory (where `doit clean` would delete them)",
        fingerprinted=False,
        commands=frozenset({"convert", "check"}),
    )
    cache_dir: str = option(
        Text(),
        DEFAULT_CACHE_DIR,
        "the build cache directory",
        fingerprinted=False,
        commands=frozenset({"convert", "cache"}),
        metavar="DIR",
    )
    cache_max_size: int = option(
        Size(),
        DEFAULT_CACHE_MAX_BYTES,
        "bound of the build cache: least recently used entries are evicted beyond it",
        fingerprinted=False,
        commands=frozenset({"convert"}),
        metavar="SIZE",
    )
    cache_remote: str | None = option(
        RemoteURL(),
        None,
        "a build cache shared by every machine (s3://, gs://, az://, file:///shared/dir): stale "
        "models are restored from it, and builds are pushed to it",
        fingerprinted=False,
        commands=frozenset({"convert", "cache"}),
        metavar="URL",
    )
    cache_remote_timeout: int = option(
        Integer("a whole number of seconds >= 1", minimum=1),
        30,
        "how long one round of requests to cache_remote may take (s3, gs, az); a remote that "
        "does not answer in time is left alone for the rest of the run",
        fingerprinted=False,
        commands=frozenset({"convert", "cache"}),
        metavar="SECONDS",
    )
    cache_push: bool = option(
        Flag(),
        True,
        "push builds to cache_remote (off: read it only, as pull requests from forks should)",
        fingerprinted=False,
    )


def _table(cls: type, scope: Literal["model", "project"]) -> tuple[Option, ...]:
    return tuple(
        Option(key=f.name, default=f.default, scope=scope, **f.metadata["option"])
        for f in dataclasses.fields(cls)
        if "option" in f.metadata
    )


MODEL_OPTIONS: tuple[Option, ...] = _table(ConvertOptions, "model") + _table(ParityOptions, "model")
PROJECT_OPTIONS: tuple[Option, ...] = _table(ProjectSettings, "project")
OPTIONS: dict[str, Option] = {o.key: o for o in MODEL_OPTIONS + PROJECT_OPTIONS}
"""Every option by key."""

_CONVERT_KEYS = frozenset(o.key for o in _table(ConvertOptions, "model"))


def model_options(
    values: Mapping[str, Any], origin: Origin = "python"
) -> tuple[ConvertOptions, ParityOptions]:
    """The options ``values`` (checked values by key) set, the rest at their defaults."""
    unknown = set(values) - {o.key for o in MODEL_OPTIONS}
    if unknown:
        raise TypeError(f"not per-model options: {', '.join(sorted(unknown))}")
    convert = {k: v for k, v in values.items() if k in _CONVERT_KEYS}
    parity = {k: v for k, v in values.items() if k not in _CONVERT_KEYS}
    return ConvertOptions(**convert, origin=origin), ParityOptions(**parity, origin=origin)


def _jsonable(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return value.as_posix()
    return value


def fingerprint_settings(convert: ConvertOptions, parity: ParityOptions) -> dict[str, Any]:
    """Every option that shapes the artifact, as plain JSON (recorded and fingerprinted in the
    lockfile; part of the cache key)."""
    return {
        o.key: _jsonable(getattr(convert if o.key in _CONVERT_KEYS else parity, o.key))
        for o in MODEL_OPTIONS
        if o.fingerprinted
    }


def spell(key: str, value: object, origin: Origin) -> str:
    """How a user sets option ``key`` to ``value`` where they set options: ``--no-check-ops``,
    ``check_ops = false`` in pyproject.toml, or ``check_ops=False`` in Python."""
    entry = OPTIONS[key]
    if origin == "python":
        return f"{key}={value!r}"
    if origin == "toml":
        return f"`{key} = {entry.kind.to_toml(value)}` in [tool.tfjs-build]"
    if isinstance(entry.kind, Flag):
        return entry.flag if value else "--no-" + entry.flag[2:]
    return f"{entry.flag} {shlex.quote(entry.kind.to_text(value))}"


def suggest(key: str, known: Sequence[str]) -> str:
    """``; did you mean 'x'?`` for a misspelt key, else the list of known keys."""
    import difflib

    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(sorted(known))}"
