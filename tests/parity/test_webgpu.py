"""Parity on TF.js's webgpu backend in the real headless Chromium (SwiftShader's WebGPU adapter):
a layers model passes next to webgl, and the record names the adapter. Graph models and corrupted
weights on webgpu: ``test_webgl.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfjs_build.parity import check_parity, default_tolerance
from tfjs_build.parity.tolerances import BACKEND_TOLERANCES


@pytest.fixture(scope="module")
def layers_report(mlp_dir: Path, runtimes):
    return check_parity(
        mlp_dir / "float32", mlp_dir / "mlp.h5", backends=("webgl", "webgpu"), runtimes=runtimes
    )


def test_a_layers_model_passes_on_webgpu_in_the_same_browser_as_webgl(
    layers_report, runtimes
) -> None:
    assert layers_report.passed, layers_report.summary()
    webgl, webgpu = layers_report.record["backends"]
    assert (webgl["backend"], webgpu["backend"]) == ("webgl", "webgpu")
    assert [o["name"] for o in webgpu["outputs"]] == ["logits", "probs"]
    assert max(o["max_abs_error"] for o in webgpu["outputs"]) < 1e-5
    assert webgl["runtime"]["browser"] == webgpu["runtime"]["browser"]
    assert runtimes.get("webgl")._session is runtimes.get("webgpu")._session  # one browser


def test_the_record_names_the_adapter(layers_report) -> None:
    runtime = layers_report.record["backends"][1]["runtime"]
    assert runtime["webgpu_adapter"]["architecture"] == "swiftshader"
    assert runtime["shader_f16"] is False
    assert "webgl_renderer" not in runtime


def test_webgpu_is_held_to_its_documented_tolerance(layers_report) -> None:
    own = default_tolerance(None, backend="webgpu")
    assert own.scale_tol == BACKEND_TOLERANCES["webgpu"].scale_tol
    webgpu = layers_report.record["backends"][1]
    assert webgpu.get("tolerance", layers_report.record["tolerance"])["scale_tol"] == own.scale_tol
