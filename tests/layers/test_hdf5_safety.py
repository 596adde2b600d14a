"""HDF5 model files that would make h5py read other files are refused, by every path, before any
data is read: external storage, external links, virtual datasets (and soft links through them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.layers.h5_edit import edited_copy
from tfjs_build.cli import main
from tfjs_build.errors import SourceError
from tfjs_build.layers import convert_keras_to_layers, find_unsupported_layers

Hostile = Callable[[h5py.Group, str, Path], None]
"""Replace the dataset at a path of an open HDF5 file with one that refers to ``outside``."""

KERNELS = ("/kernel", "kernel:0", "vars/0")
REFUSAL = "tfjs-build reads nothing outside the model file, so it refuses this file"


def _external_storage(h5: h5py.Group, target: str, outside: Path) -> None:
    shape, dtype = h5[target].shape, h5[target].dtype
    del h5[target]
    size = int(np.prod(shape)) * dtype.itemsize
    h5.create_dataset(target, shape=shape, dtype=dtype, external=[(str(outside), 0, size)])


def _external_link(h5: h5py.Group, target: str, outside: Path) -> None:
    del h5[target]
    h5[target] = h5py.ExternalLink(str(outside), "/data")


def _virtual_dataset(h5: h5py.Group, target: str, outside: Path) -> None:
    shape, dtype = h5[target].shape, h5[target].dtype
    del h5[target]
    layout = h5py.VirtualLayout(shape=shape, dtype=dtype)
    layout[...] = h5py.VirtualSource(str(outside), "data", shape=shape, dtype=dtype)
    h5.create_virtual_dataset(target, layout)


def _soft_link_through_an_external_link(h5: h5py.Group, target: str, outside: Path) -> None:
    """A soft link that sorts first and resolves through an external link sorting last."""
    del h5[target]
    parent = target.rsplit("/", 1)[0]
    h5[f"{parent}/zz_elsewhere"] = h5py.ExternalLink(str(outside), "/")
    h5[target] = h5py.SoftLink(f"{parent}/zz_elsewhere/data")


HOSTILE: dict[str, tuple[Hostile, str]] = {
    "external storage": (_external_storage, "keeps its data in another file ({outside!r})"),
    "external link": (_external_link, "is an external link to {outside!r}:/data"),
    "virtual dataset": (
        _virtual_dataset,
        "is a virtual dataset mapped onto other data ({outside!r})",
    ),
    "soft link": (_soft_link_through_an_external_link, "is an external link to {outside!r}:/"),
}


@pytest.fixture(scope="module")
def dense(zoo) -> dict[str, Path]:
    model = zoo("keras3", "sequential_dense")
    return {"h5": model.files[".h5"], "keras": model.files[".keras"]}


def _first_kernel(h5: h5py.Group) -> str:
    names: list[str] = []
    h5.visit(names.append)
    return sorted(name for name in names if name.endswith(KERNELS))[0]


def _hostile(original: Path, kind: str, tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of ``original`` (``.h5`` or ``.keras``) made hostile: ``(file, what the message
    names, reason)``."""
    outside = tmp_path / "outside.h5"
    make, reason = HOSTILE[kind]
    kernel = ""

    def edit(h5: h5py.File) -> None:
        nonlocal kernel
        kernel = _first_kernel(h5)
        make(h5, kernel, outside)

    target = edited_copy(
        original, tmp_path / f"hostile-{kind.replace(' ', '-')}{original.suffix}", edit
    )
    named = {
        "external storage": f"dataset /{kernel}",
        "virtual dataset": f"dataset /{kernel}",
        "external link": f"/{kernel}",
        "soft link": f"/{kernel.rsplit('/', 1)[0]}/zz_elsewhere",
    }[kind]
    return target, named, reason.format(outside=str(outside))


def _expected(path: Path, where: str, reason: str, member: str = "") -> str:
    return f"{path}{member}: {where} {reason}; {REFUSAL} (re-save the model with Keras)"


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_h5_is_refused_by_the_layers_converter(dense, kind: str, tmp_path: Path) -> None:
    """The outside file does not exist: had anything tried to read it, the error would say so."""
    target, where, reason = _hostile(dense["h5"], kind, tmp_path)
    assert not (tmp_path / "outside.h5").exists()
    for read in (convert_keras_to_layers, find_unsupported_layers):
        with pytest.raises(SourceError) as caught:
            read(target)
        assert str(caught.value) == _expected(target, where, reason)


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_weights_in_a_keras_archive_are_refused(dense, kind: str, tmp_path: Path) -> None:
    target, where, reason = _hostile(dense["keras"], kind, tmp_path)
    with pytest.raises(SourceError) as caught:
        convert_keras_to_layers(target)
    assert str(caught.value) == _expected(target, where, reason, " model.weights.h5")


def test_the_hostile_file_really_reads_the_outside_file(dense, tmp_path: Path) -> None:
    """The control: h5py on its own follows the external link and reads the other file."""
    target, _, _ = _hostile(dense["h5"], "external link", tmp_path)
    with h5py.File(tmp_path / "outside.h5", "w") as outside:
        outside["data"] = np.full((4, 8), 7.0, dtype="float32")
    with h5py.File(target, "r") as h5:
        np.testing.assert_array_equal(h5[_first_kernel_link(h5)][()], np.full((4, 8), 7.0))
    with pytest.raises(SourceError, match="is an external link"):
        convert_keras_to_layers(target)


def _first_kernel_link(h5: h5py.Group) -> str:
    names: list[str] = []
    h5.visit_links(names.append)
    return sorted(name for name in names if name.endswith(KERNELS))[0]


@pytest.mark.parametrize("kind", ["external storage", "external link", "virtual dataset"])
def test_the_graph_converter_refuses_before_keras_loads(dense, kind, tmp_path, capsys) -> None:
    target, where, reason = _hostile(dense["h5"], kind, tmp_path)
    out = tmp_path / "out"
    assert main(["convert", str(target), str(out), "--format", "graph", "--no-parity"]) == 1
    assert capsys.readouterr().err == f"tfjs-build: error: {_expected(target, where, reason)}\n"
    assert not out.exists()


def test_the_parity_reference_refuses_before_keras_loads(dense, tmp_path: Path) -> None:
    from tfjs_build.parity.reference import run_reference

    target, where, reason = _hostile(dense["h5"], "external storage", tmp_path)
    with pytest.raises(SourceError) as caught:
        run_reference(target, {"x": np.zeros((1, 4), "float32")}, ["y"], graph=False)
    assert str(caught.value) == _expected(target, where, reason)


def test_a_group_linked_twice_is_walked_once_and_converts(dense, tmp_path: Path) -> None:
    """Hard links may form a cycle; the walk ends, and the (harmless) file converts."""
    target = tmp_path / "cycle.h5"
    target.write_bytes(dense["h5"].read_bytes())
    with h5py.File(target, "r+") as h5:
        h5["model_weights/again"] = h5["model_weights"]
        h5["model_weights/inside"] = h5py.SoftLink("/model_weights/again")
        config = json.loads(h5.attrs["model_config"])
    artifact = convert_keras_to_layers(target)
    assert artifact.topology["config"]["name"] == config["config"]["name"]
    assert len(artifact.weights) == len(convert_keras_to_layers(dense["h5"]).weights)
