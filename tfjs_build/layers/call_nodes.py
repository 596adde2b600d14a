"""Call nodes of a functional config: Keras 3's ``{"args", "kwargs"}`` with ``__keras_tensor__``
histories become the Keras 2 lists ``[layer, node, tensor, kwargs]`` TF.js reads, and the mask
plumbing Keras 3 writes as op layers is dropped where TF.js propagates masks itself."""

from __future__ import annotations

from typing import Any

from tfjs_build.layers.config_values import UnsupportedConfig

Config = dict[str, Any]
_KERAS_TENSOR = "__keras_tensor__"
_DROPPED_CALL_KWARGS = ("training", "mask")


def tensor_refs(refs: Any, nested_models: frozenset[str]) -> list[list[Any]]:
    """Model ``input_layers``/``output_layers`` as a list of ``[layer, node, tensor]``."""
    if isinstance(refs, dict):
        refs = list(refs.values())
    if isinstance(refs, list) and len(refs) == 3 and isinstance(refs[0], str):
        refs = [refs]
    if not isinstance(refs, list):
        raise UnsupportedConfig(f"model inputs/outputs {refs!r:.80}")
    return [_shifted(list(ref[:3]), nested_models) for ref in refs]


def _shifted(ref: list[Any], nested_models: frozenset[str]) -> list[Any]:
    """Keras 3 counts a nested model's call nodes from 0; TF.js (like Keras 2) from 1, because
    a TF.js model's own input-to-output node comes first."""
    name, node_index, tensor_index = ref
    if name in nested_models:
        node_index += 1
    return [name, node_index, tensor_index]


def with_listed_calls(entry: Config) -> Config:
    """``entry`` with every Keras 2 call node a list of tensor refs: tf_keras records the call of
    a layer that took one tensor positionally (a ``TFOpLambda``'s, ``tf.math.multiply(x, 2.0)``)
    as that tensor's ``[layer, node, tensor, kwargs]`` itself."""
    nodes = entry.get("inbound_nodes")
    if not isinstance(nodes, list) or not any(_is_ref(node) for node in nodes):
        return entry
    return {**entry, "inbound_nodes": [[node] if _is_ref(node) else node for node in nodes]}


def _is_ref(node: Any) -> bool:
    return isinstance(node, list) and bool(node) and isinstance(node[0], str)


def call_node(
    node: Any, nested_models: frozenset[str], *, constants: bool = False
) -> list[list[Any]]:
    """One inbound node as the Keras 2 list of ``[layer, node, tensor, kwargs]``; ``constants``:
    leave out non-tensor arguments (an op node's, which its expansion holds) instead of refusing."""
    if isinstance(node, list):  # already Keras 2 style
        return node
    if not isinstance(node, dict):
        raise UnsupportedConfig(f"inbound node {node!r:.80}")
    refs: list[list[Any]] = []
    _collect_tensors(node.get("args", []), refs, strict=not constants)
    kwargs: Config = {}
    for key, value in (node.get("kwargs") or {}).items():
        if key in _DROPPED_CALL_KWARGS and (value is None or key == "training"):
            continue
        if _contains_tensor(value):
            raise UnsupportedConfig(f"called with a tensor as keyword argument {key!r}")
        kwargs[key] = value
    return [[*_shifted(ref, nested_models), kwargs] for ref in refs]


def _collect_tensors(value: Any, refs: list[list[Any]], *, strict: bool = True) -> None:
    """Append the ``[layer, node, tensor]`` history of every tensor in call arguments ``value``;
    ``strict``: anything else is unsupported."""
    if isinstance(value, dict) and value.get("class_name") == _KERAS_TENSOR:
        refs.append(list(value["config"]["keras_history"][:3]))
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_tensors(item, refs, strict=strict)
    elif strict:
        raise UnsupportedConfig(f"called with a non-tensor argument {value!r:.60}")


def _contains_tensor(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get("class_name") == _KERAS_TENSOR or any(
            _contains_tensor(v) for v in value.values()
        )
    if isinstance(value, (list, tuple)):
        return any(_contains_tensor(v) for v in value)
    return False


# Keras 3 writes mask propagation into functional configs as op layers feeding ``mask=``
# keyword arguments: ``NotEqual(x, value) -> Any(axis=-1)`` for Masking and Embedding(mask_zero).
# TF.js layers propagate the same masks themselves (Layer.computeMask), so those ops and the
# ``mask`` arguments are dropped when a mask-producing layer is present; otherwise they remain
# and are reported as unsupported.
_MASK_OP_CLASSES = frozenset({"NotEqual", "Any"})


def _produces_masks(entry: Config) -> bool:
    class_name, config = entry.get("class_name"), entry.get("config") or {}
    return class_name == "Masking" or (class_name == "Embedding" and bool(config.get("mask_zero")))


def without_mask_ops(entries: list[Config]) -> list[Config]:
    if not any(_produces_masks(entry) for entry in entries):
        return entries
    mask_ops = {
        entry.get("name") for entry in entries if entry.get("class_name") in _MASK_OP_CLASSES
    }
    if not mask_ops:
        return entries
    used_otherwise: set[str] = set()
    for entry in entries:
        if entry.get("name") in mask_ops:
            continue
        for node in entry.get("inbound_nodes", []):
            if isinstance(node, dict):
                refs: list[list[Any]] = []
                _collect_tensors(node.get("args", []), refs, strict=False)
                used_otherwise.update(ref[0] for ref in refs)
    droppable = mask_ops - used_otherwise
    kept = []
    for entry in entries:
        if entry.get("name") in droppable:
            continue
        nodes = []
        for node in entry.get("inbound_nodes", []):
            if _mask_source(node) in droppable:
                node = {**node, "kwargs": {k: v for k, v in node["kwargs"].items() if k != "mask"}}
            nodes.append(node)
        kept.append({**entry, "inbound_nodes": nodes} if "inbound_nodes" in entry else entry)
    return kept


def _mask_source(node: Any) -> str | None:
    """The layer computing the tensor a Keras 3 node passes as ``mask=``, if any."""
    mask = node.get("kwargs", {}).get("mask") if isinstance(node, dict) else None
    if isinstance(mask, dict) and mask.get("class_name") == _KERAS_TENSOR:
        return str(mask["config"]["keras_history"][0])
    return None
