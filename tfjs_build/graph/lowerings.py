"""Lower each node a target TF.js backend cannot run into nodes it can, by registered decompositions.

Every node the op check would refuse (``op_check.node_problems``: an op TF.js lacks, a kernel a
target backend lacks, an attribute TF.js ignores or a backend refuses) is replaced by the
decomposition registered for its op, if there is one: Grappler's and oneDNN's products
(``products``), exact rewrites (``rewrites``), batch norms (``batch_norm``), Einsum (``einsum``)
channels-first layouts (``layout``) and the forms TF.js computes wrong (``kernel_workarounds``, for
the ``wrong_kernels`` table). A decomposition may emit nodes that need lowering in
turn (a ``_UnaryOpsComposition`` holding ``Softsign``), so passes repeat until none changes
anything. A node without a lowering, or whose lowering declines its form, is left for the op
check to name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tfjs_build.graph.batch_norm import BATCH_NORM_OPS, lower_batch_norm
from tfjs_build.graph.bitcast import lower_bitcast
from tfjs_build.graph.einsum import lower_einsum
from tfjs_build.graph.graph_edit import replace_nodes
from tfjs_build.graph.kernel_workarounds import WORKAROUNDS
from tfjs_build.graph.layout import CHANNELS_FIRST_OPS, channels_last
from tfjs_build.graph.op_check import OpTable, load_op_table, node_problems
from tfjs_build.graph.products import PRODUCTS
from tfjs_build.graph.rewrites import REWRITES
from tfjs_build.graph.scope import Builder, all_scopes
from tfjs_build.tfjs_versions import PINNED

Lowering = Callable[[Builder], "str | None"]
"""Emits a node's replacement and returns a reference to its last node, or returns None before
emitting anything for a form it does not handle."""

LOWERINGS: dict[str, Lowering] = {
    **PRODUCTS,
    **REWRITES,
    **dict.fromkeys(BATCH_NORM_OPS, lower_batch_norm),
    **dict.fromkeys(CHANNELS_FIRST_OPS, channels_last),
    "Einsum": lower_einsum,
    **WORKAROUNDS,
    "Bitcast": lower_bitcast,
}
MAX_PASSES = 8


def _lower_pass(
    graph_def: Any, backends: Sequence[str], table: OpTable, counts: dict[str, int]
) -> int:
    lowered = 0
    for scope in all_scopes(graph_def):
        replaced: set[str] = set()
        for node in list(scope.nodes):
            lowering = LOWERINGS.get(node.op)
            if lowering is None or not node_problems(node, backends, table):
                continue
            op, builder = node.op, Builder(scope, node, backends)
            last = lowering(builder)
            if last is None:
                continue
            replaced.add(builder.take_over(last))
            counts[op] = counts.get(op, 0) + 1
            lowered += 1
        if replaced:
            replace_nodes(scope.nodes, [n for n in scope.nodes if n.name not in replaced])
    return lowered


def lower_unsupported(
    graph_def: Any, backends: Sequence[str], tfjs_version: str = PINNED
) -> dict[str, int]:
    """Lower every node some backend in ``backends`` cannot run in TF.js ``tfjs_version`` and
    that has a lowering; returns how many nodes of each op were lowered."""
    table = load_op_table(tfjs_version)
    counts: dict[str, int] = {}
    for _ in range(MAX_PASSES):
        if not _lower_pass(graph_def, backends, table, counts):
            break
    return counts
