"""Helpers for the clauses about blocking: a delayed action in another thread, signals.

Timing assertions are lower bounds ("waited at least") plus upper bounds far above the
expected value, so that they hold on a loaded 2-core machine.

An action meant to interrupt or end a wait (a signal, a write) is taken only once the waiting
thread is seen asleep in a wait syscall, read from ``/proc/self/task/<tid>/syscall``: a fixed
head start is not enough on a loaded machine, and a signal that arrives before the wait
begins proves nothing (CPython even leaves it unhandled until the wait ends if it lands just
before the syscall).
"""

from __future__ import annotations

import os
import platform
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Callable, TypeVar

import pytest

#: The least time a helper thread waits before acting (it also waits for the main thread to
#: be asleep in a wait).
DELAY = 0.2
#: The upper bound for anything that should end promptly (many times DELAY).
PROMPT = 5.0
#: How long a helper looks for the waiting thread in a wait syscall before acting anyway (an
#: implementation under test may wait in some other way).
LOOK_LIMIT = 10.0

#: The syscalls a thread sleeps in while it waits for readiness: epoll_wait (where the
#: architecture has it), epoll_pwait, epoll_pwait2; and poll, ppoll, select, pselect6, for
#: implementations built on those. Numbers from the kernel's syscall tables.
WAIT_SYSCALLS: dict[str, frozenset[int]] = {
    "x86_64": frozenset({232, 281, 441, 7, 271, 23, 270}),
    "aarch64": frozenset({22, 441, 73, 72}),
}
_WAITS = WAIT_SYSCALLS.get(platform.machine())

T = TypeVar("T")


def wait_syscall(native_id: int) -> tuple[int, list[int]] | None:
    """The number and six arguments of the wait syscall thread *native_id* of this process
    sleeps in, or None if it is not asleep in one of WAIT_SYSCALLS (or that cannot be seen
    here).

    ``/proc/<pid>/task/<tid>/syscall`` holds the number of the syscall the thread is blocked
    in, its six arguments, the stack and the instruction pointer (hex), or ``running``.
    """
    if _WAITS is None:
        return None
    try:
        with open(f"/proc/self/task/{native_id}/syscall") as f:
            fields = f.read().split()
    except OSError:
        return None
    if len(fields) < 7 or not fields[0].isdigit() or int(fields[0]) not in _WAITS:
        return None
    return int(fields[0]), [int(field, 16) for field in fields[1:7]]


def wait_arguments(native_id: int) -> list[int] | None:
    """The six arguments of :func:`wait_syscall`, or None."""
    seen = wait_syscall(native_id)
    return None if seen is None else seen[1]


def sleeping_in_wait(native_id: int) -> bool | None:
    """Whether thread *native_id* of this process sleeps in one of WAIT_SYSCALLS; None when
    that cannot be known here (unknown architecture, no /proc)."""
    if _WAITS is None or not os.path.exists(f"/proc/self/task/{native_id}/syscall"):
        return None
    return wait_arguments(native_id) is not None


def until_sleeping_in_wait(
    native_id: int, stop: threading.Event | None = None, limit: float = LOOK_LIMIT
) -> None:
    """Return once thread *native_id* sleeps in a wait syscall, or *stop* is set, or *limit*
    seconds have passed, or at once when that cannot be seen here."""
    stop = stop or threading.Event()
    deadline = time.monotonic() + limit
    while not stop.is_set() and time.monotonic() < deadline:
        seen = sleeping_in_wait(native_id)
        if seen is None or seen:
            return
        stop.wait(0.001)


class Delayed:
    """When the delayed action started (monotonic seconds), once it has."""

    started: float | None = None


def wait_in_threads(
    waits: Sequence[Callable[[], T]], then: Callable[[], object], look: float = LOOK_LIMIT
) -> list[T]:
    """Run each of *waits* in a thread of its own; once every one sleeps in a wait syscall
    (looked for during at most *look* seconds in all, and at least DELAY seconds in), run
    *then*; return the waits' results, in order, once all have ended. The first exception a
    wait raised is raised here."""
    results: list[T | None] = [None] * len(waits)
    raised: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = waits[index]()
        except BaseException as exc:  # re-raised in the caller's thread
            raised.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(waits))]
    earliest = time.monotonic() + DELAY
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + look
    try:
        for thread in threads:
            assert thread.native_id is not None
            until_sleeping_in_wait(thread.native_id, limit=max(0.0, deadline - time.monotonic()))
        time.sleep(max(0.0, earliest - time.monotonic()))
        then()
    finally:
        for thread in threads:
            thread.join()
    if raised:
        raise raised[0]
    return results  # type: ignore[return-value]  # every run() has stored its result


@contextmanager
def later(
    action: Callable[[], object], delay: float = DELAY, look: float = LOOK_LIMIT
) -> Iterator[Delayed]:
    """Run *action* in another thread once *delay* seconds have passed and the thread that
    entered the block sleeps in a wait syscall (looked for during at most *look* seconds:
    less than the wait's own timeout, for a wait that ends by itself); cancelled if the
    block ends first, joined.

    Tests compare the end of a wait with ``Delayed.started`` rather than with *delay*.
    """
    delayed = Delayed()
    waiter = threading.get_native_id()
    done = threading.Event()

    def run() -> None:
        if done.wait(delay):
            return
        until_sleeping_in_wait(waiter, done, look)
        if not done.is_set():
            delayed.started = time.monotonic()
            action()

    helper = threading.Thread(target=run, name="later")
    helper.start()
    try:
        yield delayed
    finally:
        done.set()
        helper.join()


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
