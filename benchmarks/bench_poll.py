"""Cost of ``epoll.poll(0)``: pyepoll against select.epoll, as ratios, in one process.

Each round builds one select.epoll and one pyepoll.epoll per backend watching the same N ready
fds (eventfd-like pipes with a byte buffered, so every fd stays ready: level-triggered), then
times the implementations in interleaved batches and keeps, per implementation, the best
batch (the least disturbed by the rest of a shared machine).  Only ratios are reported: they
compare like with like inside one process at one moment.

Run: ``python -m benchmarks.bench_poll [--batches 30] [--calls 2000]``
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import time
from typing import Callable

import pyepoll

READY_COUNTS = (1, 64, 1000)


def _ready_pipes(count: int) -> list[tuple[int, int]]:
    pipes = []
    for _ in range(count):
        r, w = os.pipe()
        os.write(w, b"x")
        pipes.append((r, w))
    return pipes


def _best_per_call(poll: Callable[[float], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        poll(0)
    return (time.perf_counter() - start) / calls


def measure(ready: int, batches: int, calls: int) -> dict[str, float]:
    """Best seconds per ``poll(0)`` call for each implementation, with *ready* ready fds."""
    pipes = _ready_pipes(ready)
    pollers: dict[str, select.epoll | pyepoll.epoll] = {"select": select.epoll()}
    for name in pyepoll.BACKEND_NAMES:
        pollers[f"pyepoll-{name}"] = pyepoll.epoll(backend=name)
    try:
        for poller in pollers.values():
            for r, _ in pipes:
                poller.register(r, select.EPOLLIN)
            assert len(poller.poll(0)) == ready
        best = dict.fromkeys(pollers, float("inf"))
        for _ in range(batches):
            for name, poller in pollers.items():
                best[name] = min(best[name], _best_per_call(poller.poll, calls))
        return best
    finally:
        for poller in pollers.values():
            poller.close()
        for r, w in pipes:
            os.close(r)
            os.close(w)


#: The issue's targets: pyepoll-libc / select.epoll at most this, per ready count.
TARGETS = {1: 1.5, 64: 1.1, 1000: 1.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--batches", type=int, default=30, help="interleaved timed batches (the best is kept)"
    )
    parser.add_argument("--calls", type=int, default=2000, help="poll(0) calls per batch")
    args = parser.parse_args()
    names = [f"pyepoll-{name}" for name in pyepoll.BACKEND_NAMES]
    print(f"Python {sys.version.split()[0]}, best of {args.batches} interleaved batches\n")
    print("| ready fds | select.epoll | " + " | ".join(names) + " | target (libc) |")
    print("|---:|---:|" + "---:|" * len(names) + "---:|")
    for ready in READY_COUNTS:
        calls = max(20, args.calls * 4 // ready) if ready > 1 else args.calls
        best = measure(ready, args.batches, calls)
        base = best["select"]
        cells = [f"{best[name] * 1e6:.2f} µs ({best[name] / base:.2f}x)" for name in names]
        row = [str(ready), f"{base * 1e6:.2f} µs", *cells, f"<= {TARGETS[ready]}x"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
