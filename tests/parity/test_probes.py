"""Probe inputs: shapes and dtypes from model.json, determinism, valid integer ranges, samples."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tfjs_build.parity.model_io import input_specs, output_names
from tfjs_build.parity.probes import (
    ProbeError,
    check_samples,
    load_samples,
    make_probes,
)


def layers_json(model) -> dict:
    return {
        "format": "layers-model",
        "modelTopology": {"model_config": json.loads(model.to_json())},
        "weightsManifest": [],
    }


@pytest.fixture(scope="module")
def two_input_json() -> dict:
    import tf_keras as K

    image = K.Input((None, None, 3), name="image")
    tokens = K.Input((12,), dtype="int32", name="tokens")
    pooled = K.layers.GlobalAveragePooling2D()(image)
    embedded = K.layers.GlobalAveragePooling1D()(K.layers.Embedding(7, 3)(tokens))
    joined = K.layers.Concatenate()([pooled, embedded])
    model = K.Model([image, tokens], K.layers.Dense(2, name="out")(joined))
    return layers_json(model)


def test_specs_and_shapes_come_from_the_topology(two_input_json: dict) -> None:
    specs = input_specs(two_input_json)
    assert [(s.name, s.shape, s.dtype, s.int_high) for s in specs] == [
        ("image", (None, None, None, 3), "float32", None),
        ("tokens", (None, 12), "int32", 7),
    ]
    probes = make_probes(two_input_json, batch=3, dim_default=5, float_range=(2.0, 4.0))
    assert probes["image"].shape == (3, 5, 5, 3) and probes["image"].dtype == np.float32
    assert probes["image"].min() >= 2.0 and probes["image"].max() < 4.0
    assert probes["tokens"].shape == (3, 12) and probes["tokens"].dtype == np.int32
    assert output_names(two_input_json) == ["out"]


def test_integer_probes_stay_below_the_embedding_input_dim(two_input_json: dict) -> None:
    tokens = np.concatenate(
        [make_probes(two_input_json, seed=s, dim_default=1)["tokens"] for s in range(200)]
    )
    assert tokens.min() == 0 and tokens.max() == 6  # the whole valid range, nothing beyond


def test_sequential_embedding_and_keras3_style_inbound_nodes() -> None:
    import keras

    sequential = keras.Sequential(
        [keras.Input((4,), dtype="int32"), keras.layers.Embedding(3, 2), keras.layers.Flatten()]
    )
    sequential_json = {
        "modelTopology": {"model_config": keras.saving.serialize_keras_object(sequential)}
    }
    [spec] = input_specs(sequential_json)
    assert spec.shape == (None, 4) and spec.int_high == 3

    ids = keras.Input((5,), dtype="int32", name="ids")
    functional = keras.Model(ids, keras.layers.Embedding(4, 2, name="emb")(ids))
    functional_json = {
        "modelTopology": {"model_config": keras.saving.serialize_keras_object(functional)}
    }
    [spec] = input_specs(functional_json)
    assert (spec.name, spec.int_high) == ("ids", 4)
    assert make_probes(functional_json, seed=3)["ids"].max() < 4
    assert output_names(functional_json) == ["emb"]


def test_sequential_without_input_layer_is_named_like_tfjs_names_it() -> None:
    topology = {
        "model_config": {
            "class_name": "Sequential",
            "config": {
                "name": "seq",
                "layers": [
                    {
                        "class_name": "Dense",
                        "config": {"name": "d1", "units": 2, "batch_input_shape": [None, 6]},
                    },
                    {"class_name": "Dense", "config": {"name": "d2", "units": 1}},
                ],
            },
        }
    }
    model_json = {"format": "layers-model", "modelTopology": topology}
    assert list(make_probes(model_json)) == ["d1_input"]
    assert make_probes(model_json)["d1_input"].shape == (2, 6)
    assert output_names(model_json) == ["d2"]


GRAPH_JSON = {
    "format": "graph-model",
    "modelTopology": {
        "node": [
            {"name": "ids", "op": "Placeholder"},
            {"name": "ids_cast", "op": "Cast", "input": ["ids"]},
            {"name": "table", "op": "Const"},
            {"name": "axis", "op": "Const"},
            {"name": "gather", "op": "GatherV2", "input": ["table", "ids_cast", "axis"]},
        ]
    },
    "signature": {
        "inputs": {
            "ids": {
                "name": "ids:0",
                "dtype": "DT_INT64",
                "tensorShape": {"dim": [{"size": "-1"}, {"size": "3"}]},
            },
            "mask": {
                "name": "mask:0",
                "dtype": "DT_BOOL",
                "tensorShape": {"dim": [{"size": "-1"}]},
            },
            "x": {"name": "x:0", "dtype": "DT_FLOAT", "tensorShape": {"unknownRank": True}},
        },
        "outputs": {"y": {"name": "gather:0", "dtype": "DT_FLOAT"}},
    },
    "weightsManifest": [
        {"paths": [], "weights": [{"name": "table", "shape": [11, 4], "dtype": "float32"}]}
    ],
}


def test_graph_signature_dtypes_shapes_and_gather_bound() -> None:
    specs = {spec.name: spec for spec in input_specs(GRAPH_JSON)}
    assert specs["ids"].dtype == "int64" and specs["ids"].int_high == 11
    probes = make_probes(GRAPH_JSON, seed=1, dim_default=4)
    assert probes["ids"].shape == (2, 3) and probes["ids"].dtype == np.int64
    assert probes["ids"].max() < 11
    assert probes["mask"].dtype == np.bool_ and probes["mask"].shape == (2,)
    assert probes["x"].shape == (2, 4) and probes["x"].dtype == np.float32
    assert output_names(GRAPH_JSON) == ["y"]


def test_same_seed_same_bytes_other_seed_other_bytes(two_input_json: dict) -> None:
    first, again, other = (make_probes(two_input_json, seed=s) for s in (5, 5, 6))
    for name in first:
        assert first[name].tobytes() == again[name].tobytes()
        assert first[name].tobytes() != other[name].tobytes()


def test_probes_are_byte_identical_across_processes(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text(json.dumps(GRAPH_JSON))
    script = textwrap.dedent(
        f"""
        import hashlib, json, sys
        from tfjs_build.parity.probes import make_probes
        model_json = json.load(open({str(tmp_path / "model.json")!r}))
        probes = make_probes(model_json, seed=42)
        digest = hashlib.sha256()
        for name, array in probes.items():
            digest.update(name.encode() + str(array.dtype).encode() + array.tobytes())
        print(digest.hexdigest())
        """
    )
    root = Path(__file__).resolve().parents[2]
    digests = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"seed": -1}, "seed must be zero or positive"),
        ({"batch": 0}, "probe sizes must be positive"),
        ({"float_range": (1.0, 1.0)}, "low < high"),
    ],
)
def test_bad_probe_options(two_input_json: dict, options: dict, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        make_probes(two_input_json, **options)


def test_shapes_override_and_unknown_names_rejected(two_input_json: dict) -> None:
    probes = make_probes(two_input_json, shapes={"image": (1, 8, 4, 3)})
    assert probes["image"].shape == (1, 8, 4, 3)
    with pytest.raises(ProbeError, match="imgae"):
        make_probes(two_input_json, shapes={"imgae": (1, 8, 4, 3)})


def test_npy_sample_for_a_single_input(tmp_path: Path) -> None:
    np.save(tmp_path / "one.npy", np.ones((3, 6), np.float32))
    samples = load_samples(tmp_path / "one.npy", ["features"])
    assert list(samples) == ["features"] and samples["features"].shape == (3, 6)
    with pytest.raises(
        ProbeError, match=r"one\.npy: a \.npy holds one array but the model has inputs a, b"
    ):
        load_samples(tmp_path / "one.npy", ["a", "b"])


def test_npz_names_must_match_the_inputs(tmp_path: Path) -> None:
    path = tmp_path / "samples.npz"
    np.savez(path, image=np.zeros((1, 4, 4, 3)), tokns=np.zeros((1, 12), np.int32))
    with pytest.raises(ProbeError) as caught:
        load_samples(path, ["image", "tokens"])
    message = str(caught.value)
    assert "missing input(s) tokens" in message and "unknown name(s) tokns" in message
    assert str(path) in message and "\n" not in message


def test_pickled_samples_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ProbeError, match="cannot read samples"):
        load_samples(path, ["x"])


def test_samples_are_checked_against_the_inputs(two_input_json: dict) -> None:
    specs = input_specs(two_input_json)
    good = {"image": np.zeros((1, 9, 7, 3)), "tokens": np.arange(12).reshape(1, 12)}
    checked = check_samples(good, specs, "s.npz")
    assert checked["image"].dtype == np.float32 and checked["tokens"].dtype == np.int32
    with pytest.raises(
        ProbeError,
        match=r"input 'image' has shape \(1, 9, 7\), the model expects \(\?, \?, \?, 3\)",
    ):
        check_samples({**good, "image": np.zeros((1, 9, 7))}, specs, "s.npz")
    with pytest.raises(ProbeError, match="'tokens' is int32 but the sample holds float64"):
        check_samples({**good, "tokens": np.zeros((1, 12))}, specs, "s.npz")
