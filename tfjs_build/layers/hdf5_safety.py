"""Refuse HDF5 files that would make h5py (or Keras, through h5py) read other files.

HDF5 can keep a dataset's bytes in another file (external storage), point a link at an object in
another file (external links) and map a dataset onto datasets of other files (virtual datasets).
Keras writes none of these, and following them would read outside the model the user gave, so
every path that opens a Keras HDF5 file calls :func:`refuse_outside_references` first. The walk
reads only the file's own link tables and dataset creation properties, never dataset data, and
follows no link but hard links (a soft link names a path in the same file, which the walk reaches
through hard links; resolving it could pass through an external link).
"""

from __future__ import annotations

import h5py
from h5py import h5d, h5l, h5o

from tfjs_build.errors import SourceError


def _refusal(what: str, where: str, reason: str) -> SourceError:
    return SourceError(
        f"{what}: {where} {reason}; tfjs-build reads nothing outside the model file, so it refuses "
        "this file (re-save the model with Keras)"
    )


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _dataset_problem(dataset: h5d.DatasetID) -> str | None:
    """Why reading ``dataset`` would read another file (from its creation properties only)."""
    properties = dataset.get_create_plist()
    if properties.get_external_count():
        names = (properties.get_external(i)[0] for i in range(properties.get_external_count()))
        return f"keeps its data in another file ({', '.join(repr(_text(n)) for n in names)})"
    if properties.get_layout() == h5d.VIRTUAL:
        files = {properties.get_virtual_filename(i) for i in range(properties.get_virtual_count())}
        shown = ", ".join(sorted(repr(_text(name)) for name in files))
        return f"is a virtual dataset mapped onto other data ({shown})"
    return None


def refuse_outside_references(h5: h5py.Group, what: str) -> None:
    """Raise ``SourceError`` naming ``what`` (the file) and the first dataset or link under ``h5``
    that refers to another file: external storage, an external link, a virtual dataset.

    One walk of the link tables (HDF5's own, which visits each group once even when hard links
    form a cycle and never follows soft or external links), then the creation properties of each
    object a hard link reaches; no wrapper objects, as the walk costs as much as reading a model's
    metadata."""
    links: list[tuple[bytes, int]] = []
    prefix = h5.name.rstrip("/")
    try:
        h5.id.links.visit(lambda name, info: links.append((name, info.type)), info=True)
        for name, kind in links:
            path = f"{prefix}/{_text(name)}"
            if kind == h5l.TYPE_EXTERNAL:
                filename, target = h5.id.links.get_val(name)
                reason = f"is an external link to {_text(filename)!r}:{_text(target)}"
                raise _refusal(what, path, reason)
            if kind == h5l.TYPE_SOFT:
                continue  # names a path in this file, which the walk reaches through hard links
            if kind != h5l.TYPE_HARD:
                raise _refusal(what, path, "is a link of a user-defined type")
            item = h5o.open(h5.id, name)
            if isinstance(item, h5d.DatasetID) and (problem := _dataset_problem(item)):
                raise _refusal(what, f"dataset {path}", problem)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        raise SourceError(
            f"{what} is not a readable HDF5 file, corrupt or truncated ({exc})"
        ) from None
