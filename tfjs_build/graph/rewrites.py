"""Exact rewrites of ops TF.js lacks into ops it has, and removal of debug ops.

Each rewrite computes the same function with ops TF.js 4.22 executes, e.g. Keras 3's exact GELU
emits ``Erfc`` and ``erfc(x) = 1 - erf(x)``. Debug ops (Assert, CheckNumerics, Print) have no use in
a served model and TF.js does not run all of them: asserts become no-ops, checks pass their input on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tfjs_build.graph.graph_edit import is_control, replace_nodes
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


REWRITES: dict[str, Callable[[Builder], str]] = {
    "Erfc": _erfc,
    "Softsign": _softsign,
    "Xlogy": _xlogy,
    "Xdivy": _xdivy,
}

# Ops TF.js lacks that are another op under a different name (same inputs, same attributes).
RENAMES: dict[str, str] = {"BiasAddV1": "BiasAdd", "Inv": "Reciprocal", "Rint": "Round"}


def _rewrite_batch_matmul_v3(node: Any) -> bool:
    """BatchMatMulV3 with one dtype throughout is BatchMatMulV2."""
    ta, tb, tout = (node.attr[k].type for k in ("Ta", "Tb", "Tout"))
    if not ta == tb == tout:
        return False
    for key in ("Ta", "Tb", "Tout"):
        del node.attr[key]
    node.attr["T"].type = ta
    node.op = "BatchMatMulV2"
    return True


def apply_exact_rewrites(graph_def: Any) -> dict[str, int]:
    """Rewrite every op TF.js lacks that has an exact equivalent; returns counts by op."""
    counts: dict[str, int] = {}
    for scope in all_scopes(graph_def):
        replaced: set[str] = set()
        for node in list(scope.nodes):
            op = node.op
            if op in RENAMES:
                scope.retarget_first_output(node.name, op, RENAMES[op])
                node.op = RENAMES[op]
            elif op == "BatchMatMulV3":
                if not _rewrite_batch_matmul_v3(node):
                    continue
            elif op in REWRITES:
                builder = Builder(scope, node)
                replaced.add(builder.take_over(REWRITES[op](builder)))
            else:
                continue
            counts[op] = counts.get(op, 0) + 1
        if replaced:
            replace_nodes(scope.nodes, [n for n in scope.nodes if n.name not in replaced])
    return counts
