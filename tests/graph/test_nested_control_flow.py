"""While loops inside while loops, with conditionals and casts in the inner body, convert and
run in TF.js as in TensorFlow; an op TF.js lacks inside them is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph.convert import convert_saved_model


def test_nested_loops_with_linspace_and_cond_run_like_tensorflow(
    nested_loops_case: Case, tmp_path: Path
) -> None:
    artifact = convert_saved_model(nested_loops_case.path)
    bodies = {f["signature"]["name"] for f in artifact.topology["library"]["function"]}
    assert any("while_while_body" in name for name in bodies)
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "m"), nested_loops_case.inputs, nested_loops_case.expected
    )


def test_bitcast_is_refused_naming_it_alone(bitcast_case: Case) -> None:
    with pytest.raises(UnsupportedModelError, match=r"cannot run 1 op\(s\): Bitcast \(node "):
        convert_saved_model(bitcast_case.path)
