"""The runner's results-collecting pytest plugin (``-p conformance.collect``).

It records one row per test item: the clause and implementation (from the user properties
that :mod:`conformance.plugin` attaches), the outcome (pass, fail, skip, n/a,
implementation-defined, see :mod:`conformance.support`) and the failure message, and writes
them as JSON to the file named by ``--epoll-results``. It also keeps a progress line on
stderr. Under pytest-xdist it does its work in the controller only, from the reports.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from conformance.support import IMPLEMENTATION_DEFINED, NOT_APPLICABLE

PASS, FAIL, SKIP, NA, IDEF = "pass", "fail", "skip", "n/a", "implementation-defined"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("epoll conformance").addoption(
        "--epoll-results",
        metavar="FILE",
        default=None,
        help="write per-test conformance results as JSON to FILE (used by python -m conformance)",
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


class Collector:
    def __init__(self, config: pytest.Config, path: str) -> None:
        self.config = config
        self.path = path
        self.rows: dict[str, dict[str, Any]] = {}
        self.total = 0
        self.done = 0
        self.failed = 0
        self.tty = sys.stderr.isatty()
        self.printed = -1
        self.errors: list[str] = []

    # --- counting --------------------------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = max(self.total, len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.total = max(self.total, len(ids))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {report.longreprtext.strip()}")

    # --- outcomes --------------------------------------------------------------------------
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
            if row["outcome"] != FAIL:
                row["outcome"], row["message"] = FAIL, _failure_message(report)
                self.failed += 1
        elif report.skipped and row["outcome"] != FAIL:
            row["outcome"], row["message"] = _skip_outcome(report)
        if report.when == "teardown":
            self.done += 1
            self._progress()

    def _progress(self, final: bool = False) -> None:
        total = max(self.total, self.done)
        line = f"conformance: {self.done}/{total} tests, {self.failed} failed"
        if self.tty:
            sys.stderr.write(f"\r{line}" + ("\n" if final else ""))
            sys.stderr.flush()
        elif self.done != self.printed and (final or self.done % max(1, total // 4) == 0):
            self.printed = self.done
            sys.stderr.write(line + "\n")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._progress(final=True)
        with open(self.path, "w") as f:
            json.dump({"tests": list(self.rows.values()), "errors": self.errors}, f)


def pytest_configure(config: pytest.Config) -> None:
    path: str | None = config.getoption("epoll_results")
    if path and not hasattr(config, "workerinput"):  # the xdist controller, or no xdist
        config.pluginmanager.register(Collector(config, path), "conformance-collector")
