"""The kernel objects only the fuzzer makes, and how it records what a call did.

Every descriptor is created non-blocking and close-on-exec, so no rule can block the run
and nothing leaks into child processes. Readiness comes from real kernel objects only:
pipe(2), socketpair(2) (AF_UNIX, SOCK_STREAM) and eventfd(2). The helpers the core tests use
too (pipes, eventfds, the descriptor table, fdinfo) live in :mod:`tests.kernel`.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass
from typing import Callable

from tests.kernel import EFD_CLOEXEC, EFD_NONBLOCK, new_eventfd

#: eventfd(2) EFD_SEMAPHORE: each read takes 1 from the counter.
EFD_SEMAPHORE = 1

#: eventfd(2): the counter never exceeds 0xfffffffffffffffe; writing 2**64 - 1 is EINVAL.
EVENTFD_MAX = 2**64 - 2


def eventfd(initval: int = 0, semaphore: bool = False) -> int:
    """eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC [| EFD_SEMAPHORE])."""
    return new_eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC | (EFD_SEMAPHORE if semaphore else 0))


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
