"""Artifacts on TF.js's webgl backend in the real headless Chromium of the machine."""

from __future__ import annotations

import numpy as np
import pytest

from tests.runtime.handmade import dense_layers_model, relu_graph_model, string_graph_model
from tfjs_build.artifact import write_artifact
from tfjs_build.errors import RuntimeFailure
from tfjs_build.runtime import run_in_tfjs

RNG = np.random.default_rng(5)
KERNEL = RNG.standard_normal((16, 8)).astype(np.float32)
BIAS = RNG.standard_normal(8).astype(np.float32)
X = RNG.standard_normal((4, 16)).astype(np.float32)


@pytest.fixture(scope="module")
def layers_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("browser") / "layers"
    write_artifact(dense_layers_model(KERNEL, BIAS, "tanh"), directory, shard_size=64)
    return directory


def test_layers_model_on_webgl_computes_in_float32(runtimes, layers_dir):
    out = runtimes.get("webgl").run(layers_dir, {"features": X})
    assert list(out) == ["dense"] and out["dense"].dtype == np.float32
    assert np.abs(out["dense"] - np.tanh(X @ KERNEL + BIAS)).max() <= 2e-6


def test_webgl_f16_computes_in_half_precision(runtimes, layers_dir):
    out = runtimes.get("webgl-f16").run(layers_dir, {"features": X})
    error = np.abs(out["dense"] - np.tanh(X @ KERNEL + BIAS)).max()
    assert 1e-5 < error < 2e-2  # visibly coarser than float32, as on a phone's GPU


def test_graph_model_on_webgl(runtimes, tmp_path):
    write_artifact(relu_graph_model(KERNEL, BIAS), tmp_path / "g", shard_size=100)
    out = runtimes.get("webgl").run(tmp_path / "g", {"x": X}, ["scores"])
    assert np.abs(out["scores"] - np.maximum(X @ KERNEL + BIAS, 0)).max() <= 2e-6


def test_string_outputs_come_back_from_the_page(runtimes, tmp_path):
    words = np.array([["héllo", ""], ["wörld", "x" * 70]], dtype=object)
    write_artifact(string_graph_model(words), tmp_path / "s", shard_size=5)
    out = runtimes.get("webgl").run(tmp_path / "s", {"x": np.zeros(1, np.float32)})
    assert out["words"].tolist() == [[w.encode() for w in row] for row in words.tolist()]


def test_the_environment_names_browser_renderer_and_textures(runtimes):
    webgl, f16 = runtimes.get("webgl").environment(), runtimes.get("webgl-f16").environment()
    assert webgl["browser"].startswith(("Chrome/", "HeadlessChrome/"))
    assert "SwiftShader" in webgl["webgl_renderer"] or "ANGLE" in webgl["webgl_renderer"]
    assert (webgl["webgl_version"], webgl["float32_textures"]) == (2, True)
    assert f16["float32_textures"] is False and f16["browser"] == webgl["browser"]


def test_timed_runs_report_load_first_and_warm_predictions(runtimes, layers_dir):
    timed = runtimes.get("webgl").timed_run(layers_dir, {"features": X}, warm_runs=3)
    timings = timed.timings
    assert timings["load_ms"] > 0 and timings["predict_ms"] > 0
    assert timings["warm_predict_ms"] is not None and timings["warm_predict_ms"] > 0
    assert (
        runtimes.get("webgl").timed_run(layers_dir, {"features": X}).timings["warm_predict_ms"]
        is None
    )


def test_a_bad_run_names_backend_and_model_and_the_page_survives(runtimes, layers_dir):
    webgl = runtimes.get("webgl")
    with pytest.raises(RuntimeFailure, match=r"TF.js \(webgl\) failed on .*layers: .*shape"):
        webgl.run(layers_dir, {"features": np.zeros((2, 3), np.float32)})
    with pytest.raises(RuntimeFailure, match=r"model has no output \"nope\""):
        webgl.run(layers_dir, {"features": X}, ["nope"])
    assert list(webgl.run(layers_dir, {"features": X})) == ["dense"]


def test_many_runs_share_one_browser(runtimes, layers_dir):
    runtimes.get("webgl").run(layers_dir, {"features": X})
    before = runtimes.browser_starts
    for backend in ("webgl", "webgl-f16", "webgpu", "webgl"):
        runtimes.get(backend).run(layers_dir, {"features": X})
    assert runtimes.browser_starts == before


def test_node_entry_point_sends_browser_backends_to_the_pool(layers_dir):
    with pytest.raises(
        RuntimeFailure, match="'webgl' runs in a browser; run it through a RuntimePool"
    ):
        run_in_tfjs(layers_dir, {"features": X}, backend="webgl")
