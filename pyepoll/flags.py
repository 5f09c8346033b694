"""Flag and operation names of epoll(7), as ``enum`` types.

Event bits and creation flags are separate types: they live in different arguments and their
values overlap.  Unknown event bits are kept, not dropped (``IntFlag`` with ``KEEP`` boundary
semantics on 3.11+, and plain ``IntFlag`` behaviour before): the kernel, not this module,
decides which bits are valid.
"""

from __future__ import annotations

import enum

__all__ = [
    "EPOLLERR",
    "EPOLLET",
    "EPOLLEXCLUSIVE",
    "EPOLLHUP",
    "EPOLLIN",
    "EPOLLMSG",
    "EPOLLONESHOT",
    "EPOLLOUT",
    "EPOLLPRI",
    "EPOLLRDBAND",
    "EPOLLRDHUP",
    "EPOLLRDNORM",
    "EPOLLWAKEUP",
    "EPOLLWRBAND",
    "EPOLLWRNORM",
    "EPOLL_CLOEXEC",
    "EPOLL_CTL_ADD",
    "EPOLL_CTL_DEL",
    "EPOLL_CTL_MOD",
    "CtlOp",
    "EpollCreateFlag",
    "EpollEvent",
]


class EpollEvent(enum.IntFlag):
    """Bits of ``struct epoll_event.events`` (epoll_ctl(2), DESCRIPTION)."""

    #: The fd is available for read(2).
    EPOLLIN = 0x001
    #: An exceptional condition, e.g. TCP out-of-band data (see poll(2) POLLPRI).
    EPOLLPRI = 0x002
    #: The fd is available for write(2).
    EPOLLOUT = 0x004
    #: An error condition; always reported, need not be requested.
    EPOLLERR = 0x008
    #: Hang up; always reported, need not be requested.
    EPOLLHUP = 0x010
    #: Normal data may be read (equivalent to EPOLLIN).
    EPOLLRDNORM = 0x040
    #: Priority band data may be read.
    EPOLLRDBAND = 0x080
    #: Normal data may be written (equivalent to EPOLLOUT).
    EPOLLWRNORM = 0x100
    #: Priority data may be written.
    EPOLLWRBAND = 0x200
    #: Unused by Linux.
    EPOLLMSG = 0x400
    #: Stream socket peer closed its connection or shut down writing (Linux 2.6.17).
    EPOLLRDHUP = 0x2000
    #: Exclusive wakeup mode for fds attached to several epoll instances (Linux 4.5).
    EPOLLEXCLUSIVE = 1 << 28
    #: Hold a wakeup source while the event is queued; needs CAP_BLOCK_SUSPEND (Linux 3.5).
    EPOLLWAKEUP = 1 << 29
    #: Disable the registration after one event, until EPOLL_CTL_MOD re-arms it (Linux 2.6.2).
    EPOLLONESHOT = 1 << 30
    #: Edge-triggered notification instead of the default level-triggered one.
    EPOLLET = 1 << 31


class EpollCreateFlag(enum.IntFlag):
    """Flags of epoll_create1(2)."""

    #: Set close-on-exec (FD_CLOEXEC) on the new fd; equal to O_CLOEXEC.
    EPOLL_CLOEXEC = 0o2000000


class CtlOp(enum.IntEnum):
    """The ``op`` argument of epoll_ctl(2)."""

    #: Add an entry to the interest list.
    EPOLL_CTL_ADD = 1
    #: Remove an entry from the interest list.
    EPOLL_CTL_DEL = 2
    #: Change the settings of an entry in the interest list.
    EPOLL_CTL_MOD = 3


# The same names as plain ints, as the select module has them (pyepoll exports these); the
# enums above name the bits of a mask (``EpollEvent(events)``).  Enum members would make the
# usual test ``events & EPOLLIN`` (an int on the left) run the enum module's reflected
# operator, Python code: 0.4-0.8 µs a test on CPython 3.9-3.13 against 0.01-0.03 µs for two
# ints.
EPOLLIN = int(EpollEvent.EPOLLIN)
EPOLLPRI = int(EpollEvent.EPOLLPRI)
EPOLLOUT = int(EpollEvent.EPOLLOUT)
EPOLLERR = int(EpollEvent.EPOLLERR)
EPOLLHUP = int(EpollEvent.EPOLLHUP)
EPOLLRDNORM = int(EpollEvent.EPOLLRDNORM)
EPOLLRDBAND = int(EpollEvent.EPOLLRDBAND)
EPOLLWRNORM = int(EpollEvent.EPOLLWRNORM)
EPOLLWRBAND = int(EpollEvent.EPOLLWRBAND)
EPOLLMSG = int(EpollEvent.EPOLLMSG)
EPOLLRDHUP = int(EpollEvent.EPOLLRDHUP)
EPOLLEXCLUSIVE = int(EpollEvent.EPOLLEXCLUSIVE)
EPOLLWAKEUP = int(EpollEvent.EPOLLWAKEUP)
EPOLLONESHOT = int(EpollEvent.EPOLLONESHOT)
EPOLLET = int(EpollEvent.EPOLLET)
EPOLL_CLOEXEC = int(EpollCreateFlag.EPOLL_CLOEXEC)
EPOLL_CTL_ADD = int(CtlOp.EPOLL_CTL_ADD)
EPOLL_CTL_DEL = int(CtlOp.EPOLL_CTL_DEL)
EPOLL_CTL_MOD = int(CtlOp.EPOLL_CTL_MOD)
