"""Deliberately wrong implementations, for checking that the suite can fail.

Each class is select.epoll with one mistake; ``python -m conformance --impl
conformance.broken:SwallowsEexist`` must report ``epoll_ctl.EEXIST`` as FAIL and exit 1, and
likewise for the others (test_runner.py checks this). They also show the smallest third-party
implementation: any callable shaped like select.epoll, named as ``module:attribute``.
"""

from __future__ import annotations

import contextlib
import select
from typing import Any

DEFAULT_MASK = select.EPOLLIN | select.EPOLLPRI | select.EPOLLOUT


class _Delegate:
    """select.epoll's methods, passed through (no ``fromfd``: that capability is absent)."""

    def __init__(self, sizehint: int = -1, flags: int = 0) -> None:
        self._epoll = select.epoll(sizehint, flags)

    def register(self, fd: int, eventmask: int = DEFAULT_MASK) -> None:
        self._epoll.register(fd, eventmask)

    def modify(self, fd: int, eventmask: int) -> None:
        self._epoll.modify(fd, eventmask)

    def unregister(self, fd: int) -> None:
        self._epoll.unregister(fd)

    def poll(self, timeout: float | None = None, maxevents: int = -1) -> Any:
        return self._epoll.poll(timeout, maxevents)

    def close(self) -> None:
        self._epoll.close()

    def fileno(self) -> int:
        return self._epoll.fileno()


class SwallowsEexist(_Delegate):
    """Registering a registered fd again "succeeds" silently (epoll_ctl.EEXIST)."""

    def register(self, fd: int, eventmask: int = DEFAULT_MASK) -> None:
        with contextlib.suppress(FileExistsError):
            super().register(fd, eventmask)


class DropsEdgeTrigger(_Delegate):
    """EPOLLET is quietly dropped: every registration is level-triggered (epoll_ctl.EPOLLET)."""

    def register(self, fd: int, eventmask: int = DEFAULT_MASK) -> None:
        super().register(fd, eventmask & ~select.EPOLLET)


class IgnoresMaxevents(_Delegate):
    """Every ready fd is returned, whatever maxevents says (epoll_wait.maxevents)."""

    def poll(self, timeout: float | None = None, maxevents: int = -1) -> Any:
        return super().poll(timeout)


class ModifyReregisters(_Delegate):
    """MOD done as DEL then ADD, which loses EPOLLEXCLUSIVE's rules
    (epoll_ctl.EINVAL.exclusive_registered)."""

    def modify(self, fd: int, eventmask: int) -> None:
        self.unregister(fd)
        self.register(fd, eventmask)
