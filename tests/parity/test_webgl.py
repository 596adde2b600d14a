"""Parity on TF.js's webgl backend in the real headless Chromium: layers and graph models pass,
corrupted weights fail naming the output, and the record says where it ran. Graph models and
corrupted weights are checked on webgpu too (its own file has the rest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.parity.handmade import corrupted_copy
from tfjs_build.parity import check_parity, default_tolerance
from tfjs_build.parity.tolerances import BACKEND_TOLERANCES


@pytest.fixture(scope="module")
def layers_report(mlp_dir: Path, runtimes):
    return check_parity(
        mlp_dir / "float32", mlp_dir / "mlp.h5", backends=("webgl", "webgl-f16"), runtimes=runtimes
    )


def test_a_layers_model_passes_on_webgl_and_webgl_f16(layers_report) -> None:
    record = layers_report.record
    assert layers_report.passed, layers_report.summary()
    webgl, f16 = record["backends"]
    assert (webgl["backend"], f16["backend"]) == ("webgl", "webgl-f16")
    for backend in (webgl, f16):
        assert [o["name"] for o in backend["outputs"]] == ["logits", "probs"]
    assert max(o["max_abs_error"] for o in webgl["outputs"]) < 1e-5
    assert max(o["max_abs_error"] for o in f16["outputs"]) > 1e-5  # half precision shows


def test_the_record_says_which_browser_and_renderer(layers_report) -> None:
    webgl, f16 = layers_report.record["backends"]
    assert webgl["runtime"]["browser"].startswith(("Chrome/", "HeadlessChrome/"))
    assert webgl["runtime"]["webgl_renderer"] and webgl["runtime"]["webgl_version"] == 2
    assert (webgl["runtime"]["float32_textures"], f16["runtime"]["float32_textures"]) == (
        True,
        False,
    )


def test_webgl_f16_is_held_to_its_own_documented_tolerance(layers_report) -> None:
    record = layers_report.record
    f16 = record["backends"][1]
    loose = default_tolerance(None, backend="webgl-f16")
    assert (
        f16["tolerance"]["scale_tol"]
        == loose.scale_tol
        == BACKEND_TOLERANCES["webgl-f16"].scale_tol
    )
    assert record["tolerance"]["scale_tol"] == default_tolerance(None, backend="webgl").scale_tol
    assert "tolerance" not in record["backends"][0]  # webgl's is the record's own


@pytest.mark.parametrize("backend", ["webgl", "webgpu"])
def test_a_graph_model_passes_in_the_browser(saved_model: Path, runtimes, backend: str) -> None:
    report = check_parity(
        saved_model / "graph", saved_model / "model", backends=(backend,), runtimes=runtimes
    )
    assert report.passed, report.summary()
    outputs = report.record["backends"][0]["outputs"]
    assert sorted(o["name"] for o in outputs) == ["norm", "scores"]
    assert all(o["max_abs_error"] < 1e-4 for o in outputs)


@pytest.mark.parametrize("backend", ["webgl", "webgpu"])
def test_corrupted_weights_fail_in_the_browser_naming_the_output(
    mlp_dir: Path, tmp_path: Path, runtimes, backend: str
) -> None:
    corrupted = corrupted_copy(mlp_dir / "float32", tmp_path / "corrupted", "logits/bias")
    report = check_parity(corrupted, mlp_dir / "mlp.h5", backends=(backend,), runtimes=runtimes)
    assert not report.passed
    message = report.failure_message() or ""
    assert message.startswith(f"{corrupted}: parity failed on TF.js {backend} for output logits: ")
    assert "FAILED" in message and "\n" not in message
