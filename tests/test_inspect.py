"""``python -m pyepoll.inspect`` on real child processes with known registrations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyepoll.inspect import Process, inspect_process
from pyepoll.inspect.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


class Child:
    def __init__(self, proc: subprocess.Popen[str], fds: dict[str, Any]) -> None:
        self.proc = proc
        self.fds = fds

    @property
    def pid(self) -> int:
        return self.proc.pid


@pytest.fixture
def child() -> Iterator[Child]:
    """``tests.inspect_child`` running, its registrations made; ended after the test."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.inspect_child"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        line = proc.stdout.readline()
        assert line, f"the child exited with {proc.wait()} before it was ready"
        yield Child(proc, json.loads(line))
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait(timeout=30)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pyepoll.inspect", *args],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def registrations(report: Process, epfd: int) -> dict[int, Any]:
    (ep,) = [ep for ep in report.epolls if ep.fd == epfd]
    return {reg.fd: reg for reg in ep.registrations}


def test_every_registration_is_described(child: Child) -> None:
    report = inspect_process(child.pid)
    fds = child.fds
    assert "tests.inspect_child" in report.command
    assert {ep.fd for ep in report.epolls} == {fds["outer"], fds["inner"]}
    outer = registrations(report, fds["outer"])
    lfd, lport = fds["listener"]
    cfd, cport = fds["client"]
    ufd, uport = fds["udp"]
    assert outer[lfd].kind == "tcp"
    assert outer[lfd].detail == {"local": f"127.0.0.1:{lport}", "peer": None, "state": "LISTEN"}
    assert outer[lfd].data == 0x1111
    assert outer[cfd].detail == {
        "local": f"127.0.0.1:{cport}",
        "peer": f"127.0.0.1:{lport}",
        "state": "ESTABLISHED",
    }
    assert outer[cfd].data == 0xDEADBEEFCAFE
    assert (outer[ufd].kind, outer[ufd].detail["local"]) == ("udp", f"127.0.0.1:{uport}")
    assert outer[fds["unix"]].kind == "unix/stream"
    assert outer[fds["inner"]].kind == "epoll"
    assert outer[fds["oneshot"]].disarmed
    assert not outer[cfd].disarmed
    assert all(reg.stale is None for reg in outer.values())
    inner = registrations(report, fds["inner"])
    assert inner[fds["pipe"]].kind == "pipe"
    assert inner[fds["eventfd"]].kind == "eventfd"
    assert not inner[fds["eventfd"]].verified  # an anonymous inode: identity not provable
    assert inner[fds["pipe"]].verified and inner[fds["pipe"]].stale is None


def test_stale_registrations_are_flagged(child: Child) -> None:
    inner = registrations(inspect_process(child.pid), child.fds["inner"])
    closed, reused = inner[child.fds["closed"]], inner[child.fds["reused"]]
    assert closed.kind == "closed"
    assert closed.stale is not None and "closed" in closed.stale
    assert reused.kind == "file" and reused.detail["path"] == os.devnull
    assert reused.stale is not None and "another file" in reused.stale


def test_text_output(child: Child) -> None:
    proc = run_cli(str(child.pid))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    lfd, lport = child.fds["listener"]
    assert f"PID {child.pid}: " in out
    assert f"fd {lfd:<5} EPOLLIN" in out and f"tcp 127.0.0.1:{lport} LISTEN" in out
    # EPOLLERR and EPOLLHUP are in every stored mask (epoll_ctl(2): "always reported").
    assert "EPOLLIN|EPOLLERR|EPOLLHUP|EPOLLRDHUP data 0xdeadbeefcafe" in out
    assert "EPOLLIN|EPOLLERR|EPOLLHUP|EPOLLET data 0x4" in out
    assert out.count("STALE:") == 2
    assert "[disarmed: EPOLLONESHOT fired]" in out


def test_json_output(child: Child) -> None:
    proc = run_cli("--json", str(child.pid))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []
    (process,) = doc["processes"]
    regs = {(ep["fd"], reg["fd"]): reg for ep in process["epolls"] for reg in ep["registrations"]}
    cfd = child.fds["client"][0]
    client = regs[(child.fds["outer"], cfd)]
    assert client["event_names"] == ["EPOLLIN", "EPOLLERR", "EPOLLHUP", "EPOLLRDHUP"]
    assert client["data"] == 0xDEADBEEFCAFE
    assert regs[(child.fds["inner"], child.fds["closed"])]["stale"]


def test_all_finds_the_child(child: Child) -> None:
    proc = run_cli("--all", "--json")
    assert proc.returncode == 0, proc.stderr
    assert child.pid in {p["pid"] for p in json.loads(proc.stdout)["processes"]}


def test_a_process_that_is_gone_is_reported_not_raised() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    proc = run_cli(str(gone.pid))
    assert proc.returncode == 1
    assert f"PID {gone.pid}: no such process" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_an_unreadable_process_is_reported_not_raised(child: Child) -> None:
    """An unprivileged user may not read root's descriptors: a message, exit status 1."""
    out_r, out_w = os.pipe()
    # The forked child only drops privileges and reads /proc; the modules it needs are
    # imported already (a checkout under a 0700 directory is unreadable after setuid).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with pytest's timer thread
        pid = os.fork()
    if pid == 0:
        status = 3
        try:
            sys.stdout = open(out_w, "w")  # noqa: SIM115 - the child ends with os._exit
            os.setgid(65534)
            os.setuid(65534)
            status = main([str(child.pid)])
            sys.stdout.flush()
        finally:
            os._exit(status)
    os.close(out_w)
    with os.fdopen(out_r) as f:
        text = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 1, text
    assert f"PID {child.pid}: permission denied" in text


@pytest.mark.parametrize(
    "args", [[], ["--all", "1"], ["--watch", "0", "1"], ["--watch", "x", "1"], ["abc"]]
)
def test_usage_errors(args: list[str]) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert "usage: python -m pyepoll.inspect" in proc.stderr
