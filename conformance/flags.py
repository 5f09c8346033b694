"""The epoll constants, as the kernel's uapi header <linux/eventpoll.h> defines them.

The suite keeps its own copy so that it never trusts the implementation under test for the
numbers it checks that implementation with.
"""

from __future__ import annotations

EPOLLIN = 0x001
EPOLLPRI = 0x002
EPOLLOUT = 0x004
EPOLLERR = 0x008
EPOLLHUP = 0x010
EPOLLRDNORM = 0x040
EPOLLRDBAND = 0x080
EPOLLWRNORM = 0x100
EPOLLWRBAND = 0x200
EPOLLMSG = 0x400
EPOLLRDHUP = 0x2000
EPOLLEXCLUSIVE = 1 << 28
EPOLLWAKEUP = 1 << 29
EPOLLONESHOT = 1 << 30
EPOLLET = 1 << 31

EPOLL_CLOEXEC = 0o2000000

EPOLL_CTL_ADD = 1
EPOLL_CTL_DEL = 2
EPOLL_CTL_MOD = 3

#: Every event and input-flag bit above, by name (for parametrizing and for messages).
EVENT_BITS = {
    name: value
    for name, value in sorted(globals().items())
    if name.startswith("EPOLL") and not name.startswith(("EPOLL_CTL", "EPOLL_CLOEXEC"))
}


def describe(mask: int) -> str:
    """``EPOLLIN|EPOLLOUT`` for a mask; unknown bits in hex."""
    names = [name for name, bit in sorted(EVENT_BITS.items(), key=lambda kv: kv[1]) if mask & bit]
    rest = mask & ~sum(EVENT_BITS.values())
    if rest:
        names.append(hex(rest))
    return "|".join(names) or "0"
