from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from tfjs_build.artifact import Artifact, publish_artifact, read_artifact
from tfjs_build.artifact.publish import PendingSyncs, leftovers, publish_directory
from tfjs_build.errors import ArtifactError


def _snapshot(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def _artifact(values: int, fill: float = 1.0) -> Artifact:
    return Artifact(
        "layers-model", {"model_config": {}}, [("w", np.full(values, fill, np.float32))]
    )


def test_fewer_shards_leave_no_stale_shard(tmp_path):
    out = tmp_path / "model"
    publish_artifact(_artifact(30), out, shard_size=40)
    assert sorted(p.name for p in out.iterdir()) == [
        f"group1-shard{i}of3.bin" for i in (1, 2, 3)
    ] + ["model.json"]
    publish_artifact(_artifact(20, 2.0), out, shard_size=40)
    assert sorted(p.name for p in out.iterdir()) == [
        "group1-shard1of2.bin",
        "group1-shard2of2.bin",
        "model.json",
    ]
    assert read_artifact(out).weight_dict()["w"].tolist() == [2.0] * 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_failed_verification_keeps_the_old_artifact_and_sets_the_new_one_aside(tmp_path):
    out = tmp_path / "model"
    publish_artifact(_artifact(4), out)
    before = _snapshot(out)

    def reject(staging: Path) -> None:
        raise ArtifactError("parity failed")

    rejected = tmp_path / ".tfjs-build" / "rejected" / "model"
    with pytest.raises(ArtifactError, match="parity failed"):
        publish_artifact(_artifact(4, 9.0), out, verify=reject, rejected=rejected)
    assert _snapshot(out) == before
    assert read_artifact(rejected).weight_dict()["w"].tolist() == [9.0] * 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tfjs-build", "model"]
    assert leftovers(out) == []
    with pytest.raises(ArtifactError, match="parity failed"):  # the next rejection replaces it
        publish_artifact(_artifact(4, 8.0), out, verify=reject, rejected=rejected)
    assert read_artifact(rejected).weight_dict()["w"].tolist() == [8.0] * 4
    publish_artifact(_artifact(4, 7.0), out, rejected=rejected)  # a good build removes it
    assert not rejected.exists()
    assert read_artifact(out).weight_dict()["w"].tolist() == [7.0] * 4


def test_an_interrupted_verification_keeps_no_rejected_build(tmp_path):
    out = tmp_path / "model"
    publish_artifact(_artifact(4), out)
    rejected = tmp_path / "rejected"

    def interrupt(staging: Path) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        publish_artifact(_artifact(4, 9.0), out, verify=interrupt, rejected=rejected)
    assert not rejected.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_ctrl_c_while_writing_leaves_the_old_artifact_and_no_leftovers(tmp_path):
    out = tmp_path / "model"
    publish_artifact(_artifact(4), out)
    before = _snapshot(out)

    def write_then_interrupt(staging: Path) -> None:
        (staging / "group1-shard1of2.bin").write_bytes(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        publish_directory(out, write_then_interrupt)
    assert _snapshot(out) == before
    assert leftovers(out) == []


def test_killing_a_publish_mid_write_leaves_the_previous_artifact_intact(tmp_path):
    out = tmp_path / "model"
    publish_artifact(_artifact(1000), out, shard_size=1000)
    before = _snapshot(out)
    script = textwrap.dedent(
        f"""
        import numpy as np
        from tfjs_build.artifact import Artifact, publish_artifact
        weights = [(f"w{{i}}", np.full(250_000, i, np.float32)) for i in range(200)]
        publish_artifact(Artifact("layers-model", {{}}, weights), {str(out)!r}, shard_size=4096)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    staged: list[Path] = []
    while time.monotonic() < deadline and child.poll() is None:
        staged = [p for p in leftovers(out) if any(p.glob("group1-shard*.bin"))]
        if staged and len(list(staged[0].glob("*.bin"))) > 20:
            break
        time.sleep(0.01)
    assert child.poll() is None, "the publish finished before it could be killed; make it bigger"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert _snapshot(out) == before
    assert staged and not (staged[0] / "model.json").exists()
    publish_artifact(_artifact(10, 5.0), out)
    assert read_artifact(out).weight_dict()["w"].tolist() == [5.0] * 10
    assert leftovers(out) == []


def test_publishes_given_pending_syncs_leave_their_directories_to_one_flush(tmp_path):
    later = PendingSyncs()
    for name in ("a", "b", "a"):  # "a" again: replaced, still one directory to flush
        text = json.dumps({"name": name})

        def fill(staging: Path, text: str = text) -> None:
            (staging / "model.json").write_text(text)

        publish_directory(tmp_path / "web" / name, fill, later=later)
    web = tmp_path / "web"
    assert later.pending == (web / "a", web, web / "b")
    written = {p.name: json.loads((p / "model.json").read_text()) for p in web.iterdir()}
    assert written == {"a": {"name": "a"}, "b": {"name": "b"}}
    later.flush()
    assert later.pending == ()


def test_a_directory_that_is_not_an_artifact_is_never_replaced(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(
        ArtifactError, match="holds notes.txt, which is not part of a TF.js artifact"
    ):
        publish_artifact(_artifact(4), out)
    assert (out / "notes.txt").read_text() == "keep me"
    assert leftovers(out) == []


def test_an_artifact_directory_that_also_holds_a_users_files_is_never_replaced(tmp_path):
    """``convert m.h5 public`` where public/ is a web site with an old model.json in it."""
    site = tmp_path / "public"
    publish_artifact(_artifact(4, 1.0), site)
    (site / "index.html").write_text("<html></html>")
    (site / "img").mkdir()
    (site / "img" / "logo.png").write_bytes(b"png")
    before = {p.relative_to(site).as_posix() for p in site.rglob("*")}
    with pytest.raises(ArtifactError) as caught:
        publish_artifact(_artifact(4, 2.0), site)
    assert str(caught.value) == (
        f"refusing to replace {site}: it holds img (and 1 more), which is not part of a TF.js "
        "artifact and would be lost; move it away or choose an output directory of its own"
    )
    assert {p.relative_to(site).as_posix() for p in site.rglob("*")} == before
    assert read_artifact(site).weight_dict()["w"].tolist() == [1.0] * 4
    assert leftovers(site) == []


def test_an_artifact_with_its_parity_record_is_replaced(tmp_path):
    out = tmp_path / "model"
    publish_artifact(_artifact(4, 1.0), out)
    (out / "parity.json").write_text("{}")
    publish_artifact(_artifact(4, 2.0), out)
    assert sorted(p.name for p in out.iterdir()) == ["group1-shard1of1.bin", "model.json"]


def test_an_interrupted_two_rename_swap_is_recovered(tmp_path):
    out = tmp_path / "model"
    publish_artifact(_artifact(4, 3.0), out)
    old = tmp_path / ".model.tfjs-build-old"
    out.rename(old)  # as if a crash hit between the two renames of the fallback swap
    publish_artifact(_artifact(4, 4.0), out, verify=lambda staging: None)
    assert read_artifact(out).weight_dict()["w"].tolist() == [4.0] * 4
    assert not old.exists()
