"""CPython's own asyncio tests (``test.test_asyncio``), run on pyepoll by
``python -m pyepoll run -m test``: the unchanged regression suite of this interpreter, with
every event loop it makes by default sitting on pyepoll.

``tests.on_pyepoll`` wraps the run and reports what each loop sat on; a loop on the stock
select.epoll fails the test.  (Loops on a selector a test picks on purpose, select or poll or a
mock, are "other" and allowed.)

The modules run here are the ones where the selector does the work, one regrtest process per
module so that they spread over the xdist workers and each stays far inside the per-test
timeout: test_events (real sockets, pipes, signals, subprocesses on the default loop and on
explicit epoll/poll/select loops), test_sock_lowlevel (loop.sock_* over add_reader/add_writer),
test_server, test_streams and test_sendfile (TCP and Unix servers and clients),
test_unix_events (Unix pipes, the signal wakeup fd, child watchers).  Left out:
test_selector_events and most of test_base_events run their loops on mock selectors (the report
shows no loop on pyepoll), and the rest of the package (tasks, locks, queues, timeouts, ssl,
subprocess) costs a minute more per Python and reaches the selector through these same paths;
the README has the counts of the whole package on each Python.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.on_pyepoll import assert_on_pyepoll

ROOT = Path(__file__).resolve().parent.parent
RUN = [sys.executable, "-m", "pyepoll", "run", "-m", "tests.on_pyepoll"]

MODULES = (
    "test_events",
    "test_sock_lowlevel",
    "test_server",
    "test_streams",
    "test_sendfile",
    "test_unix_events",
)
#: A loaded machine (CI runs every Python at once on 2 cores) stretches test_events, with its
#: many short waits, from 8 s to over a minute; this bounds a hung run, not a slow one.
PATIENCE = 540


def ran(output: str) -> tuple[int, int]:
    """(tests run, skipped) from unittest's "Ran N tests" and "OK (skipped=K)" lines."""
    runs = [int(n) for n in re.findall(r"^Ran (\d+) tests? in ", output, re.MULTILINE)]
    skipped = [int(n) for n in re.findall(r"^OK \(skipped=(\d+)\)", output, re.MULTILINE)]
    return sum(runs), sum(skipped)


@pytest.mark.timeout(PATIENCE + 60)
@pytest.mark.parametrize("module", MODULES)
def test_cpython_asyncio_module_passes_on_pyepoll(module: str) -> None:
    name = f"test.test_asyncio.{module}"
    try:
        found = importlib.util.find_spec(name)
    except ImportError as exc:  # no test package at all (Debian's pypy3)
        pytest.skip(f"this Python ships without its regression tests: {exc}")
    if found is None:
        pytest.skip(f"this Python's test_asyncio has no {module}")
    result = subprocess.run(
        [*RUN, "test", "-v", f"test_asyncio.{module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "Tests result: SUCCESS" in output, output[-5000:]
    runs, _ = ran(output)
    assert runs > 0, output[-5000:]
    counts = assert_on_pyepoll(result.stderr)
    assert counts["loops"] > 0, result.stderr[-2000:]
