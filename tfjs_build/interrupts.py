"""Ctrl-C and ``kill`` end a run cleanly: SIGTERM is raised as :class:`Terminated` so that every
``finally`` (temporary files, staging directories, child processes, the lockfile) runs."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM); like ``KeyboardInterrupt``, not an error."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def terminate_as_exception() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (the previous handler is restored).

    Only the main thread can install signal handlers; elsewhere the block changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM wait: they take effect as the block ends, so that
    what it starts (a child process) is recorded before anything can unwind past it.

    Only the main thread receives them as exceptions; elsewhere the block changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    wanted = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda n, _f: arrived.append(n)) for number in wanted}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for signum in dict.fromkeys(arrived):
            signal.raise_signal(signum)
