"""``doit convert`` with a remote cache: parallel workers push, a second clone restores."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import make_user_repo, pyproject, remote_objects
from tests.doit_project.test_doit_convert import converted, doit
from tests.tree import tree_hashes


def test_workers_push_and_a_second_clone_restores_every_model_from_the_remote(
    remote_url, tmp_path, model_files
):
    config = pyproject("dense", "conv", top=f'parity = false\ncache_remote = "{remote_url}"')
    first = make_user_repo(tmp_path / "first", model_files, config)
    built = doit(first, "-n", "2", "convert")  # forked workers, each pushing what it built
    assert converted(built) == {"dense", "conv"}
    assert sum(name.startswith("v1/entries/") for name in remote_objects(remote_url)) == 2

    second = make_user_repo(tmp_path / "second", model_files, config)
    result = doit(second, "convert")
    assert set(re.findall(r"^(\S+): restored from remote cache \(", result.stdout, re.M)) == {
        "dense",
        "conv",
    }
    assert "warning" not in result.stdout + result.stderr
    assert tree_hashes(second / "web_model") == tree_hashes(first / "web_model")

    probe = (  # loading the tasks and finding nothing stale leave the remote unopened
        "import sys\nfrom doit.doit_cmd import DoitMain\nfrom doit.cmd_base import ModuleTaskLoader\n"
        "import dodo\ncode = DoitMain(ModuleTaskLoader(dodo)).run(['convert'])\n"
        "print('IMPORTED', sorted({m.split('.')[0] for m in sys.modules} & {'fsspec', 'tensorflow'}))\n"
        "sys.exit(code)\n"
    )
    again = subprocess.run(
        [sys.executable, "-c", probe], cwd=second, capture_output=True, text=True, check=True
    )
    assert "IMPORTED []" in again.stdout and "restored" not in again.stdout
