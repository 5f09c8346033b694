"""Real kernel objects for the tests: pipes, socketpairs, eventfds, loopback TCP, files.

:class:`Resources` opens them and closes every one at the end of a test (it is the ``res``
fixture), so that the per-test descriptor count stays balanced. Also here: reading an epoll
fd's ``/proc/self/fdinfo`` entry and the running kernel's version.
"""

from __future__ import annotations

import ctypes
import gc
import os
import platform
import re
import resource
import socket
import tempfile
from contextlib import ExitStack, suppress
from typing import Callable, NamedTuple, cast

from conformance.adapters import Adapter, Instance

#: One registration line of an epoll fd's fdinfo (fs/eventpoll.c, ep_show_fdinfo).
FDINFO_LINE = re.compile(
    r"^tfd: {0,8}(\d+) events: {0,8}([0-9a-f]+) data: {0,16}([0-9a-f]+)"
    r"  pos:(-?\d+) ino:([0-9a-f]+) sdev:([0-9a-f]+)$"
)


class Registration(NamedTuple):
    fd: int
    events: int
    data: int


def fdinfo(epfd: int) -> list[Registration]:
    """The interest list of *epfd*, parsed from /proc/self/fdinfo (kernel order)."""
    with open(f"/proc/self/fdinfo/{epfd}") as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        if line.startswith("tfd:"):
            m = FDINFO_LINE.match(line)
            if m is None:
                raise AssertionError(f"unexpected fdinfo line {line!r}")
            out.append(Registration(int(m[1]), int(m[2], 16), int(m[3], 16)))
    return out


def kernel_version() -> tuple[int, int]:
    m = re.match(r"(\d+)\.(\d+)", platform.release())
    return (int(m[1]), int(m[2])) if m else (0, 0)


def open_fds() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


def open_files() -> frozenset[tuple[int, str]]:
    """Each open descriptor with what /proc/self/fd says it refers to: a number that was
    closed and handed out again for another file reads as a new entry."""
    files = set()
    for fd in open_fds():
        with suppress(FileNotFoundError):  # the directory fd that listdir() used
            files.add((fd, os.readlink(f"/proc/self/fd/{fd}")))
    return frozenset(files)


def opened_since(before: frozenset[tuple[int, str]]) -> frozenset[tuple[int, str]]:
    """What was opened since *before* and is still open after collecting garbage.

    A descriptor of *before* closed meanwhile is no concern of the caller's, even when a
    garbage collector closed it (PyPy's runs at any allocation); an object that became
    garbage may still hold one of the new ones until it is collected, and on PyPy a finalizer
    chain takes one collection per link, so this collects up to four times.
    """
    for _ in range(4):
        new = open_files() - before
        if not new:
            return new
        gc.collect()
    return open_files() - before


def is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def is_epoll(fd: int) -> bool:
    """*fd* is an open epoll instance (its /proc/self/fd link names the eventpoll anon inode)."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:[eventpoll]"
    except OSError:
        return False


def close_quietly(closeable: Callable[[], object]) -> None:
    """Call a close function, ignoring OSError (the descriptor may be closed, or never was)."""
    with suppress(OSError):
        closeable()


def _libc_eventfd() -> Callable[[int, int], int] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.eventfd
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_uint, ctypes.c_int)
    function.restype = ctypes.c_int
    return cast(Callable[[int, int], int], function)


class Resources:
    """Opens kernel objects and closes them all at :meth:`close`, in reverse order."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._open: set[int] = set()

    def close(self) -> None:
        self._stack.close()

    def fd(self, fd: int) -> int:
        """Own *fd*: close it at the end unless the test closed it with :meth:`close_fd`."""
        self._open.add(fd)
        self._stack.callback(self._close_owned, fd)
        return fd

    def close_fd(self, fd: int) -> None:
        """Close an owned *fd* now (once: its number may be reused by the next open)."""
        self._open.remove(fd)
        os.close(fd)

    def _close_owned(self, fd: int) -> None:
        if fd in self._open:
            self._open.remove(fd)
            os.close(fd)

    def sock(self, sock: socket.socket) -> socket.socket:
        self._stack.callback(sock.close)
        return sock

    def pipe(self, nonblocking: bool = True) -> tuple[int, int]:
        r, w = os.pipe()
        self.fd(r)
        self.fd(w)
        os.set_blocking(r, not nonblocking)
        os.set_blocking(w, not nonblocking)
        return r, w

    def socketpair(self, kind: int = socket.SOCK_STREAM) -> tuple[socket.socket, socket.socket]:
        a, b = socket.socketpair(socket.AF_UNIX, kind)
        for s in (a, b):
            self.sock(s).setblocking(False)
        return a, b

    def eventfd(self, initval: int = 0) -> int:
        """A nonblocking eventfd (os.eventfd on 3.10+, the C library's on 3.9)."""
        make = getattr(os, "eventfd", None)
        if make is not None:
            # EFD_NONBLOCK and EFD_CLOEXEC have O_NONBLOCK's and O_CLOEXEC's values.
            return self.fd(make(initval, os.O_NONBLOCK | os.O_CLOEXEC))
        function = _libc_eventfd()
        if function is None:
            raise OSError("no eventfd in this Python or C library")
        fd = function(initval, os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        return self.fd(fd)

    def tcp_pair(self) -> tuple[socket.socket, socket.socket]:
        """A connected loopback TCP pair (client, server side), nonblocking."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            client = self.sock(socket.create_connection(listener.getsockname()))
            server = self.sock(listener.accept()[0])
        client.setblocking(False)
        server.setblocking(False)
        return client, server

    def regular_file(self) -> int:
        fd, path = tempfile.mkstemp(prefix="conformance-")
        os.unlink(path)
        return self.fd(fd)

    def directory(self) -> int:
        return self.fd(os.open(tempfile.gettempdir(), os.O_RDONLY | os.O_DIRECTORY))

    def epoll(self, impl: Adapter) -> Instance:
        instance = impl.create()
        self._stack.callback(instance.close)
        return instance

    def raw_epoll(self, impl: Adapter, flags: int = 0) -> int:
        """An epoll fd made with the adapter's raw ``epoll_create1``."""
        return self.fd(impl.raw.epoll_create1(flags))

    def closed_fd(self) -> int:
        """A descriptor number that is not open (the highest one the rlimit allows)."""
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        candidate = min(soft, 1 << 20) - 1
        assert not is_open(candidate), f"fd {candidate} is unexpectedly open"
        return candidate
