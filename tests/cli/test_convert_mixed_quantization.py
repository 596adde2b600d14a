"""Mixed quantization end to end: flags and TOML tables to manifests, and the numbers in TF.js."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tomllib

from tests.compat_fixtures import dense_forward
from tfjs_build.artifact import read_artifact
from tfjs_build.cli import main
from tfjs_build.errors import ArtifactError, ConfigError, UsageError
from tfjs_build.options import OPTIONS, ConvertOptions, ParityOptions, fingerprint_settings
from tfjs_build.project.config import parse_config
from tfjs_build.runtime import run_in_tfjs

X = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.25, -0.5, -2.0]], dtype="float32")


def _stored_dtypes(directory: Path) -> dict[str, str | None]:
    manifest = json.loads((directory / "model.json").read_text())["weightsManifest"]
    return {
        e["name"]: e.get("quantization", {}).get("dtype") for g in manifest for e in g["weights"]
    }


def test_flags_mix_uint8_kernels_with_float16_elsewhere_checked_in_tfjs(
    model_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mixed"
    code = main(
        [
            "convert", str(model_files / "dense.keras"), str(out), "--format", "layers",
            "--quantize-uint8", "*/kernel", "--quantize-float16", "*",
            "--parity-backends", "cpu",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    stored = _stored_dtypes(out)
    assert sorted({d or "" for d in stored.values()}) == ["float16", "uint8"]
    assert all(d == ("uint8" if n.endswith("/kernel") else "float16") for n, d in stored.items())
    record = json.loads((out / "parity.json").read_text())
    assert record["passed"] and record["tolerance"]["quantization"] == "uint8"  # the coarsest
    # TF.js computes with exactly the weights the manifest describes, dequantized
    got = run_in_tfjs(out, {"input": X}, backend="cpu")
    (values,) = got.values()
    expected = dense_forward(read_artifact(out).weight_dict(), X)
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-6)


def test_a_toml_table_gives_the_same_plan_and_fingerprints_as_a_table() -> None:
    table = tomllib.loads(
        'quantization = {float16 = ["*"], uint8 = ["*/kernel", "head/*"]}\n'
        '[[models]]\nname = "m"\nsource = "m.keras"\n'
    )
    (spec,) = parse_config(table, Path("/project")).models
    assert spec.options.quantization == (("float16", ("*",)), ("uint8", ("*/kernel", "head/*")))
    assert spec.settings()["quantization"] == {"float16": ["*"], "uint8": ["*/kernel", "head/*"]}
    kind = OPTIONS["quantization"].kind
    assert kind.to_toml(spec.options.quantization) == (
        '{float16 = ["*"], uint8 = ["*/kernel", "head/*"]}'
    )
    assert tomllib.loads("q = " + kind.to_toml(spec.options.quantization))["q"] == {
        "float16": ["*"],
        "uint8": ["*/kernel", "head/*"],
    }
    single = fingerprint_settings(ConvertOptions(quantization="uint8"), ParityOptions())
    assert single["quantization"] == "uint8"  # lockfiles of one dtype stay fresh


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"int4": ["*"]}, r"quantization = .*: a quantization table maps float16, uint8, uint16 "
         r"to lists of weight name patterns; not 'int4'"),
        ({"uint8": []}, r"uint8 takes a non-empty list of weight name patterns"),
        ("int8", r"expected 'none', 'float16', 'uint8', 'uint16', 'auto', or a table"),
    ],
)  # fmt: skip
def test_bad_tables_are_one_line_errors(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        OPTIONS["quantization"].check(value, "quantization")


def test_quantize_only_does_not_combine_with_a_table() -> None:
    options = ConvertOptions(
        quantization=(("uint8", ("*",)),), quantize_only=("a*",), origin="toml"
    )
    with pytest.raises(
        ConfigError, match=r"`quantize_only = \[\"a\*\"\]` in \[tool.tfjs-build\] applies to one"
    ):
        options.quantization_plan()


def test_the_command_line_takes_a_dtype_or_pattern_flags_not_both(
    model_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["convert", str(model_files / "dense.keras"), str(tmp_path / "o"), "--no-parity"]
    assert (
        main([*args, "--quantization", "uint8", "--quantize-float16", "*"]) == UsageError.exit_code
    )
    assert "give --quantization DTYPE (every float weight) or --quantize-DTYPE PATTERN" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "o").exists()


def test_a_tie_between_dtypes_fails_the_build_naming_both_patterns(
    model_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["convert", str(model_files / "dense.keras"), str(tmp_path / "o"), "--no-parity"]
    code = main([*args, "--quantize-uint8", "*/kernel", "--quantize-uint16", "*/kernel*"])
    assert code == ArtifactError.exit_code
    err = capsys.readouterr().err
    assert "is matched by uint8 pattern '*/kernel' and uint16 pattern '*/kernel*'" in err
    assert not (tmp_path / "o").exists()


def test_a_pattern_matching_no_weight_is_warned_in_the_syntax_of_its_flag(
    model_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["convert", str(model_files / "dense.keras"), str(tmp_path / "o"), "--no-parity"]
    assert main([*args, "--quantize-uint8", "*/kernl", "--quantize-float16", "*"]) == 0
    assert "warning: --quantize-uint8 '*/kernl' matches no weight" in capsys.readouterr().err
