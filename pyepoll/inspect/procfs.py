"""Reading another process's epoll instances from ``/proc/PID``.

For every open descriptor ``/proc/PID/fd/N`` is a link to what it names (``socket:[INODE]``,
``pipe:[INODE]``, ``anon_inode:[eventpoll]``, a path...), and ``/proc/PID/fdinfo/N`` holds its
flags; for an epoll instance the kernel appends one line per registration (fs/eventpoll.c,
``ep_show_fdinfo``)::

    tfd:        5 events:       19 data:                5  pos:0 ino:2a7b sdev:f

``tfd`` is the number the fd had when it was registered, ``ino`` and ``sdev`` identify the open
file the registration holds (its inode number, and its superblock's device in the kernel's
internal encoding: major in the bits above 20, minor below). The registration is keyed by the
open file, not the number (epoll(7), Q6): closing the number while a dup(2) keeps the file open
leaves the registration in place under a number that is now closed, or that names another file
once it is reused. Comparing ``ino``/``sdev`` with what ``/proc/PID/fd/N`` names now tells the
two apart, except for anonymous-inode files (eventfd, timerfd, signalfd, epoll...), which all
share one inode: for those the number can only be seen to name the same *kind* of file.

A process may exit, or close a descriptor, between two reads: every read here turns that into
:class:`Vanished`, so that callers report it instead of failing.
"""

from __future__ import annotations

import os
from typing import NamedTuple

__all__ = [
    "FdTarget",
    "RawRegistration",
    "Vanished",
    "command_line",
    "epoll_fds",
    "fd_target",
    "pids",
    "registrations",
]

#: What ``/proc/PID/fd/N`` reads for an epoll instance.
EPOLL_LINK = "anon_inode:[eventpoll]"


class Vanished(Exception):
    """The process, or one of its descriptors, went away while it was being read."""


class RawRegistration(NamedTuple):
    """One ``tfd:`` line of an epoll fd's fdinfo."""

    fd: int
    events: int
    data: int
    ino: int
    #: The kernel's internal dev_t (``MKDEV(major, minor)`` = ``major << 20 | minor``).
    sdev: int

    @property
    def device(self) -> tuple[int, int]:
        """(major, minor) of the registered file's filesystem."""
        return self.sdev >> 20, self.sdev & 0xFFFFF


class FdTarget(NamedTuple):
    """What a descriptor number names now."""

    link: str  #: the text of ``/proc/PID/fd/N``
    ino: int
    device: tuple[int, int]  #: (major, minor) of its filesystem
    info: dict[str, str]  #: the ``key: value`` lines of its fdinfo (eventfd-count, clockid...)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise Vanished(path) from exc


def pids() -> list[int]:
    """Every process in this PID namespace, in numeric order."""
    return sorted(int(name) for name in os.listdir("/proc") if name.isdigit())


def command_line(pid: int) -> str:
    """The process's argv joined by spaces, or ``[comm]`` for a kernel thread or zombie."""
    argv = _read(f"/proc/{pid}/cmdline").split("\0")
    text = " ".join(arg for arg in argv if arg)
    return text or f"[{_read(f'/proc/{pid}/comm').strip()}]"


def _link(pid: int, fd: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}")
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise Vanished(f"/proc/{pid}/fd/{fd}") from exc


def epoll_fds(pid: int) -> list[int]:
    """The descriptors of *pid* that are epoll instances, in numeric order.

    Raises PermissionError when the caller may not read the process's descriptors
    (another user's process, without CAP_SYS_PTRACE), Vanished when it exits.
    """
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise Vanished(f"/proc/{pid}") from exc
    found = []
    for name in names:
        try:
            if _link(pid, int(name)) == EPOLL_LINK:
                found.append(int(name))
        except Vanished:  # closed since the listing: not an instance any more
            continue
    return sorted(found)


def _fields(line: str) -> RawRegistration:
    # tfd: N events: HEX data: HEX  pos:N ino:HEX sdev:HEX  (pos/ino/sdev since Linux 3.8)
    words = line.split()
    named = dict(word.split(":", 1) for word in words[6:] if ":" in word)
    return RawRegistration(
        int(words[1]),
        int(words[3], 16),
        int(words[5], 16),
        int(named.get("ino", "0"), 16),
        int(named.get("sdev", "0"), 16),
    )


def registrations(pid: int, epfd: int) -> list[RawRegistration]:
    """The interest list of *pid*'s epoll instance *epfd*, in the kernel's order."""
    text = _read(f"/proc/{pid}/fdinfo/{epfd}")
    return [_fields(line) for line in text.splitlines() if line.startswith("tfd:")]


def fd_target(pid: int, fd: int) -> FdTarget | None:
    """What *pid*'s descriptor *fd* names now, or None if the number is not open."""
    try:
        link = _link(pid, fd)
        st = os.stat(f"/proc/{pid}/fd/{fd}")
        text = _read(f"/proc/{pid}/fdinfo/{fd}")
    except (Vanished, FileNotFoundError):
        if not os.path.exists(f"/proc/{pid}"):
            raise Vanished(f"/proc/{pid}") from None
        return None
    info = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and not key.startswith("tfd"):
            info[key.strip()] = value.strip()
    return FdTarget(link, st.st_ino, (os.major(st.st_dev), os.minor(st.st_dev)), info)
