"""From a frozen graph to a checked TF.js graph-model artifact, one pass after another.

1. prepare: inline calls freezing left, float16 to float32 (mixed precision models), rewrite
   grouped convolutions (``inline``, ``half_precision``, ``grouped_conv``)
2. Grappler: channels-first layouts to channels-last, debug stripping, constant folding,
   arithmetic, dependencies, remapper (``grappler``)
3. TF.js passes: strip debug ops left in functions, keep or split fused ops per backend, lower
   every node a target backend cannot run (``lowerings``), table lookups by vector, move
   residual blocks' shifts next to their convolutions (``residual_shift``), fuse contraction
   chains, zero pads into convolutions (``pad_folding``), cancel transposes, loop results
4. name inputs and outputs by signature key, prune, refuse captured resources, op check, export
   with a ``modelInitializer`` that fills the lookup tables left (``tables``)
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tfjs_build.artifact.model import Artifact
from tfjs_build.backends import DEFAULT_TARGET_BACKENDS
from tfjs_build.graph.contraction_fusion import fuse_contractions
from tfjs_build.graph.export import build_artifact
from tfjs_build.graph.freeze import FrozenGraph
from tfjs_build.graph.function_outputs import return_tensors_directly
from tfjs_build.graph.fusion import apply_fusion_policy, check_backends
from tfjs_build.graph.graph_edit import prune
from tfjs_build.graph.grappler import run_grappler
from tfjs_build.graph.grouped_conv import rewrite_grouped_convolutions
from tfjs_build.graph.half_precision import widen_bindings, widen_half_precision
from tfjs_build.graph.inline import inline_function_calls
from tfjs_build.graph.layout import cancel_transposes
from tfjs_build.graph.lowerings import lower_unsupported
from tfjs_build.graph.op_check import check_ops as check_graph_ops
from tfjs_build.graph.pad_folding import fold_pads
from tfjs_build.graph.residual_shift import regroup_residual_shifts
from tfjs_build.graph.rewrites import strip_debug_ops
from tfjs_build.graph.signature import (
    check_no_captured_inputs,
    name_inputs,
    name_outputs,
    tfjs_signature,
)
from tfjs_build.graph.tables import flatten_lookups, initializer_graph
from tfjs_build.options import Origin
from tfjs_build.tfjs_versions import PINNED


def count_nodes(graph_def: Any) -> int:
    """Nodes of the graph and of every function body."""
    return len(graph_def.node) + sum(len(f.node_def) for f in graph_def.library.function)


@dataclass
class ConversionReport:
    """What the optimization did, for benchmarks and the build log."""

    nodes_before: int = 0
    nodes_after: int = 0
    fused_kept: int = 0
    fused_split: int = 0
    fused_added: int = 0
    calls_inlined: int = 0
    rewrites: dict[str, int] = field(default_factory=dict)
    debug_ops_stripped: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds per phase: load, freeze, prepare, grappler, tfjs_passes, export."""

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started


def optimize_for_tfjs(
    frozen: FrozenGraph,
    backends: Sequence[str],
    report: ConversionReport,
    tfjs_version: str = PINNED,
) -> Any:
    """Grappler, then the TF.js passes; returns the new GraphDef (signature names not yet set)."""
    report.nodes_before = count_nodes(frozen.graph_def)
    with report.timed("prepare"):
        report.calls_inlined = inline_function_calls(frozen.graph_def)
        widened = widen_half_precision(frozen.graph_def)
        widen_bindings(frozen)
        grouped = rewrite_grouped_convolutions(frozen.graph_def)
    with report.timed("grappler"):
        graph_def = run_grappler(frozen)
    with report.timed("tfjs_passes"):
        _tfjs_passes(graph_def, frozen, backends, report, tfjs_version)
    if grouped:
        report.rewrites["grouped Conv2D"] = grouped
    if widened:
        report.rewrites["float16 to float32"] = widened
    return graph_def


def _tfjs_passes(
    graph_def: Any,
    frozen: FrozenGraph,
    backends: Sequence[str],
    report: ConversionReport,
    tfjs_version: str,
) -> None:
    """The passes that make Grappler's output run on every target TF.js backend."""
    report.debug_ops_stripped = strip_debug_ops(graph_def)
    fusion = apply_fusion_policy(graph_def, backends)
    report.fused_kept, report.fused_split = fusion["kept"], fusion["split"]
    report.rewrites = lower_unsupported(graph_def, backends, tfjs_version)
    lookups = flatten_lookups(graph_def)
    if lookups:
        report.rewrites["LookupTableFindV2 by vector"] = lookups
    protected = {b.node for b in frozen.inputs} | {b.node for b in frozen.outputs}
    regrouped = regroup_residual_shifts(graph_def, protected)
    if regrouped:
        report.rewrites["residual shift next to its convolution"] = regrouped
    report.fused_added = fuse_contractions(graph_def, backends, protected)
    pads = fold_pads(graph_def, protected)
    if pads:
        report.rewrites["Pad into the convolution's padding"] = pads
    cancel_transposes(graph_def)
    return_tensors_directly(graph_def)


def frozen_to_artifact(
    frozen: FrozenGraph,
    *,
    backends: Sequence[str] = DEFAULT_TARGET_BACKENDS,
    check_ops: bool = True,
    generated_by: str,
    report: ConversionReport | None = None,
    origin: Origin = "python",
    tfjs_version: str = PINNED,
) -> Artifact:
    """Optimize ``frozen`` for TF.js ``tfjs_version``, name its inputs/outputs by key, check its
    ops, export it."""
    backends = check_backends(backends)
    report = report if report is not None else ConversionReport()
    graph_def = optimize_for_tfjs(frozen, backends, report, tfjs_version)
    inputs = name_inputs(graph_def, frozen.inputs)
    outputs = name_outputs(graph_def, frozen.outputs, [b.node for b in inputs])
    prune(graph_def, [b.node for b in inputs] + [b.node for b in outputs])
    check_no_captured_inputs(graph_def, inputs, frozen.source)
    report.nodes_after = count_nodes(graph_def)
    if check_ops:
        check_graph_ops(graph_def, backends, frozen.source, origin, tfjs_version)
    with report.timed("export"):
        return build_artifact(
            graph_def,
            tfjs_signature(inputs, outputs),
            generated_by=generated_by,
            initializer=initializer_graph(graph_def, frozen.tables),
        )
