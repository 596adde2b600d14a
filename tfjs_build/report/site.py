"""Write the report: ``index.html`` and its assets (the pinned TF.js bundle, the shared model
runner, the live check, a stylesheet) into a directory swapped in whole, so a failed run leaves
the previous report as it was. Only a directory this command made is ever replaced."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tfjs_build.errors import ArtifactError
from tfjs_build.project.config import ProjectConfig
from tfjs_build.report.collect import ModelEntry, collect_models
from tfjs_build.report.page import render_page
from tfjs_build.report.timings import measure_timings
from tfjs_build.runtime.node_packages import js_dir, pinned_tfjs_version, tfjs_bundle_dir
from tfjs_build.runtime.pool import RuntimePool

DEFAULT_REPORT_DIR = ".tfjs-build/report"
MARKER = ".tfjs-build-report"
"""Written into every report directory: what may be replaced by the next report."""


def write_report(config: ProjectConfig, output: Path, *, timings: bool = True) -> list[ModelEntry]:
    """Write the report of ``config``'s models into ``output``; return what it shows."""
    output = Path(output).resolve()
    _check_replaceable(output)
    entries = collect_models(config)
    if timings:
        with RuntimePool() as runtimes:
            entries = measure_timings(entries, runtimes)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        _fill(staging, entries, output, config)
        _swap_in(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return entries


def _fill(staging: Path, entries: list[ModelEntry], output: Path, config: ProjectConfig) -> None:
    assets = staging / "assets"
    assets.mkdir()
    shutil.copyfile(tfjs_bundle_dir() / "tf.min.js", assets / "tf.min.js")
    shutil.copyfile(js_dir() / "run_model.js", assets / "run_model.js")
    for name in ("live.js", "report.css"):
        shutil.copyfile(js_dir() / "report" / name, assets / name)
    tfjs = pinned_tfjs_version()
    title = f"TF.js models of {config.root.name}"
    (staging / "index.html").write_text(render_page(entries, output, title, tfjs), "utf-8")
    (staging / MARKER).write_text("made by tfjs-build report; replaced by the next one\n")
    staging.chmod(0o755)


def _check_replaceable(output: Path) -> None:
    ours_or_empty = (output / MARKER).is_file() or (output.is_dir() and not any(output.iterdir()))
    if output.exists() and not ours_or_empty:
        raise ArtifactError(
            f"{output} exists and is not a report tfjs-build wrote; choose another --output "
            "(nothing was changed)"
        )


def _swap_in(staging: Path, output: Path) -> None:
    old = None
    if output.exists():
        old = output.parent / f"{staging.name}.old"
        output.rename(old)
    staging.rename(output)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
