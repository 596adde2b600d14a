"""Keras layers TF.js expresses as several layers: the plan, its layout in a model, its weights.

An ``Expansion`` replaces one Keras layer by a few TF.js layers (``Step``s) computing the same
function. The last step keeps the layer's name, so every reference to the layer still holds; the
others are named ``<layer>_<suffix>``. A plan depends on the layer's config only, so it is made
(and checked) while the config is rewritten; each step's weights are computed from the original
layer's weights once those are read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Config = dict[str, Any]
Weights = dict[str, np.ndarray]
WeightMap = Callable[[Weights], Weights]


@dataclass(frozen=True)
class Source:
    """The original layer's input tensor number ``index``."""

    index: int = 0


StepInput = int | Source
"""A step's input: an earlier step (by position) or one of the layer's own inputs."""


@dataclass(frozen=True)
class Step:
    """One TF.js layer of an expansion.

    ``config`` is a Keras-style config without a name (it is rewritten for TF.js like any other
    layer's); ``inputs`` ``None`` reads the previous step (the layer's input for the first);
    ``weights`` maps the original layer's variables (by short name) to this step's (``dict``:
    the step takes them as they are).
    """

    class_name: str
    config: Config
    suffix: str
    inputs: tuple[StepInput, ...] | None = None
    weights: WeightMap | None = None


@dataclass(frozen=True)
class Expansion:
    """The steps replacing one layer; the last one computes the layer's output."""

    steps: tuple[Step, ...]

    @property
    def is_chain(self) -> bool:
        """Every step reads the one before (so it fits a Sequential model)."""
        return all(
            step.inputs is None or step.inputs == ((i - 1) if i else Source(0),)
            for i, step in enumerate(self.steps)
        )


@dataclass(frozen=True)
class Planned:
    """An expansion with each step's TF.js config (name not yet set)."""

    expansion: Expansion
    configs: tuple[Config, ...]

    def step_names(self, name: str, taken: set[str]) -> list[str]:
        """Names for the steps: new unique ones, and ``name`` for the last; adds them to ``taken``."""
        names = []
        for step in self.expansion.steps[:-1]:
            candidate, index = f"{name}_{step.suffix}", 1
            while candidate in taken:
                index += 1
                candidate = f"{name}_{step.suffix}_{index}"
            taken.add(candidate)
            names.append(candidate)
        return [*names, name]

    def layers(self, names: list[str], inbound_nodes: list[list[Any]] | None) -> list[Config]:
        """The steps as TF.js layer entries; ``inbound_nodes`` are the original layer's call nodes
        (Keras 2 style), ``None`` in a Sequential model."""
        out = []
        for position, (step, config, name) in enumerate(
            zip(self.expansion.steps, self.configs, names, strict=True)
        ):
            layer: Config = {"class_name": step.class_name, "config": {**config, "name": name}}
            if inbound_nodes is not None:
                layer["name"] = name
                layer["inbound_nodes"] = [
                    [_ref(i, source, node, names) for source in _inputs(step, position)]
                    for i, node in enumerate(inbound_nodes)
                ]
            out.append(layer)
        return out

    def weights(self, names: list[str], original: Weights) -> list[tuple[str, np.ndarray]]:
        """Each step's weights as ``(<step name>/<variable>, value)``."""
        out = []
        for step, name in zip(self.expansion.steps, names, strict=True):
            if step.weights is not None:
                for variable, value in step.weights(original).items():
                    out.append((f"{name}/{variable}", np.asarray(value)))
        return out


def _inputs(step: Step, position: int) -> tuple[StepInput, ...]:
    if step.inputs is not None:
        return step.inputs
    return ((position - 1),) if position else (Source(0),)


def _ref(node_index: int, source: StepInput, node: list[Any], names: list[str]) -> list[Any]:
    if isinstance(source, Source):
        return list(node[source.index])
    return [names[source], node_index, 0, {}]
