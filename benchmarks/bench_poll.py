"""Cost of ``epoll.poll(0)`` and ``poll(0.0)``: pyepoll (every backend and FFI) against
select.epoll, as ratios, in one process.

Each case builds one select.epoll and one pyepoll.epoll per backend (``kind+ffi``, see
``pyepoll.BACKEND_NAMES``) watching the same N ready fds (pipes with a byte buffered, so every
fd stays ready: level-triggered), then times the implementations in interleaved batches, in a
fresh random order each round.  ``poll(0)`` is what event loops call between callbacks;
``poll(0.0)`` is what the selectors module passes (a float), which takes pyepoll's general
path.  Only ratios are reported, each computed within one round (both sides saw the same
moment of a shared machine; each round keeps each implementation's best of 3 batches): the
median over rounds is the typical cost, the worst round the spread; the load average before
and after is printed with the table.

The ``ctypes floor`` column is not an implementation: it is the least that any binding written
in Python over ctypes can do per ``poll(0)``, a method that makes the raw ``epoll_wait`` call
(GIL kept, errno not captured, as pyepoll's fast path) and builds the result list from the
buffer, with no argument checks, no keyword-only parameter, no buffer pool (so it is not
thread-safe) and no attribute lookups (a closure over locals). A binding that keeps
select.epoll's checks and is thread-safe costs more than the floor.

Run: ``python -m benchmarks.bench_poll [--rounds 15] [--calls 2000] [--ready 1,64,1000]``
"""

from __future__ import annotations

import argparse
import os
import random
import select
import statistics
import sys
import time
from typing import Callable, Union

import pyepoll
from pyepoll.buffer import FD_WORD, EventBuffer
from pyepoll.epollobject import DEFAULT_MAXEVENTS

READY_COUNTS = (1, 64, 1000)
#: Batches per implementation and round; a round keeps each one's best.
BATCHES = 3
clock = time.perf_counter
TIMEOUTS = (0, 0.0)

#: The issue's targets, pyepoll / select.epoll at most this, per ready count and interpreter.
TARGETS = {
    "PyPy": {1: 1.3, 64: 1.1, 1000: 1.0},
    "CPython": {1: 1.5},
}


class Floor:
    """The floor described in the module docstring.  ``poll`` (which ignores its timeout: it is
    always 0) is a closure over locals stored on the instance, so a call costs no attribute
    lookup and no bound method."""

    def __init__(self) -> None:
        self.epoll = pyepoll.epoll(backend="libc+ctypes")
        call = self.epoll.backend.wait_fast
        epfd = self.epoll.fileno()
        buffer = EventBuffer(DEFAULT_MAXEVENTS, self.epoll.backend.ffi)
        pointer, fd_words, event_words, fds = (
            buffer.pointer,
            buffer.fd_words,
            buffer.event_words,
            buffer.fds,
        )

        def poll(timeout: float, fd_word: int = FD_WORD) -> list[tuple[int, int]]:
            count = call(epfd, pointer, DEFAULT_MAXEVENTS, 0)
            if count == 1:
                return [(fd_words[fd_word], event_words[0])]
            return fds(count)

        self.poll = poll

    def register(self, fd: int, mask: int) -> None:
        self.epoll.register(fd, mask)

    def close(self) -> None:
        self.epoll.close()


Poller = Union[select.epoll, pyepoll.epoll, Floor]


def _ready_pipes(count: int) -> list[tuple[int, int]]:
    pipes = []
    for _ in range(count):
        r, w = os.pipe()
        os.write(w, b"x")
        pipes.append((r, w))
    return pipes


_LOOP = """
def per_call(poll, timeout, calls, clock):
    start = clock()
    for _ in range(calls):
        poll(timeout)
    return (clock() - start) / calls
"""


def _timer() -> Callable[[Callable[[float], object], float, int, Callable[[], float]], float]:
    # A timing loop of its own for each implementation: PyPy's JIT compiles a loop per code
    # object, and one loop shared by all implementations would be compiled for the first
    # and then run a chain of guards for the others.
    namespace: dict[str, Callable[..., float]] = {}
    exec(compile(_LOOP, "<bench_poll>", "exec"), namespace)
    return namespace["per_call"]


def measure(ready: int, timeout: float, rounds: int, calls: int) -> dict[str, list[float]]:
    """Per implementation, the seconds per ``poll(timeout)`` call in each round (its best
    batch of the round)."""
    pipes = _ready_pipes(ready)
    pollers: dict[str, Poller] = {"select": select.epoll()}
    for name in pyepoll.BACKEND_NAMES:
        pollers[name] = pyepoll.epoll(backend=name)
    pollers["ctypes floor"] = Floor()
    try:
        timers = {name: _timer() for name in pollers}
        for name, poller in pollers.items():
            for r, _ in pipes:
                poller.register(r, select.EPOLLIN)
            assert len(poller.poll(timeout)) == ready
            timers[name](poller.poll, timeout, calls, clock)  # warm-up: PyPy's JIT compiles
        samples: dict[str, list[float]] = {name: [] for name in pollers}
        order = list(pollers)
        for _ in range(rounds):
            # A round: BATCHES batches of each, interleaved in random order, the best kept.
            best = dict.fromkeys(pollers, float("inf"))
            for _ in range(BATCHES):
                random.shuffle(order)
                for name in order:
                    per_call = timers[name](pollers[name].poll, timeout, calls, clock)
                    best[name] = min(best[name], per_call)
            for name in pollers:
                samples[name].append(best[name])
        return samples
    finally:
        for poller in pollers.values():
            poller.close()
        for r, w in pipes:
            os.close(r)
            os.close(w)


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per case")
    parser.add_argument("--calls", type=int, default=1000, help="calls per timed batch (1 fd)")
    parser.add_argument("--ready", default=",".join(map(str, READY_COUNTS)), help="ready fds")
    args = parser.parse_args()
    implementation = sys.implementation.name.replace("pypy", "PyPy").replace("cpython", "CPython")
    targets = TARGETS.get(implementation, {})
    names = [*pyepoll.BACKEND_NAMES, "ctypes floor"]
    print(
        f"{implementation} {sys.version.split()[0]}, {args.rounds} interleaved rounds; "
        f"load average before: {_load()}\n"
        "cells: median ratio pyepoll / select.epoll over rounds (worst round), "
        "select.epoll's median µs per call\n"
    )
    print("| ready fds | timeout | select.epoll | " + " | ".join(names) + " | target |")
    print("|---:|---:|---:|" + "---:|" * len(names) + "---:|")
    for ready in (int(n) for n in args.ready.split(",")):
        calls = max(20, args.calls * 4 // ready) if ready > 1 else args.calls
        for timeout in TIMEOUTS:
            samples = measure(ready, timeout, args.rounds, calls)
            base = samples["select"]
            cells = []
            for name in names:
                ratios = [mine / theirs for mine, theirs in zip(samples[name], base)]
                cells.append(f"{statistics.median(ratios):.2f}x ({max(ratios):.2f}x)")
            target = targets.get(ready)
            row = [
                str(ready),
                repr(timeout),
                f"{statistics.median(base) * 1e6:.2f} µs",
                *cells,
                f"<= {target}x" if target else "",
            ]
            print("| " + " | ".join(row) + " |", flush=True)
    print(f"\nload average after: {_load()}")


if __name__ == "__main__":
    main()
