"""The TF.js releases an artifact can be built and proven for, and what each of them lacks.

Facts measured from the published packages: here, the first release that has each name a layers
model can use and older releases lack (``js/tools/layer_registry.js`` run on each release's
``tfjs-core`` and ``tfjs-layers``); in ``tfjs_releases.json`` (written by
``js/tools/op_releases.py``), every release measured, the releases each package was published
for, and, for graph models, the first release that executes each op and registers each kernel
per backend and the kernels each op reaches in each release. Everything that varies by TF.js
version asks here; nothing else compares version numbers. Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, TypedDict

PINNED = "4.22.0"
"""The release ``tfjs_build/js/package-lock.json`` pins: the default, installed from the lockfile."""
OLDEST = "3.21.0"
"""The oldest release the facts below were measured against."""

FIRST_RELEASE: Mapping[str, str] = {
    # activations
    "gelu": "4.19.0",
    "gelu_new": "4.19.0",
    # layer classes
    "CategoryEncoding": "4.0.0",
    "Resizing": "4.0.0",
    "CenterCrop": "4.1.0",
    "RandomWidth": "4.4.0",
    # initializers
    "LeCunUniform": "4.2.0",
}
"""Names TF.js layers models use, by the first release that can deserialize them (3.21.0 has
every other name that 4.22.0 has)."""

BACKEND_PACKAGES: Mapping[str, str] = {
    "wasm": "@tensorflow/tfjs-backend-wasm",
    "webgl": "@tensorflow/tfjs-backend-webgl",
    "webgl-f16": "@tensorflow/tfjs-backend-webgl",
    "webgpu": "@tensorflow/tfjs-backend-webgpu",
}

_RELEASE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_ACTIVATION_KEYS = ("activation", "recurrent_activation")


@lru_cache(maxsize=256)
def release_key(version: str) -> tuple[int, int, int]:
    """``"4.19.0"`` as ``(4, 19, 0)``; a version that is not ``MAJOR.MINOR.PATCH`` raises
    ``ValueError``."""
    match = _RELEASE.match(version)
    if match is None:
        raise ValueError(f"{version!r} is not a TF.js release number such as {PINNED}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def latest(versions: Iterable[str]) -> str:
    """The newest of ``versions`` (releases)."""
    return max(versions, key=release_key)


def covered(version: str) -> bool:
    """Whether the facts cover ``version`` (from :data:`OLDEST` on)."""
    return release_key(version) >= release_key(OLDEST)


RELEASE_FACTS = "tfjs_releases.json"

Ranges = list[list[str]]
"""Runs of consecutive releases, as ``[first, last]`` pairs."""


class ReleaseFacts(TypedDict):
    """``tfjs_releases.json``, as ``js/tools/op_releases.py`` writes it."""

    generated_by: str
    releases: list[str]
    packages: dict[str, Ranges]
    ops_since: dict[str, str]
    kernels_since: dict[str, dict[str, str]]
    kernels_reached: dict[str, dict[str, Ranges]]
    channels_last_only: dict[str, dict[str, Ranges]]


@lru_cache(maxsize=1)
def release_facts() -> ReleaseFacts:
    """The measured facts of every release (read once)."""
    text = resources.files("tfjs_build").joinpath(RELEASE_FACTS).read_text()
    facts: ReleaseFacts = json.loads(text)
    return facts


def releases() -> list[str]:
    """Every TF.js release the facts were measured in, oldest first."""
    return release_facts()["releases"]


def unknown_release(version: str) -> str | None:
    """Why ``version`` is not a release tfjs-build can build for (naming the nearest ones), or
    None when it is one."""
    known = releases()
    if version in known:
        return None
    span = f"tfjs-build knows the {len(known)} releases from {known[0]} to {known[-1]}"
    try:
        key = release_key(version)
    except ValueError:
        return f"{version!r} is not a TF.js release number such as {PINNED} ({span})"
    if key > release_key(known[-1]):
        return (
            f"TF.js {version} is newer than the releases tfjs-build has measured ({span}); "
            f"choose {known[-1]}, or a tfjs-build that knows {version}"
        )
    if key < release_key(OLDEST):
        return f"TF.js {version} is older than {OLDEST}, the oldest release tfjs-build covers"
    older = [v for v in known if release_key(v) < key][-1:]
    newer = [v for v in known if release_key(v) > key][:1]
    return f"TF.js {version} is not a release ({span}; nearest: {' and '.join(older + newer)})"


def _within(version: str, ranges: Ranges) -> bool:
    key = release_key(version)
    return any(release_key(first) <= key <= release_key(last) for first, last in ranges)


def _later(version: str, since: Mapping[str, str]) -> dict[str, str]:
    return {
        name: first for name, first in since.items() if release_key(version) < release_key(first)
    }


@dataclass(frozen=True)
class GraphGaps:
    """What TF.js ``version`` lacks, for graph models, that the pinned release has."""

    version: str
    ops: dict[str, str]
    """Ops the converter executes from a later release on, by that release."""
    backends: frozenset[str]
    """The backends ``version`` has a package for."""
    kernels: dict[str, dict[str, str]]
    """Per backend, kernels registered from a later release on, by that release."""
    kernels_reached: dict[str, frozenset[str]]
    """Per op, the kernels it reaches in ``version`` that some backend lacks there."""
    channels_last_only: dict[str, frozenset[str]]
    """Per backend, the kernels that refuse channels-first data in ``version``."""


def _in_release(
    pairs: Mapping[str, Mapping[str, Ranges]], version: str
) -> dict[str, frozenset[str]]:
    found = {
        key: frozenset(value for value, ranges in values.items() if _within(version, ranges))
        for key, values in pairs.items()
    }
    return {key: values for key, values in found.items() if values}


def graph_gaps(version: str) -> GraphGaps:
    """What graph models cannot use in TF.js ``version`` (a release of :func:`releases`)."""
    facts = release_facts()
    kernels = {backend: _later(version, since) for backend, since in facts["kernels_since"].items()}
    return GraphGaps(
        version=version,
        ops=_later(version, facts["ops_since"]),
        backends=frozenset(
            backend for backend in facts["kernels_since"] if not missing_package(version, backend)
        ),
        kernels=kernels,
        kernels_reached=_in_release(facts["kernels_reached"], version),
        channels_last_only=_in_release(facts["channels_last_only"], version),
    )


def lacks(version: str, name: str) -> str | None:
    """The first release that has ``name`` when ``version`` is older, else None."""
    first = FIRST_RELEASE.get(name)
    if first is not None and release_key(version) < release_key(first):
        return first
    return None


def packages_for(version: str, pinned: Mapping[str, str]) -> dict[str, str]:
    """The pinned packages (names from ``pinned``) at ``version``, less those it was not published
    for (tfjs-backend-webgpu starts at 4.6.0; some releases have no tfjs-backend-wasm)."""
    return {name: version for name in pinned if _published(name, version)}


def _published(package: str, version: str) -> bool:
    ranges = release_facts()["packages"].get(package)
    return ranges is None or _within(version, ranges)


def missing_package(version: str, backend: str) -> str | None:
    """Why TF.js ``version`` cannot run ``backend`` (its package was not published at that
    release), else None."""
    package = BACKEND_PACKAGES.get(backend)
    if package is None or _published(package, version):
        return None
    ranges = release_facts()["packages"][package]
    if release_key(version) < release_key(ranges[0][0]):
        return f"TF.js {version} has no {package} (it starts at {ranges[0][0]})"
    runs = ", ".join(first if first == last else f"{first} to {last}" for first, last in ranges)
    return f"TF.js {version} has no {package} (it was published for {runs})"


def topology_gaps(topology: Any, version: str) -> Iterator[tuple[str, str, str]]:
    """``(layer name, class name, reason)`` for each name in a layers model's topology that TF.js
    ``version`` cannot deserialize."""
    yield from _walk(topology, version, "", "")


def _walk(node: Any, version: str, layer: str, layer_class: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, version, layer, layer_class)
        return
    if not isinstance(node, dict):
        return
    config = node.get("config")
    class_name = node.get("class_name")
    if isinstance(class_name, str) and isinstance(config, dict):
        if isinstance(config.get("name"), str) and "layers" not in config:
            layer, layer_class = config["name"], class_name
        first = lacks(version, class_name)
        if first is not None:
            yield layer, layer_class, f"{class_name} is not in TF.js {version} (first in {first})"
    for key, value in node.items():
        if key in _ACTIVATION_KEYS and isinstance(value, str):
            first = lacks(version, value)
            if first is not None:
                yield (
                    layer,
                    layer_class,
                    f"activation {value} is not in TF.js {version} (first in {first})",
                )
        else:
            yield from _walk(value, version, layer, layer_class)
