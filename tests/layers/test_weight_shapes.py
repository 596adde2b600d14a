"""A Keras file whose weights do not match its config fails at conversion, naming the layer and
the weight; the shapes the check expects are the ones Keras creates, for every zoo model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from tests.layers import model_zoo
from tests.layers.h5_edit import edited_copy
from tfjs_build.errors import SourceError
from tfjs_build.layers import convert_keras_to_layers
from tfjs_build.layers.convert import _topology
from tfjs_build.layers.shapes import input_shapes
from tfjs_build.layers.source import open_keras_model
from tfjs_build.layers.weight_shapes import expected_shapes
from tfjs_build.layers.weights import read_weights

MISMATCH = "the weights do not match the model (re-save it with Keras)"
FLAVOR_MODELS = [
    (flavor, name)
    for flavor in ("keras3", "tf_keras")
    for name in model_zoo.ZOO
    if not (flavor == "keras3" and name == "keras2_only")
]


def _leaves(model: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for layer in model["config"]["layers"]:
        nested = layer["class_name"] in ("Sequential", "Functional", "Model")
        out.extend(_leaves(layer) if nested else [layer])
    return out


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize(("flavor", "name"), FLAVOR_MODELS)
def test_every_expected_shape_is_known_and_is_what_keras_made(zoo, flavor, name, suffix):
    """No weight of the zoo is left unchecked, and none is refused: inference follows Keras."""
    path = zoo(flavor, name).files[suffix]
    with open_keras_model(path) as model:
        topology, problems, _ = _topology(model)
        weights = dict(read_weights(model, topology))
    assert problems == []
    inputs = input_shapes(topology)
    expected = {
        f"{layer['config']['name']}/{var}": shape
        for layer in _leaves(topology)
        for var, shape in expected_shapes(
            layer["class_name"], layer["config"], (inputs.get(layer["config"]["name"]) or [None])[0]
        ).items()
    }
    assert expected == {key: tuple(value.shape) for key, value in weights.items()}


def _layer_weight(h5: h5py.File, class_name: str, nth: int, var_index: int) -> tuple[str, str]:
    """``(layer name, dataset path)`` of weight ``var_index`` of the ``nth`` layer of
    ``class_name`` in a legacy HDF5 file (top-level layers)."""
    config = json.loads(h5.attrs["model_config"])
    names = [
        layer["config"]["name"]
        for layer in config["config"]["layers"]
        if layer["class_name"] == class_name
    ]
    layer = names[nth]
    group = h5["model_weights"][layer]
    stored = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
    return layer, f"{group.name}/{stored[var_index]}"


def _resized(h5: h5py.File, dataset: str, axis: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Grow ``dataset`` by one along ``axis``: ``(old shape, new shape)``."""
    old = h5[dataset].shape
    new = tuple(d + 1 if i == axis else d for i, d in enumerate(old))
    del h5[dataset]
    h5[dataset] = np.zeros(new, dtype="float32")
    return old, new


def _shown(shape: tuple[int, ...]) -> str:
    return str(shape)


# (zoo model, class, nth layer of that class, weight index, TF.js variable, axis to grow): each
# size comes from the config (units, filters, kernel size) or from the layer's inferred input
CASES = [
    ("sequential_dense", "Dense", 0, 0, "kernel", 0),  # input size: the model input
    ("sequential_dense", "Dense", 2, 1, "bias", 0),  # units
    ("sequential_dense", "BatchNormalization", 0, 0, "gamma", 0),  # channels of Dense(5)
    ("conv2d_stack", "Conv2D", 0, 0, "kernel", 0),  # kernel size
    ("conv2d_stack", "Conv2D", 1, 0, "kernel", 2),  # channels after the transposed conv
    ("conv2d_stack", "SeparableConv2D", 0, 1, "pointwise_kernel", 2),  # channels x multiplier
    ("conv2d_stack", "DepthwiseConv2D", 0, 0, "depthwise_kernel", 3),  # depth multiplier
    ("conv2d_stack", "Dense", 0, 0, "kernel", 0),  # after Concatenate of pooled and flattened
    ("conv1d_conv3d", "Conv3DTranspose", 0, 0, "kernel", 4),  # input channels
    ("recurrent", "LSTM", 0, 1, "recurrent_kernel", 1),  # 4 x units
    ("embedding_text", "Embedding", 0, 0, "embeddings", 0),  # input_dim
]


@pytest.mark.parametrize("flavor", ["keras3", "tf_keras"])
@pytest.mark.parametrize(("name", "class_name", "nth", "index", "var", "axis"), CASES)
def test_a_weight_of_the_wrong_shape_is_named(
    zoo, tmp_path, flavor, name, class_name, nth, index, var, axis
):
    found: dict[str, Any] = {}

    def edit(h5: h5py.File) -> None:
        layer, dataset = _layer_weight(h5, class_name, nth, index)
        found.update(layer=layer, shapes=_resized(h5, dataset, axis))

    target = edited_copy(zoo(flavor, name).files[".h5"], tmp_path / "wrong.h5", edit)
    layer, (old, new) = found["layer"], found["shapes"]
    with pytest.raises(SourceError) as caught:
        convert_keras_to_layers(target)
    assert str(caught.value) == (
        f"{target}: layer {layer} ({class_name}): weight {layer}/{var} has shape {_shown(new)} "
        f"in the file, but the layer's config needs {_shown(old)}; {MISMATCH}"
    )


def _keras3_dense(zoo: Any) -> Path:
    return zoo("keras3", "sequential_dense").files[".keras"]


def test_a_keras_archive_with_a_kernel_of_the_wrong_shape(zoo, tmp_path):
    target = edited_copy(
        _keras3_dense(zoo),
        tmp_path / "wrong.keras",
        lambda h5: _resized(h5, "layers/dense/vars/0", 0),
    )
    with pytest.raises(SourceError) as caught:
        convert_keras_to_layers(target)
    assert str(caught.value) == (
        f"{target}: layer hidden (Dense): weight hidden/kernel has shape (7, 8) in the file, but "
        f"the layer's config needs (6, 8); {MISMATCH}"
    )


def test_a_keras_archive_missing_a_weight(zoo, tmp_path):
    def drop(h5: h5py.File) -> None:
        del h5["layers/dense/vars/1"]

    target = edited_copy(_keras3_dense(zoo), tmp_path / "missing.keras", drop)
    with pytest.raises(SourceError) as caught:
        convert_keras_to_layers(target)
    assert str(caught.value) == (
        f"{target}: weight hidden/bias of layer hidden (Dense) (/layers/dense/vars/1) is missing "
        "or not a dataset"
    )


def test_a_keras_archive_with_a_weight_its_config_does_not_create(zoo, tmp_path):
    """``Dense(5, use_bias=False)`` with a bias in the file."""

    def add(h5: h5py.File) -> None:
        h5["layers/dense_1/vars/1"] = np.zeros(5, dtype="float32")

    target = edited_copy(_keras3_dense(zoo), tmp_path / "extra.keras", add)
    with pytest.raises(SourceError) as caught:
        convert_keras_to_layers(target)
    assert str(caught.value) == (
        f"{target}: layer dense (Dense) has 2 weights in the file (/layers/dense_1/vars), but "
        f"its config needs 1 (kernel); {MISMATCH}"
    )


def test_an_h5_layer_missing_a_listed_weight(zoo, tmp_path):
    def drop(h5: h5py.File) -> None:
        _, dataset = _layer_weight(h5, "Dense", 0, 1)
        del h5[dataset]

    target = edited_copy(zoo("tf_keras", "sequential_dense").files[".h5"], tmp_path / "m.h5", drop)
    with pytest.raises(SourceError, match=r"hidden/bias:0 is missing or not a dataset$"):
        convert_keras_to_layers(target)
