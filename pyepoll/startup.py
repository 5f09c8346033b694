"""The process start-up hook: ``PYEPOLL_INSTALL`` switches a Python process to pyepoll.

The wheel installs ``pyepoll-ctypes.pth`` into site-packages; the ``site`` module runs its one
line in every Python process that starts with that site-packages, before the program's first
line.  The line reads ``PYEPOLL_INSTALL`` and, only when it is set and not empty, imports this
module and calls :func:`install_from_environment`; without the variable it imports nothing.

``PYEPOLL_INSTALL`` values: ``1`` installs on the default backend (``PYEPOLL_BACKEND``),
``libc`` or ``syscall`` on that backend, ``0`` (or empty) does nothing.  Child processes
inherit the variable, so a whole process tree follows (``multiprocessing`` with spawn or
forkserver, ``subprocess`` running ``sys.executable``).  A forked child needs none of this: it
is a copy of an installed process.
"""

from __future__ import annotations

import os

from .backends import BACKEND_CHOICES
from .install import install

__all__ = ["ENVIRONMENT_VARIABLE", "backend_from_environment", "install_from_environment"]

ENVIRONMENT_VARIABLE = "PYEPOLL_INSTALL"
_ON = "1"
_OFF = ("", "0")


class _State:
    done = False


def backend_from_environment() -> tuple[bool, str | None]:
    """``(asked, backend)``: whether ``PYEPOLL_INSTALL`` asks for pyepoll, and the backend it
    names (``None``: the default).  Raises ValueError for a value it does not know."""
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if value in _OFF:
        return False, None
    if value == _ON:
        return True, None
    if value in BACKEND_CHOICES:
        return True, value
    choices = ", ".join((*_OFF[1:], _ON, *BACKEND_CHOICES))
    raise ValueError(f"{ENVIRONMENT_VARIABLE}={value!r} is not one of {choices}")


def install_from_environment() -> None:
    """:func:`pyepoll.install` as ``PYEPOLL_INSTALL`` asks (what the ``.pth`` line calls).

    A value it does not know is reported on stderr and the process runs on the stock epoll:
    a start-up hook must not stop every Python process of the environment from starting.
    Only the first call acts: virtualenv's site module can process site-packages (and so the
    ``.pth`` line) twice.
    """
    if _State.done:
        return
    _State.done = True
    try:
        asked, backend = backend_from_environment()
    except ValueError as exc:
        # Straight to fd 2: while site runs the .pth, a print to sys.stderr was seen to come
        # out only at exit, and twice (CPython 3.11).
        os.write(2, f"pyepoll: {exc}; not installed\n".encode(errors="replace"))
        return
    if asked:
        install(backend)
