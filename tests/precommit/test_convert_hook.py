"""The tfjs-build-convert hook, installed by pre-commit from this checkout, on real commits."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

from tests.precommit.conftest import CHECKOUT, hook_reports, run
from tests.tree import tree_hashes

# TensorFlow's C++ start-up logs, written to stderr before its logging reads TF_CPP_MIN_LOG_LEVEL
_TENSORFLOW_LOG = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} \d\d:\d\d:[\d.]+ +\d+ \w+\.cc:\d+\] .*"
)


def without_tensorflow_logs(lines: list[str]) -> list[str]:
    """``lines`` less TensorFlow's start-up logs."""
    return [line for line in lines if not _TENSORFLOW_LOG.fullmatch(line)]


def test_convert_rebuilds_a_changed_model_and_the_restaged_commit_passes(
    make_hooked_repo, model_files
):
    repo = make_hooked_repo({"id": "tfjs-build-convert"}, {"id": "tfjs-build-check"})
    repo.commit_everything_unchecked("models and artifacts")
    shard = repo.root / "web_model/dense/group1-shard1of1.bin"
    before = shard.read_bytes()
    shutil.copyfile(model_files / "dense_changed.keras", repo.root / "models/dense.keras")
    repo.git("add", "models/dense.keras")

    blocked = repo.commit("retrained dense")

    assert blocked.returncode == 1
    [(name, status, lines), check] = hook_reports(blocked.stdout)
    assert (name, status) == ("tfjs-build convert", "Failed")
    shown = without_tensorflow_logs(lines)
    assert shown[-1].startswith("tfjs-build: artifacts changed"), (
        "the staging instruction (stderr) must be the last line: flush stdout before it",
        shown,
    )
    [*header, converted, conv, summary, stage] = shown
    assert header == [
        "- hook id: tfjs-build-convert",
        "- exit code: 1",
        "- files were modified by this hook",
        "dense: converting models/dense.keras (source models/dense.keras changed) ...",
    ]
    assert re.fullmatch(
        r"dense: converted \(layers, [\d.]+ kB, 1 shard, parity max abs error \S+ on cpu, "
        r"[\d.]+s, added to the cache\)",
        converted,
    )
    assert conv == "conv: up to date"
    assert (
        summary
        == "tfjs-build: 2 models: 1 converted, 0 restored from cache, 1 up to date, 0 failed"
    )
    assert stage == (
        "tfjs-build: artifacts changed; stage them and commit again: "
        "git add web_model/dense tfjs-build.lock"
    )
    assert check == ("tfjs-build check", "Passed", [])  # it ran after the rebuild
    assert repo.log() == ["models and artifacts"]
    assert repo.status() == (
        "M  models/dense.keras\n"
        " M tfjs-build.lock\n"
        " M web_model/dense/group1-shard1of1.bin\n"
        " M web_model/dense/parity-probe.safetensors\n"
        " M web_model/dense/parity.json\n"
    )
    assert shard.read_bytes() != before
    dense = json.loads((repo.root / "tfjs-build.lock").read_text())["models"]["dense"]
    assert (dense["parity"]["passed"], dense["parity"]["backends"]) == (True, ["cpu"])
    assert repo.check().returncode == 0

    repo.git("add", "web_model", "tfjs-build.lock")
    passed = repo.commit("retrained dense")

    assert passed.returncode == 0, passed.stdout
    assert hook_reports(passed.stdout) == [
        ("tfjs-build convert", "Passed", []),
        ("tfjs-build check", "Passed", []),
    ]
    assert repo.log() == [
        "retrained dense",
        "models and artifacts",
    ]
    assert repo.status() == ""


def test_the_convert_hook_environment_brings_tensorflow(convert_hook_python):
    probe = "import tensorflow, tfjs_build; print(tensorflow.__version__)"
    result = subprocess.run(
        [str(convert_hook_python), "-c", probe], capture_output=True, text=True, check=True
    )
    assert re.fullmatch(r"2\.\d+\.\d+\n", result.stdout)


def test_the_convert_hook_restores_from_a_remote_cache(make_hooked_repo, model_files, tmp_path):
    shared = (tmp_path / "team-cache").as_uri()
    builder = tmp_path / "builder"  # a teammate's clone that converted the retrained model first
    repo = make_hooked_repo({"id": "tfjs-build-convert"})
    shutil.copytree(repo.project, builder, ignore=shutil.ignore_patterns(".git"))
    for root in (repo.root, builder):
        pyproject = root / "pyproject.toml"
        pyproject.write_text(
            pyproject.read_text().replace(
                "[tool.tfjs-build]\n", f'[tool.tfjs-build]\ncache_remote = "{shared}"\n'
            )
        )
        shutil.copyfile(model_files / "dense_changed.keras", root / "models/dense.keras")
    command = [sys.executable, "-m", "tfjs_build", "convert", "--project", str(builder)]
    assert "dense: converted" in run(command, CHECKOUT, repo.env).stdout
    repo.git("add", "-A")

    blocked = repo.commit("retrained dense, configured the team cache")

    [(name, status, lines)] = hook_reports(blocked.stdout)
    assert (name, status) == ("tfjs-build convert", "Failed")
    shown = without_tensorflow_logs(lines)
    assert any(line.startswith("dense: restored from remote cache (layers, ") for line in shown)
    assert (
        "tfjs-build: 2 models: 0 converted, 1 restored from cache (1 from the remote), 1 up to date, 0 failed"
        in shown
    )
    assert tree_hashes(repo.root / "web_model") == tree_hashes(builder / "web_model")
    repo.git("add", "web_model", "tfjs-build.lock")
    assert repo.commit("retrained dense, configured the team cache").returncode == 0
