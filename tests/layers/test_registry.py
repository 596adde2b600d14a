"""The committed TF.js class table is what the installed @tensorflow/tfjs 4.22.0 registers, and
the converter only emits classes that TF.js registers."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tfjs_build.layers.layer_configs import leaf_layer_classes, refused_layer_classes
from tfjs_build.layers.registry import registry_table, tfjs_class_names
from tfjs_build.layers.topology import MODEL_CLASSES, WRAPPER_CLASSES

SCRIPT = Path(__file__).resolve().parents[2] / "tfjs_build" / "js" / "tools" / "layer_registry.js"


def test_committed_table_matches_installed_tfjs(node_packages: Path) -> None:
    from tfjs_build.runtime.node_packages import node_executable

    env = {**os.environ, "NODE_PATH": str(node_packages / "node_modules")}
    result = subprocess.run(
        [node_executable(), str(SCRIPT)], capture_output=True, text=True, check=True, env=env
    )
    assert json.loads(result.stdout) == registry_table()


def test_table_has_the_112_registered_names() -> None:
    table: dict[str, Any] = registry_table()
    kinds = ("layers", "activations", "initializers", "constraints", "regularizers", "optimizers")
    assert table["tfjs_version"] == "4.22.0"
    assert sum(len(table[kind]) for kind in kinds) == table["class_count"] == 112
    assert {"Lambda", "Normalization", "Subtract", "MultiHeadAttention"}.isdisjoint(table["layers"])


def test_converted_classes_are_all_registered_in_tfjs() -> None:
    assert leaf_layer_classes() <= tfjs_class_names("layers")


def test_every_tfjs_layer_class_is_converted_or_refused_with_a_reason() -> None:
    handled = leaf_layer_classes() | MODEL_CLASSES | WRAPPER_CLASSES | {"InputLayer"}
    refused = refused_layer_classes()
    assert tfjs_class_names("layers") == handled | set(refused)
    assert not handled & set(refused)
