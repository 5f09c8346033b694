"""EINTR after the deadline: a handler that runs past the wait's timeout ends the wait with no
events (PEP 475: the remaining time is recomputed, and none is left), not with a count the
kernel never reported, and not with another wait."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from types import FrameType
from typing import Callable

import pytest

import pyepoll
from tests.kernel import KernelObjects
from tests.signals import SIGNAL, Pester

TIMEOUT = 0.05


@pytest.fixture
def slow_handler() -> Iterator[list[float]]:
    """A SIGUSR1 handler that sleeps past TIMEOUT; yields when it ran."""
    ran: list[float] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        ran.append(time.monotonic())
        time.sleep(2 * TIMEOUT)

    previous = signal.signal(SIGNAL, handler)
    try:
        yield ran
    finally:
        signal.signal(SIGNAL, previous)


WAITS: dict[str, Callable[[pyepoll.epoll, str], object]] = {
    "poll": lambda ep, b: ep.poll(TIMEOUT),
    "poll-int-ms": lambda ep, b: ep.poll(TIMEOUT, 7),
    "poll-sigmask": lambda ep, b: ep.poll(TIMEOUT, sigmask=[signal.SIGUSR2]),
    "epoll_wait": lambda ep, b: pyepoll.epoll_wait(ep.fileno(), 3, 50, backend=b),
    "epoll_pwait2": lambda ep, b: pyepoll.epoll_pwait2(ep.fileno(), 3, 50_000_000, backend=b),
}


@pytest.mark.parametrize("wait", sorted(WAITS))
def test_a_handler_that_outlasts_the_timeout_ends_the_wait_empty(
    kernel: KernelObjects, ep: pyepoll.epoll, backend: str, slow_handler: list[float], wait: str
) -> None:
    ep.register(kernel.eventfd(), pyepoll.EPOLLIN)  # never ready
    # On a loaded machine the 50 ms wait may end before the signal is sent: try again then.
    for _ in range(50):
        start = time.monotonic()
        with Pester(delay=0.0, count=1, limit=30.0):
            events = WAITS[wait](ep, backend)
        elapsed = time.monotonic() - start
        assert events == []
        if slow_handler and slow_handler[0] < start + elapsed:
            break
    assert slow_handler, "the signal never arrived during the wait"
    # The handler's sleep used up the timeout: the wait ended with no retry.
    assert elapsed >= 2 * TIMEOUT
