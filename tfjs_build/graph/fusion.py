"""Keep only the fused ops every target TF.js backend executes; split the others back apart.

TF.js 4.22 runs ``_FusedConv2D``, ``FusedDepthwiseConv2dNative`` and ``_FusedMatMul`` with a bias
add and at most one activation, and its cpu, wasm and webgl backends implement the same
activations: relu, relu6, elu, leakyrelu, sigmoid (and prelu, which TensorFlow never fuses). wasm
also needs NHWC convolutions and float32 matmuls. TensorFlow's remapper fuses more (tanh, GELU, a
residual add, batch norms, oneDNN's hard swish and swish): each such node is expanded into plain
ops with the same arithmetic. Other oneDNN and Grappler products are lowered by ``products``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph.graph_edit import DType, const_value, replace_nodes
from tfjs_build.graph.scope import Builder, Scope, all_scopes, attr_names

# Fused activations each TF.js 4.22 backend implements (TensorFlow op names), read from
# tfjs-backend-cpu utils/fused_utils, tfjs-backend-wasm kernels/types (FusableActivation) and
# tfjs-backend-webgl kernel_utils/kernel_funcs_utils.
FUSED_ACTIVATIONS: dict[str, frozenset[str]] = {
    "cpu": frozenset({"Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid"}),
    "wasm": frozenset({"Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid"}),
    "webgl": frozenset({"Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid"}),
}
BACKENDS: tuple[str, ...] = tuple(FUSED_ACTIVATIONS)

# TensorFlow's fused contraction -> (plain op, the name TF.js knows the fused op by, or None).
CONTRACTIONS: dict[str, tuple[str, str | None]] = {
    "_FusedConv2D": ("Conv2D", "_FusedConv2D"),
    "_FusedDepthwiseConv2dNative": ("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"),
    "FusedDepthwiseConv2dNative": ("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"),
    "_FusedMatMul": ("MatMul", "_FusedMatMul"),
    "_FusedBatchMatMulV2": ("BatchMatMulV2", None),
    "_FusedConv3D": ("Conv3D", None),
}
DT_FLOAT = 1  # types_pb2.DT_FLOAT
UNARY_ACTIVATIONS = frozenset({"Relu", "Relu6", "Elu", "Tanh", "Sigmoid", "Softplus", "Selu"})


def check_backends(backends: Sequence[str]) -> tuple[str, ...]:
    unknown = [b for b in backends if b not in FUSED_ACTIVATIONS]
    if unknown or not backends:
        raise UnsupportedModelError(
            f"unknown TF.js backend(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(BACKENDS)}"
        )
    return tuple(dict.fromkeys(backends))


def common_activations(backends: Sequence[str]) -> frozenset[str]:
    sets = [FUSED_ACTIVATIONS[b] for b in check_backends(backends)]
    return frozenset.intersection(*sets)


def _fused_ops(node: Any) -> list[str]:
    return [op.decode() for op in node.attr["fused_ops"].list.s]


def _rank_one_bias(scope: Scope, node: Any) -> bool:
    """Make a constant bias of shape [1, ..., 1, C] a [C] vector; whether the bias is rank 1.

    oneDNN builds fuse ``Add(conv, const[1, 1, 1, C])`` as a bias; wasm's fused kernels take
    only rank-1 biases. A bias that is not a constant counts as rank 1 only for a real BiasAdd.
    """
    data = [r for r in node.input if not r.startswith("^")]
    if len(data) < 3:
        return False
    bias_node = scope.find(data[2])
    if bias_node is None or bias_node.op != "Const":
        return scope.function is not None  # loop-body weights arrive as arguments
    value = const_value(bias_node)
    if value.ndim == 1:
        return True
    if value.ndim == 0 or any(d != 1 for d in value.shape[:-1]):
        return False
    builder = Builder(scope, node)
    position = list(node.input).index(data[2])
    node.input[position] = scope.ref(builder.const(value.reshape(-1)))
    return True


def _keeps_fusion(scope: Scope, node: Any, backends: Sequence[str]) -> bool:
    """Whether every backend in ``backends`` executes ``node`` as TF.js would map it."""
    plain, tfjs_name = CONTRACTIONS[node.op]
    fused = _fused_ops(node)
    if tfjs_name is None or not fused or fused[0] != "BiasAdd" or len(fused) > 2:
        return False
    if not _rank_one_bias(scope, node):
        return False
    if len(fused) == 2 and fused[1] not in common_activations(backends):
        return False
    host_args = node.attr["num_host_args"].i if "num_host_args" in node.attr else 0
    if node.attr["num_args"].i != 1 or host_args != 0:
        return False
    if node.attr["T"].type != DT_FLOAT:
        return False  # wasm's fused kernels are float32 only
    channels_last = plain == "MatMul" or node.attr["data_format"].s in (b"", b"NHWC")
    return channels_last or "wasm" not in backends


def _gelu_exact(e: Builder, x: str) -> str:
    inner = e.op("Mul", x, e.scalar(1.0 / math.sqrt(2.0)))
    one_plus = e.op("AddV2", e.scalar(1.0), e.op("Erf", inner))
    return e.op("Mul", e.op("Mul", e.scalar(0.5), x), one_plus)


def _gelu_tanh(e: Builder, x: str) -> str:
    cube = e.op("Mul", e.op("Mul", x, x), x)
    inner = e.op("AddV2", x, e.op("Mul", e.scalar(0.044715), cube))
    tanh = e.op("Tanh", e.op("Mul", e.scalar(math.sqrt(2.0 / math.pi)), inner))
    return e.op("Mul", e.op("Mul", e.scalar(0.5), x), e.op("AddV2", e.scalar(1.0), tanh))


def _hard_swish(e: Builder, x: str) -> str:
    relu6 = e.op("Relu6", e.op("AddV2", x, e.scalar(3.0)))
    return e.op("Mul", e.op("Mul", x, relu6), e.scalar(1.0 / 6.0))


def _swish(e: Builder, x: str) -> str:
    return e.op("Mul", x, e.op("Sigmoid", x))


def _mish(e: Builder, x: str) -> str:
    return e.op("Mul", x, e.op("Tanh", e.op("Softplus", x)))


ACTIVATION_EXPANSIONS: dict[str, Callable[[Builder, str], str]] = {
    "GeluExact": _gelu_exact,
    "GeluApproximate": _gelu_tanh,
    "_FusedHardSwish": _hard_swish,
    "_FusedSwish": _swish,
    "_MklSwish": _swish,
    "Swish": _swish,
    "Mish": _mish,
}


def _expand_contraction(e: Builder) -> str:
    """Emit the plain ops of a fused contraction; return a reference to the last one."""
    node = e.node
    plain, _ = CONTRACTIONS[node.op]
    data = e.data
    allowed = attr_names(plain) or set()
    attrs = {k: v for k, v in node.attr.items() if k in allowed and k != "T"}
    x = e.scope.ref(e.emit(plain, data[:2] + e.controls, attrs))
    args = data[2 : 2 + node.attr["num_args"].i]
    data_format = node.attr["data_format"].s if "data_format" in node.attr else b""
    for fused in _fused_ops(node):
        x, args = _apply_stage(e, fused, x, args, data_format)
    return x


def _batch_norm_stage(e: Builder, x: str, args: list[str], data_format: bytes) -> str:
    """Inference batch norm: a per-channel Mul and Add when its statistics are constants (the
    contraction fusion then folds them into the filter and bias), else FusedBatchNormV3."""
    epsilon = float(e.node.attr["epsilon"].f)
    consts = [e.scope.find(a) for a in args[:4]]
    if data_format in (b"", b"NHWC") and all(c is not None and c.op == "Const" for c in consts):
        scale, offset, mean, variance = (const_value(c).astype(np.float32) for c in consts)
        factor = (scale / np.sqrt(variance + np.float32(epsilon))).astype(np.float32)
        shift = (offset - mean * factor).astype(np.float32)
        scaled = e.op("Mul", x, e.scope.ref(e.const(factor)))
        return e.op("AddV2", scaled, e.scope.ref(e.const(shift)))
    attrs = {
        "U": DType(DT_FLOAT),
        "epsilon": epsilon,
        "data_format": data_format or b"NHWC",
        "is_training": False,
    }
    return e.scope.ref(e.emit("FusedBatchNormV3", [x, *args[:4]], attrs))


def _apply_stage(
    e: Builder, fused: str, x: str, args: list[str], data_format: bytes
) -> tuple[str, list[str]]:
    node = e.node
    if fused == "BiasAdd":
        bias = e.scope.find(args[0])
        if bias is not None and bias.op == "Const" and const_value(bias).ndim != 1:
            return e.op("AddV2", x, args[0]), args[1:]  # a oneDNN "bias" that broadcasts
        extra = {"data_format": data_format} if data_format else {}
        return e.op("BiasAdd", x, args[0], attrs=extra), args[1:]
    if fused in ("Add", "AddV2"):
        return e.op("AddV2", x, args[0]), args[1:]
    if fused == "FusedBatchNorm":
        return _batch_norm_stage(e, x, args, data_format), args[4:]
    if fused == "LeakyRelu":
        return e.op("LeakyRelu", x, attrs={"alpha": float(node.attr["leakyrelu_alpha"].f)}), args
    if fused in UNARY_ACTIVATIONS:
        return e.op(fused, x), args
    if fused in ACTIVATION_EXPANSIONS:
        return ACTIVATION_EXPANSIONS[fused](e, x), args
    raise UnsupportedModelError(
        f"node {node.name!r} ({node.op}) fuses {fused!r}, which tfjs-build cannot split for TF.js; "
        "please report this model"
    )


def apply_fusion_policy(graph_def: Any, backends: Sequence[str]) -> dict[str, int]:
    """Split fused nodes some target backend cannot run; rename the rest to TF.js's names.

    Returns counts: ``kept`` fused nodes and ``split`` ones.
    """
    check_backends(backends)
    stats = {"kept": 0, "split": 0}
    for scope in all_scopes(graph_def):
        doomed: set[str] = set()
        for node in list(scope.nodes):
            if node.op not in CONTRACTIONS:
                continue
            if _keeps_fusion(scope, node, backends):
                node.op = CONTRACTIONS[node.op][1] or node.op
                stats["kept"] += 1
                continue
            builder = Builder(scope, node)
            doomed.add(builder.take_over(_expand_contraction(builder)))
            stats["split"] += 1
        if doomed:
            replace_nodes(scope.nodes, [n for n in scope.nodes if n.name not in doomed])
    return stats
