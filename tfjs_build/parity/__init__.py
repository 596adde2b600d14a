"""Numeric parity: an artifact's outputs in real TF.js against its source in TensorFlow/Keras.

:func:`check_parity` builds probe inputs from the artifact's ``model.json`` (or takes the user's
samples), runs the source in TensorFlow/Keras and the artifact in TF.js on each backend, and
compares the outputs by name with tolerances that depend on the weights' quantization. It needs
only ``model.json``, the shards and the source, so it checks artifacts made by any converter.
"""

from __future__ import annotations

from tfjs_build.parity.check import DEFAULT_BACKENDS, check_parity
from tfjs_build.parity.probes import ProbeError, load_samples, make_probes
from tfjs_build.parity.record import ParityRecord, SkippedRecord, dumps_record, skipped_record
from tfjs_build.parity.report import ParityError, ParityReport, skipped_report
from tfjs_build.parity.tolerances import (
    DEFAULT_TOLERANCES,
    Tolerance,
    default_tolerance,
    resolve_tolerance,
)

__all__ = [
    "DEFAULT_BACKENDS",
    "DEFAULT_TOLERANCES",
    "ParityError",
    "ParityRecord",
    "ParityReport",
    "ProbeError",
    "SkippedRecord",
    "Tolerance",
    "check_parity",
    "default_tolerance",
    "dumps_record",
    "load_samples",
    "make_probes",
    "resolve_tolerance",
    "skipped_record",
    "skipped_report",
]
