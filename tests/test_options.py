"""The option table: one definition per option, and everything derived from it agrees."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tfjs_build.cli import make_parser
from tfjs_build.errors import ConfigError
from tfjs_build.options import (
    MODEL_OPTIONS,
    OPTIONS,
    PROJECT_OPTIONS,
    ConvertOptions,
    Flag,
    Option,
    ParityOptions,
    spell,
)
from tfjs_build.project.config import ModelSpec, parse_config
from tfjs_build.reference import CLI_PAGE, CONFIGURATION_PAGE, pages

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _argv(option: Option, command: str, value: list[str]) -> list[str]:
    if command == "verify":
        return ["verify", "artifact", "--source", "model.h5", *value]
    if command == "cache":
        return ["cache", "list", *value]
    if command == "convert" and option.scope == "model":
        return ["convert", "model.h5", "out", *value]
    return [command, *value]


def _default_on_command_line(option: Option) -> list[str]:
    if isinstance(option.kind, Flag):
        return [("--" if option.default else "--no-") + option.key.replace("_", "-")]
    if option.default is None:
        return []
    text = option.kind.to_text(option.default)
    if option.kind.repeatable:
        return [part for item in option.default for part in (option.flag, item)]
    return [option.flag, text]


@pytest.mark.parametrize("option", list(OPTIONS.values()), ids=list(OPTIONS))
def test_every_key_has_a_flag_of_the_same_name_with_the_same_default(option: Option) -> None:
    parser = make_parser()
    assert option.commands, f"{option.key} has no command-line flag"
    for command in sorted(option.commands):
        given = parser.parse_args(_argv(option, command, _default_on_command_line(option)))
        if option.default in (None, ()):  # unset or empty: nothing to give, nothing is set
            assert not hasattr(given, option.key)
        else:
            assert getattr(given, option.key) == option.default, (command, option.key)
        documented = [
            a.help
            for a in _subparser(parser, command)._actions
            if a.dest == option.key and a.help and a.help != "==SUPPRESS=="
        ]
        assert len(documented) == 1 and "(default: " in documented[0], (command, option.key)


def _subparser(parser: Any, command: str) -> Any:
    commands = next(a for a in parser._actions if a.dest == "command").choices[command]
    if command == "cache":
        return next(a for a in commands._actions if a.dest == "action").choices["list"]
    return commands


def test_every_key_written_as_its_default_in_toml_gives_the_default_model() -> None:
    model_keys = "\n".join(
        f"{o.key} = {o.kind.to_toml(o.default)}" for o in MODEL_OPTIONS if o.default is not None
    )
    project_keys = "\n".join(
        f"{o.key} = {o.kind.to_toml(o.default)}" for o in PROJECT_OPTIONS if o.default is not None
    )
    table = tomllib.loads(
        f'{project_keys}\n{model_keys}\n[[models]]\nname = "m"\nsource = "m.h5"\n'
    )
    config = parse_config(table, Path("/project"))
    assert config.models == (ModelSpec("m", Path("m.h5"), Path("web_model/m")),)
    assert (config.lockfile, config.cache_dir, config.cache_max_bytes) == (
        Path("/project/tfjs-build.lock"),
        Path("/project/.tfjs-build/cache"),
        2 * 10**9,
    )
    assert (config.cache_remote, config.cache_push) == (None, True)


def test_the_fingerprinted_settings_of_the_defaults_are_stable() -> None:
    """Lockfiles written before the option table stay fresh: same keys, same JSON values, but for
    ``structured_outputs``, whose default changed the graph models' model.json (one output is no
    longer a named map), so that their artifacts are rebuilt."""
    assert ModelSpec("m", Path("m.h5"), Path("out")).settings() == {
        "format": "auto",
        "quantization": None,
        "quantize_only": ["*"],
        "quantize_skip": [],
        "shard_size": 4194304,
        "split_weights_by_layer": False,
        "metadata": {},
        "signature": "serving_default",
        "tags": ["serve"],
        "target_backends": ["cpu", "wasm", "webgl"],
        "structured_outputs": "auto",
        "check_ops": True,
        "allow_unsafe_deserialization": False,
        "parity": True,
        "parity_backends": ["cpu", "wasm"],
        "parity_seed": 0,
        "parity_samples": None,
        "parity_atol": None,
        "parity_rtol": None,
        "parity_scale_tol": None,
    }


def test_the_dataclasses_are_the_table() -> None:
    model_fields = [
        f
        for cls in (ConvertOptions, ParityOptions)
        for f in cls.__dataclass_fields__.values()
        if "option" in f.metadata  # not origin, project_root
    ]
    assert [f.name for f in model_fields] == [o.key for o in MODEL_OPTIONS]
    assert [f.default for f in model_fields] == [o.default for o in MODEL_OPTIONS]


def test_hints_speak_the_syntax_of_where_options_were_set() -> None:
    assert spell("check_ops", False, "cli") == "--no-check-ops"
    assert spell("check_ops", False, "toml") == "`check_ops = false` in [tool.tfjs-build]"
    assert spell("check_ops", False, "python") == "check_ops=False"
    assert spell("target_backends", ("cpu", "webgl"), "cli") == "--target-backends cpu,webgl"
    assert spell("format", "graph", "toml") == '`format = "graph"` in [tool.tfjs-build]'
    assert spell("quantization", None, "cli") == "--quantization none"


def test_the_reference_pages_in_docs_are_generated_from_the_code() -> None:
    for path, text in pages().items():
        on_disk = (ROOT / path).read_text(encoding="utf-8")
        assert on_disk == text, f"{path} is stale: run `doit docs` and commit the result"
    page = (ROOT / CONFIGURATION_PAGE).read_text(encoding="utf-8")
    for option in OPTIONS.values():
        assert f"### `{option.key}`" in page
    cli = (ROOT / CLI_PAGE).read_text(encoding="utf-8")
    for option in OPTIONS.values():
        flag = option.flag if option.default is not True else "--no-" + option.flag[2:]
        assert f"`{flag}`" in cli, option.key


@pytest.mark.parametrize(
    ("value", "checked"),
    [
        ("s3://team-bucket/tfjs/", "s3://team-bucket/tfjs"),
        ("gs://team-bucket", "gs://team-bucket"),
        ("az://container/prefix", "az://container/prefix"),
        ("file:///shared/dir", "file:///shared/dir"),
        (None, None),
    ],
)
def test_a_remote_url_is_checked_for_its_form_only(value: object, checked: str | None) -> None:
    assert OPTIONS["cache_remote"].check(value, "cache_remote") == checked


@pytest.mark.parametrize(
    "value", ["", "team-bucket/tfjs", "s3://", "s3:/team-bucket", "3s://x", "s 3://x", 5]
)
def test_a_value_that_is_not_a_url_is_refused(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^cache_remote = .*: expected a URL such as 's3://"):
        OPTIONS["cache_remote"].check(value, "cache_remote")
