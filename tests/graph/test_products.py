"""Ops only Grappler and oneDNN know never reach an artifact: Grappler is configured not to make
the ones it can avoid, the rest are lowered to plain ops, and TF.js then computes what TF does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.graph import convert_saved_model
from tfjs_build.graph.freeze import freeze_function
from tfjs_build.graph.grappler import run_grappler
from tfjs_build.graph.pipeline import ConversionReport
from tfjs_build.graph.saved_model import load_signature

TFJS_FUSED_OPS = frozenset({"_FusedConv2D", "_FusedMatMul"})
"""The underscore ops TF.js itself executes."""

PRODUCT_CASES = [
    "prelu_export_case",
    "tf_keras_prelu_case",
    "unary_chains_case",
    "batch_norm_relu_case",
    "audio_front_end_case",
    "tf1_batch_norm_relu_case",
    "grappler_products_case",
]


def all_ops(topology: dict[str, Any]) -> set[str]:
    ops = {node["op"] for node in topology["node"]}
    for function in topology["library"].get("function", []):
        ops.update(node["op"] for node in function.get("nodeDef", []))
    return ops


@pytest.mark.parametrize("case_name", PRODUCT_CASES)
def test_no_grappler_product_reaches_the_artifact(
    case_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    case: Case = request.getfixturevalue(case_name)
    artifact = convert_saved_model(case.path)
    ops = all_ops(artifact.topology)
    assert {op for op in ops if op.startswith("_")} <= TFJS_FUSED_OPS
    assert_runs_like_tensorflow(write(artifact, tmp_path / "model"), case.inputs, case.expected)


@pytest.mark.parametrize("case_name", ["prelu_export_case", "unary_chains_case"])
def test_grappler_is_configured_not_to_merge_unary_chains(
    case_name: str, request: pytest.FixtureRequest
) -> None:
    case: Case = request.getfixturevalue(case_name)
    loaded = load_signature(case.path, "serving_default", ("serve",))
    optimized = run_grappler(freeze_function(loaded.function, str(case.path)))
    ops = {node.op for node in optimized.node}
    assert not ops & {"_UnaryOpsComposition", "_MklSwish"}
    assert ops & {"Relu", "Sin"}


@pytest.mark.parametrize(
    "case_name", ["batch_norm_relu_case", "audio_front_end_case", "tf1_batch_norm_relu_case"]
)
def test_batch_norms_fused_with_their_relu_are_lowered(
    case_name: str, request: pytest.FixtureRequest
) -> None:
    case: Case = request.getfixturevalue(case_name)
    report = ConversionReport()
    convert_saved_model(case.path, report=report)
    assert report.rewrites.get("_FusedBatchNormEx", 0) >= 1


def test_each_lowering_of_a_saved_grappler_product(grappler_products_case: Case) -> None:
    report = ConversionReport()
    artifact = convert_saved_model(grappler_products_case.path, report=report)
    assert report.rewrites == {
        "_UnaryOpsComposition": 2,
        "_MklSwish": 1,
        "_MklFusedMish": 1,
        "_MklLayerNorm": 1,
        "Inv": 1,  # from inside a unary chain, lowered on the next pass
    }
    assert {"Sin", "Exp", "Reciprocal", "Softplus", "Rsqrt"} <= all_ops(artifact.topology)
