"""Replace the planned layers of a rewritten topology by their TF.js steps, weights included.

Runs once the weights are read: each expanded layer's weights go to its steps (renamed,
reshaped, or computed from its config), and the weight list follows the new layer order. A
Sequential model an expansion branches in (``x * hard_sigmoid(x)``) becomes a functional model
of the same layers first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfjs_build.layers.expansions import Planned
from tfjs_build.layers.topology import MODEL_CLASSES
from tfjs_build.layers.variables import variable_names

Config = dict[str, Any]
NamedWeights = list[tuple[str, np.ndarray]]


def apply_expansions(
    topology: Config, expansions: dict[str, Planned], weights: NamedWeights
) -> tuple[Config, NamedWeights]:
    """The topology with every planned layer expanded, and the weights of the result in order."""
    if not expansions:
        return topology, weights
    state = _Expander(expansions, dict(weights), _all_names(topology))
    expanded = state.model(topology, "")
    return expanded, _in_layer_order(expanded, state.weights)


class _Expander:
    def __init__(
        self, expansions: dict[str, Planned], weights: dict[str, np.ndarray], taken: set[str]
    ) -> None:
        self.expansions = expansions
        self.weights = weights
        self.taken = taken

    def model(self, model: Config, path: str) -> Config:
        config = model["config"]
        layers = config["layers"]
        functional = model["class_name"] != "Sequential"
        paths = [_path(path, layer) for layer in layers]
        if not functional and any(
            not self.expansions[p].expansion.is_chain for p in paths if p in self.expansions
        ):
            model, functional = sequential_as_functional(model), True
            config = model["config"]
            layers = config["layers"]
        out: list[Config] = []
        for layer in layers:
            layer_path = _path(path, layer)
            if layer["class_name"] in MODEL_CLASSES:
                out.append({**layer, **self.model(layer, layer_path)})
            elif layer_path in self.expansions:
                out.extend(self._expand(layer, self.expansions[layer_path], functional))
            else:
                out.append(layer)
        return {**model, "config": {**config, "layers": out}}

    def _expand(self, layer: Config, planned: Planned, functional: bool) -> list[Config]:
        name = layer["config"]["name"]
        names = planned.step_names(name, self.taken)
        prefix = f"{name}/"
        original = {
            key[len(prefix) :]: self.weights.pop(key)
            for key in [k for k in self.weights if k.startswith(prefix)]
        }
        self.weights.update(planned.weights(names, original))
        return planned.layers(names, layer.get("inbound_nodes") if functional else None)


def _path(path: str, layer: Config) -> str:
    name = layer["config"].get("name")
    return f"{path}/{name}" if path else str(name)


def _all_names(model: Config) -> set[str]:
    names = set()
    for layer in model["config"]["layers"]:
        names.add(str(layer["config"].get("name")))
        if layer["class_name"] in MODEL_CLASSES:
            names |= _all_names(layer)
    return names


def sequential_as_functional(model: Config) -> Config:
    """A rewritten Sequential model as the functional model of the same layers in a chain."""
    config = model["config"]
    layers = [dict(layer) for layer in config["layers"]]
    first = layers[0]
    if first["class_name"] != "InputLayer":
        first_config = dict(first["config"])
        shape = first_config.pop("batch_input_shape")
        first["config"] = first_config
        dtype = first_config.get("dtype") or "float32"
        input_config = {
            "batch_input_shape": shape,
            "dtype": dtype,
            "sparse": False,
            "name": f"{first_config['name']}_input",
        }
        layers.insert(0, {"class_name": "InputLayer", "config": input_config})
    previous: list[Any] | None = None
    for layer in layers:
        name = layer["config"]["name"]
        layer["name"] = name
        layer["inbound_nodes"] = [[[*previous, {}]]] if previous else []
        previous = [name, 1 if layer["class_name"] in MODEL_CLASSES else 0, 0]
    assert previous is not None
    functional = {
        "name": config.get("name"),
        "layers": layers,
        "input_layers": [[layers[0]["name"], 0, 0]],
        "output_layers": [previous],
    }
    return {**model, "class_name": "Model", "config": functional}


def _leaf_weight_names(model: Config) -> list[str]:
    names = []
    for layer in model["config"]["layers"]:
        if layer["class_name"] in MODEL_CLASSES:
            names += _leaf_weight_names(layer)
            continue
        name = layer["config"]["name"]
        names += [f"{name}/{var}" for var in variable_names(layer["class_name"], layer["config"])]
    return names


def _in_layer_order(topology: Config, weights: dict[str, np.ndarray]) -> NamedWeights:
    order = _leaf_weight_names(topology)
    if sorted(order) != sorted(weights):
        missing = sorted(set(order) - set(weights))
        extra = sorted(set(weights) - set(order))
        raise AssertionError(f"expanded weights do not match the layers: {missing} {extra}")
    return [(name, weights[name]) for name in order]
