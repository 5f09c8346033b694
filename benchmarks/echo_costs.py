"""Where an echo server's time goes: system calls, events per epoll_wait and CPU, per round trip.

    python -m benchmarks.echo_costs [--clients 10,100,1000] [--servers ...] [--duration 2]

For each server and C, one fresh server process is loaded by benchmarks.echo_client (no warm-up,
so every round trip the kernel saw is counted) while ``perf`` watches it from outside:

* ``perf stat`` counts the server's system calls by name (the kernel's syscall tracepoints,
  syscalls:sys_enter_*; every thread of the process);
* ``perf record`` keeps the return value of every epoll_wait/epoll_pwait (syscalls:sys_exit_*),
  i.e. the number of events each wait handed back;
* /proc/<pid>/stat gives the server's user and system CPU time at both ends of the run.

A second run with the server under cProfile counts the Python function calls per round trip
(a count, independent of load) and the time spent inside Python functions per round trip.

The counts per round trip do not depend on machine load, except through batching: a server that
is slow to come back to epoll_wait finds more events ready there, so events per wait (and with
it epoll_wait calls per round trip) moves with the relative speed of client and server. CPU time
per round trip is disturbed by load far less than throughput; the user/system split says how much
is the interpreter and how much the kernel. Tracepoints need perf_event_paranoid <= -1 or root.

The table lands in results/echo-costs.md (``--tag`` as the other benchmarks).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from benchmarks import common
from benchmarks.echo import MALLOC_ENV, ROOT, SERVERS, start_server

#: The system calls counted by name; "all" is raw_syscalls:sys_enter, every call.
CALLS = [
    "epoll_wait", "epoll_pwait", "epoll_ctl", "recvfrom", "sendto", "read", "write",
    "futex", "mmap", "munmap", "mremap", "getpid",
]  # fmt: skip
#: What the table shows per round trip, in this order (epoll_wait merges both waits).
COLUMNS = ["all", "epoll_wait", "epoll_ctl", "recvfrom", "sendto", "futex", "mmap+munmap"]


def user_system(pid: int) -> tuple[float, float]:
    """utime and stime of process ``pid`` in seconds (proc(5), /proc/pid/stat fields 14, 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def perf_stat_counts(text: str) -> dict[str, int]:
    """``perf stat -x,`` output -> {event name without its group: count}."""
    counts = {}
    for line in text.splitlines():
        parts = line.split(",")
        if len(parts) > 2 and parts[0].strip().isdigit():
            counts[parts[2].split(":")[-1].replace("sys_enter_", "")] = int(parts[0])
    counts["all"] = counts.pop("sys_enter", 0)
    return counts


def wait_returns(data: Path) -> list[int]:
    """The return value of every recorded epoll_wait/epoll_pwait (perf script)."""
    out = subprocess.run(
        ["perf", "script", "-i", str(data)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.finditer(r"sys_exit_epoll_p?wait: (0x[0-9a-f]+)", out.stdout)
    # A failed wait (EINTR) returns -errno, shown as a huge unsigned number: not a batch.
    return [n for n in (int(m.group(1), 16) for m in found) if n < 1 << 31]


def run_client(port: int, pid: int, clients: int, duration: float) -> float:
    """benchmarks.echo_client against one server, no warm-up; the round trips it completed."""
    client = subprocess.run(
        [sys.executable, "-m", "benchmarks.echo_client", "--clients", str(clients),
         "--warmup", "0", "--duration", str(duration), "--port", str(port),
         "--server-pid", str(pid)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=duration + 120,
    )  # fmt: skip
    return float(json.loads(client.stdout.splitlines()[-1])[0]["all_round_trips"])


def measure(name: str, clients: int, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """One server process under perf for one client run; the costs per round trip."""
    events = ",".join(["raw_syscalls:sys_enter", *(f"syscalls:sys_enter_{c}" for c in CALLS)])
    data = tmp / f"{name.replace(' ', '_')}-{clients}.data"
    with ExitStack() as stack:
        port, pid = start_server(name, stack, False, {**os.environ, **MALLOC_ENV})
        stat = subprocess.Popen(
            ["perf", "stat", "-x,", "-e", events, "-p", str(pid)],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        record = subprocess.Popen(
            ["perf", "record", "-q", "-o", str(data), "-p", str(pid),
             "-e", "syscalls:sys_exit_epoll_wait", "-e", "syscalls:sys_exit_epoll_pwait"],
            stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(args.settle)  # perf attaches asynchronously; the server is idle meanwhile
        user0, sys0 = user_system(pid)
        trips = run_client(port, pid, clients, args.duration)
        user1, sys1 = user_system(pid)
        for proc in (stat, record):
            proc.send_signal(signal.SIGINT)
        _, perf_err = stat.communicate(timeout=60)
        record.wait(timeout=60)
    counts = perf_stat_counts(perf_err)
    counts["epoll_wait"] = counts.get("epoll_wait", 0) + counts.pop("epoll_pwait", 0)
    counts["mmap+munmap"] = counts.pop("mmap", 0) + counts.pop("munmap", 0)
    returns = wait_returns(data)
    row = {c: counts.get(c, 0) / trips for c in COLUMNS}
    row["events/wait"] = sum(returns) / len(returns) if returns else float("nan")
    row["user µs"] = (user1 - user0) / trips * 1e6
    row["system µs"] = (sys1 - sys0) / trips * 1e6
    row["round trips"] = trips
    return row


def profile(name: str, clients: int, duration: float, tmp: Path) -> tuple[int, float, float]:
    """The server under cProfile (its main thread) for one client run (none if ``clients`` is
    0): (round trips, Python function calls, seconds inside Python functions, builtins such as
    recv() and epoll_wait excluded)."""
    out = tmp / "profile.out"
    with ExitStack() as stack:
        env = {**os.environ, **MALLOC_ENV}
        port, pid = start_server(name, stack, False, env, ["-m", "cProfile", "-o", str(out)])
        trips = int(run_client(port, pid, clients, duration)) if clients else 0
    stats = pstats.Stats(str(out)).stats  # type: ignore[attr-defined]
    calls = sum(cc for cc, _, _, _, _ in stats.values())
    # "~": builtins. pyepoll's poll() is Python, but the epoll_wait it makes through ctypes is
    # not a builtin to the profiler, so its own time includes the blocking wait: left out too.
    python = sum(
        tt
        for (path, _, func), (_, _, tt, _, _) in stats.items()
        if path != "~" and not (path.endswith("epollobject.py") and func == "poll")
    )
    return trips, calls, python


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--clients", default="10,100,1000", help="comma-separated C")
    p.add_argument("--servers", default=",".join(SERVERS), help="comma-separated server names")
    p.add_argument("--duration", type=float, default=2.0, help="seconds of ping-pong per run")
    p.add_argument("--settle", type=float, default=1.0, help="seconds for perf to attach")
    common.add_tag_option(p, "echo-costs")
    args = p.parse_args(argv)
    clients = [int(c) for c in args.clients.split(",")]
    servers = [s.strip() for s in args.servers.split(",")]
    common.raise_nofile(2 * max(clients) + 256)
    name = common.tagged("echo-costs", args.tag)
    say = common.Report(name)
    load = os.getloadavg()[0]
    keys = [*COLUMNS, "events/wait", "user µs", "system µs", "round trips"]
    rows, profiled = [], []
    with tempfile.TemporaryDirectory() as tmp:
        # What a server's start and stop cost under the profiler, subtracted below.
        idle = {s: profile(s, 0, 0, Path(tmp)) for s in servers}
        for c in clients:
            for s in servers:
                r = measure(s, c, args, Path(tmp))
                rows.append([s, c, *(r[k] for k in keys)])
                print(rows[-1], flush=True)
                trips, calls, python = profile(s, c, args.duration, Path(tmp))
                profiled.append([
                    s, c, (calls - idle[s][1]) / trips, (python - idle[s][2]) / trips * 1e6,
                    trips,
                ])  # fmt: skip
                print(profiled[-1], flush=True)
    say(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {sys.version.split()[0]},"
        f" load average {load:.1f} before and {os.getloadavg()[0]:.1f} after; one run of"
        f" {args.duration} s per server and C, 256-byte ping-pong, one message in flight\n"
    )
    say("system calls per round trip (perf stat, syscall tracepoints), events per epoll_wait")
    say("(perf record of its return values), server CPU per round trip (/proc/pid/stat; the")
    say("tracing adds to the system time)\n")
    say(common.table(["server", "C", *keys], rows))
    say("\nunder cProfile (main thread only: the threads server's echo threads are not seen),")
    say("less the server's start and stop: Python function calls per round trip, and the time")
    say("spent in Python functions themselves per round trip (builtins such as recv, send and")
    say("epoll_wait left out, and pyepoll's poll(), whose own time includes the wait; the")
    say("profiler inflates it, so compare servers with each other, not with the CPU above)\n")
    say(common.table(["server", "C", "calls", "Python µs", "round trips"], profiled))
    print(f"tables: {say.save()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
