"""Localize a layers model's divergence: every layer's output in Keras and in TF.js on the same
inputs, the first that goes wrong, that layer re-run in TF.js on Keras's inputs, and its causes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build.artifact.files import read_artifact
from tfjs_build.artifact.format import Quantization
from tfjs_build.parity.divergence import Cause, Divergence, Errors, Step, measure, value_causes
from tfjs_build.parity.layer_trace import LayerCall, layer_key, nested_model, trace_layers
from tfjs_build.parity.reference import keras_input_arrays
from tfjs_build.parity.tolerances import Tolerance
from tfjs_build.parity.weight_causes import quantized_weights, weight_causes
from tfjs_build.runtime.protocol import ExplainRequest, TfjsRuntime


@dataclass
class LayersProbe:
    """One backend's view of a layers artifact and its Keras source on the probe inputs."""

    runtime: TfjsRuntime
    artifact_dir: Path
    model: Any
    tolerance: Tolerance

    @property
    def backend(self) -> str:
        return self.runtime.backend

    @cached_property
    def weights(self) -> dict[str, np.ndarray]:
        """The artifact's weights by name, dequantized as TF.js sees them."""
        return read_artifact(self.artifact_dir).weight_dict()

    @cached_property
    def quantization(self) -> dict[str, Quantization]:
        """The quantization of each quantized weight, by name."""
        return quantized_weights(self.artifact_dir)

    def rerun(
        self,
        within: Sequence[str],
        call: LayerCall,
        inputs: Sequence[np.ndarray],
        weights: Mapping[str, np.ndarray] | None = None,
    ) -> list[np.ndarray]:
        """One call of a layer in TF.js on ``inputs``, with ``weights`` replaced first."""
        feeds = {str(i): value for i, value in enumerate(inputs)}
        feeds.update({f"weight:{name}": value for name, value in (weights or {}).items()})
        request: ExplainRequest = {
            "kind": "layer",
            "within": list(within),
            "layer": call.layer,
            "node": call.call,
        }
        return list(self.runtime.explain(self.artifact_dir, feeds, request).values())


def localize(
    runtime: TfjsRuntime,
    artifact_dir: Path,
    model: Any,
    inputs: Mapping[str, np.ndarray],
    tolerance: Tolerance,
) -> Divergence:
    """Where the layers artifact in ``artifact_dir`` first diverges from the Keras ``model`` on
    ``inputs`` (keyed like the artifact's) on ``runtime``'s backend."""
    probe = LayersProbe(runtime, Path(artifact_dir), model, tolerance)
    reference = trace_layers(model, keras_input_arrays(model, inputs))
    candidate = runtime.explain(artifact_dir, inputs, {"kind": "trace", "within": []})
    return _localize(probe, [], reference, candidate)


@dataclass(frozen=True)
class _Compared:
    """Both sides' layer outputs compared: the reference's tensors by key and the call making
    each, and per compared call its comparisons and step, in TF.js's (topological) order."""

    values: dict[str, np.ndarray]
    owners: dict[str, LayerCall]
    comparisons: dict[str, list[Errors]]
    steps: dict[str, Step]

    def inputs_error(self, call: LayerCall) -> float | None:
        """The worst error of ``call``'s inputs (``None`` if one of them was not compared)."""
        owners = [self.owners[key] for key in call.inputs]
        if any(o.class_name != "InputLayer" and o.key not in self.comparisons for o in owners):
            return None
        found = [c.max_abs_error for o in owners for c in self.comparisons.get(o.key, [])]
        return max(found, default=0.0)


def _compare(
    probe: LayersProbe,
    prefix: str,
    reference: dict[str, LayerCall],
    candidate: Mapping[str, np.ndarray],
) -> _Compared:
    values = {key: value for call in reference.values() for key, value in _tensors(call)}
    owners = {key: call for call in reference.values() for key, _ in _tensors(call)}
    comparisons: dict[str, list[Errors]] = {}
    for key, value in candidate.items():
        if key in values:
            errors = measure(values[key], value, probe.tolerance)
            comparisons.setdefault(owners[key].key, []).append(errors)
    steps = {
        key: Step.of(prefix + key, reference[key].class_name, found)
        for key, found in comparisons.items()
    }
    return _Compared(values, owners, comparisons, steps)


def _localize(
    probe: LayersProbe,
    within: list[str],
    reference: dict[str, LayerCall],
    candidate: Mapping[str, np.ndarray],
) -> Divergence:
    compared = _compare(probe, "".join(f"{name}/" for name in within), reference, candidate)
    steps = compared.steps
    divergence = Divergence(probe.backend, "layer", tuple(steps.values()))
    suspect = next((reference[key] for key, step in steps.items() if not step.passed), None)
    if suspect is None:
        return divergence
    ref_inputs = [compared.values[key] for key in suspect.inputs]
    own = probe.rerun(within, suspect, ref_inputs)
    own_found = [
        measure(ref, out, probe.tolerance)
        for (_, ref), out in zip(_tensors(suspect), own, strict=False)
    ]
    own_error = not all(c.passed for c in own_found)
    divergence = replace(
        divergence,
        first=steps[suspect.key],
        inputs_max_abs_error=compared.inputs_error(suspect),
        own_error=own_error,
        own_max_abs_error=max((c.max_abs_error for c in own_found), default=0.0),
    )
    if not own_error:
        return divergence
    if suspect.nested:
        inner = _localize_nested(probe, within, suspect, ref_inputs)
        if inner.first is not None:  # its steps follow the nested model's own
            at = list(steps).index(suspect.key) + 1
            outer = divergence.steps
            return replace(inner, steps=(*outer[:at], *inner.steps, *outer[at:]))
    causes = value_causes(probe.backend, [*ref_inputs, *suspect.values], own)
    causes += _weight_causes(probe, within, suspect, ref_inputs)
    return replace(divergence, causes=tuple(causes or [_kernel_cause(suspect)]))


def _kernel_cause(call: LayerCall) -> Cause:
    detail = f"TF.js computes {call.class_name} differently from the source on the same inputs"
    return Cause("kernel", detail + " and weights")


def _localize_nested(
    probe: LayersProbe, within: list[str], call: LayerCall, inputs: list[np.ndarray]
) -> Divergence:
    inner = [*within, call.layer]
    reference = trace_layers(nested_model(probe.model, inner), inputs)
    feeds = {str(i): value for i, value in enumerate(inputs)}
    candidate = probe.runtime.explain(probe.artifact_dir, feeds, {"kind": "trace", "within": inner})
    return _localize(probe, inner, reference, candidate)


def _weight_causes(
    probe: LayersProbe, within: list[str], call: LayerCall, inputs: list[np.ndarray]
) -> list[Cause]:
    """The layer's weights that differ from the source's, or whose quantization breaks it."""
    source = _source_weights(nested_model(probe.model, within).get_layer(call.layer))
    pairs = {
        name: (value, source[name.split("/")[-1]])
        for name, value in probe.weights.items()
        if name.split("/")[-2:-1] == [call.layer] and name.split("/")[-1] in source
    }

    def fixed_by(weights: Mapping[str, np.ndarray]) -> bool:
        outputs = probe.rerun(within, call, inputs, weights)
        return all(
            measure(ref, out, probe.tolerance).passed
            for (_, ref), out in zip(_tensors(call), outputs, strict=False)
        )

    return weight_causes(pairs, probe.quantization, fixed_by, lambda n: f"the {n.split('/')[-1]}")


def _source_weights(layer: Any) -> dict[str, np.ndarray]:
    """A Keras layer's own weights by their last name part (``kernel``, ``moving_variance``)."""
    found = {}
    for weight in layer.weights:
        name = str(getattr(weight, "path", None) or weight.name).split("/")[-1].split(":")[0]
        found[name] = np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
    return found


def _tensors(call: LayerCall) -> list[tuple[str, np.ndarray]]:
    return [(layer_key(call.layer, call.call, i), value) for i, value in enumerate(call.values)]
