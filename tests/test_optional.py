from __future__ import annotations

import os
import subprocess
import sys


def test_missing_tensorflow_names_the_extra_to_install():
    script = (
        "import sys; sys.modules['tensorflow'] = None\n"  # as if TensorFlow were not installed
        "from tfjs_build._optional import import_tensorflow\n"
        "from tfjs_build.errors import MissingDependencyError\n"
        "try:\n    import_tensorflow()\nexcept MissingDependencyError as exc:\n    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("this needs TensorFlow, which is not installed")
    assert out.strip().endswith("install it with: pip install 'tfjs-build[tensorflow]'")


def test_importing_the_package_and_cli_does_not_import_tensorflow():
    script = (
        "import sys, tfjs_build.cli, tfjs_build.artifact, tfjs_build.runtime, tfjs_build.pipeline\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_tensorflow_start_up_noise_is_dropped_and_everything_else_kept():
    script = (
        "import os, sys\n"
        "from tfjs_build._optional import _without_native_start_noise, import_tensorflow\n"
        "with _without_native_start_noise():\n"
        "    os.write(2, b'W0000 port.cc:153] oneDNN custom operations are on. You may see...\\n')\n"
        "    os.write(2, b'a real problem\\n')\n"
        "    print('from python', file=sys.stderr)\n"
        "import_tensorflow()\n"
        "print('imported', file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"},
    )
    assert result.stderr.splitlines() == ["a real problem", "from python", "imported"]
