"""Violators of epoll_create(2): wrong sizes, flags, descriptors and errors at creation.

Those that rewrite an argument (epoll_create1's flags, epoll_create's size) are generated with
:func:`~conformance.violators._base.rewriting`; the rest are written by hand.
"""

from __future__ import annotations

import errno
import os
from typing import ClassVar

from conformance import adapters
from conformance import flags as F
from conformance.violators import violates
from conformance.violators._base import (
    Rewritten,
    Wrapped,
    WrappedInstance,
    WrappedRaw,
    define_rewritten,
    errno_changed,
)

#: epoll_create(size) -> the size it asked for, while that descriptor is open (SizeIsCapacity).
_CAPACITY: dict[int, int] = {}


@violates("epoll_create.size_ignored")
class SizeIsCapacity(Wrapped):
    """epoll_create(size) makes an instance whose waits return at most size events."""

    class Raw(WrappedRaw):
        def epoll_create(self, size: int) -> int:
            fd = self.inner.epoll_create(size)
            _CAPACITY[fd] = size
            return fd

        def epoll_create1(self, flags: int) -> int:
            fd = self.inner.epoll_create1(flags)
            _CAPACITY.pop(fd, None)  # a new instance on a number reused
            return fd

        def epoll_wait(self, epfd: int, maxevents: int, timeout_ms: int) -> adapters.Events:
            capacity = _CAPACITY.get(epfd, maxevents)
            return self.inner.epoll_wait(epfd, min(maxevents, capacity), timeout_ms)


@violates("epoll_create.returns_fd")
class FilenoIsAStandIn(Wrapped):
    """fileno() returns a descriptor of its own (open on /dev/null), not the epoll instance's."""

    class Instance(WrappedInstance):
        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.stand_in = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)

        def fileno(self) -> int:
            return self.stand_in

        def close(self) -> None:
            if self.stand_in >= 0:
                os.close(self.stand_in)
                self.stand_in = -1
            self.inner.close()


@violates("epoll_create.destroy_on_close")
class CloseWaitsForTheOuterInstance(Wrapped):
    """close() leaves an instance open while it is registered in another instance of the
    same implementation, and closes it only when that one closes."""

    class Instance(WrappedInstance):
        #: The open instances, by descriptor.
        live: ClassVar[dict[int, CloseWaitsForTheOuterInstance.Instance]] = {}

        def __init__(self, inner: adapters.Instance, adapter: Wrapped) -> None:
            super().__init__(inner, adapter)
            self.fd = inner.fileno()
            self.nested: dict[int, CloseWaitsForTheOuterInstance.Instance] = {}
            self.close_pending = False
            self.live[self.fd] = self

        def register(self, fd: int, events: int, data: int | None = None) -> None:
            self.inner.register(fd, events, data)
            if fd in self.live:
                self.nested[fd] = self.live[fd]

        def unregister(self, fd: int) -> None:
            self.inner.unregister(fd)
            self.nested.pop(fd, None)

        def close(self) -> None:
            if self.fd not in self.live or self.live[self.fd] is not self:
                return  # closed already
            if any(self.fd in outer.nested for outer in self.live.values() if outer is not self):
                self.close_pending = True
                return
            del self.live[self.fd]
            nested, self.nested = self.nested, {}
            self.inner.close()
            for inner in nested.values():
                if inner.close_pending:
                    inner.close_pending = False
                    inner.close()


define_rewritten(
    globals(),
    (
        Rewritten(
            "Create1ZeroIsCloexec",
            ("epoll_create1.flags_zero",),
            "epoll_create1(0) sets close-on-exec all the same.",
            WrappedRaw,
            "epoll_create1",
            {"flags": lambda flags: flags or F.EPOLL_CLOEXEC},
        ),
        Rewritten(
            "DropsCloexec",
            ("epoll_create1.EPOLL_CLOEXEC",),
            "EPOLL_CLOEXEC is dropped: the new descriptor survives exec.",
            WrappedRaw,
            "epoll_create1",
            {"flags": lambda flags: flags & ~F.EPOLL_CLOEXEC},
        ),
        Rewritten(
            "MasksUnknownFlags",
            ("epoll_create1.EINVAL.flags",),
            "Unknown epoll_create1 flags are masked off instead of refused with EINVAL.",
            WrappedRaw,
            "epoll_create1",
            {"flags": lambda flags: flags & F.EPOLL_CLOEXEC},
        ),
        Rewritten(
            "ClampsSize",
            ("epoll_create.EINVAL.size",),
            "A size that is not positive is taken as 1 instead of refused with EINVAL.",
            WrappedRaw,
            "epoll_create",
            {"size": lambda size: max(size, 1)},
        ),
    ),
)


@violates("epoll_create.EMFILE")
class EmfileAsEnfile(Wrapped):
    """The per-process descriptor limit is reported as the system-wide one (ENFILE)."""

    def create(self) -> adapters.Instance:
        with errno_changed({errno.EMFILE: errno.ENFILE}):
            return super().create()
