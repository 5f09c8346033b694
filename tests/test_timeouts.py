"""Timeouts: 0 returns at once, a negative or absent timeout blocks until an event, a positive
one waits at least that long (rounded up, never down).  Lower bounds only, and generous upper
bounds: the machine is shared."""

from __future__ import annotations

import time

import pytest

import pyepoll
from conformance.timing import later
from tests.kernel import KernelObjects, eventfd_add
from tests.waits import TimedWait

#: Far above any scheduling delay on a loaded machine, far below a blocking wait.
PROMPTLY = 10.0


def test_zero_timeout_returns_at_once_with_nothing_ready(
    kernel: KernelObjects, backend: str, epfd: int, timed_wait: TimedWait
) -> None:
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, efd, pyepoll.EPOLLIN, backend=backend)
    start = time.monotonic()
    assert timed_wait(epfd, backend, 0.0) == []
    assert time.monotonic() - start < PROMPTLY


def test_no_timeout_blocks_until_a_thread_makes_an_event(
    kernel: KernelObjects, backend: str, epfd: int, timed_wait: TimedWait
) -> None:
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, efd, pyepoll.EPOLLIN, backend=backend)
    with later(lambda: eventfd_add(efd)) as writer:  # once the wait sleeps
        events = timed_wait(epfd, backend, None)
    assert [mask for _, mask in events] == [pyepoll.EPOLLIN]
    assert writer.started is not None


@pytest.mark.parametrize("timeout", [0.05, 0.0015, 0.0001])
def test_positive_timeout_waits_at_least_that_long(
    backend: str, epfd: int, timed_wait: TimedWait, timeout: float
) -> None:
    start = time.monotonic()
    assert timed_wait(epfd, backend, timeout) == []
    assert time.monotonic() - start >= timeout


@pytest.mark.parametrize("timeout", [None, -1, -1.0, -0.5, -(10**6)])
def test_poll_none_or_negative_timeout_blocks(
    kernel: KernelObjects, backend: str, timeout: float | None
) -> None:
    efd = kernel.eventfd()
    with pyepoll.epoll(backend=backend) as ep:
        ep.register(efd, pyepoll.EPOLLIN)
        with later(lambda: eventfd_add(efd)) as writer:  # once the poll sleeps
            events = ep.poll(timeout)
    assert events == [(efd, pyepoll.EPOLLIN)]
    assert writer.started is not None


@pytest.mark.parametrize("timeout", [0, 0.0, 1e-10])
def test_poll_zero_timeout_returns_at_once(
    kernel: KernelObjects, backend: str, timeout: float
) -> None:
    with pyepoll.epoll(backend=backend) as ep:
        ep.register(kernel.eventfd(), pyepoll.EPOLLIN)
        start = time.monotonic()
        assert ep.poll(timeout) == []
        assert time.monotonic() - start < PROMPTLY


def test_poll_tiny_positive_timeout_is_rounded_up_to_a_millisecond(backend: str) -> None:
    # select.epoll rounds 1e-10 s up to 1 ms (_PyTime_ROUND_CEILING), not down to a 0 poll.
    with pyepoll.epoll(backend=backend) as ep:
        start = time.monotonic()
        ep.poll(1e-10)
        assert time.monotonic() - start >= 0.001


def test_pwait2_timeout_has_nanosecond_precision(backend: str, epfd: int) -> None:
    # 1.5 ms truncated to a millisecond wait would end after about 1.05 ms.
    start = time.monotonic_ns()
    assert pyepoll.epoll_pwait2(epfd, 1, 1_500_000, backend=backend) == []
    assert time.monotonic_ns() - start >= 1_500_000
