"""Emitting int32 shape arithmetic (shapes, their entries, products, concatenations, reshapes)
for rewrites whose sizes are known only at run time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tfjs_build.graph.graph_edit import DType
from tfjs_build.graph.scope import Builder

DT_INT32 = 3


class ShapeBuilder(Builder):
    """A ``Builder`` with int32 shape arithmetic computed at run time (unknown sizes work)."""

    def int_op(self, op: str, inputs: Sequence[str], attrs: dict[str, Any]) -> str:
        return self.scope.ref(self.emit(op, inputs, attrs, typed=False))

    def transpose(self, x: str, perm: list[int]) -> str:
        if perm == sorted(perm):
            return x
        return self.op("Transpose", x, self.ints(perm), attrs={"Tperm": DType(DT_INT32)})

    def shape(self, x: str, dtype: int | None = None) -> str:
        """The shape of ``x`` (of the node's dtype unless ``dtype`` says otherwise)."""
        of = self.dtype if dtype is None else dtype
        return self.int_op("Shape", [x], {"T": DType(of), "out_type": DType(DT_INT32)})

    def dims(self, shape: str, indices: Sequence[int]) -> str:
        """The sizes at ``indices`` of a shape vector, or '' for none."""
        int32 = DType(DT_INT32)
        attrs = {"Tparams": int32, "Tindices": int32, "Taxis": int32, "batch_dims": 0}
        return (
            self.int_op("GatherV2", [shape, self.ints(list(indices)), self.ints(0)], attrs)
            if indices
            else ""
        )

    def part(self, shape: str, begin: int, end: int | None = None) -> str:
        """The entries ``begin:end`` of a shape vector (negative counts from the end; ``end``
        ``None``: to the end), or the one entry ``begin`` as a scalar when ``end`` is ``begin``."""
        one = end == begin
        stop = begin + 1 if one else (end or 0)
        attrs = {
            "T": DType(DT_INT32),
            "Index": DType(DT_INT32),
            "begin_mask": 0,
            "end_mask": 1 if end is None or (one and stop == 0) else 0,
            "ellipsis_mask": 0,
            "new_axis_mask": 0,
            "shrink_axis_mask": 1 if one else 0,
        }
        inputs = [shape, self.ints([begin]), self.ints([stop]), self.ints([1])]
        return self.int_op("StridedSlice", inputs, attrs)

    def int32(self, x: str, dtype: int) -> str:
        """``x`` (of ``dtype``) as int32."""
        if dtype == DT_INT32:
            return x
        attrs = {"SrcT": DType(dtype), "DstT": DType(DT_INT32), "Truncate": False}
        return self.int_op("Cast", [x], attrs)

    def product(self, shape: str, indices: Sequence[int]) -> str:
        if not indices:
            return self.ints([1])
        gathered = self.dims(shape, indices)
        return self.int_op(
            "Prod",
            [gathered, self.ints([0])],
            {"T": DType(DT_INT32), "Tidx": DType(DT_INT32), "keep_dims": True},
        )

    def concat(self, parts: Sequence[str]) -> str:
        parts = [p for p in parts if p]
        if not parts:
            return self.ints([])
        if len(parts) == 1:
            return parts[0]
        return self.int_op(
            "ConcatV2",
            [*parts, self.ints(0)],
            {"T": DType(DT_INT32), "N": len(parts), "Tidx": DType(DT_INT32)},
        )

    def reshape_int(self, x: str, shape: list[int]) -> str:
        """An int32 ``x`` reshaped to the constant ``shape``."""
        return self.int_op(
            "Reshape", [x, self.ints(shape)], {"T": DType(DT_INT32), "Tshape": DType(DT_INT32)}
        )

    def reshape(self, x: str, shape: str) -> str:
        return self.op("Reshape", x, shape, attrs={"Tshape": DType(DT_INT32)})
