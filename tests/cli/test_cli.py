"""The CLI as a user runs it: real subprocesses, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.runtime.handmade import dense_layers_model, relu_graph_model
from tfjs_build import __version__
from tfjs_build.artifact import QuantizationPlan, write_artifact
from tfjs_build.cli import main

RNG = np.random.default_rng(5)
KERNEL = RNG.standard_normal((5, 3)).astype(np.float32)
BIAS = RNG.standard_normal(3).astype(np.float32)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfjs_build", *args], capture_output=True, text=True, check=False
    )


def test_version_and_help_exit_zero():
    result = _cli("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"tfjs-build {__version__}")
    assert _cli("convert", "--help").returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["bogus"],
        ["convert", "a"],
        ["convert", "--shard", "3/2"],
        ["convert", "a", "b", "--shard", "1/2"],
        ["convert", "--quantize", "uint8"],
        ["check", "extra"],
        ["cache"],
        ["convert", "a", "b", "--shard-size", "0"],
        ["convert", "a", "b", "--quantize", "int4"],
    ],
)
def test_bad_usage_exits_2(args):
    assert main(args) == 2


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["convert", "missing.h5", "out"],
            "tfjs-build: error: missing.h5: no such file or directory",
        ),
        (["convert", "README.txt", "out"], "tfjs-build: error: README.txt: unknown model kind"),
        (["inspect", "nowhere"], "tfjs-build: error: nowhere/model.json does not exist"),
    ],
)
def test_user_mistakes_are_one_line_errors_with_exit_1(tmp_path, args, message):
    (tmp_path / "README.txt").write_text("not a model")
    result = subprocess.run(
        [sys.executable, "-m", "tfjs_build", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_inspect_describes_a_quantized_layers_model(tmp_path):
    write_artifact(
        dense_layers_model(KERNEL, BIAS),
        tmp_path / "m",
        shard_size=32,
        quantization=QuantizationPlan("uint8", exclude=("*/bias",)),
    )
    result = _cli("inspect", str(tmp_path / "m"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{tmp_path / 'm'}: layers-model"
    assert "  input:        features [None, 5] float32" in lines
    assert "  output:       dense ? float32" in lines
    assert "  layers:       2 (Dense x1, InputLayer x1)" in lines
    assert "  weights:      2 tensors, 18 values" in lines
    assert "  quantization: none x1, uint8 x1" in lines
    assert "  shards:       1 files, 27 bytes" in lines


def test_inspect_json_for_a_graph_model_and_its_problems(tmp_path):
    write_artifact(relu_graph_model(KERNEL, BIAS), tmp_path / "g", shard_size=20)
    summary = json.loads(_cli("inspect", "--json", str(tmp_path / "g")).stdout)
    assert summary["format"] == "graph-model"
    assert summary["inputs"] == [{"name": "x", "shape": [None, 5], "dtype": "float"}]
    assert summary["outputs"] == [{"name": "scores", "shape": [None, 3], "dtype": "float"}]
    assert summary["ops"] == {"BiasAdd": 1, "Const": 2, "MatMul": 1, "Placeholder": 1, "Relu": 1}
    assert (summary["weights"], summary["parameters"], summary["shardBytes"]) == (2, 18, 72)
    assert summary["shards"] == [f"group1-shard{i}of4.bin" for i in range(1, 5)]
    assert summary["problems"] == []
    (tmp_path / "g" / "group1-shard4of4.bin").unlink()
    broken = _cli("inspect", str(tmp_path / "g"))
    assert broken.returncode == 1
    assert "  PROBLEM:      shard group1-shard4of4.bin is missing" in broken.stdout.splitlines()
