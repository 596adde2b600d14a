"""The per-model diff on hand-made records: each kind of signature change, what parity counts."""

from __future__ import annotations

from tfjs_build.artifact.topology import TensorDescription
from tfjs_build.diff.changes import Parity, SignatureChange, _side_changes, parity_worse


def _t(
    name: str, shape: tuple[int | None, ...] | None = (None, 4), dtype: str = "float32"
) -> TensorDescription:
    return TensorDescription(name, shape, dtype)


def test_an_added_output_beside_the_old_ones_is_not_a_rename() -> None:
    changes = _side_changes("output", (_t("a"), _t("b")), (_t("a"), _t("b"), _t("c")))
    assert changes == (SignatureChange("output", "added", "c"),)


def test_a_removed_input_and_a_changed_dtype() -> None:
    changes = _side_changes(
        "input", (_t("ids", dtype="int32"), _t("mask")), (_t("ids", dtype="float32"),)
    )
    assert changes == (
        SignatureChange("input", "removed", "mask"),
        SignatureChange("input", "dtype", "ids", "int32", "float32"),
    )


def test_a_rename_carries_the_shape_change_of_the_renamed_tensor() -> None:
    changes = _side_changes("output", (_t("y", (None, 2)),), (_t("z", (None, 3)),))
    assert changes == (
        SignatureChange("output", "renamed", "y", "y", "z"),
        SignatureChange("output", "shape", "z", (None, 2), (None, 3)),
    )


def test_identical_signatures_have_no_change() -> None:
    assert _side_changes("output", (_t("a"), _t("b")), (_t("a"), _t("b"))) == ()


CHECKED = Parity(checked=True, passed=True, backends=("cpu", "wasm"), max_abs_error=1e-7)


def test_parity_is_worse_when_the_error_grows_a_backend_goes_or_the_check_is_skipped() -> None:
    assert not parity_worse(CHECKED, CHECKED)
    assert not parity_worse(CHECKED, Parity(True, True, ("cpu", "wasm"), 1e-8))
    assert parity_worse(CHECKED, Parity(True, True, ("cpu", "wasm"), 2e-7))
    assert parity_worse(CHECKED, Parity(True, True, ("cpu",), 1e-8))
    assert parity_worse(CHECKED, Parity(False, False, skipped_reason="parity = false"))
    assert parity_worse(CHECKED, Parity(True, False, ("cpu", "wasm"), 1e-8))
    assert not parity_worse(Parity(False, False, skipped_reason="off"), CHECKED)
