"""Lazy access to the optional TensorFlow dependency, with an install hint when it is missing."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

from tfjs_build.errors import MissingDependencyError
from tfjs_build.interrupts import interrupts_deferred

TENSORFLOW_HINT = "pip install 'tfjs-build[tensorflow]'"

# What TensorFlow's C++ side prints on every start on a CPU-only machine, before its logging is set
# up (so TF_CPP_MIN_LOG_LEVEL cannot silence it). Nothing a tfjs-build user can act on.
NATIVE_START_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|oneDNN custom operations are on"
    r"|cudart_stub\.cc.*Could not find cuda drivers"
    r"|failed call to cuInit"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation_placer\.cc.*already registered"
    r"|TF-TRT Warning: Could not find TensorRT"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|To enable the following instructions: .* rebuild TensorFlow"
)


@contextlib.contextmanager
def _without_native_start_noise() -> Iterator[None]:
    """Capture file descriptor 2 for the block; then pass on every line but the start-up noise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [
                line
                for line in captured.read().decode(errors="replace").splitlines(keepends=True)
                if not NATIVE_START_NOISE.search(line)
            ]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def import_tensorflow() -> ModuleType:
    """Import and return ``tensorflow``; raise a clear error saying what to install when absent.

    The first import also initializes TensorFlow's devices, with its start-up noise filtered out.
    """
    imported = sys.modules.get("tensorflow")
    if imported is not None:
        return imported
    # keep TensorFlow's C++ info logs out of builds
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # oneDNN builds otherwise keep tensors in a pool that grows and never shrinks: a loaded
    # model's weights would stay resident through every later phase of a conversion
    os.environ.setdefault("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", "1")
    try:
        # Ctrl-C mid-import can be swallowed by TensorFlow's own imports (a C module's import
        # fails, TensorFlow warns and goes on): it takes effect once the import is done instead
        with interrupts_deferred(), _without_native_start_noise():
            import tensorflow as tf

            tf.config.list_logical_devices()  # the device probe (cuInit) logs here, not mid-build
    except ImportError as exc:
        raise MissingDependencyError(
            f"this needs TensorFlow, which is not installed ({exc}); install it with: {TENSORFLOW_HINT}"
        ) from None
    module: ModuleType = tf
    return module
