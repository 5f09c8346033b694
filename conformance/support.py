"""What the tests assert with, and how they report the outcomes that are not pass or fail.

Outcomes travel as pytest skips with a fixed prefix, so that plain pytest shows them as skips
with a readable reason and the runner (:mod:`conformance.collect`) can tell them apart:

* ``n/a:`` the adapter cannot express the clause (it lacks a capability);
* ``implementation-defined:`` the implementation met what the spec requires but differs from
  Linux where the spec leaves the detail open; the reason says how;
* any other skip: a real reason, e.g. the kernel predates the feature.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable, NamedTuple

import pytest

from conformance.adapters import FROMFD, Adapter, Instance
from conformance.flags import EPOLLIN, describe
from conformance.kobjects import Resources, close_quietly, kernel_version
from conformance.timing import Delayed

NOT_APPLICABLE = "n/a: "
IMPLEMENTATION_DEFINED = "implementation-defined: "


def require(impl: Adapter, *capabilities: str) -> None:
    """Report n/a unless *impl* has every capability."""
    missing = [c for c in capabilities if not impl.has(c)]
    if missing:
        pytest.skip(f"{NOT_APPLICABLE}{impl.name} lacks capability {', '.join(missing)}")


def require_kernel(version: tuple[int, ...] | None) -> None:
    """Skip (a real reason) when the running kernel predates *version*."""
    if version is not None and kernel_version() < version:
        have = ".".join(map(str, kernel_version()))
        pytest.skip(f"needs Linux {'.'.join(map(str, version))}, running {have}")


def implementation_defined(
    observed: object, linux: object, what: str, reference: str = "Linux"
) -> None:
    """Report the difference, not a failure, when *observed* differs from Linux's *linux* (or
    from what another *reference*, such as CPython, does)."""
    if observed != linux:
        pytest.skip(f"{IMPLEMENTATION_DEFINED}{what}: observed {observed!r}, {reference} {linux!r}")


def errno_name(code: int | None) -> str:
    return errno.errorcode.get(code or 0, str(code))


@contextmanager
def raises_errno(expected: int) -> Iterator[None]:
    """Assert that the block raises OSError carrying errno *expected*."""
    try:
        yield
    except OSError as exc:
        if exc.errno != expected:
            raise AssertionError(
                f"expected {errno_name(expected)}, got {errno_name(exc.errno)}: {exc!r}"
            ) from exc
    else:
        raise AssertionError(f"expected OSError {errno_name(expected)}, nothing was raised")


def ready(ep: Instance, timeout_ms: int = 0, maxevents: int = 64) -> dict[int, int]:
    """One poll, as ``{fd or data: events}``; a key reported twice is a failure."""
    events = ep.poll(timeout_ms, maxevents)
    table = dict(events)
    assert len(table) == len(events), f"a key was reported twice: {events}"
    return table


def assert_events(ep: Instance, expected: dict[int, int], timeout_ms: int = 0) -> None:
    """One poll reports exactly *expected* (key -> events)."""
    got = ready(ep, timeout_ms)
    shown = {k: describe(v) for k, v in got.items()}
    want = {k: describe(v) for k, v in expected.items()}
    assert got == expected, f"poll reported {shown}, expected {want}"


def nest(impl: Adapter, res: Resources, depth: int) -> list[Instance]:
    """A chain of *depth* instances, each registered in the next."""
    chain = [res.epoll(impl) for _ in range(depth)]
    for inner, outer in zip(chain, chain[1:]):
        outer.register(inner.fileno(), EPOLLIN)
    return chain


def ready_pipes(ep: Instance, res: Resources, count: int) -> list[int]:
    """*count* readable pipes registered (level-triggered) in *ep*, in order; their read ends."""
    fds = []
    for _ in range(count):
        r, w = res.pipe()
        os.write(w, b"x")
        ep.register(r, EPOLLIN)
        fds.append(r)
    return fds


@contextmanager
def wrapping(impl: Adapter, make_fd: Callable[[], int]) -> Iterator[Instance]:
    """An instance of *impl* around the descriptor *make_fd* returns (capability fromfd;
    checked first, so that nothing is opened for an adapter that cannot), closed quietly
    afterwards: closing the instance closes the descriptor."""
    require(impl, FROMFD)
    instance = impl.fromfd(make_fd())
    try:
        yield instance
    finally:
        close_quietly(instance.close)  # the descriptor may never have been open


class ClosedBehindDup(NamedTuple):
    closed: int  #: the registered number, now closed
    dup: int  #: a duplicate that keeps the open file (and the registration) alive
    writer: int  #: the pipe's write end


def closed_behind_dup(ep: Instance, res: Resources) -> ClosedBehindDup:
    """The epoll(7) Q6 situation: a pipe's read end registered (EPOLLIN), duplicated, then
    closed, so that the registration outlives its descriptor number."""
    r, w = res.pipe()
    dup = res.fd(os.dup(r))
    ep.register(r, EPOLLIN)
    res.close_fd(r)
    return ClosedBehindDup(r, dup, w)


class Stopwatch:
    """Elapsed monotonic seconds of a block: ``with Stopwatch() as sw: ...; sw.elapsed``."""

    def __enter__(self) -> Stopwatch:
        self.start = time.monotonic()
        self.elapsed = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.end = time.monotonic()
        self.elapsed = self.end - self.start

    def ended_after(self, delayed: Delayed) -> bool:
        """The block ended after the delayed action started (so it waited for it)."""
        return delayed.started is not None and self.end >= delayed.started
