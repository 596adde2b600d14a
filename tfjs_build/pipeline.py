"""Convert, verify and publish one model: the pipeline behind the CLI, doit and pre-commit."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfjs_build.artifact import MODEL_JSON, publish_directory, rejected_path, write_artifact
from tfjs_build.convert import Conversion, ConvertOptions, convert_source
from tfjs_build.errors import TfjsBuildError


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
    parity: dict[str, Any] | None


Verifier = Callable[[Path, Path], "dict[str, Any] | None"]
"""``verify(staged_artifact_dir, source)``: raise to reject the build, return a parity record."""


def build(
    source: Path,
    output: Path,
    options: ConvertOptions | None = None,
    *,
    verify: Verifier | None = None,
) -> BuildResult:
    """Convert ``source`` and publish it to ``output`` atomically once ``verify`` accepts it."""
    options = options or ConvertOptions()
    started = time.perf_counter()
    conversion: Conversion = convert_source(Path(source), options)
    records: list[dict[str, Any] | None] = [None]

    def fill(staging: Path) -> None:
        write_artifact(
            conversion.artifact,
            staging,
            shard_size=options.shard_size,
            quantization=options.quantization_plan(),
        )

    rejected: list[Path] = []

    def check(staging: Path) -> None:
        if verify is not None:
            try:
                records[0] = verify(staging, Path(source))
            except BaseException:
                rejected.append(staging)
                raise

    try:
        publish_directory(Path(output), fill, verify=check)
    except TfjsBuildError as exc:
        if rejected:
            published = (Path(output) / MODEL_JSON).exists()
            kept = "the previous artifact is unchanged" if published else "nothing was published"
            message = str(exc).replace(str(rejected[0]), str(output))
            exc.args = (
                f"{message}; {kept}; the rejected build is in {rejected_path(Path(output))}",
            )
        raise
    files = tuple(sorted(p.name for p in Path(output).iterdir()))
    return BuildResult(
        output=Path(output),
        format=conversion.format,
        reason=conversion.reason,
        files=files,
        total_bytes=sum((Path(output) / f).stat().st_size for f in files),
        shards=sum(1 for f in files if f != MODEL_JSON and f.endswith(".bin")),
        seconds=time.perf_counter() - started,
        parity=records[0],
    )
