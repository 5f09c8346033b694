"""Violators of the ``python.*`` clauses: pyepoll's select.epoll class with one mistake each.

Each violator is a :class:`~conformance.violators._base.PythonApiWrapped` adapter (its
ms-based instances are pyepoll's, untouched) whose ``pyapi`` is a subclass of ``pyepoll.epoll``
that gets one thing of select.epoll's Python API wrong. Mistakes that only rewrite an argument
of poll() (a timeout, a maxevents) are generated from the table at the end
(:class:`~conformance.violators._base.Rewritten`); the rest are written out.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
from typing import Any, Callable

import pyepoll
from conformance.catalogue.python import CONSTANTS
from conformance.violators import violates
from conformance.violators._base import (
    PythonApiWrapped,
    Rewritten,
    define_rewritten,
    errno_changed,
    oserror,
)
from pyepoll.buffer import EventBuffer
from pyepoll.errors import raise_last_error
from pyepoll.waiting import check_signals

# select's constants, re-exported: the test of python.select.constants looks them up in the
# module of the class under test, and the Epoll classes below are this module's.
globals().update({name: getattr(pyepoll, name) for name in CONSTANTS})

_DEFAULT_MAXEVENTS = 1023
_INT_MAX = 2**31 - 1


# --- the constructor -------------------------------------------------------------------------


@violates("python.epoll.noninheritable")
class InheritableFd(PythonApiWrapped):
    """The new epoll fd is inheritable (FD_CLOEXEC cleared), against PEP 446."""

    class Epoll(pyepoll.epoll):
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            self = super().__new__(cls, *args, **kwargs)
            os.set_inheritable(self.fileno(), True)
            return self


@violates("python.epoll.flags")
class AcceptsAnyFlags(PythonApiWrapped):
    """Any flags value is accepted (ignored) instead of raising OSError."""

    class Epoll(pyepoll.epoll):
        def __new__(cls, sizehint: int = -1, flags: int = 0, **kwargs: Any) -> Any:
            return super().__new__(cls, sizehint, 0, **kwargs)


@violates("python.select.constants")
class ConstantsMissing(PythonApiWrapped):
    """The class's module lacks select's constants (PyPy 7.3.11's select lacks EPOLL_CLOEXEC,
    EPOLLRDHUP and EPOLLEXCLUSIVE)."""

    class Epoll(pyepoll.epoll):
        pass

    # The package's __init__, which defines none of them.
    Epoll.__module__ = "conformance.violators"


@violates("python.epoll.sizehint")
class AcceptsAnySizehint(PythonApiWrapped):
    """Any sizehint is accepted (ignored) instead of raising ValueError for 0 and below -1."""

    class Epoll(pyepoll.epoll):
        def __new__(cls, sizehint: int = -1, flags: int = 0, **kwargs: Any) -> Any:
            return super().__new__(cls, -1, flags, **kwargs)


@violates("python.epoll.context_manager")
class ExitKeepsOpen(PythonApiWrapped):
    """Leaving a with block does not close the object."""

    class Epoll(pyepoll.epoll):
        def __exit__(self, *exc: object) -> None:
            pass


# --- lifetime --------------------------------------------------------------------------------


@violates("python.epoll.close")
class CloseKeepsFd(PythonApiWrapped):
    """close() marks the object closed but leaves the control fd open (until garbage
    collection)."""

    class Epoll(pyepoll.epoll):
        kept: tuple[int, int] | None = None  #: the fd left open, and its inode

        def close(self) -> None:
            if not self.closed:
                fd = self.fileno()
                with contextlib.suppress(OSError):
                    self.kept = (fd, os.fstat(fd).st_ino)
                self._epfd = -1

        def __del__(self) -> None:
            # Close what close() left open, unless its number now names another file.
            if self.kept is not None:
                fd, inode = self.kept
                with contextlib.suppress(OSError):
                    if os.fstat(fd).st_ino == inode:
                        os.close(fd)
            super().__del__()


def _oserror_when_closed(method: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except ValueError:
            if not self.closed:
                raise
            raise oserror(errno.EBADF) from None

    return call


@violates("python.epoll.closed_operations")
class ClosedRaisesOSError(PythonApiWrapped):
    """Operations on a closed object raise OSError (EBADF, as the kernel would) instead of
    ValueError."""

    class Epoll(pyepoll.epoll):
        register = _oserror_when_closed(pyepoll.epoll.register)
        modify = _oserror_when_closed(pyepoll.epoll.modify)
        unregister = _oserror_when_closed(pyepoll.epoll.unregister)
        poll = _oserror_when_closed(pyepoll.epoll.poll)
        fileno = _oserror_when_closed(pyepoll.epoll.fileno)
        __enter__ = _oserror_when_closed(pyepoll.epoll.__enter__)


@violates("python.epoll.closed")
class ClosedAlwaysFalse(PythonApiWrapped):
    """The closed attribute stays False after close()."""

    class Epoll(pyepoll.epoll):
        @property
        def closed(self) -> bool:
            return False


@violates("python.epoll.fileno")
class FilenoIsADup(PythonApiWrapped):
    """fileno() returns a duplicate of the control fd, not the control fd itself."""

    class Epoll(pyepoll.epoll):
        dup: int | None = None

        def fileno(self) -> int:
            real = super().fileno()
            if self.dup is None:
                self.dup = os.dup(real)
            return self.dup

        def close(self) -> None:
            dup = self.dup
            if dup is not None:
                self.dup = None
                os.close(dup)
            super().close()


@violates("python.epoll.fromfd")
class FromfdMakesNew(PythonApiWrapped):
    """fromfd(fd) closes fd and creates a new epoll instance instead of wrapping fd."""

    class Epoll(pyepoll.epoll):
        @classmethod
        def fromfd(cls, fd: int, **kwargs: Any) -> Any:
            os.close(fd)
            return cls(**kwargs)


# --- the interest list -----------------------------------------------------------------------


@violates("python.epoll.register.default_mask")
class DefaultMaskInOnly(PythonApiWrapped):
    """register(fd) without a mask registers EPOLLIN only, not EPOLLIN|EPOLLPRI|EPOLLOUT."""

    class Epoll(pyepoll.epoll):
        def register(self, fd: Any, eventmask: int = pyepoll.EPOLLIN, **kwargs: Any) -> None:
            super().register(fd, eventmask, **kwargs)


@violates("python.epoll.register.EEXIST")
class RegisterTwiceModifies(PythonApiWrapped):
    """Registering a registered fd modifies its mask instead of raising OSError (EEXIST)."""

    class Epoll(pyepoll.epoll):
        def register(self, fd: Any, *args: Any, **kwargs: Any) -> None:
            try:
                super().register(fd, *args, **kwargs)
            except FileExistsError:
                self.modify(fd, *args, **kwargs)


@violates("python.epoll.unregister.EBADF")
class UnregisterIgnoresEbadf(PythonApiWrapped):
    """unregister() of a closed fd succeeds silently (select.epoll before Python 3.9)."""

    class Epoll(pyepoll.epoll):
        def unregister(self, fd: Any) -> None:
            with errno_changed({errno.EBADF: None}):
                super().unregister(fd)


# --- poll: results, EINTR --------------------------------------------------------------------


@violates("python.epoll.poll.returns_list")
class PollReturnsLists(PythonApiWrapped):
    """poll() returns each event as a [fd, events] list instead of a 2-tuple."""

    class Epoll(pyepoll.epoll):
        def poll(self, *args: Any, **kwargs: Any) -> Any:
            return [list(event) for event in super().poll(*args, **kwargs)]


class _OwnRetryLoop(pyepoll.epoll):
    """poll() as a plain epoll_wait loop whose EINTR handling subclasses choose (fds, not data
    words: what the python.* tests use)."""

    def poll(
        self, timeout: float | None = None, maxevents: int = -1, *, sigmask: Any = None
    ) -> Any:
        if sigmask is not None:
            return super().poll(timeout, maxevents, sigmask=sigmask)
        ms = -1 if timeout is None or timeout < 0 else math.ceil(timeout * 1000)
        if ms > _INT_MAX:
            raise OverflowError("timeout is too large")
        maxevents = _DEFAULT_MAXEVENTS if maxevents == -1 else maxevents
        buffer = EventBuffer(maxevents, self.backend.ffi)
        while True:
            count = self.backend.wait(self.fileno(), buffer.pointer, maxevents, ms)
            if count >= 0:
                return buffer.fds(count)
            if self.backend.get_errno() != errno.EINTR:
                raise_last_error(self.backend.get_errno)
            check_signals()
            ms = self.after_eintr(ms)

    def after_eintr(self, ms: int) -> int:
        """The timeout to retry with after EINTR (once the handlers have run)."""
        raise NotImplementedError


@violates("python.epoll.poll.eintr_retry")
class EintrNotRetried(PythonApiWrapped):
    """A wait interrupted by a signal raises InterruptedError instead of being retried."""

    class Epoll(_OwnRetryLoop):
        def after_eintr(self, ms: int) -> int:
            raise oserror(errno.EINTR)


@violates("python.epoll.poll.eintr_retry")
class EintrFullTimeout(PythonApiWrapped):
    """A wait interrupted by a signal is retried with the whole timeout, not what remains."""

    class Epoll(_OwnRetryLoop):
        def after_eintr(self, ms: int) -> int:
            return ms


@violates("python.epoll.poll.eintr_handler_raises")
class SwallowsHandlerException(PythonApiWrapped):
    """An exception raised by a signal handler during poll() is swallowed: poll returns []."""

    class Epoll(pyepoll.epoll):
        def poll(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().poll(*args, **kwargs)
            except (OSError, ValueError, TypeError, OverflowError):
                raise
            except Exception:
                return []


# --- poll: arguments rewritten (generated) ---------------------------------------------------


def _refuse_none(t: Any) -> Any:
    if t is None:
        raise TypeError("must be real number, not NoneType")
    return t


def _truncate_to_ms(t: Any) -> Any:
    return math.floor(t * 1000) / 1000 if t is not None and t > 0 else t


def _wrap_to_c_int(t: Any) -> Any:
    if t is None or t < 0:
        return t
    ms = (math.ceil(t * 1000) + 2**31) % 2**32 - 2**31  # two's complement, as a C cast does
    return ms / 1000


define_rewritten(
    globals(),
    (
        Rewritten(
            "NoneTimeoutRaises",
            ("python.epoll.poll.timeout_none",),
            "poll(None) raises TypeError instead of blocking (as PyPy 7.3.11 does).",
            pyepoll.epoll,
            "poll",
            {"timeout": _refuse_none},
        ),
        Rewritten(
            "NegativeTimeoutPolls",
            ("python.epoll.poll.timeout_negative",),
            "A negative timeout other than -1 is a zero-timeout poll instead of blocking.",
            pyepoll.epoll,
            "poll",
            {"timeout": lambda t: 0 if t is not None and t < 0 and t != -1 else t},
        ),
        Rewritten(
            "TruncatesTimeout",
            ("python.epoll.poll.timeout_rounding",),
            "A timeout is truncated to whole milliseconds instead of rounded up (1e-4 s polls).",
            pyepoll.epoll,
            "poll",
            {"timeout": _truncate_to_ms},
        ),
        Rewritten(
            "WrapsTimeout",
            ("python.epoll.poll.timeout_overflow",),
            "A timeout too large for a C int of milliseconds wraps around (as PyPy 7.3.11's does).",
            pyepoll.epoll,
            "poll",
            {"timeout": _wrap_to_c_int},
        ),
        Rewritten(
            "MinusOneMaxeventsIsOne",
            ("python.epoll.poll.maxevents_default",),
            "maxevents -1 returns one event instead of every ready one.",
            pyepoll.epoll,
            "poll",
            {"maxevents": lambda n: 1 if n == -1 else n},
        ),
        Rewritten(
            "AcceptsZeroMaxevents",
            ("python.epoll.poll.maxevents_invalid",),
            "maxevents 0 or below -1 means the default instead of raising ValueError.",
            pyepoll.epoll,
            "poll",
            {"maxevents": lambda n: -1 if n < 1 else n},
        ),
    ),
)
