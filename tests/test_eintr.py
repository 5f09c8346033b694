"""EINTR (PEP 475): a wait interrupted by a signal runs the Python handlers, then resumes with
what is left of the original timeout; an exception raised by a handler propagates."""

from __future__ import annotations

import time

import pytest

import pyepoll
from tests.kernel import KernelObjects, Later, eventfd_add
from tests.signals import HandlerRan, Pester, Recorder
from tests.waits import TimedWait


def test_interrupted_wait_still_lasts_the_whole_timeout(
    backend: str, epfd: int, sigusr1: Recorder, timed_wait: TimedWait
) -> None:
    timeout = 0.2
    start = time.monotonic()
    with Pester(delay=0.02, interval=0.02, limit=3.0):
        assert timed_wait(epfd, backend, timeout) == []
    elapsed = time.monotonic() - start
    assert sigusr1.times, "no signal arrived during the wait"
    assert elapsed >= timeout
    # A wait restarted with its full timeout after every signal would last until the signals
    # stop (3 s); the remaining-time rule ends it at 0.2 s.
    assert elapsed < 1.5


def test_interrupted_blocking_wait_keeps_waiting_for_the_event(
    kernel: KernelObjects, backend: str, epfd: int, sigusr1: Recorder, timed_wait: TimedWait
) -> None:
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, efd, pyepoll.EPOLLIN, 42, backend=backend)
    with Pester(delay=0.02, interval=0.02, limit=3.0):
        writer = Later(0.2, lambda: eventfd_add(efd))
        events = timed_wait(epfd, backend, None)
        writer.join()
    assert sigusr1.times, "no signal arrived during the wait"
    assert [events_ for _, events_ in events] == [pyepoll.EPOLLIN]


@pytest.mark.parametrize("timeout", [None, 10.0], ids=["blocking", "timed"])
def test_exception_from_signal_handler_propagates(
    kernel: KernelObjects,
    backend: str,
    epfd: int,
    sigusr1: Recorder,
    timed_wait: TimedWait,
    timeout: float | None,
) -> None:
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, efd, pyepoll.EPOLLIN, backend=backend)
    # If the exception were swallowed, a blocking wait would never end: an event 20 s in
    # ends it, and the test fails instead of hanging.
    safety_valve = Later(20.0, lambda: eventfd_add(efd))
    sigusr1.raise_next = True
    try:
        with Pester(delay=0.05, count=1), pytest.raises(HandlerRan):
            timed_wait(epfd, backend, timeout)
    finally:
        safety_valve.cancel()
