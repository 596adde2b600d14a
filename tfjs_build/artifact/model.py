"""The in-memory artifact every converter produces and every writer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfjs_build.artifact.format import ModelFormat


@dataclass
class Artifact:
    """A TF.js model before it is written: ``model.json`` minus the manifest, plus named weights.

    ``weights`` is ordered: TF.js layers models read weights by name, graph models by name too, but
    the order fixes the byte layout of the shards, so it is kept as given.
    """

    format: ModelFormat
    topology: dict[str, Any]
    weights: list[tuple[str, np.ndarray]] = field(default_factory=list)
    signature: dict[str, Any] | None = None
    generated_by: str | None = None
    converted_by: str | None = None
    user_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Other top-level ``model.json`` keys (for example ``modelInitializer``), written as given."""

    def weight_dict(self) -> dict[str, np.ndarray]:
        """The weights by name."""
        return dict(self.weights)
