"""Descriptor-leak accounting whose verdict does not depend on when a collector runs.

It compares descriptor *tables* (:func:`tests.kernel.fd_table`: number and target), never
counts: a count goes negative when a garbage collector closes, in the middle of a test, a
descriptor that garbage from an earlier test held (PyPy collects at any allocation; an honest
fuzz example once failed with "-8 descriptors leaked"), and a reused number hides a leak.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator

from tests.kernel import FdTable, fd_table

#: At most this many collections before :func:`leaked_since` calls a descriptor leaked.
MAX_COLLECTIONS = 4


def leaked_since(before: FdTable) -> FdTable:
    """The descriptors open now that were not in *before*, once garbage is collected.

    The answer does not depend on when a collector runs: a descriptor of *before* closed in
    between (by the code under test, or by a collection of garbage that held it) is simply
    absent, never a negative leak, and a new descriptor that only garbage holds is closed by
    collecting. One gc.collect() is not always enough: PyPy finalizes an object reachable
    from another finalizable object only in a later collection. A reused number with the same
    target (every epoll fd reads ``anon_inode:[eventpoll]``) is the one thing this misses.
    """
    leaked = fd_table() - before
    for _ in range(MAX_COLLECTIONS):
        if not leaked:
            break
        gc.collect()
        leaked = fd_table() - before
    return leaked


def assert_no_leak(before: FdTable) -> None:
    """Fail unless every descriptor opened since *before* is closed (see :func:`leaked_since`)."""
    leaked = leaked_since(before)
    assert not leaked, f"descriptors left open: {sorted(leaked)}"


class Abandoned:
    """Garbage that holds a descriptor (/dev/null), as a forgotten file object does: it sits
    in a reference cycle, so only a collection finalizes it, and its finalizer closes the
    descriptor. Drop the last outside reference to make it garbage."""

    def __init__(self) -> None:
        self.fd = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self.cycle = self

    def __del__(self) -> None:
        os.close(self.fd)


@contextlib.contextmanager
def abandoned_descriptors(count: int = 1) -> Iterator[list[int]]:
    """*count* descriptors that only garbage holds, open inside the block and closed by
    collecting the garbage at its end: what a collector does in the middle of a test."""
    held = [Abandoned() for _ in range(count)]
    yield [garbage.fd for garbage in held]
    del held
    for _ in range(MAX_COLLECTIONS):
        gc.collect()
