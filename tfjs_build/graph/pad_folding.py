"""Fold a zero ``Pad`` in front of a convolution into the convolution's own padding.

Keras's ``ZeroPadding2D`` before a stride-2 ``valid`` convolution (MobileNetV2 four times, ResNet50
before its first convolution) leaves ``Pad -> Conv2D``: TF.js then writes the padded copy of the
tensor (on webgl one more shader to compile and run) before convolving it. Every TF.js backend
takes explicit paddings on ``Conv2D``, ``DepthwiseConv2dNative`` and their fused forms (the
converter reads ``explicit_paddings`` when ``padding`` is ``EXPLICIT``), and padding with zeros
inside the convolution gives the same sums. Only constant, non-negative, spatial paddings of an
NHWC convolution read by nothing else are folded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfjs_build.graph.fusion import DT_FLOAT
from tfjs_build.graph.graph_edit import (
    const_value,
    consumers,
    is_control,
    node_of,
    nodes_by_name,
    replace_nodes,
)

CONVOLUTIONS = frozenset(
    {"Conv2D", "DepthwiseConv2dNative", "_FusedConv2D", "FusedDepthwiseConv2dNative"}
)


def _spatial_paddings(pad: Any, index: dict[str, Any]) -> list[int] | None:
    """The eight explicit paddings of a zero ``Pad`` of H and W only, else None."""
    data = [r for r in pad.input if not is_control(r)]
    if pad.op != "Pad" or len(data) != 2 or len(data) != len(pad.input):
        return None
    if pad.attr["T"].type != DT_FLOAT:
        return None
    paddings = index.get(node_of(data[1]))
    if paddings is None or paddings.op != "Const":
        return None
    value = np.asarray(const_value(paddings))
    if value.shape != (4, 2) or (value < 0).any() or value[0].any() or value[3].any():
        return None
    return [int(v) for v in value.reshape(-1)]


def _foldable(conv: Any, pad_name: str) -> bool:
    if conv.op not in CONVOLUTIONS or conv.attr["padding"].s != b"VALID":
        return False
    if conv.attr["data_format"].s not in (b"", b"NHWC"):
        return False
    return conv.input[0] in (pad_name, f"{pad_name}:0")


def fold_pads(graph_def: Any, protected: set[str]) -> int:
    """Fold every foldable ``Pad`` of the top-level graph into its convolution; returns how many."""
    index, readers = nodes_by_name(graph_def), consumers(graph_def)
    folded: set[str] = set()
    for pad in list(graph_def.node):
        if pad.name in protected:
            continue
        paddings = _spatial_paddings(pad, index)
        reading = readers.get(pad.name, [])
        if paddings is None or len(reading) != 1 or not _foldable(reading[0], pad.name):
            continue
        conv = reading[0]
        if sum(node_of(r) == pad.name for r in conv.input) != 1:
            continue
        conv.input[0] = pad.input[0]
        conv.attr["padding"].s = b"EXPLICIT"
        del conv.attr["explicit_paddings"].list.i[:]
        conv.attr["explicit_paddings"].list.i.extend(paddings)
        folded.add(pad.name)
    if folded:
        replace_nodes(graph_def.node, [n for n in graph_def.node if n.name not in folded])
    return len(folded)
