"""Kernel objects the fuzzer drives, and how it records what a call did.

Every descriptor is created non-blocking and close-on-exec, so no rule can block the run
and nothing leaks into child processes. Readiness comes from real kernel objects only:
pipe(2), socketpair(2) (AF_UNIX, SOCK_STREAM) and eventfd(2). ``os.eventfd`` exists on
Python 3.10+; on 3.9 the libc wrapper is called through ctypes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import struct
from dataclasses import dataclass
from typing import Callable

#: eventfd(2) flags; EFD_NONBLOCK and EFD_CLOEXEC equal O_NONBLOCK and O_CLOEXEC on Linux.
EFD_SEMAPHORE = 1
EFD_FLAGS = os.O_NONBLOCK | os.O_CLOEXEC

#: eventfd(2): the counter never exceeds 0xfffffffffffffffe; writing 2**64 - 1 is EINVAL.
EVENTFD_MAX = 2**64 - 2

_libc: ctypes.CDLL | None = None


def _eventfd_libc(initval: int, flags: int) -> int:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    fd = int(_libc.eventfd(ctypes.c_uint(initval), ctypes.c_int(flags)))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return fd


def eventfd(initval: int = 0, semaphore: bool = False) -> int:
    """eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC [| EFD_SEMAPHORE])."""
    flags = EFD_FLAGS | (EFD_SEMAPHORE if semaphore else 0)
    make = getattr(os, "eventfd", None)
    if make is not None:
        return int(make(initval, flags))
    return _eventfd_libc(initval, flags)


def eventfd_write(fd: int, value: int) -> None:
    """write(2) of one 8-byte counter increment."""
    os.write(fd, struct.pack("=Q", value))


def eventfd_read(fd: int) -> int:
    """read(2) of the 8-byte counter (or 1 in semaphore mode)."""
    data = os.read(fd, 8)
    return int(struct.unpack("=Q", data)[0])


def pipe() -> tuple[int, int]:
    """pipe2(O_NONBLOCK | O_CLOEXEC) -> (read end, write end)."""
    return os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)


def socketpair() -> tuple[int, int]:
    """socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC) as two raw fds."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    for sock in (a, b):
        sock.setblocking(False)
    return a.detach(), b.detach()


def shutdown(fd: int, how: int) -> None:
    """shutdown(2) on a raw fd; ENOTSOCK for anything that is not a socket.

    The fd's O_NONBLOCK is put back afterwards: PyPy's ``socket(fileno=fd)`` makes the
    descriptor blocking (it applies the default timeout; CPython leaves the flag alone), and
    the machines' next read of an empty socket would then block the run forever.
    """
    blocking = os.get_blocking(fd)
    try:
        sock = socket.socket(fileno=fd)
        try:
            sock.shutdown(how)
        finally:
            sock.detach()
    finally:
        os.set_blocking(fd, blocking)


def dup_high(fd: int, lowest: int) -> int:
    """fcntl(fd, F_DUPFD_CLOEXEC, lowest): a duplicate numbered ``lowest`` or above."""
    import fcntl

    # F_DUPFD_CLOEXEC is 1030 on Linux; PyPy's fcntl module does not name it.
    return fcntl.fcntl(fd, getattr(fcntl, "F_DUPFD_CLOEXEC", 1030), lowest)


def close_quietly(fd: int) -> None:
    """close(2) for teardown: a descriptor that is already gone is not an error there."""
    with contextlib.suppress(OSError):
        os.close(fd)


def open_fds() -> int:
    """How many descriptors this process holds (/proc/self/fd), for leak checks."""
    return len(os.listdir("/proc/self/fd"))


@dataclass(frozen=True)
class Outcome:
    """What one call did: its (normalised) value, or its exception type and errno.

    Messages are kept for ValueError/TypeError/OverflowError, whose text select.epoll
    defines; an OSError is compared by type and errno only (its text is strerror).
    """

    value: object = None
    error: str | None = None
    errno: int | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def key(self, with_message: bool) -> tuple[object, ...]:
        return (self.value, self.error, self.errno, self.message if with_message else None)

    def __str__(self) -> str:
        if self.error is None:
            return f"returned {self.value!r}"
        detail = f" errno={self.errno}" if self.errno is not None else ""
        text = f" {self.message!r}" if self.message is not None else ""
        return f"raised {self.error}{detail}{text}"


def attempt(
    call: Callable[[], object], normalise: Callable[[object], object] = lambda v: v
) -> Outcome:
    """Run ``call`` and record its outcome; only Exception subclasses are captured."""
    try:
        value = call()
    except OSError as exc:
        return Outcome(error=type(exc).__name__, errno=exc.errno)
    except (ValueError, TypeError, OverflowError) as exc:
        return Outcome(error=type(exc).__name__, message=str(exc))
    return Outcome(value=normalise(value))


def failure(err: int) -> Outcome:
    """The Outcome of a call that fails with ``err``, typed as CPython maps it (PEP 3151)."""
    return Outcome(error=type(OSError(err, os.strerror(err))).__name__, errno=err)
