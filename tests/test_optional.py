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


_RELEASE_SCRIPT = """
import gc
from tfjs_build._optional import import_tensorflow

def rss_mib():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) // 1024 for l in status if l.startswith("VmRSS:"))

tf = import_tensorflow()
tf.Variable(tf.ones([1024, 1024]))  # TensorFlow's lazily built parts, before measuring
before = rss_mib()
# 288 MiB in tensors big enough that the C library maps and unmaps each on its own
weights = [tf.Variable(tf.ones([3072, 3072])) for _ in range(8)]
held = rss_mib() - before
del weights
gc.collect()
print(held, rss_mib() - before)
"""


def _held_and_kept_mib(env: dict[str, str]) -> tuple[int, int]:
    result = subprocess.run(
        [sys.executable, "-c", _RELEASE_SCRIPT], capture_output=True, text=True, check=True, env=env
    )
    held, kept = result.stdout.split()
    return int(held), int(kept)


def test_tensorflow_gives_freed_tensors_back_unless_the_user_chose_its_pool():
    env = {k: v for k, v in os.environ.items() if k != "TF_ONEDNN_USE_SYSTEM_ALLOCATOR"}
    held, kept = _held_and_kept_mib(env)
    assert held >= 280 and kept < 32, (held, kept)
    # the user's own setting wins; oneDNN's pool then keeps what it once held
    held, kept = _held_and_kept_mib({**env, "TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "0"})
    assert held >= 280 and kept >= 250, (held, kept)


INTERRUPTED_IMPORT = """
import os, signal, sys, threading
from tfjs_build._optional import import_tensorflow
threading.Timer(float(sys.argv[1]), os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    import_tensorflow()
    print("not interrupted")
except KeyboardInterrupt:
    tf = sys.modules.get("tensorflow")
    print("interrupted after the import" if tf is not None and int(tf.constant(2)) == 2 else "cut")
"""


def test_ctrl_c_during_the_tensorflow_import_takes_effect_once_it_is_done():
    """TensorFlow's imports swallow a KeyboardInterrupt that lands in some of them."""
    outcomes = set()
    for delay in ("0.2", "0.6", "1.0"):  # the import takes seconds: each lands inside it
        result = subprocess.run(
            [sys.executable, "-c", INTERRUPTED_IMPORT, delay],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        outcomes.add(result.stdout.strip())
    assert outcomes == {"interrupted after the import"}
