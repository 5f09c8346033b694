"""Argument checks at their exact bounds, with their messages: event masks (32 bits), data
words (64 bits), signal numbers, and what epoll_ctl stores when no events are given."""

from __future__ import annotations

import errno
import signal

import pytest

import pyepoll
from pyepoll import EPOLL_CTL_ADD, EPOLLERR, EPOLLHUP
from tests.kernel import KernelObjects


def test_event_mask_bounds(kernel: KernelObjects, epfd: int, backend: str) -> None:
    efd = kernel.eventfd()
    # All 32 bits fit (the kernel refuses the combination: EPOLLEXCLUSIVE with EPOLLONESHOT).
    with pytest.raises(OSError) as refused:
        pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, 0xFFFFFFFF, backend=backend)
    assert refused.value.errno == errno.EINVAL
    with pytest.raises(OverflowError) as overflow:
        pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, 2**32, backend=backend)
    assert str(overflow.value) == "events must fit in 32 unsigned bits, got 4294967296"


def test_epoll_ctl_without_events_stores_only_the_implicit_ones(
    kernel: KernelObjects, epfd: int, backend: str
) -> None:
    # epoll_ctl(2): EPOLLERR and EPOLLHUP are always reported, whatever the mask says.
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, backend=backend)
    assert [entry.events for entry in pyepoll.interest_list(epfd)] == [EPOLLERR | EPOLLHUP]


def test_data_word_bound(kernel: KernelObjects, ep: pyepoll.epoll) -> None:
    with pytest.raises(OverflowError) as overflow:
        ep.register(kernel.eventfd(), data=2**64)
    assert str(overflow.value) == f"data must fit in 64 unsigned bits, got {2**64}"


@pytest.mark.parametrize("number", [0, signal.NSIG, -1])
def test_signal_number_bounds(ep: pyepoll.epoll, number: int) -> None:
    with pytest.raises(ValueError) as caught:
        ep.poll(0, sigmask=[number])
    assert str(caught.value) == f"signal number {number} out of range [1; {signal.NSIG - 1}]"
