"""Mixed quantization: which dtype each weight gets from patterns by dtype."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tfjs_build.artifact import Artifact, read_artifact, write_artifact
from tfjs_build.artifact.quantization_rules import (
    MixedQuantizationPlan,
    ResolvedQuantization,
    WeightQuantization,
    resolve_quantization,
    specificity,
)
from tfjs_build.artifact.quantize import QuantizationPlan
from tfjs_build.errors import ArtifactError

NAMES = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "step"]


def _dtypes(plan: MixedQuantizationPlan | QuantizationPlan) -> dict[str, str | None]:
    resolved = resolve_quantization(plan, [(n, n != "step") for n in NAMES])
    return {w.name: w.dtype for w in resolved.weights}


def test_specificity_ranks_exact_names_then_literal_prefixes_then_literal_characters() -> None:
    assert specificity("dense/kernel") == (True, 12, 12)
    assert specificity("dense_1/*") == (False, 8, 8)
    assert specificity("*/kernel") == (False, 0, 7)
    assert specificity("dense_[0-9]/k?rnel") == (False, 6, 12)
    assert specificity("*") == (False, 0, 0)


def test_the_most_specific_pattern_decides() -> None:
    plan = MixedQuantizationPlan.from_table(
        {"uint8": ["*/kernel"], "float16": ["*"], "uint16": ["dense_1/*", "dense/bias"]}
    )
    assert _dtypes(plan) == {
        "dense/kernel": "uint8",  # */kernel: 7 literal characters beat * (0)
        "dense/bias": "uint16",  # an exact name beats every pattern
        "dense_1/kernel": "uint16",  # literal prefix 'dense_1/' (8) beats '' of */kernel
        "dense_1/bias": "uint16",
        "step": None,  # not float: never quantized
    }


def test_skipped_and_unmatched_weights_stay_float32() -> None:
    plan = MixedQuantizationPlan.from_table({"uint8": ["*/kernel"]}, exclude=["dense_1/*"])
    assert _dtypes(plan) == {
        "dense/kernel": "uint8",
        "dense/bias": None,
        "dense_1/kernel": None,
        "dense_1/bias": None,
        "step": None,
    }


def test_equally_specific_patterns_of_two_dtypes_are_an_error_naming_both() -> None:
    plan = MixedQuantizationPlan.from_table({"uint8": ["*/kernel"], "float16": ["*/kernel*"]})
    with pytest.raises(
        ArtifactError,
        match=r"weight 'dense/kernel' is matched by uint8 pattern '\*/kernel' and float16 "
        r"pattern '\*/kernel\*', which are equally specific",
    ):
        _dtypes(plan)
    same_dtype = MixedQuantizationPlan.from_table({"uint8": ["*/kernel", "*/kernel*"]})
    assert _dtypes(same_dtype)["dense/kernel"] == "uint8"


def test_the_resolved_plan_names_each_weight_its_dtype_and_pattern() -> None:
    plan = MixedQuantizationPlan.from_table({"uint8": ["*/kernel"], "float16": ["*"]})
    resolved = resolve_quantization(plan, [("a/kernel", True), ("a/bias", True), ("n", False)])
    assert resolved == ResolvedQuantization(
        (
            WeightQuantization("a/kernel", "uint8", "*/kernel"),
            WeightQuantization("a/bias", "float16", "*"),
            WeightQuantization("n", None),
        )
    )
    assert (resolved.dtypes, resolved.coarsest, resolved.dtype_of("a/bias")) == (
        ("uint8", "float16"),
        "uint8",
        "float16",
    )


def test_a_single_dtype_plan_resolves_the_same_way() -> None:
    plan = QuantizationPlan("uint16", include=("dense*",), exclude=("*/bias",))
    assert _dtypes(plan) == {
        "dense/kernel": "uint16",
        "dense/bias": None,
        "dense_1/kernel": "uint16",
        "dense_1/bias": None,
        "step": None,
    }


def test_mixed_weights_are_written_and_read_back_per_dtype(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    weights = [
        ("d/kernel", rng.normal(size=(4, 3)).astype("float32")),
        ("d/bias", rng.normal(size=(3,)).astype("float32")),
        ("d/scale", rng.normal(size=(3,)).astype("float32")),
    ]
    plan = MixedQuantizationPlan.from_table(
        {"uint8": ["*/kernel"], "float16": ["*"], "uint16": ["d/scale"]}
    )
    write_artifact(Artifact("layers-model", {}, weights), tmp_path / "a", quantization=plan)
    manifest = json.loads((tmp_path / "a" / "model.json").read_text())["weightsManifest"]
    stored = {e["name"]: e["quantization"]["dtype"] for e in manifest[0]["weights"]}
    assert stored == {"d/kernel": "uint8", "d/bias": "float16", "d/scale": "uint16"}
    assert (tmp_path / "a" / "group1-shard1of1.bin").stat().st_size == 12 * 1 + 3 * 2 + 3 * 2
    back = read_artifact(tmp_path / "a").weight_dict()
    np.testing.assert_array_equal(back["d/bias"], weights[1][1].astype("float16").astype("float32"))
    span = np.ptp(np.append(weights[0][1], 0.0))
    assert np.abs(back["d/kernel"] - weights[0][1]).max() <= span / 255 / 2 + 1e-6
