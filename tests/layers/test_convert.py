"""The Artifact the converter hands to the writer: format, provenance and topology keys."""

from __future__ import annotations

import pytest

import tfjs_build
from tfjs_build.layers import convert_keras_to_layers


@pytest.mark.parametrize(
    ("flavor", "suffix", "major"),
    [("keras3", ".keras", "3."), ("keras3", ".h5", "3."), ("tf_keras", ".h5", "2.")],
)
def test_artifact_provenance_and_topology(zoo, flavor: str, suffix: str, major: str) -> None:
    artifact = convert_keras_to_layers(zoo(flavor, "sequential_dense").files[suffix])
    assert artifact.format == "layers-model"
    assert artifact.converted_by == f"tfjs-build {tfjs_build.__version__}"
    assert str(artifact.generated_by).startswith(f"keras v{major}")
    assert set(artifact.topology) == {"class_name", "config", "keras_version", "backend"}
    assert artifact.topology["class_name"] == "Sequential"
    assert artifact.topology["keras_version"].startswith(major)
    assert [name for name, _ in artifact.weights] == [
        "hidden/kernel",
        "hidden/bias",
        "dense/kernel",
        "batch_normalization/gamma",
        "batch_normalization/beta",
        "batch_normalization/moving_mean",
        "batch_normalization/moving_variance",
        "probabilities/kernel",
        "probabilities/bias",
    ]
    assert all(array.dtype == "float32" for _, array in artifact.weights)
