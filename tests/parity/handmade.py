"""Hand-made TF.js layers artifacts from tf_keras models, independent of the converters.

A tf_keras model's ``to_json()`` is already the Keras-2-style topology TF.js reads, and its weight
names (``layer/kernel:0``) are the manifest names without ``:0``; writing both with
``tfjs_build.artifact.write_artifact`` gives an artifact made the way another converter would.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build.artifact import Artifact, quantization_plan, read_model_json, write_artifact


def write_layers_artifact(model: Any, directory: Path, *, quantization: Any = None) -> Path:
    """Write tf_keras ``model`` as a TF.js layers artifact in ``directory``; return it."""
    import tf_keras

    topology = {
        "keras_version": tf_keras.__version__,
        "backend": "tensorflow",
        "model_config": json.loads(model.to_json()),
    }
    weights = [(weight.name.split(":")[0], weight.numpy()) for weight in model.weights]
    artifact = Artifact(format="layers-model", topology=topology, weights=weights)
    write_artifact(artifact, Path(directory), quantization=quantization_plan(quantization))
    return Path(directory)


def corrupted_copy(artifact: Path, target: Path, weight: str, delta: float = 3.0) -> Path:
    """A copy of the float32 ``artifact`` at ``target`` whose ``weight``'s first value is moved
    by ``delta`` in its shard (same size, so TF.js loads it and computes something else)."""
    shutil.copytree(artifact, target)
    manifest = read_model_json(target)["weightsManifest"][0]
    offset = 0
    for entry in manifest["weights"]:
        if entry["name"] == weight:
            break
        offset += 4 * int(np.prod(entry["shape"]))
    else:
        raise KeyError(weight)
    shard = target / manifest["paths"][0]
    data = bytearray(shard.read_bytes())
    (value,) = struct.unpack_from("<f", data, offset)
    struct.pack_into("<f", data, offset, value + delta)
    shard.write_bytes(bytes(data))
    return target
