"""Echo throughput: round trips per second with C concurrent clients, for each example server.

    python -m benchmarks.echo [--clients 10,100,1000] [--repeat 5] [--duration 2] [--warmup 0.5]

The servers a target compares run as a group: pyepoll LT with select.epoll LT, pyepoll ET with
select.epoll ET, asyncio on pyepoll with asyncio; the thread-per-connection server alone. Each
group run starts fresh server processes (``python -m examples...`` on 127.0.0.1, port 0) and one
fresh client process (benchmarks.echo_client: C connections per server ping-ponging --size byte
messages), which loads the servers of the group in turns of --slice seconds, so both sides of a
ratio see the same moments of the machine's background load; then SIGTERM stops the servers.
Every run is bounded: --warmup + --duration seconds per server, plus connection set-up.

Two measures per server: throughput (round trips per second while it had its turn) and its CPU
time (user + system, all threads) per round trip. Throughput depends on how much CPU the rest of
the machine leaves to the processes; CPU per round trip much less so, which makes it the steadier
comparison on a shared machine.

A repetition runs every (C, group) once, groups in random order, servers within a group in random
order. Tables give medians over repetitions; each ratio is computed within a repetition, then its
median taken. ``--pin`` puts the servers on CPU 0 and the client on CPU 1; by default the
scheduler places them (better on a shared machine, where a pinned process may wait behind a busy
neighbour).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

from benchmarks import common

ROOT = Path(__file__).resolve().parent.parent

#: glibc malloc settings for the server processes (mallopt(3), ENVIRONMENT). asyncio's Protocol
#: path allocates a 256 KiB bytes per recv(); with glibc's dynamic thresholds whether that costs
#: mmap + mremap + munmap (and fresh zeroed pages) per recv, or nothing, depends on what the
#: process allocated and freed before, e.g. while importing a module. Measured here: 17 us vs
#: 3.5 us of server CPU per round trip for the same asyncio program. Fixed thresholds make every
#: server pay the same allocator costs; ``--malloc-default`` measures without them.
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "1048576", "MALLOC_TRIM_THRESHOLD_": "8388608"}

#: Server name -> ``python -m`` arguments.
SERVERS = {
    "pyepoll LT": ["examples.echo_server", "--impl", "pyepoll", "--mode", "lt"],
    "pyepoll ET": ["examples.echo_server", "--impl", "pyepoll", "--mode", "et"],
    "select.epoll LT": ["examples.echo_server", "--impl", "select", "--mode", "lt"],
    "select.epoll ET": ["examples.echo_server", "--impl", "select", "--mode", "et"],
    "threads": ["examples.threaded_echo_server"],
    "asyncio": ["examples.asyncio_echo_server", "--loop", "default"],
    "asyncio on pyepoll": ["examples.asyncio_echo_server", "--loop", "pyepoll"],
}


class Target(NamedTuple):
    """``faster``'s throughput / ``slower``'s must reach ``at_least`` (at ``clients``, or any C)."""

    faster: str
    slower: str
    at_least: float
    clients: int | None = None


TARGETS = [
    Target("asyncio on pyepoll", "asyncio", 0.95),
    Target("pyepoll LT", "select.epoll LT", 0.9),
    Target("pyepoll ET", "select.epoll ET", 0.9),
    Target("pyepoll LT", "threads", 1.0, 1000),
    Target("pyepoll ET", "threads", 1.0, 1000),
    Target("select.epoll LT", "threads", 1.0, 1000),
    Target("select.epoll ET", "threads", 1.0, 1000),
    Target("asyncio on pyepoll", "threads", 1.0, 1000),
]

#: Servers compared by a target run next to each other, in random order, so that both see the
#: same phase of the machine's background load.
GROUPS = [
    ("pyepoll LT", "select.epoll LT"),
    ("pyepoll ET", "select.epoll ET"),
    ("asyncio on pyepoll", "asyncio"),
    ("threads",),
]


class Run(NamedTuple):
    """One measured run."""

    #: round trips per second
    rate: float
    #: server CPU time (user + system, all threads) per round trip, microseconds
    cpu_us: float
    #: server and client CPU time over the window, fraction of one CPU
    server_load: float
    client_load: float


Samples = dict[str, dict[int, list[Run]]]  # server -> C -> one Run per repetition


def start_server(name: str, stack: ExitStack, pin: bool, env: dict[str, str]) -> tuple[int, int]:
    """A fresh ``python -m examples...`` process; (port, pid). SIGTERM when ``stack`` closes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", *SERVERS[name], "--port", "0", "--backlog", "4096"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stack.callback(_terminate, proc)
    assert proc.stdout is not None
    match = re.search(r":(\d+)$", proc.stdout.readline().strip())
    if match is None:
        raise RuntimeError(f"{name} did not start: {proc.communicate(timeout=10)[1]}")
    if pin:
        os.sched_setaffinity(proc.pid, {0})
    return int(match.group(1)), proc.pid


def _terminate(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def group_run(group: Sequence[str], clients: int, args: argparse.Namespace) -> dict[str, Run]:
    """Fresh servers for ``group``, loaded in turns by one fresh client process."""
    with ExitStack() as stack:
        env = dict(os.environ) if args.malloc_default else {**os.environ, **MALLOC_ENV}
        started = [start_server(name, stack, args.pin, env) for name in group]
        client_argv = [
            sys.executable, "-m", "benchmarks.echo_client", "--clients", str(clients),
            "--size", str(args.size), "--warmup", str(args.warmup),
            "--duration", str(args.duration), "--slice", str(args.slice),
            "--depth", str(args.depth),
        ]  # fmt: skip
        for port, pid in started:
            client_argv += ["--port", str(port), "--server-pid", str(pid)]
        pin = (lambda: os.sched_setaffinity(0, {1})) if args.pin else None
        client = subprocess.run(
            client_argv, cwd=ROOT, capture_output=True, text=True, check=True,
            timeout=(args.warmup + args.duration) * len(group) + 120, preexec_fn=pin,
        )  # fmt: skip
    runs = {}
    for name, r in zip(group, json.loads(client.stdout.splitlines()[-1])):
        if r["failed"]:
            print(f"  {name} C={clients}: {r['failed']} connections failed", flush=True)
        trips, secs = float(r["round_trips"]), float(r["seconds"])
        runs[name] = Run(
            rate=trips / secs,
            cpu_us=r["server_cpu"] / r["all_round_trips"] * 1e6 if trips else float("nan"),
            server_load=r["server_cpu"] / secs,
            client_load=r["client_cpu"] / secs,
        )
    return runs


def schedule(servers: list[str]) -> list[list[str]]:
    """The groups of the chosen servers, in random order, each group in random order."""
    groups = [[s for s in g if s in servers] for g in GROUPS]
    groups += [[s] for s in servers if not any(s in g for g in GROUPS)]
    random.shuffle(groups)
    return [random.sample(g, len(g)) for g in groups if g]


def collect(servers: list[str], clients: list[int], args: argparse.Namespace) -> Samples:
    samples: Samples = {s: {c: [] for c in clients} for s in servers}
    failed = Run(*[float("nan")] * 4)
    for rep in range(args.repeat):
        for c in clients:
            for group in schedule(servers):
                try:
                    runs = group_run(group, c, args)
                except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
                    print(f"  {group} C={c}: run failed: {exc}", flush=True)
                    runs = dict.fromkeys(group, failed)
                for server, run in runs.items():
                    samples[server][c].append(run)
                    print(
                        f"rep {rep + 1}/{args.repeat} C={c:<5} {server:<20} {run.rate:10,.0f}"
                        f" rt/s {run.cpu_us:6.1f} us CPU/rt  CPU use server"
                        f" {run.server_load:4.0%} client {run.client_load:4.0%}",
                        flush=True,
                    )
    return samples


def medians(samples: Samples, field: str) -> dict[str, dict[int, float]]:
    return {
        s: {c: common.median([getattr(r, field) for r in runs]) for c, runs in by_c.items()}
        for s, by_c in samples.items()
    }


def ratio_rows(samples: Samples, clients: list[int]) -> list[list[object]]:
    """Per target and C: throughput ratio (median, range), CPU-per-round-trip ratio, verdict."""
    rows: list[list[object]] = []
    for t in TARGETS:
        if t.faster not in samples or t.slower not in samples:
            continue
        for c in [t.clients] if t.clients in clients else clients if t.clients is None else []:
            pairs = list(zip(samples[t.faster][c], samples[t.slower][c]))
            rates = _measured([a.rate / b.rate for a, b in pairs if b.rate])
            cpu = _measured([b.cpu_us / a.cpu_us for a, b in pairs if a.cpu_us])
            ratio = common.median(rates)
            rows.append([
                f"{t.faster} / {t.slower}", c, ratio,
                f"{min(rates):.2f}-{max(rates):.2f}" if rates else "n/a",
                common.median(cpu), f">= {t.at_least}",
                "met" if ratio >= t.at_least else "MISSED",
            ])  # fmt: skip
    return rows


def _measured(values: list[float]) -> list[float]:
    """Leave out NaN (a failed run on either side of a ratio)."""
    return [v for v in values if v == v]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--clients", default="10,100,1000", help="comma-separated C")
    p.add_argument("--servers", default=",".join(SERVERS), help="comma-separated server names")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--size", type=int, default=256, help="message size in bytes")
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--duration", type=float, default=2.0, help="measured seconds per server")
    p.add_argument("--slice", type=float, default=0.2, help="seconds per turn (see echo_client)")
    p.add_argument("--pin", action="store_true", help="server on CPU 0, client on CPU 1")
    p.add_argument("--depth", type=int, default=1, help="messages in flight per connection")
    p.add_argument("--malloc-default", action="store_true", help="servers without MALLOC_ENV")
    p.add_argument("--no-plot", action="store_true")
    common.add_tag_option(p, "echo")
    args = p.parse_args(argv)
    args.pin = args.pin and len(os.sched_getaffinity(0) & {0, 1}) == 2
    clients = [int(c) for c in args.clients.split(",")]
    servers = [s.strip() for s in args.servers.split(",")]
    common.raise_nofile(2 * max(clients) + 256)

    load_before = os.getloadavg()[0]
    samples = collect(servers, clients, args)
    rates, cpu = medians(samples, "rate"), medians(samples, "cpu_us")
    loads = {
        s: {c: f"{common.median([r.server_load for r in runs]):.0%} / "
               f"{common.median([r.client_load for r in runs]):.0%}" for c, runs in by_c.items()}
        for s, by_c in samples.items()
    }  # fmt: skip
    cols = [f"C={c}" for c in clients]
    name = common.tagged("echo", args.tag)
    say = common.Report(name)
    say(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {sys.version.split()[0]},"
        f" {os.cpu_count()} CPUs, load average {load_before:.1f} before and"
        f" {os.getloadavg()[0]:.1f} after; {args.repeat} repetitions of {args.duration} s"
        f" (+{args.warmup} s warm-up), {args.size}-byte messages,"
        f" {args.depth} in flight per connection; server malloc: "
        f"{'glibc defaults' if args.malloc_default else MALLOC_ENV}")  # fmt: skip
    n = args.repeat
    tables: list[tuple[str, Mapping[str, Mapping[int, object]]]] = [
        (f"round trips per second ({args.size}-byte messages), median of {n}", rates),
        (f"server CPU time per round trip, microseconds, median of {n}", cpu),
        (f"CPU used during the window, server / client (100% = one core), median of {n}", loads),
    ]
    for title, data in tables:
        say(f"\n{title}\n")
        say(common.table(["server", *cols], [[s, *(data[s][c] for c in clients)] for s in servers]))
    say("\ntargets: ratios within each repetition, then the median; cpu = how many times less")
    say("server CPU per round trip the first server uses (> 1: the first is more efficient)\n")
    say(common.table(["ratio", "C", "throughput", "range", "cpu", "target", ""],
                       ratio_rows(samples, clients)))  # fmt: skip

    raw = {s: {c: [r._asdict() for r in runs] for c, runs in by_c.items()}
           for s, by_c in samples.items()}  # fmt: skip
    print(f"\nsamples: {common.save_json(name, {'args': vars(args), 'samples': raw})}")
    print(f"tables: {say.save()}")
    if not args.no_plot:
        for png_name, values, ylabel in [
            (f"{name}-throughput", rates, "round trips per second (median)"),
            (f"{name}-cpu", cpu, "server CPU microseconds per round trip (median)"),
        ]:
            png = common.plot_lines(
                png_name, values, logy=False, xlabel="C concurrent clients", ylabel=ylabel,
                title=f"Echo servers on loopback, {args.size}-byte ping-pong",
            )  # fmt: skip
            if png:
                print(f"plot: {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
