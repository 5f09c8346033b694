"""Real kernel objects for the tests and the fuzzer, and what /proc says about them.

Nothing here imitates the kernel. Every helper returns a real descriptor, and
:class:`KernelObjects` closes whatever a test leaves open so that the fd-leak guard in
``conftest.py`` (:mod:`tests.fd_leaks`) only sees what the code under test leaked. The
fuzzer (``fuzz/``) shares these helpers; the conformance suite keeps its own on purpose
(``conformance/kobjects.py``): an oracle does not share code with what it judges.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import mmap
import os
import re
import socket
import struct
import time
from collections.abc import Iterator
from typing import Callable, NamedTuple

from conformance import machine

#: eventfd(2) flags, the same values as O_NONBLOCK and O_CLOEXEC on every Linux ABI we run on.
EFD_NONBLOCK = os.O_NONBLOCK
EFD_CLOEXEC = os.O_CLOEXEC

FdTable = frozenset[tuple[int, str]]

#: One registration line of an epoll fd's fdinfo (fs/eventpoll.c, ep_show_fdinfo).
TFD_LINE = re.compile(
    r"^tfd: *(\d+) events: *([0-9a-f]+) data: *([0-9a-f]+)"
    r"  pos:-?\d+ ino:[0-9a-f]+ sdev:[0-9a-f]+$"
)


@functools.cache
def _libc() -> ctypes.CDLL:
    # The process's own symbol namespace, which includes the C library: no find_library(),
    # which would run ldconfig in a subprocess on every call.
    return ctypes.CDLL(None, use_errno=True)


def _libc_eventfd(initval: int, flags: int) -> int:
    """eventfd(initval, flags) through libc, for Python 3.9 where os.eventfd is missing."""
    fd = int(_libc().eventfd(ctypes.c_uint(initval), ctypes.c_int(flags)))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return fd


def new_eventfd(initval: int = 0, flags: int = EFD_NONBLOCK | EFD_CLOEXEC) -> int:
    """A fresh eventfd; readable (EPOLLIN) exactly while its counter is non-zero."""
    make: Callable[[int, int], int] = getattr(os, "eventfd", _libc_eventfd)
    return make(initval, flags)


@contextlib.contextmanager
def read_only(memory: mmap.mmap) -> Iterator[None]:
    """*memory* (an anonymous mapping) made read-only with mprotect(2) for the duration: the
    kernel's writes into it fail with EFAULT, this process may still read it."""
    anchor = ctypes.c_char.from_buffer(memory)
    address = ctypes.c_void_p(ctypes.addressof(anchor))
    del anchor  # the address stays valid: the mapping is not closed, hence not moved
    size = ctypes.c_size_t(len(memory))
    protect = _libc().mprotect
    if protect(address, size, mmap.PROT_READ) != 0:
        raise OSError(ctypes.get_errno(), "mprotect")
    try:
        yield
    finally:
        protect(address, size, mmap.PROT_READ | mmap.PROT_WRITE)


def new_pipe() -> tuple[int, int]:
    """pipe2(O_NONBLOCK | O_CLOEXEC): (read end, write end)."""
    return os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)


def eventfd_add(fd: int, value: int = 1) -> None:
    """Add ``value`` to an eventfd counter, making it readable."""
    os.write(fd, struct.pack("=Q", value))


def eventfd_drain(fd: int) -> int:
    """Read (and so reset) an eventfd counter."""
    value: int = struct.unpack("=Q", os.read(fd, 8))[0]
    return value


def fd_table() -> FdTable:
    """The open descriptors of this process as (fd, readlink target) pairs.

    The directory descriptor that listdir() uses is closed again by the time we readlink it,
    so it drops out by itself; pairing the number with its target keeps a reused number from
    hiding a leak.
    """
    entries = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except FileNotFoundError:
            continue
        entries.add((int(name), target))
    return frozenset(entries)


class Registration(NamedTuple):
    """One interest-list entry as /proc shows it: the fd number, stored mask, data word."""

    fd: int
    events: int
    data: int


def interest_entries(epfd: int) -> list[Registration]:
    """The interest list of any epoll fd, parsed from /proc/self/fdinfo (proc(5)), in the
    kernel's order, independently of pyepoll (whose own parser is under test)."""
    with open(f"/proc/self/fdinfo/{epfd}", encoding="ascii") as info:
        lines = [line for line in info.read().splitlines() if line.startswith("tfd:")]
    entries = []
    for line in lines:
        m = TFD_LINE.match(line)
        if m is None:
            raise AssertionError(f"unexpected fdinfo line {line!r}")
        entries.append(Registration(int(m[1]), int(m[2], 16), int(m[3], 16)))
    return entries


def fd_target(fd: int) -> str:
    """What /proc says descriptor ``fd`` refers to, e.g. ``anon_inode:[eventpoll]``."""
    return os.readlink(f"/proc/self/fd/{fd}")


def unused_fd() -> int:
    """A descriptor number that is not open in this process (for EBADF)."""
    fd = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    os.close(fd)
    return fd


class KernelObjects:
    """Creates real kernel objects and closes, at teardown, whatever the test left open.

    Tests that close a descriptor themselves must do it through :meth:`close`, so that a
    number the kernel hands out again is never closed twice.
    """

    def __init__(self) -> None:
        self._fds: list[int] = []
        self._sockets: list[socket.socket] = []

    def track(self, fd: int) -> int:
        """Take ownership of ``fd``: it is closed at teardown unless closed earlier."""
        self._fds.append(fd)
        return fd

    def close(self, fd: int) -> None:
        """Close a descriptor this object owns."""
        self._fds.remove(fd)
        os.close(fd)

    def pipe(self) -> tuple[int, int]:
        """A non-blocking pipe, (read end, write end)."""
        r, w = new_pipe()
        return self.track(r), self.track(w)

    def socketpair(self) -> tuple[socket.socket, socket.socket]:
        """A connected pair of non-blocking Unix stream sockets."""
        a, b = socket.socketpair()
        for s in (a, b):
            s.setblocking(False)
            self._sockets.append(s)
        return a, b

    def eventfd(self, initval: int = 0) -> int:
        """A non-blocking eventfd with the given counter."""
        return self.track(new_eventfd(initval))

    def readable_eventfd(self) -> int:
        """An eventfd that is readable (EPOLLIN) right now."""
        return self.eventfd(1)

    def regular_file(self) -> int:
        """A regular file opened read-only; epoll refuses these with EPERM."""
        return self.track(os.open(__file__, os.O_RDONLY | os.O_CLOEXEC))

    def dup(self, fd: int) -> int:
        """A second descriptor for the same open file description."""
        return self.track(os.dup(fd))

    def close_all(self) -> None:
        for fd in reversed(self._fds):
            os.close(fd)
        self._fds.clear()
        for s in self._sockets:
            s.close()
        self._sockets.clear()


#: The syscalls a thread blocks in while it waits on an epoll fd: epoll_wait (where the
#: architecture has it), epoll_pwait, epoll_pwait2 (numbers from the kernel's syscall tables),
#: by the table /proc shows: the interpreter's own ABI natively (platform.machine() says x86_64
#: to an i386 Python), the host's under qemu-user (conformance.machine tells which).
EPOLL_WAIT_SYSCALLS = {
    "x86_64": frozenset({232, 281, 441}),
    "i386": frozenset({256, 319, 441}),
    "arm": frozenset({252, 346, 441}),
    "aarch64": frozenset({22, 441}),
    "riscv64": frozenset({22, 441}),
    "loongarch64": frozenset({22, 441}),
}.get(machine.PROC_ABI or "", frozenset())


def asleep_in_epoll_wait(pid: int, tid: int) -> bool:
    """Whether thread ``tid`` of process ``pid`` is blocked in an epoll wait syscall, read from
    /proc/<pid>/task/<tid>/syscall (proc(5): the syscall number of a blocked thread, or
    ``running``). A thread blocked there is on the epoll's wait queue (fs/eventpoll.c, ep_poll)."""
    try:
        with open(f"/proc/{pid}/task/{tid}/syscall", encoding="ascii") as f:
            first = f.read().split(maxsplit=1)
    except OSError:
        return False
    return bool(first) and first[0].isdigit() and int(first[0]) in EPOLL_WAIT_SYSCALLS


def until_asleep_in_epoll_wait(pid: int, tid: int, limit: float = 30.0) -> None:
    """Return once :func:`asleep_in_epoll_wait`; AssertionError after ``limit`` seconds (a
    generous bound for a loaded machine: the thread only has to reach its wait)."""
    deadline = time.monotonic() + limit
    while not asleep_in_epoll_wait(pid, tid):
        if time.monotonic() > deadline:
            raise AssertionError(f"thread {tid} of process {pid} never slept in epoll_wait")
        time.sleep(0.001)


def voluntary_switches(pid: int) -> int:
    """How many times the main thread of process ``pid`` has blocked (proc(5), /proc/<pid>/status:
    voluntary_ctxt_switches). A worker asleep in epoll_wait adds one for every time it is woken
    and sleeps again, whether or not its epoll_wait returned in between."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise AssertionError(f"no voluntary_ctxt_switches in /proc/{pid}/status")
