"""Ops TF.js computes wrong in some forms (the ``wrong_kernels`` table), from ops it gets right.

- ``MatrixBandPart(x, lower, upper)`` keeps ``x[..., m, n]`` where ``lower < 0 or m - n <=
  lower`` and ``upper < 0 or n - m <= upper``: the mask is built from two ``Range``s, their
  difference and comparisons, and applied with ``SelectV2``.
- ``GatherV2`` with ``batch_dims=1`` along axis 1: params ``(B, T, ...)`` become ``(B * T, ...)``,
  each batch's indices are offset by ``b * T``, a plain gather along axis 0 picks the rows, and a
  reshape restores the indices' shape. Other forms are declined (the op check then names them).
- ``ReverseV2`` of booleans: reversed as int32 (0 and 1) and cast back.
- ``BitwiseAnd`` of int32 with a constant mask of the sign bit (``x < 0`` picks ``-2^31`` or 0),
  of all bits but the sign (``x - -2^31`` for a negative ``x``) or of the ``k`` low bits
  (``FloorMod(x, 2^k)``, which two's complement makes right for negative ``x`` too). Other masks
  are declined.

Sizes are read at run time, so unknown batch and sequence sizes work.
"""

from __future__ import annotations

from tfjs_build.graph.graph_edit import DType, const_value
from tfjs_build.graph.scope import Builder
from tfjs_build.graph.shape_builder import DT_INT32, ShapeBuilder

DT_BOOL = 10
_INT32 = DType(DT_INT32)


def _range(b: ShapeBuilder, limit: str, step: str | None = None) -> str:
    return b.int_op("Range", [b.ints(0), limit, step or b.ints(1)], {"Tidx": _INT32})


def _within(b: ShapeBuilder, distance: str, bound: str) -> str:
    """``bound < 0 or distance <= bound`` (a negative bound keeps the whole side)."""
    unbounded = b.int_op("Less", [bound, b.ints(0)], {"T": _INT32})
    inside = b.int_op("LessEqual", [distance, bound], {"T": _INT32})
    return b.int_op("LogicalOr", [unbounded, inside], {})


def lower_band_part(r: Builder) -> str | None:
    """``MatrixBandPart`` as a mask from ranges and comparisons."""
    b = ShapeBuilder(r.scope, r.node)
    x, lower, upper = b.data[:3]
    index_type = r.node.attr["Tindex"].type
    shape = b.shape(x)
    rows = b.reshape_int(_range(b, b.part(shape, -2, -2)), [-1, 1])
    columns = _range(b, b.part(shape, -1, -1))
    below = b.int_op("Sub", [rows, columns], {"T": _INT32})  # m - n
    above = b.int_op("Neg", [below], {"T": _INT32})
    keep = b.int_op(
        "LogicalAnd",
        [
            _within(b, below, b.int32(lower, index_type)),
            _within(b, above, b.int32(upper, index_type)),
        ],
        {},
    )
    return b.op("SelectV2", keep, x, b.op("ZerosLike", x))


def lower_batched_gather(r: Builder) -> str | None:
    """``GatherV2`` with ``batch_dims=1`` along axis 1 as a plain gather on flattened params."""
    batch_dims = r.node.attr["batch_dims"].i
    axis_node = r.scope.find(r.data[2])
    if batch_dims != 1 or axis_node is None or axis_node.op != "Const":
        return None
    if int(const_value(axis_node)) != 1:
        return None
    b = ShapeBuilder(r.scope, r.node)
    params, indices = b.data[:2]
    params_type, indices_type = (r.node.attr[k].type for k in ("Tparams", "Tindices"))
    params_shape = b.shape(params, params_type)
    steps = b.part(params_shape, 1, 1)
    rest = b.part(params_shape, 2)
    rows = b.int_op(
        "Reshape",
        [params, b.concat([b.ints([-1]), rest])],
        {"T": DType(params_type), "Tshape": _INT32},
    )
    indices = b.int32(indices, indices_type)
    total = b.int_op("Mul", [b.part(params_shape, 0, 0), steps], {"T": _INT32})
    offsets = b.reshape_int(b.int_op("Range", [b.ints(0), total, steps], {"Tidx": _INT32}), [-1, 1])
    per_batch = b.int_op(
        "Reshape",
        [indices, b.concat([b.part(params_shape, 0, 1), b.ints([-1])])],
        {"T": _INT32, "Tshape": _INT32},
    )
    flat = b.int_op("AddV2", [per_batch, offsets], {"T": _INT32})
    attrs = {"Tparams": DType(params_type), "Tindices": _INT32, "Taxis": _INT32, "batch_dims": 0}
    gathered = b.int_op("GatherV2", [rows, flat, b.ints(0)], attrs)
    return b.int_op(
        "Reshape",
        [gathered, b.concat([b.shape(indices, DT_INT32), rest])],
        {"T": DType(params_type), "Tshape": _INT32},
    )


def lower_bool_reverse(r: Builder) -> str | None:
    """``ReverseV2`` of booleans as a reverse of their int32 casts."""
    if r.node.attr["T"].type != DT_BOOL:
        return None
    b = ShapeBuilder(r.scope, r.node)
    x, axes = b.data[:2]
    as_ints = b.int_op("Cast", [x], {"SrcT": DType(DT_BOOL), "DstT": _INT32, "Truncate": False})
    attrs = {"T": _INT32, "Tidx": DType(r.node.attr["Tidx"].type)}
    reversed_ints = b.int_op("ReverseV2", [as_ints, axes], attrs)
    cast = {"SrcT": _INT32, "DstT": DType(DT_BOOL), "Truncate": False}
    return b.int_op("Cast", [reversed_ints], cast)


_SIGN_BIT = -(2**31)


def lower_masking_and(r: Builder) -> str | None:
    """``BitwiseAnd`` of int32 with a constant sign, magnitude or low-bits mask, by arithmetic."""
    if r.node.attr["T"].type != DT_INT32:
        return None
    b = ShapeBuilder(r.scope, r.node)
    for value_ref, mask_ref in (b.data[:2], b.data[1::-1]):
        mask_node = r.scope.find(mask_ref)
        if mask_node is None or mask_node.op != "Const":
            continue
        mask = const_value(mask_node)
        if mask.size != 1:
            continue
        last = _masked(b, value_ref, int(mask.reshape(-1)[0]))
        if last is not None:
            return last
    return None


def _masked(b: ShapeBuilder, x: str, mask: int) -> str | None:
    typed = {"T": _INT32}
    negative = b.int_op("Less", [x, b.ints(0)], typed)
    if mask == _SIGN_BIT:
        return b.int_op("SelectV2", [negative, b.ints(_SIGN_BIT), b.ints(0)], typed)
    if mask == 2**31 - 1:
        dropped = b.int_op("Sub", [x, b.ints(_SIGN_BIT)], typed)
        return b.int_op("SelectV2", [negative, dropped, x], typed)
    if mask > 0 and mask & (mask + 1) == 0:  # 2^k - 1
        return b.int_op("FloorMod", [x, b.ints(mask + 1)], typed)
    return None


WORKAROUNDS = {
    "MatrixBandPart": lower_band_part,
    "GatherV2": lower_batched_gather,
    "ReverseV2": lower_bool_reverse,
    "BitwiseAnd": lower_masking_and,
}
