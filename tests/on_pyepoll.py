"""Run a module and report what its epoll objects and event loops really sat on.

    python -m pyepoll run -m tests.on_pyepoll MODULE [args...]

The proof, from inside the program, that ``python -m pyepoll run`` switched it: every asyncio
loop is classified when it starts running (``asyncio.events._set_running_loop``, which every
loop calls through the module at each start on 3.9-3.13 and PyPy) by the poller under its
selector, and every ``select.epoll(...)`` the program makes is counted with its type.  At exit
two lines go to stderr::

    on-pyepoll: loops pyepoll=N stock=N other=N select.epoll pyepoll=N stock=N
    on-pyepoll: other loops' selectors {'SelectSelector': N, 'MagicMock': N, ...}

"other" loops run on another selector (select, poll, a test's mock), which a program may
choose; "stock" counts what sat on the standard library's select.epoll, which must be 0.
"""

from __future__ import annotations

import asyncio.events
import atexit
import re
import select
import sys
from collections import Counter
from typing import Any

import pyepoll
from pyepoll.runner import run_module

LOOPS: Counter[str] = Counter()
EPOLLS: Counter[str] = Counter()
#: The "other" loops by the type of their selector (``NoneType``: a loop without one).
OTHER: Counter[str] = Counter()


def kind(poller: object) -> str:
    if isinstance(poller, pyepoll.epoll):
        return "pyepoll"
    if type(poller).__module__ == "select" and type(poller).__name__ == "epoll":
        return "stock"
    return "other"


def report() -> None:
    loops = " ".join(f"{k}={LOOPS[k]}" for k in ("pyepoll", "stock", "other"))
    epolls = " ".join(f"{k}={EPOLLS[k]}" for k in ("pyepoll", "stock"))
    print(f"on-pyepoll: loops {loops} select.epoll {epolls}", file=sys.stderr)
    print(f"on-pyepoll: other loops' selectors {dict(OTHER)}", file=sys.stderr, flush=True)


_REPORT = re.compile(
    r"^on-pyepoll: loops pyepoll=(\d+) stock=(\d+) other=(\d+) "
    r"select.epoll pyepoll=(\d+) stock=(\d+)$",
    re.MULTILINE,
)


def parse_report(stderr: str) -> dict[str, int]:
    """The counts of the report line in ``stderr`` (AssertionError, with stderr, if none)."""
    found = _REPORT.search(stderr)
    assert found is not None, stderr
    names = ("loops", "stock_loops", "other_loops", "epolls", "stock_epolls")
    return dict(zip(names, map(int, found.groups())))


def assert_on_pyepoll(stderr: str) -> dict[str, int]:
    """Nothing sat on the stock epoll and something sat on pyepoll; returns the counts."""
    counts = parse_report(stderr)
    assert (counts["stock_loops"], counts["stock_epolls"]) == (0, 0), stderr
    assert counts["loops"] + counts["epolls"] > 0, stderr
    return counts


def watch() -> None:
    """Wrap the two ways in: asyncio's running-loop setter and select.epoll."""
    set_running_loop = asyncio.events._set_running_loop

    def classify_and_set(loop: Any) -> None:
        if loop is not None:
            selector = getattr(loop, "_selector", None)
            found = kind(getattr(selector, "_selector", None))
            LOOPS[found] += 1
            if found == "other":
                OTHER[type(selector).__name__] += 1
        set_running_loop(loop)

    asyncio.events._set_running_loop = classify_and_set
    installed: Any = select.epoll

    def counted_epoll(*args: Any, **kwargs: Any) -> Any:
        poller = installed(*args, **kwargs)
        EPOLLS[kind(poller)] += 1
        return poller

    counted_epoll.fromfd = installed.fromfd  # type: ignore[attr-defined]
    select.epoll = counted_epoll  # type: ignore[misc,assignment]
    atexit.register(report)


if __name__ == "__main__":
    watch()
    run_module(sys.argv[1], sys.argv[2:])
