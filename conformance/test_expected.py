"""Self-checks of conformance.expected: which tests a Drift entry covers, and that the qemu
record names only clauses of the catalogue. They carry no clause."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import expected
from conformance.expected import Drift


class Impl:
    def __init__(self, name: str) -> None:
        self.name = name


class CallSpec:
    def __init__(self, params: dict[str, Impl]) -> None:
        self.params = params


class Item:
    """The three things Drift.covers reads of a pytest item."""

    def __init__(self, nodeid: str, clause: str | None = None, impl: str | None = None) -> None:
        self.nodeid = nodeid
        self._clause = clause
        self.callspec = None if impl is None else CallSpec({"impl": Impl(impl)})

    def get_closest_marker(self, name: str) -> Any:
        return None if self._clause is None else pytest.mark.clause(self._clause).mark


DRIFT = Drift(
    foreign="f",
    linux="l",
    clauses=("epoll_pwait2.EBADF",),
    impls=("pyepoll-libc",),
    tests=("tests/test_x.py::test_y[*-epoll_pwait2]",),
)


def covers(item: Item) -> bool:
    return DRIFT.covers(item)  # type: ignore[arg-type]  # duck-typed item


def test_a_clause_is_covered_for_the_listed_implementations_only() -> None:
    node = "conformance/test_epoll_pwait.py::test_ebadf"
    assert covers(Item(node + "[pyepoll-libc-epoll_pwait2]", "epoll_pwait2.EBADF", "pyepoll-libc"))
    assert not covers(Item(node + "[select-epoll_pwait2]", "epoll_pwait2.EBADF", "select"))
    assert not covers(Item(node + "[pyepoll-libc-epoll_wait]", "epoll_wait.EBADF", "pyepoll-libc"))


def test_a_node_pattern_matches_whole_ids_with_star_only() -> None:
    assert covers(Item("tests/test_x.py::test_y[libc-epoll_pwait2]"))
    assert not covers(Item("tests/test_x.py::test_y[libc-epoll_pwait2]-more"))
    assert not covers(Item("tests/test_x.py::test_y[libc-epoll_pwait]"))
    assert not covers(Item("tests/test_x.py::test_yz[libc-epoll_pwait2]"))


def test_the_qemu_record_loads() -> None:
    module = expected.load("qemu_aarch64")
    assert module.DRIFT and all(entry.clauses or entry.tests for entry in module.DRIFT)
