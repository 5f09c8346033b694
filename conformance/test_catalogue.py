"""Self-checks of the suite: the catalogue is well formed, quoted verbatim, fully covered.

These tests check the suite, not an implementation; they carry no clause.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

import conformance
from conformance.catalogue import CATALOGUE, KINDS, MAN_PAGES, Clause

SLUG = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+$")
PAGES = {
    "epoll(7)": ("7", "epoll"),
    "epoll_create(2)": ("2", "epoll_create"),
    "epoll_ctl(2)": ("2", "epoll_ctl"),
    "epoll_wait(2)": ("2", "epoll_wait"),
    "epoll_pwait2(2)": ("2", "epoll_pwait2"),
}


def _marks(obj: Any) -> Iterator[Any]:
    for mark in getattr(obj, "pytestmark", []):
        yield mark
        if mark.name == "parametrize":
            for value in mark.args[1]:
                yield from getattr(value, "marks", ())


def clauses_named_by_tests() -> dict[str, list[str]]:
    """Clause ID -> the test functions whose markers (or parameters' markers) name it."""
    named: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(conformance.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"conformance.{info.name}")
        for name, function in vars(module).items():
            if name.startswith("test_") and callable(function):
                for mark in _marks(function):
                    if mark.name == "clause":
                        named.setdefault(mark.args[0], []).append(f"{info.name}.{name}")
    return named


def test_ids_are_stable_slugs() -> None:
    bad = [cid for cid in CATALOGUE if not SLUG.match(cid)]
    assert not bad


def test_every_testable_clause_has_a_test() -> None:
    named = clauses_named_by_tests()
    missing = [c.id for c in CATALOGUE.values() if c.testable and c.id not in named]
    assert not missing, f"testable clauses without a test: {missing}"


def test_no_test_names_an_unknown_or_untestable_clause() -> None:
    named = clauses_named_by_tests()
    unknown = sorted(set(named) - set(CATALOGUE))
    assert not unknown, f"tests name unknown clauses: {unknown}"
    untestable = sorted(c for c in named if not CATALOGUE[c].testable)
    assert not untestable, f"tests name clauses marked untestable: {untestable}"


def test_every_clause_has_a_kind() -> None:
    assert {c.kind for c in CATALOGUE.values()} == set(KINDS)
    # The python.* pages are about the Python API: nothing there is the kernel's doing.
    assert all(c.kind == "binding" for c in CATALOGUE.values() if c.id.startswith("python."))
    with pytest.raises(ValueError, match="kind"):
        Clause("x.y", "page", "section", "quote")


def test_untestable_clauses_give_a_reason() -> None:
    assert all(c.untestable.strip() for c in CATALOGUE.values() if c.untestable is not None)


@cache
def rendered(page: str) -> str:
    """The page as `man` renders it, whitespace collapsed to single spaces."""
    section, name = PAGES[page]
    text = subprocess.run(
        ["man", "-E", "ascii", section, name],
        capture_output=True,
        text=True,
        check=True,
        env={"MANWIDTH": "2000", "PATH": "/usr/bin:/bin", "LANG": "C"},
    ).stdout
    return " ".join(re.sub(r".\x08", "", text).split())


@pytest.mark.parametrize("page", sorted(PAGES))
def test_quotes_are_verbatim(page: str) -> None:
    if shutil.which("man") is None:
        pytest.skip("man(1) is not installed; the quotes cannot be compared")
    try:
        text = rendered(page)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"page {page} is not installed: {exc.stderr.strip()}")
    if MAN_PAGES not in text:
        pytest.skip(f"installed pages are not {MAN_PAGES}; quotes were taken from that release")
    wrong = [
        c.id
        for c in CATALOGUE.values()
        if c.page == page and not c.kernel_behaviour and " ".join(c.quote.split()) not in text
    ]
    assert not wrong, f"quotes not found verbatim in {page}: {wrong}"


def test_docstring_quotes_are_verbatim() -> None:
    """The python.* quotes taken from select.epoll's docstrings and text signatures are there,
    word for word (on CPython, whose docstrings they were taken from)."""
    import platform
    import select

    from conformance.catalogue import python

    if platform.python_implementation() != "CPython":
        pytest.skip("the quotes are from CPython's docstrings; this is not CPython")
    parts = [select.epoll]
    parts += [getattr(select.epoll, name) for name in dir(select.epoll) if not name.startswith("_")]
    text = " ".join(
        " ".join(f"{p.__doc__ or ''} {getattr(p, '__text_signature__', '') or ''}".split())
        for p in parts
    )
    quoted = [c for c in python.CLAUSES if c.source == python.DOCSTRINGS]
    assert quoted
    wrong = [c.id for c in quoted if " ".join(c.quote.split()) not in text]
    assert not wrong, f"quotes not found in select.epoll's docstrings: {wrong}"


def test_every_python_clause_has_a_violator() -> None:
    """Each clause of select.epoll's own contract names at least one wrong implementation
    (conformance/violators/python.py) that it must fail."""
    from conformance.violators import registry

    broken = {c for v in registry().values() for c in v.clauses if c.startswith("python.")}
    python_clauses = {c.id for c in CATALOGUE.values() if c.id.startswith("python.")}
    assert python_clauses - broken == set()
    assert broken - python_clauses == set(), "violators name clauses that do not exist"


def test_every_epoll7_clause_has_a_violator() -> None:
    """Each testable clause of epoll(7) names at least one wrong implementation
    (conformance/violators/epoll7.py) that it must fail."""
    from conformance.violators import registry

    named = {c for v in registry().values() for c in v.clauses}
    page = {c.id for c in CATALOGUE.values() if c.page == "epoll(7)" and c.testable}
    assert page - named == set()
