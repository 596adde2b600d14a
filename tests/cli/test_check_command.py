"""``tfjs-build check`` on a real converted project: exit codes, every reason, no heavy imports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.project_helpers import imported, tfjs_build
from tests.conftest import make_user_repo


@pytest.fixture(scope="module")
def converted_repo(tmp_path_factory, model_files, node_packages) -> Path:
    """The three-model repo, converted once for the module (copy it before changing it)."""
    root = make_user_repo(tmp_path_factory.mktemp("check") / "repo", model_files)
    result = tfjs_build(root, "convert")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture()
def repo_copy(converted_repo, tmp_path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(converted_repo, copy, ignore=shutil.ignore_patterns(".tfjs-build"))
    return copy


def test_a_fresh_project_passes_without_importing_numpy_or_tensorflow(repo_copy):
    result = tfjs_build(repo_copy, "check")
    assert (result.returncode, result.stdout) == (
        0,
        "tfjs-build: 3 artifacts up to date (tfjs-build.lock)\n",
    )
    assert imported(result) == []


def test_never_built_models_are_all_listed_with_the_fix(repo):
    result = tfjs_build(repo, "check")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "tfjs-build: 3 of 3 artifacts stale or missing:",
        "  dense (web_model/dense): never built (no lockfile entry)",
        "  conv (web_model/conv): never built (no lockfile entry)",
        "  scorer (web_model/scorer): never built (no lockfile entry)",
        "fix: tfjs-build convert",
        "     then stage the result: git add web_model/dense web_model/conv web_model/scorer tfjs-build.lock",
    ]
    assert imported(result) == []


def test_every_kind_of_staleness_is_named(repo_copy, model_files):
    shutil.copyfile(model_files / "dense_changed.keras", repo_copy / "models" / "dense.keras")
    (repo_copy / "web_model" / "conv" / "group1-shard1of1.bin").unlink()
    model_json = repo_copy / "web_model" / "scorer" / "model.json"
    model_json.write_text(model_json.read_text() + " ")
    (repo_copy / "web_model" / "scorer" / "notes.txt").write_text("mine")

    result = tfjs_build(repo_copy, "check")
    assert result.returncode == 1
    assert result.stdout.splitlines()[:4] == [
        "tfjs-build: 3 of 3 artifacts stale or missing:",
        "  dense (web_model/dense): source models/dense.keras changed",
        "  conv (web_model/conv): output files missing: group1-shard1of1.bin",
        "  scorer (web_model/scorer): unexpected output files: notes.txt; output files edited: model.json",
    ]


def test_an_option_change_and_a_deleted_artifact(repo_copy):
    pyproject = repo_copy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'source = "models/conv.h5"\n', 'source = "models/conv.h5"\nquantization = "float16"\n'
        )
    )
    shutil.rmtree(repo_copy / "web_model" / "dense")
    result = tfjs_build(repo_copy, "check", "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["fresh"] is False
    assert {m["name"]: m["reasons"] for m in document["models"]} == {
        "dense": ["web_model/dense/model.json is missing"],
        "conv": ["options changed (quantization)"],
        "scorer": [],
    }
    assert document["models"][0] == {
        "name": "dense",
        "source": "models/dense.keras",
        "output": "web_model/dense",
        "fresh": False,
        "reasons": ["web_model/dense/model.json is missing"],
    }


def test_project_option_from_another_directory_names_paths_from_there(repo_copy):
    (repo_copy / "web_model" / "dense" / "group1-shard1of1.bin").unlink()
    result = tfjs_build(repo_copy.parent, "check", "--project", "repo")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-2:] == [
        "fix: tfjs-build convert --project repo",
        "     then stage the result: git add repo/web_model/dense repo/tfjs-build.lock",
    ]


def test_a_model_no_longer_configured_is_a_note_not_a_failure(repo_copy):
    pyproject = repo_copy / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text[: text.index('[[tool.tfjs-build.models]]\nname = "conv"')])
    result = tfjs_build(repo_copy, "check")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "tfjs-build: 1 artifact up to date (tfjs-build.lock)",
        "note: tfjs-build.lock records models no longer configured (conv, scorer); `tfjs-build convert` drops them",
        "note: web_model/conv holds an artifact no configured model builds; remove it with: rm -r web_model/conv",
        "note: web_model/scorer holds an artifact no configured model builds; remove it with: rm -r web_model/scorer",
    ]


@pytest.mark.parametrize(
    "damage,message",
    [
        (
            lambda root: (root / "pyproject.toml").write_text(
                "[tool.tfjs-build]\noutput_rot = 'x'\n"
            ),
            "unknown key 'output_rot' in [tool.tfjs-build]; did you mean 'output_root'?",
        ),
        (
            lambda root: (root / "tfjs-build.lock").write_text("{not json"),
            "tfjs-build.lock is not a valid tfjs-build lockfile",
        ),
        (
            lambda root: (root / "pyproject.toml").unlink(),
            "pyproject.toml does not exist; tfjs-build reads its configuration from [tool.tfjs-build] there",
        ),
    ],
)
def test_configuration_and_lockfile_errors_exit_2_with_one_line(repo_copy, damage, message):
    damage(repo_copy)
    result = tfjs_build(repo_copy, "check")
    assert (result.returncode, result.stdout) == (2, "")
    error = result.stderr.splitlines()[0]
    assert error.startswith("tfjs-build: error: ") and message in error
