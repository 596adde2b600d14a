"""List the weights a Keras file stores (names, shapes, dtypes) without reading their values.

For ``inspect --weights`` on a source, and as a check before Keras loads a file: a legacy HDF5
layer whose ``weight_names`` lists a weight the file does not hold is named here, where Keras
would only say ``KeyError: 'bias'``.
"""

from __future__ import annotations

from dataclasses import dataclass

import h5py

from tfjs_build.errors import SourceError
from tfjs_build.layers.source import KerasModelFile, attribute_text_list


@dataclass(frozen=True)
class StoredWeight:
    """A weight as the file stores it: its layer (``dense``, or ``layers/dense`` in a ``.keras``
    weight store), its path in the HDF5 file, its shape and dtype."""

    layer: str
    path: str
    shape: tuple[int, ...]
    dtype: str


def _weight(layer: str, dataset: h5py.Dataset) -> StoredWeight:
    return StoredWeight(
        layer, dataset.name, tuple(int(d) for d in dataset.shape), str(dataset.dtype)
    )


def stored_weights(model: KerasModelFile) -> list[StoredWeight]:
    """Every weight dataset of ``model``, in file order; ``SourceError`` for a listed weight the
    file lacks."""
    if model.weights is None:
        return []
    if model.layout == "legacy_h5":
        return _legacy(model, model.weights)
    found: list[StoredWeight] = []

    def visit(name: str, item: object) -> None:
        if isinstance(item, h5py.Dataset):
            owner = name.rsplit("/vars/", 1)[0] if "/vars/" in name else name.rsplit("/", 1)[0]
            found.append(_weight(owner, item))

    model.weights.visititems(visit)
    return found


def _legacy(model: KerasModelFile, root: h5py.Group) -> list[StoredWeight]:
    found = []
    for layer in root:
        group = root.get(layer)
        if not isinstance(group, h5py.Group):
            continue
        names = attribute_text_list(
            group.attrs.get("weight_names", []), f"{model.path} {layer} weight_names"
        )
        for name in names:
            dataset = group.get(name)
            if not isinstance(dataset, h5py.Dataset):
                raise SourceError(
                    f"{model.path}: layer {layer}: weight {name} is listed in the file but not "
                    "stored in it; the weights do not match the model (re-save it with Keras)"
                )
            found.append(_weight(layer, dataset))
    return found
