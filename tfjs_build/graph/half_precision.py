"""Mixed precision graphs in float32: TF.js graph models hold no float16 (or bfloat16) tensors.

A model trained with the ``mixed_float16`` policy keeps float32 variables and casts them, and its
activations, to float16 around each layer. Frozen, its graph holds float16 constants (weights
cast once by constant folding), ``Cast`` nodes between float32 and float16, and ops computing in
float16. Widening every float16 type to float32 makes the constants float32 (exactly: float32
holds every float16 value), every cast between the two an identity that Grappler removes, and
every op compute in float32, as the model's float32 twin does (``mixed_bfloat16`` likewise). The
source's own 16-bit arithmetic differs from that by its rounding, which parity allows for.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from tfjs_build.graph.freeze import FrozenGraph, TensorBinding
from tfjs_build.graph.scope import all_scopes

_CAST_ATTRS = ("SrcT", "DstT", "Truncate")
_HALF_NAMES = frozenset({"float16", "bfloat16"})


def _enums() -> tuple[frozenset[int], int]:
    from tensorflow.core.framework import types_pb2

    return frozenset({types_pb2.DT_HALF, types_pb2.DT_BFLOAT16}), types_pb2.DT_FLOAT


def _widen_attrs(attrs: Any, half: frozenset[int], single: int) -> bool:
    changed = False
    for attr in attrs.values():
        if attr.type in half:
            attr.type = single
            changed = True
        if attr.HasField("list") and half & set(attr.list.type):
            widened = [single if t in half else t for t in attr.list.type]
            del attr.list.type[:]
            attr.list.type.extend(widened)
            changed = True
        if attr.HasField("tensor") and attr.tensor.dtype in half:
            _widen_tensor(attr.tensor)
            changed = True
    return changed


def _widen_tensor(tensor: Any) -> None:
    import tensorflow as tf

    value = tf.make_ndarray(tensor).astype(np.float32)
    tensor.CopyFrom(tf.make_tensor_proto(value, dtype=tf.float32))


def _cast_to_identity(node: Any) -> None:
    dtype = node.attr["DstT"].type
    for key in _CAST_ATTRS:
        if key in node.attr:
            del node.attr[key]
    node.op = "Identity"
    node.attr["T"].type = dtype


def widen_bindings(frozen: FrozenGraph) -> None:
    """Signature inputs and outputs of a 16-bit float dtype become float32 (as the graph does)."""
    frozen.inputs = [_widened(binding) for binding in frozen.inputs]
    frozen.outputs = [_widened(binding) for binding in frozen.outputs]


def _widened(binding: TensorBinding) -> TensorBinding:
    return replace(binding, dtype="float32") if binding.dtype in _HALF_NAMES else binding


def widen_half_precision(graph_def: Any) -> int:
    """Turn every float16 and bfloat16 type, constant and value of ``graph_def`` (function bodies
    and signatures included) into float32; returns the number of nodes changed."""
    half, single = _enums()
    changed = 0
    for scope in all_scopes(graph_def):
        for node in scope.nodes:
            widened = _widen_attrs(node.attr, half, single)
            if node.op == "Cast" and node.attr["SrcT"].type == node.attr["DstT"].type:
                _cast_to_identity(node)
                # a function body reads a Cast as ``name:y:0``, an Identity as ``name:output:0``
                scope.retarget_first_output(node.name, "Cast", "Identity")
                widened = True
            changed += widened
        if scope.function is not None:
            signature = scope.function.signature
            for arg in (*signature.input_arg, *signature.output_arg):
                if arg.type in half:
                    arg.type = single
            _widen_attrs(scope.function.attr, half, single)
    return changed
