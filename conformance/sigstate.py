"""The signal state a test leaves behind, and putting it back (signal(7), sigprocmask(2)).

A wrong implementation can leave the calling thread with signals blocked (an epoll_pwait
emulated with pthread_sigmask that never restores the mask) and one of them pending. Nothing
happens until some later, innocent test unblocks it: if its disposition is then the default
one (SIGUSR1's is to terminate), the whole process dies in that test, blamed on the wrong
clause. So after every test the runner compares the main thread's mask with the one it had
before the first test, discards the pending signals that the restored mask would deliver
(sigtimedwait(2) with a zero timeout, or sigwait(3), takes a blocked pending signal without
running any handler), restores the mask, and fails the test that left the state, naming the
signals.
"""

from __future__ import annotations

import signal

_ALL = signal.valid_signals()


def _take(signum: int) -> None:
    """Take *signum*, blocked and pending, without running its handler."""
    if hasattr(signal, "sigtimedwait"):
        signal.sigtimedwait([signum], 0)
    else:  # PyPy 7.3 has no sigtimedwait; sigwait returns at once for a pending signal
        signal.sigwait([signum])


def blocked() -> set[int]:
    """The calling thread's blocked set, without changing it."""
    return {int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, ())}


def name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def names(signals: set[int]) -> str:
    return ", ".join(sorted(name(s) for s in signals))


def restore(baseline: set[int]) -> list[str]:
    """Put the calling thread's mask back to *baseline*, first discarding every pending signal
    that the restored mask would let through; what was found, in words (empty: nothing)."""
    found = []
    now = blocked()
    # Block everything while draining, so that no signal slips through between the checks.
    signal.pthread_sigmask(signal.SIG_BLOCK, _ALL)
    try:
        # sigpending(2): pending for this thread or the whole process; only a blocked signal
        # can still be pending, and those the baseline blocks too stay as they are.
        pending = {int(s) for s in signal.sigpending()} - baseline
        for signum in pending:
            _take(signum)
        if pending:
            found.append(f"left {names(pending)} pending (discarded)")
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, baseline)
    if now - baseline:
        found.append(f"left {names(now - baseline)} blocked")
    if baseline - now:
        found.append(f"left {names(baseline - now)} unblocked")
    return found
