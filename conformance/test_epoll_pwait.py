"""epoll_wait(2), ERRORS for epoll_wait/epoll_pwait/epoll_pwait2, and the pwait calls."""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import threading
import time
from typing import Callable

import pytest

from conformance import bounds
from conformance import flags as F
from conformance.adapters import PWAIT, PWAIT2, RAW, RAW_ADDRESS, Adapter, Events
from conformance.catalogue.epoll_wait import WAIT_CALLS
from conformance.kobjects import Resources, is_open
from conformance.procview import KernelTimeout, blocked_signals, kernel_timeout
from conformance.support import Stopwatch, raises_errno, require, require_kernel, wrapping
from conformance.timing import (
    DELAY,
    LOOK_LIMIT,
    PROMPT,
    Interrupt,
    later,
    signal_handler,
    signal_main_thread,
    sleeping_in_wait,
)

clause = pytest.mark.clause
CALLS = ["epoll_wait", "epoll_pwait", "epoll_pwait2"]
SINCE = {call: since for call, _, since in WAIT_CALLS}

Wait = Callable[[int, int], Events]
#: The timeout of a wait that an event ends: longer than the helper looks for the waiting
#: thread before acting anyway, so that an event always comes first.
WAIT_MS = int(LOOK_LIMIT * 2 * 1000)


def waiter(impl: Adapter, call: str) -> Wait:
    """``wait(epfd, maxevents)`` with timeout 0 through *call*: the raw calls where the adapter
    has them; epoll_wait falls back to the instance API (``fromfd(dup(epfd)).poll``)."""
    require_kernel(SINCE[call])
    if call == "epoll_pwait":
        require(impl, PWAIT)
        return lambda epfd, n: impl.raw.epoll_pwait(epfd, n, 0, None)
    if call == "epoll_pwait2":
        require(impl, PWAIT2)
        return lambda epfd, n: impl.raw.epoll_pwait2(epfd, n, 0, None)
    if impl.has(RAW):
        return lambda epfd, n: impl.raw.epoll_wait(epfd, n, 0)

    def through_instance(epfd: int, maxevents: int) -> Events:
        with wrapping(impl, lambda: os.dup(epfd) if is_open(epfd) else epfd) as instance:
            return instance.poll(0, maxevents)

    return through_instance


def per_call(suffix: str) -> list[object]:
    """The three calls as parameters, each marked with its own clause ``<call>.<suffix>``."""
    return [pytest.param(call, marks=clause(f"{call}.{suffix}"), id=call) for call in CALLS]


@pytest.mark.parametrize("call", per_call("EBADF"))
def test_ebadf(impl: Adapter, res: Resources, call: str) -> None:
    wait = waiter(impl, call)
    with raises_errno(errno.EBADF):
        wait(res.closed_fd(), 1)


@pytest.mark.parametrize("call", per_call("EINVAL.not_epoll"))
def test_einval_not_epoll(impl: Adapter, res: Resources, call: str) -> None:
    wait = waiter(impl, call)
    r, _ = res.pipe()
    with raises_errno(errno.EINVAL):
        wait(r, 1)


@pytest.mark.parametrize("call", per_call("EINVAL.maxevents"))
@pytest.mark.parametrize("maxevents", [0, -1])
def test_einval_maxevents(impl: Adapter, res: Resources, call: str, maxevents: int) -> None:
    # Through the raw call, which hands maxevents to the kernel as it is: a binding's own
    # check (pyepoll's, select.epoll's ValueError) is the Python API's business, not this
    # sentence's. A valid buffer, and a ready event: only maxevents is wrong.
    require_kernel(SINCE[call])
    require(impl, RAW, RAW_ADDRESS)
    epfd, (r, w) = res.raw_epoll(impl), res.pipe()
    os.write(w, b"x")
    impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_ADD, r, F.EPOLLIN)
    room = ctypes.create_string_buffer(64 * 16)
    with raises_errno(errno.EINVAL):
        impl.raw.epoll_wait_raw(epfd, ctypes.addressof(room), maxevents, 0, call=call)


@pytest.mark.parametrize("call", per_call("EFAULT"))
def test_efault(impl: Adapter, res: Resources, call: str) -> None:
    require_kernel(SINCE[call])
    require(impl, RAW, RAW_ADDRESS)
    epfd, (r, w) = res.raw_epoll(impl), res.pipe()
    os.write(w, b"x")
    impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_ADD, r, F.EPOLLIN)
    # The kernel checks the buffer when it copies a ready event out, so one must be ready.
    with raises_errno(errno.EFAULT):
        impl.raw.epoll_wait_raw(epfd, 0, 1, 0, call=call)


def blocking_waiter(impl: Adapter, res: Resources, call: str) -> Callable[[int], Events]:
    """``wait(timeout_ms)`` on a new instance with an idle pipe registered, through *call*:
    the instance's poll for epoll_wait, the raw calls (NULL sigmask) for the other two."""
    require_kernel(SINCE[call])
    r, _ = res.pipe()
    if call == "epoll_wait":
        ep = res.epoll(impl)
        ep.register(r, F.EPOLLIN)
        return ep.poll
    require(impl, PWAIT if call == "epoll_pwait" else PWAIT2, RAW)
    epfd = res.raw_epoll(impl)
    impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_ADD, r, F.EPOLLIN)
    if call == "epoll_pwait":
        return lambda ms: impl.raw.epoll_pwait(epfd, 1, ms, None)
    return lambda ms: impl.raw.epoll_pwait2(epfd, 1, ms * 1_000_000, None)


@pytest.mark.parametrize("call", per_call("EINTR"))
def test_signal_handler_interrupts_the_wait(impl: Adapter, res: Resources, call: str) -> None:
    # Python surfaces an interrupted wait as the handler's exception (PEP 475: EINTR itself
    # is retried, so a handler that returns does not end the wait: see the next test).
    wait = blocking_waiter(impl, res, call)
    with (
        signal_handler(signal.SIGUSR1, raising=True),
        later(signal_main_thread(signal.SIGUSR1)) as sent,
        Stopwatch() as sw,
        pytest.raises(Interrupt),
    ):
        wait(WAIT_MS)
    assert sent.started is not None and sw.end - sent.started < PROMPT, "not ended by the signal"


@pytest.mark.parametrize("call", per_call("EINTR"))
def test_wait_resumes_after_a_returning_handler(impl: Adapter, res: Resources, call: str) -> None:
    wait = blocking_waiter(impl, res, call)
    timeout = 5 * DELAY
    with (
        signal_handler(signal.SIGUSR1, raising=False) as calls,
        later(signal_main_thread(signal.SIGUSR1), look=timeout / 2),
        Stopwatch() as sw,
    ):
        got = wait(int(timeout * 1000))
    assert calls, "the handler never ran"
    assert got == [] and sw.elapsed >= timeout - 0.01


@clause("epoll_pwait.sigmask")
def test_pwait_blocks_the_masked_signal(impl: Adapter, res: Resources) -> None:
    require(impl, PWAIT)
    epfd = res.raw_epoll(impl)
    timeout = 5 * DELAY
    with (
        signal_handler(signal.SIGUSR1, raising=False) as calls,
        later(signal_main_thread(signal.SIGUSR1), look=timeout / 2) as sent,
    ):
        start = time.monotonic()
        got = impl.raw.epoll_pwait(epfd, 1, int(timeout * 1000), [signal.SIGUSR1])
        ended = time.monotonic()
    assert got == [] and ended - start >= timeout
    assert sent.started is not None and sent.started < ended - 0.1, "sent too late to tell"
    # Blocked during the wait, the signal was delivered (and handled) only after it.
    assert calls and calls[0] >= ended - 0.05, (calls, ended)


@clause("epoll_pwait.null_sigmask")
def test_pwait_null_sigmask_is_wait(impl: Adapter, res: Resources) -> None:
    require(impl, PWAIT, RAW)
    epfd, (r, w) = res.raw_epoll(impl), res.pipe()
    impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_ADD, r, F.EPOLLIN)
    assert impl.raw.epoll_pwait(epfd, 4, 0, None) == impl.raw.epoll_wait(epfd, 4, 0) == []
    # While the thread sleeps, the kernel shows the mask it sleeps with; a NULL mask leaves
    # the thread's own in place (epoll_wait does not touch it).
    waiter = threading.get_native_id()
    own = blocked_signals(waiter)
    sleeping_with: list[int | None] = []

    def look_then_wake() -> None:
        if sleeping_in_wait(waiter):
            mask = blocked_signals(waiter)
            if sleeping_in_wait(waiter):
                sleeping_with.append(mask)
        os.write(w, b"x")

    with later(look_then_wake, delay=0.0):
        got = impl.raw.epoll_pwait(epfd, 4, WAIT_MS, None)
    if own is None or not sleeping_with:
        pytest.skip("the waiting thread's signal mask cannot be seen here")
    assert sleeping_with[0] == own, (
        f"slept with signals {sleeping_with[0]:#x} blocked, not its own {own:#x}"
    )
    assert got == impl.raw.epoll_wait(epfd, 4, 0) != []


def timeout_received(wait: Callable[[], object], waker: int) -> KernelTimeout:
    """The timeout the kernel received for *wait*, read while the thread sleeps in it; then
    the wait is ended by a byte written to *waker*."""
    waiter = threading.get_native_id()
    received: list[KernelTimeout | None] = []

    def look_then_wake() -> None:
        received.append(kernel_timeout(waiter))
        os.write(waker, b"x")

    with later(look_then_wake, delay=0.0):
        wait()
    if not received or received[0] is None:
        pytest.skip("the timeout a sleeping thread's wait received cannot be seen here")
    return received[0]


@clause("epoll_pwait2.timeout")
def test_pwait2_kernel_gets_nanoseconds(impl: Adapter, res: Resources) -> None:
    require_kernel((5, 11))
    require(impl, PWAIT2, RAW)
    epfd, (r, w) = res.raw_epoll(impl), res.pipe()
    impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_ADD, r, F.EPOLLIN)
    # A timeout no coarser unit can carry, read where the kernel took it from while the
    # thread sleeps; a helper then ends the wait with an event (long before the timeout: it
    # acts once it sees the thread asleep, and looks for at most half as long).
    asked = WAIT_MS * 1_000_000 + 123
    for _ in range(3):
        got = timeout_received(lambda: impl.raw.epoll_pwait2(epfd, 1, asked, None), w)
        os.read(r, 1)
        assert got.resolution_ns == 1, (
            f"the kernel got a timeout in units of {got.resolution_ns} ns ({got.syscall})"
        )
        assert got.timeout_ns is not None, f"the kernel got no timeout ({got.syscall})"
        if got.timeout_ns == asked:
            return
        # An implementation may pass the time left until a deadline it computed first: a
        # little less than asked, with nanosecond digits of their own, which are all zero
        # one time in a thousand; such a reading is taken again.
        assert asked - PROMPT * 1e9 < got.timeout_ns < asked, (
            f"asked for {asked} ns, the kernel got {got.timeout_ns} ns ({got.syscall})"
        )
        if got.timeout_ns % 1000:
            return
    raise AssertionError("the kernel got whole microseconds every time")


@clause("epoll_pwait2.timeout")
def test_pwait2_sub_millisecond_wait(impl: Adapter, res: Resources) -> None:
    require_kernel((5, 11))
    require(impl, PWAIT2, RAW)
    epfd, (r, _) = res.raw_epoll(impl), res.pipe()
    asked = 200_000

    def ctl_pair() -> None:
        impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_ADD, r, F.EPOLLIN)
        impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_DEL, r)

    own = bounds.quickest(ctl_pair)
    # The wait asked for, plus what a call that sleeps for no time at all may take here (see
    # bounds.not_sleeping) and once more the shortest sleep (a timed sleep's slack and wake-up
    # come once in the wait, once in the reference): all of it below the millisecond that a
    # millisecond timeout rounds 200 µs up to.
    bound = asked / 1e9 + bounds.not_sleeping(own) + bounds.shortest_sleep()
    if bound >= 0.001:
        pytest.skip(f"this machine cannot sleep for less than a millisecond ({bound * 1e6:.0f} µs)")

    def trial() -> float:
        with Stopwatch() as sw:
            got = impl.raw.epoll_pwait2(epfd, 1, asked, None)
        assert got == [] and sw.elapsed >= asked / 1e9, f"waited {sw.elapsed * 1e6:.0f} µs"
        return sw.elapsed

    bounds.within(bound, trial, f"a wait of {asked // 1000} µs")


@clause("epoll_pwait2.timeout")
def test_pwait2_waits_at_least(impl: Adapter, res: Resources) -> None:
    require_kernel((5, 11))
    require(impl, PWAIT2)
    epfd = res.raw_epoll(impl)
    asked = 150_000_000
    with Stopwatch() as sw:
        assert impl.raw.epoll_pwait2(epfd, 1, asked, None) == []
    assert asked / 1e9 <= sw.elapsed < asked / 1e9 + PROMPT


@clause("epoll_pwait2.null_timeout")
def test_pwait2_null_timeout_blocks(impl: Adapter, res: Resources) -> None:
    require_kernel((5, 11))
    require(impl, PWAIT2, RAW)
    epfd, (r, w) = res.raw_epoll(impl), res.pipe()
    impl.raw.epoll_ctl(epfd, F.EPOLL_CTL_ADD, r, F.EPOLLIN, data=7)
    with later(lambda: os.write(w, b"x"), delay=2 * DELAY) as write, Stopwatch() as sw:
        got = impl.raw.epoll_pwait2(epfd, 1, None, None)
    assert got == [(7, F.EPOLLIN)] and sw.ended_after(write)


@clause("kernel.pwait2.EINVAL_timeout")
def test_pwait2_negative_timeout(impl: Adapter, res: Resources) -> None:
    require_kernel((5, 11))
    require(impl, PWAIT2)
    with raises_errno(errno.EINVAL):
        impl.raw.epoll_pwait2(res.raw_epoll(impl), 1, -1, None)
