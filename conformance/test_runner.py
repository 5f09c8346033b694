"""Self-checks of the runner (``python -m conformance``): exit statuses and report formats.

They run the runner on a few clauses only; the runner never runs this module itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.catalogue import CATALOGUE, KINDS
from conformance.runner import FAILED, OK, USAGE

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_list_prints_every_clause() -> None:
    proc = run("--list", "--format", "json")
    assert proc.returncode == OK, proc.stderr
    assert [c["id"] for c in json.loads(proc.stdout)] == list(CATALOGUE)


def test_unknown_implementation_is_a_usage_error() -> None:
    proc = run("--impl", "no_such_module:epoll")
    assert proc.returncode == USAGE
    assert "no_such_module" in proc.stderr


def test_bad_options_are_usage_errors() -> None:
    for args in (
        ["-n", "abc"],
        ["-n", "0"],
        ["-k", "("],
        ["-k", "no_such_clause_xyz"],
        ["-k", "test_ids_are_stable_slugs"],  # a self-check of the catalogue, not a clause
    ):
        proc = run("--impl", "select", *args)
        assert proc.returncode == USAGE, (args, proc.stdout, proc.stderr)
        assert "python -m conformance" in proc.stderr, args


def test_a_wrong_implementation_fails_json() -> None:
    proc = run(
        "--impl",
        "select",
        "--impl",
        "conformance.broken:SwallowsEexist",
        "-k",
        "eexist or oneshot_disables or data_word",
        "--format",
        "json",
    )
    assert proc.returncode == FAILED, proc.stderr
    report = json.loads(proc.stdout)
    results = report["results"]
    broken = "conformance.broken:SwallowsEexist"
    assert results["epoll_ctl.EEXIST"]["select"]["outcome"] == "pass"
    assert results["epoll_ctl.EEXIST"][broken]["outcome"] == "fail"
    assert "EEXIST" in results["epoll_ctl.EEXIST"][broken]["message"]
    assert results["epoll_ctl.EPOLLONESHOT"][broken]["outcome"] == "pass"
    assert results["epoll_ctl.data"][broken]["outcome"] == "n/a"
    assert {c["id"] for c in report["clauses"]} >= {"epoll_ctl.EEXIST", "epoll_ctl.data"}


def test_each_mistake_fails_its_clause() -> None:
    mistakes = {
        "SwallowsEexist": "epoll_ctl.EEXIST",
        "DropsEdgeTrigger": "epoll_ctl.EPOLLET",
        "IgnoresMaxevents": "epoll_wait.maxevents",
        "ModifyReregisters": "epoll_ctl.EINVAL.exclusive_registered",
    }
    impls = [f"--impl=conformance.broken:{name}" for name in mistakes]
    proc = run(*impls, "-k", " or ".join(mistakes.values()), "--format", "json")
    assert proc.returncode == FAILED, proc.stderr
    results = json.loads(proc.stdout)["results"]
    for name, clause_id in mistakes.items():
        row = results[clause_id]
        assert row[f"conformance.broken:{name}"]["outcome"] == "fail", (name, row)
        others = [impl for impl in row if not impl.endswith(name)]
        # The other mistakes do not touch this clause. (A -k match may pull in a clause
        # that another mistake does break, e.g. EPOLLET and DropsEdgeTrigger only.)
        assert all(row[impl]["outcome"] == "pass" for impl in others), (clause_id, row)


def test_junit_and_table_reports(tmp_path: Path) -> None:
    out = tmp_path / "report.xml"
    proc = run(
        "--impl",
        "conformance.broken:SwallowsEexist",
        "-k",
        "eexist",
        "--format",
        "junit",
        "-o",
        str(out),
    )
    assert proc.returncode == FAILED, proc.stderr
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) >= 1
    proc = run("--impl", "select", "-k", "eexist")
    assert proc.returncode == OK, proc.stderr
    assert any(
        line.split() == ["epoll_ctl.EEXIST", "kernel", "pass"] for line in proc.stdout.splitlines()
    )


def test_list_shows_kinds_and_kind_filters_it() -> None:
    listed = json.loads(run("--list", "--format", "json").stdout)
    assert {c["id"]: c["kind"] for c in listed} == {c.id: c.kind for c in CATALOGUE.values()}
    for kind in KINDS:
        proc = run("--list", "--format", "json", "--kind", kind)
        assert proc.returncode == OK, proc.stderr
        ids = [c["id"] for c in json.loads(proc.stdout)]
        assert ids == [c.id for c in CATALOGUE.values() if c.kind == kind]
    text = run("--list", "--kind", "kernel").stdout
    assert "[kernel]" in text and "[binding]" not in text
    assert run("--kind", "neither").returncode == USAGE


def test_kind_selects_the_clauses_that_run() -> None:
    # -k picks two clauses of each kind; --kind keeps only its own, in the report and the run.
    k = "epoll_ctl.EEXIST or epoll_wait.maxevents or python.epoll.flags or epoll.qa.Q7"
    for kind, expected in (
        ("binding", {"epoll_wait.maxevents", "python.epoll.flags"}),
        ("kernel", {"epoll_ctl.EEXIST", "epoll.qa.Q7"}),
    ):
        proc = run("--impl", "select", "-k", k, "--kind", kind, "--format", "json")
        assert proc.returncode == OK, proc.stderr
        report = json.loads(proc.stdout)
        assert {c["id"] for c in report["clauses"]} == expected, kind
        assert set(report["results"]) == expected
        assert all(c["kind"] == kind for c in report["clauses"])
        by_kind = report["summary_by_kind"]
        assert by_kind[kind]["select"] == {"pass": 2}, by_kind


def test_python_violators_fail_their_clauses() -> None:
    """A sample of conformance/violators/python.py: each fails its python.* clause, and only
    it; the real implementations pass (python -m conformance --prove runs them all)."""
    violators = {
        "TruncatesTimeout": "python.epoll.poll.timeout_rounding",
        "ConstantsMissing": "python.select.constants",
        "DefaultMaskInOnly": "python.epoll.register.default_mask",
    }
    impls = [f"--impl=conformance.violators.python:{name}" for name in violators]
    clauses = " or ".join(violators.values())
    proc = run("--impl=pyepoll-libc", *impls, "-k", clauses, "--format", "json")
    assert proc.returncode == FAILED, proc.stderr
    results = json.loads(proc.stdout)["results"]
    for name, clause_id in violators.items():
        row = {
            impl.rpartition(":")[2]: cell["outcome"] for impl, cell in results[clause_id].items()
        }
        assert row[name] == "fail", (clause_id, row)
        assert all(outcome == "pass" for impl, outcome in row.items() if impl != name), row
