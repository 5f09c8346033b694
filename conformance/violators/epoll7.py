"""Violators of epoll(7): modes, the questions and answers, the pitfalls, the NOTES.

Each breaks one sentence of the page the way a plausible implementation would get it wrong (a
flag lost on the way to the kernel, a user-space cache, a registry keyed by the wrong thing).
Those that only rewrite the mask a registration is made with, or the events a wait returns,
are generated from the table below with the hooks of :mod:`conformance.violators._ctl`; the
rest are written out.

Also here, for the epoll_ctl(2) clauses whose tests the epoll(7) work touched
(``epoll_ctl.EPOLLEXCLUSIVE.mixed``, ``epoll_ctl.EPOLLHUP.data_first``): EPOLLEXCLUSIVE
stripped or added, and EPOLLIN dropped beside EPOLLHUP.
"""

from __future__ import annotations

import errno
import functools
import os
import threading
import weakref
from contextlib import suppress
from typing import Callable

from conformance import adapters
from conformance import flags as F
from conformance.adapters import Events
from conformance.kobjects import is_epoll, is_open
from conformance.violators import violates
from conformance.violators._base import Wrapped, WrappedInstance, oserror
from conformance.violators._ctl import (
    ADD_ONLY,
    EXCLUSIVE_OK,
    Hooked,
    define_hooked,
    drops,
    rewrites,
)

# --- generated: the mask a registration is made with, or the events a wait returns, rewritten --


def _in_out_edge(events: int) -> int:
    both = F.EPOLLET | F.EPOLLIN | F.EPOLLOUT
    return events & ~F.EPOLLIN if events & both == both else events


def _exclusive_where_allowed(events: int) -> int:
    return events if events & ~EXCLUSIVE_OK else events | F.EPOLLEXCLUSIVE


def _split(key: int, events: int, asked: int) -> Events:
    return [(key, 1 << bit) for bit in range(32) if events & (1 << bit)]


def _open_numbers_only(key: int, events: int, asked: int) -> Events:
    return [(key, events)] if is_open(key) else []


def _no_in_on_hangup(key: int, events: int, asked: int) -> Events:
    return [(key, events & ~F.EPOLLIN if events & F.EPOLLHUP else events)]


ROWS = (
    Hooked(
        "PlainActsAsEdge",
        ("epoll.lt",),
        "Level-triggered registrations are made edge-triggered: a ready fd is reported once.",
        rewrites(lambda events: events | F.EPOLLET),
    ),
    Hooked(
        "StripsEdgeTrigger",
        ("epoll.et", "epoll.et.thundering_herd", "epoll.qa.Q9", "epoll.qa.Q9.packet"),
        "EPOLLET is dropped: an edge-triggered fd is reported at every wait while it is ready"
        " (and, as the kernel wakes level-triggered waiters in turn, to every waiting thread).",
        drops(F.EPOLLET),
    ),
    Hooked(
        "StripsOneshot",
        ("epoll.oneshot",),
        "EPOLLONESHOT is dropped: the registration is not disabled after its event.",
        drops(F.EPOLLONESHOT),
    ),
    Hooked(
        "EdgeInOutOneDirection",
        ("epoll.example.et_inout",),
        "An edge-triggered EPOLLIN|EPOLLOUT registration keeps one direction: EPOLLIN is dropped.",
        rewrites(_in_out_edge),
    ),
    Hooked(
        "StripsExclusive",
        ("epoll_ctl.EPOLLEXCLUSIVE.mixed",),
        "EPOLLEXCLUSIVE is dropped: every waiting instance is woken, as if none had asked.",
        drops(F.EPOLLEXCLUSIVE),
    ),
    Hooked(
        "AddsExclusive",
        ("epoll_ctl.EPOLLEXCLUSIVE.mixed",),
        "Registrations are made EPOLLEXCLUSIVE where the kernel allows it, plain ones included.",
        # Not on EPOLL_CTL_MOD, which refuses EPOLLEXCLUSIVE (EINVAL).
        rewrites(_exclusive_where_allowed, ADD_ONLY),
    ),
    Hooked(
        "SplitsEvents",
        ("epoll.qa.Q7",),
        "Each event bit of a ready fd comes in a record of its own instead of combined.",
        rewrite=_split,
    ),
    Hooked(
        "HidesClosedNumbers",
        ("epoll.pitfall.dup", "epoll.qa.Q6"),
        "Events reported under an fd number that is no longer open are dropped.",
        rewrite=_open_numbers_only,
    ),
    Hooked(
        "DropsInOnHangup",
        ("epoll_ctl.EPOLLHUP.data_first",),
        "EPOLLIN is dropped from an event that has EPOLLHUP, data outstanding or not.",
        rewrite=_no_in_on_hangup,
    ),
)
define_hooked(globals(), ROWS)


# --- written out ------------------------------------------------------------------------------


class _Bookkept(WrappedInstance):
    """Keeps, in user space, what the caller registered: fd -> (events, data)."""

    def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
        super().__init__(inner, adapter)
        self.book: dict[int, tuple[int, int | None]] = {}

    def register(self, fd: int, events: int, data: int | None = None) -> None:
        self.inner.register(fd, events, data)
        self.book[fd] = (events, data)

    def modify(self, fd: int, events: int, data: int | None = None) -> None:
        self.inner.modify(fd, events, data)
        self.book[fd] = (events, data)

    def unregister(self, fd: int) -> None:
        self.inner.unregister(fd)
        self.book.pop(fd, None)


@violates("epoll.qa.Q0")
class KeysByNumber(Wrapped):
    """Registrations are keyed by fd number alone: a number registered once is EEXIST, even
    when it names another open file now."""

    class Instance(_Bookkept):
        def register(self, fd: int, events: int, data: int | None = None) -> None:
            if fd in self.book:
                raise oserror(errno.EEXIST)
            super().register(fd, events, data)


@violates("epoll.qa.Q1")
class RegisterUpserts(Wrapped):
    """Registering a registered fd modifies it instead of failing with EEXIST."""

    class Instance(WrappedInstance):
        def register(self, fd: int, events: int, data: int | None = None) -> None:
            try:
                self.inner.register(fd, events, data)
            except FileExistsError:
                self.inner.modify(fd, events, data)


@violates("epoll.qa.Q1", "epoll.qa.Q1.filtering")
class KeysByOpenFile(Wrapped):
    """Registrations are keyed by the file (device and inode): a duplicate fd is EEXIST."""

    class Instance(WrappedInstance):
        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.files: dict[int, tuple[int, int]] = {}

        def register(self, fd: int, events: int, data: int | None = None) -> None:
            stat = os.fstat(fd)
            key = (stat.st_dev, stat.st_ino)
            if any(k == key and number != fd for number, k in self.files.items()):
                raise oserror(errno.EEXIST)
            self.inner.register(fd, events, data)
            self.files[fd] = key

        def unregister(self, fd: int) -> None:
            self.inner.unregister(fd)
            self.files.pop(fd, None)


#: fd number -> the instance that registered it last (OneInstancePerFd's process-wide map).
_OWNERS: dict[int, weakref.ReferenceType[WrappedInstance]] = {}


@violates("epoll.qa.Q2")
class OneInstancePerFd(Wrapped):
    """An fd belongs to one instance at a time: registering it in another takes it away
    from the first (a process-wide map of fd to instance)."""

    class Instance(WrappedInstance):
        def register(self, fd: int, events: int, data: int | None = None) -> None:
            ref = _OWNERS.get(fd)
            owner = ref() if ref is not None else None
            if owner is not None and owner is not self:
                with suppress(OSError, ValueError):  # closed meanwhile, or never had it
                    owner.inner.unregister(fd)
            self.inner.register(fd, events, data)
            _OWNERS[fd] = weakref.ref(self)


@violates("epoll.qa.Q3", "epoll.qa.Q5", "epoll.notes.fdinfo", "epoll.notes.kcmp")
class FilenoIsAnotherInstance(Wrapped):
    """fileno() is a second, empty epoll instance, not the one holding the registrations."""

    class Instance(WrappedInstance):
        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.placeholder = adapter.inner.create()

        def fileno(self) -> int:
            return self.placeholder.fileno()

        def close(self) -> None:
            try:
                self.inner.close()
            finally:
                self.placeholder.close()


@violates("epoll.qa.Q4")
class RefusesNesting(Wrapped):
    """An epoll fd cannot be registered in any instance (EINVAL), not only in itself."""

    class Instance(WrappedInstance):
        def register(self, fd: int, events: int, data: int | None = None) -> None:
            if is_epoll(fd):
                raise oserror(errno.EINVAL)
            self.inner.register(fd, events, data)


@violates("epoll.qa.Q6", "epoll.qa.Q9.stream")
class RemembersReadiness(Wrapped):
    """A level-triggered fd reported by one wait is reported by the next too, ready or not
    (a ready list not rechecked)."""

    class Instance(_Bookkept):
        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.last: Events = []

        def level_triggered(self, fd: int) -> bool:
            return fd in self.book and not self.book[fd][0] & F.EPOLLET

        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            got = self.inner.poll(0 if self.last else timeout_ms, maxevents)
            seen = {key for key, _ in got}
            out = got + [(key, events) for key, events in self.last if key not in seen]
            self.last = [(key, events) for key, events in got if self.level_triggered(key)]
            return out[:maxevents] if maxevents > 0 else out


@violates("epoll.qa.Q6", "epoll.notes.fdinfo")
class InterestListFromBookkeeping(Wrapped):
    """interest_list() shows what the caller registered, kept in user space: it lacks the
    kernel's EPOLLERR|EPOLLHUP and keeps registrations that closing removed."""

    class Instance(_Bookkept):
        def interest_list(self) -> list[tuple[int, int, int]]:
            return [
                (fd, events, fd if data is None else data)
                for fd, (events, data) in self.book.items()
            ]


@violates("epoll.qa.Q8")
class ModifySkipsUnchanged(Wrapped):
    """A modify that changes neither events nor data is skipped, so it rereads nothing."""

    class Instance(_Bookkept):
        def modify(self, fd: int, events: int, data: int | None = None) -> None:
            if self.book.get(fd) != (events, data):
                super().modify(fd, events, data)


@violates("epoll.ready_list", "epoll.pitfall.dup.del_first")
class DisablesInsteadOfDeleting(Wrapped):
    """unregister disables the registration (EPOLL_CTL_MOD to no events) instead of deleting
    it, so its hang-ups and errors are still reported."""

    class Instance(WrappedInstance):
        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.disabled: set[int] = set()

        def register(self, fd: int, events: int, data: int | None = None) -> None:
            if fd in self.disabled:
                self.disabled.discard(fd)
                with suppress(OSError):  # the number names another file now, or none
                    self.inner.modify(fd, events, data)
                    return
            self.inner.register(fd, events, data)

        def modify(self, fd: int, events: int, data: int | None = None) -> None:
            if fd in self.disabled:
                raise oserror(errno.ENOENT)
            self.inner.modify(fd, events, data)

        def unregister(self, fd: int) -> None:
            if fd in self.disabled:
                raise oserror(errno.ENOENT)
            self.inner.modify(fd, 0)
            self.disabled.add(fd)


#: How many events CachesEvents fetches at once, whatever maxevents says.
_BATCH = 64


@violates("epoll.pitfall.event_cache")
class CachesEvents(Wrapped):
    """Events beyond maxevents are kept and handed out by later waits, even for fds deleted
    meanwhile (a batch fetched once and served in slices)."""

    class Instance(WrappedInstance):
        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.cache: Events = []

        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            if maxevents == 0 or maxevents < -1:  # the kernel's EINVAL, unchanged
                return self.inner.poll(timeout_ms, maxevents)
            if not self.cache:
                self.cache = self.inner.poll(timeout_ms, max(_BATCH, maxevents))
            count = maxevents if maxevents > 0 else len(self.cache)
            out, self.cache = self.cache[:count], self.cache[count:]
            return out


@violates("epoll.notes.kcmp", "epoll.qa.Q5")
class DefersCtl(Wrapped):
    """register, modify and unregister are queued and reach the kernel at the next wait."""

    class Instance(WrappedInstance):
        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.pending: list[Callable[[], None]] = []

        def register(self, fd: int, events: int, data: int | None = None) -> None:
            self.pending.append(functools.partial(self.inner.register, fd, events, data))

        def modify(self, fd: int, events: int, data: int | None = None) -> None:
            self.pending.append(functools.partial(self.inner.modify, fd, events, data))

        def unregister(self, fd: int) -> None:
            self.pending.append(functools.partial(self.inner.unregister, fd))

        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            pending, self.pending = self.pending, []
            for operation in pending:
                operation()
            return self.inner.poll(timeout_ms, maxevents)


@violates("epoll.et.thundering_herd")
class BroadcastsToWaiters(Wrapped):
    """One thread waits in the kernel for all: the others wait for it, and every waiting
    thread gets its events (a leader and followers, woken by a broadcast)."""

    class Instance(WrappedInstance):
        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.condition = threading.Condition()
            self.leading = False
            self.generation = 0
            self.batch: Events = []

        def poll(self, timeout_ms: int = -1, maxevents: int = -1) -> Events:
            with self.condition:
                if self.leading:
                    seen = self.generation
                    timeout = None if timeout_ms < 0 else timeout_ms / 1000
                    if self.condition.wait_for(lambda: self.generation != seen, timeout):
                        return list(self.batch)
                    return []
                self.leading = True
            got: Events = []
            try:
                got = self.inner.poll(timeout_ms, maxevents)
            finally:
                with self.condition:
                    self.leading = False
                    self.batch = got
                    self.generation += 1
                    self.condition.notify_all()
            return got
