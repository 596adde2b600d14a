"""The real doit, in subprocesses, on a temporary user repo."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.tree import tree_hashes

ALL = {"dense", "conv", "scorer"}


def doit(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "doit", *args], cwd=root, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"doit {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def converted(result: subprocess.CompletedProcess[str]) -> set[str]:
    return set(re.findall(r"^(\S+): converted \(", result.stdout, re.M))


def restored(result: subprocess.CompletedProcess[str]) -> set[str]:
    return set(re.findall(r"^(\S+): restored from cache \(", result.stdout, re.M))


def test_first_run_converts_all_then_nothing_and_touching_changes_nothing(repo):
    first = doit(repo, "convert")
    assert converted(first) == ALL
    assert re.search(
        r"^dense: converted \(layers, [\d.]+ [kM]?B, 1 shard, parity SKIPPED", first.stdout, re.M
    )
    assert re.search(
        r"^scorer: converted \(graph, .* parity max abs error \S+ on cpu\+wasm", first.stdout, re.M
    )
    lock = json.loads((repo / "tfjs-build.lock").read_text())
    assert sorted(lock["models"]) == ["conv", "dense", "scorer"]
    assert lock["models"]["scorer"]["parity"]["passed"] is True
    assert lock["models"]["dense"]["parity"] == {
        "skipped": True,
        "reason": "parity = false for model 'dense'",
    }
    lock_text = (repo / "tfjs-build.lock").read_text()
    assert converted(doit(repo, "convert")) == set()
    os.utime(repo / "models" / "dense.keras", (time.time() + 5, time.time() + 5))
    (repo / "models" / "scorer" / "saved_model.pb").touch()
    assert converted(doit(repo, "convert")) == set()
    assert (repo / "tfjs-build.lock").read_text() == lock_text


def test_each_kind_of_change_rebuilds_exactly_that_model(repo, model_files):
    doit(repo, "convert")
    shutil.copyfile(model_files / "dense_changed.keras", repo / "models" / "dense.keras")
    assert converted(doit(repo, "convert")) == {"dense"}
    (repo / "models" / "scorer" / "assets" / "vocab.txt").write_text("a\nb\n")
    assert converted(doit(repo, "convert")) == {"scorer"}
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'source = "models/conv.h5"\n', 'source = "models/conv.h5"\nquantization = "uint8"\n'
        )
    )
    assert converted(doit(repo, "convert")) == {"conv"}
    entry = json.loads((repo / "web_model" / "conv" / "model.json").read_text())["weightsManifest"][
        0
    ]["weights"][0]
    assert entry["quantization"]["dtype"] == "uint8"
    assert converted(doit(repo, "convert")) == set()


def test_deleted_or_edited_outputs_are_rebuilt(repo):
    doit(repo, "convert")
    expected = tree_hashes(repo / "web_model")
    (repo / "web_model" / "dense" / "group1-shard1of1.bin").unlink()
    model_json = repo / "web_model" / "conv" / "model.json"
    model_json.write_text(model_json.read_text().replace('"layers-model"', '"layers-model" '))
    result = doit(repo, "convert")
    assert restored(result) == {"dense", "conv"}  # from the build cache: same source and options
    assert converted(result) == set()
    assert tree_hashes(repo / "web_model") == expected
    assert "output files missing: group1-shard1of1.bin" in result.stderr
    assert "output files edited: model.json" in result.stderr


def test_a_fresh_clone_with_artifacts_and_lockfile_converts_nothing(repo, tmp_path):
    doit(repo, "convert")
    clone = tmp_path / "clone"
    shutil.copytree(repo, clone, ignore=shutil.ignore_patterns(".doit.db*", ".tfjs-build"))
    result = doit(clone, "convert")
    assert converted(result) == set()
    assert sorted(re.findall(r"^(\S+): up to date$", result.stdout, re.M)) == sorted(ALL)


def test_clean_removes_only_what_convert_generated(repo):
    (repo / "web_model").mkdir()
    (repo / "web_model" / "README.md").write_text("hand-written")
    doit(repo, "convert")
    doit(repo, "clean", "convert")
    assert sorted(p.name for p in (repo / "web_model").iterdir()) == ["README.md"]
    assert json.loads((repo / "tfjs-build.lock").read_text())["models"] == {}
    assert sorted(p.name for p in (repo / "models").iterdir()) == [
        "conv.h5",
        "dense.keras",
        "scorer",
    ]


def test_list_and_info_show_one_documented_subtask_per_model(repo):
    listing = doit(repo, "list", "--all").stdout
    assert (
        "convert:dense    models/dense.keras -> web_model/dense (format auto, quantization none, parity OFF)"
        in listing
    )
    assert (
        "convert:scorer   models/scorer -> web_model/scorer (format auto, quantization none, parity cpu+wasm)"
        in listing
    )
    info = doit(repo, "info", "convert:scorer", check=False).stdout
    assert " - models/scorer/saved_model.pb\n" in info
    assert " - models/scorer/variables/variables.index\n" in info
    assert " - web_model/scorer/model.json\n" in info


def test_parallel_build_gives_the_same_artifacts_as_serial(repo, tmp_path):
    twin = tmp_path / "twin"
    shutil.copytree(repo, twin)
    doit(repo, "convert")
    parallel = doit(twin, "-n", "2", "convert")
    assert converted(parallel) == ALL
    assert tree_hashes(twin / "web_model") == tree_hashes(repo / "web_model")
    assert (twin / "tfjs-build.lock").read_text() == (repo / "tfjs-build.lock").read_text()


def test_a_training_task_runs_before_its_conversion(repo):
    trained = repo / "models" / "dense.keras"
    shutil.move(trained, repo / "dense.trained")
    (repo / "dodo.py").write_text(
        "import shutil\nfrom tfjs_build.doit import task_convert  # noqa: F401\n\n"
        "def task_train():\n"
        "    return {'actions': [lambda: shutil.copyfile('dense.trained', 'models/dense.keras') and None],\n"
        "            'file_dep': ['dense.trained'], 'targets': ['models/dense.keras']}\n"
    )
    result = doit(repo, "convert:dense")
    assert result.stdout.index(".  train") < result.stdout.index(".  convert:dense")
    assert converted(result) == {"dense"}


@pytest.mark.parametrize("args", [["list"], ["convert"]])
def test_task_loading_and_a_no_op_run_never_import_tensorflow(repo, args):
    doit(repo, "convert")
    probe = (
        "import sys\nfrom doit.doit_cmd import DoitMain\nfrom doit.cmd_base import ModuleTaskLoader\n"
        "import dodo\ncode = DoitMain(ModuleTaskLoader(dodo)).run(sys.argv[1:])\n"
        "print('IMPORTED', sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')))\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *args], cwd=repo, capture_output=True, text=True, check=True
    )
    assert "IMPORTED []" in result.stdout
    assert converted(result) == set()
