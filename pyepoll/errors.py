"""The one place where a failed C call becomes a Python exception.

Every call into a backend returns ``-1`` with ``errno`` set on failure.  ``errno`` is read with
the backend's ``get_errno``, its FFI's thread-local copy taken right after the call (ctypes'
``use_errno``, cffi's ``ffi.errno``), never from a global that another thread could
overwrite.  ``OSError(errno, strerror)`` picks the standard subclass itself: EEXIST gives
FileExistsError, ENOENT FileNotFoundError, EPERM and EACCES PermissionError, EINTR
InterruptedError, and so on.

EINTR policy (PEP 475), stated once for the whole package: every wait that fails with EINTR
first runs the Python signal handlers, so an exception raised by a handler propagates, and is
then retried with the time that remains of the original timeout.  ``epoll_ctl`` and
``epoll_create*`` never block and are not retried.
"""

from __future__ import annotations

import os
from typing import Callable, NoReturn

__all__ = ["closed_error", "errno_error", "raise_errno", "raise_last_error"]


def errno_error(code: int) -> OSError:
    """``OSError`` (the standard subclass for ``code``) with ``errno`` and message set."""
    return OSError(code, os.strerror(code))


def raise_errno(code: int) -> NoReturn:
    """Raise the exception for ``code``."""
    raise errno_error(code)


def raise_last_error(get_errno: Callable[[], int]) -> NoReturn:
    """Raise the exception for the ``errno`` of this thread's last failed call, as
    *get_errno* (a backend's) reports it."""
    raise errno_error(get_errno())


def closed_error() -> ValueError:
    """What select.epoll raises for any use of a closed object."""
    return ValueError("I/O operation on closed epoll object")
