"""Argument checks at their exact bounds, with their messages: event masks (32 bits), data
words (64 bits), signal numbers, and what epoll_ctl stores when no events are given."""

from __future__ import annotations

import errno
import gc
import platform
import select
import signal
import sys

import pytest

import pyepoll
from pyepoll import EPOLL_CTL_ADD, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT
from pyepoll.abi import EP_MAX_EVENTS
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


class FilenoReturns:
    """An object whose fileno() returns what it was given."""

    def __init__(self, value: object) -> None:
        self.value = value

    def fileno(self) -> object:
        return self.value

    def __repr__(self) -> str:
        return f"FilenoReturns({self.value!r})"


#: Descriptors register() refuses or passes on at the bounds of a C int, and objects that
#: are not descriptors; 0 is a descriptor like any other.
DESCRIPTORS: list[object] = [
    0,
    2**31 - 1,
    2**31,
    -1,
    -(2**31),
    -(2**31) - 1,
    "3",
    FilenoReturns("3"),
    FilenoReturns(2**31),
    FilenoReturns(-5),
]


@pytest.mark.skipif(
    platform.python_implementation() != "CPython", reason="the oracle is CPython's select.epoll"
)
@pytest.mark.parametrize("fd", DESCRIPTORS, ids=repr)
def test_register_checks_descriptors_as_select_epoll_does(backend: str, fd: object) -> None:
    outcomes: list[tuple[object, ...]] = []
    for ep in (select.epoll(), pyepoll.epoll(backend=backend)):
        with ep:
            try:
                ep.register(fd)  # type: ignore[arg-type]
                outcomes.append(("ok",))
            except Exception as error:
                outcomes.append((type(error), str(error)))
    assert outcomes[0] == outcomes[1]


def test_an_object_that_never_got_a_descriptor_finalizes_quietly() -> None:
    # object.__new__ skips epoll.__new__: no descriptor, and __del__ must not fail on that.
    unraisable: list[object] = []
    previous, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        bare = object.__new__(pyepoll.epoll)
        del bare
        gc.collect()
    finally:
        sys.unraisablehook = previous
    assert unraisable == []


def test_a_buffer_decodes_what_the_kernel_wrote(
    kernel: KernelObjects, epfd: int, backend: str
) -> None:
    # EventBuffer is public: fds() and words() of a buffer a wait filled, for 0, 1 and 2
    # records (poll decodes a single event inline, so fds(1) is reached only from here).
    first, second = kernel.readable_eventfd(), kernel.eventfd()
    for fd in (first, second):
        pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLOUT, backend=backend)
    buffer = pyepoll.EventBuffer(4)
    pyepoll.epoll_wait(epfd, 4, 0, buffer=buffer, backend=backend)
    assert buffer.fds(0) == []
    records = {(first, EPOLLIN | EPOLLOUT), (second, EPOLLOUT)}
    assert len(buffer.fds(1)) == 1
    assert set(buffer.fds(1)) < records
    assert set(buffer.fds(2)) == records == set(buffer.words(2))
    assert pyepoll.epoll_wait(epfd, EP_MAX_EVENTS, 0, backend=backend) != []
