"""Convert, verify and publish one model: the pipeline behind the CLI, doit and pre-commit."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tfjs_build.artifact.files import write_artifact
from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.artifact.publish import publish_directory, rejected_path
from tfjs_build.convert import Conversion, convert_source
from tfjs_build.errors import RejectedBuildError, TfjsBuildError
from tfjs_build.options import ConvertOptions

if TYPE_CHECKING:
    from tfjs_build.parity.record import ParityRecord, SkippedRecord


@dataclass(frozen=True)
class BuildResult:
    """What a build published."""

    output: Path
    format: str
    reason: str
    files: tuple[str, ...]
    total_bytes: int
    shards: int
    seconds: float
    parity: ParityRecord | SkippedRecord | None


class Verifier(Protocol):
    """Checks a staged artifact before it is published; raises to reject the build."""

    def __call__(self, staged: Path, source: Path, output: Path) -> ParityRecord | SkippedRecord:
        """Check ``staged`` (to be published as ``output``, the name messages use) against
        ``source``; return the parity record."""


def build(
    source: Path,
    output: Path,
    options: ConvertOptions | None = None,
    *,
    verify: Verifier | None = None,
) -> BuildResult:
    """Convert ``source`` and publish it to ``output`` atomically once ``verify`` accepts it."""
    options = options or ConvertOptions()
    source, output = Path(source), Path(output)
    started = time.perf_counter()
    conversion: Conversion = convert_source(source, options)
    records: list[ParityRecord | SkippedRecord | None] = [None]

    def fill(staging: Path) -> None:
        write_artifact(
            conversion.artifact,
            staging,
            shard_size=options.shard_size,
            quantization=options.quantization_plan(),
        )

    rejected: list[bool] = []

    def check(staging: Path) -> None:
        if verify is not None:
            try:
                records[0] = verify(staging, source, output)
            except TfjsBuildError:
                rejected.append(True)
                raise

    try:
        publish_directory(output, fill, verify=check)
    except TfjsBuildError as exc:
        if not rejected:
            raise
        kept = (
            "the previous artifact is unchanged"
            if (output / MODEL_JSON).exists()
            else "nothing was published"
        )
        raise RejectedBuildError(
            f"{exc}; {kept}; the rejected build is in {rejected_path(output)}"
        ) from exc
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
    )
