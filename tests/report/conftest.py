"""A built project, its report, a static file server and a browser, shared by the report tests."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.project_helpers import tfjs_build
from tests.conftest import make_user_repo, pyproject
from tfjs_build.runtime.chrome import CHROME_FLAGS

PAGE = ".tfjs-build/report/"


@pytest.fixture(scope="module")
def project(tmp_path_factory, model_files, chrome, node_packages) -> Path:
    """dense (.keras) and conv (.h5) layers models and scorer (a SavedModel, graph), built with
    parity on cpu and webgl, and their report."""
    config = pyproject("dense", "conv", "scorer", top='parity_backends = ["cpu", "webgl"]')
    root = make_user_repo(tmp_path_factory.mktemp("report") / "repo", model_files, config)
    built = tfjs_build(root, "convert", "--no-cache")
    assert built.returncode == 0, built.stderr
    made = tfjs_build(root, "report")
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines() == [
        f"wrote {PAGE}index.html (3 model(s))",
        f"open it: python -m http.server, then http://localhost:8000/{PAGE}",
    ]
    return root


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[str]:
    """``python -m http.server`` at the project root, as the report says to open it."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = re.search(r"port (\d+)", process.stdout.readline())
        assert port, "http.server did not say its port"
        yield f"http://127.0.0.1:{port.group(1)}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(chrome: str):
    """The system Chromium driven by Playwright (``executable_path``: no browser download)."""
    from playwright.sync_api import sync_playwright

    flags = [f for f in CHROME_FLAGS if f not in ("--headless", "--remote-debugging-pipe")]
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chrome, args=flags)
        yield launched
        launched.close()
