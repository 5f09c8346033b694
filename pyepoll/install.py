"""Switch a whole program to pyepoll: :func:`install`, :func:`uninstall`, :func:`installed`.

``select.epoll = pyepoll.epoll`` alone does not reach asyncio: ``selectors.EpollSelector``
bound the stock ``select.epoll`` as its class attribute ``_selector_cls`` when ``selectors``
was imported, and asyncio's ``SelectorEventLoop`` builds its selector from
``selectors.DefaultSelector``.  :func:`install` therefore changes four things and remembers
what they were, so that :func:`uninstall` puts back exactly what it found:

* ``select.epoll``: pyepoll's class (bound to ``backend`` when one is named);
* ``selectors.EpollSelector`` and ``selectors.DefaultSelector``: pyepoll's selector class;
* the stock ``selectors.EpollSelector._selector_cls``: pyepoll's epoll, so that a name bound
  to the stock class before the call (``from selectors import DefaultSelector``, a subclass)
  makes pyepoll pollers too.

asyncio needs nothing of its own: on CPython 3.9-3.13 and PyPy every new
``SelectorEventLoop`` (``asyncio.run``, ``asyncio.new_event_loop``, the default policy) calls
``selectors.DefaultSelector()`` through the ``selectors`` module when it is created, so every
loop made after :func:`install` sits on pyepoll; a loop made before keeps its selector.

Objects made before the call keep their stock epoll, and so does a name bound to the stock
``select.epoll`` itself (``from select import epoll``) before the call: run the program with
``python -m pyepoll run`` (or ``PYEPOLL_INSTALL``) to install before its first line.
"""

from __future__ import annotations

import contextlib
import select
import selectors
from collections.abc import Iterator
from typing import Any, NamedTuple, cast

from .backends import Backend, BackendLike, get_backend
from .epollobject import epoll
from .selectors import EpollSelector

__all__ = ["install", "installed", "is_installed", "uninstall"]

_MISSING: Any = object()


class _Saved(NamedTuple):
    """What :func:`install` replaced, as it was (``_MISSING`` where there was nothing)."""

    select_epoll: Any
    epoll_selector: Any
    default_selector: Any
    stock_selector_cls: Any


class _State:
    saved: _Saved | None = None
    backend: Backend | None = None


def _bound_epoll(backend: Backend | None) -> type[epoll]:
    """``pyepoll.epoll``, or a subclass whose instances (and ``fromfd``) use ``backend``."""
    if backend is None:
        return epoll
    bound = backend

    class BoundEpoll(epoll):
        __slots__ = ()

        def __new__(
            cls, sizehint: int = -1, flags: int = 0, *, backend: BackendLike = bound
        ) -> BoundEpoll:
            return cast(BoundEpoll, epoll.__new__(cls, sizehint, flags, backend=backend))

        @classmethod
        def fromfd(cls, fd: int, *, backend: BackendLike = bound) -> BoundEpoll:
            return cast(BoundEpoll, super().fromfd(fd, backend=backend))

    BoundEpoll.__name__ = BoundEpoll.__qualname__ = "epoll"
    BoundEpoll.__module__ = "pyepoll"
    return BoundEpoll


def _bound_selector(poller: type[epoll]) -> type[EpollSelector]:
    """pyepoll's selector class, or a subclass whose class-level ``_selector_cls`` is
    ``poller`` (a class attribute, so that a patch of ``selectors.EpollSelector._selector_cls``
    still reaches it, as it reaches the stdlib's class)."""
    if poller is epoll:
        return EpollSelector
    namespace = {"_selector_cls": poller, "__module__": EpollSelector.__module__}
    return type("EpollSelector", (EpollSelector,), namespace)


def install(backend: BackendLike = None) -> None:
    """From now on, ``select.epoll``, ``selectors.EpollSelector``,
    ``selectors.DefaultSelector`` and every new asyncio event loop use pyepoll.

    ``backend``: the backend the new objects call the kernel through (``None``: the default
    backend, ``PYEPOLL_BACKEND`` or :func:`~pyepoll.set_default_backend`, as each is made).
    Calling it again with the same backend does nothing; with another backend, it switches
    to that one.  :func:`uninstall` undoes it.
    Raises ValueError for an unknown backend, changing nothing.
    """
    # None stays None (objects follow the default backend); a name is checked now.
    chosen = None if backend is None else get_backend(backend)
    if _State.saved is not None and _State.backend is chosen:
        return
    stock: Any = _State.saved.epoll_selector if _State.saved else selectors.EpollSelector
    if _State.saved is None:
        _State.saved = _Saved(
            select_epoll=getattr(select, "epoll", _MISSING),
            epoll_selector=stock,
            default_selector=selectors.DefaultSelector,
            stock_selector_cls=stock.__dict__.get("_selector_cls", _MISSING),
        )
    poller = _bound_epoll(chosen)
    selector = _bound_selector(poller)
    _replace(select, "epoll", poller)
    _replace(stock, "_selector_cls", poller)
    _replace(selectors, "EpollSelector", selector)
    _replace(selectors, "DefaultSelector", selector)
    _State.backend = chosen


def uninstall() -> None:
    """Put back what :func:`install` replaced, exactly as it was; nothing if not installed."""
    saved = _State.saved
    if saved is not None:
        stock, default = saved.epoll_selector, saved.default_selector
        _put_back((None, None, stock, saved.select_epoll, saved.stock_selector_cls, stock, default))


def _replace(owner: object, name: str, value: Any) -> None:
    """``owner.name = value``; ``_MISSING`` deletes the attribute."""
    if value is _MISSING:
        with contextlib.suppress(AttributeError):
            delattr(owner, name)
    else:
        setattr(owner, name, value)


def is_installed() -> bool:
    """Whether :func:`install` is in effect."""
    return _State.saved is not None


@contextlib.contextmanager
def installed(backend: BackendLike = None) -> Iterator[None]:
    """``with pyepoll.installed():`` :func:`install` for the block, then put back exactly what
    was there before it (the stock objects, or an outer install with its own backend)."""
    before = _current()
    install(backend)
    try:
        yield
    finally:
        _put_back(before)


def _current() -> tuple[Any, ...]:
    stock: Any = _State.saved.epoll_selector if _State.saved else selectors.EpollSelector
    return (
        _State.saved,
        _State.backend,
        stock,
        getattr(select, "epoll", _MISSING),
        stock.__dict__.get("_selector_cls", _MISSING),
        selectors.EpollSelector,
        selectors.DefaultSelector,
    )


def _put_back(state: tuple[Any, ...]) -> None:
    _State.saved, _State.backend, stock, poller, stock_cls, selector, default = state
    _replace(select, "epoll", poller)
    _replace(stock, "_selector_cls", stock_cls)
    _replace(selectors, "EpollSelector", selector)
    _replace(selectors, "DefaultSelector", default)
