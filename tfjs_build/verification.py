"""The verifiers the pipeline runs on a staged artifact before publishing it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfjs_build.artifact.format import PARITY_JSON
from tfjs_build.backends import DEFAULT_TARGET_BACKENDS, kernels_of
from tfjs_build.display import shown_path
from tfjs_build.keras_output import is_keras_output
from tfjs_build.options import AUTO_QUANTIZATION, ConvertOptions, ExplainMode, ParityOptions
from tfjs_build.parity.record import ParityRecord, SkippedRecord, dumps_record, skipped_record
from tfjs_build.pipeline import Verifier

if TYPE_CHECKING:
    from tfjs_build.parity.report import ParityReport
    from tfjs_build.parity.tolerances import ToleranceOverrides
    from tfjs_build.quantization_search import TrialOutcome
    from tfjs_build.runtime.pool import RuntimePool

PARITY_RECORD = PARITY_JSON
"""The full parity record, written into the artifact directory beside ``model.json``."""
AUTO_TARGET = "uint8"
"""``quantization = "auto"`` aims at this dtype's documented parity tolerance."""


def parity_verifier(
    settings: ParityOptions, options: ConvertOptions, runtimes: RuntimePool | None = None
) -> ParityVerifier:
    """A verifier that checks the staged artifact against its source in TF.js (in ``runtimes``,
    the build's, when given) and records it, with the probe the report's live check replays."""
    return ParityVerifier(settings, options, runtimes)


@dataclass(frozen=True)
class ParityVerifier:
    """Checks a staged artifact in TF.js; :meth:`trial` checks a candidate without recording
    it (``quantization = "auto"``'s search)."""

    settings: ParityOptions
    options: ConvertOptions
    runtimes: RuntimePool | None = None

    def __call__(self, staged: Path, source: Path, output: Path) -> ParityRecord | SkippedRecord:
        from tfjs_build.parity.probe_file import write_probe_file

        report = self.report(staged, source, output)
        if staged.is_dir():
            write_parity_record(staged, report.record)
            if report.probe is not None:
                write_probe_file(staged, report.probe.inputs, report.probe.reference)
        report.raise_for_failure()
        return report.record

    def trial(self, staged: Path, source: Path, output: Path) -> TrialOutcome:
        """Whether ``staged`` passes, and the weights whose quantization the failing backends'
        divergence reports blame."""
        from tfjs_build.quantization_search import TrialOutcome

        report = self.report(staged, source, output)
        blamed = dict.fromkeys(
            name
            for result in report.results
            if not result.passed and result.divergence is not None
            for name in result.divergence.quantized_weights
        )
        return TrialOutcome(report.passed, tuple(blamed))

    def report(self, staged: Path, source: Path, output: Path) -> ParityReport:
        """The parity report of ``staged`` (to be published as ``output``) against ``source``."""
        from tfjs_build.parity.check import check_parity

        settings, options = self.settings, self.options
        artifact, reference = staged, source
        if is_keras_output(output):  # the other way round: the new Keras file is the reference
            artifact, reference = _tfjs_directory(source), staged
        return check_parity(
            artifact,
            reference,
            backends=checked_backends(settings, options),
            quantization=parity_quantization(options),
            project_root=options.project_root,
            label=shown_path(output),
            runtimes=self.runtimes,
            explain=settings.parity_explain,
            **_parity_arguments(options, settings),
        )


def _parity_arguments(options: ConvertOptions, settings: ParityOptions) -> dict[str, Any]:
    """What every parity check takes from the model's options: a build's and ``verify``'s."""
    return {
        "seed": settings.parity_seed,
        "samples": settings.parity_samples,
        "overrides": tolerance_overrides(settings),
        "signature": options.signature,
        "allow_unsafe_deserialization": options.allow_unsafe_deserialization,
        "imports": options.imports,
        "origin": settings.origin,
        "tfjs_version": options.tfjs_version,
    }


def parity_quantization(options: ConvertOptions) -> str | None:
    """The quantization whose default tolerance applies: the one dtype asked for; uint8's for
    ``"auto"`` (its target); for a table, ``None``: the coarsest dtype the manifest uses."""
    if options.quantization == AUTO_QUANTIZATION:
        return AUTO_TARGET
    return options.quantization if isinstance(options.quantization, str) else None


def _tfjs_directory(source: Path) -> Path:
    from tfjs_build.sources.tfjs_model import model_json_of

    model_json = model_json_of(source)
    return model_json.parent if model_json is not None else source


def verify_artifact(
    artifact: Path,
    source: Path,
    options: ConvertOptions,
    settings: ParityOptions,
    *,
    explain: ExplainMode | None = None,
) -> ParityReport:
    """Check any converter's ``artifact`` against ``source`` on ``settings.parity_backends``
    (``tfjs-build verify`` and ``tfjs_build.verify``); a mismatch is in the report, not raised.
    ``explain`` overrides ``settings.parity_explain`` (``verify --explain``)."""
    from tfjs_build.parity.check import check_parity

    return check_parity(
        artifact,
        source,
        backends=settings.parity_backends,
        explain=explain or settings.parity_explain,
        **_parity_arguments(options, settings),
    )


def checked_backends(settings: ParityOptions, options: ConvertOptions) -> tuple[str, ...]:
    """The parity backends the artifact targets: a model converted for ``target_backends = ["cpu"]``
    (an RFFT wasm lacks) is checked on cpu alone. A backend the default targets leave out (webgpu)
    is checked whenever parity names it. When no parity backend is a target (webgl only), all of
    them are checked: their numbers still speak for the artifact. ``webgl-f16`` counts as webgl,
    whose kernels it runs."""
    targeted = tuple(
        b
        for b in settings.parity_backends
        if kernels_of(b) in options.target_backends or kernels_of(b) not in DEFAULT_TARGET_BACKENDS
    )
    return targeted or settings.parity_backends


def tolerance_overrides(settings: ParityOptions) -> ToleranceOverrides:
    """The tolerance fields the user set; each backend keeps its own default for the others."""
    from tfjs_build.parity.tolerances import ToleranceOverrides

    return ToleranceOverrides(
        atol=settings.parity_atol, rtol=settings.parity_rtol, scale_tol=settings.parity_scale_tol
    )


def skipped_verifier(reason: str) -> Verifier:
    """A verifier that checks nothing and records, loudly, why."""

    def verify(staged: Path, source: Path, output: Path) -> ParityRecord | SkippedRecord:
        record = skipped_record(reason)
        if staged.is_dir():
            write_parity_record(staged, record)
        return record

    return verify


def write_parity_record(directory: Path, record: ParityRecord | SkippedRecord) -> None:
    """Save ``record`` as ``parity.json`` in the artifact directory (deterministic JSON)."""
    (Path(directory) / PARITY_RECORD).write_text(dumps_record(record))
