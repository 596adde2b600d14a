"""Graph models are the same bytes in every process, whatever the process converted before."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.graph.models import Case

ROOT = Path(__file__).resolve().parents[2]


def _convert_in_a_new_process(sources: list[Path], out: Path) -> None:
    """Convert each of ``sources`` in this order in one new process, with the CLI's own code."""
    script = textwrap.dedent(
        """
        import sys
        from tfjs_build.cli import main
        for source, output in zip(sys.argv[1::2], sys.argv[2::2]):
            code = main(["convert", source, output, "--format", "graph", "--no-parity"])
            if code:
                sys.exit(code)
        """
    )
    argv = [arg for source in sources for arg in (str(source), str(out / source.name))]
    subprocess.run([sys.executable, "-c", script, *argv], cwd=ROOT, check=True, capture_output=True)


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_a_saved_model_converts_to_the_same_bytes_in_two_processes(
    tmp_path: Path,
    control_flow_case: Case,
    tf_keras_conv_bn_case: Case,
    string_table_case: Case,
) -> None:
    # control flow (functions in the library), held-out convolution filters and folded batch
    # norms, lookup tables; the second process converts them in the other order
    sources = [Path(c.path) for c in (control_flow_case, tf_keras_conv_bn_case, string_table_case)]
    _convert_in_a_new_process(sources, tmp_path / "first")
    _convert_in_a_new_process(sources[::-1], tmp_path / "second")

    for source in sources:
        first, second = (_files(tmp_path / run / source.name) for run in ("first", "second"))
        assert "model.json" in first and any(name.endswith(".bin") for name in first), source.name
        assert first == second, source.name
