"""The interest list as the kernel holds it, read from ``/proc/self/fdinfo/<epfd>``.

For an epoll fd the kernel appends one line per registration to the usual fdinfo fields
(fs/eventpoll.c, ``ep_show_fdinfo``), in the order of its red-black tree, which is ordered by
(open file, fd):

    tfd:        5 events:       19 data:                5  pos:0 ino:2a7b sdev:f

``tfd`` is the registered descriptor number (decimal), ``events`` the stored event mask (hex)
and ``data`` the 64-bit data word (hex).  The stored mask is the kernel's, not the caller's:
EPOLLERR and EPOLLHUP are always present (epoll_ctl(2): "always reported") and a disarmed
EPOLLONESHOT registration keeps only its private flags.  A registration whose fd was closed
while a dup(2) kept the open file alive is still listed under the closed number: this is
how the suites observe epoll(7)'s Q6 pitfall.
"""

from __future__ import annotations

import operator
import os
from typing import NamedTuple

__all__ = ["Interest", "interest_list"]


class Interest(NamedTuple):
    """One interest-list entry: the registered ``fd``, its ``events`` mask, its ``data`` word."""

    fd: int
    events: int
    data: int


def _parse(line: str) -> Interest:
    fields = line.split()
    # fields: "tfd:", fd, "events:", mask, "data:", word, then pos/ino/sdev
    return Interest(int(fields[1]), int(fields[3], 16), int(fields[5], 16))


def interest_list(epfd: int) -> list[Interest]:
    """The registrations of epoll instance *epfd*, in the kernel's order.

    Raises FileNotFoundError if *epfd* is not open, ValueError if it is not an epoll fd.
    """
    epfd = operator.index(epfd)
    with open(f"/proc/self/fdinfo/{epfd}", encoding="ascii") as info:
        lines = info.read().splitlines()
    if not _is_epoll(epfd):
        raise ValueError(f"fd {epfd} is not an epoll instance")
    return [_parse(line) for line in lines if line.startswith("tfd:")]


def _is_epoll(fd: int) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:[eventpoll]"
    except OSError:
        return False
