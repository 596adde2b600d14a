"""Layer classes keras.applications defines for itself and does not register with Keras.

A file names them by their bare class name, as it would name a user's own unregistered class of
the same name; a layer is taken for the keras.applications class only when its config has exactly
that class's keys.
"""

from __future__ import annotations

from typing import Any

_BASE_KEYS = frozenset({"name", "trainable", "dtype"})
APPLICATION_CLASSES: dict[str, tuple[str, frozenset[str]]] = {
    "LayerScale": ("keras.src.applications.convnext", frozenset({"init_values", "projection_dim"})),
    "StochasticDepth": ("keras.src.applications.convnext", frozenset({"drop_path_rate"})),
    "CustomScaleLayer": ("keras.src.applications.inception_resnet_v2", frozenset({"scale"})),
}
"""Class name -> (the module defining it, its config keys beyond a layer's own)."""


def application_module(class_name: str, config: Any) -> str | None:
    """The keras.applications module defining the layer ``class_name`` with ``config``, if any."""
    known = APPLICATION_CLASSES.get(class_name)
    if known is None or not isinstance(config, dict):
        return None
    module, keys = known
    return module if set(config) - _BASE_KEYS == keys else None
