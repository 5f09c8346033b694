"""Violators that take the test process down: a signal with its default action, a segfault, a
wait that never returns.

Each breaks its clause the way real implementations have (a timer signal nobody handles, a
buffer touched before the kernel checks it, a C convention for "no timeout" applied to a
negative one), and each does it only where that clause's tests go, so that the rest of the
suite runs normally. The runner must report the clause as failed, with the cause, and carry on
(conformance/CONTRACT.md, "Crashes and hangs"); conformance/test_runner.py checks that it does.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Iterable

from conformance import adapters
from conformance.violators import violates
from conformance.violators._base import Wrapped, WrappedInstance, WrappedRaw


@violates("epoll_wait.timeout")
class DiesWhenAWaitTimesOut(Wrapped):
    """A timed wait that ends without events signals the process with SIGUSR1 (as a timer
    would) without a handler installed: the default action kills it."""

    class Instance(WrappedInstance):
        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> adapters.Events:
            events = self.inner.poll(timeout_ms, maxevents)
            if timeout_ms > 0 and not events:
                os.kill(os.getpid(), signal.SIGUSR1)
            return events


@violates("epoll_wait.EFAULT", "epoll_pwait.EFAULT", "epoll_pwait2.EFAULT")
class SegfaultsOnBadBuffer(Wrapped):
    """The events buffer is read before the call, so an inaccessible one is a segfault, not
    EFAULT."""

    class Raw(WrappedRaw):
        def epoll_wait_raw(
            self, epfd: int, address: int, maxevents: int, timeout_ms: int, call: str = "epoll_wait"
        ) -> int:
            ctypes.memmove(ctypes.create_string_buffer(1), address, 1)
            return self.inner.epoll_wait_raw(epfd, address, maxevents, timeout_ms, call)


@violates("kernel.pwait2.EINVAL_timeout")
class BlocksOnNegativePwait2Timeout(Wrapped):
    """epoll_pwait2 with a negative timeout blocks as with no timeout at all, instead of
    failing with EINVAL."""

    class Raw(WrappedRaw):
        def epoll_pwait2(
            self, epfd: int, maxevents: int, timeout_ns: int | None, sigmask: Iterable[int] | None
        ) -> adapters.Events:
            forever = timeout_ns is None or timeout_ns < 0
            return self.inner.epoll_pwait2(
                epfd, maxevents, None if forever else timeout_ns, sigmask
            )


@violates("epoll_pwait.sigmask")
class LeavesTheSigmaskBlocked(Wrapped):
    """epoll_pwait is emulated with pthread_sigmask and epoll_wait, and the mask is never
    restored: a signal sent meanwhile stays pending, ready to kill whichever later test
    unblocks it with the default action."""

    class Raw(WrappedRaw):
        def epoll_pwait(
            self, epfd: int, maxevents: int, timeout_ms: int, sigmask: Iterable[int] | None
        ) -> adapters.Events:
            if sigmask is not None:
                signal.pthread_sigmask(signal.SIG_BLOCK, sigmask)
            return self.inner.epoll_wait(epfd, maxevents, timeout_ms)
