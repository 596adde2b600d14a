"""Reference pages generated from the code, so they cannot drift from it.

``python -m tfjs_build.reference`` (or ``doit docs``) rewrites them; a test fails when a page in
``docs/`` differs from what this module renders.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tfjs_build.options import MODEL_OPTIONS, PROJECT_OPTIONS, Flag, Option, Strings

CONFIGURATION_PAGE = Path("docs/reference/configuration.md")
CLI_PAGE = Path("docs/reference/cli.md")
WRONG_KERNELS_PAGE = Path("docs/reference/wrong-kernels.md")

_INTRO = """\
# Configuration reference

<!-- Generated from the option table in tfjs_build/options.py by `doit docs`; do not edit. -->

tfjs-build reads `[tool.tfjs-build]` in the project's `pyproject.toml`. Per-model keys can be set
at the top of the table (the default for every model), in a `[[tool.tfjs-build.models]]` entry
(that model only), or, converting one `SOURCE OUTPUT_DIR`, with the flag of the same name.
Project keys go at the top of the table only; their flags override them for one run.

```toml
[tool.tfjs-build]
parity_backends = ["cpu", "wasm"]    # a default for every model

[[tool.tfjs-build.models]]
source = "models/classifier.keras"   # a path, or a glob giving one model per match
name = "classifier"                  # optional: the file's stem
output = "web_model/classifier"      # optional: output_root/name
quantization = "uint8"               # this model only
```

Keys marked *fingerprinted* shape the artifact: changing one makes the model stale, so it is
rebuilt (or restored from the build cache) on the next build.
"""


def _flags(option: Option) -> str:
    if isinstance(option.kind, Flag):
        name = option.key.replace("_", "-")
        return f"`--{name}` / `--no-{name}`"
    flag = f"`{option.flag} {option.metavar or option.key.upper()}`"
    if isinstance(option.kind, Strings):
        flag += " (repeatable)" if option.kind.repeatable else " (comma-separated)"
    return flag


def _row(option: Option) -> str:
    default = option.kind.to_toml(option.default)
    commands = ", ".join(f"`{c}`" for c in sorted(option.commands))
    marks = " *fingerprinted*" if option.fingerprinted else ""
    return (
        f"### `{option.key}`\n\n{option.help[0].upper()}{option.help[1:]}.{marks}\n\n"
        f"- type: {option.kind.name}\n"
        f"- default: `{default}`\n"
        f"- flag: {_flags(option)} on {commands}\n"
    )


def _source_kinds() -> str:
    from tfjs_build.sources.registry import KINDS

    rows = [
        f"| `{kind.name}` | {kind.label} | {kind.recognised_by} | {', '.join(kind.formats)} |"
        for kind in KINDS
    ]
    return "\n".join(
        [
            "## Source kinds\n",
            "A model's `source` is recognised as the first of these kinds that claims it; "
            '`format = "auto"` builds the first format listed that can express the model.\n',
            "| kind | `inspect` calls it | recognised by | converts to |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


def configuration_reference() -> str:
    """The configuration reference page (Markdown)."""
    parts = [_INTRO, _source_kinds(), "## Per-model keys\n"]
    parts += [_row(o) for o in MODEL_OPTIONS]
    parts.append("## Project keys\n")
    parts += [_row(o) for o in PROJECT_OPTIONS]
    return "\n".join(parts)


_CLI_INTRO = """\
# Command-line reference

<!-- Generated from the argument parser (tfjs_build/cli) by `doit docs`; do not edit. -->

Every command exits 0 on success, 1 for a failure its message explains, 2 for bad usage or an
invalid configuration or lockfile, 3 for a bug in tfjs-build (with a traceback to report), 130
when interrupted (Ctrl-C) and 143 when terminated. `tfjs-build --version` prints the version.
"""


def _argument(action: argparse.Action) -> str | None:
    if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
        return None
    if action.option_strings:
        names = ", ".join(f"`{name}`" for name in action.option_strings)
        if action.nargs != 0:
            names += f" `{action.metavar or action.dest.upper()}`"
    else:
        names = f"`{action.metavar or action.dest}`"
    return f"- {names}: {action.help or ''}"


def _command_section(title: str, parser: argparse.ArgumentParser, level: int) -> list[str]:
    usage = " ".join(parser.format_usage().split())
    lines = [f"{'#' * level} `{title}`", "", parser.description or "", "", f"    {usage}", ""]
    groups: list[argparse._ArgumentGroup] = parser._action_groups
    for group in groups:
        items = [item for item in map(_argument, group._group_actions) if item]
        if items and group.title not in ("positional arguments", "options"):
            lines += [f"**{group.title}**", ""]
        lines += items + ([""] if items else [])
    if parser.epilog:
        lines += ["```", parser.epilog.strip(), "```", ""]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                lines += _command_section(f"{title} {name}", sub, level + 1)
    return lines


def cli_reference() -> str:
    """The command-line reference page (Markdown), from the real parser."""
    from tfjs_build.cli import make_parser

    parser = make_parser()
    lines = [_CLI_INTRO]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                lines += _command_section(f"tfjs-build {name}", sub, 2)
    return "\n".join(lines).rstrip() + "\n"


_WRONG_KERNELS_INTRO = """\
# TF.js kernels known to compute wrong numbers

<!-- Generated from tfjs_build/graph/wrong_kernels.py by `doit docs`; do not edit. -->

TF.js has these ops, so the op check alone would pass them, but in the forms and on the backends
below it computes other numbers than TensorFlow. When a model's `target_backends` include an
affected backend of the pinned TF.js version, the graph converter replaces each such node by ops
that compute the right numbers ("instead"); a form it cannot replace is refused like an op TF.js
lacks, naming the op and the backend. Each entry's proof is a test that runs the node as it is in
real TF.js (cpu and wasm in Node, webgl in headless Chromium) and shows the wrong numbers (or the
abort) on the backends named and the right numbers on the others; when a new TF.js fixes one, its
proof fails and the entry goes.
"""


def wrong_kernels_reference() -> str:
    """The known-wrong-kernel page (Markdown), from the table."""
    from tfjs_build.graph.wrong_kernels import WRONG_KERNELS

    lines = [_WRONG_KERNELS_INTRO]
    for entry in WRONG_KERNELS:
        backends = ", ".join(sorted(entry.backends)) if entry.backends else "every backend"
        lines += [
            f"## `{entry.form}`\n",
            f"- TF.js: {', '.join(sorted(entry.tfjs_versions))}; backends: {backends}",
            f"- wrong: {entry.wrong}",
            f"- instead: {entry.instead}",
            f"- proof: `{entry.proof}`\n",
        ]
    return "\n".join(lines).rstrip() + "\n"


def pages() -> dict[Path, str]:
    """Every generated page by its path in the repository."""
    return {
        CONFIGURATION_PAGE: configuration_reference(),
        CLI_PAGE: cli_reference(),
        WRONG_KERNELS_PAGE: wrong_kernels_reference(),
    }


def write_pages(root: Path) -> list[Path]:
    """Rewrite every generated page under ``root``; return the ones that changed."""
    changed = []
    for relative, text in pages().items():
        path = root / relative
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for page in write_pages(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(f"rewrote {page}")
