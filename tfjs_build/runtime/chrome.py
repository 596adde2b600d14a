"""Find the Chrome or Chromium already on the machine and run it headless, with WebGL and WebGPU on
the CPU.

Never downloads a browser. With no GPU, SwiftShader (through ANGLE) gives WebGL 2 with float32
render targets, and SwiftShader's Vulkan a WebGPU adapter (no ``shader-f16``). Chromium runs in its own process group with a fresh profile and is ended with its
whole group, so no renderer or GPU process outlives a build; if this process dies first, the
DevTools pipe closes and Chromium exits by itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import weakref
from pathlib import Path
from tempfile import TemporaryDirectory

from tfjs_build.errors import MissingDependencyError, RuntimeFailure
from tfjs_build.leftovers import private_temporary_directory
from tfjs_build.runtime.cdp import CdpConnection, CdpError

CHROME_ENV = "TFJS_BUILD_CHROME"
PROFILE_PREFIX = "tfjs-build-chrome-"
"""Temporary profiles are ``{PROFILE_PREFIX}{pid}-*``: those of killed builds go at the next start."""
CHROME_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",  # runs as root in containers and CI, where the sandbox cannot start
    "--remote-debugging-pipe",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--enable-unsafe-webgpu",  # WebGPU in headless Linux builds, where it is off by default
    "--use-webgpu-adapter=swiftshader",  # the same CPU device everywhere, as for WebGL
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    # A build keeps one page per backend open for its whole length; a page left idle in the
    # background would otherwise get its timers throttled to one wake-up a minute after five
    # minutes, and its renderer a lower priority, and its next run would crawl.
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-features=IntensiveWakeUpThrottling,CalculateNativeWinOcclusion",
)


def find_chrome() -> str:
    """``$TFJS_BUILD_CHROME``, else the first of :data:`CHROME_NAMES` on PATH."""
    explicit = os.environ.get(CHROME_ENV)
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise MissingDependencyError(
                f"{CHROME_ENV}={explicit} is not an executable; point it at Chrome or Chromium"
            )
        return found
    for name in CHROME_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise MissingDependencyError(
        "the webgl parity backends need Chrome or Chromium, and none is on PATH "
        f"({', '.join(CHROME_NAMES)}); install it (Debian/Ubuntu: apt-get install chromium) "
        f"or set {CHROME_ENV} to its path"
    )


def chrome_command(executable: str, user_data_dir: Path) -> list[str]:
    """The command line of a headless Chromium driven over ``--remote-debugging-pipe``."""
    return [executable, *CHROME_FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"]


class ChromeProcess:
    """A running headless Chromium and the DevTools connection to it."""

    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or find_chrome()
        profile = private_temporary_directory(PROFILE_PREFIX)
        self.profile = Path(profile.name)
        self.log = self.profile / "chrome-stderr.log"
        commands_r, commands_w = os.pipe()
        replies_r, replies_w = os.pipe()
        try:
            with open(self.log, "wb") as log:
                self.process = subprocess.Popen(
                    chrome_command(self.executable, self.profile),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    pass_fds=(3, 4),
                    preexec_fn=_pipe_fds(commands_r, replies_w),
                    start_new_session=True,  # Ctrl-C reaches us, and we end the whole group
                )
        except OSError as exc:
            for fd in (commands_r, commands_w, replies_r, replies_w):
                os.close(fd)
            profile.cleanup()
            raise MissingDependencyError(f"cannot start {self.executable}: {exc}") from None
        os.close(commands_r)
        os.close(replies_w)
        self.connection = CdpConnection(commands_w, replies_r)
        self._finalizer = weakref.finalize(self, _end, self.process, self.connection, profile)
        try:
            self.version = str(self.connection.call("Browser.getVersion", timeout=30)["product"])
        except CdpError:
            self.close()
            raise RuntimeFailure(
                f"{self.executable} did not start a DevTools session: {self.log_tail()}"
            ) from None

    def log_tail(self) -> str:
        """The last lines Chromium printed (for error messages)."""
        try:
            lines = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no output)"
        return " | ".join(lines[-3:]) or "(no output)"

    @property
    def alive(self) -> bool:
        """Whether the browser process is still running."""
        return self.process.poll() is None

    def close(self) -> None:
        """Ask Chromium to quit, end its process group, delete its profile. Idempotent."""
        self._finalizer()


def _pipe_fds(commands_r: int, replies_w: int):  # type: ignore[no-untyped-def]
    def place() -> None:  # in the child, before exec: the pipe ends become fds 3 and 4
        high_r = fcntl.fcntl(commands_r, fcntl.F_DUPFD, 10)  # neither may sit on 3 or 4 already
        high_w = fcntl.fcntl(replies_w, fcntl.F_DUPFD, 10)
        os.dup2(high_r, 3)
        os.dup2(high_w, 4)

    return place


def _end(
    process: subprocess.Popen[bytes], connection: CdpConnection, profile: TemporaryDirectory[str]
) -> None:
    if process.poll() is None and not connection.closed:
        with contextlib.suppress(CdpError):
            connection.call("Browser.close", timeout=5)
    connection.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # renderer, GPU and zygote processes too
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    profile.cleanup()
