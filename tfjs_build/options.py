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
from tfjs_build.artifact.format import (
    DEFAULT_SHARD_SIZE,
    QUANTIZATION_DTYPES,
    RESERVED_METADATA_KEYS,
    QuantizationDtype,
)
from tfjs_build.backends import (
    DEFAULT_PARITY_BACKENDS,
    DEFAULT_TARGET_BACKENDS,
    PARITY_BACKENDS,
    TARGET_BACKENDS,
)
from tfjs_build.display import human_bytes, parse_size
from tfjs_build.errors import ConfigError

if TYPE_CHECKING:
    from tfjs_build.artifact.quantization_rules import WeightQuantizer

T = TypeVar("T")

FormatChoice = Literal["auto", "layers", "graph"]
FORMAT_CHOICES: tuple[FormatChoice, ...] = ("auto", "layers", "graph")
AutoBool = Literal["auto"] | bool
"""An option that decides by itself (``"auto"``) unless forced on or off."""
ExplainMode = Literal["always", "on_failure", "never"]
"""When parity localizes a divergence: on every backend, on failing ones, or never."""
EXPLAIN_CHOICES: tuple[ExplainMode, ...] = ("always", "on_failure", "never")
REMOTE_CLIENTS = ("auto", "obstore", "fsspec")
"""``cache_remote_client``'s values (the clients themselves: project/remote_clients.py)."""
Origin = Literal["cli", "toml", "python"]
"""Where options were set, so that hints speak its syntax: a flag, a TOML key, a keyword."""

Command = Literal["convert", "verify", "check", "cache", "diff"]
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

    def to_json(self, value: object) -> object:
        """``value`` as plain JSON (the lockfile's record and the fingerprint)."""
        return _jsonable(value)

    def spell_flags(self, flag: str, value: object) -> str:
        """The command-line flags that set the option of ``flag`` to ``value``."""
        return f"{flag} {shlex.quote(self.to_text(value))}"

    def fingerprint(self, value: object, root: Path | None) -> object:
        """What of ``value`` shapes the artifact, as JSON (files it names are read from ``root``)."""
        return self.to_json(value)

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
class AutoFlag(Kind):
    """``"auto"``, ``true`` or ``false`` (on the command line ``auto``, ``true`` or ``false``)."""

    name: str = "'auto', true or false"

    def check(self, value: object) -> AutoBool:
        if isinstance(value, bool) or value == "auto":
            return value
        if value in ("true", "false"):
            return value == "true"
        raise BadValue(f"expected {self.name}")

    def to_text(self, value: object) -> str:
        return value if isinstance(value, str) else str(value).lower()


QuantizationTable = tuple[tuple[QuantizationDtype, tuple[str, ...]], ...]
"""Shell patterns by quantization dtype, in the order of ``QUANTIZATION_DTYPES``."""
AUTO_QUANTIZATION = "auto"
"""``quantization = "auto"``: tfjs-build searches each weight's dtype (see
:mod:`tfjs_build.quantization_search`)."""
QuantizationSetting = QuantizationDtype | Literal["auto"] | QuantizationTable | None


@dataclass(frozen=True)
class QuantizationKind(Kind):
    """One dtype for every float weight (``"uint8"``), ``"none"``, ``"auto"`` (the narrowest
    dtype per weight that still passes parity), or a table of shell patterns
    by dtype (``{uint8 = ["*/kernel"], float16 = ["*"]}``: each weight takes the dtype of its most
    specific pattern; see :mod:`tfjs_build.artifact.quantization_rules`). On the command line the
    table is ``--quantize-uint8 PATTERN`` (``table_flag_prefix`` and the dtype), repeatable."""

    name: str = (
        "'none', 'float16', 'uint8', 'uint16', 'auto', or a table of patterns by dtype such as "
        '{uint8 = ["*/kernel"], float16 = ["*"]}'
    )
    table_flag_prefix: str = "--quantize-"

    def check(self, value: object) -> QuantizationSetting:
        if value is None or value == "none":
            return None
        if isinstance(value, str) and value in QUANTIZATION_DTYPES:
            return value
        if value == "auto":
            return "auto"
        if isinstance(value, tuple):
            value = dict(value)
        if not isinstance(value, Mapping):
            raise BadValue(f"expected {self.name}")
        unknown = [k for k in value if k not in QUANTIZATION_DTYPES]
        if unknown or not value:
            raise BadValue(
                f"a quantization table maps {', '.join(QUANTIZATION_DTYPES)} to lists of weight "
                f"name patterns{'; not ' + repr(unknown[0]) if unknown else ''}"
            )
        table = []
        for dtype in QUANTIZATION_DTYPES:
            if dtype in value:
                try:
                    patterns = Strings("a list of shell patterns", non_empty=True).check(
                        value[dtype] if not isinstance(value[dtype], str) else [value[dtype]]
                    )
                except BadValue:
                    raise BadValue(
                        f"{dtype} takes a non-empty list of weight name patterns such as "
                        '["*/kernel"]'
                    ) from None
                table.append((dtype, patterns))
        return tuple(table)

    def to_text(self, value: object) -> str:
        if isinstance(value, tuple):
            return " ".join(self.table_flags(value))
        return "none" if value is None else str(value)

    def table_flags(self, table: QuantizationTable) -> list[str]:
        """``--quantize-DTYPE PATTERN`` for each pattern of ``table``."""
        return [
            f"{self.table_flag_prefix}{dtype} {shlex.quote(pattern)}"
            for dtype, patterns in table
            for pattern in patterns
        ]

    def spell_flags(self, flag: str, value: object) -> str:
        if isinstance(value, tuple):
            return self.to_text(value)
        return f"{flag} {self.to_text(value)}"

    def to_toml(self, value: object) -> str:
        if isinstance(value, tuple):
            entries = (
                f"{dtype} = {Strings('patterns').to_toml(patterns)}" for dtype, patterns in value
            )
            return "{" + ", ".join(entries) + "}"
        return super().to_toml("none" if value is None else value)

    def to_json(self, value: object) -> object:
        if isinstance(value, tuple):
            return {dtype: list(patterns) for dtype, patterns in value}
        return value


NamedFiles = tuple[tuple[str, Path], ...]


@dataclass(frozen=True)
class NamedFileTable(Kind):
    """Files by name: a TOML table ``{labels = "labels.json"}`` (paths relative to the project
    root), on the command line ``--flag NAME=FILE`` (relative to the working directory),
    repeatable. Names in ``reserved`` are refused. The files' contents are fingerprinted."""

    name: str = 'a table of names and JSON files such as {labels = "labels.json"}'
    repeatable: bool = True
    reserved: tuple[str, ...] = ()

    def check(self, value: object) -> NamedFiles:
        if isinstance(value, tuple):
            value = dict(value)
        if not isinstance(value, Mapping):
            raise BadValue(f"expected {self.name}")
        items = []
        for key, path in value.items():
            if not isinstance(key, str) or not key:
                raise BadValue(f"expected {self.name}")
            if key in self.reserved:
                raise BadValue(f"{key!r} is a key tfjs-build writes itself; choose another name")
            if not isinstance(path, (str, Path)) or not str(path):
                raise BadValue(f'{key!r} needs a file path, such as "{key}.json"')
            items.append((key, Path(path)))
        return tuple(items)

    def from_text(self, text: str) -> NamedFiles:
        key, equals, path = text.partition("=")
        if not equals or not key or not path:
            raise BadValue(f"expected NAME=FILE such as labels=labels.json, not {text!r}")
        return self.check({key: path})

    def to_text(self, value: object) -> str:
        pairs = value if isinstance(value, tuple) else ()
        return ",".join(f"{k}={Path(p).as_posix()}" for k, p in pairs) or "none"

    def spell_flags(self, flag: str, value: object) -> str:
        pairs = value if isinstance(value, tuple) else ()
        return " ".join(f"{flag} {shlex.quote(f'{k}={Path(p).as_posix()}')}" for k, p in pairs)

    def to_toml(self, value: object) -> str:
        pairs = value if isinstance(value, tuple) else ()
        entries = (
            f"{k} = {super(NamedFileTable, self).to_toml(Path(p).as_posix())}" for k, p in pairs
        )
        return "{" + ", ".join(entries) + "}"

    def to_json(self, value: object) -> object:
        pairs = value if isinstance(value, tuple) else ()
        return {k: Path(p).as_posix() for k, p in pairs}

    def fingerprint(self, value: object, root: Path | None) -> object:
        import hashlib

        pairs = value if isinstance(value, tuple) else ()
        recorded = {}
        for key, path in pairs:
            file = (root or Path.cwd()) / path
            try:
                digest: str | None = "sha256:" + hashlib.sha256(file.read_bytes()).hexdigest()
            except OSError:
                digest = None  # the build says why it cannot read it
            recorded[key] = {"file": Path(path).as_posix(), "sha256": digest}
        return recorded


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
    """A TF.js release the version facts were measured in (``tfjs_versions.releases()``)."""

    name: str = (
        f"a TF.js release such as '{tfjs_versions.PINNED}', from {tfjs_versions.OLDEST} to "
        f"{tfjs_versions.PINNED}"
    )

    def check(self, value: object) -> str:
        text = Text(self.name).check(value).strip()
        problem = tfjs_versions.unknown_release(text)
        if problem is not None:
            raise BadValue(problem)
        return text


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
class OptionalSize(Kind):
    """A size (as :class:`Size` reads it), or unset."""

    name: str = "a size such as '5 MB', '800 kB' or a number of bytes"

    def check(self, value: object) -> int | None:
        return None if value is None else Size(self.name).check(value)

    def error(self, where: str, value: object, problem: BadValue) -> str:
        return Size(self.name).error(where, value, problem)

    def to_toml(self, value: object) -> str:
        return "unset" if value is None else Size(self.name).to_toml(value)

    def to_text(self, value: object) -> str:
        return "unset" if value is None else Size(self.name).to_text(value)


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
    quantization: QuantizationSetting = option(
        QuantizationKind(),
        None,
        "store float weights as float16, or affine uint8/uint16 (none: float32); auto: the "
        "narrowest dtype per weight that still passes parity; or a table of "
        "weight name patterns by dtype, each weight taking the dtype of its most specific "
        "pattern (--quantize-uint8 PATTERN, --quantize-uint16 PATTERN, --quantize-float16 "
        "PATTERN, repeatable)",
        aliases=("--quantize",),
        metavar="DTYPE",
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
    split_weights_by_layer: bool = option(
        Flag(),
        False,
        "layers models: each layer's weights in a weight group of its own (its own shard files, "
        "group2-shard1of1.bin, ...), as tensorflowjs_converter --split_weights_by_layer",
    )
    metadata: NamedFiles = option(
        NamedFileTable(reserved=RESERVED_METADATA_KEYS),
        (),
        "JSON files whose content goes into model.json's userDefinedMetadata under their names "
        '(labels=labels.json puts the file\'s content under "labels"); the files are part of the '
        "fingerprint",
        metavar="NAME=FILE",
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
    output_nodes: tuple[str, ...] = option(
        Strings("a list of node names", repeatable=True),
        (),
        "a frozen graph's output nodes, by name, commas between names (its inputs are its "
        "Placeholders; part of its source fingerprint)",
        metavar="NODES",
        fingerprinted=False,  # the frozen graph's source fingerprint covers them
    )

    @property
    def output_node_names(self) -> tuple[str, ...]:
        """``output_nodes`` with comma-separated names split (node names hold no commas)."""
        return tuple(n.strip() for item in self.output_nodes for n in item.split(",") if n.strip())

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
    max_size: int | None = option(
        OptionalSize(),
        None,
        "the artifact's budget: a build whose model.json and shards are larger is rejected (the "
        "previous artifact stays, the rejected build is kept aside) and `check` reports an "
        "artifact over it",
        fingerprinted=False,  # a budget judges an artifact, it does not shape it
        metavar="SIZE",
    )
    structured_outputs: AutoBool = option(
        AutoFlag(),
        "auto",
        "graph models: predict() returns a map of named outputs (true), a Tensor or an array of "
        "them as tensorflowjs_converter's (false), or auto: a Tensor for one output, the named "
        "map for several",
        metavar="auto|true|false",
    )
    tfjs_version: str = option(
        Release(),
        tfjs_versions.PINNED,
        "the TF.js release the app ships (one of those tfjs-build has measured, 3.21.0 to "
        "4.22.0): the layers converter and the op check use only what it has, and parity runs "
        "in it (its packages are installed once into the tool's cache); recorded in "
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

    def quantization_plan(self) -> WeightQuantizer | None:
        """The weight quantization these options ask for, if any (``"auto"``: none yet; the
        build's search chooses it)."""
        if self.quantization == "auto":
            return None
        if isinstance(self.quantization, tuple):
            from tfjs_build.artifact.quantization_rules import MixedQuantizationPlan

            if self.quantize_only != OPTIONS["quantize_only"].default:
                raise ConfigError(
                    f"{spell('quantize_only', self.quantize_only, self.origin)} applies to one "
                    "quantization dtype; with a table of patterns by dtype, the table's patterns "
                    "say which weights are quantized"
                )
            return MixedQuantizationPlan(self.quantization, self.quantize_skip)
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
    parity_explain: ExplainMode = option(
        Choice("one of 'always', 'on_failure', 'never'", choices=EXPLAIN_CHOICES),
        "on_failure",
        "when to find the first layer or node whose output diverges (one more TF.js pass per "
        "backend): on a failing backend, always (also for passing builds, e.g. for CI logs) or "
        "never",
        fingerprinted=False,
        commands=CONVERT_AND_VERIFY,
        metavar="WHEN",
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
        commands=frozenset({"convert", "check", "diff"}),
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
    cache_remote_client: str = option(
        Choice("one of 'auto', 'obstore', 'fsspec'", choices=REMOTE_CLIENTS),
        "auto",
        "the client that talks to cache_remote: obstore (s3:// only; credentials from the AWS_* "
        "environment variables, not profiles), fsspec (every URL; s3fs, gcsfs, adlfs), or auto: "
        "obstore for s3:// when it is installed, the environment names credentials and no "
        "AWS_PROFILE or FSSPEC_S3_* is set, fsspec otherwise",
        fingerprinted=False,
        commands=frozenset({"convert", "cache"}),
        metavar="CLIENT",
    )
    depfile_dir: Path | None = option(
        OptionalPath("a directory"),
        None,
        "write a Make/Ninja depfile DIR/NAME.d for each model a project build brings up to date: "
        "its model.json depends on every file of its source, its imported modules and "
        "pyproject.toml (paths relative to the project)",
        fingerprinted=False,
        metavar="DIR",
    )
    cache_push: bool = option(
        Flag(),
        True,
        "push builds to cache_remote (off: read it only, as pull requests from forks should)",
        fingerprinted=False,
    )
    cache_trusted_keys: tuple[str, ...] = option(
        Strings("a list of public key files such as 'keys/cache.pub'", repeatable=True),
        (),
        "public keys (files `tfjs-build cache keygen` writes, relative to the project): when "
        "set, only cache_remote entries signed by one of them are restored, others are taken "
        "as absent; pushers sign with the secret key $TFJS_BUILD_CACHE_SIGNING_KEY names",
        fingerprinted=False,
        commands=frozenset({"convert", "cache"}),
        metavar="FILES",
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
    values = {**values, **_release_backends(values)}
    _check_release_has_backends(values, origin)
    convert = {k: v for k, v in values.items() if k in _CONVERT_KEYS}
    parity = {k: v for k, v in values.items() if k not in _CONVERT_KEYS}
    return ConvertOptions(**convert, origin=origin), ParityOptions(**parity, origin=origin)


_BACKEND_KEYS = ("target_backends", "parity_backends")


def _release_backends(values: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The default backends less those TF.js ``tfjs_version`` has no package for (wasm skips
    4.7.0 and 4.18.0), for the backend options ``values`` leaves at their defaults."""
    version = values.get("tfjs_version", tfjs_versions.PINNED)
    return {
        key: tuple(b for b in OPTIONS[key].default if not tfjs_versions.missing_package(version, b))
        for key in _BACKEND_KEYS
        if key not in values
    }


def _check_release_has_backends(values: Mapping[str, Any], origin: Origin) -> None:
    """A backend chosen whose package TF.js ``tfjs_version`` lacks is a ``ConfigError`` before
    any build (webgpu starts at 4.6.0)."""
    version = values.get("tfjs_version", tfjs_versions.PINNED)
    for key in _BACKEND_KEYS:
        if key == "parity_backends" and not values.get("parity", True):
            continue
        for backend in values[key]:
            lacking = tfjs_versions.missing_package(version, backend)
            if lacking is not None:
                raise ConfigError(
                    f"{spell('tfjs_version', version, origin)} with "
                    f"{spell(key, values[key], origin)}: {lacking}; choose another release or "
                    f"leave {backend} out"
                )


def checked_model_options(
    values: Mapping[str, Any], origin: Origin, caller: str
) -> tuple[ConvertOptions, ParityOptions]:
    """Per-model options from raw values by key (as Python or TOML gives them), each checked as in
    pyproject.toml; an unknown key is a ``ConfigError`` naming ``caller``, with "did you mean"."""
    known = {o.key: o for o in MODEL_OPTIONS}
    checked = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{caller} got unknown option {key!r}{suggest(key, list(known))}")
        checked[key] = known[key].check(value, key)
    return model_options(checked, origin=origin)


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
        o.key: o.kind.fingerprint(
            getattr(convert if o.key in _CONVERT_KEYS else parity, o.key), convert.project_root
        )
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
    return entry.kind.spell_flags(entry.flag, value)


def suggest(key: str, known: Sequence[str]) -> str:
    """``; did you mean 'x'?`` for a misspelt key, else the list of known keys."""
    import difflib

    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(sorted(known))}"
