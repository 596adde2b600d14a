"""Freezing reads variables straight into constants: the frozen graph computes exactly what
TensorFlow's own freezing (a rebuilt concrete function) computes, and a conversion lets go of the
loaded model before Grappler runs."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.graph.models import Case
from tfjs_build.graph.freeze import freeze_function
from tfjs_build.graph.keras_model import load_keras_model, trace_keras_model
from tfjs_build.graph.pipeline import ConversionReport
from tfjs_build.graph.saved_model import load_signature

SAVED_MODEL_CASES = [
    "mlp_case",
    "control_flow_case",
    "two_inputs_case",
    "keras3_export_case",
    "tf_keras_conv_bn_case",
    "wide_int_case",
]
KERAS_CASES = ["keras3_attention_case", "keras3_recurrent_case", "keras3_grouped_conv_case"]


def _concrete_function(case_name: str, case: Case) -> tuple[Any, Any]:
    """The function a conversion freezes, and the object that owns its variables."""
    if case_name in KERAS_CASES:
        model, flavor = load_keras_model(case.path)
        return trace_keras_model(model, flavor, str(case.path)), model
    loaded = load_signature(case.path, "serving_default", ("serve",))
    return loaded.function, loaded


def _rebuilt_graph_def(function: Any) -> tuple[Any, list[str], list[str]]:
    """The old freezing: TensorFlow's ``convert_variables_to_constants_v2`` rebuilds a concrete
    function; its graph, input and output tensor names."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    rebuilt = convert_variables_to_constants_v2(
        function, lower_control_flow=False, aggressive_inlining=True
    )
    return (
        rebuilt.graph.as_graph_def(),
        [t.name for t in rebuilt.inputs],
        [t.name for t in rebuilt.outputs],
    )


def _run(graph_def: Any, feeds: dict[str, Any], fetches: list[str]) -> list[Any]:
    """Run ``graph_def`` op by op: no graph optimization, so both graphs run the same kernels."""
    import tensorflow as tf
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2

    config = config_pb2.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    config.graph_options.rewrite_options.constant_folding = rewriter_config_pb2.RewriterConfig.OFF
    config.graph_options.optimizer_options.opt_level = config_pb2.OptimizerOptions.L0
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph, config=config) as session:
        result: list[Any] = session.run(fetches, feeds)
    return result


@pytest.mark.parametrize("case_name", SAVED_MODEL_CASES + KERAS_CASES)
def test_frozen_graph_computes_exactly_what_a_rebuilt_function_computes(
    case_name: str, request: pytest.FixtureRequest
) -> None:
    case: Case = request.getfixturevalue(case_name)
    function, _owner = _concrete_function(case_name, case)
    frozen = freeze_function(function, str(case.path))

    old_graph_def, old_inputs, old_outputs = _rebuilt_graph_def(function)
    assert [b.tensor for b in frozen.inputs] == old_inputs[: len(frozen.inputs)]
    assert [b.tensor for b in frozen.outputs] == old_outputs
    feeds = {b.tensor: case.inputs[b.key] for b in frozen.inputs}
    expected = _run(old_graph_def, feeds, old_outputs)
    got = _run(frozen.graph_def, feeds, old_outputs)

    assert len(got) == len(expected) == len(case.expected)
    for binding, value, want in zip(frozen.outputs, got, expected, strict=True):
        assert value.dtype == want.dtype, binding.key
        np.testing.assert_array_equal(value, want, err_msg=binding.key)
    ops = {node.op for node in frozen.graph_def.node}
    assert not ops & {"VarHandleOp", "ReadVariableOp", "VariableV2"}
    assert "Const" in ops


def test_each_variable_read_becomes_one_constant_in_its_place(mlp_case: Case) -> None:
    loaded = load_signature(mlp_case.path, "serving_default", ("serve",))
    frozen = freeze_function(loaded.function, "mlp")
    nodes = {node.name: node for node in frozen.graph_def.node}
    reads_of_constants = [
        node.name
        for node in nodes.values()
        if node.op == "Identity" and nodes.get(node.input[0].split(":")[0], node).op == "Const"
    ]
    assert reads_of_constants == []
    weights = sorted(
        node.attr["value"].tensor.tensor_shape.dim[0].size
        for node in nodes.values()
        if node.op == "Const" and len(node.attr["value"].tensor.tensor_content) > 8
    )
    assert weights == [3, 6, 16, 16]  # w2, w1, b1, b2 by first dimension; each exactly once
    assert not any(node.HasField("experimental_debug_info") for node in nodes.values())


def _live_variables() -> int:
    import tensorflow as tf

    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, tf.Variable))


@dataclass
class _CountingReport(ConversionReport):
    """Counts the live TensorFlow variables when Grappler starts."""

    variables_at_grappler: int | None = None

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        if phase == "grappler":
            self.variables_at_grappler = _live_variables()
        with super().timed(phase):
            yield


@pytest.mark.parametrize(
    "case_name",
    [
        "keras3_export_case",
        "tf_keras_case",
        "mlp_case",
        "keras3_attention_case",
        "keras3_recurrent_case",
    ],
)
def test_conversion_drops_the_loaded_model_before_grappler(
    case_name: str, request: pytest.FixtureRequest
) -> None:
    # in a process of its own: what other tests did with Keras in this one (models called in
    # the process, kept by Keras's and TensorFlow's caches) is no part of the conversion
    case: Case = request.getfixturevalue(case_name)
    convert = "convert_keras_to_graph" if case_name in KERAS_CASES else "convert_saved_model"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from tests.graph.test_freeze import _CountingReport, _live_variables
        from tfjs_build.graph import {convert} as convert
        before = _live_variables()
        report = _CountingReport()
        artifact = convert(Path(sys.argv[1]), report=report)
        assert artifact.weights
        print(before, report.variables_at_grappler)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(case.path)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    before, at_grappler = map(int, done.stdout.split()[-2:])
    assert at_grappler == before
