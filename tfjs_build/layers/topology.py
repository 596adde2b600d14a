"""Rewrite a Keras 2 or Keras 3 model config into the Keras-2-style topology TF.js 4.22 reads.

Keras 3 differs from what TF.js reads in: ``batch_shape`` on InputLayers, dtype policies,
``module``/``registered_name`` wrappers, ``inbound_nodes`` as ``{"args", "kwargs"}`` with
``__keras_tensor__`` histories, nested models that start counting their call nodes at 0, single
``input_layers`` written flat, and wrapped layers named ``forward_*``. Keras 2 configs pass through
the same code, which leaves them as they are. Every layer TF.js cannot express is recorded as an
``UnsupportedLayer`` instead of stopping at the first one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tfjs_build.layers.call_nodes import (
    call_node,
    tensor_refs,
    with_listed_calls,
    without_mask_ops,
)
from tfjs_build.layers.config_values import (
    UnsupportedConfig,
    input_dtype,
    layer_dtype,
    unwrap_keras_object,
)
from tfjs_build.layers.expansion_rules import plan_expansion
from tfjs_build.layers.expansions import Planned
from tfjs_build.layers.layer_call import LayerCall, op_node_args
from tfjs_build.layers.layer_configs import rewrite_leaf_config
from tfjs_build.layers.recorded_shapes import RankTracker, Shape, output_rank, recorded_input_shapes
from tfjs_build.layers.unsupported import UnsupportedLayer
from tfjs_build.layers.variables import RECURRENT_LAYERS, RNN_CELLS, variable_names

Config = dict[str, Any]
MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})
WRAPPER_CLASSES = frozenset({"Bidirectional", "TimeDistributed"})


class RewrittenModel(NamedTuple):
    """A model config rewritten for TF.js, layer for layer.

    Layers in ``expansions`` (by path) are still as the file has them, so their weights can be
    read where the file keeps them; :func:`~tfjs_build.layers.expand.apply_expansions` then
    replaces them by their TF.js steps."""

    topology: Config
    problems: list[UnsupportedLayer]
    expansions: dict[str, Planned]


@dataclass
class _Rewriter:
    keras_major: int
    problems: list[UnsupportedLayer] = field(default_factory=list)
    expansions: dict[str, Planned] = field(default_factory=dict)
    output_ranks: dict[str, list[int | None]] = field(default_factory=dict)
    """Ranks of each nested model's outputs, by the model's name."""

    # --- models -------------------------------------------------------------------------------

    def model(self, class_name: str, config: Any, path: str) -> Config:
        """``{"class_name", "config"}`` of a Sequential or functional model."""
        if class_name == "Sequential":
            return {"class_name": "Sequential", "config": self._sequential(config, path)}
        if not isinstance(config, dict) or "layers" not in config:
            raise UnsupportedConfig("subclassed model (its Python code is not in the file)")
        return {"class_name": "Model", "config": self._functional(config, path)}

    def _sequential(self, config: Any, path: str) -> Config:
        if isinstance(config, list):  # Keras 1 style: the layer list itself
            config = {"layers": config}
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise UnsupportedConfig("Sequential config without a layer list")
        built = config.get("build_input_shape")
        start: list[Shape | None] | None = [tuple(built)] if isinstance(built, list) else None
        layers = self.layers(
            config["layers"], path, functional=False, name=config.get("name"), start=start
        )
        if not layers or layers[0]["class_name"] != "InputLayer":
            first = layers[0]["config"] if layers else {}
            shape = config.get("build_input_shape")
            if "batch_input_shape" not in first:
                if shape is None:
                    raise UnsupportedConfig(
                        "Sequential model that was never built (no input shape)"
                    )
                input_name = f"{config.get('name', 'sequential')}_input"
                layers.insert(0, _input_layer_entry(input_name, shape, "float32"))
        return {
            "name": config.get("name"),
            "layers": layers,
        }

    def _functional(self, config: Config, path: str) -> Config:
        entries = [with_listed_calls(entry) for entry in without_mask_ops(config["layers"])]
        classes = {
            entry.get("name") or entry.get("config", {}).get("name"): entry.get("class_name")
            for entry in entries
        }
        nested_models = frozenset(name for name, cls in classes.items() if cls in MODEL_CLASSES)
        shift = nested_models if self.keras_major >= 3 else frozenset()
        ranks = RankTracker(self.output_ranks)
        layers = self.layers(entries, path, functional=True, nested_models=shift, ranks=ranks)
        outputs = tensor_refs(config.get("output_layers"), shift)
        self.output_ranks[str(config.get("name"))] = [ranks.rank(ref) for ref in outputs]
        outputs = _distinct_outputs(outputs, layers)
        return {
            "name": config.get("name"),
            "trainable": config.get("trainable", True),
            "layers": layers,
            "input_layers": tensor_refs(config.get("input_layers"), shift),
            "output_layers": outputs,
        }

    # --- layers -------------------------------------------------------------------------------

    def layers(
        self,
        entries: list[Config],
        path: str,
        *,
        functional: bool,
        nested_models: frozenset[str] = frozenset(),
        ranks: RankTracker | None = None,
        name: str | None = None,
        start: list[Shape | None] | None = None,
    ) -> list[Config]:
        """A model's layer list, rewritten. ``ranks`` tracks a functional model's tensors; along
        a Sequential model ``name`` (whose input has shape ``start``) they are tracked here."""
        if not isinstance(entries, list):
            raise UnsupportedConfig("the model's layer list is not a list")
        out: list[Config] = []
        previous = start  # a Sequential layer's input
        for entry in entries:
            shapes = recorded_input_shapes(entry)
            if shapes is None and ranks is not None:
                shapes = ranks.input_shapes(entry.get("inbound_nodes") or [])
            elif shapes is None:
                shapes = _declared_input_shapes(entry) or previous
            layer = self.layer(
                entry, path, functional=functional, nested_models=nested_models, shapes=shapes
            )
            if ranks is not None:
                ranks.add(layer, layer.get("inbound_nodes", []))
            else:
                previous = self._output_shapes(layer, shapes)
            out.append(layer)
        if not functional and name is not None:
            self.output_ranks[name] = [len(previous[0]) if previous and previous[0] else None]
        return out

    def _output_shapes(
        self, layer: Config, shapes: list[Shape | None] | None
    ) -> list[Shape | None] | None:
        """The output shape (its rank) of a layer of a Sequential model, given its input's."""
        class_name, config = layer["class_name"], layer.get("config") or {}
        if class_name == "InputLayer":
            return _declared_input_shapes(layer)
        if class_name in MODEL_CLASSES:
            rank = self.output_ranks.get(str(config.get("name")), [None])[0]
        elif shapes:
            rank = output_rank(class_name, config, [len(s) if s else None for s in shapes], 0)
        else:
            return None
        return [None if rank is None else (None,) * rank]

    def layer(
        self,
        entry: Config,
        path: str,
        *,
        functional: bool,
        nested_models: frozenset[str] = frozenset(),
        shapes: list[Shape | None] | None = None,
    ) -> Config:
        """One entry of a model's layer list, rewritten; problems are recorded, not raised."""
        class_name, config = unwrap_keras_object(entry)
        name = (config.get("name") if isinstance(config, dict) else None) or entry.get("name", "?")
        layer_path = f"{path}/{name}" if path else name
        args = op_node_args(entry)
        try:
            out = self._layer_body(class_name, config, layer_path, shapes, args)
        except UnsupportedConfig as problem:
            self.problems.append(UnsupportedLayer(layer_path, class_name, str(problem)))
            out = {"class_name": class_name, "config": config}
        if functional:
            out["name"] = name
            try:
                out["inbound_nodes"] = [
                    call_node(node, nested_models, constants=args is not None)
                    for node in entry.get("inbound_nodes", [])
                ]
            except UnsupportedConfig as problem:
                self.problems.append(UnsupportedLayer(layer_path, class_name, str(problem)))
                out["inbound_nodes"] = []
        return out

    def _layer_body(
        self,
        class_name: str,
        config: Any,
        path: str,
        shapes: list[Shape | None] | None,
        args: tuple[Any, ...] | None,
    ) -> Config:
        if class_name in MODEL_CLASSES:
            return self.model(class_name, config, path)
        if class_name == "InputLayer":
            return _input_layer(config)
        if class_name in WRAPPER_CLASSES:
            return self._wrapper(class_name, config)
        if class_name == "RNN":
            return self._rnn(config)
        if not isinstance(config, dict):
            raise UnsupportedConfig("config is not an object")
        expansion = plan_expansion(LayerCall(class_name, config, self.keras_major, shapes, args))
        if expansion is not None:
            configs = tuple(
                rewrite_leaf_config(step.class_name, step.config, self.keras_major)
                for step in expansion.steps
            )
            self.expansions[path] = Planned(expansion, configs)
            return {"class_name": class_name, "config": config}
        return {
            "class_name": class_name,
            "config": rewrite_leaf_config(class_name, config, self.keras_major),
        }

    def _wrapper(self, class_name: str, config: Config) -> Config:
        inner_class, inner_config = unwrap_keras_object(config.get("layer") or {})
        if class_name == "Bidirectional" and inner_class not in RECURRENT_LAYERS - {"ConvLSTM2D"}:
            raise UnsupportedConfig(f"Bidirectional around {inner_class}")
        if inner_class in MODEL_CLASSES | WRAPPER_CLASSES | {"InputLayer"}:
            raise UnsupportedConfig(f"{class_name} around a {inner_class}")
        try:
            inner = rewrite_leaf_config(inner_class, inner_config, self.keras_major)
        except UnsupportedConfig as problem:
            raise UnsupportedConfig(f"wrapped {inner_class}: {problem}") from None
        out: Config = {
            "name": config.get("name"),
            "trainable": config.get("trainable", True),
            "dtype": layer_dtype(config.get("dtype")),
        }
        if class_name == "Bidirectional":
            inner = self._bidirectional_forward(inner, config)
            if config.get("num_constants"):
                raise UnsupportedConfig("Bidirectional with constants")
            out["merge_mode"] = config.get("merge_mode", "concat")
        out["layer"] = {"class_name": inner_class, "config": inner}
        return {"class_name": class_name, "config": out}

    def _rnn(self, config: Config) -> Config:
        """A generic ``RNN`` around one cell or a ``StackedRNNCells``."""
        cell_class, cell_config = unwrap_keras_object(config.get("cell") or {})
        if cell_class == "StackedRNNCells":
            cells = [self._cell(*unwrap_keras_object(cell)) for cell in cell_config["cells"]]
            cell = {
                "class_name": cell_class,
                "config": {"name": cell_config.get("name"), "cells": cells},
            }
        else:
            cell = self._cell(cell_class, cell_config)
        layer_config = {key: value for key, value in config.items() if key != "cell"}
        out = rewrite_leaf_config("RNN", layer_config, self.keras_major)
        return {"class_name": "RNN", "config": {**out, "cell": cell}}

    def _cell(self, class_name: str, config: Config) -> Config:
        if class_name not in RNN_CELLS:
            raise UnsupportedConfig(f"RNN cell {class_name!r}")
        try:
            rewritten = rewrite_leaf_config(class_name, config, self.keras_major)
        except UnsupportedConfig as problem:
            raise UnsupportedConfig(f"cell {class_name}: {problem}") from None
        return {"class_name": class_name, "config": rewritten}

    def _bidirectional_forward(self, forward: Config, config: Config) -> Config:
        """The forward layer as TF.js wants it: named as the wrapped layer (TF.js adds
        ``forward_``/``backward_``), with a backward twin TF.js can derive from it."""
        name = forward.get("name") or ""
        if self.keras_major >= 3 and name.startswith("forward_"):
            forward = {**forward, "name": name[len("forward_") :]}
        backward_entry = config.get("backward_layer")
        if backward_entry:
            back_class, back_config = unwrap_keras_object(backward_entry)
            backward = rewrite_leaf_config(back_class, back_config, self.keras_major)
            expected = {**forward, "go_backwards": not forward.get("go_backwards", False)}
            ignored = ("name",)
            if any(
                backward.get(key) != expected.get(key)
                for key in set(backward) | set(expected)
                if key not in ignored
            ):
                raise UnsupportedConfig("custom backward_layer (TF.js mirrors the forward layer)")
        return forward


def _distinct_outputs(outputs: list[list[Any]], layers: list[Config]) -> list[list[Any]]:
    """Outputs with each repeated tensor passed through an identity layer of its own (appended to
    ``layers``): TF.js layers models fail to predict when one tensor is returned twice."""
    taken = {str(layer["config"].get("name")) for layer in layers}
    seen: set[tuple[Any, ...]] = set()
    distinct = []
    for position, ref in enumerate(outputs):
        if tuple(ref) not in seen:
            seen.add(tuple(ref))
            distinct.append(ref)
            continue
        name, index = f"{ref[0]}_output_{position}", 1
        while name in taken:
            index += 1
            name = f"{ref[0]}_output_{position}_{index}"
        taken.add(name)
        config = {"name": name, "trainable": False, "dtype": "float32", "activation": "linear"}
        layers.append(
            {
                "class_name": "Activation",
                "config": config,
                "name": name,
                "inbound_nodes": [[[*ref, {}]]],
            }
        )
        distinct.append([name, 0, 0])
    return distinct


def _declared_input_shapes(entry: Config) -> list[Shape | None] | None:
    """The input shape a layer config declares (``batch_input_shape``, ``batch_shape``)."""
    config = entry.get("config")
    shape = (
        config.get("batch_input_shape", config.get("batch_shape"))
        if isinstance(config, dict)
        else None
    )
    return [tuple(shape)] if isinstance(shape, list) else None


def _input_layer(config: Config) -> Config:
    shape = config.get("batch_input_shape", config.get("batch_shape"))
    if shape is None:
        raise UnsupportedConfig("InputLayer without a shape")
    if config.get("sparse") or config.get("ragged"):
        raise UnsupportedConfig("sparse or ragged input")
    return _input_layer_entry(config.get("name"), shape, input_dtype(config.get("dtype")))


def _input_layer_entry(name: str | None, shape: list[Any], dtype: str) -> Config:
    return {
        "class_name": "InputLayer",
        "config": {"batch_input_shape": list(shape), "dtype": dtype, "sparse": False, "name": name},
    }


def rewrite_model_config(model_config: Config, keras_major: int) -> RewrittenModel:
    """The model config of either Keras major version, rewritten, with its problems."""
    rewriter = _Rewriter(keras_major)
    class_name, config = unwrap_keras_object(model_config)
    name = (config.get("name") if isinstance(config, dict) else None) or "model"
    unchanged = {"class_name": class_name, "config": config}
    if class_name not in MODEL_CLASSES:
        rewriter.problems.append(
            UnsupportedLayer(name, class_name, "the file holds no Sequential or functional model")
        )
        return RewrittenModel(unchanged, rewriter.problems, {})
    try:
        topology = rewriter.model(class_name, config, "")
    except UnsupportedConfig as problem:
        rewriter.problems.append(UnsupportedLayer(name, class_name, str(problem)))
        return RewrittenModel(unchanged, rewriter.problems, {})
    if not rewriter.problems:
        rewriter.problems.extend(_weight_name_clashes(topology))
    return RewrittenModel(topology, rewriter.problems, rewriter.expansions)


def _weight_name_clashes(topology: Config) -> list[UnsupportedLayer]:
    """Layers holding weights under a name another layer of the model also has.

    TF.js names weights by layer name across nested models, so two such layers (or one layer
    object shared by two nested models, which a config stores twice) cannot both load."""
    seen: dict[str, str] = {}
    clashes = []
    for path, layer in _leaf_layers(topology, ""):
        name = layer["config"].get("name")
        if not variable_names(layer["class_name"], layer["config"]):
            continue
        if name in seen:
            clashes.append(
                UnsupportedLayer(
                    path,
                    layer["class_name"],
                    f"{seen[name]} has the same name; TF.js names weights by layer name, so the "
                    "layer names must be unique across nested models (and nested layers unshared)",
                )
            )
        else:
            seen[name] = path
    return clashes


def _leaf_layers(model: Config, path: str) -> list[tuple[str, Config]]:
    found = []
    for layer in model["config"]["layers"]:
        layer_path = (
            f"{path}/{layer['config'].get('name')}" if path else layer["config"].get("name")
        )
        if layer["class_name"] in MODEL_CLASSES:
            found.extend(_leaf_layers(layer, layer_path))
        else:
            found.append((layer_path, layer))
    return found
