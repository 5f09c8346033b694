"""Violators: deliberately wrong epoll implementations, each breaking named clauses.

A clause is *proven* when the suite fails it for at least one violator that targets it and
passes it for the real implementations (``python -m conformance --prove``). A violator is an
implementation the suite can load by name (``module:attribute``), registered here with the
clauses whose sentence it breaks::

    @violates("epoll_ctl.EEXIST")
    class SwallowsEexist(Wrapped):
        ...

Violators break as little else as they can; whatever else the suite fails for them is reported
as collateral, which is fine but visible. The modules of this package each group violators of
one page or theme; :func:`registry` imports them all.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Violator:
    """One registered wrong implementation."""

    #: ``module:attribute``, the name ``--impl`` loads it by.
    name: str
    #: The clauses whose sentence it breaks (each must fail for it).
    clauses: tuple[str, ...]
    #: What it gets wrong, in one sentence (its docstring's first line).
    mistake: str


_REGISTRY: dict[str, Violator] = {}


def violates(*clause_ids: str) -> Callable[[T], T]:
    """Register the decorated class (an Adapter subclass, or a select.epoll-like class) as a
    violator of *clause_ids*."""
    if not clause_ids:
        raise ValueError("a violator must name at least one clause")

    def register(obj: T) -> T:
        target: Any = obj
        name = f"{target.__module__}:{target.__qualname__}"
        doc = (target.__doc__ or "").strip().splitlines()
        violator = Violator(name, tuple(clause_ids), doc[0] if doc else "")
        if name in _REGISTRY:
            raise ValueError(f"violator {name} registered twice")
        _REGISTRY[name] = violator
        return obj

    return register


def registry() -> dict[str, Violator]:
    """Every violator of every module of this package, by name."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return dict(_REGISTRY)
