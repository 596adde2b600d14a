"""Load the legacy ``.h5`` files Keras 3 writes but cannot load back, by repairing their config.

Keras 3 records ``x + 3.0`` or a mask's ``x != 0`` as operation nodes; its HDF5 writer drops the
module that says so, and its HDF5 loader then takes ``Add`` for the merge layer ("Only input
tensors may be passed as positional arguments") or does not know ``NotEqual`` at all. Classes
keras.applications defines for itself (ConvNeXt's ``LayerScale``...) are not registered either.
The repair renames each operation node's class to a name of its own bound to the Keras operation,
binds those application classes, and loads the model from an in-memory HDF5 file holding the
repaired config and the weights (nothing is written; Keras refuses links to the original file). The model is
built by Keras's own loader, so it computes what the saved model computed.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Collection, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from tfjs_build.layers.application_classes import application_module

Config = dict[str, Any]
_OP_MODULES = ("numpy", "nn", "math", "core", "image", "linalg")
_ALIAS = "tfjs_build>op>"


@cache
def _operations() -> dict[str, type]:
    """Keras operation classes (``keras.src.ops.*``) by class name."""
    from keras.src.ops.operation import Operation

    found: dict[str, type] = {}
    for name in _OP_MODULES:
        module = importlib.import_module(f"keras.src.ops.{name}")
        for attribute, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Operation)
                and value.__module__ == module.__name__
            ):
                found.setdefault(attribute, value)
    return found


@cache
def _layer_classes() -> frozenset[str]:
    import keras

    return frozenset(n for n in dir(keras.layers) if inspect.isclass(getattr(keras.layers, n)))


def _entries(config: Any) -> Iterator[Config]:
    """Every layer entry of a model config, nested functional models' included."""
    layers = config.get("config", {}).get("layers") if isinstance(config, dict) else None
    for entry in layers if isinstance(layers, list) else []:
        if isinstance(entry, dict):
            yield entry
            yield from _entries(entry)


def _is_operation(entry: Config) -> bool:
    class_name = entry.get("class_name")
    if class_name not in _operations() or "module" in entry:
        return False
    if class_name not in _layer_classes():
        return True
    # A layer takes one positional argument (a tensor or a list of them); an operation node
    # of the same name (Add, Multiply...) is called with its operands one by one.
    nodes = entry.get("inbound_nodes") or []
    return any(isinstance(node, dict) and len(node.get("args", [])) > 1 for node in nodes)


def repair_config(config: Config, known: Collection[str]) -> tuple[Config, dict[str, Any]]:
    """The config with operation nodes renamed, and the custom objects the repair binds;
    ``known`` are the names the user's code registers, which are left to it. Returns the config
    unchanged and no objects when nothing needs repairing."""
    repaired = json.loads(json.dumps(config))
    objects: dict[str, Any] = {}
    for entry in _entries(repaired):
        class_name = str(entry.get("class_name"))
        if _is_operation(entry):
            alias = f"{_ALIAS}{class_name}"
            entry["class_name"] = alias
            objects[alias] = _operations()[class_name]
        elif class_name not in known and (
            module := application_module(class_name, entry.get("config"))
        ):
            objects[class_name] = getattr(importlib.import_module(module), class_name)
    return (repaired, objects) if objects else (config, {})


def load_repaired_h5(
    path: Path, config: Config, custom_objects: Mapping[str, Any], *, safe_mode: bool
) -> Any:
    """Load a Keras 3 ``.h5`` model with ``config`` instead of the file's own, weights from
    the file, through Keras's legacy HDF5 loader."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    with (
        h5py.File(path, "r") as original,
        h5py.File(f"tfjs-build-{id(config)}.h5", "w", driver="core", backing_store=False) as memory,
    ):
        memory.attrs.update(dict(original.attrs.items()))
        memory.attrs["model_config"] = json.dumps(config)
        if "model_weights" in original:
            original.copy(original["model_weights"], memory, name="model_weights")
        return legacy_h5_format.load_model_from_hdf5(
            memory, custom_objects=dict(custom_objects), compile=False, safe_mode=safe_mode
        )
