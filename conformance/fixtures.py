"""Fixtures for the conformance tests: kernel objects, an instance, the fd-leak check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.adapters import Adapter, Instance
from conformance.kobjects import Resources, open_files, opened_since


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
    """Nothing leaks: every descriptor opened in a test is closed after it."""
    before = open_files()
    yield
    leaked = opened_since(before)
    assert not leaked, f"descriptors left open: {sorted(leaked)}"
