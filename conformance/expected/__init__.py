"""Known drift of a foreign epoll, on record: ``-p conformance.expected --epoll-expected NAME``.

An emulator such as qemu-user is an epoll implementation of its own: the program's syscalls
reach the kernel through it, and where it differs from Linux the suite fails, rightly. Such a
difference is recorded in a module of this package (``NAME``, e.g. ``qemu_aarch64``) as a
:class:`Drift`: what the emulator does, what Linux does, and the clauses (by ID) and other
tests (by node ID) that see it. With the option, each of those tests becomes a **strict**
expected failure: the run is green while the emulator is wrong, and turns red as soon as one of
them passes (the emulator was fixed, or the code under test changed), so the record cannot go
stale. Without the option nothing changes.

A module may also name ``CONTAIN_SIGNALS``: signals the foreign implementation may deliver
late, after the test that sent them has restored their default action (which would kill the
pytest process, and with it the run). Around every test, the plugin installs a handler that
ignores them, so that a test's "restore the previous handler" restores that one, and after the
test it makes one sigprocmask call, which lets the emulator deliver what it held back.
"""

from __future__ import annotations

import importlib
import re
import signal
import threading
from collections.abc import Iterator
from types import FrameType, ModuleType
from typing import NamedTuple

import pytest

from conformance import catalogue


class Drift(NamedTuple):
    """One difference between a foreign epoll and Linux, and the tests that see it."""

    #: What the foreign implementation does.
    foreign: str
    #: What Linux does (the man page's or the kernel's word).
    linux: str
    #: Catalogue clause IDs whose tests fail because of it.
    clauses: tuple[str, ...] = ()
    #: Of those clauses' implementations (``--epoll-impl`` names), the ones that see it; empty
    #: for all.
    impls: tuple[str, ...] = ()
    #: Node IDs of other tests (tests/, fuzz/) that see it; ``*`` matches any characters.
    tests: tuple[str, ...] = ()

    def covers(self, item: pytest.Item) -> bool:
        marker = item.get_closest_marker("clause")
        if marker is not None and marker.args[0] in self.clauses:
            callspec = getattr(item, "callspec", None)
            impl = callspec.params.get("impl") if callspec is not None else None
            return not self.impls or getattr(impl, "name", None) in self.impls
        return any(_pattern(test).fullmatch(item.nodeid) for test in self.tests)


def _pattern(test: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in test.split("*")))


def load(name: str) -> ModuleType:
    """Module *name* of this package, its DRIFT checked: unknown clause IDs are an error."""
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ImportError as exc:
        raise pytest.UsageError(f"--epoll-expected {name}: {exc}") from exc
    drift: list[Drift] = module.DRIFT
    for entry in drift:
        unknown = [c for c in entry.clauses if c not in catalogue.CATALOGUE]
        if unknown:
            raise pytest.UsageError(f"--epoll-expected {name}: unknown clauses {unknown}")
    return module


_MODULE = pytest.StashKey[ModuleType]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("epoll conformance", "epoll conformance suite")
    group.addoption(
        "--epoll-expected",
        metavar="NAME",
        default=None,
        help="known drift of the epoll under test (module NAME of conformance.expected): "
        "the tests it lists are strict expected failures",
    )


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("epoll_expected")
    if name is not None:
        config.stash[_MODULE] = load(name)


def pytest_report_header(config: pytest.Config) -> str | None:
    name = config.getoption("epoll_expected")
    return None if name is None else f"epoll expected drift: conformance/expected/{name}.py"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _MODULE not in config.stash:
        return
    name = config.getoption("epoll_expected")
    drift: list[Drift] = config.stash[_MODULE].DRIFT
    for item in items:
        entry = next((entry for entry in drift if entry.covers(item)), None)
        if entry is not None:
            reason = f"{name}: {entry.foreign}; Linux: {entry.linux}"
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


def _ignore(signum: int, frame: FrameType | None) -> None:
    """A late signal, held back by the emulator past the test that sent it."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    module = item.config.stash.get(_MODULE, None)
    signals: tuple[int, ...] = getattr(module, "CONTAIN_SIGNALS", ())
    if threading.current_thread() is not threading.main_thread():
        signals = ()
    previous = {signum: signal.signal(signum, _ignore) for signum in signals}
    try:
        yield
    finally:
        if previous:
            signal.pthread_sigmask(signal.SIG_BLOCK, [])  # the emulator delivers what it held
        for signum, handler in previous.items():
            signal.signal(signum, handler)
