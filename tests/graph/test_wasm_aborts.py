"""Models that aborted TF.js wasm ("memory access out of bounds") run there like TensorFlow:
the kernels were found by running their sub-graphs on wasm, and are in the known-wrong-kernel
table (``graph/wrong_kernels``)."""

from __future__ import annotations

from pathlib import Path

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.convert import ConvertOptions, convert_source


def test_a_masked_bidirectional_gru_runs_on_wasm(masked_bigru_case: Case, tmp_path: Path) -> None:
    conversion = convert_source(masked_bigru_case.path, ConvertOptions(format="auto"))
    assert conversion.format == "graph"
    reverses = [n for n in conversion.artifact.topology["node"] if n["op"] == "ReverseV2"]
    assert reverses
    assert all(node["attr"]["T"]["type"] != "DT_BOOL" for node in reverses)
    assert_runs_like_tensorflow(
        write(conversion.artifact, tmp_path / "m"),
        masked_bigru_case.inputs,
        masked_bigru_case.expected,
    )


def test_disentangled_attention_runs_on_wasm(disentangled_case: Case, tmp_path: Path) -> None:
    conversion = convert_source(disentangled_case.path, ConvertOptions())
    gathers = [node for node in conversion.artifact.topology["node"] if node["op"] == "GatherV2"]
    assert all(node["attr"]["batch_dims"]["i"] == "0" for node in gathers)
    assert_runs_like_tensorflow(
        write(conversion.artifact, tmp_path / "m"),
        disentangled_case.inputs,
        disentangled_case.expected,
    )
