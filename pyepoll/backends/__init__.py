"""Backends: the ways this package reaches the kernel, behind one small interface.

A backend is a :class:`Backend`, a bundle of raw callables with the C library's calling
convention: they take C ints, ctypes buffers or ``None`` (a NULL pointer), and return what the
C function returns, ``-1`` with ``errno`` set (read with ``ctypes.get_errno()``) on failure.
Checking arguments and raising exceptions is the job of the layers above
(:mod:`pyepoll.calls`, :mod:`pyepoll.epollobject`); a backend only calls.

Two backends exist:

``libc``
    The C library's own ``epoll_*`` wrappers (:mod:`pyepoll.backends.libc`).
``syscall``
    ``syscall(2)`` with the architecture's numbers, emulating exactly the calls an architecture
    lacks (:mod:`pyepoll.backends.syscall`).

The default is named by the environment variable ``PYEPOLL_BACKEND`` (``libc`` when unset),
read when first needed; every public function and constructor also takes ``backend=``.
"""

from __future__ import annotations

import ctypes
import os
import platform
from typing import Callable, Union, cast

__all__ = [
    "BACKEND_NAMES",
    "Backend",
    "BackendLike",
    "c_function",
    "get_backend",
    "set_default_backend",
]

#: Names of the available backends, in order of preference.
BACKEND_NAMES = ("libc", "syscall")

#: A raw C call: ctypes-convertible arguments in, the C return value out.
RawCall = Callable[..., int]


class Backend:
    """One way of calling epoll: raw C callables, see the module docstring.

    ``wait`` releases the GIL for the duration of the call; ``wait_nonblocking`` keeps it and
    must only be used with a timeout of 0, where the call cannot block: skipping the release
    and re-acquisition of the GIL is a large part of the cost of a short call.  ``wait_fast``
    is ``wait_nonblocking`` without ctypes' errno capture, which costs a thread-state lookup
    per call: a caller that sees it fail repeats the call with ``wait_nonblocking`` to learn
    the errno.  A zero-timeout wait cannot sleep, so its failures (EBADF, EINVAL, EFAULT)
    are deterministic and the repeated call fails the same way.
    ``sigset_size`` is the size in bytes of the signal set that ``pwait`` and ``pwait2`` read.
    """

    __slots__ = (
        "create",
        "create1",
        "ctl",
        "name",
        "pwait",
        "pwait2",
        "sigset_size",
        "wait",
        "wait_fast",
        "wait_nonblocking",
    )

    def __init__(
        self,
        name: str,
        *,
        create: RawCall,
        create1: RawCall,
        ctl: RawCall,
        wait: RawCall,
        wait_nonblocking: RawCall,
        wait_fast: RawCall,
        pwait: RawCall,
        pwait2: RawCall,
        sigset_size: int,
    ) -> None:
        self.name = name
        #: ``epoll_create(int size)``
        self.create = create
        #: ``epoll_create1(int flags)``
        self.create1 = create1
        #: ``epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)``
        self.ctl = ctl
        #: ``epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)``
        self.wait = wait
        #: the same as ``wait``, GIL held: timeout 0 only
        self.wait_nonblocking = wait_nonblocking
        #: the same as ``wait_nonblocking``, errno not captured
        self.wait_fast = wait_fast
        #: ``epoll_pwait(epfd, events, maxevents, timeout, const sigset_t *sigmask)``
        self.pwait = pwait
        #: ``epoll_pwait2(epfd, events, maxevents, const struct timespec *, const sigset_t *)``
        self.pwait2 = pwait2
        self.sigset_size = sigset_size

    def __repr__(self) -> str:
        return f"<pyepoll backend {self.name!r}>"


_function_classes: dict[int, type] = {}


def c_function(name: str, *, keep_gil: bool = False, capture_errno: bool = True) -> RawCall:
    """``name`` from the C library as a ctypes function returning a C ``int``.

    ``keep_gil``: call without releasing the GIL (only for calls that cannot block).
    ``capture_errno``: save ``errno`` for ``ctypes.get_errno()`` after the call; without it the
    call skips a thread-state lookup, and a caller that sees a failure must repeat the call
    with a capturing function to learn why.

    The function has no ``restype`` at all, so ctypes turns its result into an int with one
    direct conversion instead of its generic result converter (a table search per call), and
    no ``argtypes``: integers go in as C ``int``, ctypes objects and ``byref`` as pointers.
    Every integer is range-checked before it gets here.  This is how ``CDLL`` builds its own
    functions; ``_CFuncPtr`` and the flags are ctypes internals, so an interpreter without
    other interpreters (PyPy, whose ctypes returns None from such a function) get ordinary
    ``CDLL``/``PyDLL`` functions.
    """
    if platform.python_implementation() == "CPython":
        flags = ctypes._FUNCFLAG_CDECL  # type: ignore[attr-defined]
        if keep_gil:
            flags |= ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]
        if capture_errno:
            flags |= ctypes._FUNCFLAG_USE_ERRNO  # type: ignore[attr-defined]
        cls = _function_classes.get(flags)
        if cls is None:
            base = ctypes._CFuncPtr  # type: ignore[attr-defined]
            cls = _function_classes[flags] = type("CFunction", (base,), {"_flags_": flags})
        return cast(RawCall, cls((name, ctypes.CDLL(None))))
    # PyPy has no PyDLL (and no GIL release cost worth avoiding): CDLL for everything.
    dll_type = getattr(ctypes, "PyDLL", ctypes.CDLL) if keep_gil else ctypes.CDLL
    function = dll_type(None, use_errno=capture_errno)[name]
    function.restype = ctypes.c_int
    return cast(RawCall, function)


BackendLike = Union[str, Backend, None]

_loaded: dict[str, Backend] = {}
_default: str | None = None


def _load(name: str) -> Backend:
    backend = _loaded.get(name)
    if backend is None:
        if name == "libc":
            from . import libc as module
        elif name == "syscall":
            from . import syscall as module  # type: ignore[no-redef]
        else:
            raise ValueError(
                f"unknown pyepoll backend {name!r}; expected one of {', '.join(BACKEND_NAMES)}"
            )
        backend = _loaded[name] = module.load()
    return backend


def get_backend(name: BackendLike = None) -> Backend:
    """The backend called ``name``; ``None`` means the default (``PYEPOLL_BACKEND``).

    Raises ValueError for an unknown name, including an unknown ``PYEPOLL_BACKEND``.
    """
    global _default
    if isinstance(name, Backend):
        return name
    if name is None:
        if _default is None:
            _default = os.environ.get("PYEPOLL_BACKEND") or "libc"
        name = _default
    if not isinstance(name, str):
        raise TypeError(f"backend must be a name or a Backend, not {type(name).__name__}")
    return _load(name)


def set_default_backend(name: str) -> None:
    """Make ``name`` the default backend for objects and calls made from now on."""
    global _default
    _load(name)
    _default = name
