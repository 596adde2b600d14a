"""Where parity fails, from the command line: the failure line, ``verify --explain --json`` and
the report page's per-layer chart, on real models in real TF.js."""

from __future__ import annotations

import json
import re

from tests.cli.project_helpers import messages, tfjs_build
from tests.conftest import make_user_repo, pyproject

QUANTIZED = """parity_backends = ["cpu"]
quantization = "uint8"
parity_atol = 1e-5
parity_rtol = 0.0
parity_scale_tol = 0.0"""


def test_a_rejected_build_names_the_layer_and_the_report_charts_it(
    tmp_path, model_files, node_packages
) -> None:
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", top=QUANTIZED))
    built = tfjs_build(root, "convert", "--no-cache", "--json")
    assert built.returncode == 1
    line = next(x for x in messages(built) if x.startswith("dense: FAILED"))
    assert "first diverges at layer 'dense' (Dense)" in line
    assert "its own error: uint8 quantization of dense/kernel" in line
    assert not any("structure of `inputs`" in x for x in messages(built))
    (record,) = json.loads(built.stdout)["models"]
    assert record["outcome"] == "failed" and "first diverges" in record["error"]
    divergence = record["divergence"]["cpu"]
    assert (divergence["name"], divergence["own_error"]) == ("dense", True)
    assert [(c["kind"], c["weight"]) for c in divergence["causes"]] == [
        ("quantization", "dense/kernel")
    ]
    made = tfjs_build(root, "report")
    assert made.returncode == 0, made.stderr
    html = (root / ".tfjs-build/report/index.html").read_text()
    assert "rejected by parity</span>" in html
    assert "First diverges at layer &#x27;dense&#x27; (Dense)" in html
    chart = re.search(r'<svg [^>]*aria-label="cpu: error per layer">.*?</svg>', html)
    assert chart is not None
    bars = re.findall(r'<rect [^>]*fill="(#\w+)"><title>([^<]*)</title>', chart.group(0))
    assert [title.split(" ")[0] for _, title in bars] == ["dense", "dense_1"]
    assert [color for color, _ in bars] == ["#8b1a1a", "#c44e52"]  # the first, then a failing one


def test_verify_explain_json_records_every_layer_of_a_passing_model(
    tmp_path, model_files, node_packages
) -> None:
    source = str(model_files / "conv.h5")
    converted = tfjs_build(tmp_path, "convert", source, "art", "--no-parity")
    assert converted.returncode == 0, converted.stderr
    plain = tfjs_build(tmp_path, "verify", "art", "--source", source, "--parity-backends", "cpu")
    assert plain.returncode == 0 and "diverge" not in plain.stdout
    result = tfjs_build(
        tmp_path,
        "verify",
        "art",
        "--source",
        source,
        "--parity-backends",
        "cpu",
        "--explain",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    divergence = json.loads(result.stdout)["backends"][0]["divergence"]
    assert divergence["name"] is None and divergence["kind"] == "layer"
    assert [s["op"] for s in divergence["steps"]] == ["Conv1D", "Flatten", "Dense"]
    assert all(s["passed"] and s["max_abs_error"] < 1e-5 for s in divergence["steps"])


def test_parity_explain_always_logs_a_passing_builds_finding(
    tmp_path, model_files, node_packages
) -> None:
    top = 'parity_backends = ["cpu", "wasm"]\nparity_explain = "always"'
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", top=top))
    built = tfjs_build(root, "convert", "--no-cache")
    assert built.returncode == 0, built.stderr
    assert [x for x in messages(built) if "[" in x] == [
        "dense: [cpu] every layer's output is within the tolerance",
        "dense: [wasm] every layer's output is within the tolerance",
    ]
    record = json.loads((root / "web_model/dense/parity.json").read_text())
    assert [len(b["divergence"]["steps"]) for b in record["backends"]] == [2, 2]
