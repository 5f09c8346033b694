"""The thundering herd: wakeups per accepted connection, with and without EPOLLEXCLUSIVE.

    python -m benchmarks.herd [--workers 2,4,8] [--repeat 5] [--duration 1.5] [--tag NAME]

Each trial starts ``python -m examples.prefork_server --workers N --[no-]exclusive`` (N
processes, each with its own pyepoll epoll on one listening socket), waits until every worker
is asleep in epoll_wait, then opens connections one after another for ``--duration`` seconds
(connect, read the one-line reply to EOF, close), and stops the server with SIGTERM.

Measured per trial:

- *kernel wakeups per connection*: the workers' voluntary context switches during the run
  (/proc/<pid>/status) divided by the connections. A worker blocks once per wakeup, whether its
  epoll_wait returned or the kernel put it back to sleep after finding the connection already
  taken, so this counts the whole herd. Load barely changes it.
- *epoll_wait returns per connection* (``wakeups`` in the server's counters) and *empty
  accepts per connection* (``empty``: accept() got EAGAIN): the part of the herd user space sees.
- *connections per second*: one client, one connection at a time. It depends on how much CPU
  the rest of the machine leaves; on a shared machine read it as a rough comparison only.

Trials are interleaved: every repetition runs each (N, mode) once, in a fresh random order.
Tables give the median and the range over repetitions.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import sys
import time
from collections.abc import Sequence

from benchmarks import common
from tests.example_process import start_example
from tests.kernel import until_asleep_in_epoll_wait, voluntary_switches

MODES = {"without EPOLLEXCLUSIVE": "--no-exclusive", "with EPOLLEXCLUSIVE": "--exclusive"}
METRICS = ("kernel_wakeups", "epoll_returns", "empty_accepts", "conns_per_s")


def trial(workers: int, flag: str, duration: float) -> dict[str, float]:
    """One server run; the four metrics (per connection, and connections per second)."""
    proc, port = start_example(["examples.prefork_server", "--workers", str(workers), flag])
    try:
        assert proc.stdout is not None
        pids = [int(pid) for pid in proc.stdout.readline().split()[1:]]
        for pid in pids:
            until_asleep_in_epoll_wait(pid, pid)
        before = sum(voluntary_switches(pid) for pid in pids)
        conns = 0
        start = time.monotonic()
        while time.monotonic() - start < duration:
            with socket.create_connection(("127.0.0.1", port)) as client:
                while client.recv(100):
                    pass
            conns += 1
        elapsed = time.monotonic() - start
        for pid in pids:
            until_asleep_in_epoll_wait(pid, pid)
        switches = sum(voluntary_switches(pid) for pid in pids) - before
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    stats = dict(re.findall(r"(\w+)=(\d+)", err.splitlines()[-1]))
    assert int(stats["accepted"]) == conns, err
    return {
        "kernel_wakeups": switches / conns,
        "epoll_returns": int(stats["wakeups"]) / conns,
        "empty_accepts": int(stats["empty"]) / conns,
        "conns_per_s": conns / elapsed,
    }


def spread(values: Sequence[float], places: int) -> str:
    """The median and the range, e.g. ``3.97 (3.90-3.99)``."""
    return (
        f"{common.median(values):,.{places}f} ({min(values):,.{places}f}-{max(values):,.{places}f})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.herd", description=__doc__)
    p.add_argument("--workers", default="2,4,8", help="comma-separated worker counts")
    p.add_argument("--repeat", type=int, default=5, help="repetitions of every (N, mode)")
    p.add_argument("--duration", type=float, default=1.5, help="seconds of connections per trial")
    common.add_tag_option(p, "herd")
    args = p.parse_args(argv)
    sizes = [int(n) for n in args.workers.split(",")]
    name = common.tagged("herd", args.tag)
    samples: dict[str, dict[int, dict[str, list[float]]]] = {
        mode: {n: {m: [] for m in METRICS} for n in sizes} for mode in MODES
    }
    for rep in range(args.repeat):
        order = [(n, mode) for n in sizes for mode in MODES]
        random.shuffle(order)
        for n, mode in order:
            result = trial(n, MODES[mode], args.duration)
            for metric, value in result.items():
                samples[mode][n][metric].append(value)
            print(f"rep {rep + 1}/{args.repeat} N={n} {mode}: {result}", file=sys.stderr)
    report = common.Report(name)
    report(
        f"# Thundering herd: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"load average {os.getloadavg()[0]:.1f}, {args.repeat} repetitions of "
        f"{args.duration} s, Python {sys.version.split()[0]}\n"
    )
    report("Median (min-max) over repetitions; per accepted connection except connections/s.\n")
    headers = [
        "workers",
        "mode",
        "kernel wakeups",
        "epoll_wait returns",
        "empty accepts",
        "connections/s",
    ]
    rows = [
        [n, mode, *(spread(samples[mode][n][m], 0 if m == "conns_per_s" else 2) for m in METRICS)]
        for n in sizes
        for mode in MODES
    ]
    report(common.table(headers, rows))
    report.save()
    common.save_json(name, samples)
    common.plot_lines(
        name,
        {
            mode: {n: common.median(samples[mode][n]["kernel_wakeups"]) for n in sizes}
            for mode in MODES
        },
        title="Workers woken per accepted connection (prefork server, one listening socket)",
        xlabel="worker processes",
        ylabel="kernel wakeups per connection",
        logy=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
