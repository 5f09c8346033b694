"""The C-semantics waits: epoll_wait, epoll_pwait, epoll_pwait2, their ``*_raw`` forms, and the
reusable EventBuffer.  The kernel can never write past a buffer: maxevents is checked against
its capacity before any syscall."""

from __future__ import annotations

import ctypes
import errno
import signal
from typing import Callable

import pytest

import pyepoll
from pyepoll import EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLLIN
from tests.kernel import KernelObjects
from tests.lowlevel_cases import assert_oserror

# -- the waits -------------------------------------------------------------------------------

Wait = Callable[..., "list[tuple[int, int]]"]


def _wait(epfd: int, maxevents: int, backend: str, **kw: object) -> list[tuple[int, int]]:
    return pyepoll.epoll_wait(epfd, maxevents, 0, backend=backend, **kw)  # type: ignore[arg-type]


def _pwait(epfd: int, maxevents: int, backend: str, **kw: object) -> list[tuple[int, int]]:
    return pyepoll.epoll_pwait(epfd, maxevents, 0, [], backend=backend, **kw)  # type: ignore[arg-type]


def _pwait2(epfd: int, maxevents: int, backend: str, **kw: object) -> list[tuple[int, int]]:
    return pyepoll.epoll_pwait2(epfd, maxevents, 0, [], backend=backend, **kw)  # type: ignore[arg-type]


WAITS = {"epoll_wait": _wait, "epoll_pwait": _pwait, "epoll_pwait2": _pwait2}


@pytest.fixture(params=sorted(WAITS))
def wait(request: pytest.FixtureRequest) -> Wait:
    """One of the three waits, with a zero timeout (and an empty mask for the pwaits)."""
    return WAITS[request.param]


@pytest.mark.parametrize("maxevents", [0, -1, -(2**31)])
def test_wait_nonpositive_maxevents_is_einval(
    backend: str, epfd: int, wait: Wait, maxevents: int
) -> None:
    with pytest.raises(OSError) as excinfo:
        wait(epfd, maxevents, backend)
    assert_oserror(excinfo, errno.EINVAL)


def test_wait_maxevents_above_kernel_bound_is_einval(backend: str, epfd: int, wait: Wait) -> None:
    # fs/eventpoll.c: maxevents > INT_MAX / sizeof(struct epoll_event) is EINVAL.
    too_many = (2**31 - 1) // pyepoll.abi.EPOLL_EVENT_SIZE + 1
    with pytest.raises(OSError) as excinfo:
        wait(epfd, too_many, backend)
    assert_oserror(excinfo, errno.EINVAL)


def test_wait_on_closed_epfd_is_ebadf(
    kernel: KernelObjects, backend: str, epfd: int, wait: Wait
) -> None:
    kernel.close(epfd)
    with pytest.raises(OSError) as excinfo:
        wait(epfd, 1, backend)
    assert_oserror(excinfo, errno.EBADF)


def test_wait_on_negative_epfd_is_ebadf(backend: str, wait: Wait) -> None:
    with pytest.raises(OSError) as excinfo:
        wait(-1, 1, backend)
    assert_oserror(excinfo, errno.EBADF)


def test_wait_on_non_epoll_fd_is_einval(kernel: KernelObjects, backend: str, wait: Wait) -> None:
    with pytest.raises(OSError) as excinfo:
        wait(kernel.eventfd(), 1, backend)
    assert_oserror(excinfo, errno.EINVAL)


def test_wait_returns_data_and_events(
    kernel: KernelObjects, backend: str, epfd: int, wait: Wait
) -> None:
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 2**64 - 2, backend=backend)
    assert wait(epfd, 8, backend) == [(2**64 - 2, EPOLLIN)]


def test_wait_nothing_ready_is_empty(
    kernel: KernelObjects, backend: str, epfd: int, wait: Wait
) -> None:
    efd = kernel.eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, backend=backend)
    assert wait(epfd, 8, backend) == []


def add_ready(kernel: KernelObjects, backend: str, epfd: int, count: int) -> None:
    """Register ``count`` readable eventfds with data words 0 .. count - 1."""
    for data in range(count):
        pyepoll.epoll_ctl(
            epfd, EPOLL_CTL_ADD, kernel.readable_eventfd(), EPOLLIN, data, backend=backend
        )


def test_wait_returns_at_most_maxevents(
    kernel: KernelObjects, backend: str, epfd: int, wait: Wait
) -> None:
    add_ready(kernel, backend, epfd, 5)
    first = wait(epfd, 2, backend)
    assert len(first) == 2
    assert {data for data, _ in wait(epfd, 5, backend)} == set(range(5))


def test_wait_fills_buffer_to_capacity(
    kernel: KernelObjects, backend: str, epfd: int, wait: Wait
) -> None:
    add_ready(kernel, backend, epfd, 3)
    buffer = pyepoll.EventBuffer(3)
    assert sorted(wait(epfd, 3, backend, buffer=buffer)) == [(d, EPOLLIN) for d in range(3)]


def test_wait_maxevents_above_buffer_capacity_is_valueerror(
    backend: str, epfd: int, wait: Wait
) -> None:
    with pytest.raises(ValueError, match="capacity"):
        wait(epfd, 5, backend, buffer=pyepoll.EventBuffer(4))


@pytest.mark.parametrize("capacity", [0, -1])
def test_event_buffer_nonpositive_capacity_is_valueerror(capacity: int) -> None:
    with pytest.raises(ValueError):
        pyepoll.EventBuffer(capacity)


def test_event_buffer_capacity_attribute() -> None:
    assert pyepoll.EventBuffer(17).capacity == 17


def test_event_buffer_is_reused_across_waits(
    kernel: KernelObjects, backend: str, epfd: int
) -> None:
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 5, backend=backend)
    buffer = pyepoll.EventBuffer(2)
    first = pyepoll.epoll_wait(epfd, 2, 0, buffer=buffer, backend=backend)
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_MOD, efd, EPOLLIN, 6, backend=backend)
    second = pyepoll.epoll_wait(epfd, 2, 0, buffer=buffer, backend=backend)
    assert (first, second) == ([(5, EPOLLIN)], [(6, EPOLLIN)])


# -- the raw waits: any address, any maxevents, straight to the kernel ----------------------

RawWait = Callable[..., int]

RAW_WAITS: dict[str, RawWait] = {
    "epoll_wait_raw": lambda e, a, n, b: pyepoll.epoll_wait_raw(e, a, n, 0, backend=b),
    "epoll_pwait_raw": lambda e, a, n, b: pyepoll.epoll_pwait_raw(e, a, n, 0, None, backend=b),
    "epoll_pwait_raw-mask": lambda e, a, n, b: pyepoll.epoll_pwait_raw(
        e, a, n, 0, [signal.SIGUSR1], backend=b
    ),
    "epoll_pwait2_raw": lambda e, a, n, b: pyepoll.epoll_pwait2_raw(e, a, n, 0, None, backend=b),
    "epoll_pwait2_raw-mask": lambda e, a, n, b: pyepoll.epoll_pwait2_raw(
        e, a, n, 0, [signal.SIGUSR1], backend=b
    ),
}


@pytest.fixture(params=sorted(RAW_WAITS))
def raw_wait(request: pytest.FixtureRequest) -> RawWait:
    """One of the raw waits, ``wait(epfd, address, maxevents, backend)``, timeout 0."""
    return RAW_WAITS[request.param]


def test_raw_wait_null_buffer_with_an_event_is_efault(
    kernel: KernelObjects, backend: str, epfd: int, raw_wait: RawWait
) -> None:
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, backend=backend)
    with pytest.raises(OSError) as excinfo:
        raw_wait(epfd, 0, 1, backend)
    assert_oserror(excinfo, errno.EFAULT)


def test_raw_wait_null_buffer_without_events_returns_zero(
    backend: str, epfd: int, raw_wait: RawWait
) -> None:
    # The kernel only touches the buffer when it has an event to copy.
    assert raw_wait(epfd, 0, 1, backend) == 0


@pytest.mark.parametrize("maxevents", [0, -1, -(2**31)])
def test_raw_wait_passes_nonpositive_maxevents_to_the_kernel(
    kernel: KernelObjects, backend: str, epfd: int, raw_wait: RawWait, maxevents: int
) -> None:
    # A valid buffer and a ready event: only the kernel's maxevents check can refuse the call.
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, kernel.readable_eventfd(), EPOLLIN, backend=backend)
    buffer = pyepoll.EventBuffer(4)
    with pytest.raises(OSError) as excinfo:
        raw_wait(
            epfd, ctypes.addressof(ctypes.c_char.from_buffer(buffer.memory)), maxevents, backend
        )
    assert_oserror(excinfo, errno.EINVAL)


def test_raw_wait_writes_records_at_the_address(
    kernel: KernelObjects, backend: str, epfd: int, raw_wait: RawWait
) -> None:
    add_ready(kernel, backend, epfd, 3)
    buffer = pyepoll.EventBuffer(3)
    count = raw_wait(epfd, ctypes.addressof(ctypes.c_char.from_buffer(buffer.memory)), 2, backend)
    assert count == 2
    got = buffer.words(3)
    assert {data for data, _ in got[:2]} < {0, 1, 2} and got[2] == (0, 0)


def test_raw_pwait2_negative_timeout_is_einval(backend: str, epfd: int) -> None:
    with pytest.raises(OSError) as excinfo:
        pyepoll.epoll_pwait2_raw(epfd, 0, 1, -1, backend=backend)
    assert_oserror(excinfo, errno.EINVAL)


# -- sigmask validation ----------------------------------------------------------------------


@pytest.mark.parametrize("call", ["epoll_pwait", "epoll_pwait2"])
@pytest.mark.parametrize("signum", [0, 65, -1])
def test_pwait_signal_number_out_of_range_is_valueerror(
    backend: str, epfd: int, call: str, signum: int
) -> None:
    with pytest.raises(ValueError):
        getattr(pyepoll, call)(epfd, 1, 0, [signum], backend=backend)


@pytest.mark.parametrize("call", ["epoll_pwait", "epoll_pwait2"])
def test_pwait_none_sigmask_waits_like_epoll_wait(
    kernel: KernelObjects, backend: str, epfd: int, call: str
) -> None:
    efd = kernel.readable_eventfd()
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, 3, backend=backend)
    assert getattr(pyepoll, call)(epfd, 1, 0, None, backend=backend) == [(3, EPOLLIN)]


def test_pwait2_negative_timeout_is_einval(backend: str, epfd: int) -> None:
    with pytest.raises(OSError) as excinfo:
        pyepoll.epoll_pwait2(epfd, 1, -1, backend=backend)
    assert_oserror(excinfo, errno.EINVAL)


def test_event_buffer_above_kernel_bound_is_valueerror() -> None:
    with pytest.raises(ValueError):
        pyepoll.EventBuffer(pyepoll.abi.EP_MAX_EVENTS + 1)


LONGEST = {
    "epoll_wait-INT_MAX-ms": lambda e, b: pyepoll.epoll_wait(e, 1, 2**31 - 1, backend=b),
    "epoll_pwait-INT_MAX-ms": lambda e, b: pyepoll.epoll_pwait(e, 1, 2**31 - 1, backend=b),
    "epoll_pwait2-INT64_MAX-ns": lambda e, b: pyepoll.epoll_pwait2(e, 1, 2**63 - 1, backend=b),
}


@pytest.mark.parametrize("call", LONGEST.values(), ids=LONGEST.keys())
def test_longest_timeout_is_accepted(
    kernel: KernelObjects, backend: str, epfd: int, call: Callable[[int, str], object]
) -> None:
    # Something is ready, so even the longest wait returns at once.
    pyepoll.epoll_ctl(epfd, EPOLL_CTL_ADD, kernel.readable_eventfd(), EPOLLIN, 1, backend=backend)
    assert call(epfd, backend) == [(1, EPOLLIN)]


TOO_LONG = {
    "epoll_wait-2**31-ms": lambda e, b: pyepoll.epoll_wait(e, 1, 2**31, backend=b),
    "epoll_pwait-2**31-ms": lambda e, b: pyepoll.epoll_pwait(e, 1, 2**31, backend=b),
    "epoll_pwait2-2**63-ns": lambda e, b: pyepoll.epoll_pwait2(e, 1, 2**63, backend=b),
}


@pytest.mark.parametrize("call", TOO_LONG.values(), ids=TOO_LONG.keys())
def test_timeout_outside_its_c_type_is_overflowerror(
    backend: str, epfd: int, call: Callable[[int, str], object]
) -> None:
    with pytest.raises(OverflowError):
        call(epfd, backend)
