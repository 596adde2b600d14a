"""A hostile model description gives one ``ModelIOError``/``ProbeError`` naming the file, never a
crash, and never a probe allocated from a huge shape."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tfjs_build.errors import ModelIOError, ProbeError
from tfjs_build.parity.model_io import input_specs, output_names
from tfjs_build.parity.probes import MAX_PROBE_VALUES, make_probes

SOURCE = "web/model.json"


def _functional(**changes: Any) -> dict[str, Any]:
    config = {
        "name": "m",
        "layers": [
            {
                "class_name": "InputLayer",
                "name": "x",
                "config": {"name": "x", "batch_input_shape": [None, 4], "dtype": "float32"},
                "inbound_nodes": [],
            },
            {
                "class_name": "Dense",
                "name": "d",
                "config": {"name": "d", "units": 2},
                "inbound_nodes": [[["x", 0, 0, {}]]],
            },
        ],
        "input_layers": [["x", 0, 0]],
        "output_layers": [["d", 0, 0]],
    }
    config.update(changes)
    return {
        "format": "layers-model",
        "modelTopology": {"model_config": {"class_name": "Functional", "config": config}},
    }


def _graph(nodes: Any, **signature: Any) -> dict[str, Any]:
    shape = {"dim": [{"size": "-1"}, {"size": "3"}]}
    return {
        "format": "graph-model",
        "modelTopology": {"node": nodes},
        "signature": {
            "inputs": {"x": {"name": "x:0", "dtype": "DT_INT32", "tensorShape": shape}},
            "outputs": {"y": {"name": "y:0", "dtype": "DT_FLOAT", "tensorShape": shape}},
            **signature,
        },
    }


def test_the_fixtures_are_good_models():
    assert [s.shape for s in input_specs(_functional())] == [(None, 4)]
    assert output_names(_functional()) == ["d"]
    assert make_probes(_graph([]))["x"].shape == (2, 3)


@pytest.mark.parametrize(
    "outputs,shown",
    [("d", "'d'"), (7, "7"), ({"a": 3}, "[3]"), ([["d", 0, 0], 5], "[['d', 0, 0], 5]")],
)
def test_output_layers_of_the_wrong_type(outputs, shown):
    with pytest.raises(ModelIOError) as caught:
        output_names(_functional(output_layers=outputs), SOURCE)
    assert str(caught.value) == (
        f"{SOURCE}: output_layers is not a list of [layer name, node, tensor] ({shown})"
    )


def test_input_layers_of_the_wrong_type():
    with pytest.raises(ModelIOError, match=r"^web/model.json: input_layers is not a list"):
        input_specs(_functional(input_layers=None), SOURCE)


@pytest.mark.parametrize(
    "shape,message",
    [
        ([None, "four"], "input 'x' has shape [None, 'four'], with a size that is not valid"),
        ([None, -7], "input 'x' has shape [None, -7], with a size that is not valid"),
        ([None, 2**40], "input 'x' has shape [None, 1099511627776], with a size that is not valid"),
        ([None, True], "input 'x' has shape [None, True], with a size that is not valid"),
        ({"a": 1}, "input 'x' has shape {'a': 1}, not a list of up to 32 sizes"),
    ],
)
def test_input_shapes_of_the_wrong_type(shape, message):
    document = _functional()
    document["modelTopology"]["model_config"]["config"]["layers"][0]["config"][
        "batch_input_shape"
    ] = shape
    with pytest.raises(ModelIOError) as caught:
        make_probes(document, source=SOURCE)
    assert str(caught.value) == f"{SOURCE}: {message}"


def test_a_huge_input_shape_is_refused_before_allocating():
    document = _functional()
    layer = document["modelTopology"]["model_config"]["config"]["layers"][0]["config"]
    layer["batch_input_shape"] = [None, 2**31 - 1, 2**31 - 1]
    with pytest.raises(ProbeError) as caught:
        make_probes(document, source=SOURCE)
    values = 2 * (2**31 - 1) ** 2
    assert str(caught.value) == (
        f"{SOURCE}: input 'x' has shape (2, 2147483647, 2147483647), {values:,} values, more "
        f"than the {MAX_PROBE_VALUES:,} a probe may have; pass smaller shapes or your own samples"
    )


@pytest.mark.parametrize("dtype", ["datetime64", "complex64", "object", 7, "nonsense"])
def test_input_dtypes_probes_cannot_make(dtype):
    document = _functional()
    document["modelTopology"]["model_config"]["config"]["layers"][0]["config"]["dtype"] = dtype
    with pytest.raises(ModelIOError) as caught:
        input_specs(document, SOURCE)
    assert str(caught.value) == (
        f"{SOURCE}: input layer 'x' has dtype {dtype!r}, which probes cannot make; pass your "
        "own samples instead"
    )


def test_an_embedding_without_a_valid_input_dim():
    document = _functional()
    layers = document["modelTopology"]["model_config"]["config"]["layers"]
    layers[1] = {**layers[1], "class_name": "Embedding", "config": {"name": "d", "input_dim": 0}}
    with pytest.raises(ModelIOError, match=r"^web/model.json: Embedding 'd' has input_dim 0$"):
        make_probes(document, source=SOURCE)


@pytest.mark.parametrize(
    "nodes",
    [
        ["x", "y"],
        [{"name": "g", "op": "GatherV2", "input": 5}],
        [{"name": ["x"], "op": "Identity", "input": ["x"]}],
        {"node": "x"},
    ],
)
def test_a_broken_graph_topology(nodes):
    with pytest.raises(ModelIOError) as caught:
        make_probes(_graph(nodes), source=SOURCE)
    message = str(caught.value)
    assert message.startswith(f"{SOURCE}: the model description is malformed (")
    assert message.endswith("); rebuild the artifact, or check the converter that wrote it")


def test_an_empty_gather_table_gives_no_bound():
    """A Gather from a 0-row table shows no valid index: the default range is used, no crash."""
    nodes = [
        {
            "name": "t",
            "op": "Const",
            "attr": {"value": {"tensor": {"tensorShape": {"dim": [{"size": "0"}]}}}},
        },
        {"name": "g", "op": "GatherV2", "input": ["t", "x"]},
    ]
    probe = make_probes(_graph(nodes))["x"]
    assert probe.shape == (2, 3) and probe.min() >= 0 and probe.max() < 10


def test_signature_outputs_of_the_wrong_type():
    document = copy.deepcopy(_graph([]))
    document["signature"]["outputs"] = ["y"]
    with pytest.raises(ModelIOError) as caught:
        output_names(document, SOURCE)
    assert str(caught.value) == f"{SOURCE}: outputs is not an object (['y'])"


def test_a_negative_probe_shape_from_the_caller():
    with pytest.raises(ProbeError) as caught:
        make_probes(_functional(), shapes={"x": [2, -1]}, source=SOURCE)
    assert str(caught.value) == f"{SOURCE}: input 'x' has shape (2, -1), with a negative size"
