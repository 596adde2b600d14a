"""The class names TF.js 4.22 can deserialize, read from the committed ``tfjs_layers.json``.

The table is generated from the installed ``@tensorflow/tfjs`` package by
``tfjs_build/js/tools/layer_registry.js``; ``tests/layers/test_registry.py`` checks it is current.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Literal

RegistryKind = Literal[
    "layers", "activations", "initializers", "constraints", "regularizers", "optimizers"
]
TABLE_NAME = "tfjs_layers.json"


@lru_cache(maxsize=1)
def registry_table() -> dict[str, object]:
    """The generated table: ``tfjs_version``, ``class_count`` and one sorted name list per kind."""
    text = resources.files("tfjs_build.layers").joinpath(TABLE_NAME).read_text(encoding="utf-8")
    table: dict[str, object] = json.loads(text)
    return table


def tfjs_class_names(kind: RegistryKind) -> frozenset[str]:
    """Names TF.js registers for ``kind`` (for example ``"layers"``)."""
    names = registry_table()[kind]
    assert isinstance(names, list)
    return frozenset(names)
