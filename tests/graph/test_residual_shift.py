"""A residual block's batch-norm shift is fused into its convolution's bias, on every backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.graph_defs import GraphDefBuilder
from tests.graph.models import Case, keras_case, randomize
from tfjs_build.graph import convert_keras_to_graph
from tfjs_build.graph.pipeline import ConversionReport
from tfjs_build.graph.residual_shift import regroup_residual_shifts
from tfjs_build.runtime import RuntimePool

REWRITE = "residual shift next to its convolution"


@pytest.fixture(scope="session")
def residual_case(model_dir: Path) -> Case:
    """Two MobileNetV2-style residual blocks: 1x1 convolution, batch norm, add the block's input."""
    import keras

    rng = np.random.default_rng(30)
    inputs = keras.Input((6, 6, 4), name="image")
    x = keras.layers.Conv2D(8, 1, use_bias=False)(inputs)
    x = keras.layers.BatchNormalization()(x)
    for _ in range(2):
        h = keras.layers.Conv2D(8, 3, padding="same", use_bias=False)(x)
        h = keras.layers.BatchNormalization()(h)
        x = keras.layers.Add()([x, h])
    outputs = keras.layers.GlobalAveragePooling2D(name="features")(x)
    model = keras.Model(inputs, outputs)
    randomize(model.weights, rng, 0.05, 0.35)
    feed = {"image": rng.normal(size=(2, 6, 6, 4)).astype("float32")}
    return keras_case(model, model_dir / "residual_shift.keras", feed)


def test_residual_shifts_become_convolution_biases(
    residual_case: Case, tmp_path: Path, runtimes: RuntimePool
) -> None:
    report = ConversionReport()
    artifact = convert_keras_to_graph(residual_case.path, report=report)
    ops = [node["op"] for node in artifact.topology["node"]]
    assert report.rewrites.get(REWRITE) == 2
    assert ops.count("_FusedConv2D") == 3
    assert ops.count("AddV2") == 2  # the residual adds, and nothing else
    assert not {"AddN", "Add", "Mul", "BiasAdd"} & set(ops)
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"),
        residual_case.inputs,
        residual_case.expected,
        backends=("cpu", "wasm", "webgl"),
        runtimes=runtimes,
    )


def _shifted_sum(*, term_readers: int) -> GraphDefBuilder:
    """``AddV2(t, AddN(x, Mul(MatMul(x, w), s)))``; the scaled term read ``term_readers`` times."""
    g = GraphDefBuilder()
    x = g.placeholder("x")
    product = g.node("product", "MatMul", [x, g.const("w", np.ones((3, 3), "float32"))])
    scaled = g.node("scaled", "Mul", [product, g.const("s", np.full(3, 2.0, "float32"))])
    total = g.node("total", "AddN", [x, scaled], N=2)
    g.node("shifted", "AddV2", [g.const("t", np.arange(3, dtype="float32")), total])
    for i in range(term_readers - 1):
        g.node(f"other{i}", "Relu", [scaled])
    return g


def test_the_shift_moves_next_to_the_term_a_chain_ends_in() -> None:
    g = _shifted_sum(term_readers=1)
    assert regroup_residual_shifts(g.graph_def, {"x", "shifted"}) == 1
    nodes = {n.name: n for n in g.graph_def.node}
    assert (nodes["total"].op, list(nodes["total"].input)) == ("AddV2", ["scaled", "t"])
    assert "N" not in nodes["total"].attr
    assert list(nodes["shifted"].input) == ["x", "total"]


def test_a_term_read_elsewhere_or_a_protected_sum_stays_as_it_is() -> None:
    shared = _shifted_sum(term_readers=2)
    assert regroup_residual_shifts(shared.graph_def, {"x", "shifted"}) == 0
    protected = _shifted_sum(term_readers=1)
    assert regroup_residual_shifts(protected.graph_def, {"x", "total"}) == 0
    assert {n.op for n in protected.graph_def.node if n.name == "total"} == {"AddN"}
