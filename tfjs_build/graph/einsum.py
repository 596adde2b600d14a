"""Rewrite two-operand ``Einsum`` as Transpose, Reshape and ``BatchMatMulV2``.

TF.js's wasm backend has no Einsum kernel, and Keras's MultiHeadAttention and EinsumDense emit
Einsum. Each operand is transposed to (batch, free, contracted) order and reshaped to rank 3, one
batched matmul contracts, and the result is reshaped and transposed to the output's labels. Shapes
are computed at run time, so unknown batch sizes work. Labels that appear in one operand only and
not in the output are summed first. Equations with ``...`` or a label repeated within an operand
(diagonals) are left alone; the op check then reports them for wasm. The rewrite runs where a
target backend lacks Einsum (see ``lowerings``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tfjs_build.graph.graph_edit import DType
from tfjs_build.graph.scope import Builder
from tfjs_build.graph.shape_builder import DT_INT32, ShapeBuilder


@dataclass(frozen=True)
class EinsumPlan:
    """How to compute ``left,right->output`` with one batched matmul."""

    left: str
    right: str
    output: str

    @property
    def batch(self) -> str:
        return "".join(c for c in self.output if c in self.left and c in self.right)

    @property
    def contracted(self) -> str:
        return "".join(c for c in self.left if c in self.right and c not in self.output)

    @property
    def left_free(self) -> str:
        return "".join(c for c in self.output if c in self.left and c not in self.right)

    @property
    def right_free(self) -> str:
        return "".join(c for c in self.output if c in self.right and c not in self.left)


def parse_equation(equation: str) -> EinsumPlan | None:
    """The plan for a supported two-operand equation, or None."""
    equation = equation.replace(" ", "")
    if "..." in equation or "->" not in equation:
        return None
    operands, output = equation.split("->")
    parts = operands.split(",")
    if len(parts) != 2:
        return None
    left, right = parts
    labels_ok = all(len(set(p)) == len(p) and (p.isalpha() or not p) for p in (left, right, output))
    if not labels_ok or any(c not in left + right for c in output):
        return None
    return EinsumPlan(left, right, output)


class _EinsumBuilder(ShapeBuilder):
    """Builder with the reductions the rewrite needs."""

    def sum_out(self, x: str, labels: str, keep: str) -> tuple[str, str]:
        """Sum away the labels of ``labels`` not in ``keep``; return the new tensor and labels."""
        drop = [i for i, c in enumerate(labels) if c not in keep]
        if not drop:
            return x, labels
        summed = self.op(
            "Sum", x, self.ints(drop), attrs={"Tidx": DType(DT_INT32), "keep_dims": False}
        )
        return summed, "".join(c for c in labels if c in keep)


def _rewrite(b: _EinsumBuilder, plan: EinsumPlan) -> str:
    left, right = b.data[:2]
    left, left_labels = b.sum_out(left, plan.left, plan.right + plan.output)
    right, right_labels = b.sum_out(right, plan.right, plan.left + plan.output)
    plan = EinsumPlan(left_labels, right_labels, plan.output)
    batch, contracted, left_free, right_free = (
        plan.batch,
        plan.contracted,
        plan.left_free,
        plan.right_free,
    )
    nb = len(batch)

    a = b.transpose(left, [left_labels.index(c) for c in batch + left_free + contracted])
    a_shape = b.shape(a)
    a_batch = b.dims(a_shape, list(range(nb)))
    a_free_dims = b.dims(a_shape, list(range(nb, nb + len(left_free))))
    m = b.product(a_shape, range(nb, nb + len(left_free)))
    k = b.product(a_shape, range(nb + len(left_free), nb + len(left_free) + len(contracted)))
    a3 = b.reshape(a, b.concat([a_batch, m, k]))

    c = b.transpose(right, [right_labels.index(x) for x in batch + contracted + right_free])
    c_shape = b.shape(c)
    c_batch = b.dims(c_shape, list(range(nb)))
    c_free_dims = b.dims(
        c_shape, range(nb + len(contracted), nb + len(contracted) + len(right_free))
    )
    n = b.product(c_shape, range(nb + len(contracted), nb + len(contracted) + len(right_free)))
    c3 = b.reshape(c, b.concat([c_batch, k, n]))

    product = b.op("BatchMatMulV2", a3, c3, attrs={"adj_x": False, "adj_y": False})
    out_batch = b.dims(b.shape(product), list(range(nb)))
    result = b.reshape(product, b.concat([out_batch, a_free_dims, c_free_dims]))
    current = batch + left_free + right_free
    return b.transpose(result, [current.index(x) for x in plan.output])


def lower_einsum(b: Builder) -> str | None:
    """The batched-matmul form of a supported two-operand Einsum, or None."""
    plan = parse_equation(b.node.attr["equation"].s.decode())
    if plan is None or b.node.attr["N"].i != 2:
        return None
    builder = _EinsumBuilder(b.scope, b.node)
    last = _rewrite(builder, plan)
    if last in builder.data:  # the equation is a plain copy: keep the node's name with an Identity
        last = builder.op("Identity", last)
    return last
