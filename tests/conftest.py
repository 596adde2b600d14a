"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.moto_server import S3Server, s3_server

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# A shell starts background jobs (`nohup pytest &`, some CI runners) with SIGINT ignored, and every
# process started from them inherits that, so Python installs no KeyboardInterrupt handler: the
# interrupt tests would test nothing. The suite runs as a foreground user's would; what the suite
# starts gets SIGINT's default disposition back across exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

_SYSTEM_TEMP = Path(tempfile.gettempdir())
_SUITE_TEMP = Path(tempfile.mkdtemp(prefix=f"tfjs-build-tests-{os.getpid()}-"))
_TEMP_BEFORE = {p.name for p in _SYSTEM_TEMP.iterdir()}
# Everything the suite and the processes it starts write to "the temporary directory" goes here,
# and goes away with it: pytest's tmp_path, TensorFlow's autograph modules, TF.js run files.
os.environ["TMPDIR"] = str(_SUITE_TEMP)
tempfile.tempdir = str(_SUITE_TEMP)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the suite's temporary directory also when no session ran (``pytest --help``)."""
    shutil.rmtree(_SUITE_TEMP, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the suite's temporary directory; with TFJS_BUILD_CHECK_TMP=1 (CI), fail the run if
    anything else appeared in the system's temporary directory."""
    shutil.rmtree(_SUITE_TEMP, ignore_errors=True)
    if os.environ.get("TFJS_BUILD_CHECK_TMP") == "1":
        left = sorted({p.name for p in _SYSTEM_TEMP.iterdir()} - _TEMP_BEFORE)
        if left:
            print(f"\nthe test suite left files in {_SYSTEM_TEMP}: {', '.join(left)}")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def node_packages() -> Path:
    """The real, pinned TF.js packages (installed on first use into the per-user cache)."""
    from tfjs_build.runtime import ensure_node_packages

    return ensure_node_packages()


REQUIRE_BROWSER = "TFJS_BUILD_REQUIRE_BROWSER"
"""Set (CI sets it) to make the browser tests fail, not skip, when no Chrome/Chromium is found."""


@pytest.fixture(scope="session")
def chrome() -> str:
    """The system Chrome or Chromium (never a downloaded one); the test skips, saying why, when
    there is none, unless ``$TFJS_BUILD_REQUIRE_BROWSER`` is set."""
    from tfjs_build.errors import MissingDependencyError
    from tfjs_build.runtime.chrome import find_chrome

    try:
        return find_chrome()
    except MissingDependencyError as exc:
        if os.environ.get(REQUIRE_BROWSER):
            pytest.fail(f"{REQUIRE_BROWSER} is set and {exc}")
        pytest.skip(f"no browser for the webgl tests: {exc}")


@pytest.fixture(scope="session")
def runtimes(chrome: str, node_packages: Path):
    """One runtime pool for the whole session: the browser starts once for every webgl test."""
    from tfjs_build.runtime import RuntimePool

    with RuntimePool(chrome=chrome) as pool:
        yield pool


MAKE_MODELS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np, keras, tensorflow as tf
    out = Path(sys.argv[1]); out.mkdir(parents=True)
    keras.utils.set_random_seed(1)
    dense = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2)])
    dense.save(out / "dense.keras")
    dense.layers[0].kernel.assign(dense.layers[0].kernel.numpy() + 1.0)
    dense.save(out / "dense_changed.keras")
    inp = keras.Input((8, 2)); h = keras.layers.Conv1D(4, 3)(inp); h = keras.layers.Flatten()(h)
    keras.Model(inp, keras.layers.Dense(1)(h)).save(out / "conv.h5")
    class Scorer(tf.Module):
        def __init__(self):
            self.w = tf.Variable(np.arange(6, dtype="float32").reshape(3, 2))
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def serve(self, x):
            return {"y": tf.tanh(tf.matmul(x, self.w))}
    m = Scorer()
    tf.saved_model.save(m, str(out / "scorer"), signatures={"serving_default": m.serve})
    """
)


@pytest.fixture(scope="session")
def model_files(tmp_path_factory) -> Path:
    """Real Keras 3 (.keras, .h5) and SavedModel sources, built once."""
    out = tmp_path_factory.mktemp("sources") / "models"
    subprocess.run([sys.executable, "-c", MAKE_MODELS, str(out)], check=True, capture_output=True)
    return out


MAKE_VARIANTS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import keras
    out = Path(sys.argv[1]); out.mkdir(parents=True)
    def model(width=4, score="score", reorder=False, deeper=False):
        keras.utils.set_random_seed(3)
        inputs = keras.Input((width,), name="features")
        hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
        if deeper:
            hidden = keras.layers.LayerNormalization(name="norm")(hidden)
        probs = keras.layers.Dense(3, activation="softmax", name="probs")(hidden)
        scored = keras.layers.Dense(1, name=score)(hidden)
        return keras.Model(inputs, [scored, probs] if reorder else [probs, scored])
    model().save(out / "base.keras")
    model(score="logit").save(out / "renamed.keras")
    model(reorder=True).save(out / "reordered.keras")
    model(width=6).save(out / "wide.keras")
    model(deeper=True).save(out / "deeper.keras")
    """
)


@pytest.fixture(scope="session")
def keras_variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``base.keras`` (input ``features`` [?, 4]; outputs ``probs``, ``score``) and one file per
    change: ``renamed`` (score -> logit), ``reordered``, ``wide`` (input [?, 6]), ``deeper`` (+ a
    LayerNormalization)."""
    out = tmp_path_factory.mktemp("variants") / "models"
    subprocess.run([sys.executable, "-c", MAKE_VARIANTS, str(out)], check=True, capture_output=True)
    return out


MODEL_SOURCES = {"dense": "models/dense.keras", "conv": "models/conv.h5", "scorer": "models/scorer"}


def pyproject(*names: str, top: str = "parity = false", **per_model: str) -> str:
    """A ``pyproject.toml`` configuring the named models of ``model_files`` (output under
    ``web_model/``): ``top`` goes in ``[tool.tfjs-build]``, ``per_model[name]`` in that model's table."""
    tables = [f'[tool.tfjs-build]\noutput_root = "web_model"\n{top}\n']
    for name in names:
        extra = f"{per_model[name]}\n" if name in per_model else ""
        tables.append(
            f'[[tool.tfjs-build.models]]\nname = "{name}"\nsource = "{MODEL_SOURCES[name]}"\n{extra}'
        )
    return "\n".join(tables)


USER_PYPROJECT = pyproject("dense", "conv", "scorer", scorer="parity = true")

DODO = "from tfjs_build.doit import task_convert  # noqa: F401\n"


def make_user_repo(root: Path, model_files: Path, pyproject: str = USER_PYPROJECT) -> Path:
    """A user repo at ``root``: ``pyproject``, the one-line dodo.py and the three models."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject)
    (root / "dodo.py").write_text(DODO)
    shutil.copytree(
        model_files, root / "models", ignore=shutil.ignore_patterns("dense_changed.keras")
    )
    return root


@pytest.fixture()
def repo(tmp_path, model_files) -> Path:
    """A fresh user repo: dense (.keras) and conv (.h5) without parity, scorer (SavedModel) with."""
    return make_user_repo(tmp_path / "repo", model_files)


@pytest.fixture(scope="session")
def s3(tmp_path_factory) -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1, one for the session (stopped when it ends)."""
    with s3_server(tmp_path_factory.mktemp("moto") / "server.log") as server:
        yield server


def use_s3(
    server: S3Server, scratch: Path, monkeypatch: pytest.MonkeyPatch, *, profile: bool = False
) -> str:
    """Point this test and its subprocesses at ``server``; a new empty bucket's name. With
    ``profile``, the credentials come from a named AWS profile instead of the variables (so
    ``cache_remote_client = "auto"`` leaves S3 to fsspec, which reads profiles)."""
    for name, value in server.env(scratch).items():
        monkeypatch.setenv(name, value)
    bucket = server.new_bucket()
    if profile:
        credentials = scratch / "aws-credentials"
        credentials.write_text(
            "[tfjs-build-test]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        )
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
        monkeypatch.setenv("AWS_PROFILE", "tfjs-build-test")
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    return bucket


REMOTE_CLIENT_OF = {"s3-obstore": "obstore", "s3-fsspec": "fsspec", "file": "fsspec"}
"""Which client ``cache_remote_client = "auto"`` picks for each of remote_url's kinds."""


@pytest.fixture(params=list(REMOTE_CLIENT_OF))
def remote_url(request, tmp_path, monkeypatch) -> str:
    """An empty remote cache: a prefix in a new bucket of the session's S3 server (the AWS
    variables set for the test and its subprocesses; credentials in the variables, read by
    obstore, or in a profile, read by s3fs), or a shared directory."""
    if request.param == "file":
        return (tmp_path / "shared-cache").as_uri()
    server = request.getfixturevalue("s3")
    profile = request.param == "s3-fsspec"
    return f"s3://{use_s3(server, tmp_path, monkeypatch, profile=profile)}/team-cache"


def remote_objects(url: str) -> dict[str, bytes]:
    """Every object under ``url`` (read through fsspec), by path relative to it."""
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(url, skip_instance_cache=True)
    if not fs.exists(root):
        return {}
    return {path[len(root) :].lstrip("/"): fs.cat_file(path) for path in sorted(fs.find(root))}


pytest_plugins = ["tests.compat_fixtures"]
