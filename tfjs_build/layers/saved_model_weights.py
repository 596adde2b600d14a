"""A Keras SavedModel's variables as a legacy-HDF5-style weights group, read from its checkpoint.

The one place the layers converter needs TensorFlow: ``variables/`` is a TensorBundle checkpoint,
read with ``tf.train.load_checkpoint`` (nothing of the model is loaded or run). Its object graph
says which variables each top-level layer owns, in the layer's own order (its ``variables``
list); they are copied into an in-memory HDF5 file laid out as ``model.save("m.h5")`` lays them
out, so the legacy reader names and checks them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from tfjs_build._optional import import_tensorflow
from tfjs_build.errors import SourceError
from tfjs_build.layers.keras_metadata import KerasMetadata

VARIABLES_PREFIX = "variables/variables"
_OBJECT_GRAPH = "_CHECKPOINTABLE_OBJECT_GRAPH"


@contextmanager
def checkpoint_weights(directory: Path, metadata: KerasMetadata) -> Iterator[h5py.Group]:
    """An in-memory ``model_weights`` group holding the checkpoint's variables by layer."""
    reader, graph = _checkpoint(directory)
    with h5py.File(f"{id(graph)}.h5", "w", driver="core", backing_store=False) as h5:
        root = h5.create_group("model_weights")
        nodes = graph.nodes
        for child in nodes[0].children:
            name = metadata.layer_paths.get(child.local_name)
            if not name or name in root:
                continue
            group = root.create_group(name)
            stored = []
            for full_name, key in _layer_variables(nodes, child.node_id):
                stored_name = f"{full_name}:0"
                group.create_dataset(stored_name, data=_tensor(reader, key, directory))
                stored.append(stored_name.encode())
            group.attrs["weight_names"] = np.array(stored, dtype="S")
        yield root


def _checkpoint(directory: Path) -> tuple[Any, Any]:
    tf = import_tensorflow()
    from tensorflow.core.protobuf import trackable_object_graph_pb2

    prefix = Path(directory) / VARIABLES_PREFIX
    if not Path(f"{prefix}.index").is_file():
        raise SourceError(
            f"{directory}: variables/variables.index is missing; save the model again"
        )
    try:
        reader = tf.train.load_checkpoint(str(prefix))
        graph = trackable_object_graph_pb2.TrackableObjectGraph()
        graph.ParseFromString(reader.get_tensor(_OBJECT_GRAPH))
    except Exception as exc:  # TensorFlow raises DataLossError, NotFoundError, DecodeError...
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceError(
            f"{directory}: cannot read its variables ({first}); save the model again"
        ) from None
    return reader, graph


def _layer_variables(nodes: Any, layer: int) -> Iterator[tuple[str, str]]:
    """``(variable name, checkpoint key)`` of a layer's weights, in ``layer.weights`` order."""
    listed = next((c.node_id for c in nodes[layer].children if c.local_name == "variables"), None)
    if listed is None:
        return
    for child in nodes[listed].children:
        for attribute in nodes[child.node_id].attributes:
            if attribute.name == "VARIABLE_VALUE":
                yield attribute.full_name, attribute.checkpoint_key


def _tensor(reader: Any, key: str, directory: Path) -> np.ndarray:
    try:
        return np.asarray(reader.get_tensor(key))
    except Exception as exc:  # a key the index lists but the data shard lacks
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceError(
            f"{directory}: cannot read variable {key} ({first}); save the model again"
        ) from None
