"""CPython's own select.epoll tests (``test.test_epoll``), run against pyepoll.epoll.

The interpreter's regression suite defines what select.epoll does; a drop-in replacement
passes it unchanged.  The module is loaded from this interpreter's standard library and its
``select.epoll`` is swapped for ``pyepoll.epoll`` for the duration of the run.
"""

from __future__ import annotations

import importlib
import io
import select
import unittest
from collections.abc import Iterator
from types import ModuleType

import pytest

import pyepoll


@pytest.fixture
def cpython_test_epoll(monkeypatch: pytest.MonkeyPatch, backend: str) -> Iterator[ModuleType]:
    try:
        module = importlib.import_module("test.test_epoll")
    except ImportError as exc:  # pragma: no cover - stripped-down Python installs
        pytest.skip(f"this Python ships without its regression tests: {exc}")

    class BackendEpoll(pyepoll.epoll):
        """pyepoll.epoll on the backend under test, with select.epoll's signature."""

        def __new__(cls, sizehint: int = -1, flags: int = 0) -> BackendEpoll:
            return pyepoll.epoll.__new__(cls, sizehint, flags, backend=backend)  # type: ignore[return-value]

        @classmethod
        def fromfd(cls, fd: int) -> BackendEpoll:  # type: ignore[override]
            return super().fromfd(fd, backend=backend)  # type: ignore[return-value]

    monkeypatch.setattr(select, "epoll", BackendEpoll)
    yield module


def test_cpython_test_epoll_passes(cpython_test_epoll: ModuleType) -> None:
    suite = unittest.defaultTestLoader.loadTestsFromModule(cpython_test_epoll)
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    failures = [f"{test}: {trace}" for test, trace in result.failures + result.errors]
    assert result.testsRun >= 10
    assert not failures, "\n".join(failures)
    assert not result.skipped, result.skipped
