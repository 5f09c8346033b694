"""asyncio on pyepoll: a ``SelectorEventLoop`` whose selector is :class:`EpollSelector`.

Three ways in, from the most to the least local::

    pyepoll.asyncio.run(main())                    # like asyncio.run(main())
    loop = pyepoll.asyncio.new_event_loop()        # like asyncio.new_event_loop()
    asyncio.set_event_loop_policy(pyepoll.asyncio.EventLoopPolicy())   # Python < 3.14

On Python 3.12+, ``asyncio.run(main(), loop_factory=pyepoll.asyncio.new_event_loop)`` is the
standard spelling and is what :func:`run` does.  Python 3.9-3.11 have no ``loop_factory`` on
``asyncio.run``, so there :func:`run` installs an :class:`EventLoopPolicy` for the duration of
the call and puts the previous policy back afterwards.  Event loop policies are deprecated from
Python 3.14, where :class:`EventLoopPolicy` is not defined; :func:`run` and
:func:`new_event_loop` work everywhere without touching the policy machinery.

Every loop is a plain ``asyncio.SelectorEventLoop`` (on Linux, the Unix flavour with signal
handlers and subprocess support): only the selector underneath changes, so every asyncio
program runs unmodified.  Its self-pipe, signal wakeup fd, sockets, pipes and (3.12+)
subprocess pidfds are all watched by a :class:`pyepoll.epoll`.

Prefork servers: ``new_event_loop(exclusive_listeners=True)`` returns an
:class:`ExclusiveListenersLoop`, whose servers (``create_server``, ``create_unix_server``)
register their listening sockets with EPOLLEXCLUSIVE (epoll_ctl(2)), so that N processes
serving one inherited listening socket are not all woken for every connection.  asyncio
registers a listener in ``BaseSelectorEventLoop._start_serving`` through ``_add_reader`` (the
same call on 3.9-3.13 and PyPy); the subclass lets that run unchanged and then re-adds the
registration exclusively (:meth:`EpollSelector.make_exclusive`), so none of asyncio's logic is
copied.  asyncio calls ``_start_serving`` again after accept() ran out of fds (EMFILE), and the
re-registration follows it there too.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from .backends import BackendLike
from .selectors import EpollSelector

__all__ = ["EventLoopPolicy", "ExclusiveListenersLoop", "new_event_loop", "run"]

_T = TypeVar("_T")


class ExclusiveListenersLoop(asyncio.SelectorEventLoop):
    """A ``SelectorEventLoop`` on an :class:`EpollSelector` whose servers' listening sockets
    are registered with EPOLLEXCLUSIVE (epoll_ctl(2)); see the module's docstring."""

    _selector: EpollSelector

    def __init__(self, selector: EpollSelector | None = None) -> None:
        # Only pyepoll's selector can register exclusively: no default selectors.DefaultSelector.
        super().__init__(EpollSelector() if selector is None else selector)

    def _start_serving(self, protocol_factory: Any, sock: Any, *args: Any, **kwargs: Any) -> None:
        # The signature differs between versions (3.11 added ssl_shutdown_timeout): pass it on.
        super()._start_serving(protocol_factory, sock, *args, **kwargs)  # type: ignore[misc]
        self._selector.make_exclusive(sock.fileno())


def new_event_loop(
    *, backend: BackendLike = None, exclusive_listeners: bool = False
) -> asyncio.SelectorEventLoop:
    """A new ``asyncio.SelectorEventLoop`` on an :class:`EpollSelector` using ``backend``;
    with ``exclusive_listeners=True``, an :class:`ExclusiveListenersLoop`.

    The loop owns the selector: closing the loop closes the epoll fd.
    """
    selector = EpollSelector(backend=backend)
    try:
        if exclusive_listeners:
            return ExclusiveListenersLoop(selector)
        return asyncio.SelectorEventLoop(selector)
    except BaseException:
        # The loop's constructor opens its self-pipe after taking the selector; if that fails
        # (EMFILE), nobody else will close the epoll fd.
        selector.close()
        raise


if sys.version_info < (3, 14):

    class EventLoopPolicy(asyncio.DefaultEventLoopPolicy):
        """The default policy, except that every new loop runs on pyepoll (Python < 3.14).

        ``asyncio.set_event_loop_policy(EventLoopPolicy())`` makes ``asyncio.run`` and
        ``asyncio.new_event_loop`` use pyepoll; child watchers and the per-thread loop are
        the default policy's.
        """

        def __init__(
            self, *, backend: BackendLike = None, exclusive_listeners: bool = False
        ) -> None:
            super().__init__()
            self._pyepoll_backend = backend
            self._pyepoll_exclusive = exclusive_listeners

        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            return new_event_loop(
                backend=self._pyepoll_backend, exclusive_listeners=self._pyepoll_exclusive
            )


def run(
    main: Coroutine[Any, Any, _T],
    *,
    debug: bool | None = None,
    backend: BackendLike = None,
    exclusive_listeners: bool = False,
) -> _T:
    """``asyncio.run(main)`` on a pyepoll loop: same semantics, return value and exceptions;
    ``exclusive_listeners`` as in :func:`new_event_loop`.

    On Python 3.9-3.11 this swaps the global event loop policy for the duration of the call,
    so another thread that looks up its (non-running) loop through the policy meanwhile will
    see this one; use :func:`new_event_loop` directly where that matters.
    """
    if sys.version_info >= (3, 12):
        factory = functools.partial(
            new_event_loop, backend=backend, exclusive_listeners=exclusive_listeners
        )
        return asyncio.run(main, debug=debug, loop_factory=factory)
    else:  # an else for mypy: EventLoopPolicy does not exist on 3.14+
        previous = asyncio.get_event_loop_policy()
        policy = EventLoopPolicy(backend=backend, exclusive_listeners=exclusive_listeners)
        asyncio.set_event_loop_policy(policy)
        try:
            return asyncio.run(main, debug=debug)
        finally:
            asyncio.set_event_loop_policy(previous)
