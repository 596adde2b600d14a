"""Run the examples of a documentation page that it marks runnable, as a reader would.

A fenced block preceded by ``<!-- run -->`` is runnable:

- a block with a ``title="PATH"`` (``toml``, ``python``, ``yaml``, ...) writes that file;
- a ``console`` block holds commands (``$ ...``, continued by a trailing ``\\``), each followed by
  the output it prints (stdout and stderr together). An expected line ``...`` stands for any
  number of lines, and ``...`` inside a line for any text; everything else must be exact.
  ``<!-- run: fails -->`` marks a block whose commands may exit non-zero.

A page's runnable blocks run in order, starting in one empty directory, with the real tools; a
``cd`` in a command carries over to the next command and block, as in a terminal.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tfjs_build._optional import NATIVE_START_NOISE

_FENCE = re.compile(
    r"<!-- run(?P<mode>: fails)? -->\n```(?P<lang>[\w-]+)(?: title=\"(?P<title>[^\"]+)\")?\n"
    r"(?P<body>.*?)```",
    re.DOTALL,
)
_NOISE = re.compile(
    NATIVE_START_NOISE.pattern
    + r"|^WARNING: All log messages before absl|^I0000 |^W0000 |^E0000 |^To enable the following"
)


@dataclass(frozen=True)
class Block:
    """One runnable block of a page."""

    language: str
    title: str | None
    body: str
    may_fail: bool
    line: int


def runnable_blocks(page: Path) -> list[Block]:
    """The page's runnable blocks, in order."""
    text = page.read_text(encoding="utf-8")
    return [
        Block(
            m["lang"],
            m["title"],
            m["body"],
            m["mode"] is not None,
            text.count("\n", 0, m.start()) + 1,
        )
        for m in _FENCE.finditer(text)
    ]


def _commands(body: str) -> list[tuple[str, list[str]]]:
    """``(command, expected output lines)`` pairs of a console block."""
    pairs: list[tuple[str, list[str]]] = []
    lines = body.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            raise ValueError(f"output before any command: {line!r}")
        command = line[2:]
        while command.endswith("\\"):
            index += 1
            command = command[:-1] + "\n" + lines[index]
        index += 1
        expected = []
        while index < len(lines) and not lines[index].startswith("$ "):
            expected.append(lines[index])
            index += 1
        pairs.append((command, expected))
    return pairs


def _pattern(expected: list[str]) -> re.Pattern[str]:
    parts = []
    for line in expected:
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            pieces = [re.escape(piece) for piece in line.split("...")]
            parts.append("[^\n]*".join(pieces) + r"\n")
    return re.compile("".join(parts), re.DOTALL)


def matches(expected: list[str], output: str) -> bool:
    """Whether ``output`` is what ``expected`` shows (see the module docstring)."""
    text = "".join(line.rstrip() + "\n" for line in output.splitlines())
    return _pattern(expected).fullmatch(text) is not None


def clean_output(output: str) -> str:
    """The output without TensorFlow's native start-up noise."""
    return "".join(line + "\n" for line in output.splitlines() if not _NOISE.search(line))


def environment() -> dict[str, str]:
    """The environment commands run in: this Python's tools first on PATH, no TF log noise."""
    tools = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "COLUMNS": "100",
        "GIT_AUTHOR_NAME": "Tutorial",
        "GIT_AUTHOR_EMAIL": "tutorial@example.com",
        "GIT_COMMITTER_NAME": "Tutorial",
        "GIT_COMMITTER_EMAIL": "tutorial@example.com",
    }


def _run(command: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, Path]:
    """Run ``command`` in bash in ``cwd``; its exit code, output and the directory it ended in."""
    script = f'{command}\n__status=$?\npwd > "$DOCS_RUNNER_CWD"\nexit $__status\n'
    cwd_file = Path(env["DOCS_RUNNER_CWD"])
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    ended = Path(cwd_file.read_text().strip()) if cwd_file.exists() else cwd
    return result.returncode, clean_output(result.stdout), ended


def run_page(page: Path, directory: Path) -> None:
    """Run every runnable block of ``page`` starting in ``directory``; AssertionError naming the
    first block whose command fails or prints something else than the page shows."""
    env = {**environment(), "DOCS_RUNNER_CWD": str(directory.parent / f".{directory.name}.cwd")}
    cwd = directory
    for block in runnable_blocks(page):
        where = f"{page.name}:{block.line}"
        if block.title is not None:
            target = cwd / block.title
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body, encoding="utf-8")
            continue
        if block.language != "console":
            raise AssertionError(f"{where}: a runnable {block.language} block needs a title")
        for command, expected in _commands(block.body):
            code, output, cwd = _run(command, cwd, env)
            if code != 0 and not block.may_fail:
                raise AssertionError(f"{where}: `{command}` exited {code}:\n{output}")
            if not matches(expected, output):
                shown = "\n".join(expected)
                raise AssertionError(
                    f"{where}: `{shlex.join(command.split())}` printed:\n{output}\n"
                    f"the page shows:\n{shown}"
                )
