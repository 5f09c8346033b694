"""CPython's own select.epoll and selectors tests (``test.test_epoll``, ``test.test_selectors``),
run against pyepoll.

The interpreter's regression suite defines what select.epoll and selectors.EpollSelector do; a
drop-in replacement passes it unchanged.  The modules are loaded from this interpreter's
standard library and run inside :func:`pyepoll.installed`, so that ``select.epoll`` and
``selectors.EpollSelector`` are pyepoll's (on the backend under test) for the duration of the run.
"""

from __future__ import annotations

import importlib
import io
import select
import selectors
import unittest
from collections.abc import Iterator
from types import ModuleType

import pytest

import pyepoll


def stdlib_test_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"test.{name}")
    except ImportError as exc:  # PyPy (Debian's pypy3) and stripped-down Python installs
        pytest.skip(f"this Python ships without its regression tests: {exc}")


@pytest.fixture
def on_pyepoll(backend: str) -> Iterator[None]:
    with pyepoll.installed(backend):
        assert isinstance(select.epoll(), pyepoll.epoll)
        yield


def run_cases(*cases: type[unittest.TestCase]) -> unittest.TestResult:
    loader = unittest.defaultTestLoader
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(case) for case in cases)
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    failures = [f"{test}: {trace}" for test, trace in result.failures + result.errors]
    assert not failures, "\n".join(failures)
    assert not result.skipped, result.skipped
    return result


def test_cpython_test_epoll_passes(on_pyepoll: None) -> None:
    module = stdlib_test_module("test_epoll")
    result = run_cases(module.TestEPoll)
    assert result.testsRun >= 10


def test_cpython_test_selectors_passes_whole(on_pyepoll: None, backend: str) -> None:
    # The module's test cases bound selectors.EpollSelector and DefaultSelector when it was
    # first imported (maybe under another install); subclasses take the installed ones, by the
    # attribute the suite itself reads.  test_modify_unregister patches
    # selectors.EpollSelector._selector_cls, which is then pyepoll's class attribute: it passes
    # only if pyepoll's selector builds its poller through that attribute.
    module = stdlib_test_module("test_selectors")

    class PyepollEpollSelectorTestCase(module.EpollSelectorTestCase):  # type: ignore[misc,name-defined]
        SELECTOR = selectors.EpollSelector

    class PyepollDefaultSelectorTestCase(module.DefaultSelectorTestCase):  # type: ignore[misc,name-defined]
        SELECTOR = selectors.DefaultSelector

    result = run_cases(PyepollEpollSelectorTestCase, PyepollDefaultSelectorTestCase)
    with selectors.DefaultSelector() as sel:
        assert sel.backend is pyepoll.get_backend(backend)  # type: ignore[attr-defined]
    assert result.testsRun >= 38  # 3.9 has the fewest
