"""Every layer's output of a Keras model (Keras 3 or tf_keras) on given inputs: the reference side
of localizing a divergence, keyed as TF.js keys them (``js/run_model.js``'s ``layerKey``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LayerCall:
    """One call of a layer in a model's graph, and what it computed in Keras.

    ``inputs`` are the keys of the calls whose outputs it takes (input layers included);
    ``call`` counts the layer's calls in this graph (shared layers are called more than once).
    """

    key: str
    layer: str
    call: int
    class_name: str
    inputs: tuple[str, ...]
    values: tuple[np.ndarray, ...]
    nested: bool = False
    """The layer is a model itself (its own layers can be traced in turn)."""


def layer_key(name: str, call: int = 0, tensor: int = 0) -> str:
    """``name``, ``name@1`` for a shared layer's second call, ``name#1`` for its second output."""
    return name + (f"@{call}" if call else "") + (f"#{tensor}" if tensor else "")


def nested_model(model: Any, within: Sequence[str]) -> Any:
    """The model nested in ``model`` at ``within`` (a path of layer names)."""
    for name in within:
        model = model.get_layer(name)
    return model


def trace_layers(model: Any, feeds: Sequence[np.ndarray]) -> dict[str, LayerCall]:
    """Every layer call of ``model`` on ``feeds`` (its inputs in order), inputs first: keyed by
    :func:`layer_key` (one entry per call; ``values`` holds each of its outputs)."""
    calls, seen = _calls(model)
    keras = _keras_module(model)
    fed = {seen[_ident(t)].key: feed for t, feed in zip(model.inputs, feeds, strict=True)}
    computed = [call for call in calls if not call.is_input]
    symbolic = [tensor for call in computed for tensor in call.outputs]
    values: list[np.ndarray] = []
    if symbolic:
        extractor = keras.Model(inputs=list(model.inputs), outputs=symbolic)
        raw = extractor(list(feeds), training=False)
        values = [np.asarray(v) for v in (raw if isinstance(raw, (list, tuple)) else [raw])]
    traced: dict[str, LayerCall] = {}
    for call in calls:
        if call.is_input:
            key = call.key
            traced[key] = LayerCall(key, call.name, 0, "InputLayer", (), (fed[key],))
            continue
        own, values = values[: len(call.outputs)], values[len(call.outputs) :]
        traced[call.key] = LayerCall(
            call.key,
            call.name,
            call.rank,
            call.class_name,
            call.input_keys,
            tuple(own),
            nested=hasattr(call.layer, "layers") and hasattr(call.layer, "inputs"),
        )
    return traced


@dataclass
class _Call:
    layer: Any
    name: str
    node_index: int
    class_name: str
    is_input: bool
    outputs: list[Any]
    input_tensors: list[Any]
    rank: int = 0
    input_keys: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return layer_key(self.name, self.rank)


def _calls(model: Any) -> tuple[list[_Call], dict[tuple[int, int], _Call]]:
    """The layer calls of ``model``'s graph, inputs first (a depth-first walk from its outputs),
    with each shared layer's calls numbered in node order."""
    seen: dict[tuple[int, int], _Call] = {}
    order: list[_Call] = []

    def visit(tensor: Any) -> None:
        layer, node_index = _history(tensor)
        if (id(layer), node_index) in seen:
            return
        node = layer._inbound_nodes[node_index]
        call = _Call(
            layer,
            layer.name,
            node_index,
            type(layer).__name__,
            bool(getattr(node, "is_input", False)),
            _flat(getattr(node, "output_tensors", None)),
            [] if getattr(node, "is_input", False) else _node_inputs(node),
        )
        seen[(id(layer), node_index)] = call
        for parent in call.input_tensors:
            visit(parent)
        order.append(call)

    for output in model.outputs:
        visit(output)
    by_layer: dict[int, list[int]] = {}
    for call in order:
        by_layer.setdefault(id(call.layer), []).append(call.node_index)
    for call in order:
        call.rank = sorted(by_layer[id(call.layer)]).index(call.node_index)
    for call in order:
        call.input_keys = tuple(
            layer_key(seen[_ident(t)].name, seen[_ident(t)].rank, _history_tensor(t))
            for t in call.input_tensors
        )
    return order, seen


def _history(tensor: Any) -> tuple[Any, int]:
    history = tensor._keras_history
    return history[0], int(history[1])


def _ident(tensor: Any) -> tuple[int, int]:
    layer, node_index = _history(tensor)
    return id(layer), node_index


def _history_tensor(tensor: Any) -> int:
    return int(tensor._keras_history[2])


def _node_inputs(node: Any) -> list[Any]:
    if hasattr(node, "keras_inputs"):  # tf_keras
        return list(node.keras_inputs)
    return _flat(node.input_tensors)


def _flat(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _flat(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _flat(item)]
    return [value]


def _keras_module(model: Any) -> Any:
    if type(model).__module__.startswith("tf_keras"):
        import tf_keras

        return tf_keras
    import keras

    return keras
