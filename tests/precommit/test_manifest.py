"""The hook manifest and this repo's own config, as pre-commit reads them."""

from __future__ import annotations

import re
import sys

import pytest
import yaml  # pre-commit's own dependency

from tests.precommit.conftest import CHECKOUT, run

HOOKS = {
    hook["id"]: hook for hook in yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())
}


@pytest.mark.parametrize(
    ("command", "path"),
    [
        ("validate-manifest", ".pre-commit-hooks.yaml"),
        ("validate-config", ".pre-commit-config.yaml"),
    ],
)
def test_pre_commit_accepts_the_files(command, path, precommit_env):
    result = run([sys.executable, "-m", "pre_commit", command, path], CHECKOUT, precommit_env)
    assert result.stdout == ""


def test_both_hooks_see_the_whole_project_once_per_commit():
    for hook in HOOKS.values():
        assert (hook["language"], hook["pass_filenames"], hook["require_serial"]) == (
            "python",
            False,
            True,
        )
    assert HOOKS["tfjs-build-check"]["always_run"] is True
    assert "additional_dependencies" not in HOOKS["tfjs-build-check"]
    assert HOOKS["tfjs-build-convert"]["additional_dependencies"] == [".[tensorflow]"]


@pytest.mark.parametrize(
    "path",
    [
        "models/dense.keras",
        "ml/models/conv.h5",
        "models/legacy.hdf5",
        "models/scorer/saved_model.pb",
        "models/scorer/saved_model.pbtxt",
        "models/scorer/fingerprint.pb",
        "models/scorer/keras_metadata.pb",
        "models/scorer/variables/variables.index",
        "models/scorer/variables/variables.data-00000-of-00001",
        "models/scorer/assets/vocab.txt",
        "pyproject.toml",
        "ml/pyproject.toml",
        "tfjs-build.lock",
        "ml/tfjs-build.lock",
        ".pre-commit-config.yaml",
        "web_model/dense/model.json",
        "web_model/dense/parity.json",
        "web_model/dense/group1-shard1of1.bin",
        "web_model/big/group1-shard12of20.bin",
    ],
)
def test_the_convert_hook_runs_for_sources_configuration_lockfile_and_artifacts(path):
    assert re.search(HOOKS["tfjs-build-convert"]["files"], path)


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "src/app.py",
        "package.json",
        "data/train.bin",
        "pyproject.toml.orig",
        "models/dense.keras.bak",
        "notes/saved_model.pb.txt",
        "docs/.pre-commit-config.yaml",
    ],
)
def test_the_convert_hook_skips_other_files(path):
    assert not re.search(HOOKS["tfjs-build-convert"]["files"], path)
