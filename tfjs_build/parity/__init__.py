"""Numeric parity: an artifact's outputs in real TF.js against its source in TensorFlow/Keras.

:func:`check_parity` builds probe inputs from the artifact's ``model.json`` (or takes the user's
samples), runs the source in TensorFlow/Keras and the artifact in TF.js on each backend, and
compares the outputs by name with tolerances that depend on the weights' quantization. It needs
only ``model.json``, the shards and the source, so it checks artifacts made by any converter.

Names are imported on first use, so that the record types (:mod:`tfjs_build.parity.record`,
standard library only) can be read without importing numpy.
"""

from __future__ import annotations

from tfjs_build._lazy import lazy_getattr

_EXPORTS = {
    "check_parity": "tfjs_build.parity.check",
    "Cause": "tfjs_build.parity.divergence",
    "Divergence": "tfjs_build.parity.divergence",
    "localize_divergence": "tfjs_build.parity.localize",
    "load_samples": "tfjs_build.parity.probes",
    "make_probes": "tfjs_build.parity.probes",
    "ParityRecord": "tfjs_build.parity.record",
    "SkippedRecord": "tfjs_build.parity.record",
    "dumps_record": "tfjs_build.parity.record",
    "parity_summary": "tfjs_build.parity.record",
    "skipped_record": "tfjs_build.parity.record",
    "ParityReport": "tfjs_build.parity.report",
    "skipped_report": "tfjs_build.parity.report",
    "DEFAULT_TOLERANCES": "tfjs_build.parity.tolerances",
    "Tolerance": "tfjs_build.parity.tolerances",
    "default_tolerance": "tfjs_build.parity.tolerances",
    "resolve_tolerance": "tfjs_build.parity.tolerances",
    "ParityError": "tfjs_build.errors",
    "ProbeError": "tfjs_build.errors",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
