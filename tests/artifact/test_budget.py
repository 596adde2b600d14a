"""Size budgets on real artifacts: what counts, the largest weights, the message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfjs_build.artifact.budget import artifact_bytes, check_budget, largest_weights, over_budget
from tfjs_build.errors import OverBudgetError

MODEL = {
    "format": "layers-model",
    "modelTopology": {},
    "weightsManifest": [
        {
            "paths": ["group1-shard1of1.bin"],
            "weights": [
                {"name": "dense/kernel", "shape": [100, 10], "dtype": "float32"},
                {"name": "dense/bias", "shape": [10], "dtype": "float32"},
                {
                    "name": "embed/table",
                    "shape": [300, 10],
                    "dtype": "float32",
                    "quantization": {"dtype": "uint8", "min": 0.0, "scale": 1.0},
                },
            ],
        }
    ],
}


@pytest.fixture()
def artifact(tmp_path: Path) -> Path:
    (tmp_path / "model.json").write_text(json.dumps(MODEL))
    (tmp_path / "group1-shard1of1.bin").write_bytes(bytes(4000 + 40 + 3000))
    (tmp_path / "parity.json").write_text("{}" * 5000)  # beside the artifact, not downloaded
    return tmp_path


def test_the_size_is_model_json_and_shards_without_the_side_files(artifact: Path) -> None:
    assert artifact_bytes(artifact) == len(json.dumps(MODEL)) + 7040


def test_largest_weights_are_counted_as_stored() -> None:
    assert largest_weights(MODEL) == [
        ("dense/kernel", 4000),
        ("embed/table", 3000),
        ("dense/bias", 40),
    ]


def test_within_or_without_a_budget_nothing_is_said(artifact: Path) -> None:
    assert over_budget(artifact, None) is None
    assert over_budget(artifact, artifact_bytes(artifact)) is None
    assert over_budget(artifact, artifact_bytes(artifact) - 1) == artifact_bytes(artifact)


def test_an_artifact_over_budget_is_one_line_with_its_size_budget_and_largest_weights(
    artifact: Path,
) -> None:
    size = artifact_bytes(artifact)
    with pytest.raises(OverBudgetError) as raised:
        check_budget(artifact, 5000, "toml", "web_model/m")
    assert str(raised.value) == (
        f"web_model/m: the artifact is {size / 1000:.1f} kB ({size} bytes), over its budget of "
        '5.0 kB (`max_size = "5.0kB"` in [tool.tfjs-build]); largest weights: dense/kernel '
        '4.0 kB, embed/table 3.0 kB, dense/bias 40 B; quantize them (`quantization = "uint8"` '
        "in [tool.tfjs-build]) or raise max_size"
    )
