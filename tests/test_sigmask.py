"""epoll_pwait / epoll_pwait2 / poll(sigmask=): the thread's signal mask is replaced by the
given set for the duration of the wait, atomically, and restored afterwards (epoll_wait(2),
epoll_pwait)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable
from typing import Callable, Optional

import pytest

import pyepoll
from tests.signals import (
    OTHER_SIGNAL,
    SIGNAL,
    HandlerRan,
    Pester,
    Recorder,
    make_pending,
    recording_handler,
)

#: A wait of ``timeout`` seconds on an epoll fd with ``sigmask``, through one public API.
MaskedWait = Callable[[int, str, float, Optional[Iterable[int]]], object]


def _pwait(epfd: int, backend: str, timeout: float, mask: Iterable[int] | None) -> object:
    return pyepoll.epoll_pwait(epfd, 1, round(timeout * 1000), mask, backend=backend)


def _pwait2(epfd: int, backend: str, timeout: float, mask: Iterable[int] | None) -> object:
    return pyepoll.epoll_pwait2(epfd, 1, round(timeout * 1e9), mask, backend=backend)


def _poll(epfd: int, backend: str, timeout: float, mask: Iterable[int] | None) -> object:
    with pyepoll.epoll.fromfd(os.dup(epfd), backend=backend) as ep:
        return ep.poll(timeout, sigmask=mask)


WAITS = {"epoll_pwait": _pwait, "epoll_pwait2": _pwait2, "poll": _poll}


@pytest.fixture(params=sorted(WAITS))
def masked_wait(request: pytest.FixtureRequest) -> MaskedWait:
    return WAITS[request.param]


# (mask during the wait, whether a pending SIGUSR1 interrupts it)
MASKS = [
    ([], True),
    ([OTHER_SIGNAL], True),
    ([SIGNAL], False),
    ([SIGNAL, OTHER_SIGNAL], False),
    (None, False),  # None leaves the thread's mask alone, and SIGUSR1 is blocked there
]


@pytest.mark.parametrize(("mask", "interrupted"), MASKS, ids=[str(m) for m, _ in MASKS])
def test_pending_signal_is_delivered_only_if_the_mask_unblocks_it(
    backend: str,
    epfd: int,
    sigusr1: Recorder,
    masked_wait: MaskedWait,
    mask: list[int] | None,
    interrupted: bool,
) -> None:
    make_pending()
    sigusr1.raise_next = True
    if interrupted:
        with pytest.raises(HandlerRan):
            masked_wait(epfd, backend, 10.0, mask)
    else:
        assert masked_wait(epfd, backend, 0.05, mask) == []
        assert sigusr1.times == []
        assert SIGNAL in signal.sigpending()


def test_thread_mask_is_restored_after_the_wait(
    backend: str, epfd: int, sigusr1: Recorder, masked_wait: MaskedWait
) -> None:
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    masked_wait(epfd, backend, 0.0, [SIGNAL, OTHER_SIGNAL])
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before


def test_signal_arriving_during_the_wait_is_held_until_it_ends(
    backend: str, epfd: int, sigusr1: Recorder, masked_wait: MaskedWait
) -> None:
    timeout = 0.5
    start = time.monotonic()
    with Pester(delay=0.05, count=1) as pester:
        masked_wait(epfd, backend, timeout, [SIGNAL])
        end = time.monotonic()
    assert pester.sent and pester.sent[0] < end, "the signal was not sent during the wait"
    # Unblocked, the handler would run at once (about 0.05 s in); blocked, only once the mask
    # is restored when the wait ends.
    assert sigusr1.times and sigusr1.times[0] - start >= timeout


#: Signals in every word and at both ends of the kernel's 64-bit set: a wrong bit layout of
#: the mask shows up as the wrong signal blocked.
EDGE_SIGNALS = {
    "SIGHUP-1": signal.SIGHUP,
    "SIGRTMIN": signal.SIGRTMIN,
    "SIGRTMAX-64": signal.SIGRTMAX,
}


@pytest.mark.parametrize("signum", EDGE_SIGNALS.values(), ids=EDGE_SIGNALS.keys())
@pytest.mark.parametrize("blocked", [True, False], ids=["in-mask", "not-in-mask"])
def test_mask_bit_layout_blocks_exactly_the_listed_signal(
    backend: str,
    epfd: int,
    masked_wait: MaskedWait,
    signum: int,
    blocked: bool,
) -> None:
    neighbours = [n for n in (signum - 1, signum + 1) if 0 < n < signal.NSIG and n != 32]
    mask = [signum] if blocked else neighbours
    with recording_handler(signum) as recorder:
        make_pending(signum)
        recorder.raise_next = True
        if blocked:
            assert masked_wait(epfd, backend, 0.05, mask) == []
            assert recorder.times == []
        else:
            with pytest.raises(HandlerRan):
                masked_wait(epfd, backend, 10.0, mask)
