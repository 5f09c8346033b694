"""Violators of the kernel-behaviour clauses: implementations that misreport what Linux did.

A kernel fact is inherited by any implementation that passes calls through; these break the
pass-through at one point (an errno rewritten or swallowed, an argument "fixed up", an event
hidden, a descriptor substituted), which is what an emulator or a careless wrapper does.
"""

from __future__ import annotations

import errno
import os
from typing import Callable

from conformance import adapters
from conformance import flags as F
from conformance.adapters import Ctl, Events
from conformance.kobjects import is_epoll
from conformance.violators import violates, wait
from conformance.violators._base import (
    Rewritten,
    Wrapped,
    WrappedInstance,
    WrappedRaw,
    define_rewritten,
    errno_changed,
    oserror,
)
from conformance.violators._ctl import (
    ADD_ONLY,
    DEL,
    EXCLUSIVE_OK,
    Do,
    Hooked,
    define_hooked,
    rewrites,
)

#: EPIOCSPARAMS's busy_poll_usecs, busy_poll_budget, prefer_busy_poll.
Params = tuple[int, int, int]


# --- generated: a control call, or the events a wait returns, rewritten ----------------------


def _null_event_as_empty(call: Ctl, do: Do) -> None:
    if call.null_event and call.op != DEL:
        call = call._replace(events=0, null_event=False)
    do(call)


def _refused_bits_dropped(events: int) -> int:
    return events & EXCLUSIVE_OK if events & F.EPOLLEXCLUSIVE else events


def _also_pri(events: int) -> int:
    return events if events & F.EPOLLEXCLUSIVE else events | F.EPOLLPRI


def _no_epoll_instances(key: int, events: int, asked: int) -> Events:
    return [] if is_epoll(key) else [(key, events)]


ROWS = (
    Hooked(
        "NullEventIsEmpty",
        ("ctl_null_event",),
        "A NULL event pointer for EPOLL_CTL_ADD or MOD is taken as an empty event, not EFAULT.",
        _null_event_as_empty,
    ),
    Hooked(
        "ExclusiveMasksBits",
        ("exclusive_bits",),
        "With EPOLLEXCLUSIVE, the bits the kernel refuses are dropped instead of failing.",
        rewrites(_refused_bits_dropped, ADD_ONLY),
    ),
    Hooked(
        "AlsoAsksForPri",
        ("err_hup_stored",),
        "Every registration (but an exclusive one, where the kernel refuses it) also asks for"
        " EPOLLPRI, so the stored mask is not the one requested plus EPOLLERR|EPOLLHUP.",
        rewrites(_also_pri),
    ),
    Hooked(
        "HidesNestedInstances",
        ("nested_propagation",),
        "A wait never reports a nested epoll instance as ready.",
        rewrite=_no_epoll_instances,
    ),
)
define_hooked(globals(), ROWS, prefix="kernel.")


def _prefer_busy_poll(change: Callable[[int], int]) -> Callable[[Params], Params]:
    return lambda params: (params[0], params[1], change(params[2]))


define_rewritten(
    globals(),
    (
        Rewritten(
            "DropsPreferBusyPoll",
            ("kernel.busy_poll.roundtrip",),
            "EPIOCSPARAMS is sent with prefer_busy_poll cleared.",
            WrappedRaw,
            "set_params",
            {"params": _prefer_busy_poll(lambda prefer: 0)},
        ),
        Rewritten(
            "ClampsBusyPollParams",
            ("kernel.busy_poll.EINVAL",),
            "EPIOCSPARAMS clamps prefer_busy_poll to 1 and clears the padding instead of EINVAL.",
            WrappedRaw,
            "set_params",
            {"params": _prefer_busy_poll(lambda prefer: min(prefer, 1)), "pad": lambda pad: 0},
        ),
        Rewritten(
            "ClampsNegativePwait2Timeout",
            ("kernel.pwait2.EINVAL_timeout",),
            "epoll_pwait2 with a negative timeout waits 0 ns instead of failing with EINVAL.",
            WrappedRaw,
            "epoll_pwait2",
            {"timeout_ns": lambda ns: None if ns is None else max(ns, 0)},
        ),
    ),
)


# --- written out ------------------------------------------------------------------------------


@violates("kernel.nesting_depth")
class NestingErrnoSwapped(Wrapped):
    """Adding an epoll instance to another reports ELOOP as EINVAL and EINVAL as ELOOP."""

    class Instance(WrappedInstance):
        def register(self, fd: int, events: int, data: int | None = None) -> None:
            if not is_epoll(fd):
                self.inner.register(fd, events, data)
                return
            with errno_changed({errno.ELOOP: errno.EINVAL, errno.EINVAL: errno.ELOOP}):
                self.inner.register(fd, events, data)


@violates("kernel.exclusive_del")
class ExclusiveNeverAgain(Wrapped):
    """An EPOLLEXCLUSIVE registration, once removed, cannot be added again (EEXIST)."""

    class Instance(WrappedInstance):
        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.exclusive: set[int] = set()
            self.removed: set[int] = set()

        def register(self, fd: int, events: int, data: int | None = None) -> None:
            if events & F.EPOLLEXCLUSIVE and fd in self.removed:
                raise oserror(errno.EEXIST)
            self.inner.register(fd, events, data)
            if events & F.EPOLLEXCLUSIVE:
                self.exclusive.add(fd)

        def unregister(self, fd: int) -> None:
            self.inner.unregister(fd)
            if fd in self.exclusive:
                self.exclusive.discard(fd)
                self.removed.add(fd)


@violates("kernel.round_robin_order", "epoll_wait.notes.round_robin")
class LowestFdsFirst(Wrapped):
    """A wait returns the ready fds lowest first, so that with fewer slots than ready fds the
    highest ones starve."""

    # The mistake of epoll_wait(2)'s violator, seen from the kernel's side.
    Instance = wait.LowestFirst.Instance


@violates("kernel.dup_unremovable")
class UnregisterIgnoresEbadf(Wrapped):
    """Removing a descriptor that is closed "succeeds" silently instead of failing with EBADF."""

    class Instance(WrappedInstance):
        def unregister(self, fd: int) -> None:
            with errno_changed({errno.EBADF: None}):
                self.inner.unregister(fd)


@violates("kernel.fdinfo_format")
class RegistersADuplicate(Wrapped):
    """register() adds a duplicate of the descriptor (reporting the original number as the
    data word), so the kernel's tfd is not the descriptor the caller registered."""

    class Instance(WrappedInstance):
        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.dups: dict[int, int] = {}

        def register(self, fd: int, events: int, data: int | None = None) -> None:
            if fd in self.dups:
                raise oserror(errno.EEXIST)
            dup = os.dup(fd)
            try:
                self.inner.register(dup, events, fd if data is None else data)
            except BaseException:
                os.close(dup)
                raise
            self.dups[fd] = dup

        def modify(self, fd: int, events: int, data: int | None = None) -> None:
            self.inner.modify(self.dups.get(fd, fd), events, fd if data is None else data)

        def unregister(self, fd: int) -> None:
            self.inner.unregister(self.dups.get(fd, fd))
            if fd in self.dups:
                os.close(self.dups.pop(fd))

        def close(self) -> None:
            for dup in self.dups.values():
                os.close(dup)
            self.dups.clear()
            self.inner.close()


@violates("kernel.busy_poll.ENOTTY")
class BusyPollOnAnyFile(Wrapped):
    """The busy-poll ioctls on a file that is not an epoll instance "succeed" (reading zeros)."""

    class Raw(WrappedRaw):
        def get_params(self, epfd: int) -> tuple[int, int, int]:
            if not is_epoll(epfd):
                return (0, 0, 0)
            return self.inner.get_params(epfd)

        def set_params(self, epfd: int, params: tuple[int, int, int], pad: int = 0) -> None:
            if is_epoll(epfd):
                self.inner.set_params(epfd, params, pad)
