"""No cyclic garbage: an epoll, a selector or an asyncio loop that dies in a reference cycle
leaves nothing behind for the cycle collector, as with select.epoll.

The situation: the object sits in a reference cycle (as event loops do, through their
callbacks), waits, is dropped and collected.  Whatever its death left unreachable but
uncollected shows up on a second collection under ``gc.DEBUG_SAVEALL``, which keeps every
object it would have freed in ``gc.garbage``.  (On 3.9-3.11, a ctypes array type made for
one buffer size and dropped with its buffer is such an object: ctypes caches those types only
weakly there, and a type refers to itself.)
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import select
import selectors
import subprocess
import sys
import weakref
from pathlib import Path
from typing import Any, Callable

import pytest

import pyepoll
import pyepoll.asyncio
import pyepoll.selectors
from pyepoll.backends import BACKEND_NAMES

ROOT = Path(__file__).resolve().parent.parent


class Cycle:
    """A holder that refers to itself, so that only the cycle collector frees what it holds."""

    def __init__(self, held: Any) -> None:
        self.held = held
        self.me = self


def epoll_waits(make: Callable[[], Any]) -> Callable[[], Cycle]:
    def build() -> Cycle:
        ep = make()
        ep.poll(0)
        ep.poll(0.001, 5000)  # a buffer larger than the default one
        return Cycle(ep)

    return build


def selector_waits(make: Callable[[], selectors.BaseSelector]) -> Callable[[], Cycle]:
    def build() -> Cycle:
        sel = make()
        sel.select(0)
        sel.select(0.001)
        return Cycle(sel)

    return build


def loop_runs(make: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[], Cycle]:
    def build() -> Cycle:
        loop = make()
        loop.run_until_complete(asyncio.sleep(0.001))
        loop.close()
        return Cycle(loop)

    return build


SUBJECTS: dict[str, Callable[[], Cycle]] = {
    # The reference: what select.epoll leaves (nothing).
    "select.epoll": epoll_waits(select.epoll),
    "selectors.EpollSelector": selector_waits(selectors.EpollSelector),
}
for _name in BACKEND_NAMES:
    SUBJECTS[f"pyepoll.epoll-{_name}"] = epoll_waits(
        functools.partial(pyepoll.epoll, backend=_name)
    )
    SUBJECTS[f"EpollSelector-{_name}"] = selector_waits(
        functools.partial(pyepoll.selectors.EpollSelector, backend=_name)
    )
    SUBJECTS[f"asyncio-loop-{_name}"] = loop_runs(
        functools.partial(pyepoll.asyncio.new_event_loop, backend=_name)
    )


def garbage_left(name: str) -> list[str]:
    """Build subject ``name`` in a cycle, drop it, collect, and return the type names of what
    a second collection under DEBUG_SAVEALL finds, and of the subject if it is still alive.

    PyPy has no gc.set_debug (its collector keeps no cyclic garbage aside): there the check
    is that the subject is freed and gc.garbage stays empty."""
    gc.collect()
    assert gc.garbage == []
    cycle = SUBJECTS[name]()
    held = weakref.ref(cycle)
    del cycle
    gc.collect()
    if hasattr(gc, "set_debug"):
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        gc.set_debug(0)
    else:
        # PyPy runs finalizers (the loop's and epoll's __del__) one collection after finding
        # them unreachable and frees the objects after that.
        gc.collect()
        gc.collect()
    left = [type(obj).__name__ for obj in gc.garbage]
    if held() is not None:
        left.append("alive: the cycle")
    gc.garbage.clear()
    return left


@pytest.mark.parametrize("name", SUBJECTS)
def test_death_in_a_cycle_leaves_no_garbage(name: str) -> None:
    # A fresh interpreter per subject: in this one, another test's buffer of the same size
    # could keep a ctypes type alive that the subject alone would leave as garbage.
    found = subprocess.run(
        [sys.executable, "-m", "tests.test_gc", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(found.stdout) == []


if __name__ == "__main__":
    print(json.dumps(garbage_left(sys.argv[1])))
