"""Fixtures shared by the core tests.

* ``backend``: every behavioural test runs once per backend in
  :data:`pyepoll.backends.BACKEND_NAMES` (each kind over each installed FFI, ``libc+ctypes``,
  ``syscall+cffi``...); tests pass it on explicitly (``backend=backend``).
* ``kernel``: a :class:`tests.kernel.KernelObjects` that closes what the test left open.
* ``epfd`` / ``ep``: a fresh epoll instance (low-level fd, or :class:`pyepoll.epoll`) on the
  backend under test.
* ``timed_wait``: each public way to wait (:mod:`tests.waits`); ``sigusr1``: a recording
  SIGUSR1 handler (:mod:`tests.signals`).
* ``fd_leak_guard`` (autouse): fails a test that leaves a descriptor open which it did not
  have before.  Each pytest-xdist worker is its own process, so the guard only ever sees the
  descriptors of the tests that worker runs, one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import pyepoll
from pyepoll.backends import BACKEND_NAMES
from pyepoll.ffi import FFI_NAMES
from tests.fd_leaks import assert_no_leak
from tests.kernel import KernelObjects, fd_table
from tests.signals import Recorder, recording_handler
from tests.waits import WAITS, TimedWait


def pytest_report_header() -> str:
    """Which backends the ``backend`` fixture runs, and which FFI is left out here and why."""
    line = f"pyepoll backends: {', '.join(BACKEND_NAMES)}"
    for ffi in FFI_NAMES:
        if not any(name.endswith(f"+{ffi}") for name in BACKEND_NAMES):
            line += f"; FFI {ffi} not run: {ffi} is not importable"
    return line


@pytest.fixture(params=BACKEND_NAMES)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    name: str = request.param
    return name


@pytest.fixture
def kernel() -> Iterator[KernelObjects]:
    """Real pipes, socketpairs, eventfds and files, closed at teardown."""
    objects = KernelObjects()
    yield objects
    objects.close_all()


@pytest.fixture(autouse=True)
def fd_leak_guard() -> Iterator[None]:
    """Compare /proc/self/fd before and after the test (:func:`tests.fd_leaks.leaked_since`:
    a descriptor that only garbage holds is no leak; the slow collections run only when the
    table has gained an entry)."""
    before = fd_table()
    yield
    assert_no_leak(before)


@pytest.fixture
def sigusr1() -> Iterator[Recorder]:
    """A recording SIGUSR1 handler (see :mod:`tests.signals`), removed at teardown."""
    with recording_handler() as recorder:
        yield recorder


@pytest.fixture(params=sorted(WAITS))
def timed_wait(request: pytest.FixtureRequest) -> TimedWait:
    """One public wait (see :mod:`tests.waits`): ``timed_wait(epfd, backend, seconds)``."""
    return WAITS[request.param]


@pytest.fixture
def epfd(kernel: KernelObjects, backend: str) -> int:
    """A new epoll instance made with ``epoll_create1(0)`` on the backend under test."""
    return kernel.track(pyepoll.epoll_create1(backend=backend))


@pytest.fixture
def ep(backend: str) -> Iterator[pyepoll.epoll]:
    """A new :class:`pyepoll.epoll` on the backend under test, closed at teardown."""
    with pyepoll.epoll(backend=backend) as instance:
        yield instance
