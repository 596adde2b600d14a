"""Keras refusing a file whose weights do not match its config gives one line naming the layer
and the weight (in the graph converter and the parity reference run), never a hint about custom
layers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.layers.h5_edit import edited_copy
from tfjs_build.errors import SourceError
from tfjs_build.graph.keras_model import load_keras_model

MISMATCH = "the weights do not match the model (re-save it with Keras)"
MAKE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import keras, tf_keras
    out = Path(sys.argv[1])
    for name, k in (("keras3", keras), ("tf_keras", tf_keras)):
        model = k.Sequential(
            [k.Input((4,)), k.layers.Dense(3, name="hidden"), k.layers.Dense(2, name="out")]
        )
        for suffix in (".keras", ".h5"):
            model.save(out / f"{name}{suffix}")
    """
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mismatch")
    subprocess.run([sys.executable, "-c", MAKE, str(out)], check=True, capture_output=True)
    return out


def _legacy_dataset(h5: h5py.File, layer: str, index: int) -> str:
    group = h5["model_weights"][layer]
    names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
    return f"{group.name}/{names[index]}"


def _grow_kernel(h5: h5py.File) -> None:
    dataset = _legacy_dataset(h5, "hidden", 0) if "model_weights" in h5 else "layers/dense/vars/0"
    del h5[dataset]
    h5[dataset] = np.zeros((5, 3), dtype="float32")


def _load_fails(path: Path) -> str:
    with pytest.raises(SourceError) as caught:
        load_keras_model(path)
    message = str(caught.value)
    assert "custom" not in message and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("file", "weight"),
    [
        ("keras3.h5", "sequential/hidden/kernel"),
        ("keras3.keras", "hidden/kernel"),
        ("tf_keras.h5", "hidden/kernel"),
        ("tf_keras.keras", "hidden/kernel"),
    ],
)
def test_a_kernel_of_the_wrong_shape(saved, tmp_path, file, weight):
    target = edited_copy(saved / file, tmp_path / file, _grow_kernel)
    assert _load_fails(target) == (
        f"{target}: layer hidden: weight {weight} has shape (5, 3) in the file, but the layer's "
        f"config needs (4, 3); {MISMATCH}"
    )


def test_a_keras_archive_missing_a_weight(saved, tmp_path):
    def drop(h5: h5py.File) -> None:
        del h5["layers/dense/vars/1"]

    target = edited_copy(saved / "keras3.keras", tmp_path / "m.keras", drop)
    assert _load_fails(target) == (
        f"{target}: layer hidden has 1 weights in the file, but its config needs 2 "
        f"(kernel, bias); {MISMATCH}"
    )


@pytest.mark.parametrize("file", ["keras3.h5", "tf_keras.h5"])
def test_an_h5_missing_a_listed_weight_is_named_before_keras_loads(saved, tmp_path, file):
    listed = ""

    def drop(h5: h5py.File) -> None:
        nonlocal listed
        dataset = _legacy_dataset(h5, "hidden", 1)
        listed = dataset.removeprefix("/model_weights/hidden/")
        del h5[dataset]

    target = edited_copy(saved / file, tmp_path / file, drop)
    assert _load_fails(target) == (
        f"{target}: layer hidden: weight {listed} is listed in the file but not stored in it; "
        f"{MISMATCH}"
    )


def test_the_parity_reference_names_the_weight_too(saved, tmp_path):
    from tfjs_build.parity.reference import run_reference

    target = edited_copy(saved / "keras3.keras", tmp_path / "m.keras", _grow_kernel)
    with pytest.raises(SourceError) as caught:
        run_reference(target, {"x": np.zeros((1, 4), "float32")}, ["out"], graph=True)
    assert str(caught.value) == (
        f"{target}: layer hidden: weight hidden/kernel has shape (5, 3) in the file, but the "
        f"layer's config needs (4, 3); {MISMATCH}"
    )


def test_an_unknown_class_still_gets_the_custom_layer_hint(saved, tmp_path):
    import zipfile

    target = tmp_path / "unknown.keras"
    with zipfile.ZipFile(saved / "keras3.keras") as source, zipfile.ZipFile(target, "w") as copy:
        for name in source.namelist():
            data = source.read(name)
            if name == "config.json":
                config = json.loads(data)
                config["config"]["layers"][1]["class_name"] = "FancyDense"
                data = json.dumps(config).encode()
            copy.writestr(name, data)
    with pytest.raises(
        SourceError,
        match=r"Keras cannot load this model: .*imported first with imports=\('my_project.layers',\)$",
    ):
        load_keras_model(target)
