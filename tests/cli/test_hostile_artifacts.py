"""Fuzzing the readers: random and mutated ``model.json``s, manifests and shards, starting from
artifacts this project writes, never crash ``inspect`` or the verify path (exit 3 or an exception
other than ``TfjsBuildError``); the cases the hardening issue names give one exact line."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.runtime.handmade import dense_layers_model, relu_graph_model, string_graph_model
from tfjs_build.artifact import QuantizationPlan, read_artifact, read_model_json, write_artifact
from tfjs_build.artifact.summary import summarize_artifact
from tfjs_build.cli import main
from tfjs_build.errors import TfjsBuildError
from tfjs_build.parity.model_io import input_specs, output_names
from tfjs_build.parity.probes import make_probes
from tfjs_build.parity.tolerances import artifact_quantization
from tfjs_build.parity.vocabulary import string_vocabulary

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KEYS = [
    "modelTopology",
    "weightsManifest",
    "paths",
    "weights",
    "shape",
    "dtype",
    "name",
    "quantization",
    "min",
    "scale",
    "format",
    "model_config",
    "config",
    "layers",
    "class_name",
    "input_layers",
    "output_layers",
    "batch_input_shape",
    "inbound_nodes",
    "signature",
    "inputs",
    "outputs",
    "tensorShape",
    "dim",
    "size",
    "node",
    "op",
    "input",
    "input_dim",
    "unknownRank",
    "keras_history",
]
WORDS = [
    *KEYS,
    "../outside.bin",
    "/etc/passwd",
    "a\\b",
    "C:x",
    "",
    "\0",
    "group1-shard1of1.bin",
    "float32",
    "uint8",
    "float16",
    "string",
    "int32",
    "DT_INT32",
    "DT_STRING",
    "InputLayer",
    "Sequential",
    "Embedding",
    "GatherV2",
    "LookupTableImportV2",
    "layers-model",
    "graph-model",
    "-1",
    "NaN",
]
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**33), 2**33),
    st.sampled_from([2**31 - 1, 2**31, 2**63, 10**300, -1, 0]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(WORDS),
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=16,
)


@dataclass(frozen=True)
class Seed:
    """A real artifact: its ``model.json`` document and shard bytes by file name."""

    document: dict[str, Any]
    shards: dict[str, bytes]


def _written(artifact: Any, directory: Path, **options: Any) -> Seed:
    write_artifact(artifact, directory, **options)
    shards = {p.name: p.read_bytes() for p in directory.iterdir() if p.suffix == ".bin"}
    return Seed(json.loads((directory / "model.json").read_text()), shards)


@pytest.fixture(scope="module")
def seeds(model_files: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Seed]:
    """A layers model converted from a real Keras file, a quantized hand-made layers model, a
    graph model and a graph model holding strings, each written by this project's writer."""
    from tfjs_build.layers import convert_keras_to_layers

    root = tmp_path_factory.mktemp("seeds")
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((5, 3)).astype("float32")
    bias = rng.standard_normal(3).astype("float32")
    return {
        "converted": _written(
            convert_keras_to_layers(model_files / "dense.keras"), root / "a", shard_size=24
        ),
        "quantized": _written(
            dense_layers_model(kernel, bias),
            root / "b",
            quantization=QuantizationPlan("uint8", exclude=("*/bias",)),
        ),
        "graph": _written(relu_graph_model(kernel, bias), root / "c", shard_size=20),
        "strings": _written(string_graph_model(np.array([b"ab", b"c"], dtype=object)), root / "d"),
    }


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        yield from _paths(item, (*prefix, key))


def _mutate(document: Any, data: st.DataObject) -> Any:
    """One random change at a random place (often a known key): a new value, a value of another
    type, a deletion, a list around the value, or a huge shape."""
    paths = list(_paths(document))
    named = [path for path in paths if path and path[-1] in KEYS]
    prefer_named = bool(named) and data.draw(st.booleans())
    path = data.draw(st.sampled_from(named if prefer_named else paths))
    action = data.draw(st.sampled_from(["replace", "other type", "delete", "wrap", "huge"]))
    if not path:
        return data.draw(json_values) if action != "wrap" else [document]
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "wrap":
        parent[key] = [parent[key]]
    elif action == "other type":
        parent[key] = data.draw(st.sampled_from([None, {}, [], "", 0, -1, True, 1.5, "x", [[]]]))
    elif action == "huge":
        parent[key] = data.draw(
            st.sampled_from(
                [[2**31 - 1] * 3, [None, 2**30, 2**30], 2**40, [-3], [1] * 40, "9" * 30]
            )
        )
    else:
        parent[key] = data.draw(json_values)
    return document


def _mutate_shards(shards: dict[str, bytes], data: st.DataObject) -> dict[str, bytes | None]:
    """Cut, lengthen, corrupt or remove a shard (``None``: write a directory in its place)."""
    out: dict[str, bytes | None] = dict(shards)
    if not shards:
        return out
    name = data.draw(st.sampled_from(sorted(shards)))
    action = data.draw(st.sampled_from(["keep", "cut", "grow", "flip", "drop", "directory"]))
    content = shards[name]
    if action == "cut":
        out[name] = content[: data.draw(st.integers(0, max(len(content) - 1, 0)))]
    elif action == "grow":
        out[name] = content + data.draw(st.binary(min_size=1, max_size=16))
    elif action == "flip" and content:
        at = data.draw(st.integers(0, len(content) - 1))
        out[name] = content[:at] + bytes([content[at] ^ 0xFF]) + content[at + 1 :]
    elif action == "drop":
        del out[name]
    elif action == "directory":
        out[name] = None
    return out


def _write(directory: Path, model_json: bytes, shards: dict[str, bytes | None]) -> None:
    directory.mkdir()
    (directory / "model.json").write_bytes(model_json)
    for name, content in shards.items():
        if content is None:
            (directory / name).mkdir()
        else:
            (directory / name).write_bytes(content)


def _quiet(run: Callable[[], int]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = run()
    return code, err.getvalue()


def _verify_readers(directory: Path) -> None:
    """The verify command's reading, up to (not including) the TensorFlow reference run."""
    document = read_model_json(directory)
    artifact_quantization(document)
    specs = input_specs(document, "model.json")
    make_probes(document)
    output_names(document)
    string_vocabulary(directory, document)
    assert all(isinstance(spec.name, str) for spec in specs)


def _readers_cope(model_json: bytes, shards: dict[str, bytes | None]) -> None:
    with tempfile.TemporaryDirectory(prefix="tfjs-build-fuzz-") as root:
        directory = Path(root) / "artifact"
        _write(directory, model_json, shards)
        for flags in ([], ["--json"]):
            code, err = _quiet(partial(main, ["inspect", *flags, str(directory)]))
            assert code in (0, 1), err
            assert "Traceback" not in err
        for reader in (read_artifact, summarize_artifact, _verify_readers):
            with contextlib.suppress(TfjsBuildError):
                reader(directory)


@FUZZ
@given(data=st.data())
def test_mutated_artifacts_never_crash_a_reader(
    seeds: dict[str, Seed], data: st.DataObject
) -> None:
    seed = seeds[data.draw(st.sampled_from(sorted(seeds)))]
    document: Any = copy.deepcopy(seed.document)
    for _ in range(data.draw(st.integers(1, 3))):
        document = _mutate(document, data)
    _readers_cope(json.dumps(document).encode(), _mutate_shards(seed.shards, data))


@FUZZ
@given(
    document=st.fixed_dictionaries(
        {"modelTopology": json_values},
        optional={
            "format": st.sampled_from(["layers-model", "graph-model"]) | json_values,
            "weightsManifest": json_values,
            "signature": json_values,
        },
    )
    | json_values,
    shard=st.binary(max_size=64),
)
def test_random_model_json_never_crashes_a_reader(document: Any, shard: bytes) -> None:
    _readers_cope(json.dumps(document).encode(), {"group1-shard1of1.bin": shard})


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(model_json=st.binary(max_size=200))
def test_random_bytes_as_model_json(model_json: bytes) -> None:
    _readers_cope(model_json, {})


# --- the cases the issue names, through the command line: one line naming the file, exit 1 ------


def _broken_graph(document: dict[str, Any]) -> None:
    document["modelTopology"]["node"] = [{"name": "x", "op": "Placeholder"}, "MatMul"]


def _absolute_path(document: dict[str, Any]) -> None:
    document["weightsManifest"][0]["paths"] = ["/etc/passwd"]


def _parent_path(document: dict[str, Any]) -> None:
    document["weightsManifest"][0]["paths"] = ["../outside.bin"]


def _huge_shape(document: dict[str, Any]) -> None:
    document["weightsManifest"][0]["weights"][0]["shape"] = [2**40, 2**40]


def _huge_input(document: dict[str, Any]) -> None:
    document["signature"]["inputs"]["x"]["tensorShape"]["dim"] = [{"size": "2147483647"}] * 3


def _broken_initializer(document: dict[str, Any]) -> None:
    """A string input, and a table initializer whose inputs are not tensor names."""
    for info in document["signature"]["inputs"].values():
        info["dtype"] = "DT_STRING"
    document["modelInitializer"] = {"node": [{"op": "LookupTableImportV2", "input": [1, 2]}]}


def _output_layers_wrong_type(document: dict[str, Any]) -> None:
    document["modelTopology"]["model_config"]["config"]["output_layers"] = "dense"


CASES: dict[str, tuple[str, Callable[[dict[str, Any]], None], str, str]] = {
    "broken graph topology": (
        "graph",
        _broken_graph,
        "{json}: modelTopology is malformed (AttributeError: 'str' object has no attribute 'get');"
        " is it a TF.js model.json? Rebuild the artifact",
        # verify reads no graph node before the reference run for float inputs: it reaches the
        # (missing) source without a crash
        "{source}: no such file or directory",
    ),
    "absolute path": (
        "graph",
        _absolute_path,
        "{json}: weightsManifest[0]: shard path '/etc/passwd' leaves the artifact directory",
        "",
    ),
    "parent path": (
        "quantized",
        _parent_path,
        "{json}: weightsManifest[0]: shard path '../outside.bin' leaves the artifact directory",
        "",
    ),
    "huge weight shape": (
        "quantized",
        _huge_shape,
        "{json}: weightsManifest[0]: weight 'dense/kernel' has shape [1099511627776, "
        "1099511627776]: sizes must be whole numbers from 0 to 2147483647",
        "",
    ),
    "huge input shape": (
        "graph",
        _huge_input,
        "",
        f"{{json}}: input 'x' has shape (2147483647, 2147483647, 2147483647), "
        f"{(2**31 - 1) ** 3:,} values, more than the 67,108,864 a probe may have; pass smaller "
        "shapes or your own samples",
    ),
    "broken table initializer": (
        "strings",
        _broken_initializer,
        "",
        "{json}: modelInitializer is malformed (AttributeError: 'int' object has no attribute "
        "'split'); rebuild the artifact",
    ),
    "output_layers of the wrong type": (
        "quantized",
        _output_layers_wrong_type,
        "{json}: modelTopology is malformed (TypeError: output_layers is a str, not a list); "
        "is it a TF.js model.json? Rebuild the artifact",
        "{json}: output_layers is not a list of [layer name, node, tensor] ('dense')",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_named_hostile_artifacts_give_one_line_and_exit_1(seeds, case, tmp_path, capsys):
    seed_name, mutate, inspect_line, verify_line = CASES[case]
    seed = seeds[seed_name]
    document = copy.deepcopy(seed.document)
    mutate(document)
    outside = tmp_path / "outside.bin"
    os.mkfifo(outside)  # opening it would block: the test ending proves nothing opened it
    directory = tmp_path / "artifact"
    _write(directory, json.dumps(document).encode(), dict(seed.shards))
    json_path = directory / "model.json"
    assert main(["inspect", str(directory)]) == (1 if inspect_line else 0)
    captured = capsys.readouterr()
    if inspect_line:
        assert captured.err == f"tfjs-build: error: {inspect_line.format(json=json_path)}\n"
    else:  # the manifest is fine for inspect; its description says what verify will refuse
        assert captured.err == ""
    expected = (verify_line or inspect_line).format(json=json_path, source=tmp_path / "missing.h5")
    code = main(["verify", str(directory), "--source", str(tmp_path / "missing.h5")])
    assert (code, capsys.readouterr().err) == (1, f"tfjs-build: error: {expected}\n")


def test_verify_never_hands_tfjs_a_shard_outside_the_artifact(seeds, tmp_path, capsys):
    """A shard symlinked to a FIFO outside: TF.js would block reading it; verify refuses first."""
    seed = seeds["quantized"]
    directory = tmp_path / "artifact"
    _write(directory, json.dumps(seed.document).encode(), {})
    os.mkfifo(tmp_path / "outside.fifo")
    [shard] = seed.shards
    (directory / shard).symlink_to(tmp_path / "outside.fifo")
    source = tmp_path / "missing.h5"
    assert main(["verify", str(directory), "--source", str(source)]) == 1
    assert capsys.readouterr().err == (
        f"tfjs-build: error: {directory}: weight shard {shard!r} leaves the artifact directory "
        "(through a symbolic link)\n"
    )
