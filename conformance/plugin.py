"""The pytest plugin: choose implementations by name, attach clauses, parametrize ``impl``.

Options (group ``epoll conformance``)::

    --epoll-impl NAME   implementation under test, repeatable: select, pyepoll-libc,
                        pyepoll-syscall or module:attribute (default: all built-ins)
    --epoll-kind KIND   only the clauses of this kind, binding or kernel (the others are
                        deselected; tests without a clause, the suite's self-checks, stay)

Each test carries ``@pytest.mark.clause("epoll_ctl.EEXIST")``; the marker is checked against
the catalogue at collection, the clause ID becomes a ``-k`` keyword (``-k epoll.qa``), and every
test item gets the user properties ``epoll_clause`` and ``epoll_impl``, which the runner reads
from the reports (they survive pytest-xdist). A clause whose minimum kernel is newer than the
running kernel is skipped.
Loaded by ``conformance/conftest.py``; ``-p conformance.plugin`` works as well.
"""

from __future__ import annotations

import argparse

import pytest

from conformance import catalogue
from conformance.adapters import BUILTINS, Adapter, AdapterError, load
from conformance.support import require_kernel

HELP = (
    "implementation under test, repeatable: "
    + ", ".join(BUILTINS)
    + " or module:attribute (default: all built-ins)"
)
_ADAPTERS = pytest.StashKey[list[Adapter]]()


def _impl_name(value: str) -> str:
    if value in BUILTINS or ":" in value:
        return value
    raise argparse.ArgumentTypeError(
        f"invalid choice: {value!r} (choose from {', '.join(BUILTINS)} or module:attribute)"
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("epoll conformance", "epoll conformance suite")
    group.addoption(
        "--epoll-impl",
        action="append",
        dest="epoll_impl",
        metavar="NAME",
        type=_impl_name,
        default=None,
        help=HELP,
    )
    group.addoption(
        "--epoll-kind",
        dest="epoll_kind",
        choices=catalogue.KINDS,
        default=None,
        help="only clauses of this kind: binding (what the implementation does with arguments"
        " and results) or kernel (kernel facts a pass-through inherits); default: both",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "clause(id): the catalogue clause (conformance/catalogue) a test checks"
    )
    names = config.getoption("epoll_impl", None) or list(BUILTINS)
    try:
        config.stash[_ADAPTERS] = [load(name) for name in dict.fromkeys(names)]
    except AdapterError as exc:
        raise pytest.UsageError(str(exc)) from exc


def adapters(config: pytest.Config) -> list[Adapter]:
    """The implementations chosen for this run."""
    return config.stash[_ADAPTERS]


def pytest_report_header(config: pytest.Config) -> str:
    chosen = ", ".join(f"{a.name} ({a.description})" for a in adapters(config))
    return f"epoll implementations: {chosen}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "impl" in metafunc.fixturenames:
        chosen = adapters(metafunc.config)
        metafunc.parametrize("impl", chosen, ids=[a.name for a in chosen])


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a clause whose minimum kernel is newer than the running one (a real reason)."""
    clause_id = clause_of(item)
    if clause_id is not None:
        require_kernel(catalogue.get(clause_id).min_kernel)


def clause_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("clause")
    return None if marker is None else str(marker.args[0])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        clause_id = clause_of(item)
        if clause_id is None:
            continue
        if clause_id not in catalogue.CATALOGUE:
            raise pytest.UsageError(f"{item.nodeid} names unknown clause {clause_id!r}")
        item.user_properties.append(("epoll_clause", clause_id))
        item.extra_keyword_matches.add(clause_id)  # so that -k selects by clause ID
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "impl" in callspec.params:
            item.user_properties.append(("epoll_impl", callspec.params["impl"].name))
    kind = config.getoption("epoll_kind", None)
    if kind is not None:
        _keep_kind(config, items, kind)


def _keep_kind(config: pytest.Config, items: list[pytest.Item], kind: str) -> None:
    """Deselect the tests of clauses of another kind; with -k, a test runs only if both keep it."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        clause_id = clause_of(item)
        other = clause_id is not None and catalogue.get(clause_id).kind != kind
        (dropped if other else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
