"""Refuse HDF5 files that would make h5py (or Keras, through h5py) read other files.

HDF5 can keep a dataset's bytes in another file (external storage), point a link at an object in
another file (external links) and map a dataset onto datasets of other files (virtual datasets).
Keras writes none of these, and following them would read outside the model the user gave, so
every path that opens a Keras HDF5 file calls :func:`refuse_outside_references` first. The walk
reads only the file's own link tables and dataset creation properties, never dataset data, and
follows no link but hard links (a soft link names a path in the same file, which the walk reaches
through hard links; resolving it first could pass through an external link not yet refused).
"""

from __future__ import annotations

import h5py

from tfjs_build.errors import SourceError


def _refusal(what: str, where: str, reason: str) -> SourceError:
    return SourceError(
        f"{what}: {where} {reason}; tfjs-build reads nothing outside the model file, so it refuses "
        "this file (re-save the model with Keras)"
    )


def _dataset_problem(dataset: h5py.Dataset) -> str | None:
    external = dataset.external
    if external:
        names = ", ".join(repr(_text(entry[0])) for entry in external)
        return f"keeps its data in another file ({names})"
    if dataset.is_virtual:
        sources = sorted({repr(_text(mapping.file_name)) for mapping in dataset.virtual_sources()})
        return f"is a virtual dataset mapped onto other data ({', '.join(sources)})"
    return None


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _link_problem(link: object) -> str | None:
    if isinstance(link, h5py.ExternalLink):
        return f"is an external link to {_text(link.filename)!r}:{_text(link.path)}"
    if isinstance(link, (h5py.HardLink, h5py.SoftLink)):
        return None  # a soft link names a path in this file, which the walk checks itself
    return "is a link of a user-defined type"


def refuse_outside_references(h5: h5py.Group, what: str) -> None:
    """Raise ``SourceError`` naming ``what`` (the file) and the first dataset or link under ``h5``
    that refers to another file: external storage, an external link, a virtual dataset."""
    seen: set[int] = set()
    pending: list[tuple[h5py.Group, str]] = [(h5, name) for name in sorted(h5, reverse=True)]
    try:
        while pending:
            group, name = pending.pop()
            path = f"{group.name.rstrip('/')}/{name}"
            link = _link(group, name)
            problem = _link_problem(link)
            if problem:
                raise _refusal(what, path, problem)
            if isinstance(link, h5py.SoftLink):
                continue  # resolving it could pass through an external link not yet refused
            item = group.get(name)
            if isinstance(item, h5py.Dataset) and (problem := _dataset_problem(item)):
                raise _refusal(what, f"dataset {path}", problem)
            if isinstance(item, h5py.Group):
                address = h5py.h5o.get_info(item.id).addr
                if address not in seen:
                    seen.add(address)
                    pending.extend((item, child) for child in sorted(item, reverse=True))
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        raise SourceError(
            f"{what} is not a readable HDF5 file, corrupt or truncated ({exc})"
        ) from None


def _link(group: h5py.Group, name: str) -> object:
    """The link ``name`` of ``group`` itself, not what it points to (``None``: a kind h5py
    cannot describe, such as a user-defined link)."""
    try:
        return group.get(name, getlink=True)
    except (TypeError, KeyError, OSError):
        return None
