"""Backends: the ways this package reaches the kernel, behind one small interface.

A backend is a :class:`Backend`, a bundle of raw callables with the C library's calling
convention: they take C ints, pointers made by the backend's FFI or ``None`` (a NULL pointer),
and return what the C function returns, ``-1`` with ``errno`` set (read with
``backend.ffi.get_errno()``) on failure.  Checking arguments and raising exceptions is the job
of the layers above (:mod:`pyepoll.calls`, :mod:`pyepoll.epollobject`); a backend only calls.

Two backends exist, each over either FFI (:mod:`pyepoll.ffi`: ``ctypes`` or ``cffi``):

``libc``
    The C library's own ``epoll_*`` wrappers (:mod:`pyepoll.backends.libc`).
``syscall``
    ``syscall(2)`` with the architecture's numbers, emulating exactly the calls an architecture
    lacks (:mod:`pyepoll.backends.syscall`).

A backend's full name is ``kind+ffi`` (``libc+cffi``, ``syscall+ctypes``); a bare ``libc`` or
``syscall`` means that kind over the default FFI (``PYEPOLL_FFI``, see :mod:`pyepoll.ffi`).
The default backend is named by the environment variable ``PYEPOLL_BACKEND`` (``libc`` when
unset), read when first needed; every public function and constructor also takes ``backend=``.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Union

from ..ffi import FFI_NAMES, Ffi, RawCall, default_ffi_name, get_ffi

__all__ = [
    "BACKEND_CHOICES",
    "BACKEND_NAMES",
    "KINDS",
    "Backend",
    "BackendLike",
    "backend_labels",
    "get_backend",
    "set_default_backend",
]

#: The ways of reaching the kernel, each over any FFI.
KINDS = ("libc", "syscall")


def _importable(ffi_name: str) -> bool:
    # Whether an FFI's package is installed, without importing it (cffi's import and parser
    # cost a CPython process that never uses it tens of milliseconds).
    return ffi_name == "ctypes" or importlib.util.find_spec(ffi_name) is not None


def _backend_names() -> tuple[str, ...]:
    default = default_ffi_name()
    ffis = sorted((name for name in FFI_NAMES if _importable(name)), key=lambda n: n != default)
    return tuple(f"{kind}+{ffi}" for ffi in ffis for kind in KINDS)


#: Full names (``kind+ffi``) of the backends whose FFI is installed here, the default FFI's
#: first: what the test suite runs on.
BACKEND_NAMES = _backend_names()
#: Every name ``backend=`` accepts here: a bare kind (over the default FFI) or a full name.
BACKEND_CHOICES = (*KINDS, *BACKEND_NAMES)


def backend_labels() -> dict[str, str]:
    """Short label to backend name, for every backend in :data:`BACKEND_NAMES`: the bare kind
    (``libc``) for the default FFI, ``kind-ffi`` (``libc-cffi``) for the others.  The
    conformance adapters and fuzz machines are named after these labels."""
    default = default_ffi_name()
    labels = {}
    for name in BACKEND_NAMES:
        kind, _, ffi = name.partition("+")
        labels[kind if ffi == default else f"{kind}-{ffi}"] = kind if ffi == default else name
    return labels


class Backend:
    """One way of calling epoll: raw C callables, see the module docstring.

    ``wait`` releases the GIL for the duration of the call; ``wait_nonblocking`` keeps it and
    must only be used with a timeout of 0, where the call cannot block: skipping the release
    and re-acquisition of the GIL is a large part of the cost of a short call (with ctypes;
    cffi always releases it).  ``wait_fast`` is ``wait_nonblocking`` without errno capture
    (again a ctypes saving), which costs a thread-state lookup
    per call: a caller that sees it fail repeats the call with ``wait_nonblocking`` to learn
    the errno.  A zero-timeout wait cannot sleep, so its failures (EBADF, EINVAL, EFAULT)
    are deterministic and the repeated call fails the same way.
    ``sigset_size`` is the size in bytes of the signal set that ``pwait`` and ``pwait2`` read.
    """

    __slots__ = (
        "create",
        "create1",
        "ctl",
        "ffi",
        "get_errno",
        "kind",
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
        kind: str,
        ffi: Ffi,
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
        #: ``libc`` or ``syscall``
        self.kind = kind
        #: how the callables below are called, and how their pointer arguments are made
        self.ffi = ffi
        #: this thread's errno after its last failed call
        self.get_errno = ffi.get_errno
        #: ``kind+ffi``
        self.name = f"{kind}+{ffi.name}"
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


BackendLike = Union[str, Backend, None]

_loaded: dict[str, Backend] = {}
_default: str | None = None


def _load(name: str) -> Backend:
    backend = _loaded.get(name)
    if backend is None:
        kind, plus, ffi_name = name.partition("+")
        if kind not in KINDS or (plus and ffi_name not in FFI_NAMES):
            choices = ", ".join((*KINDS, *BACKEND_NAMES))
            raise ValueError(f"unknown pyepoll backend {name!r}; expected one of {choices}")
        ffi = get_ffi(ffi_name or default_ffi_name())
        module = importlib.import_module(f"{__name__}.{kind}")
        backend = module.load(ffi=ffi)
        _loaded[name] = _loaded[backend.name] = backend
    return backend


def get_backend(name: BackendLike = None) -> Backend:
    """The backend called ``name``; ``None`` means the default (``PYEPOLL_BACKEND``).

    Raises ValueError for an unknown name, including an unknown ``PYEPOLL_BACKEND``, and
    ImportError for a backend whose FFI is not installed (``libc+cffi`` without cffi).
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
