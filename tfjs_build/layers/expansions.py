"""Keras layers TF.js expresses as two layers.

TF.js global pooling has no ``keepdims``; ``GlobalAveragePooling2D(keepdims=True)`` (MobileNet
uses it) becomes the pooling layer under a new name followed by a layer restoring the pooled
axes that keeps the original name, so every reference to the layer still holds: ``RepeatVector(1)``
for 1D pooling, ``Reshape((1, 1, channels))`` for 2D. TF.js cannot infer a ``-1`` in a Reshape
target, so the 2D case needs the channel count, which Keras 3 configs record (``build_config``
and the shapes of call arguments) and Keras 2 configs do not.
"""

from __future__ import annotations

from typing import Any

from tfjs_build.layers.config_values import UnsupportedConfig

Config = dict[str, Any]
_POOLING_1D = frozenset({"GlobalAveragePooling1D", "GlobalMaxPooling1D"})
_POOLING_2D = frozenset({"GlobalAveragePooling2D", "GlobalMaxPooling2D"})


def is_keepdims_pooling(layer: Config) -> bool:
    """Whether a rewritten layer is a global pooling with ``keepdims=True``."""
    return layer["class_name"] in _POOLING_1D | _POOLING_2D and bool(
        layer["config"].get("keepdims")
    )


def _input_channels(entry: Config) -> int | None:
    """The channel count of a Keras 3 layer's input, from its config entry."""
    shape = (entry.get("build_config") or {}).get("input_shape")
    if not shape:
        for node in entry.get("inbound_nodes", []):
            args = node.get("args") if isinstance(node, dict) else None
            if args and isinstance(args[0], dict):
                shape = args[0].get("config", {}).get("shape")
                break
    channels = shape[-1] if isinstance(shape, list) and shape else None
    return channels if isinstance(channels, int) else None


def _restore_axes(layer: Config, entry: Config) -> Config:
    config = layer["config"]
    base = {"name": config["name"], "trainable": config.get("trainable", True)}
    if layer["class_name"] in _POOLING_1D:
        return {"class_name": "RepeatVector", "config": {**base, "n": 1}}
    channels = _input_channels(entry)
    if channels is None:
        raise UnsupportedConfig("keepdims=True with an unrecorded channel count (Keras 2 file)")
    return {"class_name": "Reshape", "config": {**base, "target_shape": [1, 1, channels]}}


def expand_keepdims_pooling(
    layer: Config, entry: Config, taken: set[str], *, functional: bool
) -> list[Config]:
    """The rewritten ``layer`` (from Keras config ``entry``) as pooling + axis-restoring layer.

    ``taken`` holds the names used in the model; the new pooling name is added to it."""
    config = layer["config"]
    name = config["name"]
    restore = _restore_axes(layer, entry)
    pool_name, index = f"{name}_pool", 1
    while pool_name in taken:
        index += 1
        pool_name = f"{name}_pool_{index}"
    taken.add(pool_name)
    pooled = {k: v for k, v in config.items() if k != "keepdims"}
    pool: Config = {"class_name": layer["class_name"], "config": {**pooled, "name": pool_name}}
    if functional:
        nodes = layer.get("inbound_nodes", [])
        pool.update(name=pool_name, inbound_nodes=nodes)
        restore.update(
            name=name, inbound_nodes=[[[pool_name, i, 0, {}]] for i in range(len(nodes))]
        )
    return [pool, restore]
