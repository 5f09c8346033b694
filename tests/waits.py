"""Every public way to wait, behind one signature, for tests that must hold for all of them."""

from __future__ import annotations

import math
import os
from typing import Callable, Optional

import pyepoll

#: A wait on ``epfd`` for ``timeout`` seconds (None blocks), through one public API.
TimedWait = Callable[[int, str, Optional[float]], "list[tuple[int, int]]"]


def _ms(timeout: float | None) -> int:
    # Rounded up, so that no adapter waits less than asked.
    return -1 if timeout is None else math.ceil(timeout * 1000)


def _epoll_wait(epfd: int, backend: str, timeout: float | None) -> list[tuple[int, int]]:
    return pyepoll.epoll_wait(epfd, 4, _ms(timeout), backend=backend)


def _epoll_pwait(epfd: int, backend: str, timeout: float | None) -> list[tuple[int, int]]:
    return pyepoll.epoll_pwait(epfd, 4, _ms(timeout), [], backend=backend)


def _epoll_pwait2(epfd: int, backend: str, timeout: float | None) -> list[tuple[int, int]]:
    ns = None if timeout is None else math.ceil(timeout * 1e9)
    return pyepoll.epoll_pwait2(epfd, 4, ns, backend=backend)


def _poll(epfd: int, backend: str, timeout: float | None) -> list[tuple[int, int]]:
    with pyepoll.epoll.fromfd(os.dup(epfd), backend=backend) as ep:
        return ep.poll(timeout)


def _poll_sigmask(epfd: int, backend: str, timeout: float | None) -> list[tuple[int, int]]:
    with pyepoll.epoll.fromfd(os.dup(epfd), backend=backend) as ep:
        return ep.poll(timeout, sigmask=[])


WAITS = {
    "epoll_wait": _epoll_wait,
    "epoll_pwait": _epoll_pwait,
    "epoll_pwait2": _epoll_pwait2,
    "poll": _poll,
    "poll-sigmask": _poll_sigmask,
}
