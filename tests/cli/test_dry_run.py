"""``tfjs-build convert --dry-run``: what would be built, from what, why and where; nothing
written."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.project_helpers import imported, tfjs_build
from tests.conftest import make_user_repo, pyproject
from tests.tree import tree_hashes


def _snapshot(root: Path) -> dict[str, object]:
    """Every file's content and mtime, and every directory, under ``root``."""
    return {
        "files": tree_hashes(root),
        "mtimes": {p.as_posix(): os.stat(p).st_mtime_ns for p in root.rglob("*")},
    }


def test_a_project_dry_run_says_what_why_and_where_and_writes_nothing(
    tmp_path: Path, model_files: Path
) -> None:
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", "conv"))
    before = _snapshot(root)
    first = tfjs_build(root, "convert", "--dry-run")
    assert first.returncode == 0, first.stderr
    assert _snapshot(root) == before
    lines = first.stdout.splitlines()
    assert lines[0].startswith("dense: would convert models/dense.keras -> web_model/dense (key ")
    assert lines[0].endswith("): never built (no lockfile entry)")
    assert lines[1].startswith("conv: would convert models/conv.h5 -> web_model/conv (key ")
    assert lines[2] == (
        "tfjs-build: dry run: 2 models: 2 to convert, 0 to restore from the cache, 0 up to date, "
        "0 failing; nothing was written"
    )
    assert imported(first) == []  # decided without numpy or TensorFlow

    built = tfjs_build(root, "convert")
    assert built.returncode == 0, built.stderr
    (root / "pyproject.toml").write_text(
        pyproject("dense", "conv", conv='quantization = "float16"')
    )
    for name in os.listdir(root / "web_model" / "dense"):
        (root / "web_model" / "dense" / name).unlink()
    (root / "web_model" / "dense").rmdir()
    before = _snapshot(root)
    second = tfjs_build(root, "convert", "--dry-run", "--json")
    assert second.returncode == 0, second.stderr
    assert _snapshot(root) == before
    plans = {m["name"]: m for m in json.loads(second.stdout)["models"]}
    assert (plans["dense"]["action"], plans["dense"]["reasons"]) == (
        "restore",
        ["web_model/dense/model.json is missing"],
    )
    assert (plans["conv"]["action"], plans["conv"]["reasons"]) == (
        "convert",
        ["options changed (quantization)"],
    )
    assert plans["conv"]["output"] == "web_model/conv" and len(plans["conv"]["cache_key"]) > 12
    third = tfjs_build(root, "convert", "--dry-run", "--model", "dense", "--no-cache")
    assert third.stdout.splitlines()[0].startswith("dense: would convert models/dense.keras")


def test_a_one_model_dry_run_names_the_format_and_why(tmp_path: Path, model_files: Path) -> None:
    out = tmp_path / "out"
    result = tfjs_build(
        tmp_path, "convert", str(model_files / "dense.keras"), str(out), "--dry-run",
        "--quantize-uint8", "*/kernel", "--parity-backends", "cpu",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"would convert {model_files / 'dense.keras'} -> {out} (a new one) as a layers model: TF.js "
        "layers can express every layer; quantization --quantize-uint8 '*/kernel', shard size "
        "4194304, parity cpu",
        "tfjs-build: dry run: nothing was written",
    ]
    assert not out.exists()
    assert "tensorflow" not in imported(result)
    scorer = tfjs_build(tmp_path, "convert", str(model_files / "scorer"), str(out), "--dry-run")
    assert "as a graph model: SavedModel sources become graph models" in scorer.stdout
    assert not out.exists()
