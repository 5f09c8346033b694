"""epoll.poll's internals: the ``poll(0)`` fast path, the event buffer's stride, data words
(signed ``data.fd`` or the whole 64-bit word), the buffer pool and the recovery of a failed
zero-timeout wait.

These are the places where a wrong implementation still passes calls that report one event:
each test has several events ready at once, in different states, and compares every way of
asking (``poll(0)``, ``poll(0, n)``, ``poll(0.0)``, ``poll(None)``, ...), with CPython's
select.epoll as the oracle where it defines the answer (killing the mutants that mutation
testing found surviving, see tests/mutation-triage.md).
"""

from __future__ import annotations

import errno
import mmap
import os
import platform
import select
import time
from typing import Any

import pytest

import pyepoll
from pyepoll import epollobject
from pyepoll.abi import EP_MAX_EVENTS
from tests.kernel import KernelObjects, read_only, unused_fd

IN, OUT = int(pyepoll.EPOLLIN), int(pyepoll.EPOLLOUT)

#: Every argument form that reports events ready now without blocking: the fast path
#: (``poll(0)``, ``poll(0, n)``), the general zero-timeout path and the blocking ones.
READY_NOW: list[tuple[Any, ...]] = [
    (0,),
    (0, -1),
    (0, 3),
    (0, 1023),
    (0.0,),
    (0.0, 3),
    (None,),
    (-1,),
    (-1.0, 3),
    (1,),
    (1.5, 1024),
]

cpython_only = pytest.mark.skipif(
    platform.python_implementation() != "CPython",
    reason="the oracle is CPython's select.epoll; PyPy's parses arguments differently",
)


def ready_trio(kernel: KernelObjects) -> dict[int, int]:
    """Three descriptors ready at once, each with other events: fd -> what poll reports."""
    readable, _ = kernel.pipe()
    os.write(_, b"x")
    _, writable = kernel.pipe()
    both = kernel.readable_eventfd()
    return {readable: IN, writable: OUT, both: IN | OUT}


def register_all(ep: pyepoll.epoll, ready: dict[int, int]) -> None:
    for fd in ready:
        ep.register(fd, IN | OUT)


@pytest.mark.parametrize("args", READY_NOW, ids=repr)
def test_each_ready_fd_comes_with_its_own_events(
    kernel: KernelObjects, ep: pyepoll.epoll, args: tuple[Any, ...]
) -> None:
    # A wrong stride or word offset pairs an fd with another record's events, or reads
    # padding: with three different masks, any misreading shows.
    ready = ready_trio(kernel)
    register_all(ep, ready)
    events = ep.poll(*args)
    assert sorted(events) == sorted(ready.items())
    assert all(type(fd) is int and type(mask) is int for fd, mask in events)


@pytest.mark.parametrize("timeout", [0, 0.0, None])
@pytest.mark.parametrize("maxevents", [1, 2])
def test_maxevents_limits_the_events_reported(
    kernel: KernelObjects, ep: pyepoll.epoll, timeout: float | None, maxevents: int
) -> None:
    ready = ready_trio(kernel)
    register_all(ep, ready)
    events = ep.poll(timeout, maxevents)
    assert len(events) == maxevents
    assert set(events) <= set(ready.items())


@pytest.mark.parametrize("args", READY_NOW, ids=repr)
def test_one_ready_fd(kernel: KernelObjects, ep: pyepoll.epoll, args: tuple[Any, ...]) -> None:
    efd = kernel.readable_eventfd()
    ep.register(efd, IN)
    assert ep.poll(*args) == [(efd, IN)]


@pytest.mark.parametrize("args", [(0,), (0, 5), (0.0,), (None,), (1.0, 1)], ids=repr)
def test_nothing_ready_is_an_empty_list(
    kernel: KernelObjects, ep: pyepoll.epoll, args: tuple[Any, ...]
) -> None:
    ep.register(kernel.eventfd(), IN)
    if args[0] is None:
        ep.register(kernel.readable_eventfd(), IN)  # so that the blocking form returns
        assert len(ep.poll(*args)) == 1
    else:
        assert ep.poll(*args) == []


#: Data words whose low half, read as a signed int, is negative or zero, next to their
#: whole value: what select.epoll reports as the fd of a registration it did not make.
FOREIGN_WORDS = [0x1234_5678_FFFF_FFFE, 0x8000_0000, 0xFFFF_FFFF_0000_0000]


def foreign_registrations(epfd: int, kernel: KernelObjects, backend: str) -> None:
    """Registrations made with the raw call, carrying data words of their own."""
    for word in FOREIGN_WORDS:
        fd = kernel.readable_eventfd()
        pyepoll.epoll_ctl(epfd, pyepoll.EPOLL_CTL_ADD, fd, IN, data=word, backend=backend)


@cpython_only
@pytest.mark.parametrize("args", [*READY_NOW, (0, 1), (0.0, 1), (None, 2)], ids=repr)
def test_data_fd_is_the_signed_low_half_as_select_epoll_reports_it(
    kernel: KernelObjects, backend: str, args: tuple[Any, ...]
) -> None:
    # pyepoll.epoll reports data.fd, the low 32 bits as a signed C int, on every path: the
    # fast path's strided view and the one-event shortcut as much as the general decoding.
    with select.epoll() as reference, pyepoll.epoll(backend=backend) as ep:
        foreign_registrations(reference.fileno(), kernel, backend)
        foreign_registrations(ep.fileno(), kernel, backend)
        expected = sorted(reference.poll(*args))
        assert expected[0][0] < 0  # the oracle shows the sign
        assert sorted(ep.poll(*args)) == expected


@pytest.mark.parametrize("args", READY_NOW, ids=repr)
def test_registrations_with_data_report_whole_words(
    kernel: KernelObjects, ep: pyepoll.epoll, args: tuple[Any, ...]
) -> None:
    plain = kernel.readable_eventfd()
    ep.register(plain, IN)
    assert ep.poll(*args) == [(plain, IN)]
    # Once one registration has a word of its own, every record is read as a whole word
    # (a registration without data holds its fd as its word), the fast path included.
    expected = [(plain, IN)]
    for word in FOREIGN_WORDS:
        fd = kernel.readable_eventfd()
        ep.register(fd, IN, data=word)
        expected.append((word, IN))
    events = ep.poll(*args)
    limit = args[1] if len(args) > 1 and args[1] > 0 else len(expected)
    assert len(events) == min(limit, len(expected))
    assert set(events) <= set(expected)


@pytest.mark.parametrize("args", READY_NOW, ids=repr)
def test_a_single_whole_word(
    kernel: KernelObjects, ep: pyepoll.epoll, args: tuple[Any, ...]
) -> None:
    # The one-event shortcut must not read data.fd (7 here) once words are reported.
    ep.register(kernel.readable_eventfd(), IN, data=0xFFFF_FFFF_0000_0007)
    assert ep.poll(*args) == [(0xFFFF_FFFF_0000_0007, IN)]


def test_modify_with_data_switches_to_whole_words(kernel: KernelObjects, ep: pyepoll.epoll) -> None:
    efd = kernel.readable_eventfd()
    ep.register(efd, IN)
    assert ep.poll(0) == [(efd, IN)]
    ep.modify(efd, IN, data=2**64 - 1)
    assert ep.poll(0) == [(2**64 - 1, IN)]
    assert ep.poll(0, 1) == [(2**64 - 1, IN)]


@cpython_only
@pytest.mark.parametrize(
    "maxevents",
    [
        0,
        -2,
        -(2**31),
        2**31,
        1.0,
        "1",
        1024,
        5000,
        True,
        False,
    ],
    ids=repr,
)
@pytest.mark.parametrize("timeout", [0, 0.0])
def test_maxevents_checked_as_select_epoll_does(
    kernel: KernelObjects, backend: str, timeout: float, maxevents: Any
) -> None:
    # The fast path hands anything but a plain int in 1..1023 to the general path, which
    # must then refuse (or accept) it exactly as select.epoll does.
    efd = kernel.readable_eventfd()
    outcomes: list[tuple[object, ...]] = []
    for ep in (select.epoll(), pyepoll.epoll(backend=backend)):
        with ep:
            ep.register(efd, IN)
            try:
                outcomes.append(("ok", ep.poll(timeout, maxevents)))
            except Exception as error:
                outcomes.append(("raised", type(error), str(error)))
    assert outcomes[0] == outcomes[1]


def test_maxevents_above_the_kernel_bound(ep: pyepoll.epoll) -> None:
    # epoll_wait(2): EINVAL for maxevents above INT_MAX / sizeof(struct epoll_event); refused
    # before any buffer of that size is made.
    with pytest.raises(OSError) as caught:
        ep.poll(0, EP_MAX_EVENTS + 1)
    assert caught.value.errno == errno.EINVAL
    assert ep.poll(0.0, EP_MAX_EVENTS) == []


def test_buffers_are_pooled_up_to_the_bound(kernel: KernelObjects, ep: pyepoll.epoll) -> None:
    # A pool holds one buffer per concurrent poll; a buffer that a large maxevents made is
    # kept while it is at most 2**16 records, so a selector with many fds does not allocate
    # on every call, and dropped above that.
    pool = ep._pool
    efd = kernel.readable_eventfd()
    ep.register(efd, IN)
    for maxevents, kept in [(1, 1023), (1023, 1023), (1024, 1024), (2**16, 2**16)]:
        assert ep.poll(0.0, maxevents) == [(efd, IN)]
        assert [buffer.capacity for buffer in pool] == [kept]
    assert ep.poll(0, 5) == [(efd, IN)]  # the fast path takes the pooled buffer and returns it
    assert [buffer.capacity for buffer in pool] == [2**16]
    assert ep.poll(0.0, 2**16 + 1) == [(efd, IN)]
    assert [buffer.capacity for buffer in pool] == []
    assert ep.poll(0) == [(efd, IN)]
    assert [buffer.capacity for buffer in pool] == [1023]


@pytest.mark.parametrize("args", [(0,), (0, 3), (0.0,), (1.0,), (None,), (0.0, 1500)], ids=repr)
def test_a_failing_wait_raises_its_errno(
    kernel: KernelObjects, ep: pyepoll.epoll, args: tuple[Any, ...]
) -> None:
    # The object's descriptor now names a pipe: every wait fails with EINVAL (epoll_wait(2):
    # "epfd is not an epoll file descriptor"), and the fast path, which does not capture errno,
    # must learn it by repeating the call.
    r, _ = kernel.pipe()
    os.dup2(r, ep.fileno())
    with pytest.raises(OSError) as caught:
        ep.poll(*args)
    assert caught.value.errno == errno.EINVAL
    assert type(caught.value) is OSError


@pytest.mark.parametrize("args", [(0,), (0, 3), (0.0,), (None,)], ids=repr)
def test_closed_object(ep: pyepoll.epoll, args: tuple[Any, ...]) -> None:
    ep.close()
    with pytest.raises(ValueError, match="I/O operation on closed epoll object"):
        ep.poll(*args)


@pytest.mark.parametrize("args", [(0,), (0, 3), (0.0,), (1.0,), (None,)], ids=repr)
def test_a_wait_on_a_closed_descriptor_is_ebadf(backend: str, args: tuple[Any, ...]) -> None:
    # epoll_wait(2): EBADF.  Before Linux 6.15 the kernel checked maxevents before it looked
    # the descriptor up, so a repeat of the failed call with maxevents 0 said EINVAL; since
    # then (fs/eventpoll.c, do_epoll_wait: the fd first, then ep_check_params) it says EBADF
    # either way, and the test below is the one that tells.
    with pyepoll.epoll.fromfd(unused_fd(), backend=backend) as ep:
        with pytest.raises(OSError) as caught:
            ep.poll(*args)
        assert caught.value.errno == errno.EBADF


@pytest.mark.parametrize("args", [(0,), (0, 3), (0.0,), (0.0, 1500), (1.0,), (None,)], ids=repr)
def test_a_wait_into_memory_the_kernel_cannot_write_is_efault(
    kernel: KernelObjects, ep: pyepoll.epoll, args: tuple[Any, ...]
) -> None:
    # epoll_wait(2): EFAULT when the events buffer is not writable, found as the kernel copies
    # a ready event out, after its checks of maxevents and the descriptor pass; the event
    # stays ready, so the repeat of a failed zero-timeout wait (the fast path learns errno
    # that way) fails the same way, unless it passes another maxevents (0: EINVAL, on every
    # kernel).  The largest maxevents whose buffer is pooled leaves a pooled buffer that is
    # an anonymous mapping (page-aligned, so mprotect can make it read-only), which the wait
    # below takes.
    ep.register(kernel.readable_eventfd(), IN)
    ep.poll(0.0, epollobject._MAX_POOLED)
    assert len(ep._pool) == 1, "the buffer of the largest pooled maxevents was not pooled"
    (buffer,) = ep._pool
    assert isinstance(buffer.memory, mmap.mmap), "that buffer is not an anonymous mapping"
    with read_only(buffer.memory), pytest.raises(OSError) as caught:
        ep.poll(*args)
    assert caught.value.errno == errno.EFAULT
    assert type(caught.value) is OSError


def test_poll_zero_never_sleeps(kernel: KernelObjects, ep: pyepoll.epoll) -> None:
    # A zero timeout that reached the kernel as 1 ms would make these calls last at least
    # CALLS ms in all; made without sleeping, they take a small fraction of that.
    ep.register(kernel.eventfd(), IN)  # never ready
    calls = 500
    start = time.monotonic()
    for _ in range(calls):
        ep.poll(0)
    assert time.monotonic() - start < calls * 0.001
