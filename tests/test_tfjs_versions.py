"""Artifacts for the TF.js release an app pins: the layers converter keeps to what that release
can load, parity runs in it (Node), and the default release builds exactly what it built before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.project_helpers import imported, lock, messages, tfjs_build
from tfjs_build import tfjs_versions
from tfjs_build.artifact import write_artifact
from tfjs_build.convert import convert_source
from tfjs_build.errors import RuntimeFailure, UnsupportedModelError
from tfjs_build.options import ConvertOptions, model_options
from tfjs_build.parity import check_parity

OLD_RELEASES = ("3.21.0", "4.10.0")  # neither has the gelu activation (first in 4.19.0)


def test_the_facts_name_what_a_release_lacks_and_when_it_came() -> None:
    assert tfjs_versions.lacks("3.21.0", "gelu") == "4.19.0"
    assert tfjs_versions.lacks("4.19.0", "gelu") is None
    assert tfjs_versions.lacks("3.21.0", "relu") is None
    assert tfjs_versions.lacks("4.0.0", "CenterCrop") == "4.1.0"
    pinned = {"@tensorflow/tfjs-core": "4.22.0", "@tensorflow/tfjs-backend-webgpu": "4.22.0"}
    assert tfjs_versions.packages_for("4.5.0", pinned) == {"@tensorflow/tfjs-core": "4.5.0"}
    assert tfjs_versions.missing_package("4.5.0", "webgpu") == (
        "TF.js 4.5.0 has no @tensorflow/tfjs-backend-webgpu (it starts at 4.6.0)"
    )
    assert tfjs_versions.missing_package("3.21.0", "webgl") is None


def _dense_model(directory: Path, activation: str, seed: int) -> Path:
    """A Keras 3 model ``features -> Dense(8, activation) -> Dense(3)``, as a new user writes it."""
    import keras

    keras.utils.set_random_seed(seed)
    features = keras.Input((6,), name="features")
    hidden = keras.layers.Dense(8, activation=activation, name="smooth")(features)
    model = keras.Model(features, keras.layers.Dense(3, name="scores")(hidden))
    path = directory / f"{activation}.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def gelu_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _dense_model(tmp_path_factory.mktemp("gelu"), "gelu", 4)


@pytest.fixture(scope="module")
def relu_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _dense_model(tmp_path_factory.mktemp("relu"), "relu", 5)


@pytest.mark.parametrize("release", OLD_RELEASES)
def test_a_layers_model_refuses_gelu_for_a_release_without_it(gelu_model, release) -> None:
    options = ConvertOptions(format="layers", tfjs_version=release)
    with pytest.raises(UnsupportedModelError) as caught:
        convert_source(gelu_model, options)
    assert f"smooth (Dense): activation gelu is not in TF.js {release} (first in 4.19.0)" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("release", "backends"),
    # 3.21.0's wasm has no Erf kernel (the op check refuses it, below)
    [("3.21.0", ("cpu", "webgl")), ("4.10.0", ("cpu", "wasm", "webgl"))],
)
def test_auto_builds_a_graph_model_that_loads_and_matches_in_that_release(
    gelu_model, release, backends, runtimes, tmp_path
) -> None:
    built = convert_source(
        gelu_model, ConvertOptions(tfjs_version=release, target_backends=backends)
    )
    assert built.format == "graph"
    assert built.reason == "TF.js layers cannot express smooth (Dense)"
    write_artifact(built.artifact, tmp_path / "art")
    report = check_parity(
        tmp_path / "art", gelu_model, backends=("cpu",), runtimes=runtimes, tfjs_version=release
    )
    assert report.passed, report.summary()
    assert report.record["tfjs"] == release


def test_the_op_check_refuses_a_graph_model_for_a_release_without_its_kernel(gelu_model) -> None:
    options, _ = model_options({"tfjs_version": "3.21.0"}, "toml")
    with pytest.raises(UnsupportedModelError) as caught:
        convert_source(gelu_model, options)  # auto: layers lack gelu in 3.21.0, so a graph
    message = str(caught.value)
    assert message.startswith(
        f'{gelu_model}: TF.js 3.21.0 (`tfjs_version = "3.21.0"` in [tool.tfjs-build]) cannot run '
        "1 op(s): Erf on wasm (first in TF.js 4.6.0) (node "
    )
    assert message.endswith(
        '; build for TF.js 4.6.0 or later (`tfjs_version = "4.6.0"` in [tool.tfjs-build]), '
        "change the model, target only the backends that run it "
        '(`target_backends = ["cpu", "webgl"]` in [tool.tfjs-build]), or convert anyway with '
        "`check_ops = false` in [tool.tfjs-build]"
    )
    for release in ("4.6.0", tfjs_versions.PINNED):
        options, _ = model_options({"tfjs_version": release, "format": "graph"}, "toml")
        assert convert_source(gelu_model, options).format == "graph"


@pytest.mark.parametrize("release", OLD_RELEASES)
def test_a_layers_model_loads_and_matches_in_that_release(
    relu_model, release, runtimes, tmp_path
) -> None:
    built = convert_source(relu_model, ConvertOptions(tfjs_version=release))
    assert built.format == "layers"
    write_artifact(built.artifact, tmp_path / "art")
    report = check_parity(
        tmp_path / "art",
        relu_model,
        backends=("cpu", "wasm"),
        runtimes=runtimes,
        tfjs_version=release,
    )
    assert report.passed, report.summary()
    assert max(o["max_abs_error"] for b in report.record["backends"] for o in b["outputs"]) < 1e-5


def test_browser_parity_runs_in_that_release(relu_model, runtimes, tmp_path) -> None:
    release = OLD_RELEASES[0]
    write_artifact(
        convert_source(relu_model, ConvertOptions(tfjs_version=release)).artifact, tmp_path
    )
    report = check_parity(
        tmp_path, relu_model, backends=("webgl",), runtimes=runtimes, tfjs_version=release
    )
    assert report.passed, report.summary()
    assert report.record["backends"][0]["runtime"]["tfjs"] == release  # what the page loaded
    with pytest.raises(RuntimeFailure) as caught:
        check_parity(
            tmp_path, relu_model, backends=("webgpu",), runtimes=runtimes, tfjs_version=release
        )
    assert str(caught.value) == (
        "cannot run TF.js webgpu: TF.js 3.21.0 has no @tensorflow/tfjs-backend-webgpu "
        "(it starts at 4.6.0)"
    )


def test_the_pinned_release_builds_what_it_built_before(gelu_model, tmp_path) -> None:
    default = convert_source(gelu_model, ConvertOptions())
    pinned = convert_source(gelu_model, ConvertOptions(tfjs_version=tfjs_versions.PINNED))
    assert (default.format, pinned.format) == ("layers", "layers")
    write_artifact(default.artifact, tmp_path / "default")
    write_artifact(pinned.artifact, tmp_path / "pinned")
    for name in ("model.json", "group1-shard1of1.bin"):
        assert (tmp_path / "default" / name).read_bytes() == (
            tmp_path / "pinned" / name
        ).read_bytes()


@pytest.mark.parametrize(
    ("release", "problem"),
    [
        (
            "4.99.0",
            "TF.js 4.99.0 is newer than the releases tfjs-build has measured (tfjs-build knows "
            "the 24 releases from 3.21.0 to 4.22.0); choose 4.22.0, or a tfjs-build that knows "
            "4.99.0",
        ),
        (
            "4.22",
            "'4.22' is not a TF.js release number such as 4.22.0 (tfjs-build knows the 24 "
            "releases from 3.21.0 to 4.22.0)",
        ),
        (
            "4.7.5",
            "TF.js 4.7.5 is not a release (tfjs-build knows the 24 releases from 3.21.0 to "
            "4.22.0; nearest: 4.7.0 and 4.8.0)",
        ),
        ("2.8.0", "TF.js 2.8.0 is older than 3.21.0, the oldest release tfjs-build covers"),
    ],
)
def test_a_release_that_does_not_exist_is_a_usage_error_before_any_conversion(
    relu_model, tmp_path, release, problem
) -> None:
    result = tfjs_build(tmp_path, "convert", str(relu_model), "art", "--tfjs-version", release)
    assert result.returncode == 2, result.stderr
    assert messages(result)[-1] == f"tfjs-build convert: error: argument --tfjs-version: {problem}"
    assert imported(result) == []  # refused before TensorFlow, numpy or Node
    assert not (tmp_path / "art").exists()


def test_a_release_that_does_not_exist_in_the_config_is_named_by_its_key(tmp_path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PROJECT.replace("4.10.0", "4.99.0"))
    result = tfjs_build(root, "convert")
    assert result.returncode == 2, result.stderr
    (line,) = messages(result)
    assert line.startswith("tfjs-build: error: ")
    assert "tfjs_version = '4.99.0': TF.js 4.99.0 is newer than the releases" in line
    assert imported(result) == []


@pytest.mark.parametrize(
    ("flags", "problem"),
    [
        (
            ("--tfjs-version", "4.5.0", "--parity-backends", "cpu,webgpu"),
            "--tfjs-version 4.5.0 with --parity-backends cpu,webgpu: TF.js 4.5.0 has no "
            "@tensorflow/tfjs-backend-webgpu (it starts at 4.6.0); choose another release or "
            "leave webgpu out",
        ),
        (
            ("--tfjs-version", "4.7.0", "--target-backends", "cpu,wasm"),
            "--tfjs-version 4.7.0 with --target-backends cpu,wasm: TF.js 4.7.0 has no "
            "@tensorflow/tfjs-backend-wasm (it was published for 3.21.0 to 4.6.0, 4.8.0 to "
            "4.17.0, 4.19.0 to 4.22.0); choose another release or leave wasm out",
        ),
    ],
)
def test_a_backend_the_release_has_no_package_for_is_refused_up_front(
    relu_model, tmp_path, flags, problem
) -> None:
    result = tfjs_build(tmp_path, "convert", str(relu_model), "art", *flags)
    assert result.returncode == 2, result.stderr
    assert messages(result) == [f"tfjs-build: error: {problem}"]
    assert imported(result) == []
    assert not (tmp_path / "art").exists()


def test_the_default_backends_leave_out_those_a_release_has_no_package_for() -> None:
    convert, parity = model_options({"tfjs_version": "4.18.0"}, "toml")
    assert (convert.target_backends, parity.parity_backends) == (("cpu", "webgl"), ("cpu",))
    convert, parity = model_options({}, "toml")
    assert (convert.target_backends, parity.parity_backends) == (
        ("cpu", "wasm", "webgl"),
        ("cpu", "wasm"),
    )


PROJECT = """[tool.tfjs-build]
output_root = "web_model"
tfjs_version = "4.10.0"
parity_backends = ["cpu"]

[[tool.tfjs-build.models]]
name = "relu"
source = "models/relu.keras"
"""


def test_the_lockfile_and_parity_json_record_the_release(relu_model, tmp_path, node_packages):
    root = tmp_path / "repo"
    (root / "models").mkdir(parents=True)
    (root / "models" / "relu.keras").write_bytes(relu_model.read_bytes())
    (root / "pyproject.toml").write_text(PROJECT)
    built = tfjs_build(root, "convert", "--no-cache")
    assert built.returncode == 0, built.stderr
    assert lock(root)["models"]["relu"]["versions"]["tfjs"] == "4.10.0"
    parity = json.loads((root / "web_model" / "relu" / "parity.json").read_text())
    assert parity["tfjs"] == "4.10.0" and parity["passed"] is True
    shown = tfjs_build(root, "inspect", "web_model/relu")
    assert "  parity in:    TF.js 4.10.0 (parity.json)" in shown.stdout.splitlines()
    assert tfjs_build(root, "check").returncode == 0
    (root / "pyproject.toml").write_text(PROJECT.replace("4.10.0", "4.22.0"))
    stale = tfjs_build(root, "check")
    assert stale.returncode == 1 and "4.10.0" in stale.stdout and "4.22.0" in stale.stdout


def test_a_runtime_for_a_release_tfjs_build_does_not_know_is_refused_before_installing() -> None:
    from tfjs_build.errors import ConfigError
    from tfjs_build.runtime import RuntimePool

    with RuntimePool() as pool, pytest.raises(ConfigError) as caught:
        pool.get("cpu", "4.22")
    assert str(caught.value) == (
        "cannot run TF.js cpu: '4.22' is not a TF.js release number such as 4.22.0 (tfjs-build "
        "knows the 24 releases from 3.21.0 to 4.22.0)"
    )
