"""Helpers for the clauses about blocking: a delayed action in another thread, signals.

Timing assertions are lower bounds ("waited at least") plus upper bounds far above the
expected value, so that they hold on a loaded 2-core machine.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Callable

import pytest

#: How long a helper thread waits before acting, so that the main thread is blocked by then.
DELAY = 0.2
#: The upper bound for anything that should end promptly (many times DELAY).
PROMPT = 5.0


class Delayed:
    """When the delayed action started (monotonic seconds), once it has."""

    started: float | None = None


@contextmanager
def later(action: Callable[[], object], delay: float = DELAY) -> Iterator[Delayed]:
    """Run *action* in another thread after *delay* seconds; joined when the block ends.

    Tests compare the end of a wait with ``Delayed.started`` rather than with *delay*: a
    timer thread may fire a little early, the wait may not end before the action.
    """
    delayed = Delayed()

    def run() -> None:
        delayed.started = time.monotonic()
        action()

    timer = threading.Timer(delay, run)
    timer.start()
    try:
        yield delayed
    finally:
        timer.cancel()
        timer.join()


class Interrupt(Exception):
    """Raised by the test signal handler."""


@contextmanager
def signal_handler(signum: int, raising: bool) -> Iterator[list[float]]:
    """Install a handler for *signum* that records the monotonic time it ran at (the list it
    yields), and raises :class:`Interrupt` if *raising*. Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Python runs signal handlers in the main thread only; this test is not in it")
    calls: list[float] = []

    def handler(signo: int, frame: FrameType | None) -> None:
        calls.append(time.monotonic())
        if raising:
            raise Interrupt()

    previous = signal.signal(signum, handler)
    try:
        yield calls
    finally:
        signal.signal(signum, previous)


def signal_main_thread(signum: int) -> Callable[[], None]:
    """An action sending *signum* to the main thread (a thread-directed signal, so that the
    kernel interrupts that thread's wait and no other)."""
    ident = threading.main_thread().ident
    assert ident is not None
    return lambda: signal.pthread_kill(ident, signum)
