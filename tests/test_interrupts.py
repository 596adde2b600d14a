"""Signals as exceptions, and a block they wait for."""

from __future__ import annotations

import os
import signal

import pytest

from tfjs_build.interrupts import Terminated, interrupts_deferred, terminate_as_exception


def test_sigterm_raises_terminated_within_the_block_only() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), terminate_as_exception():
        os.kill(os.getpid(), signal.SIGTERM)
        signal.sigtimedwait([], 0)  # a bytecode boundary or two, for the handler to run
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize(
    ("number", "raised"), [(signal.SIGTERM, Terminated), (signal.SIGINT, KeyboardInterrupt)]
)
def test_a_deferred_signal_takes_effect_as_the_block_ends(
    number: int, raised: type[BaseException]
) -> None:
    steps: list[int | str] = []
    with pytest.raises(raised), terminate_as_exception():
        with interrupts_deferred():
            os.kill(os.getpid(), number)
            for _ in range(1000):  # many bytecode boundaries: nothing may interrupt them
                steps.append(1)
            steps.append("block done")
        steps.append("after the block")  # never reached: the signal arrives first
    assert steps[-1] == "block done" and len(steps) == 1001
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
