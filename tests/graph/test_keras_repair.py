"""Keras 3 legacy .h5 files Keras 3 cannot load back load once repaired, and compute what the
saved models computed; what the repair binds, and what it leaves to the user's code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.layers.expansion_models import arithmetic, channels, randomize
from tfjs_build.graph.keras_model import load_keras_model, read_keras_config
from tfjs_build.graph.keras_repair import repair_config


def _masked_recurrent(keras: Any) -> tuple[Any, dict[str, np.ndarray]]:
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    embedded = keras.layers.Embedding(9, 3, mask_zero=True)(tokens)
    output = keras.layers.LSTM(2, name="last")(embedded)
    values = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 1]], dtype="int32")
    return keras.Model(tokens, output), {"tokens": values}


BUILDERS = {"arithmetic": arithmetic, "channels": channels, "masked": _masked_recurrent}
ERRORS = {
    "arithmetic": "Only input tensors may be passed as positional arguments",
    "channels": "Unknown layer: 'LayerScale'",
    "masked": "Unknown layer: 'NotEqual'",
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import keras

    directory = tmp_path_factory.mktemp("repair")
    models = {}
    for name, build in BUILDERS.items():
        keras.utils.set_random_seed(0)
        model, inputs = build(keras)
        randomize(model)
        model.save(directory / f"{name}.keras")
        model.save(directory / f"{name}.h5")
        reloaded = keras.saving.load_model(directory / f"{name}.keras", compile=False)
        given = list(inputs.values()) if len(inputs) > 1 else next(iter(inputs.values()))
        models[name] = (directory / f"{name}.h5", given, np.asarray(reloaded(given)))
    return models


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_keras3_h5_files_it_cannot_load_back_load_repaired(name: str, saved) -> None:
    import keras

    path, inputs, expected = saved[name]
    with pytest.raises(Exception, match=ERRORS[name]):
        keras.saving.load_model(path, compile=False)
    model, flavor = load_keras_model(path)
    assert flavor == "keras3"
    np.testing.assert_array_equal(np.asarray(model(inputs)), expected)


def test_only_operation_nodes_are_renamed(saved) -> None:
    _, config = read_keras_config(saved["arithmetic"][0])
    repaired, bound = repair_config(config, known=())
    classes = [entry["class_name"] for entry in repaired["config"]["layers"]]
    assert "tfjs_build>op>Add" in classes  # a + 3.0, a + b
    assert "Subtract" in classes  # the Subtract layer, called with one list
    assert bound["tfjs_build>op>Add"].__module__ == "keras.src.ops.numpy"
    assert config["config"]["layers"] != repaired["config"]["layers"]  # a copy was repaired
    assert repair_config({"class_name": "Sequential", "config": {"layers": []}}, ()) == (
        {"class_name": "Sequential", "config": {"layers": []}},
        {},
    )


def test_application_classes_are_bound_only_when_the_user_has_not_and_the_config_fits() -> None:
    def model(config: dict[str, Any]) -> dict[str, Any]:
        entry = {"class_name": "LayerScale", "config": config, "name": "s", "inbound_nodes": []}
        return {"class_name": "Functional", "config": {"layers": [entry]}}

    convnext = {"name": "s", "trainable": True, "init_values": 0.1, "projection_dim": 3}
    _, bound = repair_config(model(convnext), known=())
    assert bound["LayerScale"].__module__ == "keras.src.applications.convnext"
    assert repair_config(model(convnext), known={"LayerScale"})[1] == {}
    assert repair_config(model({"name": "s", "factor": 2.0}), known=())[1] == {}
