"""A zero Pad in front of a convolution becomes the convolution's explicit padding."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.graph_defs import GraphDefBuilder, ints
from tests.graph.models import Case, keras_case, randomize
from tfjs_build.graph import convert_keras_to_graph
from tfjs_build.graph.pad_folding import fold_pads
from tfjs_build.graph.pipeline import ConversionReport
from tfjs_build.runtime import RuntimePool

REWRITE = "Pad into the convolution's padding"
EXPLICIT = base64.b64encode(b"EXPLICIT").decode()  # model.json holds string attributes so


@pytest.fixture(scope="session")
def padded_case(model_dir: Path) -> Case:
    """ResNet50's symmetric pad before a convolution, MobileNetV2's lopsided one before a stride-2
    depthwise convolution, and a pad whose tensor is also read elsewhere (kept)."""
    import keras

    rng = np.random.default_rng(31)
    inputs = keras.Input((9, 9, 3), name="image")
    x = keras.layers.ZeroPadding2D(2)(inputs)
    x = keras.layers.Conv2D(6, 5, strides=2, activation="relu")(x)
    x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)))(x)
    x = keras.layers.DepthwiseConv2D(3, strides=2, use_bias=False)(x)
    shared = keras.layers.ZeroPadding2D(1)(x)
    y = keras.layers.Conv2D(4, 3)(shared)
    z = keras.layers.GlobalAveragePooling2D()(shared)
    outputs = keras.layers.Concatenate(name="features")(
        [keras.layers.GlobalAveragePooling2D()(y), z]
    )
    model = keras.Model(inputs, outputs)
    randomize(model.weights, rng, -0.5, 0.5)
    feed = {"image": rng.normal(size=(2, 9, 9, 3)).astype("float32")}
    return keras_case(model, model_dir / "padded.keras", feed)


def test_pads_fold_into_convolutions(
    padded_case: Case, tmp_path: Path, runtimes: RuntimePool
) -> None:
    report = ConversionReport()
    artifact = convert_keras_to_graph(padded_case.path, report=report)
    nodes = artifact.topology["node"]
    assert report.rewrites.get(REWRITE) == 2
    assert [n["op"] for n in nodes].count("Pad") == 1  # the one read twice stays
    explicit = [n for n in nodes if n.get("attr", {}).get("padding", {}).get("s") == EXPLICIT]
    paddings = sorted(n["attr"]["explicit_paddings"]["list"]["i"] for n in explicit)
    assert paddings == [
        ["0", "0", "0", "1", "0", "1", "0", "0"],
        ["0", "0", "2", "2", "2", "2", "0", "0"],
    ]
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"),
        padded_case.inputs,
        padded_case.expected,
        backends=("cpu", "wasm", "webgl"),
        runtimes=runtimes,
    )


@pytest.mark.parametrize("targets", [("webgl",), ("cpu", "wasm")])
def test_every_target_set_gets_the_same_rewrites(
    padded_case: Case, targets: tuple[str, ...]
) -> None:
    """Both rewrites help every backend and every backend runs their result: nothing is chosen
    per target (docs/explanation/formats.md)."""
    default = convert_keras_to_graph(padded_case.path)
    report = ConversionReport()
    artifact = convert_keras_to_graph(padded_case.path, backends=targets, report=report)
    assert report.rewrites.get(REWRITE) == 2
    assert artifact.topology == default.topology


def _padded_convolution(paddings: list[list[int]], padding: bytes = b"VALID") -> GraphDefBuilder:
    g = GraphDefBuilder()
    padded = g.node("padded", "Pad", [g.placeholder("x"), g.const("p", np.array(paddings))])
    g.node(
        "conv",
        "Conv2D",
        [padded, g.const("w", np.ones((3, 3, 2, 4), "float32"))],
        strides=ints(1, 1, 1, 1),
        padding=padding,
    )
    return g


@pytest.mark.parametrize(
    ("paddings", "padding"),
    [
        ([[0, 0], [1, 1], [1, 1], [0, 1]], b"VALID"),  # channels padded too
        ([[1, 0], [1, 1], [1, 1], [0, 0]], b"VALID"),  # the batch padded
        ([[0, 0], [1, 1], [1, 1], [0, 0]], b"SAME"),  # the convolution pads by itself
    ],
)
def test_pads_a_convolution_cannot_take_stay(paddings: list[list[int]], padding: bytes) -> None:
    g = _padded_convolution(paddings, padding)
    assert fold_pads(g.graph_def, {"x", "conv"}) == 0
    assert [n.op for n in g.graph_def.node].count("Pad") == 1


def test_a_spatial_pad_folds_into_a_valid_convolution() -> None:
    g = _padded_convolution([[0, 0], [1, 2], [3, 0], [0, 0]])
    assert fold_pads(g.graph_def, {"x", "conv"}) == 1
    conv = next(n for n in g.graph_def.node if n.name == "conv")
    assert conv.input[0] == "x" and conv.attr["padding"].s == b"EXPLICIT"
    assert list(conv.attr["explicit_paddings"].list.i) == [0, 0, 1, 2, 3, 0, 0, 0]
    assert "Pad" not in {n.op for n in g.graph_def.node}
