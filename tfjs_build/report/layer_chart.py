"""A failing model's error per layer (or node) as an inline SVG bar chart, readable without
JavaScript: one bar per layer in topological order, its height the max abs error on a log scale,
bars beyond the tolerance in red and the first diverging one marked and named."""

from __future__ import annotations

import math
from html import escape

from tfjs_build.parity.record import DivergenceRecord, StepRecord, divergence_words

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 560, 200, 44, 30, 26
FLOOR = 1e-9
"""Errors below this (exact zeros included) sit on the chart's floor."""
PASS_COLOR, FAIL_COLOR, FIRST_COLOR = "#4c72b0", "#c44e52", "#8b1a1a"


def divergence_svg(title: str, divergence: DivergenceRecord) -> str:
    """An SVG of ``divergence``'s steps titled ``title``."""
    steps = divergence["steps"]
    finite = [e for e in map(_error, steps) if math.isfinite(e)]
    ceiling = max(finite, default=1.0) * 10  # NaN or infinite errors: off the top
    errors = [e if math.isfinite(e) else ceiling for e in map(_error, steps)]
    top_decade = max(0, math.ceil(math.log10(max(errors, default=1.0))))
    bottom_decade = round(math.log10(FLOOR))
    span = top_decade - bottom_decade
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(steps), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="600">{escape(title)}</text>',
    ]
    for decade in range(bottom_decade, top_decade + 1, 3):
        y = TOP + plot_h * (1 - (decade - bottom_decade) / span)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dae3"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">1e{decade}</text>'
        )
    for i, (step, error) in enumerate(zip(steps, errors, strict=True)):
        height = plot_h * (math.log10(error) - bottom_decade) / span
        first = step["name"] == divergence["name"]
        color = FIRST_COLOR if first else PASS_COLOR if step["passed"] else FAIL_COLOR
        x = LEFT + i * slot + min(1.0, slot / 4)
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{max(slot - min(2.0, slot / 2), 0.5):.1f}" height="{height:.1f}" '
            f'fill="{color}"><title>{_label(step)}</title></rect>'
        )
        if first:
            anchor = "end" if i > len(steps) / 2 else "start"
            parts.append(
                f'<text x="{x:.1f}" y="{TOP + plot_h - height - 4:.1f}" font-size="10" '
                f'text-anchor="{anchor}">first diverges: {escape(step["name"])}</text>'
            )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 10}" font-size="10" text-anchor="middle">'
        f"{len(steps)} {escape(divergence['kind'])}s in topological order: max abs error "
        "(red: beyond the tolerance)</text></svg>"
    )
    return "".join(parts)


def divergence_sentence(divergence: DivergenceRecord) -> str:
    """The record's finding as one HTML sentence, worded as on the failure line."""
    text = divergence_words(divergence)
    return escape(text[:1].upper() + text[1:]) + "."


def _error(step: StepRecord) -> float:
    value = step["max_abs_error"]
    return math.inf if isinstance(value, str) else max(float(value), FLOOR)


def _label(step: StepRecord) -> str:
    verdict = "ok" if step["passed"] else "beyond the tolerance"
    return (
        f"{escape(step['name'])} ({escape(step['op'])}): max abs error "
        f"{_num(step['max_abs_error'])}, {verdict}"
    )


def _num(value: float | str | None) -> str:
    if isinstance(value, float):
        return f"{value:.2g}"
    return escape(str(value))
