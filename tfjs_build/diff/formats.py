"""The output formats of ``tfjs-build diff``: one renderer module each, one registry."""

from __future__ import annotations

from collections.abc import Callable

from tfjs_build.diff import render_json, render_markdown, render_text
from tfjs_build.diff.changes import DiffReport, FailKind

Renderer = Callable[[DiffReport, frozenset[FailKind]], str]

RENDERERS: dict[str, Renderer] = {
    "text": lambda report, fail_on: render_text.render(report),
    "markdown": render_markdown.render,
    "json": lambda report, fail_on: render_json.render(report),
}
"""Format name -> renderer (``fail_on``: the kinds the run fails on, which markdown calls out)."""
