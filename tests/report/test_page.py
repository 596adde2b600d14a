"""The report's static content: what the build recorded, readable without JavaScript."""

from __future__ import annotations

import json
import re
from html import unescape

from tests.cli.project_helpers import messages, tfjs_build
from tests.conftest import make_user_repo, pyproject
from tests.report.conftest import PAGE
from tfjs_build.parity.compare import ERROR_BIN_UPPER
from tfjs_build.report.svg import bin_labels, histogram_svg


def _html(project) -> str:
    return (project / PAGE / "index.html").read_text()


def test_each_model_shows_what_its_build_recorded(project) -> None:
    html = _html(project)
    for name in ("dense", "conv", "scorer"):
        record = json.loads((project / "web_model" / name / "parity.json").read_text())
        for backend in record["backends"]:
            for output in backend["outputs"]:
                row = (
                    f"<tr><td>{backend['backend']}</td><td><code>{output['name']}</code></td>"
                    f'<td><span class="pass">ok</span></td>'
                    f"<td class=num>{output['max_abs_error']:.3g}</td>"
                )
                assert row in html, (name, backend["backend"])
        webgl = record["backends"][1]["runtime"]
        assert f"{webgl['browser']}, WebGL 2 on {webgl['webgl_renderer']}" in unescape(html)
    assert "<h3>Layers (3)</h3><p>Dense &times;2, InputLayer &times;1</p>" in html
    assert re.search(r"<h3>Ops \(\d+\)</h3><p>[^<]*MatMul &times;1", html)
    assert html.count("<svg ") == 3  # one error plot per output
    assert html.count("data-live-parity=") == 3
    assert 'src="http' not in html and 'href="http' not in html  # nothing from the network


def test_timings_per_backend_are_measured_on_the_stored_probe(project) -> None:
    html = _html(project)
    timings = re.findall(r"<tr><td>(cpu|webgl)</td><td class=num>([\d.]+)</td>", html)
    assert [backend for backend, _ in timings] == ["cpu", "webgl"] * 3
    assert all(float(ms) > 0 for _, ms in timings)


def test_the_live_check_is_given_relative_urls_and_the_builds_tolerances(project) -> None:
    html = _html(project)
    span = re.search(r'<span class="live" data-live-parity="dense"[^>]*>', html)
    assert span is not None
    assert 'data-model-url="../../web_model/dense/model.json"' in span.group(0)
    assert 'data-probe-url="../../web_model/dense/parity-probe.safetensors"' in span.group(0)
    raw = re.search(r"data-tolerances='([^']*)'", span.group(0))
    assert raw is not None
    tolerances = json.loads(unescape(raw.group(1)))
    assert tolerances["webgl"] == {"atol": 1e-5, "rtol": 1e-4, "scale_tol": 1e-4}
    assert tolerances["webgl-f16"] == {"atol": 1e-3, "rtol": 2e-2, "scale_tol": 2e-2}


def test_a_plot_has_a_bar_per_backend_and_bin_sized_by_share() -> None:
    counts = [0] * len(ERROR_BIN_UPPER)
    counts[0], counts[3] = 3, 1
    svg = histogram_svg("y: error distribution", [("cpu", counts), ("webgl", counts)])
    heights = [
        float(h)
        for h in re.findall(
            r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#\w+"><title>', svg
        )
    ]
    assert len(heights) == 2 * len(ERROR_BIN_UPPER)
    assert heights[0] == 3 * heights[3] and heights[0] > 0 and heights[1] == 0
    assert "cpu, |error| 0: 3 of 4" in svg and "webgl, |error| ≤1e-7: 1 of 4" in svg
    assert bin_labels()[0] == "0" and bin_labels()[-1] == ">10" and len(bin_labels()) == 13


def test_parity_off_and_unbuilt_models_say_so_and_a_foreign_directory_is_kept(
    tmp_path, model_files
) -> None:
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", "conv"))
    built = tfjs_build(root, "convert", "--model", "dense")
    assert built.returncode == 0, built.stderr
    made = tfjs_build(root, "report", "--no-timings")
    assert made.returncode == 0, made.stderr
    html = _html(root)
    assert (
        '<span class="live" data-live-parity="dense">not run: no probe stored (parity was off'
        in html
    )
    assert (
        '<span class="live" data-live-parity="conv">not run: not built yet (run tfjs-build convert)'
        in html
    )
    assert "TF.js timings" not in html
    assert "never built" in html  # conv is stale: the lockfile has no entry

    again = tfjs_build(root, "report", "--no-timings")  # replaces its own report
    assert again.returncode == 0, again.stderr
    mine = root / "docs"
    mine.mkdir()
    (mine / "notes.md").write_text("mine")
    refused = tfjs_build(root, "report", "--output", "docs", "--no-timings")
    assert refused.returncode == 1
    assert messages(refused) == [
        f"tfjs-build: error: {mine} exists and is not a report tfjs-build wrote; choose another "
        "--output (nothing was changed)"
    ]
    assert sorted(p.name for p in mine.iterdir()) == ["notes.md"]


def test_the_page_offers_the_live_backends_and_names_a_webgpu_adapter(project) -> None:
    from tfjs_build.report.page import _where_it_ran

    html = _html(project)
    assert html.count("proven in TF.js 4.22.0.</p>") == 3
    assert (
        '<select name="backend"><option value="webgl">webgl</option><option value="webgl-f16">'
        'webgl-f16</option><option value="webgpu">webgpu</option><option value="cpu">cpu'
        "</option></select>"
    ) in html
    adapter = {"vendor": "google", "architecture": "swiftshader", "device": "", "description": ""}
    runtime = {"browser": "Chrome/156", "webgpu_adapter": adapter, "shader_f16": False}
    assert _where_it_ran(runtime) == "Chrome/156, WebGPU on google, swiftshader, without shader-f16"
