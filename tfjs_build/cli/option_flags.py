"""Command-line flags derived from the option table, and the options a command line set.

Every option of :mod:`tfjs_build.options` that lists a command gets a flag there named like its
TOML key (``quantize_only`` is ``--quantize-only``; a boolean ``check_ops`` has ``--check-ops``
and ``--no-check-ops``), with its type, help and default from the table. Older spellings
(``--quantize``, ``--seed``, ``--no-op-check``, ...) keep working, unlisted. Flags default to
"not given", so a command knows exactly which options its command line set.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tfjs_build.artifact.format import QUANTIZATION_DTYPES
from tfjs_build.errors import UsageError
from tfjs_build.options import (
    MODEL_OPTIONS,
    PROJECT_OPTIONS,
    Command,
    ConvertOptions,
    Flag,
    Option,
    ParityOptions,
    QuantizationKind,
    model_options,
)

_CONVERT_GROUP = "conversion"
_PARITY_GROUP = "parity check"


def _help(option: Option) -> str:
    """The option's help with its default, as the command line sees it."""
    if isinstance(option.kind, Flag):
        name = option.key.replace("_", "-")
        if option.default:
            return f"{option.help} (default: on; --no-{name} turns it off)"
        return f"{option.help} (default: off)"
    repeat = "; repeatable" if option.kind.repeatable else ""
    return f"{option.help}{repeat} (default: {option.kind.to_text(option.default)})"


def _type(option: Option) -> Any:
    def convert(text: str) -> Any:
        try:
            return option.kind.from_text(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = option.kind.name  # argparse names the type in its error messages
    return convert


class _ExtendTuple(argparse.Action):
    """A repeatable flag whose values collect into one tuple."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, (*getattr(namespace, self.dest, ()), *values))


class _AddToTable(argparse.Action):
    """``--quantize-uint8 PATTERN``: one more pattern in the table's entry ``const`` (``uint8``)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        table = dict(getattr(namespace, self.dest, None) or {})
        table[self.const] = (*table.get(self.const, ()), values)
        setattr(namespace, self.dest, table)


def _table_dest(option: Option) -> str:
    return f"{option.key}__table"


def _add_quantization_table(group: Any, option: Option, kind: QuantizationKind) -> None:
    for dtype in QUANTIZATION_DTYPES:
        group.add_argument(
            f"{kind.table_flag_prefix}{dtype}",
            dest=_table_dest(option),
            action=_AddToTable,
            const=dtype,
            default=argparse.SUPPRESS,
            metavar="PATTERN",
            help=f"quantize float weights matching PATTERN to {dtype}, unless a more specific "
            "pattern of another --quantize-DTYPE matches them; repeatable",
        )


def _add(group: Any, option: Option) -> None:
    if isinstance(option.kind, QuantizationKind):
        _add_quantization_table(group, option, option.kind)
    help_text = _help(option)
    if isinstance(option.kind, Flag):
        name = option.key.replace("_", "-")
        group.add_argument(
            f"--{name}",
            dest=option.key,
            action="store_const",
            const=True,
            default=argparse.SUPPRESS,
            help=help_text if not option.default else argparse.SUPPRESS,
        )
        group.add_argument(
            f"--no-{name}",
            dest=option.key,
            action="store_const",
            const=False,
            default=argparse.SUPPRESS,
            help=help_text if option.default else argparse.SUPPRESS,
        )
        for alias in option.aliases:
            group.add_argument(
                alias,
                dest=option.key,
                action="store_const",
                const=not alias.startswith("--no-"),
                default=argparse.SUPPRESS,
                help=argparse.SUPPRESS,
            )
        return
    common: dict[str, Any] = {
        "dest": option.key,
        "type": _type(option),
        "default": argparse.SUPPRESS,
        "metavar": option.metavar or option.key.upper(),
    }
    if option.kind.repeatable:
        common["action"] = _ExtendTuple
    group.add_argument(option.flag, help=help_text, **common)
    for alias in option.aliases:
        group.add_argument(alias, help=argparse.SUPPRESS, **common)


def add_model_flags(parser: argparse.ArgumentParser, command: Command) -> None:
    """Flags for every per-model option that ``command`` takes, in two groups."""
    convert_keys = {f for f in ConvertOptions.__dataclass_fields__}
    groups = {
        _CONVERT_GROUP: parser.add_argument_group(_CONVERT_GROUP),
        _PARITY_GROUP: parser.add_argument_group(_PARITY_GROUP),
    }
    for option in MODEL_OPTIONS:
        if command in option.commands:
            _add(groups[_CONVERT_GROUP if option.key in convert_keys else _PARITY_GROUP], option)


def add_project_flags(group: Any, command: Command) -> None:
    """Flags for every project-level option that ``command`` takes."""
    for option in PROJECT_OPTIONS:
        if command in option.commands:
            _add(group, option)


def given(args: argparse.Namespace, options: Sequence[Option]) -> dict[str, Any]:
    """The values of ``options`` that the command line set, by key."""
    values = {o.key: getattr(args, o.key) for o in options if hasattr(args, o.key)}
    for option in options:
        table = getattr(args, _table_dest(option), None)
        if table is None:
            continue
        if option.key in values:
            raise UsageError(
                f"give {option.flag} DTYPE (every float weight) or --quantize-DTYPE PATTERN flags "
                "(weights by name), not both"
            )
        values[option.key] = option.kind.check(table)
    return values


def model_options_from_args(args: argparse.Namespace) -> tuple[ConvertOptions, ParityOptions]:
    """The per-model options the command line asks for (the rest at their defaults)."""
    return model_options(given(args, MODEL_OPTIONS), origin="cli")


def project_overrides(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Project-level options the command line set. Their paths are relative to the working
    directory (in pyproject.toml, to the project ``root``), so they are made absolute, or relative
    to ``root`` where they lie inside it."""
    values = given(args, PROJECT_OPTIONS)
    for key in ("cache_dir", "lockfile", "output_root"):
        if key in values:
            path = Path(values[key]).expanduser().resolve()
            values[key] = str(path.relative_to(root) if path.is_relative_to(root) else path)
    return values


def flags_of(keys: Sequence[str]) -> list[str]:
    """``--flag`` of each option key, in order."""
    table = {o.key: o for o in (*MODEL_OPTIONS, *PROJECT_OPTIONS)}
    return [table[key].flag for key in keys]
