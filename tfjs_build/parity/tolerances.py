"""Parity tolerances, and their defaults per weight quantization, chosen from measurements.

An element passes when ``|candidate - reference| <= atol + rtol * |reference| + scale_tol * S``,
where ``S`` is the output's largest finite ``|reference|``. The ``scale_tol`` term is there because
quantization error does not follow each element: it follows the size of the whole output (an
element near zero in a layer of large logits gets as much error as its neighbours).

Measurements (``python bench/bench_parity.py --tolerances``; hand-made layers artifacts of
tf_keras models with randomised BatchNorm statistics; probes of seeds 0-2, batch 2; TF.js 4.22 cpu
and wasm; the worst over seeds and both backends). Each cell is the scale error ``max|diff| / S``:

=========================  =======  =========  =========  =========  =========
model (output, S)          backend  float32    uint16     float16    uint8
=========================  =======  =========  =========  =========  =========
MLP 32-128-64-10 (logits,  cpu      3.6e-07    3.1e-05    4.4e-04    5.7e-03
S=0.80)                    wasm     2.7e-07    3.1e-05    4.4e-04    5.7e-03
small CNN + BN (softmax)   both     4.4e-07    1.3e-05    1.7e-04    2.7e-03
Embedding + LSTM (softmax) both     7.4e-08    3.7e-07    5.8e-06    8.6e-05
MobileNetV2 96px (softmax) both     4.6e-07    1.2e-05    1.6e-04    3.4e-03
MobileNetV2 96px (logits,  cpu      4.8e-07    4.6e-05    4.9e-04    1.1e-02
S=0.44)                    wasm     1.3e-06    4.6e-05    4.9e-04    1.1e-02
MobileNetV2 96px, logits   cpu      3.8e-07    3.9e-05    3.6e-04    9.5e-03
x30 (S=16.3)               wasm     8.8e-07    3.9e-05    3.6e-04    9.5e-03
MobileNetV2 96px, softmax  cpu      4.5e-07    7.7e-06    4.8e-05    4.0e-03
of logits x30 (S=0.80)     wasm     1.4e-06    1.0e-05    4.8e-05    4.0e-03
MobileNetV2 224px, logits  cpu      3.8e-07    3.1e-05    4.0e-04    7.5e-03
x30 (S=16.4, seeds 0-1)    wasm     8.7e-07    3.1e-05    4.0e-04    7.5e-03
heavy-tailed kernels (*):
small CNN (softmax)        both     2.2e-07    2.5e-05    8.2e-05    8.3e-03
MobileNetV2 96px (logits,  cpu      5.0e-07    5.6e-04    7.3e-04    1.7e-01
S=0.96)                    wasm     1.1e-06    5.6e-04    7.3e-04    1.7e-01
=========================  =======  =========  =========  =========  =========

(*) Conv2D/DepthwiseConv2D/Dense kernels redrawn from a Student-t with 3 degrees of freedom
(same spread): the outliers of trained weights, which stretch the uint8/uint16 grid (seeds 0-1).

Absolute errors follow S (uint8 on MobileNetV2 logits: 5.0e-03 at S=0.44, 0.155 at S=16.3),
so a fixed ``atol`` cannot serve every model; the scale error is stable across models and
backends, except where outlier weights stretch the affine (uint8/uint16) grid. Defaults:

- float32: ``scale_tol`` 1e-4 (worst 1.4e-6: seventy times, for deeper models and other
  kernels; wasm differs from cpu by up to three times here), ``rtol`` 1e-4, ``atol`` 1e-5;
- uint16: ``scale_tol`` 2e-3 (worst 5.6e-4 with outliers, 4.6e-5 without), ``rtol`` 2e-3,
  ``atol`` 1e-4;
- float16: ``scale_tol`` 5e-3 (worst 7.3e-4), ``rtol`` 5e-3, ``atol`` 1e-4;
- uint8: ``scale_tol`` 5e-2 (worst 1.1e-2 without outliers), ``rtol`` 5e-2, ``atol`` 1e-3.

uint8 on MobileNetV2 with outlier kernels moves the logits by 17% of their range, and the default
says so rather than publishing it: that model predicts differently in TF.js. Models where such a
change is acceptable set their own tolerance (or quantize fewer weights).

Sources that compute in 16 bits (Keras's ``mixed_float16`` and ``mixed_bfloat16`` policies) differ
from their float32 artifacts by their own rounding, whatever the weights. Measured as above
(``python bench/bench_parity.py --mixed-precision``; layers artifacts from tfjs-build's converter;
probes of seeds 0-2; cpu and wasm agree to two digits), the scale error ``max|diff| / S``:

===============================================  =============  =======
model (output)                                   mixed_float16  mixed_bfloat16
===============================================  =============  ==============
MLP 32-128-64-10 (logits)                        6.1e-04        5.0e-03
small CNN + BN (softmax)                         8.8e-04        3.5e-03
Embedding + LSTM (softmax)                       3.0e-04        2.4e-03
MobileNetV2 96px (logits; tf_keras)              9.5e-04        3.3e-03
MobileNetV2 96px (logits x30, S=14.5)            6.9e-04        3.4e-03
MobileNetV2 96px (logits; Keras 3)               5.1e-04        4.5e-03
===============================================  =============  ==============

Defaults for such sources (each field at least the weights' default): float16 like float16
weights, ``scale_tol`` and ``rtol`` 5e-3, ``atol`` 1e-4 (worst 9.5e-4); bfloat16 ``scale_tol``
and ``rtol`` 3e-2, ``atol`` 1e-3 (worst 5.0e-3). The record says which applied
(``source_compute``).

The browser backends (``--backends webgl webgl-f16 --quantizations float32``; headless Chromium
156 with SwiftShader WebGL 2, float32 weights, the same models, seeds and batch), scale error:

=================================  =========  =========
model (output)                     webgl      webgl-f16
=================================  =========  =========
MLP (logits)                       3.5e-07    6.5e-04
small CNN + BN (softmax)           1.9e-07    5.4e-04
Embedding + LSTM (softmax)         1.5e-07    6.9e-04
MobileNetV2 96px (softmax)         3.9e-07    9.1e-04
MobileNetV2 96px (logits)          6.5e-07    5.2e-04
MobileNetV2 96px (logits x30)      9.7e-07    5.4e-04
MobileNetV2 96px (softmax of x30)  5.0e-06    4.8e-03
heavy-tailed small CNN (softmax)   1.1e-07    7.6e-04
heavy-tailed MobileNetV2 (logits)  6.2e-07    9.4e-04
=================================  =========  =========

- webgl with float32 textures stays within the float32 default (worst 5.0e-6, twenty times
  below it), so its default is float32's;
- webgl-f16 stores every intermediate tensor as float16: ``scale_tol`` 2e-2 (worst 4.8e-3, where
  a softmax sharpens large logits), ``rtol`` 2e-2, ``atol`` 1e-3. SwiftShader rounds what it
  stores to half precision but computes in float32; a phone GPU computing in half precision
  (``mediump``) adds its own error, so treat a webgl-f16 pass here as necessary, not sufficient.

WebGPU (``--backends webgl webgpu --quantizations float32``; the same Chromium with SwiftShader's
WebGPU adapter, no ``shader-f16``; the same models, seeds and batch, measured in one run next to
webgl), scale error:

=================================  =========  =========
model (output)                     webgl      webgpu
=================================  =========  =========
MLP (logits)                       3.2e-07    2.4e-07
small CNN + BN (softmax)           1.9e-07    1.9e-07
Embedding + LSTM (softmax)         2.2e-07    1.5e-07
MobileNetV2 96px (softmax)         3.7e-07    3.7e-07
MobileNetV2 96px (logits)          9.5e-07    8.8e-07
MobileNetV2 96px (logits x30)      7.6e-07    7.6e-07
MobileNetV2 96px (softmax of x30)  2.0e-06    1.8e-06
MobileNetV2 224px (logits x30)     1.3e-06    1.4e-06
heavy-tailed small CNN (softmax)   2.3e-07    2.3e-07
heavy-tailed MobileNetV2 (logits)  9.3e-07    9.3e-07
=================================  =========  =========

- webgpu computes in float32 storage buffers and stays within the float32 default (worst 1.8e-6,
  fifty times below it), so its default is float32's, like webgl's. SwiftShader offers no
  ``shader-f16``, so TF.js runs no half-precision WebGPU kernels here.

Each field of a backend's default is the looser of the quantization's and the backend's.

Argmax agreement is reported but not required by default: with untrained weights or near ties
between classes it flips under any quantization; set ``min_argmax_agreement`` to require it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from tfjs_build.errors import TfjsBuildError


@dataclass(frozen=True)
class Tolerance:
    """``|candidate - reference| <= atol + rtol * |reference| + scale_tol * max|reference|``.

    ``min_argmax_agreement`` (0..1), when set, also requires classifier-like outputs to pick the
    same class in at least that fraction of rows.
    """

    atol: float
    rtol: float
    scale_tol: float = 0.0
    min_argmax_agreement: float | None = None

    def __post_init__(self) -> None:
        if min(self.atol, self.rtol, self.scale_tol) < 0:
            raise TfjsBuildError(
                f"parity tolerance must not be negative (atol {self.atol}, rtol {self.rtol}, "
                f"scale_tol {self.scale_tol})"
            )
        agreement = self.min_argmax_agreement
        if agreement is not None and not 0.0 <= agreement <= 1.0:
            raise TfjsBuildError(f"min_argmax_agreement must be within 0..1, got {agreement}")

    def describe(self) -> str:
        """The rule as text, for failure messages."""
        rule = f"atol {self.atol:g} + rtol {self.rtol:g}*|reference|"
        if self.scale_tol:
            rule += f" + scale_tol {self.scale_tol:g}*max|reference|"
        return rule


DEFAULT_TOLERANCES: dict[str | None, Tolerance] = {
    None: Tolerance(atol=1e-5, rtol=1e-4, scale_tol=1e-4),
    "uint16": Tolerance(atol=1e-4, rtol=2e-3, scale_tol=2e-3),
    "float16": Tolerance(atol=1e-4, rtol=5e-3, scale_tol=5e-3),
    "uint8": Tolerance(atol=1e-3, rtol=5e-2, scale_tol=5e-2),
}


SOURCE_COMPUTE_TOLERANCES: dict[str, Tolerance] = {
    "float16": Tolerance(atol=1e-4, rtol=5e-3, scale_tol=5e-3),
    "bfloat16": Tolerance(atol=1e-3, rtol=3e-2, scale_tol=3e-2),
}
"""Defaults for sources that compute in 16 bits (mixed precision), whatever the weights."""


def artifact_quantization(model_json: Mapping[str, Any]) -> str | None:
    """The coarsest weight quantization in ``model_json``'s manifest (``None``: none)."""
    found = {
        (entry.get("quantization") or {}).get("dtype")
        for group in model_json.get("weightsManifest") or []
        for entry in group.get("weights", [])
    }
    for dtype in ("uint8", "float16", "uint16"):
        if dtype in found:
            return dtype
    return None


BACKEND_TOLERANCES: dict[str, Tolerance] = {
    "webgl": DEFAULT_TOLERANCES[None],
    "webgl-f16": Tolerance(atol=1e-3, rtol=2e-2, scale_tol=2e-2),
    "webgpu": DEFAULT_TOLERANCES[None],
}
"""The least each backend needs whatever the weights: its own arithmetic's error (see above);
cpu and wasm need nothing beyond the weights' default."""


def default_tolerance(
    quantization: str | None, *, source_compute: str | None = None, backend: str = "cpu"
) -> Tolerance:
    """The default tolerance for weights quantized to ``quantization`` (``None``: float32), each
    field loosened to that of a source computing in ``source_compute`` (``float16``...) and to
    that of ``backend``'s own arithmetic."""
    key = None if quantization in (None, "float32", "none") else quantization
    try:
        tolerance = DEFAULT_TOLERANCES[key]
    except KeyError:
        known = ", ".join(k for k in DEFAULT_TOLERANCES if k)
        raise TfjsBuildError(
            f"unknown quantization {quantization!r} for parity tolerances; use one of {known}"
        ) from None
    if source_compute is not None:
        tolerance = loosest(tolerance, SOURCE_COMPUTE_TOLERANCES[source_compute])
    floor = BACKEND_TOLERANCES.get(backend)
    return tolerance if floor is None else loosest(tolerance, floor)


def loosest(tolerance: Tolerance, floor: Tolerance) -> Tolerance:
    """``tolerance`` with each of ``atol``, ``rtol`` and ``scale_tol`` at least ``floor``'s."""
    return replace(
        tolerance,
        atol=max(tolerance.atol, floor.atol),
        rtol=max(tolerance.rtol, floor.rtol),
        scale_tol=max(tolerance.scale_tol, floor.scale_tol),
    )


def resolve_tolerance(
    quantization: str | None,
    source_compute: str | None = None,
    *,
    backend: str = "cpu",
    atol: float | None = None,
    rtol: float | None = None,
    scale_tol: float | None = None,
    min_argmax_agreement: float | None = None,
) -> Tolerance:
    """The default for ``quantization``, ``source_compute`` and ``backend`` with the given fields
    overridden (``None``: keep)."""
    overrides: dict[str, float] = {
        key: value
        for key, value in (
            ("atol", atol),
            ("rtol", rtol),
            ("scale_tol", scale_tol),
            ("min_argmax_agreement", min_argmax_agreement),
        )
        if value is not None
    }
    return replace(
        default_tolerance(quantization, source_compute=source_compute, backend=backend),
        **overrides,
    )


@dataclass(frozen=True)
class ToleranceOverrides:
    """The tolerance fields a user set (``None``: keep each backend's default for the weights)."""

    atol: float | None = None
    rtol: float | None = None
    scale_tol: float | None = None
    min_argmax_agreement: float | None = None

    def resolve(
        self, quantization: str | None, backend: str = "cpu", source_compute: str | None = None
    ) -> Tolerance:
        """The tolerance for ``quantization`` on ``backend`` (and a source computing in
        ``source_compute``) with these fields overridden."""
        return resolve_tolerance(
            quantization,
            source_compute,
            backend=backend,
            atol=self.atol,
            rtol=self.rtol,
            scale_tol=self.scale_tol,
            min_argmax_agreement=self.min_argmax_agreement,
        )
