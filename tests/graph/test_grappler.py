"""Grappler with the large constant filters held out of it: the same artifact, smaller copies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.graph import convert_keras_to_graph, convert_saved_model, grappler
from tfjs_build.graph.freeze import freeze_function
from tfjs_build.graph.graph_edit import nodes_by_name
from tfjs_build.graph.saved_model import load_signature

SAVED_MODEL_CASES = [
    "filter_readers_case",
    "mlp_case",
    "keras3_export_case",
    "tf_keras_case",
    "tf_keras_conv_bn_case",
    "batch_norm_relu_case",
    "tf1_batch_norm_relu_case",
    "prelu_export_case",
    "channels_first_case",
    "grappler_products_case",
    "audio_front_end_case",
    "keras_lookups_case",
]
KERAS_CASES = ["keras3_attention_case", "keras3_recurrent_case"]
OTHERWISE_CASES = ["keras3_grouped_conv_case"]
"""Models whose artifacts differ without being wrong: Grappler fuses a grouped convolution's
pieces differently when it cannot see their filters."""


def _without_shape_notes(topology: dict[str, Any]) -> dict[str, Any]:
    """``topology`` without Grappler's ``_input_shapes`` notes, which TF.js does not read (a
    held-out filter's shape is unknown to Grappler's shape inference, so the notes of its readers
    say -1 where they said its sizes), and with its functions in name order (the order of the
    function library varies from one conversion to the next)."""
    nodes = [
        {**node, "attr": {k: v for k, v in node.get("attr", {}).items() if k != "_input_shapes"}}
        for node in topology["node"]
    ]
    functions = topology.get("library", {}).get("function", [])
    library = sorted(functions, key=lambda function: function["signature"]["name"])
    return {
        **topology,
        "node": nodes,
        "library": {**topology.get("library", {}), "function": library},
    }


@pytest.mark.parametrize("case_name", SAVED_MODEL_CASES + KERAS_CASES)
def test_holding_every_filter_out_leaves_the_artifact_as_it_was(
    case_name: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    case: Case = request.getfixturevalue(case_name)
    convert = convert_keras_to_graph if case_name in KERAS_CASES else convert_saved_model
    monkeypatch.setattr(grappler, "HELD_OUT_BYTES", None)
    kept = convert(Path(case.path))
    monkeypatch.setattr(grappler, "HELD_OUT_BYTES", 0)  # every filter, however small
    held = convert(Path(case.path))
    assert _without_shape_notes(held.topology) == _without_shape_notes(kept.topology)
    assert held.signature == kept.signature and held.extra == kept.extra
    assert [name for name, _ in held.weights] == [name for name, _ in kept.weights]
    for (name, value), (_, want) in zip(held.weights, kept.weights, strict=True):
        assert value.dtype == want.dtype and value.shape == want.shape, name
        np.testing.assert_array_equal(value, want, err_msg=name)


def _copy(message: Any) -> Any:
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


def test_only_constants_that_contractions_read_as_filters_are_held_out(
    filter_readers_case: Case,
) -> None:
    loaded = load_signature(filter_readers_case.path, "serving_default", ("serve",))
    graph_def = freeze_function(loaded.function, str(filter_readers_case.path)).graph_def
    before = {node.name: _copy(node) for node in graph_def.node}

    held = grappler._hold_out_filters(graph_def, 512)

    # the filter two convolutions share (read through identities); not the depthwise filter, the
    # filter a reduction reads too (512 bytes), the kernel read as a left operand (1 kB), nor the
    # 64-byte scale
    shapes = []
    for name, serialized in held.items():
        node = nodes_by_name(graph_def)[name]
        assert node.op == "Placeholder" and "value" not in node.attr
        original = type(node)()
        original.ParseFromString(serialized)
        assert original.op == "Const" and original.name == name
        shapes.append([d.size for d in original.attr["value"].tensor.tensor_shape.dim])
        assert [d.size for d in node.attr["shape"].shape.dim] == shapes[-1]
    assert shapes == [[3, 3, 8, 16]]
    grappler._put_back(graph_def, held)
    assert {node.name: node for node in graph_def.node} == before  # as messages: maps keep no order


@pytest.mark.parametrize("case_name", OTHERWISE_CASES)
def test_with_every_filter_held_out_the_artifact_runs_like_tensorflow(
    case_name: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    node_packages: Path,
) -> None:
    case: Case = request.getfixturevalue(case_name)
    convert = convert_keras_to_graph
    monkeypatch.setattr(grappler, "HELD_OUT_BYTES", 0)
    artifact = convert(Path(case.path))
    assert_runs_like_tensorflow(write(artifact, tmp_path / "model"), case.inputs, case.expected)
