"""The runner's in-process pytest plugin (``-p conformance.collect``): journal, watchdog, shard.

``python -m conformance`` runs pytest in child processes and supervises them
(:mod:`conformance.supervise`); this plugin is the child's half. Options (all used by the
runner, none needed by hand)::

    --epoll-journal FILE       append one JSON line per event to FILE (below), and the
                               tracebacks of a crash or a hang to FILE.faults
    --epoll-test-timeout S     a test (setup, call and teardown) that takes longer than S
                               seconds ends the process: faulthandler writes every thread's
                               traceback to FILE.faults and calls _exit(1)
    --epoll-shard I/N          keep every N-th test, starting with the I-th (0-based)
    --epoll-impl-tests-only    deselect the tests that check no implementation (the suite's
                               self-checks), which another process runs
    --epoll-exclude FILE       deselect the node IDs listed in FILE, one a line, and every test
                               of the implementations listed as ``impl NAME`` lines

The journal is written with one ``write`` per line on an ``O_APPEND`` descriptor, so that what
was written before the process died is in the file: ``session`` (pid, main thread), then
``collected``, then per test ``start`` (before its setup) and ``row`` (after its teardown: the
clause, implementation, outcome and message), and ``finish`` when pytest ends normally. A test
with a ``start`` and no ``row`` is the one the process died in.

After each test the main thread's signal state is put back (:mod:`conformance.sigstate`) and
the test fails if it had to be.
"""

from __future__ import annotations

import faulthandler
import json
import os
import threading
from collections.abc import Generator
from typing import IO, Any

import pytest

from conformance import sigstate
from conformance.support import IMPLEMENTATION_DEFINED, NOT_APPLICABLE

PASS, FAIL, SKIP, NA, IDEF = "pass", "fail", "skip", "n/a", "implementation-defined"
#: How an --epoll-exclude line names a whole implementation.
EXCLUDE_IMPL = "impl "


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("epoll conformance")
    group.addoption("--epoll-journal", metavar="FILE", default=None, help="journal events to FILE")
    group.addoption(
        "--epoll-test-timeout",
        metavar="S",
        type=float,
        default=None,
        help="end the process when a test takes longer than S seconds",
    )
    group.addoption("--epoll-shard", metavar="I/N", default=None, help="run every N-th test")
    group.addoption("--epoll-exclude", metavar="FILE", default=None, help="deselect these tests")
    group.addoption(
        "--epoll-impl-tests-only", action="store_true", help="deselect the suite's self-checks"
    )


def _skip_outcome(report: pytest.TestReport) -> tuple[str, str]:
    longrepr: Any = report.longrepr
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    if reason.startswith(NOT_APPLICABLE):
        return NA, reason[len(NOT_APPLICABLE) :]
    if reason.startswith(IMPLEMENTATION_DEFINED):
        return IDEF, reason[len(IMPLEMENTATION_DEFINED) :]
    return SKIP, reason


def _failure_message(report: pytest.TestReport) -> str:
    lines = [line[2:].strip() for line in report.longreprtext.splitlines() if line.startswith("E ")]
    where = "" if report.when == "call" else f"[{report.when}] "
    return where + (" ".join(lines[:6]) or report.longreprtext.strip().splitlines()[-1])


def properties(item: pytest.Item) -> dict[str, Any]:
    """The clause and implementation :mod:`conformance.plugin` attached to *item*."""
    props = dict(item.user_properties)
    return {"clause": props.get("epoll_clause"), "impl": props.get("epoll_impl")}


class Collector:
    def __init__(self, config: pytest.Config, journal: str) -> None:
        self.config = config
        self.fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.faults: IO[str] = open(journal + ".faults", "a")  # noqa: SIM115 (session-long)
        self.timeout: float | None = config.getoption("epoll_test_timeout")
        self.rows: dict[str, dict[str, Any]] = {}
        self.baseline = sigstate.blocked()
        # Fatal signals (SIGSEGV, SIGBUS, SIGABRT...) write the tracebacks, then kill as before.
        faulthandler.enable(self.faults, all_threads=True)
        self.write(
            "session", pid=os.getpid(), main_thread=f"0x{threading.main_thread().ident:016x}"
        )

    def write(self, event: str, **fields: Any) -> None:
        os.write(self.fd, (json.dumps({"event": event, **fields}) + "\n").encode())

    # --- which tests -----------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        keep = list(items)
        shard = config.getoption("epoll_shard")
        if shard:
            index, count = map(int, shard.split("/"))
            keep = keep[index::count]
        if config.getoption("epoll_impl_tests_only"):
            keep = [item for item in keep if properties(item)["impl"] is not None]
        exclude_file = config.getoption("epoll_exclude")
        if exclude_file:
            with open(exclude_file) as f:
                excluded = set(f.read().splitlines())
            impls = {
                line[len(EXCLUDE_IMPL) :] for line in excluded if line.startswith(EXCLUDE_IMPL)
            }
            keep = [
                item
                for item in keep
                if item.nodeid not in excluded and properties(item)["impl"] not in impls
            ]
        if len(keep) < len(items):
            kept = set(map(id, keep))
            config.hook.pytest_deselected(items=[i for i in items if id(i) not in kept])
            items[:] = keep

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.write("collected", count=len(session.items))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.write("error", message=f"{report.nodeid}: {report.longreprtext.strip()}")

    # --- each test -------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        self.write("start", nodeid=item.nodeid, **properties(item))
        if self.timeout:
            faulthandler.dump_traceback_later(self.timeout, exit=True, file=self.faults)
        try:
            return (yield)
        finally:
            faulthandler.cancel_dump_traceback_later()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, object, object]:
        try:
            result = yield
        except BaseException as exc:
            self._restore_signals(exc)
            raise
        self._restore_signals(None)
        return result

    def _restore_signals(self, teardown_error: BaseException | None) -> None:
        """Put the signal state back; a failure of the test if it had to be."""
        found = sigstate.restore(self.baseline)
        if found:
            raise AssertionError(f"the test {'; '.join(found)}") from teardown_error

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        row = self.rows.setdefault(
            report.nodeid,
            {
                "nodeid": report.nodeid,
                "clause": props.get("epoll_clause"),
                "impl": props.get("epoll_impl"),
                "outcome": PASS,
                "message": "",
                "duration": 0.0,
            },
        )
        row["duration"] += report.duration
        if report.failed:
            # A later phase's failure is added: a teardown that found descriptors or signals
            # left behind says something the call's failure does not.
            message = _failure_message(report)
            if row["outcome"] == FAIL:
                message = f"{row['message']}; {message}"
            row["outcome"], row["message"] = FAIL, message
        elif report.skipped and row["outcome"] != FAIL:
            row["outcome"], row["message"] = _skip_outcome(report)
        if report.when == "teardown":
            self.write("row", row=self.rows.pop(report.nodeid))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.write("finish", status=int(exitstatus))

    def pytest_unconfigure(self) -> None:
        faulthandler.disable()
        self.faults.close()
        os.close(self.fd)


def pytest_configure(config: pytest.Config) -> None:
    path: str | None = config.getoption("epoll_journal")
    if path:  # the runner runs pytest without xdist: the tests run in this process
        config.pluginmanager.register(Collector(config, path), "conformance-collector")
