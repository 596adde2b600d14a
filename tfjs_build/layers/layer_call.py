"""What an expansion rule knows about one layer: its config, how it is called, its input shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfjs_build.layers.expansions import Source
from tfjs_build.layers.recorded_shapes import Shape

Config = dict[str, Any]
_KERAS_TENSOR = "__keras_tensor__"


@dataclass(frozen=True)
class LayerCall:
    """A layer as written in the file.

    ``args`` are the positional arguments of an op node (Keras 3 writes ``x + 3.0`` as an ``Add``
    operation called with ``(x, 3.0)``): tensors as ``Source``s, constants as they are; ``None``
    for a layer. ``input_shapes`` are the shapes of its input tensors (ranks only, dimensions
    ``None``, where the file records no more), ``None`` when unknown.
    """

    class_name: str
    config: Config
    keras_major: int
    input_shapes: list[Shape | None] | None = None
    args: tuple[Any, ...] | None = None

    @property
    def input_shape(self) -> Shape | None:
        """The shape of the first input, if known."""
        return self.input_shapes[0] if self.input_shapes else None

    @property
    def rank(self) -> int | None:
        """The rank of the first input (batch included), if known."""
        shape = self.input_shape
        return None if shape is None else len(shape)


def op_node_args(entry: Config) -> tuple[Any, ...] | None:
    """The positional arguments of a Keras 3 op node (tensors numbered as ``Source``s), or
    ``None`` when ``entry`` is a layer.

    A ``.keras`` file names an op's module (``keras.src.ops...``); a legacy ``.h5`` file does not,
    but a layer takes exactly one positional argument (a tensor or a list of them) and an op
    with several is called with them one by one."""
    nodes = entry.get("inbound_nodes") or []
    if len(nodes) != 1 or not isinstance(nodes[0], dict):
        return None
    args = nodes[0].get("args", [])
    module = entry.get("module")
    is_op = module.startswith("keras.src.ops") if isinstance(module, str) else len(args) > 1
    if not is_op or not isinstance(args, list):
        return None
    out: list[Any] = []
    count = 0
    for arg in args:
        if isinstance(arg, dict) and arg.get("class_name") == _KERAS_TENSOR:
            out.append(Source(count))
            count += 1
        else:
            out.append(arg)
    return tuple(out)
