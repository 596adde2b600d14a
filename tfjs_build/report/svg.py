"""The error distribution of one output as an inline SVG bar chart (readable without JavaScript):
one group of bars per error decade, one bar per backend, heights in percent of the elements."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from tfjs_build.parity.compare import ERROR_BIN_UPPER

COLORS = {"cpu": "#4c72b0", "wasm": "#55a868", "webgl": "#c44e52", "webgl-f16": "#8172b2"}
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 560, 210, 40, 46, 26


def bin_labels() -> list[str]:
    """``0``, ``≤1e-9``, ..., ``≤10``, ``>10``: the bins of :data:`ERROR_BIN_UPPER`."""
    labels = ["0"]
    for bound in ERROR_BIN_UPPER[1:-1]:
        labels.append(f"≤{bound:.0e}".replace("e+00", "").replace("e+01", "0").replace("e-0", "e-"))
    return [*labels, f">{ERROR_BIN_UPPER[-2]:g}"]


def histogram_svg(title: str, series: Sequence[tuple[str, Sequence[int]]]) -> str:
    """An SVG of ``series`` (backend, counts per bin) titled ``title``."""
    labels = bin_labels()
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(labels)
    bar = (slot - 4) / max(len(series), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="600">{escape(title)}</text>',
    ]
    for percent in (0, 50, 100):
        y = TOP + plot_h * (1 - percent / 100)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dae3"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{percent}%</text>'
        )
    for s, (backend, counts) in enumerate(series):
        total = sum(counts) or 1
        color = COLORS.get(backend, "#777")
        for i, count in enumerate(counts):
            height = plot_h * count / total
            x = LEFT + i * slot + 2 + s * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{color}"><title>{escape(backend)}, '
                f"|error| {escape(labels[i])}: {count} of {total}</title></rect>"
            )
    for i, label in enumerate(labels):
        x = LEFT + (i + 0.5) * slot
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" font-size="9" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 14}" font-size="10" '
        'text-anchor="middle">absolute error |TF.js &#8722; TensorFlow| (share of elements)</text>'
    )
    for s, (backend, _) in enumerate(series):
        x = LEFT + s * 90
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 9}" width="9" height="9" fill="{COLORS.get(backend, "#777")}"/>'
            f'<text x="{x + 13}" y="{HEIGHT - 1}" font-size="10">{escape(backend)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
