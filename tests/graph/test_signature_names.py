"""Inputs and outputs named after signature keys, even when a key is already a node's name."""

from __future__ import annotations

from pathlib import Path

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.graph import convert_saved_model


def test_output_key_naming_its_own_producer_reads_the_producer(
    op_named_output_case: Case, tmp_path: Path
) -> None:
    artifact = convert_saved_model(op_named_output_case.path)
    nodes = {node["name"]: node for node in artifact.topology["node"]}
    output = nodes["output"]
    assert output["op"] == "Identity"
    (producer,) = output["input"]
    assert producer != "output" and nodes[producer]["op"] != "Identity"
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"),
        op_named_output_case.inputs,
        op_named_output_case.expected,
    )
