"""The committed op table is what the generator script reads from the installed TF.js packages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import tfjs_build

PACKAGE = Path(tfjs_build.__file__).parent
SCRIPT = PACKAGE / "js" / "tools" / "op_registry.js"
TABLE = PACKAGE / "graph" / "tfjs_ops.json"


def test_committed_table_matches_the_installed_packages(node_packages: Path) -> None:
    from tfjs_build.runtime.node_packages import node_executable

    node_modules = (
        node_packages / "node_modules"
        if (node_packages / "node_modules").is_dir()
        else node_packages
    )
    result = subprocess.run(
        [node_executable(), str(SCRIPT), str(node_modules)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == json.loads(TABLE.read_text())


def test_importing_the_graph_package_does_not_import_tensorflow() -> None:
    code = "import sys, tfjs_build.graph; sys.exit('tensorflow' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, check=False).returncode
        == 0
    )
