"""Build a source through the pipeline with parity in real TF.js, and check the reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.sources.models import Source
from tfjs_build.options import ConvertOptions, ParityOptions
from tfjs_build.parity.reference import run_reference
from tfjs_build.pipeline import BuildResult, build
from tfjs_build.verification import parity_verifier


def build_checked(
    source: Path, output: Path, options: ConvertOptions, max_error: float = 1e-4
) -> BuildResult:
    """Convert and publish ``source``; the parity check (cpu and wasm) must pass, no output off
    by more than ``max_error``."""
    result = build(source, output, options, verify=parity_verifier(ParityOptions(), options))
    record = result.parity
    assert record is not None and not record["skipped"]
    assert record["passed"] is True, record
    assert [b["backend"] for b in record["backends"]] == ["cpu", "wasm"]
    errors = [float(o["max_abs_error"]) for b in record["backends"] for o in b["outputs"]]
    assert errors and max(errors) < max_error
    return result


def assert_reference_is_the_model(source: Source, output_name: str, *, graph: bool) -> str:
    """Parity's reference for ``source`` computes what the library that saved it computed."""
    reference = run_reference(source.path, source.feed, [output_name], graph=graph)
    np.testing.assert_allclose(reference.outputs[output_name], source.expected, atol=1e-5)
    return reference.description
