"""Scaling: the cost of one wait that finds 1 ready fd among N watched idle fds.

    python -m benchmarks.scaling [--sizes 10,100,1000,10000] [--rounds 9] [--kind eventfd]

select(2) and poll(2) hand the kernel the whole fd set on every call and the kernel polls every
file in it, so a wait costs O(N). epoll keeps the interest list in the kernel and a ready list
filled by wakeup callbacks, so epoll_wait costs O(ready) (epoll(7)). Each wait here has timeout 0
and exactly one ready fd (a pipe with a byte in it); the other N - 1 are idle.

Idle fds are eventfds by default: one fd each, so N = 10,000 fits the fd limit and N = 1,000
stays below select's FD_SETSIZE (1024). ``--kind pipe`` or ``--kind socketpair`` take two fds per
idle fd; sizes that do not fit RLIMIT_NOFILE are skipped, and select.select is "n/a" wherever an
fd number reaches FD_SETSIZE. select.select also builds its fd_set from a Python list on every
call: that O(N) is part of what that API costs a Python program.

Every round times each implementation once, in a fresh random order, in batches of about 20 ms;
the tables give the median per-wait time over the rounds, and the pyepoll/select.epoll ratio
computed within each round (then the median).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import random
import select
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Callable

import pyepoll
from benchmarks import common

FD_SETSIZE = 1024
#: One wait with timeout 0; returns how many fds it found ready.
Wait = Callable[[], int]


def _eventfd() -> int:
    """An eventfd with counter 0: os.eventfd on 3.10+, the C library's on 3.9."""
    if hasattr(os, "eventfd"):
        return int(os.eventfd(0))
    libc = ctypes.CDLL(None, use_errno=True)
    fd = int(libc.eventfd(0, 0))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return fd


def idle_fds(kind: str, count: int, stack: ExitStack) -> list[int]:
    """``count`` fds that are never readable; everything opened is closed by ``stack``."""
    fds = []
    for _ in range(count):
        if kind == "eventfd":
            fd = _eventfd()
            stack.callback(os.close, fd)
        elif kind == "pipe":
            fd, w = os.pipe()
            stack.callback(os.close, fd)
            stack.callback(os.close, w)
        else:
            a, b = socket.socketpair()
            stack.enter_context(a)
            stack.enter_context(b)
            fd = a.fileno()
        fds.append(fd)
    return fds


def waiters(fds: list[int], stack: ExitStack) -> dict[str, Wait]:
    """One ``wait()`` per implementation, each watching ``fds`` for input, timeout 0."""
    result: dict[str, Wait] = {}
    if max(fds) < FD_SETSIZE:
        result["select.select"] = lambda: len(select.select(fds, [], [], 0)[0])
    poll = select.poll()
    epolls: dict[str, select.epoll | pyepoll.epoll] = {
        "select.epoll": stack.enter_context(select.epoll()),
        "pyepoll.epoll": stack.enter_context(pyepoll.epoll()),
        "pyepoll.epoll (syscall)": stack.enter_context(pyepoll.epoll(backend="syscall")),
    }
    for fd in fds:
        poll.register(fd, select.POLLIN)
        for ep in epolls.values():
            ep.register(fd, select.EPOLLIN)
    result["select.poll"] = lambda: len(poll.poll(0))
    for name, ep in epolls.items():
        result[name] = _bind_poll(ep)
    return result


def _bind_poll(ep: select.epoll | pyepoll.epoll) -> Wait:
    return lambda: len(ep.poll(0))


@contextmanager
def watched_set(kind: str, size: int) -> Iterator[dict[str, Wait]]:
    """``size`` watched fds, the last of them ready; yields the waiters."""
    with ExitStack() as stack:
        fds = idle_fds(kind, size - 1, stack)
        r, w = os.pipe()
        stack.callback(os.close, r)
        stack.callback(os.close, w)
        os.write(w, b"!")
        fds.append(r)
        waits = waiters(fds, stack)
        for name, wait in waits.items():
            assert wait() == 1, name
        yield waits


def per_call(wait: Wait, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        wait()
    return (time.perf_counter() - start) / calls


def measure(kind: str, size: int, rounds: int, batch: float) -> dict[str, list[float]]:
    """Seconds per wait, one sample per round, for each implementation."""
    with watched_set(kind, size) as waits:
        calls = {name: max(1, int(batch / per_call(w, 3))) for name, w in waits.items()}
        samples: dict[str, list[float]] = {name: [] for name in waits}
        for _ in range(rounds):
            order = list(waits)
            random.shuffle(order)
            for name in order:
                samples[name].append(per_call(waits[name], calls[name]))
        return samples


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--sizes", default="10,100,1000,10000", help="comma-separated N")
    p.add_argument("--rounds", type=int, default=9, help="timed rounds per N (median kept)")
    p.add_argument("--batch", type=float, default=0.02, help="seconds per timed batch")
    p.add_argument("--kind", choices=("eventfd", "pipe", "socketpair"), default="eventfd")
    p.add_argument("--no-plot", action="store_true")
    common.add_tag_option(p, "scaling-KIND")
    args = p.parse_args(argv)
    name = common.tagged(f"scaling-{args.kind}", args.tag)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.kind == "eventfd" and not hasattr(os, "eventfd"):
        print("os.eventfd needs Python 3.10+: idle fds are pipes")
        args.kind = "pipe"
    per_fd = 1 if args.kind == "eventfd" else 2
    limit = common.raise_nofile(max(sizes) * per_fd + 64)

    results: dict[int, dict[str, list[float]]] = {}
    for size in sizes:
        if size * per_fd + 32 > limit:
            print(f"N={size}: skipped, needs about {size * per_fd} fds, RLIMIT_NOFILE is {limit}")
            continue
        results[size] = measure(args.kind, size, args.rounds, args.batch)
    names = sorted({n for r in results.values() for n in r}, key=_order)

    medians = {n: {s: common.median(r.get(n, [])) * 1e6 for s, r in results.items()} for n in names}
    rows = [[s, *(medians[n][s] for n in names)] for s in results]
    say = common.Report(name)
    say(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {sys.version.split()[0]},"
        f" load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds of ~{args.batch} s"
        " batches per implementation")  # fmt: skip
    say(f"\nmicroseconds per wait, 1 ready fd among N ({args.kind}), median of {args.rounds}\n")
    say(common.table(["N", *names], rows))

    ratio_rows = []
    for size, r in results.items():
        ratios = [a / b for a, b in zip(r["pyepoll.epoll"], r["select.epoll"])]
        sys_ratios = [a / b for a, b in zip(r["pyepoll.epoll (syscall)"], r["select.epoll"])]
        ratio_rows.append([size, common.median(ratios), common.median(sys_ratios)])
    say("\ntime per wait relative to select.epoll in the same round (median; < 1 is faster)\n")
    say(common.table(["N", "pyepoll.epoll", "pyepoll.epoll (syscall)"], ratio_rows))

    saved = common.save_json(name, {str(s): r for s, r in results.items()})
    print(f"\nsamples: {saved}\ntables: {say.save()}")
    if not args.no_plot:
        png = common.plot_lines(
            name,
            medians,
            title=f"One wait, 1 ready fd among N watched ({args.kind}), timeout 0",
            xlabel="N watched fds",
            ylabel="microseconds per wait (median)",
            logy=True,
        )
        if png:
            print(f"plot: {png}")
    return 0


def _order(name: str) -> int:
    order = ["select.select", "select.poll", "select.epoll", "pyepoll.epoll"]
    return order.index(name) if name in order else len(order)


if __name__ == "__main__":
    raise SystemExit(main())
