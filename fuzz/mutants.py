"""Deliberately broken variants of ``pyepoll.epoll``, to prove the oracles catch bugs.

Each mutant is a small subclass that gets one thing wrong the way a real binding could.
:mod:`fuzz.test_mutants` runs the ``ci`` profile of a machine against each and requires a
failure.
"""

from __future__ import annotations

import errno
import os
from typing import Any

import pyepoll
from conformance import flags as ev

Events = list[tuple[int, int]]


class DropsOneEvent(pyepoll.epoll):
    """poll() loses the last event whenever several are ready."""

    def poll(self, timeout: float | None = None, maxevents: int = -1, **kw: Any) -> Events:
        events = list(super().poll(timeout, maxevents, **kw))
        return events[:-1] if len(events) > 1 else events


class ModifyIgnoresET(pyepoll.epoll):
    """modify() drops EPOLLET, so the entry turns level-triggered."""

    def modify(self, fd: Any, eventmask: int, *, data: int | None = None) -> None:
        if isinstance(eventmask, int):
            eventmask &= ~ev.EPOLLET
        super().modify(fd, eventmask, data=data)


class UnregisterSwallowsENOENT(pyepoll.epoll):
    """unregister() of an fd that is not registered succeeds silently."""

    def unregister(self, fd: Any) -> None:
        try:
            super().unregister(fd)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise


class ForgetsClosedNumbers(pyepoll.epoll):
    """interest_list() hides entries whose fd number is closed, though a dup keeps them."""

    def interest_list(self) -> list[pyepoll.Interest]:
        kept = []
        for entry in super().interest_list():
            try:
                os.fstat(entry.fd)
            except OSError:
                continue
            kept.append(entry)
        return kept


class IgnoresMaxevents(pyepoll.epoll):
    """poll() returns every ready event, whatever maxevents says."""

    def poll(self, timeout: float | None = None, maxevents: int = -1, **kw: Any) -> Events:
        valid = isinstance(maxevents, int) and (maxevents == -1 or 0 < maxevents < 2**31)
        return list(super().poll(timeout, -1 if valid else maxevents, **kw))


class _RewritesRegister(pyepoll.epoll):
    """register() with its arguments passed through ``rewrite`` first."""

    def register(
        self,
        fd: Any,
        eventmask: int = ev.EPOLLIN | ev.EPOLLPRI | ev.EPOLLOUT,
        *,
        data: int | None = None,
    ) -> None:
        eventmask, data = self.rewrite(eventmask, data)
        super().register(fd, eventmask, data=data)

    def rewrite(self, eventmask: int, data: int | None) -> tuple[int, int | None]:
        raise NotImplementedError


class RegisterDropsOneshot(_RewritesRegister):
    """register() loses EPOLLONESHOT."""

    def rewrite(self, eventmask: int, data: int | None) -> tuple[int, int | None]:
        if isinstance(eventmask, int):
            eventmask &= ~ev.EPOLLONESHOT
        return eventmask, data


#: Descriptors CloseLeaksFd kept open, so that a test can close them afterwards.
LEAKED: list[int] = []


class CloseLeaksFd(pyepoll.epoll):
    """close() leaves a copy of the descriptor open: the instance outlives close()."""

    def close(self) -> None:
        if not self.closed:
            LEAKED.append(os.dup(self.fileno()))
        super().close()


def close_leaked() -> None:
    """Close what CloseLeaksFd leaked."""
    while LEAKED:
        os.close(LEAKED.pop())


class DataTruncated(_RewritesRegister):
    """register(data=...) keeps only the low 32 bits of the data word."""

    def rewrite(self, eventmask: int, data: int | None) -> tuple[int, int | None]:
        return eventmask, None if data is None else data & 0xFFFFFFFF


#: Every mutant, by name.
MUTANTS: dict[str, type[pyepoll.epoll]] = {
    cls.__name__: cls
    for cls in (
        DropsOneEvent,
        ModifyIgnoresET,
        UnregisterSwallowsENOENT,
        ForgetsClosedNumbers,
        IgnoresMaxevents,
        RegisterDropsOneshot,
        CloseLeaksFd,
        DataTruncated,
    )
}
