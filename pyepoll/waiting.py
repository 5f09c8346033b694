"""Waiting with the EINTR policy of PEP 475, shared by every wait in the package.

A wait interrupted by a signal (EINTR) first runs the Python signal handlers, so that an
exception a handler raises propagates out of the wait, and is then restarted with what remains
of the original timeout: a call asked to wait 2 seconds never returns early because a signal
arrived after 1.  This mirrors select.epoll.poll; see :mod:`pyepoll.errors` for the policy.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import signal
import time
from typing import Any, Callable, cast

from .convert import ns_to_ms
from .errors import raise_last_error

__all__ = ["check_signals", "ms_attempt", "wait_with_retry"]


def _load_check_signals() -> Callable[[], object]:
    # ``PyErr_CheckSignals`` runs pending Python signal handlers now; called through
    # ``pythonapi`` (a PyDLL) an exception it leaves set is raised by ctypes.
    if platform.python_implementation() != "CPython":
        # PyPy has no ``pythonapi``. It runs handlers when its ticker runs out, normally at the
        # next bytecode; but if another thread polled the signal first (the thread that sent
        # it, say), PyPy defers it to "after the next switch to the main thread", and the
        # main thread, taking the free GIL back after EINTR, may go straight back into the
        # wait with the handler still pending (seen once in CI: a 30 s wait not interrupted).
        # ``signal.pthread_sigmask`` is one of the calls after which PyPy runs pending
        # handlers at once; with SIG_BLOCK and no signals it changes nothing else.
        return lambda: signal.pthread_sigmask(signal.SIG_BLOCK, ())
    function = ctypes.pythonapi.PyErr_CheckSignals
    function.restype = ctypes.c_int
    function.argtypes = ()
    return cast(Callable[[], object], function)


#: Run pending Python signal handlers, raising what they raise.
check_signals = _load_check_signals()


def wait_with_retry(
    attempt: Callable[[int | None], int], timeout_ns: int | None, get_errno: Callable[[], int]
) -> int:
    """Call ``attempt(remaining_ns)`` until it does not fail with EINTR; return its count.
    *get_errno* is the errno reader of the backend that *attempt* calls.

    ``timeout_ns`` None (or negative) means block: every attempt gets ``None``.  Otherwise each
    retry gets the nanoseconds left until the deadline; once none are left, the wait is over
    and reports 0 events, as the kernel would have on expiry.  Any other failure raises the
    matching OSError.
    """
    if timeout_ns is not None and timeout_ns < 0:
        timeout_ns = None
    deadline = None if timeout_ns is None else time.monotonic_ns() + timeout_ns
    remaining = timeout_ns
    while True:
        count = attempt(remaining)
        if count >= 0:
            return count
        if get_errno() != errno.EINTR:
            raise_last_error(get_errno)
        check_signals()
        if deadline is not None:
            remaining = deadline - time.monotonic_ns()
            if remaining < 0:
                return 0


def ms_attempt(
    call: Callable[..., int], epfd: int, events: Any, maxevents: int, *extra: Any
) -> Callable[[int | None], int]:
    """An *attempt* for :func:`wait_with_retry` of a millisecond wait:
    ``call(epfd, events, maxevents, timeout_ms, *extra)``, the remaining nanoseconds rounded up
    to milliseconds (epoll_wait(2) has millisecond resolution), -1 when blocking."""

    def attempt(remaining_ns: int | None) -> int:
        timeout = -1 if remaining_ns is None else ns_to_ms(remaining_ns)
        return call(epfd, events, maxevents, timeout, *extra)

    return attempt
