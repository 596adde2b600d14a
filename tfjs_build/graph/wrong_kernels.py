"""TF.js kernels known to compute wrong numbers, per TF.js version and backend.

The op table (``op_check``) says what TF.js *has*; this table says where what it has is wrong.
Each entry names the op and the form that goes wrong, the TF.js versions and backends it goes
wrong on (``None``: every backend, when the fault is in the converter rather than a kernel), what
TF.js computes, what tfjs-build does instead (a lowering registered in ``lowerings.LOWERINGS``,
applied only when a target backend is affected) and the test that shows the wrong numbers in real
TF.js. A node in a wrong form on a target backend is an op-check problem like a missing kernel: it
is lowered if it can be, and named otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

NodeTest = Callable[[Any], bool]


def _always(node: Any) -> bool:
    return True


def _batched(node: Any) -> bool:
    return "batch_dims" in node.attr and node.attr["batch_dims"].i != 0


def _boolean(node: Any) -> bool:
    return "T" in node.attr and node.attr["T"].type == 10  # DT_BOOL


@dataclass(frozen=True)
class WrongKernel:
    """One op TF.js computes wrong (see the module docstring)."""

    op: str
    form: str
    tfjs_versions: frozenset[str]
    backends: frozenset[str] | None
    wrong: str
    instead: str
    proof: str
    applies: NodeTest = _always

    def affects(self, node: Any, backend: str, version: str) -> bool:
        """Whether ``node`` goes wrong on ``backend`` of TF.js ``version``."""
        return (
            node.op == self.op
            and version in self.tfjs_versions
            and (self.backends is None or backend in self.backends)
            and self.applies(node)
        )


TFJS_4_22 = frozenset({"4.22.0"})
PROOF = "tests/graph/test_wrong_kernels.py::test_tfjs_computes_the_wrong_numbers"
"""The test that runs each entry's node, unlowered, on each of its backends."""

WRONG_KERNELS: tuple[WrongKernel, ...] = (
    WrongKernel(
        op="MatrixBandPart",
        form="MatrixBandPart",
        tfjs_versions=TFJS_4_22,
        backends=None,
        wrong=(
            "the converter's op table reads num_upper from input 1, so both bounds are "
            "num_lower: band_part(ones, -1, 0), a causal mask, comes out all ones"
        ),
        instead="a mask from Range, Sub and comparisons, applied with SelectV2",
        proof=PROOF,
    ),
    WrongKernel(
        op="GatherV2",
        form="GatherV2 with batch_dims",
        tfjs_versions=TFJS_4_22,
        backends=frozenset({"wasm"}),
        wrong=(
            "the wasm kernel reads the first batch's rows right and the others' from the wrong "
            "memory: garbage, or an abort (memory access out of bounds), as in DeBERTa's "
            "disentangled attention (take_along_axis)"
        ),
        instead=(
            "batch_dims=1 along axis 1: a plain GatherV2 on params reshaped to (batch * steps, "
            "...) with each batch's indices offset; other forms are refused for wasm"
        ),
        proof=PROOF,
        applies=_batched,
    ),
    WrongKernel(
        op="ReverseV2",
        form="ReverseV2 of bool",
        tfjs_versions=TFJS_4_22,
        backends=frozenset({"wasm"}),
        wrong=(
            "the wasm kernel is given no dtype and copies 4-byte elements, so it reads past a "
            "boolean tensor's bytes and aborts (memory access out of bounds); the backward "
            "direction of an RNN over a masked sequence reverses its mask"
        ),
        instead="the booleans cast to int32, reversed, and cast back",
        proof=PROOF,
        applies=_boolean,
    ),
    WrongKernel(
        op="BitwiseAnd",
        form="BitwiseAnd",
        tfjs_versions=TFJS_4_22,
        backends=None,
        wrong=(
            "the converter's op table names the inputs x and y and its executor reads a and b, "
            "so every BitwiseAnd fails (Argument 'x' passed to 'bitwiseAnd' must be a Tensor "
            "... got 'null')"
        ),
        instead=(
            "int32 with a constant mask of the sign bit, of all bits but the sign, or of the k "
            "low bits: a comparison and a select, a subtraction, or FloorMod by 2^k; other "
            "masks are refused"
        ),
        proof=PROOF,
    ),
)


def wrong_kernel_problems(
    node: Any, backends: Sequence[str], version: str, table: Sequence[WrongKernel] = WRONG_KERNELS
) -> list[str]:
    """``<form> (wrong in TF.js <version>) on <backend>`` for each target backend ``node`` goes
    wrong on."""
    return [
        f"{entry.form} (wrong in TF.js {version}) on {backend}"
        for entry in table
        for backend in backends
        if entry.affects(node, backend, version)
    ]
