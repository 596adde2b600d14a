"""ResNet50 and DenseNet121 at full size (224x224, 103 MB and 32 MB of float32 weights, 25 and 8
shards of 4 MB) pass parity on webgl, as layers and as graph models: before, their weight shards
never finished loading and the run sat idle until the time limit.

``slow``: run with ``pytest -m slow tests/runtime/test_browser_large.py``; the timings are in
``bench/bench_browser.py --models ResNet50``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfjs_build.artifact import write_artifact
from tfjs_build.parity import check_parity

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["ResNet50", "DenseNet121"])
def application(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import keras

    keras.utils.set_random_seed(0)
    model = getattr(keras.applications, request.param)(weights=None, input_shape=(224, 224, 3))
    source = tmp_path_factory.mktemp(request.param) / "model.keras"
    model.save(source)
    return source


@pytest.mark.parametrize("fmt", ["layers", "graph"])
def test_full_size_application_passes_on_webgl(
    application: Path, fmt: str, runtimes, tmp_path: Path
) -> None:
    from tfjs_build.graph import convert_keras_to_graph
    from tfjs_build.layers import convert_keras_to_layers

    convert = convert_keras_to_layers if fmt == "layers" else convert_keras_to_graph
    write_artifact(convert(application), tmp_path / fmt)
    assert len(list((tmp_path / fmt).glob("*.bin"))) > 6  # more than a browser's connections
    report = check_parity(tmp_path / fmt, application, backends=("webgl",), runtimes=runtimes)
    assert report.passed, report.summary()
    assert report.record["backends"][0]["backend"] == "webgl"
