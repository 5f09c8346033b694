"""The suite's first four violators, each select.epoll with one mistake.

They are not :class:`~conformance.violators._base.Wrapped` adapters on purpose: they show the
smallest third-party implementation the runner accepts, any callable shaped like select.epoll
named as ``module:attribute`` (so they have no data word, no raw calls: those clauses are n/a
for them). ``python -m conformance --impl conformance.violators.legacy:SwallowsEexist`` reports
``epoll_ctl.EEXIST`` as FAIL and exits 1.
"""

from __future__ import annotations

import contextlib
import select
from typing import Any

from conformance.violators import violates

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


@violates("epoll_ctl.EEXIST")
class SwallowsEexist(_Delegate):
    """Registering a registered fd again "succeeds" silently."""

    def register(self, fd: int, eventmask: int = DEFAULT_MASK) -> None:
        with contextlib.suppress(FileExistsError):
            super().register(fd, eventmask)


@violates("epoll_ctl.EPOLLET")
class DropsEdgeTrigger(_Delegate):
    """EPOLLET is quietly dropped: every registration is level-triggered."""

    def register(self, fd: int, eventmask: int = DEFAULT_MASK) -> None:
        super().register(fd, eventmask & ~select.EPOLLET)


@violates("epoll_wait.maxevents")
class IgnoresMaxevents(_Delegate):
    """Every ready fd is returned, whatever maxevents says."""

    def poll(self, timeout: float | None = None, maxevents: int = -1) -> Any:
        return super().poll(timeout)


@violates("epoll_ctl.EINVAL.exclusive_registered")
class ModifyReregisters(_Delegate):
    """MOD is done as DEL then ADD, which loses EPOLLEXCLUSIVE's rules."""

    def modify(self, fd: int, eventmask: int) -> None:
        self.unregister(fd)
        self.register(fd, eventmask)
