"""What a TF.js runtime is: something that runs an artifact on one backend until it is closed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, TypedDict

if TYPE_CHECKING:
    import numpy as np


class ExplainRequest(TypedDict, total=False):
    """What a layers model's explaining run returns instead of its outputs (``js/run_model.js``'s
    ``explainLayers``): ``trace``, every layer call's output of the model nested at ``within`` (a
    path of layer names; empty for the model itself), keyed like
    :func:`tfjs_build.parity.layer_trace.layer_key`; ``layer``, one call (``node``) of the layer
    ``layer`` on inputs given by position, inputs named ``weight:NAME`` replacing its weights."""

    kind: Literal["trace", "layer"]
    within: list[str]
    layer: str
    node: int


class Timings(TypedDict):
    """Milliseconds measured inside TF.js: loading the model, the first prediction (on webgl it
    compiles the shaders) and the median of the warm ones (``None`` when none was asked for)."""

    load_ms: float
    predict_ms: float
    warm_predict_ms: float | None


class WebgpuAdapter(TypedDict):
    """The WebGPU adapter a page got (``GPUAdapterInfo``; empty strings where it says nothing)."""

    vendor: str
    architecture: str
    device: str
    description: str


class RuntimeRecord(TypedDict, total=False):
    """Where a browser backend ran, for ``parity.json``: the browser, then for webgl its renderer
    and textures, for webgpu its adapter and whether it has ``shader-f16``."""

    browser: str
    tfjs: str
    """The release of the TF.js the page loaded (``tf.version_core``)."""
    webgl_renderer: str
    webgl_version: int
    float32_textures: bool
    webgpu_adapter: WebgpuAdapter
    shader_f16: bool


@dataclass(frozen=True)
class TimedRun:
    """The outputs of one run by name, and how long TF.js took."""

    outputs: dict[str, np.ndarray]
    timings: Timings


class TfjsRuntime(Protocol):
    """Runs TF.js artifacts on one backend; start-up is paid once, then :meth:`close` ends it.

    Layers models take inputs by input-layer name and name outputs by output layer; graph models
    take signature input keys (or node names) and name outputs by signature output key.
    """

    @property
    def backend(self) -> str:
        """The TF.js backend this runtime runs on."""
        ...

    def run(
        self,
        artifact_dir: Path,
        inputs: Mapping[str, np.ndarray],
        outputs: Sequence[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """Load the artifact, run ``inputs`` and return the ``outputs`` (default: all) by name."""
        ...

    def timed_run(
        self,
        artifact_dir: Path,
        inputs: Mapping[str, np.ndarray],
        outputs: Sequence[str] | None = None,
        *,
        warm_runs: int = 0,
    ) -> TimedRun:
        """:meth:`run`, with TF.js's own timings (``warm_runs`` more predictions for the warm one)."""
        ...

    def explain(
        self, artifact_dir: Path, inputs: Mapping[str, np.ndarray], request: ExplainRequest
    ) -> dict[str, np.ndarray]:
        """Load a layers model and return what ``request`` asks for, by key, in topological order."""
        ...

    def environment(self) -> RuntimeRecord:
        """What to record about where it runs (empty for Node backends)."""
        ...

    def close(self) -> None:
        """Release the processes it holds; calling it again does nothing."""
        ...
