"""Time bounds measured on the running machine, for "immediately" and "promptly".

A sentence like "return immediately" or "will cause the epoll_wait() call to unblock" puts no
number on the time; what it rules out is *sleeping*: a call that returns immediately does not
wait for a timer, and a wait that an event ends returns as soon as the thread is woken. So
the bounds here are built from what this machine takes for the things the sentence allows
(the implementation's own cost of a call that cannot sleep, the kernel waking a thread) plus
the least time any sleep takes here, measured the same way.

Every measurement is the *best* of several tries: a loaded machine preempts a thread for
milliseconds at a time, but not on every try, and one unpreempted try shows what the call
costs. For the same reason a trial against a bound passes when one of several tries comes in
under it (:func:`best_of`); a call that sleeps every time never does.
"""

from __future__ import annotations

import os
import select
import time
from typing import Callable, TypeVar

from conformance.timing import later

T = TypeVar("T")

#: How many times a measurement or a trial is repeated, at most.
TRIES = 20
#: A trial stops repeating once this many seconds have gone by (a call that sleeps a second
#: each time then costs a few seconds, not TRIES).
BUDGET = 2.0
#: A sleep too short for any timer: it shows what the least sleep costs here.
_TINY_SLEEP = 1e-6
#: How far one reading of the clock the durations are measured with may be off.
CLOCK_RESOLUTION = time.get_clock_info("monotonic").resolution


def elapsed(action: Callable[[], object]) -> float:
    """Monotonic seconds *action* took."""
    start = time.monotonic()
    action()
    return time.monotonic() - start


def quickest(action: Callable[[], object], tries: int = TRIES) -> float:
    """The least time *action* took over *tries* calls."""
    return min(elapsed(action) for _ in range(tries))


def shortest_sleep() -> float:
    """The least time a sleep takes on this machine: a timer expiry plus a switch out of the
    thread and back, and the timer slack the kernel adds to every sleep (50 µs by default,
    ``/proc/self/timerslack_ns``). A call faster than this did not sleep."""
    return quickest(lambda: time.sleep(_TINY_SLEEP), 10)


def best_of(trial: Callable[[], float], bound: float) -> list[float]:
    """Run *trial* (which returns a duration) until one duration is at most *bound*, at most
    TRIES times and for about BUDGET seconds; return the durations seen, the last first."""
    seen: list[float] = []
    deadline = time.monotonic() + BUDGET
    while len(seen) < TRIES:
        seen.insert(0, trial())
        if seen[0] <= bound or time.monotonic() > deadline:
            break
    return seen


def within(bound: float, trial: Callable[[], float], what: str) -> None:
    """Assert that *trial* (which returns a duration) comes in under *bound* at least once in
    several tries (:func:`best_of`); *what* names the duration in the failure message."""
    seen = best_of(trial, bound)
    shown = ", ".join(f"{t * 1e6:.0f}" for t in seen[:5])
    assert seen[0] <= bound, f"{what} never took {bound * 1e6:.0f} µs or less ({shown} µs...)"


def not_sleeping(own_cost: float) -> float:
    """A bound on a call that must not sleep, from *own_cost*, the best time of the
    implementation's own calls that cannot sleep (an epoll_ctl pair, say).

    Four times *own_cost* covers the work a wait does beyond those calls (a buffer to fill, a
    list to build); on top of it, less than the shortest sleep: a call that waited for any
    timer at all, even one of a single nanosecond, takes at least that; and the error of the
    two clock readings a duration is made of. A wait of one millisecond (the resolution of
    epoll_wait's timeout) is well above the bound.
    """
    return 4 * own_cost + shortest_sleep() + 2 * CLOCK_RESOLUTION


def wake_latency(wait: Callable[[], T], wake: Callable[[], object]) -> tuple[T, float]:
    """Run *wait* in this thread; once it sleeps in a wait syscall, run *wake* in another;
    return *wait*'s result and the seconds from just before *wake* to the end of *wait*
    (infinite if *wait* ended before *wake* was run)."""
    with later(wake, delay=0.0) as woken:
        result = wait()
        end = time.monotonic()
    return result, (end - woken.started if woken.started is not None else float("inf"))


def reference_wake_latency() -> float:
    """The best time, on this machine, from a pipe write to the end of a wait it ends, for a
    thread asleep in select(2) (not epoll: the suite does not measure epoll with epoll): the
    kernel's wake-up, the switch to the thread, and the interpreter handing it the GIL."""
    r, w = os.pipe()
    try:

        def trial() -> float:
            _, took = wake_latency(
                lambda: select.select([r], [], [], 10.0), lambda: os.write(w, b"x")
            )
            os.read(r, 1)
            return took

        return min(trial() for _ in range(5))
    finally:
        os.close(r)
        os.close(w)


def prompt(own_cost: float) -> float:
    """A bound on the time from an event to the end of a wait it ends, from *own_cost*, the
    best time of the implementation's own calls that cannot sleep, and the reference
    wake-up of :func:`reference_wake_latency`.

    Twice the reference covers the difference between two best-of-several samples of the same
    wake-up; four times *own_cost* the implementation's work on either side of the syscall
    (the event to convert, or the epoll_ctl that makes the event); the shortest sleep the
    remaining jitter of a timer-free path. An implementation that finds the event only at its
    next timer tick, or returns it late, is above the bound.
    """
    return 2 * reference_wake_latency() + not_sleeping(own_cost)
