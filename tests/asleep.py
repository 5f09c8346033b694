"""Look at a thread while it sleeps in a wait syscall: the syscall's arguments
(``/proc/self/task/<tid>/syscall``) and the thread's blocked signals (``SigBlk`` in
``/proc/self/task/<tid>/status``), then end the wait with an event."""

from __future__ import annotations

import threading
from typing import Callable

import pytest

from conformance import procview
from conformance.timing import sleeping_in_wait, until_sleeping_in_wait, wait_arguments
from tests.kernel import eventfd_add

__all__ = ["blocked_signals", "while_asleep"]


def blocked_signals(native_id: int) -> set[int]:
    """The signal numbers thread *native_id* of this process blocks now."""
    mask = procview.blocked_signals(native_id)
    if mask is None:
        raise AssertionError(f"no SigBlk line for thread {native_id}")
    return {bit + 1 for bit in range(mask.bit_length()) if mask >> bit & 1}


def while_asleep(
    wait: Callable[[], object], efd: int, look: Callable[[list[int], int], object]
) -> tuple[object, object]:
    """Run *wait* in a thread; once it sleeps in a wait syscall, ``look(arguments, tid)`` at
    it (the syscall's six arguments and the thread's id), then make the eventfd *efd*
    readable to end the wait.  Return what was seen and what the wait returned."""
    results: list[object] = []
    waiter = threading.Thread(target=lambda: results.append(wait()))
    waiter.start()
    try:
        assert waiter.native_id is not None
        until_sleeping_in_wait(waiter.native_id)
        if sleeping_in_wait(waiter.native_id) is None:
            pytest.skip("the arguments of a sleeping syscall are not visible on this system")
        arguments = wait_arguments(waiter.native_id)
        assert arguments is not None, "the wait never slept"
        seen = look(arguments, waiter.native_id)
    finally:
        eventfd_add(efd)
        waiter.join()
    return seen, results[0]
