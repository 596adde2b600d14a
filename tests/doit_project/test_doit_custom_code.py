"""Models with custom layers: ``imports`` loads their code, and editing it rebuilds exactly the
models that import it (real doit and the real CLI, in subprocesses, on a temporary repo)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.doit_project.test_doit_convert import converted, doit
from tfjs_build.runtime.tfjs import run_in_tfjs

LAYERS = """\
import keras

from . import scales


@keras.saving.register_keras_serializable(package="my_project")
class Scale(keras.layers.Layer):
    def call(self, x):
        return x * scales.FACTOR
"""
MAKE_MODELS = """\
import keras
from my_project.layers import Scale

keras.utils.set_random_seed(0)
x = keras.Input((4,), name="x")
keras.Model(x, Scale(name="scaled")(keras.layers.Dense(3, name="dense")(x))).save("models/a.keras")
keras.Model(x, keras.layers.Dense(2, name="dense")(x)).save("models/plain.keras")
"""
PYPROJECT = """\
[tool.tfjs-build]
output_root = "web_model"

[[tool.tfjs-build.models]]
name = "a"
source = "models/a.keras"
imports = ["my_project.layers"]

[[tool.tfjs-build.models]]
name = "plain"
source = "models/plain.keras"
parity = false
"""
PROBE = {"x": np.linspace(-1.0, 1.0, 8, dtype="float32").reshape(2, 4)}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project's code and models, built once: my_project/{layers,scales,unused}.py."""
    root = tmp_path_factory.mktemp("custom") / "repo"
    _write(root / "my_project" / "__init__.py", "")
    _write(root / "my_project" / "layers.py", LAYERS)
    _write(root / "my_project" / "scales.py", "FACTOR = 3.0\n")
    _write(root / "my_project" / "unused.py", "VALUE = 1\n")
    (root / "models").mkdir()
    subprocess.run([sys.executable, "-c", MAKE_MODELS], cwd=root, check=True, capture_output=True)
    return root


@pytest.fixture()
def project(sources: Path, tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(sources, root)
    _write(root / "pyproject.toml", PYPROJECT)
    _write(root / "dodo.py", "from tfjs_build.doit import task_convert  # noqa: F401\n")
    return root


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfjs_build", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_editing_a_custom_layer_rebuilds_exactly_the_models_that_import_it(project: Path) -> None:
    assert converted(doit(project, "convert")) == {"a", "plain"}
    lock = json.loads((project / "tfjs-build.lock").read_text())["models"]
    assert sorted(lock["a"]["code"]["files"]) == [
        "my_project/__init__.py",
        "my_project/layers.py",
        "my_project/scales.py",
    ]
    assert "code" not in lock["plain"]
    before = run_in_tfjs(project / "web_model" / "a", PROBE)["scaled"]

    (project / "my_project" / "unused.py").write_text("VALUE = 2\n")  # imported by nothing
    assert _cli(project, "check").returncode == 0
    assert converted(doit(project, "convert")) == set()

    (project / "my_project" / "scales.py").write_text("FACTOR = 4.0\n")
    check = _cli(project, "check")
    assert check.returncode == 1
    stale = [line.strip() for line in check.stdout.splitlines() if "custom code changed" in line]
    assert stale == ["a (web_model/a): custom code changed: my_project/scales.py"]
    assert "plain" not in check.stdout
    assert converted(doit(project, "convert")) == {"a"}
    after = run_in_tfjs(project / "web_model" / "a", PROBE)["scaled"]
    np.testing.assert_allclose(after, before * 4.0 / 3.0, rtol=1e-5, atol=1e-6)
    assert _cli(project, "check").returncode == 0


@pytest.mark.slow
def test_the_cli_imports_modules_for_convert_and_verify(project: Path) -> None:
    refused = _cli(project, "convert", "models/a.keras", "out")
    assert refused.returncode == 1
    message = refused.stderr.strip().splitlines()[-1]
    assert message.startswith("tfjs-build: error: models/a.keras: Keras cannot load this model")
    assert message.endswith("imported first with --imports my_project.layers")
    done = _cli(project, "convert", "models/a.keras", "out", "--import", "my_project.layers")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("converted out (graph, ")
    assert done.stdout.rstrip().endswith("TF.js layers cannot express scaled (Scale)")
    missing = _cli(
        project, "verify", "out", "--source", "models/a.keras", "--import", "my_project.nope"
    )
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1] == (
        "tfjs-build: error: cannot import 'my_project.nope' (from --imports my_project.nope): "
        f"no module 'my_project.nope' in {project.resolve()} or the installed packages"
    )


def test_toml_hints_speak_toml(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        PYPROJECT.replace('imports = ["my_project.layers"]\n', "", 1)
    )
    result = _cli(project, "convert", "--model", "a")
    assert result.returncode == 1
    assert '`imports = ["my_project.layers"]` in [tool.tfjs-build]' in result.stdout + result.stderr
    bad = _cli(project, "check")
    assert bad.returncode == 1  # the model is stale, the configuration is fine
    (project / "pyproject.toml").write_text(
        PYPROJECT.replace("my_project.layers", "my_project/layers.py", 1)
    )
    invalid = _cli(project, "check")
    assert invalid.returncode == 2
    assert "modules to import, not files" in invalid.stderr
