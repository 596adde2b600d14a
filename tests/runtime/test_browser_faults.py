"""The browser runtime never sits idle: many large shards load, and a lost WebGL context, a
crashed page or a stalled run fail the run with a line naming the cause."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.runtime.handmade import dense_layers_model
from tfjs_build.artifact import write_artifact
from tfjs_build.errors import RuntimeFailure
from tfjs_build.runtime import browser
from tfjs_build.runtime.browser import BrowserRuntime

RNG = np.random.default_rng(11)
X = RNG.standard_normal((2, 2048)).astype(np.float32)
WIDE_KERNEL = (RNG.standard_normal((2048, 2560)) / 45).astype(np.float32)  # 21 MB
WIDE_BIAS = RNG.standard_normal(2560).astype(np.float32)
SMALL_KERNEL = RNG.standard_normal((2048, 4)).astype(np.float32)
SMALL_BIAS = RNG.standard_normal(4).astype(np.float32)


@pytest.fixture(scope="module")
def wide_dir(tmp_path_factory):
    """Eleven 2 MB shards: more than the six connections a browser opens to one server, each
    larger than what it buffers of a response nobody reads."""
    directory = tmp_path_factory.mktemp("faults") / "wide"
    write_artifact(dense_layers_model(WIDE_KERNEL, WIDE_BIAS), directory, shard_size=2 << 20)
    assert len(list(directory.glob("*.bin"))) == 11
    return directory


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("faults") / "small"
    write_artifact(dense_layers_model(SMALL_KERNEL, SMALL_BIAS), directory)
    return directory


def _page(runtime: BrowserRuntime) -> str:
    return runtime._ready_page()


def _in_page(runtime: BrowserRuntime, script: str) -> None:
    runtime._session.evaluate(_page(runtime), f"(() => {{ {script} }})()", timeout=10)


def test_many_shards_larger_than_the_browsers_buffer_load(runtimes, wide_dir, monkeypatch):
    # Before, TF.js asked for all shards and read none: six answered, stalled with full buffers,
    # and the page sat idle until the time limit.
    monkeypatch.setattr(browser, "RUN_BASE_SECONDS", 90.0)
    monkeypatch.setattr(browser, "RUN_SECONDS_PER_MB", 1.0)
    out = runtimes.get("webgl").run(wide_dir, {"features": X})
    expected = np.tanh(X @ WIDE_KERNEL + WIDE_BIAS)
    assert np.abs(out["dense"] - expected).max() <= 1e-5


def test_a_lost_webgl_context_fails_the_run_at_once_and_a_new_page_takes_over(
    runtimes, small_dir, monkeypatch
):
    monkeypatch.setattr(browser, "RUN_BASE_SECONDS", 600.0)
    webgl = runtimes.get("webgl")
    # The context goes while the weights load, as when the GPU process is reset.
    _in_page(
        webgl,
        "const ext = tf.backend().gpgpu.gl.getExtension('WEBGL_lose_context');"
        "const plain = window.fetch;"
        "window.fetch = (url, init) => {"
        "  if (String(url).endsWith('.bin')) ext.loseContext();"
        "  return plain(url, init); };",
    )
    started = time.monotonic()
    with pytest.raises(RuntimeFailure) as caught:
        webgl.run(small_dir, {"features": X})
    assert time.monotonic() - started < 60  # not the 600 s limit
    assert str(caught.value) == (
        f"TF.js (webgl) failed on {small_dir}: the browser lost the WebGL context "
        "(its GPU process was reset or ran out of memory)"
    )
    out = webgl.run(small_dir, {"features": X})
    assert np.abs(out["dense"] - np.tanh(X @ SMALL_KERNEL + SMALL_BIAS)).max() <= 2e-5


def test_a_crashed_page_fails_the_run_at_once(runtimes, small_dir, monkeypatch):
    monkeypatch.setattr(browser, "RUN_BASE_SECONDS", 600.0)
    webgl = runtimes.get("webgl")
    _in_page(webgl, "window.fetch = () => new Promise(() => {});")  # the run waits for ever
    started = time.monotonic()
    with pytest.raises(
        RuntimeFailure,
        match=r"^TF.js \(webgl\) failed on .*small: the Chromium "
        r"page crashed during Runtime.evaluate",
    ):
        _crash_during_run(webgl, small_dir)
    assert time.monotonic() - started < 60
    assert list(webgl.run(small_dir, {"features": X})) == ["dense"]


def _crash_during_run(runtime: BrowserRuntime, artifact) -> None:
    """Ask the page to crash without waiting for the answer, then run: the crash ends the run."""
    connection = runtime._session.chrome.connection
    page = _page(runtime)
    connection._next_id += 1
    connection._write(
        f'{{"id": {connection._next_id}, "method": "Page.crash", "sessionId": "{page}"}}'.encode()
        + b"\0"
    )
    runtime.run(artifact, {"features": X})


def test_a_stalled_run_says_what_it_was_waiting_for(runtimes, small_dir, monkeypatch):
    monkeypatch.setattr(browser, "RUN_BASE_SECONDS", 3.0)
    monkeypatch.setattr(browser, "RUN_SECONDS_PER_MB", 0.0)
    webgl = runtimes.get("webgl")
    _in_page(webgl, "window.fetch = () => new Promise(() => {});")
    with pytest.raises(RuntimeFailure) as caught:
        webgl.run(small_dir, {"features": X})
    assert str(caught.value) == (
        f"TF.js (webgl) gave no answer on {small_dir} within 3 s (the limit for 0.0 MB), "
        "waiting for fetching model.json"
    )
    monkeypatch.setattr(browser, "RUN_BASE_SECONDS", 120.0)
    assert list(webgl.run(small_dir, {"features": X})) == ["dense"]  # on a fresh page


def test_the_time_limit_grows_with_the_artifact(wide_dir, small_dir):
    wide, small = browser.run_time_limit(wide_dir), browser.run_time_limit(small_dir)
    assert small == pytest.approx(browser.RUN_BASE_SECONDS, abs=1.0)
    assert wide - small == pytest.approx(browser.RUN_SECONDS_PER_MB * 21.0, rel=0.02)
    assert browser.run_time_limit(wide_dir, "webgpu") == pytest.approx(4 * wide)
