from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tfjs_build import __version__
from tfjs_build.errors import MissingDependencyError
from tfjs_build.project.status import tool_versions
from tfjs_build.runtime import ensure_node_packages, run_in_tfjs
from tfjs_build.runtime.node_packages import INSTALLED_MB, js_dir, lock_key

TFJS_PACKAGES = (
    "tfjs-backend-cpu",
    "tfjs-backend-wasm",
    "tfjs-backend-webgl",
    "tfjs-backend-webgpu",
    "tfjs-converter",
    "tfjs-core",
    "tfjs-layers",
)


def _path_with(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only links to the given tools."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        found = shutil.which(tool)
        assert found is not None, f"{tool} is not on PATH"
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def test_pins_are_exactly_what_runs_and_never_tfjs_node():
    package = json.loads((js_dir() / "package.json").read_text())
    assert package["dependencies"] == {f"@tensorflow/{name}": "4.22.0" for name in TFJS_PACKAGES}
    lock = json.loads((js_dir() / "package-lock.json").read_text())["packages"]
    tensorflow = {
        name for name in lock if name.rpartition("node_modules/")[2].startswith("@tensorflow/")
    }
    assert tensorflow == {f"node_modules/@tensorflow/{name}" for name in TFJS_PACKAGES}
    assert all(lock[name]["version"] == "4.22.0" for name in tensorflow)
    assert all("resolved" not in entry for entry in lock.values())  # no registry host in the repo
    assert tool_versions() == {"tfjs-build": __version__, "tfjs": "4.22.0"}  # nothing goes stale


def _size_mb(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6


def test_first_use_installs_into_a_cache_keyed_by_the_lockfile(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TFJS_BUILD_CACHE_DIR", str(tmp_path / "cache"))
    installed = ensure_node_packages()
    assert installed == tmp_path / "cache" / "node" / lock_key()
    assert capsys.readouterr().err.splitlines() == [
        f"tfjs-build: installing TF.js 4.22.0 ({', '.join(TFJS_PACKAGES)}; about {INSTALLED_MB} "
        f"MB) into {installed}, once"
    ]
    modules = installed / "node_modules"
    assert sorted(p.name for p in (modules / "@tensorflow").iterdir()) == list(TFJS_PACKAGES)
    assert abs(_size_mb(modules) - INSTALLED_MB) <= 0.1 * INSTALLED_MB
    assert (installed / "browser" / "tf.min.js").stat().st_size > 1_000_000
    assert (
        installed
        / "node_modules"
        / "@tensorflow"
        / "tfjs-backend-wasm"
        / "dist"
        / "tfjs-backend-wasm.wasm"
    ).is_file()
    assert not (installed / "node_modules" / "@tensorflow" / "tfjs-node").exists()
    stamp = (installed / "node_modules").stat().st_mtime_ns
    monkeypatch.setenv("PATH", _path_with(tmp_path, "node"))  # no npm: a second install would fail
    assert ensure_node_packages() == installed
    assert (installed / "node_modules").stat().st_mtime_ns == stamp
    assert capsys.readouterr().err == ""
    assert [p.name for p in (tmp_path / "cache" / "node").iterdir() if p.is_dir()] == [lock_key()]


def test_missing_npm_on_first_use_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("TFJS_BUILD_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", _path_with(tmp_path, "node"))
    with pytest.raises(
        MissingDependencyError,
        match=r"`npm` was not found on PATH; running TF.js needs Node.js 18\+ with npm",
    ):
        ensure_node_packages()


def test_missing_node_says_what_to_install(tmp_path, monkeypatch, node_packages):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError, match=r"`node` was not found on PATH"):
        run_in_tfjs(tmp_path, {"x": np.zeros(1, np.float32)})
    assert os.environ["PATH"] == str(tmp_path)
