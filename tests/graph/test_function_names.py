"""The same model converts to the same graph-model bytes, however often and wherever."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.graph.models import Case
from tfjs_build.graph import convert_keras_to_graph, convert_saved_model
from tfjs_build.graph.function_names import _name_arguments_stably, _stable_names


def test_counters_go_and_colliding_names_are_numbered_in_counter_order() -> None:
    names = ["body_frozen_19", "body_frozen_7", "cond", "cond_frozen_3", "layer_2"]
    assert _stable_names(names) == {
        "body_frozen_7": "body_frozen",
        "body_frozen_19": "body_frozen_1",
        "cond": "cond",
        "cond_frozen_3": "cond_frozen",
        "layer_2": "layer",
    }


@pytest.mark.parametrize(
    "case_name", ["keras3_recurrent_case", "keras_lookups_case", "control_flow_case"]
)
def test_two_conversions_in_one_process_write_the_same_artifact(
    case_name: str, request: pytest.FixtureRequest
) -> None:
    case: Case = request.getfixturevalue(case_name)
    convert = convert_keras_to_graph if case_name.startswith("keras3") else convert_saved_model
    first, second = convert(Path(case.path)), convert(Path(case.path))
    assert first.topology == second.topology and first.extra == second.extra
    assert [name for name, _ in first.weights] == [name for name, _ in second.weights]
    for (name, value), (_, again) in zip(first.weights, second.weights, strict=True):
        assert value.dtype == again.dtype, name
        assert (
            value.tolist() == again.tolist()
            if value.dtype == object
            else value.tobytes() == again.tobytes()
        ), name
    functions = [f["signature"]["name"] for f in first.topology["library"].get("function", [])]
    assert functions == sorted(functions)
    assert not any(name[-1].isdigit() and "frozen_" in name for name in functions)
    if case_name == "keras_lookups_case":
        keys = [value for name, value in first.weights if name.endswith("/keys")]
        assert keys and all(np.array_equal(k, np.sort(k)) for k in keys)


def test_argument_names_lose_their_numbers_and_references_follow() -> None:
    from tensorflow.core.framework import function_pb2

    function = function_pb2.FunctionDef()
    function.signature.name = "while_cond_1061"
    for name in ("a_1", "a", "b_2"):
        function.signature.input_arg.add().name = name
    node = function.node_def.add()
    node.name, node.op = "n", "AddV2"
    node.input.extend(["a_1", "a", "^b_2"])
    function.ret["out"] = "a_1"

    _name_arguments_stably(function)

    assert [arg.name for arg in function.signature.input_arg] == ["a", "a_1", "b"]
    assert list(node.input) == ["a", "a_1", "^b"]
    assert dict(function.ret) == {"out": "a"}
