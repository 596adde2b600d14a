"""Exact rewrites of ops TF.js lacks into ops it has, and removal of debug ops.

Each rewrite computes the same function with ops TF.js 4.22 executes, e.g. Keras 3's exact GELU
emits ``Erfc`` and ``erfc(x) = 1 - erf(x)``; ``lowerings`` applies them. Debug ops (Assert, CheckNumerics, Print) have no use in
a served model and TF.js does not run all of them: asserts become no-ops, checks pass their input on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tfjs_build.graph.graph_edit import DType, const_value, is_control
from tfjs_build.graph.scope import Builder, all_scopes

DEBUG_SIDE_EFFECTS = frozenset({"Assert", "PrintV2"})
DEBUG_PASS_THROUGH = frozenset(
    {"CheckNumerics", "CheckNumericsV2", "Print", "DebugIdentity", "DebugIdentityV2"}
)


def strip_debug_ops(graph_def: Any) -> int:
    """Turn asserts and prints into no-ops and checks into identities; returns how many."""
    changed = 0
    for scope in all_scopes(graph_def):
        for node in scope.nodes:
            if node.op in DEBUG_SIDE_EFFECTS:
                controls = [r for r in node.input if is_control(r)]
                del node.input[:]
                node.input.extend(controls)
                node.attr.clear()
                node.op = "NoOp"
                changed += 1
            elif node.op in DEBUG_PASS_THROUGH:
                data = [r for r in node.input if not is_control(r)]
                controls = [r for r in node.input if is_control(r)]
                dtype = node.attr["T"].type
                old_op = node.op
                del node.input[:]
                node.input.extend(data[:1] + controls)
                node.attr.clear()
                node.attr["T"].type = dtype
                node.op = "Identity"
                scope.retarget_first_output(node.name, old_op, "Identity")
                changed += 1
    return changed


def _erfc(r: Builder) -> str:
    return r.op("Sub", r.scalar(1.0), r.op("Erf", r.data[0]))


def _softsign(r: Builder) -> str:
    x = r.data[0]
    return r.op("RealDiv", x, r.op("AddV2", r.scalar(1.0), r.op("Abs", x)))


def _xlogy(r: Builder) -> str:
    x, y = r.data[:2]
    return _zero_where_x_is_zero(r, x, r.op("Mul", x, r.op("Log", y)))


def _xdivy(r: Builder) -> str:
    x, y = r.data[:2]
    return _zero_where_x_is_zero(r, x, r.op("RealDiv", x, y))


def _zero_where_x_is_zero(r: Builder, x: str, value: str) -> str:
    is_zero = r.op("Equal", x, r.scalar(0.0), attrs={"incompatible_shape_error": True})
    return r.op("SelectV2", is_zero, r.op("ZerosLike", value), value)


def _renamed(op: str) -> Callable[[Builder], str]:
    """The node as ``op``, which TF.js has under that name: same inputs, same attributes."""

    def lower(r: Builder) -> str:
        return r.scope.ref(r.emit(op, r.data, dict(r.node.attr), typed=False))

    return lower


def _batch_matmul_v3(r: Builder) -> str | None:
    """BatchMatMulV3 with one dtype throughout is BatchMatMulV2."""
    ta, tb, tout = (r.node.attr[k].type for k in ("Ta", "Tb", "Tout"))
    if not ta == tb == tout:
        return None
    attrs: dict[str, Any] = {k: r.node.attr[k] for k in ("adj_x", "adj_y") if k in r.node.attr}
    attrs["T"] = DType(ta)
    return r.op("BatchMatMulV2", *r.data[:2], attrs=attrs)


ASCII_WHITESPACE = b" \t\n\v\f\r"


def _string_split_v2(r: Builder) -> str | None:
    """StringSplitV2 on runs of whitespace (an empty constant separator, no split limit) as
    StringSplit at each ASCII whitespace character, empty tokens dropped. (With a separator the
    two differ: StringSplitV2 turns an empty string into one empty token, StringSplit into none.)"""
    separator = r.scope.find(r.data[1])
    if separator is None or separator.op != "Const" or r.node.attr["maxsplit"].i != -1:
        return None
    if bytes(const_value(separator).item()) != b"":
        return None
    delimiter = r.scope.ref(r.const(np.array(ASCII_WHITESPACE, dtype=object)))
    return r.scope.ref(
        r.emit("StringSplit", [r.data[0], delimiter], {"skip_empty": True}, typed=False)
    )


REWRITES: dict[str, Callable[[Builder], str | None]] = {
    "Erfc": _erfc,
    "Softsign": _softsign,
    "Xlogy": _xlogy,
    "Xdivy": _xdivy,
    "BatchMatMulV3": _batch_matmul_v3,
    "StringSplitV2": _string_split_v2,
    # Ops TF.js has under another name (same inputs, same attributes).
    "BiasAddV1": _renamed("BiasAdd"),
    "Inv": _renamed("Reciprocal"),
    "Rint": _renamed("Round"),
}
