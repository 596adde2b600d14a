"""Assertions shared by the graph tests: write an artifact, run it in real TF.js, compare."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tfjs_build.artifact import Artifact, write_artifact

if TYPE_CHECKING:
    from tfjs_build.runtime import RuntimePool

TOLERANCE = 1e-5
TFJS_BACKENDS = ("cpu", "wasm")


def write(artifact: Artifact, directory: Path) -> Path:
    """Write ``artifact`` into a fresh directory and return it."""
    write_artifact(artifact, directory)
    return directory


def assert_runs_like_tensorflow(
    directory: Path,
    inputs: Mapping[str, np.ndarray],
    expected: Mapping[str, np.ndarray],
    backends: Iterable[str] = TFJS_BACKENDS,
    runtimes: RuntimePool | None = None,
) -> None:
    """Run the artifact in real TF.js on each backend (through ``runtimes``, which the browser
    backends need); every output matches TensorFlow's."""
    from tfjs_build.runtime import run_in_tfjs

    for backend in backends:
        if runtimes is not None:
            got = runtimes.get(backend).run(directory, dict(inputs))
        else:
            got = run_in_tfjs(directory, dict(inputs), backend=backend)
        assert set(got) == set(expected), backend
        for key, want in expected.items():
            assert got[key].shape == want.shape, (backend, key)
            if want.dtype.kind in "OSU":
                assert got[key].tolist() == want.tolist(), f"{backend}:{key}"
                continue
            np.testing.assert_allclose(
                got[key].astype("float64"),
                want.astype("float64"),
                rtol=0,
                atol=TOLERANCE,
                err_msg=f"{backend}:{key}",
            )
