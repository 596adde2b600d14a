"""Einsum, which TF.js's wasm backend lacks, rewritten as matmuls; equal to TensorFlow in TF.js."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph import convert_saved_model
from tfjs_build.graph.einsum import parse_equation

EQUATIONS = {
    "dense": ("abc,cd->abd", (None, 5, 4), (4, 3)),
    "scores": ("aecd,abcd->acbe", (None, 6, 2, 4), (None, 5, 2, 4)),
    "mix": ("acbe,aecd->abcd", (None, 2, 5, 6), (None, 6, 2, 4)),
    "rowdot": ("ij,ij->i", (None, 4), (None, 4)),
    "outer": ("bi,bj->bij", (None, 3), (None, 2)),
    "total": ("ij,ij->", (3, 4), (3, 4)),
    "summed": ("ijk,jl->il", (2, 3, 4), (3, 5)),
}


@pytest.fixture(scope="session")
def einsum_case(model_dir: Path) -> Case:
    import tensorflow as tf

    rng = np.random.default_rng(3)
    specs = []
    for key, (_, left, right) in EQUATIONS.items():
        specs += [
            tf.TensorSpec(left, tf.float32, name=f"{key}_a"),
            tf.TensorSpec(right, tf.float32, name=f"{key}_b"),
        ]

    class Einsums(tf.Module):
        @tf.function(input_signature=specs)
        def __call__(self, *tensors: tf.Tensor) -> dict[str, tf.Tensor]:
            return {
                key: tf.einsum(equation, tensors[2 * i], tensors[2 * i + 1])
                for i, (key, (equation, _, _)) in enumerate(EQUATIONS.items())
            }

    module = Einsums()
    path = model_dir / "einsum"
    tf.saved_model.save(module, str(path), signatures=module.__call__)
    inputs = {}
    for key, (_, left, right) in EQUATIONS.items():
        inputs[f"{key}_a"] = rng.normal(size=[2 if d is None else d for d in left]).astype(
            "float32"
        )
        inputs[f"{key}_b"] = rng.normal(size=[2 if d is None else d for d in right]).astype(
            "float32"
        )
    function = tf.saved_model.load(str(path)).signatures["serving_default"]
    expected = {
        k: v.numpy() for k, v in function(**{k: tf.constant(v) for k, v in inputs.items()}).items()
    }
    return Case(path, inputs, expected)


def test_einsums_run_on_wasm_and_cpu_like_tensorflow(einsum_case: Case, tmp_path: Path) -> None:
    artifact = convert_saved_model(einsum_case.path)
    assert not any(node["op"] == "Einsum" for node in artifact.topology["node"])
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"), einsum_case.inputs, einsum_case.expected
    )


def test_einsum_is_kept_when_wasm_is_not_a_target(einsum_case: Case) -> None:
    artifact = convert_saved_model(einsum_case.path, backends=("cpu", "webgl"))
    assert sum(node["op"] == "Einsum" for node in artifact.topology["node"]) == len(EQUATIONS)


def test_unsupported_equations_are_left_for_the_op_check(tmp_path: Path) -> None:
    import tensorflow as tf

    class Diagonal(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([3, 3], tf.float32, name="m"),
                tf.TensorSpec([3], tf.float32, name="v"),
            ]
        )
        def __call__(self, m: tf.Tensor, v: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"d": tf.einsum("ii,i->i", m, v)}

    module = Diagonal()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures=module.__call__)
    with pytest.raises(UnsupportedModelError, match=r"Einsum on wasm \(node"):
        convert_saved_model(tmp_path / "sm")


@pytest.mark.parametrize("equation", ["...ij,jk->...ik", "ii,i->i", "ab,bc,cd->ad", "ab,bc"])
def test_parse_rejects_what_the_rewrite_cannot_do(equation: str) -> None:
    assert parse_equation(equation) is None
