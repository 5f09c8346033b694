"""What ``python -m pyepoll.inspect`` finds in a process: instances, registrations, targets.

:func:`inspect_process` reads one process (see :mod:`pyepoll.inspect.procfs` for where each
fact comes from) into plain dataclasses that the text and JSON renderers share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyepoll.flags import EpollEvent
from pyepoll.inspect import procfs, sockets

__all__ = ["Epoll", "Process", "Registration", "event_names", "inspect_process"]

#: The flags that survive a fired EPOLLONESHOT registration (fs/eventpoll.c, EP_PRIVATE_BITS):
#: a registration holding only these is disarmed until EPOLL_CTL_MOD re-arms it.
PRIVATE_BITS = (
    EpollEvent.EPOLLWAKEUP
    | EpollEvent.EPOLLONESHOT
    | EpollEvent.EPOLLET
    | EpollEvent.EPOLLEXCLUSIVE
)
#: anon_inode names, as /proc/PID/fd shows them, and what to call them.
ANON_KINDS = {
    "anon_inode:[eventpoll]": "epoll",
    "anon_inode:[eventfd]": "eventfd",
    "anon_inode:[timerfd]": "timerfd",
    "anon_inode:[signalfd]": "signalfd",
    "anon_inode:inotify": "inotify",
    "anon_inode:[pidfd]": "pidfd",
    "anon_inode:[io_uring]": "io_uring",
    "anon_inode:[userfaultfd]": "userfaultfd",
    "anon_inode:[fanotify]": "fanotify",
}


def event_names(mask: int) -> list[str]:
    """The EPOLL* names of the bits of *mask*, lowest first; unknown bits as hex."""
    names = []
    for bit in range(32):
        value = 1 << bit
        if mask & value:
            try:
                names.append(str(EpollEvent(value).name))
            except ValueError:
                names.append(hex(value))
    return names


@dataclass
class Registration:
    """One interest-list entry and what its fd number names now."""

    fd: int
    events: int
    data: int
    #: What the number names now: kind (tcp, pipe, eventfd, file...), and details.
    kind: str
    detail: dict[str, str | None] = field(default_factory=dict)
    #: None when the number still names the registered file; else why not.
    stale: str | None = None
    #: False when the file's identity cannot be confirmed (anonymous inodes share one inode).
    verified: bool = True

    @property
    def disarmed(self) -> bool:
        """An EPOLLONESHOT registration that fired and awaits EPOLL_CTL_MOD."""
        return bool(self.events & EpollEvent.EPOLLONESHOT) and not self.events & ~PRIVATE_BITS


@dataclass
class Epoll:
    fd: int
    registrations: list[Registration]


@dataclass
class Process:
    pid: int
    command: str
    epolls: list[Epoll]


def _kind(
    target: procfs.FdTarget, table: dict[int, sockets.SocketInfo]
) -> tuple[str, dict[str, str | None]]:
    link = target.link
    inode = sockets.socket_inode(link)
    if inode is not None:
        info = table.get(inode)
        if info is None:  # a protocol /proc/net does not list (netlink, packet, vsock...)
            return "socket", {"inode": str(inode)}
        return info.protocol, {"local": info.local, "peer": info.peer, "state": info.state}
    if link.startswith("pipe:["):
        return "pipe", {"inode": link[6:-1]}
    if link in ANON_KINDS:
        kind = ANON_KINDS[link]
        keep = {k: v for k, v in target.info.items() if k not in ("pos", "flags", "mnt_id", "ino")}
        return kind, dict(keep)
    if link.startswith("anon_inode:"):
        return link.removeprefix("anon_inode:").strip("[]"), {}
    if link.startswith("/"):
        return "file", {"path": link}
    return "other", {"link": link}


def _registration(
    pid: int, raw: procfs.RawRegistration, table: dict[int, sockets.SocketInfo]
) -> Registration:
    target = procfs.fd_target(pid, raw.fd)
    if target is None:
        # epoll(7) Q6: the registration belongs to the open file, which a dup keeps alive.
        return Registration(
            raw.fd,
            raw.events,
            raw.data,
            "closed",
            stale=f"fd {raw.fd} is closed; the registered file is still open through a duplicate",
        )
    kind, detail = _kind(target, table)
    reg = Registration(raw.fd, raw.events, raw.data, kind, detail)
    if (target.ino, target.device) != (raw.ino, raw.device):
        reg.stale = (
            f"fd {raw.fd} now names another file ({target.link}); the registered one"
            f" (inode {raw.ino}) is still open through a duplicate"
        )
    elif target.link.startswith("anon_inode"):
        reg.verified = False  # every anonymous-inode file has this same inode
    return reg


def inspect_process(pid: int) -> Process:
    """Every epoll instance of *pid* and its registrations.

    Raises PermissionError when the process's descriptors may not be read, and
    :class:`~pyepoll.inspect.procfs.Vanished` when the process exits while it is read.
    """
    command = procfs.command_line(pid)
    epolls = []
    table: dict[int, sockets.SocketInfo] | None = None
    for epfd in procfs.epoll_fds(pid):
        try:
            raws = procfs.registrations(pid, epfd)
        except procfs.Vanished:
            if procfs.fd_target(pid, epfd) is None:
                continue  # that instance was closed since the listing
            raise
        if table is None and raws:
            table = sockets.socket_table(pid)
        epolls.append(Epoll(epfd, [_registration(pid, raw, table or {}) for raw in raws]))
    return Process(pid, command, epolls)
