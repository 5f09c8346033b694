"""EINTR (PEP 475): a wait interrupted by a signal runs the Python handlers, then resumes with
what is left of the original timeout; an exception raised by a handler propagates."""

from __future__ import annotations

import time

import pytest

import pyepoll
from conformance.timing import later
from tests.kernel import KernelObjects, eventfd_add
from tests.signals import HandlerRan, Pester, Recorder
from tests.waits import TimedWait


def test_interrupted_wait_still_lasts_the_whole_timeout(
    backend: str, epfd: int, sigusr1: Recorder, timed_wait: TimedWait
) -> None:
    timeout = 0.5
    start = time.monotonic()
    with Pester(delay=0.02, interval=0.02, limit=30.0) as pester:
        assert timed_wait(epfd, backend, timeout) == []
        end = time.monotonic()
    elapsed = end - start
    assert pester.sent and pester.sent[0] < end, "no signal arrived during the wait"
    assert elapsed >= timeout
    # A wait restarted with its full timeout after every signal would last until the signals
    # stop (30 s); the remaining-time rule ends it at 0.5 s.
    assert elapsed < 15.0


def test_interrupted_blocking_wait_keeps_waiting_for_the_event(
    kernel: KernelObjects, backend: str, epfd: int, sigusr1: Recorder, timed_wait: TimedWait
) -> None:
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, efd, pyepoll.EPOLLIN, 42, backend=backend)
    with Pester(delay=0.02, interval=0.02, limit=30.0) as pester:

        def write_after_two_signals() -> None:
            pester.until_sent(2)
            eventfd_add(efd)

        with later(write_after_two_signals, delay=0.0):
            events = timed_wait(epfd, backend, None)
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
    sigusr1.raise_next = True
    with (
        later(lambda: eventfd_add(efd), delay=20.0),  # the safety valve
        pytest.raises(HandlerRan),
        Pester(delay=0.05, count=1),
    ):
        timed_wait(epfd, backend, timeout)
