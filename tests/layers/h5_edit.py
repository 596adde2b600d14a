"""Edit the HDF5 weights of a copy of a Keras file (``.h5``, or the ``model.weights.h5`` member of
a ``.keras`` archive) to make the broken and hostile files the tests need."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import h5py

WEIGHTS_MEMBER = "model.weights.h5"


def edited_copy(original: Path, target: Path, edit: Callable[[h5py.File], object]) -> Path:
    """``target``: a copy of ``original`` whose HDF5 weights went through ``edit``."""
    if original.suffix != ".keras":
        target.write_bytes(original.read_bytes())
        with h5py.File(target, "r+") as h5:
            edit(h5)
        return target
    scratch = target.with_name(f"{target.name}.{WEIGHTS_MEMBER}")
    with zipfile.ZipFile(original) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    scratch.write_bytes(members[WEIGHTS_MEMBER])
    with h5py.File(scratch, "r+") as h5:
        edit(h5)
    members[WEIGHTS_MEMBER] = scratch.read_bytes()
    scratch.unlink()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target
