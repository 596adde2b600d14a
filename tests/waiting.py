"""Waiting, in tests, for something another process does."""

from __future__ import annotations

import time
from collections.abc import Callable


def becomes_true(condition: Callable[[], bool], seconds: float, interval: float = 0.05) -> bool:
    """Whether ``condition()`` holds within ``seconds`` (polled every ``interval``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
