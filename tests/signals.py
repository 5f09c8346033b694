"""Signals for the EINTR and signal-mask tests: a recording SIGUSR1 handler and a thread that
sends SIGUSR1 to the main thread.

``signal.pthread_kill`` aims at the main thread, where Python runs handlers and where the
tests wait, so the wait really is interrupted (a process-directed signal may be taken by any
thread that does not block it).  The first signal goes out only once the main thread is seen
asleep in a wait syscall: sent earlier, it would be handled before the wait (proving
nothing), or, landing just before the syscall, left unhandled until the wait ends.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

from conformance.timing import until_sleeping_in_wait

SIGNAL = signal.SIGUSR1
OTHER_SIGNAL = signal.SIGUSR2


class HandlerRan(Exception):
    """Raised by the SIGUSR1 handler when asked to."""


class Recorder:
    """A SIGUSR1 handler that records when it ran and can raise :class:`HandlerRan` once."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.raise_next = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.times.append(time.monotonic())
        if self.raise_next:
            self.raise_next = False
            raise HandlerRan(signum)


@contextlib.contextmanager
def recording_handler(signum: int = SIGNAL) -> Iterator[Recorder]:
    """Install a :class:`Recorder` for ``signum``; restore the mask and the handler afterwards."""
    assert threading.current_thread() is threading.main_thread(), "signals need the main thread"
    recorder = Recorder()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    previous = signal.signal(signum, recorder)
    try:
        yield recorder
    finally:
        # A signal the test left pending is delivered, harmlessly, when the mask is restored
        # (sigtimedwait would consume it, but PyPy lacks it).
        recorder.raise_next = False
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signum, previous)


def make_pending(signum: int = SIGNAL) -> None:
    """Block ``signum`` in this (the main) thread and send it, so that it is pending."""
    signal.pthread_sigmask(signal.SIG_BLOCK, [signum])
    signal.pthread_kill(threading.get_ident(), signum)
    assert signum in signal.sigpending()


class Pester:
    """Sends SIGUSR1 to the main thread every ``interval`` seconds, starting ``delay`` seconds
    in and once the main thread sleeps in a wait, until stopped or until ``limit`` seconds have
    passed; at most ``count`` times."""

    def __init__(
        self, delay: float, interval: float = 0.02, limit: float = 3.0, count: int = 10**6
    ) -> None:
        main = threading.main_thread()
        assert main.ident is not None and main.native_id is not None
        self._target, self._native_id = main.ident, main.native_id
        self._delay, self._interval, self._limit, self._count = delay, interval, limit, count
        self._stop = threading.Event()
        self.sent: list[float] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self._target is not None
        start = time.monotonic()
        if self._stop.wait(self._delay):
            return
        until_sleeping_in_wait(self._native_id, self._stop)
        while len(self.sent) < self._count and time.monotonic() - start < self._limit:
            if self._stop.is_set():  # never a signal once the test has stopped pestering
                return
            self.sent.append(time.monotonic())
            signal.pthread_kill(self._target, SIGNAL)
            if self._stop.wait(self._interval):
                return

    def until_sent(self, count: int, limit: float = 30.0) -> None:
        """Return once ``count`` signals have been sent (or after ``limit`` seconds)."""
        deadline = time.monotonic() + limit
        while len(self.sent) < count and time.monotonic() < deadline:
            time.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def __enter__(self) -> Pester:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
