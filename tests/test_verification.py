"""Which backends the parity verifier checks: the parity backends the artifact targets."""

from __future__ import annotations

import pytest

from tfjs_build.options import ConvertOptions, ParityOptions
from tfjs_build.verification import checked_backends


@pytest.mark.parametrize(
    ("parity", "targets", "checked"),
    [
        (("cpu", "wasm"), ("cpu", "wasm", "webgl"), ("cpu", "wasm")),
        (("cpu", "wasm"), ("cpu", "webgl"), ("cpu",)),
        (("wasm",), ("cpu", "wasm"), ("wasm",)),
        (("cpu", "wasm"), ("webgl",), ("cpu", "wasm")),  # no browser here: check what we can
        (("cpu", "webgl", "webgl-f16"), ("cpu", "wasm", "webgl"), ("cpu", "webgl", "webgl-f16")),
        (("wasm", "webgl-f16"), ("webgl",), ("webgl-f16",)),  # webgl-f16 runs webgl's kernels
        (("cpu", "webgl-f16"), ("cpu",), ("cpu",)),
        # webgpu is no default target: parity checks it whenever it is named
        (("cpu", "wasm", "webgpu"), ("cpu", "wasm", "webgl"), ("cpu", "wasm", "webgpu")),
        (("cpu", "wasm", "webgpu"), ("cpu",), ("cpu", "webgpu")),
        (("webgpu",), ("cpu", "wasm", "webgpu"), ("webgpu",)),
    ],
)
def test_parity_runs_on_the_targeted_parity_backends(
    parity: tuple[str, ...], targets: tuple[str, ...], checked: tuple[str, ...]
) -> None:
    settings = ParityOptions(parity_backends=parity)
    options = ConvertOptions(target_backends=targets)
    assert checked_backends(settings, options) == checked
