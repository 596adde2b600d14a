"""``tfjs-build tensorflowjs-converter``: the incumbent's README command lines, run by tfjs-build
and checked in real TF.js; its 4.22 flag list covered exactly; what is not reproduced, refused."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli import incumbent_flags
from tests.compat_fixtures import dense_forward
from tests.graph.models import run_signature
from tests.tutorial_js import predict_in_tfjs
from tfjs_build.artifact import read_artifact
from tfjs_build.artifact.format import DEFAULT_SHARD_SIZE
from tfjs_build.cli import main, make_parser
from tfjs_build.cli.tensorflowjs_converter_command import OUTPUT_FORMATS

X3 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], dtype="float32")
X4 = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.25, -0.5, -2.0]], dtype="float32")


def _converter(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str]:
    code = main(["tensorflowjs-converter", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _stored(directory: Path) -> dict[str, str | None]:
    manifest = json.loads((directory / "model.json").read_text())["weightsManifest"]
    return {
        e["name"]: e.get("quantization", {}).get("dtype") for g in manifest for e in g["weights"]
    }


def _parser() -> argparse.ArgumentParser:
    parser = make_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = commands.choices["tensorflowjs-converter"]
    return found


def test_the_command_takes_exactly_the_incumbents_flags_with_its_defaults() -> None:
    parser = _parser()
    flags = {s for a in parser._actions for s in a.option_strings} - {"-h", "--help"}
    assert flags - {"--skip_parity"} == set(incumbent_flags.FLAGS)
    positionals = [a.dest for a in parser._actions if not a.option_strings]
    assert tuple(positionals) == incumbent_flags.POSITIONALS
    choices = {a.dest: a.choices for a in parser._actions}
    assert set(choices["input_format"] or ()) == set(incumbent_flags.INPUT_FORMATS)
    assert set(OUTPUT_FORMATS) == set(incumbent_flags.OUTPUT_FORMATS)
    defaults = vars(parser.parse_args(["in", "out"]))
    assert (defaults["input_format"], defaults["saved_model_tags"]) == ("tf_saved_model", "serve")
    assert incumbent_flags.DEFAULTS["weight_shard_size_bytes"] == DEFAULT_SHARD_SIZE
    equals = vars(parser.parse_args(["--input_format=keras", "--quantize_uint8=a,b", "i", "o"]))
    spaced = vars(
        parser.parse_args(["--input_format", "keras", "--quantize_uint8", "a,b", "i", "o"])
    )
    assert equals == spaced and equals["quantize_uint8"] == "a,b"


def test_keras_hdf5_as_in_the_readme_with_parity(
    compat_models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, said = _converter(
        capsys, "--input_format=keras", compat_models / "legacy.h5", tmp_path / "tfjs"
    )
    assert code == 0, said
    assert "converted" in said and "layers" in said and "parity max abs error" in said
    record = json.loads((tmp_path / "tfjs" / "parity.json").read_text())
    assert record["passed"] and [b["backend"] for b in record["backends"]] == ["cpu", "wasm"]
    got = predict_in_tfjs(tmp_path / "tfjs", {"x": X4})
    np.testing.assert_allclose(
        got["dataSync"],
        dense_forward(read_artifact(tmp_path / "tfjs").weight_dict(), X4).reshape(-1),
        rtol=1e-5,
        atol=1e-6,
    )


def test_a_saved_model_with_signature_and_tags_as_in_the_readme(
    compat_models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "half"
    code, said = _converter(
        capsys, "--input_format=tf_saved_model", "--output_format=tfjs_graph_model",
        "--signature_name=half", "--saved_model_tags=serve", "--skip_parity",
        compat_models / "two_heads", out,
    )  # fmt: skip
    assert code == 0, said
    got = predict_in_tfjs(out, {"x": X3})  # one output: a Tensor, as the incumbent's
    assert got["metadata"] is None
    expected = run_signature(compat_models / "two_heads", {"x": X3}, "half")["half"]
    np.testing.assert_allclose(got["dataSync"], expected.reshape(-1), rtol=1e-5, atol=1e-6)


def test_outputs_follow_the_incumbent_exactly(
    compat_models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain"
    assert _converter(capsys, "--skip_parity", compat_models / "two_heads", plain)[0] == 0
    assert "array" in predict_in_tfjs(plain, {"x": X3})["predicted"]  # no structuredOutputKeys
    named = tmp_path / "named"
    args = ["--use_structured_outputs_names", "False", "--skip_parity", compat_models / "two_heads"]
    assert _converter(capsys, *args, named)[0] == 0  # type=bool: any text is true, as there
    assert set(predict_in_tfjs(named, {"x": X3})["predicted"]["map"]) == {"scores", "total"}


def test_tf_hub_takes_a_local_directory_and_refuses_urls(
    compat_models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hub"
    assert (
        _converter(
            capsys, "--input_format=tf_hub", "--skip_parity", compat_models / "two_heads", out
        )[0]
        == 0
    )
    assert (out / "model.json").exists()
    url = "https://tfhub.dev/google/imagenet/mobilenet_v1_100_224/classification/1"
    code, said = _converter(capsys, "--input_format=tf_hub", url, tmp_path / "web")
    assert code == 2
    assert f"{url}: tfjs-build does not download models; download the model" in said
    assert not (tmp_path / "web").exists()


def test_each_quantization_flag_with_and_without_patterns(
    model_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keras = model_files / "dense.keras"
    mixed = tmp_path / "mixed"
    args = [
        "--input_format=keras_keras",
        "--quantize_uint8=*/kernel",
        "--quantize_float16",
        "--skip_parity",
    ]
    assert _converter(capsys, *args, keras, mixed)[0] == 0
    stored = _stored(mixed)
    assert {n: d for n, d in stored.items()} == {
        n: ("uint8" if n.endswith("/kernel") else "float16") for n in stored
    }
    only = tmp_path / "uint16"
    args = ["--input_format", "keras_keras", "--quantize_uint16", "*/bias", "--skip_parity"]
    assert _converter(capsys, *args, keras, only)[0] == 0
    assert {n: d for n, d in _stored(only).items()} == {
        n: ("uint16" if n.endswith("/bias") else None) for n in stored
    }
    whole = tmp_path / "uint8"
    code, said = _converter(capsys, "--quantize_uint8", "--input_format=keras_keras", keras, whole)
    assert code == 0, said
    assert set(_stored(whole).values()) == {"uint8"}
    assert json.loads((whole / "parity.json").read_text())["tolerance"]["quantization"] == "uint8"
    half = tmp_path / "float16"
    args = ["--input_format=keras_keras", "--quantize_float16=*/bias", "--skip_parity"]
    assert _converter(capsys, *args, keras, half)[0] == 0
    assert _stored(half) == {n: ("float16" if n.endswith("/bias") else None) for n in stored}
    wide = tmp_path / "all-uint16"
    args = ["--quantize_uint16", "--input_format=keras_keras", "--skip_parity"]
    assert _converter(capsys, *args, keras, wide)[0] == 0
    assert set(_stored(wide).values()) == {"uint16"}
    for directory in (mixed, only, whole, half, wide):
        got = predict_in_tfjs(directory, {"x": X4})["dataSync"]
        expected = dense_forward(read_artifact(directory).weight_dict(), X4)
        np.testing.assert_allclose(got, expected.reshape(-1), rtol=1e-5, atol=1e-6)


def test_shard_size_metadata_and_split_weights(
    model_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps(["no", "yes"]))
    out = tmp_path / "sharded"
    code, said = _converter(
        capsys, "--input_format=keras_keras", "--weight_shard_size_bytes", "16",
        f"--metadata=labels:{labels}", "--split_weights_by_layer", "--skip_parity",
        model_files / "dense.keras", out,
    )  # fmt: skip
    assert code == 0, said
    document = json.loads((out / "model.json").read_text())
    assert document["userDefinedMetadata"] == {"labels": ["no", "yes"]}
    groups = document["weightsManifest"]
    assert len(groups) == 2 and all(len(g["paths"]) > 1 for g in groups)
    assert all((out / p).stat().st_size <= 16 for g in groups for p in g["paths"])
    got = predict_in_tfjs(out, {"x": X4})
    assert got["loadedMetadata"] == {"labels": ["no", "yes"]}
    expected = dense_forward(read_artifact(out).weight_dict(), X4)
    np.testing.assert_allclose(got["dataSync"], expected.reshape(-1), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input_format=keras", "--output_format=keras_saved_model", "{m}/legacy.h5"], "--output_format=keras_saved_model: tfjs-build writes Keras files (.h5 with --output_format=keras, .keras with keras_keras) from TF.js layers models only"),
        (["--input_format=tfjs_layers_model", "--output_format=keras", "{m}/x/model.json"], "--output_format=keras writes a Keras file: give an output path ending in .h5"),
        (["{m}/legacy.h5"], "--input_format=tf_saved_model takes a SavedModel directory, and {m}/legacy.h5 is not one; it fits --input_format=keras"),
        (["--input_format=keras", "--experiments=True", "{m}/legacy.h5"], "--experiments: tfjs-build has no experimental conversion features"),
        (["--input_format=keras", "--strip_debug_ops=", "{m}/legacy.h5"], "tfjs-build always strips Print, Assert and CheckNumerics"),
        (["--control_flow_v2=", "{m}/two_heads"], "tfjs-build keeps v2 control flow"),
        (["--quantize_uint8", "--quantization_bytes=1", "{m}/two_heads"], "--quantization_bytes cannot be used with --quantize_float16"),
        (["--input_format=keras", "--signature_name=x", "{m}/legacy.h5"], "--signature_name applies to --input_format=tf_saved_model and tf_hub only"),
        (["--metadata=labels.json", "{m}/two_heads"], "--metadata: 'labels.json' is not NAME:PATH"),
        (["--input_format=keras", "--quantize_uint8=*/kernel", "--quantize_uint16=*/kernel*", "{m}/legacy.h5"], "is matched by uint8 pattern '*/kernel' and uint16 pattern '*/kernel*'"),
    ],
)  # fmt: skip
def test_what_tfjs_build_does_not_reproduce_is_refused_in_one_line(
    compat_models: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "never"
    code, said = _converter(capsys, *[a.format(m=compat_models) for a in args], out)
    assert code in (1, 2)
    assert message.format(m=compat_models) in said
    assert len(said.strip().splitlines()) == 1 and "Traceback" not in said
    assert not out.exists()


def test_the_other_inputs_of_the_readme_convert_and_pass_parity(
    compat_models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a tf_keras SavedModel to a layers model, a frozen graph by output node names, and a TF.js
    # layers model back to a Keras HDF5 file; parity runs in TF.js (and Keras) for each
    nodes = (compat_models / "frozen_outputs.txt").read_text()
    layers, graph, back = tmp_path / "layers", tmp_path / "graph", tmp_path / "back.h5"
    code, said = _converter(
        capsys, "--input_format=keras_saved_model", compat_models / "legacy_saved_model", layers
    )
    assert code == 0, said
    assert json.loads((layers / "model.json").read_text())["format"] == "layers-model"
    assert json.loads((layers / "parity.json").read_text())["passed"]
    got = predict_in_tfjs(layers, {"x": X4})
    expected = dense_forward(read_artifact(layers).weight_dict(), X4)
    np.testing.assert_allclose(got["dataSync"], expected.reshape(-1), rtol=1e-5, atol=1e-6)

    code, said = _converter(
        capsys,
        "--input_format=tf_frozen_model",
        f"--output_node_names={nodes}",
        compat_models / "frozen.pb",
        graph,
    )
    assert code == 0, said
    assert json.loads((graph / "model.json").read_text())["format"] == "graph-model"
    assert json.loads((graph / "parity.json").read_text())["passed"]

    code, said = _converter(
        capsys,
        "--input_format=tfjs_layers_model",
        "--output_format=keras",
        layers / "model.json",
        back,
    )
    assert code == 0, said
    assert back.read_bytes().startswith(b"\x89HDF") and "parity max abs error" in said


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, said = _converter(capsys, "-v")
    assert code == 0 and said.startswith("tfjs-build ") and "tensorflowjs_converter 4.22" in said


def test_the_migration_guide_maps_every_incumbent_flag() -> None:
    guide = (
        Path(__file__).resolve().parents[2] / "docs/how-to/migrate-from-tensorflowjs-converter.md"
    )
    rows = [line for line in guide.read_text().splitlines() if line.startswith("| `")]
    for flag in (*incumbent_flags.FLAGS, *incumbent_flags.POSITIONALS):
        assert any(f"`{flag}" in row.split("|")[1] for row in rows), flag
    for value in incumbent_flags.INPUT_FORMATS:
        assert any(f"--input_format={value}" in row for row in rows), value
