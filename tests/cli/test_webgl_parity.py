"""webgl and webgpu parity from the command line and in project builds, in the machine's real
Chromium."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from tests.cli.project_helpers import lock, messages, records, tfjs_build
from tests.conftest import make_user_repo, pyproject
from tfjs_build.parity.probe_file import PROBE_FILE
from tfjs_build.runtime.chrome import CHROME_ENV


def _counting_chrome(tmp_path: Path, chrome: str) -> tuple[Path, Path]:
    """A wrapper that logs each browser launch, then runs the real one."""
    log = tmp_path / "launches.log"
    wrapper = tmp_path / "chrome-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho launch >> "{log}"\nexec "{chrome}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return wrapper, log


def test_a_project_build_starts_one_browser_for_all_its_models(
    tmp_path, model_files, chrome, node_packages, monkeypatch
):
    wrapper, log = _counting_chrome(tmp_path, chrome)
    monkeypatch.setenv(CHROME_ENV, str(wrapper))
    config = pyproject("dense", "conv", "scorer", top='parity_backends = ["cpu", "webgl"]')
    root = make_user_repo(tmp_path / "repo", model_files, config)

    built = tfjs_build(root, "convert", "--no-cache", "--json")
    assert built.returncode == 0, built.stderr
    assert records(built) == dict.fromkeys(("dense", "conv", "scorer"), "converted")
    assert log.read_text().splitlines() == ["launch"]  # one browser for three models
    assert "parity max abs error" in built.stderr and "on cpu+webgl" in built.stderr
    for name, entry in lock(root)["models"].items():
        assert entry["parity"]["backends"] == ["cpu", "webgl"], name
        assert PROBE_FILE in entry["files"] and "parity.json" in entry["files"]
        assert (root / "web_model" / name / PROBE_FILE).is_file()
    assert tfjs_build(root, "check").returncode == 0
    (root / "web_model" / "dense" / PROBE_FILE).write_bytes(b"edited")
    stale = tfjs_build(root, "check")
    assert stale.returncode == 1 and f"output files edited: {PROBE_FILE}" in stale.stdout


@pytest.mark.parametrize("backends", [("webgl", "webgl-f16"), ("webgl", "webgpu")])
def test_verify_runs_browser_backends(tmp_path, model_files, chrome, node_packages, backends):
    converted = tfjs_build(tmp_path, "convert", str(model_files / "conv.h5"), "art", "--no-parity")
    assert converted.returncode == 0, converted.stderr
    result = tfjs_build(
        tmp_path,
        "verify",
        "art",
        "--source",
        str(model_files / "conv.h5"),
        "--parity-backends",
        ",".join(backends),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("]")[0] for line in lines[:2]] == [f"[{b}" for b in backends]
    assert all(line.endswith("- ok") for line in lines[:2])
    assert lines[-1] == "parity PASSED for art"


def test_a_project_checks_webgpu_when_parity_names_it_with_the_default_targets(
    tmp_path, model_files, chrome, node_packages
):
    config = pyproject("scorer", top='parity_backends = ["cpu", "webgpu"]')
    root = make_user_repo(tmp_path / "repo", model_files, config)
    built = tfjs_build(root, "convert", "--no-cache")
    assert built.returncode == 0, built.stderr
    assert lock(root)["models"]["scorer"]["parity"]["backends"] == ["cpu", "webgpu"]


def test_an_unknown_backend_lists_the_five(tmp_path, model_files):
    root = make_user_repo(
        tmp_path / "repo", model_files, pyproject("dense", top='parity_backends = ["metal"]')
    )
    result = tfjs_build(root, "check")
    assert result.returncode == 2
    assert (
        "tool.tfjs-build.parity_backends = ['metal']: expected a non-empty list drawn from "
        "'cpu', 'wasm', 'webgl', 'webgl-f16', 'webgpu'" in result.stderr
    )


def test_without_a_browser_webgl_parity_fails_saying_how_to_install_one(
    tmp_path, model_files, node_packages, monkeypatch
):
    bare = tmp_path / "bin"  # node and npm, but no browser
    bare.mkdir()
    for tool in ("node", "npm"):
        (bare / tool).symlink_to(str(shutil.which(tool)))
    monkeypatch.setenv("PATH", str(bare))
    monkeypatch.delenv(CHROME_ENV, raising=False)
    converted = tfjs_build(
        tmp_path, "convert", str(model_files / "conv.h5"), "art", "--parity-backends", "webgl"
    )
    assert converted.returncode == 1
    error = messages(converted)[-1]
    assert "need Chrome or Chromium, and none is on PATH" in error
    assert "apt-get install chromium" in error and CHROME_ENV in error
    assert not (tmp_path / "art" / "model.json").exists()
