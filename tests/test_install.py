"""pyepoll.install(): select, selectors and asyncio's default loop switch to pyepoll, whatever
was imported first, and pyepoll.uninstall() puts back exactly what was there."""

from __future__ import annotations

import asyncio
import select
import selectors
from collections.abc import Iterator
from typing import Any

import pytest

import pyepoll
from pyepoll.backends import BACKEND_NAMES, get_backend

# Bound before any install, as a program's own imports would be.
from selectors import DefaultSelector as EarlyDefaultSelector  # isort: skip


class EarlySubclass(selectors.EpollSelector):
    """A program's own selector class, defined on the stock class before install()."""


def stdlib_state() -> dict[str, Any]:
    """Every object install() replaces, by identity."""
    return {
        "select.epoll": select.epoll,
        "selectors.EpollSelector": selectors.EpollSelector,
        "selectors.DefaultSelector": selectors.DefaultSelector,
        "stock _selector_cls": EarlyDefaultSelector.__dict__.get("_selector_cls"),
    }


ORIGINAL = stdlib_state()


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    """Each test starts and ends with the stock objects (a failed test must not leave pyepoll
    installed for the rest of this worker's tests)."""
    assert stdlib_state() == ORIGINAL
    try:
        yield
    finally:
        pyepoll.uninstall()
    assert stdlib_state() == ORIGINAL


def poller_of(selector: selectors.BaseSelector) -> object:
    return getattr(selector, "_selector")  # noqa: B009 (private on purpose)


def loop_poller(loop: asyncio.AbstractEventLoop) -> object:
    return poller_of(getattr(loop, "_selector"))  # noqa: B009 (private on purpose)


async def running_loop_poller() -> object:
    return loop_poller(asyncio.get_running_loop())


def new_loop_poller(make: Any) -> object:
    loop = make()
    try:
        return loop_poller(loop)
    finally:
        loop.close()


#: Every way a program gets a selector or an event loop without naming pyepoll.
MAKERS: dict[str, Any] = {
    "select.epoll()": lambda: select.epoll(),
    "select.epoll.fromfd(-1)": lambda: select.epoll.fromfd(-1),
    "selectors.EpollSelector()": lambda: poller_of(selectors.EpollSelector()),
    "selectors.DefaultSelector()": lambda: poller_of(selectors.DefaultSelector()),
    "DefaultSelector imported before": lambda: poller_of(EarlyDefaultSelector()),
    "subclass defined before": lambda: poller_of(EarlySubclass()),
    "asyncio.new_event_loop()": lambda: new_loop_poller(asyncio.new_event_loop),
    "asyncio.SelectorEventLoop()": lambda: new_loop_poller(asyncio.SelectorEventLoop),
    "asyncio.run()": lambda: asyncio.run(running_loop_poller()),
}


def close(poller: object) -> None:
    poller.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", [None, *BACKEND_NAMES])
@pytest.mark.parametrize("make", MAKERS.values(), ids=MAKERS.keys())
def test_everything_made_after_install_runs_on_pyepoll(backend: str | None, make: Any) -> None:
    pyepoll.install(backend)
    poller = make()
    try:
        assert isinstance(poller, pyepoll.epoll)
        assert poller.backend is get_backend(backend)
    finally:
        close(poller)


@pytest.mark.parametrize("make", MAKERS.values(), ids=MAKERS.keys())
def test_everything_made_after_uninstall_is_stock(make: Any) -> None:
    pyepoll.install("syscall")
    pyepoll.uninstall()
    poller = make()
    close(poller)
    assert type(poller) is ORIGINAL["select.epoll"]


def test_selectors_are_pyepolls_class_with_its_backend() -> None:
    pyepoll.install("syscall")
    with selectors.DefaultSelector() as sel:
        assert isinstance(sel, pyepoll.EpollSelector)
        assert isinstance(sel, ORIGINAL["selectors.EpollSelector"])
        assert sel.backend is get_backend("syscall")


def test_install_is_idempotent_and_uninstall_restores_after_switching_backends() -> None:
    pyepoll.install("libc")
    first = stdlib_state()
    pyepoll.install("libc")
    assert stdlib_state() == first
    assert pyepoll.is_installed()
    pyepoll.install("syscall")
    pyepoll.install()
    pyepoll.uninstall()
    assert stdlib_state() == ORIGINAL
    assert not pyepoll.is_installed()
    pyepoll.uninstall()  # nothing to undo
    assert stdlib_state() == ORIGINAL


def test_unknown_backend_changes_nothing() -> None:
    with pytest.raises(ValueError, match="unknown pyepoll backend"):
        pyepoll.install("no-such-backend")
    assert stdlib_state() == ORIGINAL
    assert not pyepoll.is_installed()


def test_installed_puts_back_what_was_there_before_the_block() -> None:
    patched: Any = select  # its epoll is pyepoll's inside the block
    with pyepoll.installed():
        assert patched.epoll is pyepoll.epoll
        outer = stdlib_state()
        with pyepoll.installed("syscall"), patched.epoll() as inner:
            assert inner.backend is get_backend("syscall")
        assert stdlib_state() == outer
        assert pyepoll.is_installed()
    assert stdlib_state() == ORIGINAL
    pyepoll.install("libc")
    outer = stdlib_state()
    with pyepoll.installed():
        pass
    assert stdlib_state() == outer
