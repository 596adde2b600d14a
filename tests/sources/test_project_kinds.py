"""The new kinds in a project: configured in pyproject.toml, built, recorded in the lockfile,
fresh until their source changes (a frozen graph's includes its output nodes), and restored
from the build cache."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.sources.models import Source
from tfjs_build.cli import main

PYPROJECT = """
[tool.tfjs-build]
[[tool.tfjs-build.models]]
source = "models/mlp.pb"
output_nodes = [{nodes}]
[[tool.tfjs-build.models]]
source = "models/cnn"
[[tool.tfjs-build.models]]
source = "models/tfjs/model.json"
name = "tfjs"
"""


def test_a_project_of_new_kinds(
    keras_saved_cnn: Source, frozen_mlp: Source, tfjs_layers: Source, tmp_path: Path, capsys: Any
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(frozen_mlp.path, models / "mlp.pb")
    shutil.copytree(keras_saved_cnn.path, models / "cnn")
    shutil.copytree(tfjs_layers.path, models / "tfjs")
    project = ["--project", str(tmp_path)]
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(nodes='"probs"'))
    assert main(["convert", *project]) == 0
    assert sorted(p.name for p in (tmp_path / "web_model").iterdir()) == ["cnn", "mlp", "tfjs"]
    assert main(["check", *project]) == 0
    capsys.readouterr()

    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(nodes='"probs", "hidden"'))
    assert main(["check", *project]) == 1
    assert "): source models/mlp.pb changed" in capsys.readouterr().out
    assert main(["convert", *project]) == 0
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(nodes='"probs"'))
    capsys.readouterr()
    assert main(["convert", *project]) == 0
    built = capsys.readouterr().out
    assert "restored" in built and "mlp" in built, built
    assert main(["check", *project]) == 0
