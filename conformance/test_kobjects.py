"""Self-checks of the suite's leak accounting (:func:`conformance.kobjects.opened_since`): its
verdict must not depend on when a garbage collector runs."""

from __future__ import annotations

import gc
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from conformance.kobjects import open_files, opened_since


class Cycle:
    """An object that refers to itself: only a collection frees it."""

    def __init__(self) -> None:
        self.me = self


def devnull_held_by(owner: Cycle) -> int:
    """/dev/null, closed by a finalizer when *owner* is collected: once *owner* is garbage,
    what a forgotten file object of an earlier test looks like."""
    fd = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    weakref.finalize(owner, os.close, fd)
    return fd


@contextmanager
def collected_afterwards() -> Iterator[int]:
    """A descriptor that garbage holds, open inside the block, collected (closed) at its end."""
    owner = Cycle()
    yield devnull_held_by(owner)
    del owner
    for _ in range(4):
        gc.collect()


def test_a_descriptor_closed_by_a_collection_is_not_a_leak() -> None:
    with collected_afterwards() as fd:
        before = open_files()
    assert fd not in {number for number, _ in open_files()}
    assert opened_since(before) == frozenset()


def test_a_new_file_at_a_reused_number_is_seen() -> None:
    with collected_afterwards() as fd:
        before = open_files()
    zero = os.open("/dev/zero", os.O_RDONLY | os.O_CLOEXEC)
    try:
        assert zero == fd  # one closed, one opened: a count of descriptors sees nothing
        assert opened_since(before) == {(zero, "/dev/zero")}
    finally:
        os.close(zero)


def test_garbage_that_holds_a_new_descriptor_is_collected_first() -> None:
    before = open_files()
    devnull_held_by(Cycle())
    assert opened_since(before) == frozenset()
