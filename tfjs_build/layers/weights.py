"""Read a model's weights and name them as TF.js layers expects (``<layer>/<variable>``).

TF.js names a variable by the layer that owns it: ``dense/kernel``, ``lstm/recurrent_kernel``
(no cell name), ``bidirectional/forward_lstm/kernel``, ``time_distributed/kernel``; layers of a
nested model keep their own names. The names and their Keras creation order come from the layer
configs; the values come from one of two layouts:

- ``.keras`` weight stores address objects by class: ``layers/<snake_class>[_<n>]/vars/<i>``
  (recurrent cells under ``cell/``, wrapped layers under ``layer/`` or ``forward_layer/``).
- legacy HDF5 files keep, per top-level layer, an ordered ``weight_names`` attribute.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from tfjs_build.errors import SourceError
from tfjs_build.layers.source import KERAS_WEIGHTS, KerasModelFile, attribute_text_list
from tfjs_build.layers.topology import MODEL_CLASSES
from tfjs_build.layers.variables import RECURRENT_LAYERS, variable_names

Config = dict[str, Any]
NamedWeights = list[tuple[str, np.ndarray]]


def _keras3_var_groups(class_name: str, config: Config) -> list[tuple[str, list[str]]]:
    """``(subgroup, variable names)`` pairs of a layer in a ``.keras`` weight store."""
    if class_name in RECURRENT_LAYERS:
        return [("cell/vars", variable_names(class_name, config))]
    if class_name == "RNN":
        cell = config["cell"]
        if cell["class_name"] != "StackedRNNCells":
            return [("cell/vars", variable_names(class_name, config))]
        groups: list[tuple[str, list[str]]] = []
        for sub, inner in _object_paths(cell["config"]["cells"]):
            names = variable_names(inner["class_name"], inner["config"])
            index = len(groups)
            groups.append((f"cell/cells/{sub}/vars", [f"RNNCell_{index}/{var}" for var in names]))
        return groups
    if class_name == "Bidirectional":
        inner = config["layer"]
        names = variable_names(inner["class_name"], inner["config"])
        half = len(names)
        all_names = variable_names(class_name, config)
        return [
            (f"{side}_layer/cell/vars", all_names[i * half : (i + 1) * half])
            for i, side in enumerate(("forward", "backward"))
        ]
    if class_name == "TimeDistributed":
        inner = config["layer"]
        return [
            (f"layer/{sub}", names)
            for sub, names in _keras3_var_groups(inner["class_name"], inner["config"])
        ]
    return [("vars", variable_names(class_name, config))]


def snake_case(class_name: str) -> str:
    """Keras's object-path name for a class: ``BatchNormalization`` -> ``batch_normalization``."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _object_paths(objects: list[Config]) -> Iterator[tuple[str, Config]]:
    """Keras's weight-store names for a list of objects: ``dense``, ``dense_1``, ``lstm``..."""
    counters: dict[str, int] = {}
    for item in objects:
        # A functional model is a Functional object whatever its config calls it.
        class_name = item["class_name"]
        key = snake_case("Functional" if class_name == "Model" else class_name)
        count = counters.get(key)
        counters[key] = 0 if count is None else count + 1
        yield (key if count is None else f"{key}_{count + 1}"), item


def _layers_of(model: Config) -> list[Config]:
    return list(model["config"]["layers"])


def _read(dataset: Any, where: str, model: KerasModelFile) -> np.ndarray:
    if not isinstance(dataset, h5py.Dataset):
        raise SourceError(f"{model.path}: {where} is missing or not a dataset")
    try:
        if model.mapping is not None:
            direct = _read_in_place(dataset, *model.mapping)
            if direct is not None:
                return direct
        return np.asarray(dataset[()])
    except (OSError, RuntimeError, ValueError) as exc:
        raise SourceError(
            f"{model.path}: cannot read {where}, corrupt or truncated? ({exc})"
        ) from None


def _read_in_place(dataset: h5py.Dataset, path: Path, base: int) -> np.ndarray | None:
    """A contiguous, unfiltered, little-endian dataset read with one positional read of
    ``path`` (the HDF5 file starts ``base`` bytes into it), bypassing h5py's I/O layers.

    Read, not memory-mapped: a map would crash the process (SIGBUS) if the source were
    rewritten while the artifact is still in use."""
    dtype = dataset.dtype
    if dataset.chunks is not None or dtype.kind not in "fiub" or dtype.byteorder == ">":
        return None
    offset = dataset.id.get_offset()
    if offset is None or dataset.size == 0:
        return None
    offset += base
    if offset + dataset.size * dtype.itemsize > path.stat().st_size:
        raise ValueError("the dataset extends past the end of the file")
    data: np.ndarray = np.fromfile(path, dtype=dtype, count=dataset.size, offset=offset)
    shaped: np.ndarray = data.reshape(dataset.shape)
    return shaped


# --- .keras weight stores ----------------------------------------------------------------------


def _keras3_weights(model: KerasModelFile, topology: Config) -> NamedWeights:
    assert model.weights is not None
    return list(_keras3_model_weights(model, topology, model.weights))


def _keras3_model_weights(
    model: KerasModelFile, topology: Config, group: h5py.Group
) -> Iterator[tuple[str, np.ndarray]]:
    layers = _layers_of(topology)
    if topology["class_name"] == "Sequential":
        # Sequential.layers leaves out its InputLayer, and so do weight paths.
        layers = [layer for layer in layers if layer["class_name"] != "InputLayer"]
    for sub, layer in _object_paths(layers):
        class_name, config = layer["class_name"], layer["config"]
        where = f"layers/{sub}"
        if class_name in MODEL_CLASSES:
            inner = group.get(where)
            if isinstance(inner, h5py.Group):
                yield from _keras3_model_weights(model, layer, inner)
            elif any(True for _ in _expected_leaf_weights(layer)):
                raise SourceError(f"{model.path}: {KERAS_WEIGHTS} has no {group.name}/{where}")
            continue
        owner = f"layer {config['name']} ({class_name})"
        for subgroup, names in _keras3_var_groups(class_name, config):
            _check_stored_count(model, group, f"{where}/{subgroup}", names, owner)
            for index, var in enumerate(names):
                dataset_path = f"{where}/{subgroup}/{index}"
                at = f"weight {config['name']}/{var} of {owner} ({_in(group, dataset_path)})"
                yield f"{config['name']}/{var}", _read(group.get(dataset_path), at, model)


def _in(group: h5py.Group, path: str) -> str:
    return f"{group.name.rstrip('/')}/{path}"


def _check_stored_count(
    model: KerasModelFile, group: h5py.Group, path: str, names: list[str], layer: str
) -> None:
    """More weights stored than the config creates: the file and its config disagree."""
    stored = group.get(path)
    if isinstance(stored, h5py.Group) and len(stored) > len(names):
        raise SourceError(
            f"{model.path}: {layer} has {len(stored)} weights in the file ({_in(group, path)}), "
            f"but its config needs {len(names)} ({', '.join(names) or 'none'}); the weights do "
            "not match the model (re-save it with Keras)"
        )


def _expected_leaf_weights(model_entry: Config) -> Iterator[str]:
    for layer in _layers_of(model_entry):
        if layer["class_name"] in MODEL_CLASSES:
            yield from _expected_leaf_weights(layer)
        else:
            yield from variable_names(layer["class_name"], layer["config"])


# --- legacy HDF5 -------------------------------------------------------------------------------

StoredWeights = list[tuple[str, Any]]


def _legacy_weights(model: KerasModelFile, topology: Config) -> NamedWeights:
    root = model.weights
    by_layer: dict[str, StoredWeights] = {}
    if root is not None:
        for layer in _layers_of(topology):
            name = layer["config"].get("name")
            group = root.get(name) if name else None
            if isinstance(group, h5py.Group):
                stored = attribute_text_list(
                    group.attrs.get("weight_names", []), f"{model.path} {name} weight_names"
                )
                by_layer[name] = [(n, group.get(n)) for n in stored]
    return list(_legacy_model_weights(model, topology, by_layer))


def _legacy_model_weights(
    model: KerasModelFile, topology: Config, by_layer: dict[str, StoredWeights]
) -> Iterator[tuple[str, np.ndarray]]:
    for layer in _layers_of(topology):
        class_name, config = layer["class_name"], layer["config"]
        name = config.get("name")
        stored = by_layer.get(name, []) if name else []
        if class_name in MODEL_CLASSES:
            yield from _legacy_model_weights(model, layer, _split_by_layer(model, layer, stored))
            continue
        expected = variable_names(class_name, config)
        if len(stored) != len(expected):
            raise SourceError(
                f"{model.path}: layer {name} ({class_name}) has {len(stored)} weights in the "
                f"file, expected {len(expected)} ({', '.join(expected) or 'none'})"
            )
        for (stored_name, dataset), var in zip(stored, expected, strict=True):
            if not _stored_as(stored_name, var):
                raise SourceError(
                    f"{model.path}: layer {name} ({class_name}) stores {stored_name!r} where "
                    f"{var!r} was expected"
                )
            yield f"{name}/{var}", _read(dataset, f"model_weights/{name}/{stored_name}", model)


# Other names a file may store a variable under: Keras 3 calls a depthwise kernel ``kernel``, and
# a weight created without a name (ConvNeXt's LayerScale) ``variable``, ``variable_1``...
_STORED_ALIASES = {
    "depthwise_kernel": re.compile("kernel"),
    "gamma": re.compile(r"variable(_\d+)?"),
}


def _stored_as(stored_name: str, var: str) -> bool:
    """Whether a file's weight ``stored_name`` may hold variable ``var``."""
    stored, short = _last_part(stored_name), var.rsplit("/", 1)[-1]
    alias = _STORED_ALIASES.get(short)
    return stored == short or (alias is not None and alias.fullmatch(stored) is not None)


def _last_part(stored_name: str) -> str:
    return stored_name.rsplit("/", 1)[-1].split(":", 1)[0]


def _split_by_layer(
    model: KerasModelFile, nested: Config, stored: StoredWeights
) -> dict[str, StoredWeights]:
    """Assign a nested model's weights (``[outer/]layer/.../var[:0]``) to its direct layers.

    A weight names its leaf layer, which may sit in a deeper nested model: it belongs to the
    direct layer that is, or contains, the first layer its name mentions."""
    owners: dict[str, str] = {}
    for layer in _layers_of(nested):
        for name in _names_within(layer):
            owners.setdefault(name, layer["config"].get("name"))
    split: dict[str, StoredWeights] = {}
    for stored_name, dataset in stored:
        owner = next((owners[p] for p in stored_name.split("/")[:-1] if p in owners), None)
        if owner is None:
            raise SourceError(
                f"{model.path}: weight {stored_name!r} of nested model "
                f"{nested['config'].get('name')} belongs to none of its layers"
            )
        split.setdefault(owner, []).append((stored_name, dataset))
    return split


def _names_within(layer: Config) -> Iterator[str]:
    yield layer["config"].get("name")
    if layer["class_name"] in MODEL_CLASSES:
        for inner in _layers_of(layer):
            yield from _names_within(inner)


def read_weights(model: KerasModelFile, topology: Config) -> NamedWeights:
    """The model's weights as ``(TF.js name, array)`` pairs in layer order."""
    if model.weights is None:
        expected = list(_expected_leaf_weights(topology))
        if expected:
            raise SourceError(f"{model.path} has no weights, but the model needs {len(expected)}")
        return []
    if model.layout == "keras3":
        return _keras3_weights(model, topology)
    return _legacy_weights(model, topology)
