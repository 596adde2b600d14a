"""The report page in the real Chromium: every live check passes, a tampered shard fails."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from tests.report.conftest import PAGE
from tfjs_build.artifact import read_model_json

SCREENSHOTS = "TFJS_BUILD_SCREENSHOTS"
"""A directory to copy the test's screenshot into (the one in docs/ comes from here)."""


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    page.wait_for_selector("body[data-live-checks=done]", timeout=120_000)
    checks = {
        el.get_attribute("data-live-parity"): el.inner_text()
        for el in page.query_selector_all("[data-live-parity]")
    }
    return page, checks, requests


def test_every_live_check_passes_offline_and_a_screenshot_is_saved(
    browser, server, tmp_path
) -> None:
    page, checks, requests = _open(browser, server + PAGE)
    assert list(checks) == ["dense", "conv", "scorer"]
    for name, text in checks.items():
        assert text.startswith("PASS on webgl: "), (name, text)
    assert "dense_1: max abs error" in checks["dense"] and "y: max abs error" in checks["scorer"]
    assert all(url.startswith(server) for url in requests)  # bundled TF.js, nothing from outside
    assert any(url.endswith("assets/tf.min.js") for url in requests)
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get(SCREENSHOTS):  # the overview and the first model, down to its live check
        live = page.locator("[data-live-parity=dense]").bounding_box()
        assert live is not None
        clip = {"x": 0, "y": 0, "width": 1200, "height": live["y"] + live["height"] + 24}
        page.screenshot(
            path=str(Path(os.environ[SCREENSHOTS]) / "report.png"), clip=clip, full_page=True
        )
    page.close()


def test_the_visitor_chooses_webgpu_and_every_check_runs_there(browser, server) -> None:
    page, checks, _ = _open(browser, server + PAGE + "?backend=webgpu")
    for name, text in checks.items():
        assert text.startswith("PASS on webgpu: "), (name, text)
    assert page.eval_on_selector("select[name=backend]", "s => s.value") == "webgpu"
    page.close()


def test_a_backend_the_browser_lacks_is_said_not_run(browser, server) -> None:
    page, checks, _ = _open(browser, server + PAGE + "?backend=webgpu-nope")
    assert set(checks.values()) == {
        "not run on webgpu-nope: unknown backend webgpu-nope; choose one of webgl, webgl-f16, "
        "webgpu, cpu"
    }
    page.close()


def _tamper_last_weight(artifact: Path) -> tuple[Path, bytes]:
    """Add 3 to the last float32 of the last shard (the output layer's last bias): same size,
    so TF.js loads it and computes something else."""
    shard = artifact / read_model_json(artifact)["weightsManifest"][0]["paths"][-1]
    original = shard.read_bytes()
    data = bytearray(original)
    (value,) = struct.unpack_from("<f", data, len(data) - 4)
    struct.pack_into("<f", data, len(data) - 4, value + 3.0)
    shard.write_bytes(bytes(data))
    return shard, original


def test_a_tampered_shard_fails_that_models_live_check(browser, server, project) -> None:
    shard, original = _tamper_last_weight(project / "web_model" / "dense")
    try:
        page, checks, _ = _open(browser, server + PAGE)
    finally:
        shard.write_bytes(original)
    assert checks["dense"].startswith("FAIL on webgl: dense_1: max abs error ")
    assert "element(s) beyond tolerance" in checks["dense"]
    assert checks["conv"].startswith("PASS") and checks["scorer"].startswith("PASS")
    assert page.get_attribute("[data-live-parity=dense]", "data-status") == "fail"
    page.close()


def test_opened_from_disk_the_page_says_how_to_serve_it(browser, project) -> None:
    page, checks, _ = _open(browser, (project / PAGE / "index.html").as_uri())
    assert set(checks.values()) == {
        "not run: serve the project root over HTTP (python -m http.server) and open the report there"
    }
    assert page.locator("svg").count() == 3  # the plots need no script
    page.close()


@pytest.mark.parametrize("missing", ["parity-probe.safetensors", "group1-shard1of1.bin"])
def test_a_missing_file_fails_the_live_check_with_its_reason(
    browser, server, project, missing
) -> None:
    target = project / "web_model" / "conv" / missing
    kept = target.with_name(missing + ".kept")
    shutil.move(target, kept)
    try:
        page, checks, _ = _open(browser, server + PAGE)
    finally:
        shutil.move(kept, target)
    assert checks["conv"] == f"FAIL: TF.js could not run it here: {missing}: HTTP 404"
    page.close()
