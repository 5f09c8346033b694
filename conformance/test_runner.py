"""Self-checks of the runner (``python -m conformance``): exit statuses, report formats, crash
and hang isolation, the kill matrix.

They run the runner on a few clauses only; the runner never runs this module itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance import proof
from conformance.adapters import BUILTINS
from conformance.catalogue import CATALOGUE, KINDS
from conformance.runner import FAILED, OK, USAGE
from conformance.supervise import LIMITS, Supervisor
from conformance.violators import Violator

CRASH = "conformance.violators.crash"
#: Each self-check runs the runner, which runs pytest over many implementations: minutes on a
#: loaded machine, past the 120 s that the tox envs give an ordinary test.
pytestmark = pytest.mark.timeout(900)

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
        ["--timeout", "0"],
        ["--prove"],  # with --impl select: --prove chooses the implementations itself
        ["--violators", "conformance.violators.ctl:*"],  # only with --prove
    ):
        proc = run("--impl", "select", *args)
        assert proc.returncode == USAGE, (args, proc.stdout, proc.stderr)
        assert "python -m conformance" in proc.stderr, args


def test_a_wrong_implementation_fails_json() -> None:
    proc = run(
        "--impl",
        "select",
        "--impl",
        "conformance.violators.legacy:SwallowsEexist",
        "-k",
        "eexist or oneshot_disables or data_word",
        "--format",
        "json",
    )
    assert proc.returncode == FAILED, proc.stderr
    report = json.loads(proc.stdout)
    results = report["results"]
    broken = "conformance.violators.legacy:SwallowsEexist"
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
    impls = [f"--impl=conformance.violators.legacy:{name}" for name in mistakes]
    proc = run(*impls, "-k", " or ".join(mistakes.values()), "--format", "json")
    assert proc.returncode == FAILED, proc.stderr
    results = json.loads(proc.stdout)["results"]
    for name, clause_id in mistakes.items():
        row = results[clause_id]
        assert row[f"conformance.violators.legacy:{name}"]["outcome"] == "fail", (name, row)
        others = [impl for impl in row if not impl.endswith(name)]
        # The other mistakes do not touch this clause. (A -k match may pull in a clause
        # that another mistake does break, e.g. EPOLLET and DropsEdgeTrigger only.)
        assert all(row[impl]["outcome"] == "pass" for impl in others), (clause_id, row)


def test_junit_and_table_reports(tmp_path: Path) -> None:
    out = tmp_path / "report.xml"
    proc = run(
        "--impl",
        "conformance.violators.legacy:SwallowsEexist",
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


def fails_only(
    impls: list[str], k: str, expected: dict[tuple[str, str], str], *options: str
) -> None:
    """Run *impls* on the clauses that *k* selects: each (clause, implementation) pair of
    *expected* fails with that text in its message, every other pair passes."""
    proc = run(*[f"--impl={name}" for name in impls], "-k", k, "--format=json", *options)
    assert proc.returncode == FAILED, proc.stderr
    results = json.loads(proc.stdout)["results"]
    cells = {
        (clause_id, impl): cell for clause_id, row in results.items() for impl, cell in row.items()
    }
    assert set(expected) <= set(cells), sorted(cells)
    for pair, cell in cells.items():
        if pair in expected:
            assert cell["outcome"] == "fail" and expected[pair] in cell["message"], (pair, cell)
        else:
            assert cell["outcome"] == "pass", (pair, cell)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "n2"])
def test_crashes_and_hangs_fail_their_clause_only(workers: list[str]) -> None:
    """A default-action signal, a segfault and a hang each fail the clause whose test caused
    them, with the cause; every other clause still reports, for every implementation."""
    dies, segfaults, hangs = (
        f"{CRASH}:{name}"
        for name in (
            "DiesWhenAWaitTimesOut",
            "SegfaultsOnBadBuffer",
            "BlocksOnNegativePwait2Timeout",
        )
    )
    expected = {
        ("epoll_wait.timeout", dies): "killed by SIGUSR1",
        ("epoll_wait.EFAULT", segfaults): "killed by SIGSEGV (at conformance/violators/crash.py:",
        ("epoll_pwait.EFAULT", segfaults): "killed by SIGSEGV",
        ("epoll_pwait2.EFAULT", segfaults): "killed by SIGSEGV",
        ("kernel.pwait2.EINVAL_timeout", hangs): "no answer in 2 s",
    }
    k = "positive_timeout or efault or negative_timeout or eexist"
    fails_only(["pyepoll-libc", dies, segfaults, hangs], k, expected, "--timeout=2", *workers)


def test_a_signal_left_pending_is_the_culprits_failure() -> None:
    """A test that leaves SIGUSR1 blocked and pending fails, naming it; the signal is discarded
    before it can kill a later test, and the tests after it pass."""
    culprit = f"{CRASH}:LeavesTheSigmaskBlocked"
    expected = {("epoll_pwait.sigmask", culprit): "left SIGUSR1 pending (discarded)"}
    fails_only([culprit, "pyepoll-libc"], "pwait_blocks or handler", expected)


def test_prove_reports_each_clause_with_its_violators() -> None:
    proc = run(
        "--prove",
        "-k",
        "epoll_create or kernel.busy_poll",
        "--violators=conformance.violators.create:*",
        "--violators=conformance.violators.kernel:*",
        "-n",
        "2",
        "--format=json",
    )
    document = json.loads(proc.stdout)
    the_proof = document["proof"]
    clauses = the_proof["clauses"]
    create = "conformance.violators.create"
    assert clauses["epoll_create.EINVAL.size"] == {
        "kind": clauses["epoll_create.EINVAL.size"]["kind"],
        "verdict": "proven",
        "reason": "",
        "violators": {f"{create}:ClampsSize": "fail"},
        # Every built-in: select, and pyepoll's adapters (per FFI installed here).
        "real": {name: "n/a" if name == "select" else "pass" for name in BUILTINS},
    }
    assert the_proof["testable"] == len(clauses) == the_proof["proven"]
    assert set(clauses) >= {"epoll_create.EMFILE", "kernel.busy_poll.EINVAL"}
    # DropsPreferBusyPoll also fails busy_poll.EINVAL: collateral, listed.
    collateral = the_proof["violators"]["conformance.violators.kernel:DropsPreferBusyPoll"]
    assert collateral["collateral"] == ["kernel.busy_poll.EINVAL"]
    assert proc.returncode == OK, proc.stderr


def test_prove_verdicts() -> None:
    """Unproven, with the reason: no violator, a violator that passes, a real failure."""
    clauses = [CATALOGUE[c] for c in ("epoll_ctl.ADD", "epoll_ctl.MOD", "epoll_ctl.DEL")]
    violators = {
        "m:Passes": Violator("m:Passes", ("epoll_ctl.ADD",), ""),
        "m:Fails": Violator("m:Fails", ("epoll_ctl.DEL", "epoll_ctl.NO_SUCH"), ""),
    }

    def cell(outcome: str) -> dict[str, object]:
        return {"outcome": outcome, "message": "", "tests": 1}

    results = {
        "epoll_ctl.ADD": {"real": cell("pass"), "m:Passes": cell("pass"), "m:Fails": cell("pass")},
        "epoll_ctl.MOD": {"real": cell("pass"), "m:Passes": cell("pass"), "m:Fails": cell("fail")},
        "epoll_ctl.DEL": {"real": cell("fail"), "m:Passes": cell("pass"), "m:Fails": cell("fail")},
    }
    verdict = proof.prove(results, clauses, violators, ["real"])
    reasons = {c.clause.id: (c.verdict, c.reason) for c in verdict.clauses}
    assert reasons == {
        "epoll_ctl.ADD": ("unproven", "no violator failed it (m:Passes pass)"),
        "epoll_ctl.MOD": ("unproven", "no violator"),
        "epoll_ctl.DEL": ("unproven", "a real implementation failed it: real"),
    }
    assert verdict.collateral == {"m:Fails": ["epoll_ctl.MOD"]}
    assert verdict.unknown == [("m:Fails", "epoll_ctl.NO_SUCH")]
    assert not verdict.complete
    table = proof.table(verdict)
    assert "epoll_ctl.ADD" in table and "m:Passes pass" in table
    assert "  m:Fails: epoll_ctl.MOD" in table  # collateral
    assert table.endswith("0 of 3 testable clauses proven\n")


def test_shards_and_exclusions_choose_the_tests(tmp_path: Path) -> None:
    """The collector keeps every N-th test of its shard, less the node IDs and the
    implementations (``impl NAME``) of the exclude file, and journals each one it runs."""
    pytest_command = [
        *(sys.executable, "-m", "pytest", "conformance/test_epoll_ctl_errors.py", "-q"),
        "conformance/test_catalogue.py",
        *("-p", "conformance.collect", "-p", "no:cacheprovider", "-p", "no:xdist"),
        *("-k", "EEXIST", "--epoll-impl=select", "--epoll-impl=pyepoll-libc"),
    ]

    def journal(*options: str) -> list[dict[str, Any]]:
        path = tmp_path / f"journal{len(list(tmp_path.iterdir()))}"
        proc = subprocess.run(
            [*pytest_command, f"--epoll-journal={path}", *options],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode in (0, 5), proc.stdout
        return [json.loads(line) for line in path.read_text().splitlines()]

    def rows(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return [(e["row"]["nodeid"], e["row"]["impl"]) for e in events if e["event"] == "row"]

    everything = rows(journal())
    assert [impl for _, impl in everything] == ["select", "pyepoll-libc"]
    assert rows(journal("--epoll-shard=1/2")) == everything[1:]
    exclude = tmp_path / "exclude"
    exclude.write_text(f"{everything[0][0]}\n")
    assert rows(journal(f"--epoll-exclude={exclude}")) == everything[1:]
    exclude.write_text("impl pyepoll-libc\n")
    events = journal(f"--epoll-exclude={exclude}")
    assert rows(events) == everything[:1]
    assert [e["event"] for e in events][:3] == ["session", "collected", "start"]
    no_checks = journal("-k", "EEXIST or stable_slugs", "--epoll-impl-tests-only")
    assert rows(no_checks) == everything
    assert events[-1] == {"event": "finish", "status": 0}


@pytest.mark.parametrize("how", sorted(LIMITS))
def test_an_implementation_that_keeps_dying_is_left_out(tmp_path: Path, how: str) -> None:
    supervisor = Supervisor([], ["m:Dies"], 1, 1.0, tmp_path, tmp_path, {})
    for _ in range(LIMITS[how] - 1):
        supervisor.died("m:Dies", how)
    assert not supervisor.given_up
    supervisor.died("m:Dies", how)
    assert supervisor.given_up == {"m:Dies"}
    (note,) = supervisor.notes
    assert note.startswith(f"m:Dies: {how} the test process in {LIMITS[how]} tests;"), note
