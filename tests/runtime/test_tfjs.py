"""Artifacts written by this project load and compute correctly in the real TF.js from npm."""

from __future__ import annotations

import numpy as np
import pytest

from tests.runtime.handmade import (
    dense_layers_model,
    relu_graph_model,
    string_echo_graph_model,
    string_graph_model,
)
from tfjs_build.artifact import QuantizationPlan, read_artifact, write_artifact
from tfjs_build.errors import RuntimeFailure
from tfjs_build.runtime import run_in_tfjs

RNG = np.random.default_rng(11)
KERNEL = RNG.standard_normal((5, 3)).astype(np.float32)
BIAS = RNG.standard_normal(3).astype(np.float32)
X = RNG.standard_normal((4, 5)).astype(np.float32)


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_handmade_layers_model_matches_numpy(tmp_path, node_packages, backend):
    write_artifact(dense_layers_model(KERNEL, BIAS, "tanh"), tmp_path / "m", shard_size=16)
    out = run_in_tfjs(tmp_path / "m", {"features": X}, backend=backend)
    assert list(out) == ["dense"]
    assert out["dense"].shape == (4, 3)
    assert np.abs(out["dense"] - np.tanh(X @ KERNEL + BIAS)).max() <= 1e-6


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_handmade_graph_model_matches_numpy(tmp_path, node_packages, backend):
    write_artifact(relu_graph_model(KERNEL, BIAS), tmp_path / "g", shard_size=7)
    out = run_in_tfjs(tmp_path / "g", {"x": X}, backend=backend)
    assert list(out) == ["scores"]
    assert np.abs(out["scores"] - np.maximum(X @ KERNEL + BIAS, 0)).max() <= 1e-6


@pytest.mark.parametrize("dtype", ["float16", "uint8", "uint16"])
def test_tfjs_dequantizes_exactly_what_the_reader_returns(tmp_path, node_packages, dtype):
    """Identity input: the outputs are the weights as TF.js decoded them, bit for bit."""
    kernel = RNG.uniform(-3, 2, (5, 5)).astype(np.float32)
    zero_bias = np.zeros(5, np.float32)
    write_artifact(
        dense_layers_model(kernel, zero_bias, "linear"),
        tmp_path / "q",
        quantization=QuantizationPlan(dtype),
    )
    decoded = run_in_tfjs(tmp_path / "q", {"features": np.eye(5, dtype=np.float32)})["dense"]
    ours = read_artifact(tmp_path / "q").weight_dict()["dense/kernel"]
    assert np.array_equal(decoded, ours)
    assert not np.array_equal(ours, kernel)


def test_string_weights_decode_in_tfjs(tmp_path, node_packages):
    words = np.array([["héllo", ""], ["wörld", "x" * 70]], dtype=object)
    write_artifact(string_graph_model(words), tmp_path / "s", shard_size=5)
    out = run_in_tfjs(tmp_path / "s", {"x": np.zeros(1, np.float32)})
    assert out["words"].tolist() == [[w.encode() for w in row] for row in words.tolist()]


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_string_inputs_reach_tfjs_as_utf8_bytes(tmp_path, node_packages, backend):
    write_artifact(string_echo_graph_model(), tmp_path / "e")
    text = np.array([["héllo", ""], ["日本語", "x" * 300]])
    raw = np.array([b"\xff\x00bytes", b"plain"], dtype=object)
    for given in (text, raw):
        out = run_in_tfjs(tmp_path / "e", {"text": given}, backend=backend)["echo"]
        expected = [v if isinstance(v, bytes) else v.encode() for v in given.reshape(-1).tolist()]
        assert out.shape == given.shape
        assert out.reshape(-1).tolist() == expected


def test_a_string_input_holding_numbers_is_refused(tmp_path, node_packages):
    write_artifact(string_echo_graph_model(), tmp_path / "e")
    with pytest.raises(
        RuntimeFailure,
        match="input .text. holds a value of type int; string inputs hold str or bytes",
    ):
        run_in_tfjs(tmp_path / "e", {"text": np.array(["a", 3], dtype=object)})


def test_tfjs_errors_become_runtime_failures_naming_the_model(tmp_path, node_packages):
    write_artifact(dense_layers_model(KERNEL, BIAS), tmp_path / "m")
    with pytest.raises(RuntimeFailure, match=r"TF.js \(cpu\) failed on .*m: .*"):
        run_in_tfjs(tmp_path / "m", {"features": np.zeros((2, 7), np.float32)})
    with pytest.raises(RuntimeFailure, match="unknown TF.js backend 'webgpu'"):
        run_in_tfjs(tmp_path / "m", {"features": X}, backend="webgpu")
