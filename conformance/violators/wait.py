"""Violators of epoll_wait(2) and epoll_pwait2(2): waits that time, report or fail wrongly.

Every testable clause of those pages has one here. The ERRORS clauses repeat per call
(epoll_wait, epoll_pwait, epoll_pwait2), and so do their violators: they are generated from
:data:`_SWALLOWED` (an errno turned into a quiet "no events") and :data:`_CALLS` (a signal
handler's exception swallowed), each a named class of this module. Those that change one
argument of a wait (a timeout, maxevents, a signal mask) come from a table of
:class:`~conformance.violators._base.Rewritten`. The rest are written out.
"""

from __future__ import annotations

import ctypes
import errno
import signal
import time
from collections.abc import Iterable
from typing import Any, Callable, Optional

import pyepoll
from conformance import flags as F
from conformance.adapters import Events, PyepollAdapter
from conformance.violators import violates
from conformance.violators._base import (
    Rewritten,
    Wrapped,
    WrappedInstance,
    WrappedRaw,
    define_rewritten,
    errno_changed,
    violator,
)

# -- generated: the ERRORS clauses, per call ---------------------------------------------------

#: (clause suffix, errno, when, through the address-taking raw call): the error each
#: violator hides.
_SWALLOWED: tuple[tuple[str, int, str, bool], ...] = (
    ("EBADF", errno.EBADF, "a bad epfd", False),
    ("EINVAL.not_epoll", errno.EINVAL, "an epfd that is not epoll", False),
    ("EINVAL.maxevents", errno.EINVAL, "a maxevents of 0 or less", True),
    ("EFAULT", errno.EFAULT, "an events buffer it cannot write", True),
)
#: The wait calls, as RawApi method names (and class name prefixes).
_CALLS = {"epoll_wait": "Wait", "epoll_pwait": "Pwait", "epoll_pwait2": "Pwait2"}


def _swallowing(call: str, suffix: str, code: int, when: str, raw_address: bool) -> type:
    """A violator of ``<call>.<suffix>``: the call reports no events where the kernel failed
    with *code*, *when* ..."""
    methods: dict[str, Callable[..., Any]]
    if raw_address:

        def epoll_wait_raw(
            self: WrappedRaw,
            epfd: int,
            address: int,
            maxevents: int,
            timeout_ms: int,
            call: str = "epoll_wait",
        ) -> int:
            with errno_changed({code: None} if call == wanted else {}):
                return int(self.inner.epoll_wait_raw(epfd, address, maxevents, timeout_ms, call))
            return 0

        wanted, methods = call, {"epoll_wait_raw": epoll_wait_raw}
    else:

        def wait(self: WrappedRaw, *args: Any) -> Events:
            with errno_changed({code: None}):
                return list(getattr(self.inner, call)(*args))
            return []

        methods = {call: wait}
    name = f"{_CALLS[call]}Swallows{suffix.replace('.', '_').title().replace('_', '')}"
    doc = f"{call} reports no events, not {errno.errorcode[code]}, for {when}."
    raw = type("Raw", (WrappedRaw,), methods)
    return violator(__name__, name, doc, [f"{call}.{suffix}"], Wrapped, Raw=raw)


def _handler_exception_swallowed(call: str) -> type:
    """A violator of ``<call>.EINTR``: an exception a signal handler raises during the wait
    is swallowed, and the wait returns no events (Python's form of EINTR is that exception,
    PEP 475)."""

    def guard(wait: Callable[..., Events], *args: Any) -> Events:
        try:
            return wait(*args)
        except OSError:
            raise
        except Exception:  # the handler's exception, whatever the test made it
            return []

    layer: dict[str, type]
    if call == "epoll_wait":

        def poll(self: WrappedInstance, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            return guard(self.inner.poll, timeout_ms, maxevents)

        layer = {"Instance": type("Instance", (WrappedInstance,), {"poll": poll})}
    else:

        def wait(self: WrappedRaw, *args: Any) -> Events:
            return guard(getattr(self.inner, call), *args)

        layer = {"Raw": type("Raw", (WrappedRaw,), {call: wait})}
    name = f"{_CALLS[call]}SwallowsHandlerException"
    doc = f"{call}: an exception raised by a signal handler during the wait is swallowed."
    return violator(__name__, name, doc, [f"{call}.EINTR"], Wrapped, **layer)


for _call in _CALLS:
    for _suffix, _code, _when, _raw_address in _SWALLOWED:
        _violator = _swallowing(_call, _suffix, _code, _when, _raw_address)
        globals()[_violator.__name__] = _violator
    _violator = _handler_exception_swallowed(_call)
    globals()[_violator.__name__] = _violator


# -- generated: an argument changed on its way -------------------------------------------------

Sigmask = Optional[Iterable[int]]


def _every_signal_if_null(sigmask: Sigmask) -> Sigmask:
    every = sorted(signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP})
    return every if sigmask is None else sigmask


def _up_to_whole_ms(timeout_ns: int | None) -> int | None:
    if timeout_ns is not None and timeout_ns > 0:
        return -(-timeout_ns // 1_000_000) * 1_000_000
    return timeout_ns


define_rewritten(
    globals(),
    (
        Rewritten(
            "IgnoresMaxevents",
            ("epoll_wait.maxevents",),
            "Every ready fd is returned, whatever maxevents says.",
            WrappedInstance,
            "poll",
            {"maxevents": lambda maxevents: -1},
        ),
        Rewritten(
            "HalvesTimeout",
            ("epoll_wait.timeout",),
            "A positive timeout waits half as long as asked.",
            WrappedInstance,
            "poll",
            {"timeout_ms": lambda ms: ms // 2 if ms > 0 else ms},
        ),
        Rewritten(
            "FiniteInfinity",
            ("epoll_wait.timeout.infinite",),
            "A timeout of -1 waits at most 100 ms.",
            WrappedInstance,
            "poll",
            {"timeout_ms": lambda ms: 100 if ms < 0 else ms},
        ),
        Rewritten(
            "ZeroTimeoutWaits",
            ("epoll_wait.timeout.zero",),
            "A timeout of 0 waits up to 50 ms for an event.",
            WrappedInstance,
            "poll",
            {"timeout_ms": lambda ms: ms or 50},
        ),
        Rewritten(
            "IgnoresSigmask",
            ("epoll_pwait.sigmask",),
            "epoll_pwait passes a NULL mask whatever it is given.",
            WrappedRaw,
            "epoll_pwait",
            {"sigmask": lambda sigmask: None},
        ),
        Rewritten(
            "NullSigmaskBlocksAll",
            ("epoll_pwait.null_sigmask",),
            "epoll_pwait with a NULL mask blocks every signal during the wait.",
            WrappedRaw,
            "epoll_pwait",
            {"sigmask": _every_signal_if_null},
        ),
        Rewritten(
            "MillisecondPwait2",
            ("epoll_pwait2.timeout",),
            "epoll_pwait2 rounds its timeout up to whole milliseconds.",
            WrappedRaw,
            "epoll_pwait2",
            {"timeout_ns": _up_to_whole_ms},
        ),
        Rewritten(
            "NullTimeoutIsZero",
            ("epoll_pwait2.null_timeout",),
            "epoll_pwait2 with a NULL timeout returns at once.",
            WrappedRaw,
            "epoll_pwait2",
            {"timeout_ns": lambda ns: ns or 0},
        ),
    ),
)


# -- DESCRIPTION and NOTES ---------------------------------------------------------------------


@violates("epoll_wait.unblock_on_event")
class LateAfterEvent(Wrapped):
    """A wait that may block returns its events 20 ms after it finds them."""

    class Instance(WrappedInstance):
        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            got = self.inner.poll(timeout_ms, maxevents)
            if got and timeout_ms:
                time.sleep(0.02)
            return got


@violates("epoll_wait.data")
class TruncatesData(Wrapped):
    """The data word is reported as its low 32 bits, signed (as data.fd)."""

    class Instance(WrappedInstance):
        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            got = self.inner.poll(timeout_ms, maxevents)
            return [(ctypes.c_int32(key).value, events) for key, events in got]


class _SignedFastPathEpoll(pyepoll.epoll):
    """pyepoll.epoll whose ``poll(0)`` fast path stays on once data words are registered."""

    def _ctl(self, op: int, fd: int, mask: int, data: int | None) -> None:
        super()._ctl(op, fd, mask, data)
        if not self.closed:
            self._fast = self._backend.wait_fast


@violates("epoll_wait.data", "epoll_ctl.data")
class FastPathSigned32(PyepollAdapter):
    """pyepoll with a broken poll(0) fast path: data words come back as signed 32 bits."""

    def __init__(self) -> None:
        super().__init__("libc", _SignedFastPathEpoll)
        self.name = f"{__name__}:{type(self).__qualname__}"
        self.description = (self.__doc__ or "").splitlines()[0]


@violates("epoll_wait.events")
class ReportsRequestedEvents(Wrapped):
    """Each reported fd shows every event it was registered for, not those that occurred."""

    class Instance(WrappedInstance):
        REPORTABLE = F.EPOLLIN | F.EPOLLOUT | F.EPOLLPRI | F.EPOLLRDHUP

        def __init__(self, inner: Any, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.masks: dict[int, int] = {}

        def register(self, fd: int, events: int, data: int | None = None) -> None:
            super().register(fd, events, data)
            self.masks[fd if data is None else data] = events

        def modify(self, fd: int, events: int, data: int | None = None) -> None:
            super().modify(fd, events, data)
            self.masks[fd if data is None else data] = events

        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            got = self.inner.poll(timeout_ms, maxevents)
            return [(k, e | self.masks.get(k, 0) & self.REPORTABLE) for k, e in got]


@violates("epoll_wait.return_count")
class OneShort(Wrapped):
    """Of three or more ready fds that maxevents has room for, one is left out of the count."""

    class Instance(WrappedInstance):
        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            got = self.inner.poll(timeout_ms, maxevents)
            room = maxevents if maxevents > 0 else len(got) + 1
            return got[:-1] if 2 < len(got) < room else got


@violates("epoll_wait.notes.add_while_waiting")
class BlindToNewFds(Wrapped):
    """A wait reports only fds that were registered when it began."""

    class Instance(WrappedInstance):
        def __init__(self, inner: Any, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.keys: dict[int, int] = {}

        def register(self, fd: int, events: int, data: int | None = None) -> None:
            super().register(fd, events, data)
            self.keys[fd] = fd if data is None else data

        def modify(self, fd: int, events: int, data: int | None = None) -> None:
            super().modify(fd, events, data)
            self.keys[fd] = fd if data is None else data

        def unregister(self, fd: int) -> None:
            super().unregister(fd)
            self.keys.pop(fd, None)

        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            known = set(self.keys.values())
            return [(k, e) for k, e in self.inner.poll(timeout_ms, maxevents) if k in known]


@violates("epoll_wait.notes.round_robin")
class LowestFirst(Wrapped):
    """Of more ready fds than maxevents, the lowest keys are reported, every time."""

    class Instance(WrappedInstance):
        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            got = sorted(self.inner.poll(timeout_ms, -1))
            return got[:maxevents] if maxevents > 0 else got


@violates("epoll_wait.notes.empty_interest_list")
class EmptyListReturns(Wrapped):
    """A wait on an empty interest list returns at once, with no events."""

    class Instance(WrappedInstance):
        registered = 0

        def register(self, fd: int, events: int, data: int | None = None) -> None:
            super().register(fd, events, data)
            self.registered += 1

        def unregister(self, fd: int) -> None:
            super().unregister(fd)
            self.registered -= 1

        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            return self.inner.poll(timeout_ms if self.registered else 0, maxevents)
