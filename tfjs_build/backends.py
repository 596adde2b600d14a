"""The TF.js backends tfjs-build knows, by role: what a graph model must run on, what parity runs,
and where parity runs each one (Node or a browser)."""

from __future__ import annotations

from typing import Literal

TargetBackend = Literal["cpu", "wasm", "webgl", "webgpu"]
TARGET_BACKENDS: tuple[TargetBackend, ...] = ("cpu", "wasm", "webgl", "webgpu")
"""Backends a graph model's ops can be checked against (the TF.js op tables we ship)."""
DEFAULT_TARGET_BACKENDS: tuple[TargetBackend, ...] = ("cpu", "wasm", "webgl")
"""Checked unless the project says otherwise: webgpu lacks kernels the others have, so a model
is held to its table only when ``target_backends`` names it."""

ParityBackend = Literal["cpu", "wasm", "webgl", "webgl-f16", "webgpu"]
NODE_BACKENDS: tuple[ParityBackend, ...] = ("cpu", "wasm")
"""Run by Node.js: TF.js's pure-JS kernels and its WebAssembly kernels."""
BROWSER_BACKENDS: tuple[ParityBackend, ...] = ("webgl", "webgl-f16", "webgpu")
"""Run by headless Chrome/Chromium, one page each: TF.js's WebGL kernels with float32 textures,
the same with ``WEBGL_FORCE_F16_TEXTURES`` (half-precision storage, as on most phones), and its
WebGPU kernels (compute shaders in WGSL)."""
PARITY_BACKENDS: tuple[ParityBackend, ...] = NODE_BACKENDS + BROWSER_BACKENDS
"""Backends parity can run an artifact on."""

DEFAULT_PARITY_BACKENDS: tuple[ParityBackend, ...] = ("cpu", "wasm")
"""Both by default: their kernels differ, and so can their numbers; neither needs a browser."""


def kernels_of(backend: str) -> str:
    """The target backend whose kernels a parity backend runs (``webgl-f16`` runs webgl's)."""
    return "webgl" if backend == "webgl-f16" else backend
