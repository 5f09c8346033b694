"""Busy-poll parameters of an epoll instance (Linux 6.9): ``EPIOCSPARAMS`` / ``EPIOCGPARAMS``.

``ioctl(epfd, EPIOCSPARAMS, &params)`` sets, per epoll instance, how long ``epoll_wait``
busy-polls network receive queues before sleeping (``busy_poll_usecs``), how many packets one
poll may process (``busy_poll_budget``, above ``NAPI_POLL_WEIGHT`` = 64 only with
CAP_NET_ADMIN, else EPERM) and whether to prefer busy polling to interrupts
(``prefer_busy_poll``, 0 or 1).  The kernel refuses EINVAL for ``prefer_busy_poll`` > 1, a
non-zero ``pad`` or ``busy_poll_usecs`` above ``S32_MAX``; a descriptor that is not an epoll
instance gives ENOTTY.  The ioctl goes through :func:`fcntl.ioctl`, which raises the OSError.
"""

from __future__ import annotations

import fcntl
import operator
from typing import NamedTuple

from .abi import EPIOCGPARAMS, EPIOCSPARAMS, EpollParamsStruct

__all__ = ["EpollParams", "epoll_get_params", "epoll_set_params"]


class EpollParams(NamedTuple):
    """``struct epoll_params`` without its padding byte."""

    busy_poll_usecs: int = 0
    busy_poll_budget: int = 0
    prefer_busy_poll: int = 0


def epoll_get_params(epfd: int) -> EpollParams:
    """``ioctl(epfd, EPIOCGPARAMS, &params)``: the busy-poll parameters.  Raises ENOTTY for a
    non-epoll fd, EBADF, and ENOTTY on kernels before 6.9."""
    raw = EpollParamsStruct()
    fcntl.ioctl(operator.index(epfd), EPIOCGPARAMS, raw, True)
    return EpollParams(raw.busy_poll_usecs, raw.busy_poll_budget, raw.prefer_busy_poll)


def epoll_set_params(epfd: int, params: EpollParams, *, pad: int = 0) -> None:
    """``ioctl(epfd, EPIOCSPARAMS, &params)``: set the busy-poll parameters.

    Raises EINVAL (prefer_busy_poll > 1, *pad* != 0, busy_poll_usecs > S32_MAX), EPERM
    (busy_poll_budget > 64 without CAP_NET_ADMIN), ENOTTY (not an epoll fd, or Linux < 6.9).
    Values that do not fit their C field raise OverflowError before the ioctl.
    """
    usecs, budget, prefer = (operator.index(value) for value in params)
    limits = ((usecs, 32), (budget, 16), (prefer, 8), (operator.index(pad), 8))
    for value, bits in limits:
        if not 0 <= value < 1 << bits:
            raise OverflowError(f"{value} does not fit in an unsigned {bits}-bit field")
    raw = EpollParamsStruct(usecs, budget, prefer, pad)
    fcntl.ioctl(operator.index(epfd), EPIOCSPARAMS, raw, True)
