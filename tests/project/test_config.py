from __future__ import annotations

from pathlib import Path

import pytest

from tfjs_build.errors import ConfigError
from tfjs_build.project.config import load_config, parse_config


def test_defaults_overrides_and_globs(tmp_path):
    (tmp_path / "models").mkdir()
    for name in ("b.h5", "a.h5", "notes.txt"):
        (tmp_path / "models" / name).write_bytes(b"")
    table = {
        "output_root": "dist",
        "quantization": "uint8",
        "parity_backends": ["wasm"],
        "models": [
            {"name": "clf", "source": "models/clf.keras", "quantization": "none", "parity": False},
            {"source": "models/*.h5", "name": "h5", "output": "web"},
        ],
    }
    config = parse_config(table, tmp_path)
    assert [(m.name, m.source.as_posix(), m.output.as_posix()) for m in config.models] == [
        ("clf", "models/clf.keras", "dist/clf"),
        ("h5-a", "models/a.h5", "web/a"),
        ("h5-b", "models/b.h5", "web/b"),
    ]
    clf, a, _ = config.models
    assert (clf.options.quantization, clf.parity.parity) == (None, False)
    assert (a.options.quantization, a.parity.parity_backends) == ("uint8", ("wasm",))
    assert config.lockfile == tmp_path / "tfjs-build.lock"


@pytest.mark.parametrize(
    "table,message",
    [
        (
            {"models": [{"source": "m.h5", "quantisation": "uint8"}]},
            "unknown key 'quantisation' in tool.tfjs-build.models[0]; did you mean 'quantization'?",
        ),
        (
            {"output_rot": "x"},
            "unknown key 'output_rot' in [tool.tfjs-build]; did you mean 'output_root'?",
        ),
        (
            {"models": [{"source": "m.h5", "format": "tflite"}]},
            "tool.tfjs-build.models[0].format = 'tflite': expected one of 'auto', 'layers', 'graph'",
        ),
        (
            {"shard_size": 0, "models": []},
            "tool.tfjs-build.shard_size = 0: expected a whole number >= 1",
        ),
        (
            {"models": [{"source": "m.h5", "parity": "no"}]},
            "tool.tfjs-build.models[0].parity = 'no': expected true or false",
        ),
        (
            {"models": [{"source": "m.h5", "parity_backends": ["metal"]}]},
            "parity_backends = ['metal']: expected a non-empty list drawn from 'cpu', 'wasm', "
            "'webgl', 'webgl-f16', 'webgpu'",
        ),
        ({"models": [{"name": "x"}]}, "tool.tfjs-build.models[0] has no 'source'"),
        ({"models": [{"source": "a/m.h5"}, {"source": "b/m.h5"}]}, "two models are named 'm'"),
    ],
)
def test_invalid_configuration_names_the_key_the_value_and_what_is_allowed(table, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(table, Path("."))
    assert message in str(caught.value)


def test_load_config_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="pyproject.toml does not exist"):
        load_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"has no \[tool.tfjs-build\] table"):
        load_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.tfjs-build]\nformat = 'x'\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml: tool.tfjs-build.format = 'x'"):
        load_config(tmp_path)


def test_cache_settings(tmp_path):
    default = parse_config({}, tmp_path)
    assert (default.cache_dir, default.cache_max_bytes) == (
        tmp_path / ".tfjs-build/cache",
        2 * 10**9,
    )
    custom = parse_config({"cache_dir": "/shared/cache", "cache_max_size": "500MB"}, tmp_path)
    assert (custom.cache_dir, custom.cache_max_bytes) == (Path("/shared/cache"), 500 * 10**6)
    assert parse_config({"cache_max_size": 1024}, tmp_path).cache_max_bytes == 1024
    with pytest.raises(
        ConfigError,
        match=r"^\[tool.tfjs-build\].cache_max_size: expected a size such as '2GB', '500MB' or a number of bytes, got '2 parsecs'$",
    ):
        parse_config({"cache_max_size": "2 parsecs"}, tmp_path)


@pytest.mark.parametrize("output", ["../outside", "/elsewhere/web", "."])
def test_an_output_outside_the_project_is_refused_unless_allowed(tmp_path, output):
    (tmp_path / "m.h5").write_bytes(b"")
    table = {"models": [{"source": "m.h5", "output": output}]}
    with pytest.raises(ConfigError) as caught:
        parse_config(table, tmp_path)
    assert str(caught.value) == (
        f"model 'm' writes to {Path(output).as_posix()}, which is outside the project directory "
        f"{tmp_path.resolve()} (or is that directory itself); choose an output inside it, or set "
        "`allow_outside_project = true` in [tool.tfjs-build] if you mean it"
    )
    allowed = parse_config({**table, "allow_outside_project": True}, tmp_path)
    assert [spec.output for spec in allowed.models] == [Path(output)]


def test_a_glob_that_matches_nothing_and_an_unnameable_match_are_problems_of_their_own(tmp_path):
    (tmp_path / "models").mkdir()
    for name in ("good.h5", "my model.h5"):
        (tmp_path / "models" / name).write_bytes(b"")
    table = {"models": [{"source": "models/*.h5"}, {"source": "trained/*.keras"}]}
    config = parse_config(table, tmp_path)
    assert [spec.name for spec in config.models] == ["good"]
    assert config.problems == (
        "models/my model.h5 (matched by tool.tfjs-build.models[0].source = 'models/*.h5') would "
        "be model 'my model', and a model name takes letters, digits, '-', '_' and '.' only; "
        "rename the file, or give it an entry of its own with a name",
        "tool.tfjs-build.models[1].source = 'trained/*.keras' matches no file or directory under "
        f"{tmp_path}; fix the pattern, or remove the entry if its models are gone",
    )


def test_the_table_spelt_with_an_underscore_is_named(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.tfjs_build]\nmodels = []\n")
    with pytest.raises(ConfigError, match=r"\[tool.tfjs_build\] is spelt with an underscore"):
        load_config(tmp_path)
