from __future__ import annotations

import numpy as np
import pytest

from tfjs_build.artifact import Artifact, read_artifact, write_artifact
from tfjs_build.artifact.format import Quantization
from tfjs_build.artifact.quantize import QuantizationPlan, dequantize, quantize
from tfjs_build.errors import ArtifactError

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("dtype,levels", [("uint8", 255), ("uint16", 65535)])
@pytest.mark.parametrize("low,high", [(-1.0, 1.0), (0.5, 3.0), (-7.0, -2.0)])
def test_affine_error_is_at_most_half_a_step_and_zero_is_exact(dtype, levels, low, high):
    values = np.concatenate([RNG.uniform(low, high, 1000), [0.0, low, high]]).astype(np.float32)
    stored, meta = quantize("w", values, dtype)
    assert stored.dtype == np.dtype("<u1" if dtype == "uint8" else "<u2")
    back = dequantize(stored, meta, "float32")
    span = max(high, 0.0) - min(low, 0.0)
    assert meta["scale"] == pytest.approx(span / levels, rel=1e-6)
    float32_rounding = 1e-6 * max(abs(low), abs(high))
    assert np.abs(back - values).max() <= meta["scale"] / 2 + float32_rounding
    assert back[-3] == 0.0


def test_constant_weights_are_stored_exactly():
    stored, meta = quantize("w", np.full(5, 0.0, np.float32), "uint8")
    assert np.array_equal(dequantize(stored, meta, "float32"), np.zeros(5))


def test_float16_round_trip_matches_numpy_half_precision(tmp_path):
    values = RNG.standard_normal(100).astype(np.float32)
    write_artifact(
        Artifact("layers-model", {}, [("w", values)]),
        tmp_path / "a",
        quantization=QuantizationPlan("float16"),
    )
    entry = __import__("json").loads((tmp_path / "a" / "model.json").read_text())[
        "weightsManifest"
    ][0]["weights"][0]
    assert entry["quantization"] == {"dtype": "float16"}
    assert (tmp_path / "a" / "group1-shard1of1.bin").stat().st_size == 200
    assert np.array_equal(
        read_artifact(tmp_path / "a").weight_dict()["w"],
        values.astype(np.float16).astype(np.float32),
    )


def test_float16_overflow_is_an_error_naming_the_weight():
    with pytest.raises(ArtifactError, match="weight 'w' has values beyond float16's range"):
        quantize("w", np.array([1e6], np.float32), "float16")


def test_affine_quantization_refuses_nan():
    with pytest.raises(ArtifactError, match="weight 'w' has NaN or infinite values"):
        quantize("w", np.array([1.0, np.nan], np.float32), "uint8")


def test_unknown_quantization_dtype_is_rejected():
    with pytest.raises(ArtifactError, match="unknown quantization 'int4'"):
        QuantizationPlan("int4")  # type: ignore[arg-type]


def test_int32_affine_quantization_from_other_converters_rounds_like_tfjs():
    meta: Quantization = {"dtype": "uint8", "min": -10.0, "scale": 0.5}
    assert dequantize(np.array([0, 3, 255], np.uint8), meta, "int32").tolist() == [-10, -8, 118]
