"""``max_size`` in a real project: a build over budget is rejected like a failed parity check,
the previous artifact stays, and ``check`` reports an artifact over budget."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.project_helpers import imported, messages, records, tfjs_build
from tests.conftest import make_user_repo, pyproject


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_a_build_over_budget_keeps_the_previous_artifact_and_the_rejected_build_aside(
    tmp_path: Path, model_files: Path
) -> None:
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense"))
    assert tfjs_build(root, "convert").returncode == 0
    published = _files(root / "web_model" / "dense")
    config = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(
        config.replace("parity = false", 'parity = false\nmax_size = "1 kB"')
    )

    check = tfjs_build(root, "check")
    assert check.returncode == 1
    assert imported(check) == []
    size = sum(len(v) for k, v in published.items() if k != "parity.json")
    over = [line for line in check.stdout.splitlines() if line.startswith("error: ")]
    assert over == [
        f"error: model 'dense' (web_model/dense): the artifact is {size / 1000:.1f} kB ({size} "
        'bytes), over its budget of 1.0 kB (`max_size = "1.0kB"` in [tool.tfjs-build]); largest '
        "weights: dense/kernel 48 B, dense_1/kernel 24 B, dense/bias 12 B; quantize them "
        '(`quantization = "uint8"` in [tool.tfjs-build]) or raise max_size'
    ]

    shutil.copy(model_files / "dense_changed.keras", root / "models" / "dense.keras")
    built = tfjs_build(root, "convert", "--json")
    assert built.returncode == 1 and records(built) == {"dense": "failed"}
    line = next(m for m in messages(built) if "over its budget" in m)
    assert f"web_model/dense: the artifact is {size / 1000:.1f} kB ({size} bytes)" in line
    assert line.endswith(
        "the previous artifact is unchanged; the rejected build is in .tfjs-build/rejected/dense"
    )
    assert _files(root / "web_model" / "dense") == published
    assert (root / ".tfjs-build" / "rejected" / "dense" / "model.json").is_file()


def test_a_cached_artifact_over_budget_is_not_restored(tmp_path: Path, model_files: Path) -> None:
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense"))
    assert tfjs_build(root, "convert").returncode == 0  # in the cache now
    shutil.copy(model_files / "dense_changed.keras", root / "models" / "dense.keras")
    assert tfjs_build(root, "convert").returncode == 0
    published = _files(root / "web_model" / "dense")
    shutil.copy(model_files / "dense.keras", root / "models" / "dense.keras")  # a cache hit...
    config = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(
        config.replace("parity = false", 'parity = false\nmax_size = "1 kB"')
    )
    built = tfjs_build(root, "convert", "--json")
    assert records(built) == {"dense": "failed"}  # ... over budget: converted again, and rejected
    assert _files(root / "web_model" / "dense") == published


def test_a_budget_the_artifact_fits_publishes_it(tmp_path: Path, model_files: Path) -> None:
    root = make_user_repo(
        tmp_path / "repo", model_files, pyproject("dense", top='parity = false\nmax_size = "5 MB"')
    )
    assert records(tfjs_build(root, "convert", "--json")) == {"dense": "converted"}
    assert tfjs_build(root, "check").returncode == 0


def test_max_size_on_the_command_line_is_spelled_as_a_flag(
    tmp_path: Path, model_files: Path
) -> None:
    source = str(model_files / "dense.keras")
    built = tfjs_build(tmp_path, "convert", source, "web/dense", "--no-parity", "--max-size", "500")
    assert built.returncode == 1
    assert "over its budget of 500 B (--max-size 500B)" in messages(built)[-1]
    assert "quantize them (--quantization uint8) or raise max_size" in messages(built)[-1]
    assert not (tmp_path / "web" / "dense").exists()
    assert (tmp_path / ".tfjs-build" / "rejected" / "dense" / "model.json").is_file()
