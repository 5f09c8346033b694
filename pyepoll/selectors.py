"""``selectors.EpollSelector`` running on :class:`pyepoll.epoll`.

:class:`EpollSelector` is the standard library's own ``selectors.EpollSelector`` with one part
swapped: the epoll object it drives is a :class:`pyepoll.epoll` (on the backend you name)
instead of a ``select.epoll``.  Every line of selector logic is the running interpreter's.

Why a subclass and not a reimplementation
-----------------------------------------
"Behaves exactly like the standard library" means like the library of the interpreter that
runs it, and that library changes: among 3.9-3.13 there are three versions of
``selectors.py`` (3.9/3.10, 3.11/3.12, 3.13; 3.13 rewrote the event translation and added
``get_map().get``).  Inheriting keeps each version's behaviour to the letter, with no
selector logic of ours at all; a reimplementation would copy one version's logic (which we
do not do) and drift from the others.

The seam is private but narrow and stable: ``_PollLikeSelector.__init__`` creates its poller by
calling ``self._selector_cls()``, the same line in every source from 3.7 to 3.13 (read in each).
After that the stdlib touches its poller only through ``select.epoll``'s public methods
(``register``, ``modify``, ``unregister``, ``poll(timeout, maxevents)``, ``fileno``, ``close``),
and :class:`pyepoll.epoll` reproduces those methods, their exception types and their timeout
conversion. Should a future CPython stop calling ``_selector_cls``, the constructor raises
``RuntimeError`` instead of silently running on ``select.epoll``; the tests check the poller's
type on every version.

What the inherited logic relies on (epoll(7), epoll_ctl(2), epoll_wait(2))
--------------------------------------------------------------------------
- ``select(timeout)`` rounds a positive timeout up to whole milliseconds
  (``ceil(timeout * 1e3) * 1e-3``) and ``epoll.poll`` rounds the seconds to milliseconds away
  from zero again, so a wait is never shorter than asked: epoll_wait(2) counts its timeout in
  milliseconds.  ``None`` blocks (-1), zero or negative polls (0).
- ``maxevents`` is the number of registered fds (at least 1: epoll_wait(2), ERRORS: EINVAL
  for ``maxevents <= 0``), so one wait can report every registered fd.
- ``EPOLLHUP`` and ``EPOLLERR`` are reported whether asked for or not (epoll_ctl(2)); the
  selector turns any bit other than ``EPOLLIN`` into "writable" and any other than
  ``EPOLLOUT`` into "readable", then masks with the events the key asked for.
- A closed fd leaves the interest list by itself once every fd referring to its open file
  description is closed (epoll(7), Q6), so ``unregister`` of a closed fd gets EBADF (or ENOENT
  after its number was reused) from epoll_ctl(2) and ignores it: the key is dropped anyway.
- A failing ``epoll_ctl`` in ``register`` or ``modify`` drops the key, so the map never
  holds an fd the kernel does not watch (e.g. EPERM for a regular file, epoll_ctl(2), ERRORS).
- EINTR is retried inside ``epoll.poll`` with the remaining timeout (PEP 475); an exception
  raised by a signal handler propagates out of ``select``.
"""

from __future__ import annotations

import functools
import selectors
from typing import Callable

from .backends import Backend, BackendLike
from .epollobject import epoll

__all__ = ["EpollSelector"]


class EpollSelector(selectors.EpollSelector):
    """``selectors.EpollSelector`` on a :class:`pyepoll.epoll` created with ``backend``.

    Same methods, results and exceptions as the standard library's class; ``fileno()`` is
    the pyepoll epoll fd and :attr:`backend` says which backend reaches the kernel.
    Like the stdlib's class, it builds its poller with the class attribute ``_selector_cls``,
    which a subclass or a test (``mock.patch``) may replace.
    """

    _selector_cls: Callable[[], epoll] = epoll
    _selector: epoll

    def __init__(self, *, backend: BackendLike = None) -> None:
        if backend is not None:
            # The stdlib constructor calls self._selector_cls() without arguments: only an
            # instance attribute can carry the backend into that call.  It hides a class-level
            # _selector_cls, so it is set only when a backend is named (which asks for exactly
            # that); otherwise a subclass's or a patch's _selector_cls is used as in the stdlib.
            self._selector_cls = functools.partial(epoll, backend=backend)
        factory = self._selector_cls
        super().__init__()
        poller: object = getattr(self, "_selector", None)
        if _makes_pyepoll(factory) and not isinstance(poller, epoll):
            close: Callable[[], object] = getattr(poller, "close", lambda: None)
            close()
            raise RuntimeError(
                "selectors.EpollSelector no longer builds its poller with _selector_cls(); "
                "pyepoll.selectors needs updating for this Python"
            )

    @property
    def backend(self) -> Backend:
        """The backend of the underlying :class:`pyepoll.epoll`."""
        return self._selector.backend


def _makes_pyepoll(factory: object) -> bool:
    """Whether calling ``factory()`` makes a :class:`pyepoll.epoll`: pyepoll's own factories
    (the class, a subclass, a ``partial`` of either).  Any other override is the caller's."""
    if isinstance(factory, functools.partial):
        factory = factory.func
    return isinstance(factory, type) and issubclass(factory, epoll)
