"""``index.html`` of the report: one section per model, all of it readable without JavaScript
except the live check, which the page's script fills in."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

from tfjs_build import __version__
from tfjs_build.artifact.quantization_record import NARROWEST_FIRST, plan_summary, recorded_plan
from tfjs_build.display import human_bytes
from tfjs_build.parity.record import DivergenceRecord
from tfjs_build.report.collect import ModelEntry, live_tolerances
from tfjs_build.report.layer_chart import divergence_sentence, divergence_svg
from tfjs_build.report.svg import histogram_svg
from tfjs_build.tool_dir import REJECTED_DIR

TOP_KINDS = 14
"""Layer classes or ops listed per model; the rest are counted."""


def render_page(entries: Sequence[ModelEntry], report_dir: Path, title: str, tfjs: str) -> str:
    """The whole page; links to artifacts are relative to ``report_dir``."""
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sections = "\n".join(_section(entry, report_dir) for entry in entries)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="assets/report.css">
</head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">{len(entries)} model(s), generated {generated} by tfjs-build {escape(__version__)}
for TF.js {escape(tfjs)}. Numbers come from each build's parity check; the live check below each
model runs the artifact again in <em>this</em> browser with the bundled TF.js (served over HTTP,
e.g. <code>python -m http.server</code> at the project root).</p>
{_backend_form()}
{_overview(entries)}
{sections}
<script src="assets/tf.min.js"></script>
<script src="assets/run_model.js"></script>
<script src="assets/live.js"></script>
</body>
</html>
"""


def _overview(entries: Sequence[ModelEntry]) -> str:
    rows = []
    for entry in entries:
        summary = entry.summary
        size = human_bytes(summary.shard_bytes) if summary else "&ndash;"
        fmt = summary.format if summary else "&ndash;"
        rows.append(
            f'<tr><td><a href="#model-{escape(entry.spec.name)}">{escape(entry.spec.name)}</a></td>'
            f"<td>{escape(fmt)}</td><td class=num>{size}</td><td>{_parity_badge(entry)}</td>"
            f"<td>{_freshness(entry)}</td></tr>"
        )
    return (
        "<table><tr><th>model</th><th>format</th><th>weights</th><th>parity at build</th>"
        f"<th>artifact</th></tr>{''.join(rows)}</table>"
    )


def _parity_badge(entry: ModelEntry) -> str:
    parity = entry.parity
    if parity is None:
        return '<span class="skip">no record</span>'
    if parity.get("skipped"):
        return f'<span class="skip">SKIPPED</span> ({escape(str(parity.get("reason", "")))})'
    word, css = ("PASSED", "pass") if parity.get("passed") else ("FAILED", "fail")
    return f'<span class="{css}">{word}</span> on {escape(" + ".join(entry.checked_backends))}'


def _freshness(entry: ModelEntry) -> str:
    if not entry.stale:
        return "up to date"
    return f'<span class="stale">stale: {escape("; ".join(entry.stale))}</span>'


def _section(entry: ModelEntry, report_dir: Path) -> str:
    name = escape(entry.spec.name)
    parts = [f'<h2 id="model-{name}">{name}</h2>', _facts(entry)]
    if entry.summary is not None:
        parts.append(_kinds(entry))
    parts.append(_auto_plan(entry))
    parts.append(_parity(entry))
    if entry.rejected_parity is not None:
        parts.append(_rejected(entry.rejected_parity))
    parts.append(_timings(entry))
    parts.append(f"<h3>Live check in this browser</h3><p>{_live(entry, report_dir)}</p>")
    return "\n".join(parts)


def _facts(entry: ModelEntry) -> str:
    spec, summary = entry.spec, entry.summary
    rows = [
        ("source", f"<code>{escape(spec.source.as_posix())}</code>"),
        ("artifact", f"<code>{escape(spec.output.as_posix())}</code>"),
    ]
    if summary is not None:
        quantization = ", ".join(f"{k}: {v}" for k, v in sorted(summary.quantization.items()))
        rows += [
            ("format", escape(summary.format)),
            ("weights", f"{human_bytes(summary.shard_bytes)} ({summary.parameters:,} values)"),
            ("shards", f"{len(summary.shards)}"),
            ("quantization", escape(quantization or "none") + " weight(s)"),
            ("inputs", _tensors(summary.inputs)),
            ("outputs", _tensors(summary.outputs)),
        ]
    if entry.problem:
        rows.append(("problem", f'<span class="fail">{escape(entry.problem)}</span>'))
    rows.append(("lockfile", _freshness(entry)))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


AUTO_LISTED = 20
"""How many weights kept wide the report names before "and N more"."""


def _auto_plan(entry: ModelEntry) -> str:
    """What ``quantization = "auto"`` chose: bytes per dtype, and the weights kept wide and why."""
    plan = recorded_plan(entry.parity)
    if plan is None:
        return ""
    rows = "".join(
        f"<tr><td>{escape(dtype)}</td><td class=num>{len(plan['weights'][dtype])}</td>"
        f"<td class=num>{human_bytes(plan['bytes'].get(dtype, 0))}</td></tr>"
        for dtype in NARROWEST_FIRST
        if plan["weights"].get(dtype)
    )
    wide = list(plan["why"].items())
    listed = "".join(
        f"<li><code>{escape(name)}</code>: {escape(why)}</li>" for name, why in wide[:AUTO_LISTED]
    )
    more = f"<li>and {len(wide) - AUTO_LISTED} more</li>" if len(wide) > AUTO_LISTED else ""
    return (
        f"<h3>Quantization chosen by auto</h3><p>{escape(plan_summary(plan))}</p>"
        "<table><tr><th>dtype</th><th>weights</th><th>bytes</th></tr>"
        f"{rows}</table><p>Kept wider than uint8:</p><ul>{listed}{more}</ul>"
    )


def _tensors(items: Sequence[Any]) -> str:
    def shape(t: Any) -> str:
        return (
            "?"
            if t.shape is None
            else "[" + ", ".join("?" if d is None else str(d) for d in t.shape) + "]"
        )

    return ", ".join(f"<code>{escape(t.name)}</code> {shape(t)} {escape(t.dtype)}" for t in items)


def _kinds(entry: ModelEntry) -> str:
    assert entry.summary is not None
    counter = entry.summary.layers or entry.summary.ops
    what = "Layers" if entry.summary.layers else "Ops"
    common = counter.most_common(TOP_KINDS)
    listed = ", ".join(f"{escape(kind)} &times;{count}" for kind, count in common)
    rest = sum(counter.values()) - sum(count for _, count in common)
    more = f", and {rest} more of {len(counter) - len(common)} other kind(s)" if rest else ""
    return f"<h3>{what} ({sum(counter.values())})</h3><p>{listed}{more}</p>"


def _parity(entry: ModelEntry) -> str:
    parity = entry.parity
    if not parity or parity.get("skipped"):
        return f"<h3>Parity</h3><p>{_parity_badge(entry)}</p>"
    rows: list[str] = []
    plots: dict[str, list[tuple[str, list[int]]]] = {}
    where: list[str] = []
    findings: list[str] = []
    for backend in parity.get("backends", []):
        if "divergence" in backend:
            findings.append(_divergence(backend["backend"], backend["divergence"]))
        tolerance = backend.get("tolerance", parity["tolerance"])
        rule = f"atol {tolerance['atol']:g}, rtol {tolerance['rtol']:g}, scale {tolerance['scale_tol']:g}"
        if "error" in backend:
            rows.append(
                f"<tr><td>{escape(backend['backend'])}</td><td colspan=5 class=fail>could not run: "
                f"{escape(backend['error'])}</td><td>{rule}</td></tr>"
            )
        for output in backend.get("outputs", []):
            verdict = (
                '<span class="pass">ok</span>'
                if output["passed"]
                else '<span class="fail">FAILED</span>'
            )
            rows.append(
                f"<tr><td>{escape(backend['backend'])}</td><td><code>{escape(output['name'])}</code></td>"
                f"<td>{verdict}</td><td class=num>{_num(output['max_abs_error'])}</td>"
                f"<td class=num>{_num(output['max_rel_error'])}</td><td>{_worst(output)}</td>"
                f"<td>{rule}</td></tr>"
            )
            if "error_histogram" in output:
                plots.setdefault(output["name"], []).append(
                    (backend["backend"], output["error_histogram"]["counts"])
                )
        if "runtime" in backend:
            where.append(
                f"<li>{escape(backend['backend'])}: {escape(_where_it_ran(backend['runtime']))}</li>"
            )
    table = (
        "<table><tr><th>backend</th><th>output</th><th>result</th><th>max abs error</th>"
        "<th>max rel error</th><th>worst element (reference → TF.js)</th><th>tolerance</th></tr>"
        f"{''.join(rows)}</table>"
    )
    figures = "".join(
        f"<figure>{histogram_svg(f'{name}: error distribution', series)}</figure>"
        for name, series in plots.items()
    )
    inputs = parity.get("inputs", {})
    probe = (
        f"probes (seed {inputs.get('seed')}, batch {inputs.get('batch')})"
        if inputs.get("kind") == "probes"
        else f"samples from <code>{escape(str(inputs.get('file')))}</code>"
    )
    browsers = f"<ul>{''.join(where)}</ul>" if where else ""
    return (
        f"<h3>Parity at build: {_parity_badge(entry)}</h3><p>Inputs: {probe}; reference: "
        f"{escape(str(parity.get('reference')))}; proven in TF.js "
        f"{escape(str(parity.get('tfjs', 'of the build')))}.</p>{table}{browsers}"
        f"{''.join(findings)}"
        f"<div class=plots>{figures}</div>"
    )


def _rejected(record: dict[str, Any]) -> str:
    """The last build parity rejected: what failed, and where each failing backend diverges."""
    failed = [
        f"{escape(backend['backend'])} (<code>{escape(output['name'])}</code>: max abs error "
        f"{_num(output['max_abs_error'])})"
        for backend in record.get("backends", [])
        for output in backend.get("outputs", [])
        if not output["passed"]
    ]
    findings = "".join(
        _divergence(backend["backend"], backend["divergence"])
        for backend in record.get("backends", [])
        if "divergence" in backend
    )
    return (
        f'<h3>Last build: <span class="fail">rejected by parity</span></h3><p>It failed on '
        f"{', '.join(failed) or 'a backend that could not run it'}; it is kept in "
        f"<code>{REJECTED_DIR}/</code> and the artifact above is the last that passed (if "
        f"any).</p>{findings}"
    )


def _divergence(backend: str, divergence: DivergenceRecord) -> str:
    """Where ``backend`` first diverges, and every layer's (or node's) error as a chart."""
    title = f"{backend}: error per {divergence['kind']}"
    chart = f"<figure>{divergence_svg(title, divergence)}</figure>" if divergence["steps"] else ""
    return (
        f"<h4>Where {escape(backend)} diverges</h4><p>{divergence_sentence(divergence)}</p>{chart}"
    )


def _worst(output: dict[str, Any]) -> str:
    index = output.get("worst_index")
    if index is None:
        return "&ndash;"
    return (
        f"[{', '.join(map(str, index))}]: {_num(output.get('worst_reference'))} → "
        f"{_num(output.get('worst_candidate'))}"
    )


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return escape(str(value))


def _timings(entry: ModelEntry) -> str:
    if not entry.timings:
        return ""
    rows = []
    for backend, timing in entry.timings.items():
        if isinstance(timing, str):
            rows.append(f"<tr><td>{escape(backend)}</td><td colspan=3>{escape(timing)}</td></tr>")
            continue
        warm = timing["warm_predict_ms"]
        rows.append(
            f"<tr><td>{escape(backend)}</td><td class=num>{timing['load_ms']:.1f}</td>"
            f"<td class=num>{timing['predict_ms']:.1f}</td>"
            f"<td class=num>{'&ndash;' if warm is None else f'{warm:.1f}'}</td></tr>"
        )
    return (
        "<h3>TF.js timings (ms, when this report was made)</h3><table><tr><th>backend</th>"
        "<th>load</th><th>first predict</th><th>warm predict (median of 3)</th></tr>"
        f"{''.join(rows)}</table>"
    )


LIVE_BACKENDS = ("webgl", "webgl-f16", "webgpu", "cpu")
"""What the visitor may run the live checks on (``?backend=NAME``); webgl unless they choose."""


def _backend_form() -> str:
    options = "".join(f'<option value="{b}">{b}</option>' for b in LIVE_BACKENDS)
    return (
        '<form class="live-backend" method="get"><label>Live checks on '
        f'<select name="backend">{options}</select></label> '
        '<button type="submit">run again</button></form>'
    )


def _where_it_ran(runtime: Mapping[str, Any]) -> str:
    """A browser backend's runtime record as one phrase."""
    browser = str(runtime.get("browser"))
    adapter = runtime.get("webgpu_adapter")
    if adapter is not None:
        named = ", ".join(v for v in (adapter.get("vendor"), adapter.get("architecture")) if v)
        f16 = "with" if runtime.get("shader_f16") else "without"
        return f"{browser}, WebGPU on {named or 'an unnamed adapter'}, {f16} shader-f16"
    textures = "float32" if runtime.get("float32_textures") else "float16"
    return (
        f"{browser}, WebGL {runtime.get('webgl_version')} on {runtime.get('webgl_renderer')}, "
        f"{textures} textures"
    )


def _live(entry: ModelEntry, report_dir: Path) -> str:
    name = escape(entry.spec.name)
    probe = entry.probe
    if probe is None or entry.problem:
        why = entry.problem or "no probe stored (parity was off for this build)"
        return f'<span class="live" data-live-parity="{name}">not run: {escape(why)}</span>'
    tolerances = {
        backend: {"atol": t.atol, "rtol": t.rtol, "scale_tol": t.scale_tol}
        for backend, t in live_tolerances(entry.parity).items()
    }
    model_url = _relative_url(entry.artifact / "model.json", report_dir)
    probe_url = _relative_url(probe, report_dir)
    return (
        f'<span class="live" data-live-parity="{name}" data-model-url="{escape(model_url)}" '
        f'data-probe-url="{escape(probe_url)}" '
        f"data-tolerances='{escape(json.dumps(tolerances), quote=True)}'>"
        "not run yet (needs JavaScript)</span>"
    )


def _relative_url(path: Path, report_dir: Path) -> str:
    return Path(os.path.relpath(path, report_dir)).as_posix()
