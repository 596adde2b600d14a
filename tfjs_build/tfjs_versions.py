"""The TF.js releases an artifact can be built and proven for, and what each of them lacks.

One table of facts, measured from the published packages (``js/tools/layer_registry.js`` run on
each release's ``tfjs-core`` and ``tfjs-layers``): the first release that has each name a layers
model can use and older releases lack, and the first release of each package. Everything that
varies by TF.js version asks here; nothing else compares version numbers. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

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

PACKAGE_SINCE: Mapping[str, str] = {"@tensorflow/tfjs-backend-webgpu": "4.6.0"}
"""Packages younger than :data:`OLDEST`, by their first release at TF.js's version number."""

BACKEND_PACKAGES: Mapping[str, str] = {
    "wasm": "@tensorflow/tfjs-backend-wasm",
    "webgl": "@tensorflow/tfjs-backend-webgl",
    "webgl-f16": "@tensorflow/tfjs-backend-webgl",
    "webgpu": "@tensorflow/tfjs-backend-webgpu",
}

_RELEASE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_ACTIVATION_KEYS = ("activation", "recurrent_activation")


def release_key(version: str) -> tuple[int, int, int]:
    """``"4.19.0"`` as ``(4, 19, 0)``; a version that is not ``MAJOR.MINOR.PATCH`` raises
    ``ValueError``."""
    match = _RELEASE.match(version)
    if match is None:
        raise ValueError(f"{version!r} is not a TF.js release number such as {PINNED}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def covered(version: str) -> bool:
    """Whether the facts cover ``version`` (from :data:`OLDEST` on)."""
    return release_key(version) >= release_key(OLDEST)


def lacks(version: str, name: str) -> str | None:
    """The first release that has ``name`` when ``version`` is older, else None."""
    first = FIRST_RELEASE.get(name)
    if first is not None and release_key(version) < release_key(first):
        return first
    return None


def packages_for(version: str, pinned: Mapping[str, str]) -> dict[str, str]:
    """The pinned packages (names from ``pinned``) at ``version``, less those not published yet."""
    return {
        name: version
        for name in pinned
        if release_key(version) >= release_key(PACKAGE_SINCE.get(name, OLDEST))
    }


def missing_package(version: str, backend: str) -> str | None:
    """Why TF.js ``version`` cannot run ``backend`` (its package came later), else None."""
    package = BACKEND_PACKAGES.get(backend)
    first = PACKAGE_SINCE.get(package or "")
    if package is not None and first is not None and release_key(version) < release_key(first):
        return f"TF.js {version} has no {package} (it starts at {first})"
    return None


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
