"""The values the differential machine keeps in its bundles.

Each has a short ``repr`` because Hypothesis prints them in a failing program.
"""

from __future__ import annotations

import select
from typing import Any

import pyepoll


class Shared:
    """A kernel descriptor that both sides poll: the same number and open file."""

    __slots__ = ("fd", "kind")

    def __init__(self, fd: int, kind: str) -> None:
        self.fd = fd
        self.kind = kind

    def __repr__(self) -> str:
        return f"<{self.kind} fd {self.fd}>"


class EpollPair:
    """One epoll object per side: side 0 is select.epoll, side 1 the object under test."""

    __slots__ = ("name", "ref", "sut")

    def __init__(self, name: str, ref: select.epoll, sut: pyepoll.epoll) -> None:
        self.name = name
        self.ref = ref
        self.sut = sut

    def side(self, side: int) -> select.epoll | pyepoll.epoll:
        return self.ref if side == 0 else self.sut

    def close(self) -> None:
        self.ref.close()
        self.sut.close()

    def __repr__(self) -> str:
        return f"<{self.name}>"


class Fileno:
    """An argument whose ``fileno()`` returns ``value`` (how select.epoll accepts objects)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def fileno(self) -> object:
        return self.value

    def __repr__(self) -> str:
        return f"Fileno({self.value!r})"


class Registration:
    """An (epoll, fd) pair a rule registered, so that later modify/unregister often hit.

    Either half may be closed by the time a rule draws it; rules check before use.
    """

    __slots__ = ("epoll", "fd")

    def __init__(self, epoll: Any, fd: Any) -> None:
        self.epoll = epoll
        self.fd = fd

    def __repr__(self) -> str:
        return f"<{self.fd!r} in {self.epoll!r}>"
