"""Converting to a layers model never imports TensorFlow or Keras (checked in a fresh process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FORBIDDEN = ("tensorflow", "keras", "tf_keras", "jax", "torch")
SCRIPT = """
import json, sys
from pathlib import Path
from tfjs_build.layers import convert_keras_to_layers, find_unsupported_layers
path = Path(sys.argv[1])
find_unsupported_layers(path)
artifact = convert_keras_to_layers(path)
print(json.dumps({
    "weights": len(artifact.weights),
    "imported": sorted({name.split(".")[0] for name in sys.modules}),
}))
"""


@pytest.mark.parametrize(
    ("flavor", "suffix"), [("keras3", ".keras"), ("keras3", ".h5"), ("tf_keras", ".h5")]
)
def test_conversion_imports_no_ml_framework(zoo, flavor: str, suffix: str) -> None:
    source: Path = zoo(flavor, "recurrent").files[suffix]
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(source)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["weights"] > 0
    assert not set(FORBIDDEN) & set(report["imported"])
