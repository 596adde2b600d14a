"""Convert, verify and publish one model: the pipeline behind the CLI, doit and pre-commit."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tfjs_build.artifact.budget import check_budget
from tfjs_build.artifact.files import write_artifact
from tfjs_build.artifact.format import LAYERS_FORMAT, MODEL_JSON, PARITY_JSON
from tfjs_build.artifact.publish import publish_directory
from tfjs_build.artifact.user_metadata import (
    add_metadata,
    read_metadata_files,
    set_structured_outputs,
)
from tfjs_build.artifact.weights import layer_of
from tfjs_build.convert import Conversion, convert_source
from tfjs_build.display import shown_path
from tfjs_build.errors import ConfigError, RejectedBuildError, TfjsBuildError
from tfjs_build.keras_output import is_keras_output
from tfjs_build.options import AUTO_QUANTIZATION, ConvertOptions, spell

if TYPE_CHECKING:
    from tfjs_build.artifact.format import QuantizationDtype
    from tfjs_build.parity.record import ParityRecord, SkippedRecord
    from tfjs_build.quantization_search import QuantizationPlan, TrialOutcome


@dataclass(frozen=True)
class BuildResult:
    """What a build published.

    Attributes:
        output: the artifact directory.
        format: ``"layers"`` or ``"graph"``.
        reason: why it got that format.
        files: the artifact's file names (``model.json``, shards, ``parity.json``, ...).
        total_bytes: their size in all.
        shards: how many weight shard files.
        seconds: how long the build took.
        parity: the parity record written as ``parity.json`` (``passed``, per backend errors),
            or a skipped record saying why.
        warnings: problems that did not stop the build (a quantization pattern matching no
            weight).
    """

    output: Path
    format: str
    reason: str
    files: tuple[str, ...]
    total_bytes: int
    shards: int
    seconds: float
    parity: ParityRecord | SkippedRecord | None
    warnings: tuple[str, ...] = ()
    quantization_plan: QuantizationPlan | None = None
    """What ``quantization = "auto"`` chose (``None``: not asked for)."""


class Verifier(Protocol):
    """Checks a staged artifact before it is published; raises to reject the build."""

    def __call__(self, staged: Path, source: Path, output: Path) -> ParityRecord | SkippedRecord:
        """Check ``staged`` (to be published as ``output``, the name messages use) against
        ``source``; return the parity record."""


@runtime_checkable
class TrialVerifier(Protocol):
    """A verifier that can also check a candidate without recording it (parity's)."""

    def __call__(self, staged: Path, source: Path, output: Path) -> ParityRecord | SkippedRecord:
        """As :class:`Verifier`."""

    def trial(self, staged: Path, source: Path, output: Path) -> TrialOutcome:
        """Whether ``staged`` passes, and the weights the failure blames."""


def unmatched_quantization_patterns(options: ConvertOptions, names: list[str]) -> list[str]:
    """A warning for each quantization pattern that matches no weight (it quantizes nothing, or
    keeps nothing from being quantized), naming a few real weight names."""
    if options.quantization is None:
        return []
    known = ", ".join(repr(n) for n in names[:3]) + (", ..." if len(names) > 3 else "")
    settings: list[tuple[str, object, str]] = []
    if isinstance(options.quantization, tuple):
        settings += [
            ("quantization", ((dtype, (pattern,)),), pattern)
            for dtype, patterns in options.quantization
            for pattern in patterns
        ]
    else:
        settings += [("quantize_only", (pattern,), pattern) for pattern in options.quantize_only]
    settings += [("quantize_skip", (pattern,), pattern) for pattern in options.quantize_skip]
    return [
        f"{spell(key, value, options.origin)} matches no weight; the weights are "
        f"named like {known or '(none)'} (`tfjs-build inspect --weights` lists them)"
        for key, value, pattern in settings
        if not any(fnmatch.fnmatchcase(name, pattern) for name in names)
    ]


def build(
    source: Path,
    output: Path,
    options: ConvertOptions | None = None,
    *,
    verify: Verifier | None = None,
    rejected: Path | None = None,
) -> BuildResult:
    """Convert ``source`` and publish it to ``output`` atomically once ``verify`` accepts it
    (``output`` ending in ``.keras``/``.h5``: a TF.js layers model written as a Keras 3 file).

    A build larger than ``options.max_size``, or one ``verify`` rejects, is kept in ``rejected``
    (when given) for inspection, and the error says so; the next published build of ``output``
    removes it.
    """
    options = options or ConvertOptions()
    source, output = Path(source), Path(output)
    if source.resolve().is_relative_to(output.resolve()):
        raise TfjsBuildError(
            f"{output} holds the source {source}; publishing there would replace the source, so "
            "write the artifact to another directory"
        )
    if is_keras_output(output):
        from tfjs_build.keras_output import build_keras_file

        return build_keras_file(source, output, options, verify)
    started = time.perf_counter()
    metadata = read_metadata_files(
        options.metadata, options.project_root or Path.cwd(), options.origin
    )
    conversion: Conversion = convert_source(source, options)
    set_structured_outputs(conversion.artifact, options.structured_outputs)
    add_metadata(conversion.artifact, metadata)
    split = options.split_weights_by_layer and conversion.artifact.format == LAYERS_FORMAT
    records: list[ParityRecord | SkippedRecord | None] = [None]
    plan = None
    if options.quantization == AUTO_QUANTIZATION:
        plan = _search_quantization(conversion, source, output, options, verify, split)
    quantizer = plan.quantizer() if plan is not None else options.quantization_plan()

    def fill(staging: Path) -> None:
        write_artifact(
            conversion.artifact,
            staging,
            shard_size=options.shard_size,
            quantization=quantizer,
            group_of=layer_of if split else None,
        )

    verification_failed: list[bool] = []

    def check(staging: Path) -> None:
        try:
            check_budget(staging, options.max_size, options.origin, shown_path(output))
            if verify is not None:
                record = records[0] = verify(staging, source, output)
                if plan is not None:
                    _record_plan(staging, record, plan)
        except TfjsBuildError:
            verification_failed.append(True)
            raise

    try:
        publish_directory(output, fill, verify=check, rejected=rejected)
    except TfjsBuildError as exc:
        if not verification_failed:
            raise
        kept = (
            "the previous artifact is unchanged"
            if (output / MODEL_JSON).exists()
            else "nothing was published"
        )
        where = ""
        if plan is not None and not plan.passed:
            where = (
                f"; {spell('quantization', AUTO_QUANTIZATION, options.origin)} cannot help: "
                "parity fails with every weight in float32"
            )
        if rejected is not None and (rejected / MODEL_JSON).exists():
            where += f"; the rejected build is in {shown_path(rejected)}"
        raise RejectedBuildError(f"{exc}; {kept}{where}") from exc
    files = tuple(sorted(p.name for p in output.iterdir()))
    return BuildResult(
        output=output,
        format=conversion.format,
        reason=conversion.reason,
        files=files,
        total_bytes=sum((output / f).stat().st_size for f in files),
        shards=sum(1 for f in files if f != MODEL_JSON and f.endswith(".bin")),
        seconds=time.perf_counter() - started,
        parity=records[0],
        warnings=tuple(
            unmatched_quantization_patterns(options, [n for n, _ in conversion.artifact.weights])
        ),
        # published, so it passed parity (a search out of runs publishes float32 when that passes)
        quantization_plan=replace(plan, passed=True) if plan is not None else None,
    )


def _search_quantization(
    conversion: Conversion,
    source: Path,
    output: Path,
    options: ConvertOptions,
    verify: Verifier | None,
    split: bool,
) -> QuantizationPlan:
    """``quantization = "auto"``: each weight's narrowest dtype that passes ``verify``'s parity,
    each candidate written to a temporary directory and checked there."""
    import tempfile

    from tfjs_build.quantization_search import QuantizationPlan, search_quantization

    if not isinstance(verify, TrialVerifier):
        raise ConfigError(
            f"{spell('quantization', AUTO_QUANTIZATION, options.origin)} chooses each weight's "
            "dtype by checking parity, which is off; turn parity on or choose a dtype"
        )
    checker = verify

    def trial(dtypes: Mapping[str, QuantizationDtype | None]) -> TrialOutcome:
        candidate = QuantizationPlan(tuple(dtypes.items()), {}, 0, passed=False)
        with tempfile.TemporaryDirectory(prefix="tfjs-build-auto-") as tmp:
            staged = Path(tmp) / output.name
            write_artifact(
                conversion.artifact,
                staged,
                shard_size=options.shard_size,
                quantization=candidate.quantizer(),
                group_of=layer_of if split else None,
            )
            return checker.trial(staged, source, output)

    def kept(name: str) -> bool:  # quantize_only / quantize_skip: stays float32
        patterns = options.quantize_only
        return not any(fnmatch.fnmatchcase(name, p) for p in patterns) or any(
            fnmatch.fnmatchcase(name, p) for p in options.quantize_skip
        )

    return search_quantization(conversion.artifact.weights, trial, kept=kept)


def _record_plan(
    staging: Path, record: ParityRecord | SkippedRecord, plan: QuantizationPlan
) -> None:
    """Add the plan ``auto`` chose to the parity record, and to its ``parity.json``."""
    from tfjs_build.parity.record import dumps_record

    if record["skipped"]:
        return
    record["quantization_plan"] = plan.record()
    (staging / PARITY_JSON).write_text(dumps_record(record))
