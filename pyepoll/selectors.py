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

Exclusive registration (pyepoll's one addition; epoll_ctl(2), EPOLLEXCLUSIVE)
-----------------------------------------------------------------------------
When N processes (or threads), each with its own epoll instance, watch one listening socket,
every connection wakes all N waiters and N - 1 of them run for nothing (most are put back to
sleep inside epoll_wait, which re-checks the socket; the others get EAGAIN from accept()): the
thundering herd.  ``register(..., exclusive=True)`` adds the fd with EPOLLEXCLUSIVE, after which
"one or more" of the epoll instances registered that way are woken per event (epoll_ctl(2)).
The kernel's rules, and what the selector does with them:

- EPOLLEXCLUSIVE is accepted only with EPOLL_CTL_ADD, beside EPOLLIN, EPOLLOUT, EPOLLWAKEUP
  and EPOLLET; the selector only ever asks for EPOLLIN and EPOLLOUT, so its registrations
  always qualify.  An epoll fd as the target is refused with EINVAL: ``register`` raises
  that OSError and, like the stdlib after any failed epoll_ctl, keeps no key.
- EPOLL_CTL_MOD of an exclusive registration fails with EINVAL.  ``modify`` is part of the
  selector contract (asyncio calls it when a reader and a writer share an fd, and when one of
  them is removed), and the stdlib's ``modify`` answers a failed EPOLL_CTL_MOD by dropping
  the key while the kernel keeps the registration; users expect ``modify`` to work on any
  registered fd.  So a ``modify`` that changes the events of an exclusive registration
  *re-adds* it instead: EPOLL_CTL_DEL, then EPOLL_CTL_ADD with the new events and
  EPOLLEXCLUSIVE.  No readiness is lost in the gap: EPOLL_CTL_ADD polls the file at once and
  queues it as ready if it is (fs/eventpoll.c, ep_insert: a registration added while the
  file is ready, level- or edge-triggered, is reported by the next wait, and a waiter is
  woken for it).  An event that fires during the gap wakes another exclusive waiter, if there
  is one, or is found by the ADD.  What changes is the
  order of the socket's wait queue: the re-added instance goes to its tail.  A ``modify``
  that changes only ``data`` makes no system call, as in the stdlib.
"""

from __future__ import annotations

import functools
import selectors
from typing import Any, Callable

from .backends import Backend, BackendLike
from .epollobject import epoll
from .flags import EPOLLEXCLUSIVE, EPOLLIN, EPOLLOUT

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
        #: The fds registered with EPOLLEXCLUSIVE (see the module's docstring).
        self._exclusive: set[int] = set()
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

    def register(
        self, fileobj: Any, events: int, data: Any = None, *, exclusive: bool = False
    ) -> selectors.SelectorKey:
        """epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev): the stdlib's ``register``, and with
        ``exclusive=True`` the fd is added with EPOLLEXCLUSIVE (epoll_ctl(2)), so that one or
        more of the epoll instances watching it that way are woken per event instead of all.

        Same exceptions as the stdlib (ValueError for invalid events, KeyError if already
        registered, the OSError of epoll_ctl, after which no key is kept); exclusively, an
        epoll fd as ``fileobj`` raises OSError (EINVAL).
        """
        if not exclusive:
            return super().register(fileobj, events, data)
        # The stdlib's own bookkeeping (validation, key, map), then our epoll_ctl.
        key = selectors._BaseSelectorImpl.register(self, fileobj, events, data)
        try:
            self._selector.register(key.fd, self._poller_mask(events) | EPOLLEXCLUSIVE)
        except BaseException:
            selectors._BaseSelectorImpl.unregister(self, fileobj)
            raise
        self._exclusive.add(key.fd)
        return key

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        """epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev): the stdlib's ``modify``, except for an
        exclusive registration whose events change: epoll_ctl(2) refuses EPOLL_CTL_MOD there
        (EINVAL), so it is re-added (EPOLL_CTL_DEL, then EPOLL_CTL_ADD with EPOLLEXCLUSIVE)
        and stays exclusive.  Why a re-add rather than an error, and why no readiness is lost
        in between: see the module's docstring.  A failed re-add drops the key, like a failed
        ``modify`` in the stdlib.
        """
        key = self.get_key(fileobj)
        if key.fd not in self._exclusive or events == key.events:
            return super().modify(fileobj, events, data)
        if (not events) or (events & ~(selectors.EVENT_READ | selectors.EVENT_WRITE)):
            raise ValueError(f"Invalid events: {events!r}")  # the stdlib's register's message
        self.unregister(key.fileobj)
        return self.register(key.fileobj, events, data, exclusive=True)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        """epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL): the stdlib's ``unregister``."""
        key = super().unregister(fileobj)
        self._exclusive.discard(key.fd)
        return key

    def is_exclusive(self, fileobj: Any) -> bool:
        """Whether ``fileobj`` is registered with EPOLLEXCLUSIVE (KeyError if not registered)."""
        return self.get_key(fileobj).fd in self._exclusive

    def make_exclusive(self, fileobj: Any) -> selectors.SelectorKey:
        """Re-add a registered ``fileobj`` with EPOLLEXCLUSIVE, keeping its events and data
        (EPOLL_CTL_DEL, then EPOLL_CTL_ADD: epoll_ctl(2) cannot add the flag by
        EPOLL_CTL_MOD).  For code that registers through a layer it does not control, as
        asyncio's server does (:mod:`pyepoll.asyncio`).  A no-op if it is exclusive already.
        """
        key = self.get_key(fileobj)
        if key.fd in self._exclusive:
            return key
        self.unregister(key.fileobj)
        return self.register(key.fileobj, key.events, key.data, exclusive=True)

    @staticmethod
    def _poller_mask(events: int) -> int:
        """EVENT_READ/EVENT_WRITE to EPOLLIN/EPOLLOUT, the stdlib EpollSelector's mapping."""
        mask = 0
        if events & selectors.EVENT_READ:
            mask |= EPOLLIN
        if events & selectors.EVENT_WRITE:
            mask |= EPOLLOUT
        return mask


def _makes_pyepoll(factory: object) -> bool:
    """Whether calling ``factory()`` makes a :class:`pyepoll.epoll`: pyepoll's own factories
    (the class, a subclass, a ``partial`` of either).  Any other override is the caller's."""
    if isinstance(factory, functools.partial):
        factory = factory.func
    return isinstance(factory, type) and issubclass(factory, epoll)
