"""Expanded layers compute in real TF.js (cpu and wasm) what Keras computes, within the default
parity tolerance, from ``.keras`` and ``.h5`` files of Keras 3 and Keras 2; and how expansions
are laid out in a topology, weights included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.layers.conftest import keras_flavor
from tests.layers.expansion_models import BUILDERS, FLAVORS, randomize
from tfjs_build.artifact.files import write_artifact
from tfjs_build.layers.convert import convert_keras_to_layers
from tfjs_build.layers.expand import apply_expansions, sequential_as_functional
from tfjs_build.layers.expansions import Expansion, Planned, Source, Step
from tfjs_build.parity.compare import compare_outputs
from tfjs_build.parity.tolerances import default_tolerance
from tfjs_build.runtime.tfjs import run_in_tfjs

CASES = [(name, flavor) for name, flavors in FLAVORS.items() for flavor in flavors]


def _expected(source: Path, flavor: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The saved model's outputs, from the file (an adapted Normalization's statistics take
    effect when the model is loaded)."""
    keras = keras_flavor(flavor)
    model = keras.models.load_model(source, compile=False)
    given: Any = list(inputs.values()) if len(inputs) > 1 else next(iter(inputs.values()))
    output = model.predict(given, verbose=0)
    name = model.layers[-1].name
    return {name: np.asarray(output)}


@pytest.mark.parametrize(("name", "flavor"), CASES, ids=[f"{n}-{f}" for n, f in CASES])
def test_expanded_layers_match_keras_in_tfjs(name: str, flavor: str, tmp_path: Path) -> None:
    keras = keras_flavor(flavor)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model, inputs = BUILDERS[name](keras)
    randomize(model)
    files = {suffix: tmp_path / f"{name}{suffix}" for suffix in (".keras", ".h5")}
    for path in files.values():
        model.save(path)
    expected = _expected(files[".keras"], flavor, inputs)
    tolerance = default_tolerance(None)
    for suffix, path in files.items():
        artifact = tmp_path / suffix[1:]
        write_artifact(convert_keras_to_layers(path), artifact)
        for backend in ("cpu", "wasm"):
            actual = run_in_tfjs(artifact, inputs, backend=backend)
            assert list(actual) == list(expected), (suffix, backend)
            for comparison in compare_outputs(expected, actual, tolerance):
                assert comparison.passed, (suffix, backend, comparison.describe(tolerance))


def _chain(*classes: str) -> Planned:
    steps = tuple(Step(c, {}, c.lower(), weights=dict if c == "Dense" else None) for c in classes)
    return Planned(Expansion(steps), tuple({"units": 2} for _ in classes))


def test_a_chain_keeps_the_layer_name_on_its_last_step_and_moves_the_weights() -> None:
    planned = _chain("Dense", "Activation")
    names = planned.step_names("d", {"d", "d_dense"})
    assert names == ["d_dense_2", "d"]
    layers = planned.layers(names, [[["x", 0, 0, {}]], [["y", 1, 0, {"k": 1}]]])
    assert [layer["inbound_nodes"] for layer in layers] == [
        [[["x", 0, 0, {}]], [["y", 1, 0, {"k": 1}]]],
        [[["d_dense_2", 0, 0, {}]], [["d_dense_2", 1, 0, {}]]],
    ]
    kernel = np.ones((3, 2), "float32")
    assert [(n, v.shape) for n, v in planned.weights(names, {"kernel": kernel})] == [
        ("d_dense_2/kernel", (3, 2))
    ]


def test_a_branching_expansion_reads_the_layers_inputs_and_earlier_steps() -> None:
    steps = (
        Step("Rescaling", {}, "negated", (Source(1),)),
        Step("Add", {}, "", (Source(0), 0)),
    )
    planned = Planned(Expansion(steps), ({}, {}))
    assert not planned.expansion.is_chain
    layers = planned.layers(["s_negated", "s"], [[["a", 0, 0, {}], ["b", 0, 0, {}]]])
    assert layers[0]["inbound_nodes"] == [[["b", 0, 0, {}]]]
    assert layers[1]["inbound_nodes"] == [[["a", 0, 0, {}], ["s_negated", 0, 0, {}]]]


def test_a_sequential_model_an_expansion_branches_in_becomes_functional() -> None:
    sequential = {
        "class_name": "Sequential",
        "config": {
            "name": "seq",
            "layers": [
                {
                    "class_name": "Dense",
                    "config": {"name": "first", "batch_input_shape": [None, 3]},
                },
                {"class_name": "Model", "config": {"name": "nested", "layers": []}},
                {"class_name": "Dense", "config": {"name": "last"}},
            ],
        },
    }
    functional = sequential_as_functional(sequential)
    config = functional["config"]
    assert functional["class_name"] == "Model"
    assert [layer["name"] for layer in config["layers"]] == [
        "first_input",
        "first",
        "nested",
        "last",
    ]
    assert config["layers"][0]["config"]["batch_input_shape"] == [None, 3]
    assert "batch_input_shape" not in config["layers"][1]["config"]
    assert config["layers"][3]["inbound_nodes"] == [[["nested", 1, 0, {}]]]  # TF.js counts from 1
    assert config["input_layers"] == [["first_input", 0, 0]]
    assert config["output_layers"] == [["last", 0, 0]]


def test_weights_follow_the_expanded_layer_order() -> None:
    topology = {
        "class_name": "Sequential",
        "config": {
            "name": "seq",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"name": "in", "batch_input_shape": [None, 2]},
                },
                {"class_name": "Dense", "config": {"name": "d"}},
                {"class_name": "Dense", "config": {"name": "e"}},
            ],
        },
    }
    planned = Planned(
        Expansion((Step("Dense", {}, "linear", weights=dict), Step("Activation", {}, ""))),
        ({"name": "x"}, {"name": "x"}),
    )
    weights = [
        ("d/kernel", np.zeros((2, 2))),
        ("d/bias", np.zeros(2)),
        ("e/kernel", np.ones((2, 2))),
        ("e/bias", np.ones(2)),
    ]
    expanded, ordered = apply_expansions(topology, {"d": planned}, weights)
    names = [layer["config"]["name"] for layer in expanded["config"]["layers"]]
    assert names == ["in", "d_linear", "d", "e"]
    assert [name for name, _ in ordered] == [
        "d_linear/kernel",
        "d_linear/bias",
        "e/kernel",
        "e/bias",
    ]
