"""Fixtures for the conformance tests: kernel objects, an instance, the fd-leak check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.adapters import Adapter, Instance
from conformance.kobjects import Resources, open_fds


@pytest.fixture
def res() -> Iterator[Resources]:
    """Kernel objects made in a test, all closed after it."""
    resources = Resources()
    try:
        yield resources
    finally:
        resources.close()


@pytest.fixture
def ep(impl: Adapter, res: Resources) -> Instance:
    """A fresh epoll instance of the implementation under test."""
    return res.epoll(impl)


@pytest.fixture(autouse=True)
def no_fd_leak() -> Iterator[None]:
    """Nothing leaks: the set of open descriptors is the same after a test as before it."""
    before = open_fds()
    yield
    leaked = open_fds() - before
    assert not leaked, f"descriptors left open: {sorted(leaked)}"
