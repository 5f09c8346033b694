"""pyepoll: Linux epoll for Python, in pure Python over ctypes.

Layers, each its own module:

* :mod:`pyepoll.abi` — ``struct epoll_event`` per architecture, syscall and ioctl numbers;
  :mod:`pyepoll.flags` — the EPOLL* names as enums (and as plain ints here, as in ``select``).
* :mod:`pyepoll.backends` — how the kernel is reached: the C library (``libc``) or raw
  ``syscall(2)`` (``syscall``), chosen by ``PYEPOLL_BACKEND`` or ``backend=``.
* :mod:`pyepoll.calls` — ``epoll_create``, ``epoll_ctl``, ``epoll_wait``... with C semantics.
* :mod:`pyepoll.epollobject` — :class:`epoll`, a drop-in replacement for ``select.epoll``.
* :mod:`pyepoll.fdinfo`, :mod:`pyepoll.params` — the interest list as the kernel holds it,
  and the busy-poll ioctls.
* :mod:`pyepoll.selectors`, :mod:`pyepoll.asyncio` — ``EpollSelector`` and an asyncio event
  loop on it (``import pyepoll.asyncio``; it is not imported here, to keep asyncio out of
  programs that do not use it).
* :mod:`pyepoll.install` — :func:`install` / :func:`uninstall` / :func:`installed`: switch
  ``select``, ``selectors`` and asyncio's default loop to pyepoll for the whole program
  (``python -m pyepoll run`` does it before a program's first line).
"""

from __future__ import annotations

from .backends import BACKEND_NAMES, Backend, get_backend, set_default_backend
from .buffer import EventBuffer
from .calls import (
    epoll_create,
    epoll_create1,
    epoll_ctl,
    epoll_pwait,
    epoll_pwait2,
    epoll_pwait2_raw,
    epoll_pwait_raw,
    epoll_wait,
    epoll_wait_raw,
)
from .epollobject import epoll
from .fdinfo import Interest, interest_list

# The EPOLL* names are plain ints, as select's (see pyepoll.flags).
from .flags import (
    EPOLL_CLOEXEC,
    EPOLL_CTL_ADD,
    EPOLL_CTL_DEL,
    EPOLL_CTL_MOD,
    EPOLLERR,
    EPOLLET,
    EPOLLEXCLUSIVE,
    EPOLLHUP,
    EPOLLIN,
    EPOLLMSG,
    EPOLLONESHOT,
    EPOLLOUT,
    EPOLLPRI,
    EPOLLRDBAND,
    EPOLLRDHUP,
    EPOLLRDNORM,
    EPOLLWAKEUP,
    EPOLLWRBAND,
    EPOLLWRNORM,
    CtlOp,
    EpollCreateFlag,
    EpollEvent,
)
from .install import install, installed, is_installed, uninstall
from .params import EpollParams, epoll_get_params, epoll_set_params
from .selectors import EpollSelector

__version__ = "0.2.0"

__all__ = [
    "BACKEND_NAMES",
    "EPOLLERR",
    "EPOLLET",
    "EPOLLEXCLUSIVE",
    "EPOLLHUP",
    "EPOLLIN",
    "EPOLLMSG",
    "EPOLLONESHOT",
    "EPOLLOUT",
    "EPOLLPRI",
    "EPOLLRDBAND",
    "EPOLLRDHUP",
    "EPOLLRDNORM",
    "EPOLLWAKEUP",
    "EPOLLWRBAND",
    "EPOLLWRNORM",
    "EPOLL_CLOEXEC",
    "EPOLL_CTL_ADD",
    "EPOLL_CTL_DEL",
    "EPOLL_CTL_MOD",
    "Backend",
    "CtlOp",
    "EpollCreateFlag",
    "EpollEvent",
    "EpollParams",
    "EpollSelector",
    "EventBuffer",
    "Interest",
    "epoll",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_get_params",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_pwait2_raw",
    "epoll_pwait_raw",
    "epoll_set_params",
    "epoll_wait",
    "epoll_wait_raw",
    "get_backend",
    "install",
    "installed",
    "interest_list",
    "is_installed",
    "set_default_backend",
    "uninstall",
]
