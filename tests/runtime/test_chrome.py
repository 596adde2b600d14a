"""Finding the system browser, and ending it on every way out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.waiting import becomes_true
from tfjs_build.errors import MissingDependencyError
from tfjs_build.runtime.chrome import CHROME_ENV, ChromeProcess, chrome_command, find_chrome


def test_the_variable_wins_and_a_bad_one_is_named(monkeypatch, tmp_path, chrome):
    monkeypatch.setenv(CHROME_ENV, chrome)
    assert find_chrome() == chrome
    monkeypatch.setenv(CHROME_ENV, str(tmp_path / "no-such-browser"))
    with pytest.raises(MissingDependencyError, match=f"{CHROME_ENV}=.*no-such-browser is not an"):
        find_chrome()


def test_without_a_browser_the_error_says_how_to_get_one(monkeypatch, tmp_path):
    monkeypatch.delenv(CHROME_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError) as caught:
        find_chrome()
    message = str(caught.value)
    assert "none is on PATH (chromium, chromium-browser, google-chrome" in message
    assert "apt-get install chromium" in message and f"set {CHROME_ENV}" in message
    assert "\n" not in message


def test_the_command_line_keeps_the_browser_offline_and_on_the_cpu(tmp_path):
    command = chrome_command("/usr/bin/chromium", tmp_path)
    for flag in (
        "--headless",
        "--remote-debugging-pipe",
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path}",
    ):
        assert flag in command


HOLD_A_BROWSER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from tests.runtime.handmade import dense_layers_model
    from tfjs_build.artifact import write_artifact
    from tfjs_build.runtime import RuntimePool
    write_artifact(dense_layers_model(np.eye(3, dtype="float32"), np.zeros(3, "float32")), sys.argv[1])
    with RuntimePool() as pool:
        pool.get("webgl").run(sys.argv[1], {"features": np.ones((1, 3), "float32")})
        chrome = pool.browser().chrome
        print(chrome.process.pid, chrome.profile, flush=True)
        time.sleep(600)
    """
)


def _hold_a_browser(tmp_path: Path) -> tuple[subprocess.Popen[str], int, Path]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_BROWSER, str(tmp_path / "m")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert holder.stdout is not None
    pid, profile = holder.stdout.readline().split()
    assert Path(profile).is_dir() and _alive_group(int(pid))
    return holder, int(pid), Path(profile)


def _alive_group(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone_within(pgid: int, seconds: float) -> bool:
    return becomes_true(lambda: not _alive_group(pgid), seconds, interval=0.1)


def test_ctrl_c_ends_the_browser_and_removes_its_profile(tmp_path, chrome, node_packages):
    holder, pid, profile = _hold_a_browser(tmp_path)
    holder.send_signal(signal.SIGINT)
    assert holder.wait(timeout=30) != 0
    assert _gone_within(pid, 5), "Chromium processes outlived Ctrl-C"
    assert not profile.exists()


def test_a_killed_build_leaves_no_browser_behind(tmp_path, chrome, node_packages):
    holder, pid, profile = _hold_a_browser(tmp_path)
    holder.kill()  # no chance to clean up: the closed DevTools pipe ends Chromium
    holder.wait(timeout=30)
    try:
        assert _gone_within(pid, 15), "Chromium outlived its parent"
    finally:
        if _alive_group(pid):
            os.killpg(pid, signal.SIGKILL)
    assert profile.is_dir()  # nobody was left to remove it...
    ChromeProcess(chrome).close()
    assert not profile.exists()  # ...so the next browser started does
