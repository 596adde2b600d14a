"""The TF.js backends tfjs-build knows, by role: what a graph model must run on, what parity runs."""

from __future__ import annotations

from typing import Literal

TargetBackend = Literal["cpu", "wasm", "webgl"]
TARGET_BACKENDS: tuple[TargetBackend, ...] = ("cpu", "wasm", "webgl")
"""Backends a graph model's ops are checked against (the TF.js op tables we ship)."""

ParityBackend = Literal["cpu", "wasm"]
PARITY_BACKENDS: tuple[ParityBackend, ...] = ("cpu", "wasm")
"""Backends parity can run an artifact on."""

DEFAULT_PARITY_BACKENDS: tuple[ParityBackend, ...] = ("cpu", "wasm")
"""Both by default: their kernels differ, and so can their numbers; neither needs a browser."""
