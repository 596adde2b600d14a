"""``tfjs-build convert`` end to end on real models: parity decides what gets published."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfjs_build", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def _snapshot(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_a_failed_parity_check_never_replaces_the_published_artifact(tmp_path, model_files):
    good = _cli("convert", str(model_files / "dense.keras"), "web/dense", cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert re.search(r"parity max abs error \S+ on cpu\+wasm", good.stdout)
    record = json.loads((tmp_path / "web" / "dense" / "parity.json").read_text())
    assert record["passed"] is True and [b["backend"] for b in record["backends"]] == [
        "cpu",
        "wasm",
    ]
    before = _snapshot(tmp_path / "web" / "dense")

    bad = _cli(
        "convert",
        str(model_files / "dense.keras"),
        "web/dense",
        "--quantize",
        "uint8",
        "--atol",
        "0",
        "--rtol",
        "0",
        "--scale-tol",
        "0",
        cwd=tmp_path,
    )
    assert bad.returncode == 1
    error = bad.stderr.strip().splitlines()[-1]  # TensorFlow logs its own lines before ours
    assert error.startswith("tfjs-build: error: web/dense: parity failed on TF.js cpu for output ")
    assert error.endswith(
        "the previous artifact is unchanged; the rejected build is in .tfjs-build/rejected/dense"
    )
    assert _snapshot(tmp_path / "web" / "dense") == before
    assert sorted(p.name for p in (tmp_path / "web").iterdir()) == ["dense"]  # nothing beside it
    assert (tmp_path / ".tfjs-build" / ".gitignore").read_text().endswith("*\n")
    rejected_dir = tmp_path / ".tfjs-build" / "rejected" / "dense"
    rejected = json.loads((rejected_dir / "model.json").read_text())
    assert rejected["weightsManifest"][0]["weights"][0]["quantization"]["dtype"] == "uint8"


def test_no_parity_is_loud_in_the_output_and_the_record(tmp_path, model_files):
    result = _cli("convert", str(model_files / "conv.h5"), "out", "--no-parity", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "parity SKIPPED (--no-parity on the command line)" in result.stdout
    assert json.loads((tmp_path / "out" / "parity.json").read_text()) == {
        "reason": "--no-parity on the command line",
        "skipped": True,
    }


def test_verify_checks_an_existing_artifact_against_a_different_source(tmp_path, model_files):
    assert (
        _cli(
            "convert", str(model_files / "dense.keras"), "out", "--no-parity", cwd=tmp_path
        ).returncode
        == 0
    )
    same = _cli(
        "verify",
        "out",
        "--source",
        str(model_files / "dense.keras"),
        "--parity-backends",
        "cpu",
        cwd=tmp_path,
    )
    assert same.returncode == 0 and same.stdout.rstrip().endswith("parity PASSED for out")
    other = _cli(
        "verify", "out", "--source", str(model_files / "dense_changed.keras"), cwd=tmp_path
    )
    assert other.returncode == 1
    assert other.stdout.rstrip().endswith("parity FAILED for out")
