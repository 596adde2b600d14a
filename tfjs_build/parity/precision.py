"""Whether a source model computes in 16-bit floats (a ``mixed_float16`` Keras model, say).

TF.js artifacts compute in float32, so such a source differs from its artifact by its own
rounding; parity then allows for it (see :mod:`tfjs_build.parity.tolerances`). Keras files are
read from their config (dtype policies) without TensorFlow; a SavedModel from its graphs' types.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Literal

ComputeDtype = Literal["float16", "bfloat16"]
_POLICIES: dict[str, ComputeDtype] = {
    "mixed_float16": "float16",
    "float16": "float16",
    "mixed_bfloat16": "bfloat16",
    "bfloat16": "bfloat16",
}


def _coarsest(found: set[ComputeDtype]) -> ComputeDtype | None:
    if "bfloat16" in found:
        return "bfloat16"
    return "float16" if found else None


def _policy_names(config: Any) -> set[str]:
    from tfjs_build.layers.config_values import UnsupportedConfig, dtype_name

    names: set[str] = set()
    if isinstance(config, dict):
        for key, value in config.items():
            if key == "dtype":
                with contextlib.suppress(UnsupportedConfig):
                    names.add(dtype_name(value) or "")
            else:
                names |= _policy_names(value)
    elif isinstance(config, list):
        for value in config:
            names |= _policy_names(value)
    return names


def keras_compute_dtype(config: dict[str, Any]) -> ComputeDtype | None:
    """The 16-bit dtype the layers of a Keras model config compute in, if any."""
    return _coarsest({_POLICIES[n] for n in _policy_names(config) if n in _POLICIES})


def saved_model_compute_dtype(directory: Path) -> ComputeDtype | None:
    """16-bit when a node of the SavedModel's graphs or functions has a float16/bfloat16 type."""
    from tensorflow.core.framework import types_pb2
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    saved.ParseFromString((directory / "saved_model.pb").read_bytes())
    half = {types_pb2.DT_HALF: "float16", types_pb2.DT_BFLOAT16: "bfloat16"}
    found: set[ComputeDtype] = set()
    for meta in saved.meta_graphs:
        graph = meta.graph_def
        nodes = [*graph.node, *(n for f in graph.library.function for n in f.node_def)]
        for node in nodes:
            for attr in node.attr.values():
                for dtype in (attr.type, *attr.list.type):
                    if dtype in half:
                        found.add(half[dtype])  # type: ignore[arg-type]
    return _coarsest(found)


def source_compute_dtype(source: Path) -> ComputeDtype | None:
    """The 16-bit float dtype ``source`` computes in, if any (its kind reads it)."""
    from tfjs_build.sources.registry import source_kind

    dtype = source_kind(source).compute_dtype(Path(source))
    return _POLICIES.get(dtype) if dtype is not None else None
