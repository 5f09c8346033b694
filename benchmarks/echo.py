"""Echo throughput: round trips per second with C concurrent clients, for each example server.

    python -m benchmarks.echo [--clients 10,100,1000] [--repeat 5] [--duration 2] [--warmup 0.5]

All the chosen servers run as one group: a run starts a fresh process of each (``python -m
examples...`` on 127.0.0.1, port 0) and one fresh client process (benchmarks.echo_client: C
connections per server ping-ponging --size byte messages), which loads the servers in turns of
--slice seconds, so both sides of every ratio see the same moments of the machine's background
load; then SIGTERM stops the servers. Every run is bounded: --warmup + --duration seconds per
server, plus connection set-up. The load average is recorded at the end of every run.

Two measures per server: throughput (round trips per second while it had its turn) and its CPU
time (user + system, all threads) per round trip. Throughput depends on how much CPU the rest of
the machine leaves to the processes; CPU per round trip much less so, which makes it the steadier
comparison on a shared machine.

A repetition runs every C once, the servers in random order. Tables give medians over
repetitions with the range (min-max); each ratio is computed within a repetition, then its median
taken, and a ratio whose repetitions range more than --unreliable times (2 by default) is marked
unreliable instead of quoted. The plots draw each median with its min-max range as an error bar.

``--pin`` puts the servers on CPU 0 and the client on CPU 1; by default the
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
    """``faster``'s throughput / ``slower``'s must reach ``at_least`` at every C (and, if
    ``both_ways``, stay under 1 / ``at_least``: the two within that factor of each other)."""

    faster: str
    slower: str
    at_least: float
    both_ways: bool = False

    def describe(self) -> str:
        if self.both_ways:
            return f"{self.at_least}-{1 / self.at_least:.2f}"
        return f">= {self.at_least}"

    def met(self, ratio: float) -> bool:
        return self.at_least <= ratio and not (self.both_ways and ratio * self.at_least > 1)


TARGETS = [
    Target("pyepoll LT", "asyncio", 1.0),
    Target("pyepoll ET", "asyncio", 1.0),
    Target("pyepoll LT", "threads", 1.0),
    Target("pyepoll ET", "threads", 1.0),
    Target("pyepoll LT", "select.epoll LT", 0.9, both_ways=True),
    Target("pyepoll ET", "select.epoll ET", 0.9, both_ways=True),
    Target("asyncio on pyepoll", "asyncio", 0.95),
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
    #: the 1-minute load average at the end of the run
    load: float


Samples = dict[str, dict[int, list[Run]]]  # server -> C -> one Run per repetition


def start_server(
    name: str, stack: ExitStack, pin: bool, env: dict[str, str], runner: Sequence[str] = ()
) -> tuple[int, int]:
    """A fresh ``python [runner] -m examples...`` process; (port, pid). SIGTERM when ``stack``
    closes. ``runner``: what runs the module, e.g. ``-m cProfile -o FILE``."""
    proc = subprocess.Popen(
        [sys.executable, *runner, "-m", *SERVERS[name], "--port", "0", "--backlog", "4096"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Pinned before it starts, so that every thread it makes inherits CPU 0: pinning the
        # pid afterwards moves only the main thread (the threaded server's acceptor thread
        # would make connection threads free to run on the client's CPU).
        preexec_fn=(lambda: os.sched_setaffinity(0, {0})) if pin else None,
    )
    stack.callback(_terminate, proc)
    assert proc.stdout is not None
    match = re.search(r":(\d+)$", proc.stdout.readline().strip())
    if match is None:
        raise RuntimeError(f"{name} did not start: {proc.communicate(timeout=10)[1]}")
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
            load=os.getloadavg()[0],
        )
    return runs


def collect(servers: list[str], clients: list[int], args: argparse.Namespace) -> Samples:
    samples: Samples = {s: {c: [] for c in clients} for s in servers}
    failed = Run(*[float("nan")] * 5)
    for rep in range(args.repeat):
        for c in clients:
            group = random.sample(servers, len(servers))
            try:
                runs = group_run(group, c, args)
            except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
                print(f"  C={c}: run failed: {exc}", flush=True)
                runs = dict.fromkeys(group, failed)
            for server, run in runs.items():
                samples[server][c].append(run)
                print(
                    f"rep {rep + 1}/{args.repeat} C={c:<5} {server:<20} {run.rate:10,.0f}"
                    f" rt/s {run.cpu_us:6.1f} us CPU/rt  CPU use server"
                    f" {run.server_load:4.0%} client {run.client_load:4.0%}"
                    f"  load average {run.load:.1f}",
                    flush=True,
                )
    return samples


def medians(samples: Samples, field: str) -> dict[str, dict[int, float]]:
    return {
        s: {c: common.median([getattr(r, field) for r in runs]) for c, runs in by_c.items()}
        for s, by_c in samples.items()
    }


def spreads(samples: Samples, field: str) -> dict[str, dict[int, tuple[float, float]]]:
    """Server -> C -> (min, max) of ``field`` over the repetitions (NaN if none measured)."""
    nan = (float("nan"), float("nan"))
    return {
        s: {c: _range([getattr(r, field) for r in runs]) or nan for c, runs in by_c.items()}
        for s, by_c in samples.items()
    }


def with_range(median: float, spread: tuple[float, float], fmt: str) -> str:
    """A table cell: the median, then the range over the repetitions."""
    if median != median:
        return "n/a"
    return f"{median:{fmt}} ({spread[0]:{fmt}}-{spread[1]:{fmt}})"


def ratio_rows(samples: Samples, clients: list[int], unreliable: float) -> list[list[object]]:
    """Per target and C: throughput ratio (median, range), CPU-per-round-trip ratio (median,
    range), verdict. A throughput ratio whose repetitions range more than ``unreliable`` times
    gets no median: it is marked unreliable, and its verdict is "met in every repetition" if
    both ends of its range meet the target, else "unreliable"."""
    rows: list[list[object]] = []
    for t in TARGETS:
        if t.faster not in samples or t.slower not in samples:
            continue
        for c in clients:
            pairs = list(zip(samples[t.faster][c], samples[t.slower][c]))
            rates = _measured([a.rate / b.rate for a, b in pairs if b.rate])
            cpu = _measured([b.cpu_us / a.cpu_us for a, b in pairs if a.cpu_us])
            ratio = common.median(rates)
            spread = _range(rates)
            shaky = spread is None or spread[1] > unreliable * spread[0]
            if not shaky:
                verdict = "met" if t.met(ratio) else "MISSED"
            elif spread is not None and t.met(spread[0]) and t.met(spread[1]):
                verdict = "met in every repetition"
            else:
                verdict = "unreliable"
            rows.append([
                f"{t.faster} / {t.slower}", c,
                "unreliable" if shaky else f"{ratio:.2f}",
                f"{spread[0]:.2f}-{spread[1]:.2f}" if spread else "n/a",
                with_range(common.median(cpu), _range(cpu) or (0.0, 0.0), ".2f"),
                t.describe(),
                verdict,
            ])  # fmt: skip
    return rows


def _range(values: list[float]) -> tuple[float, float] | None:
    """(min, max) of the measured values, None if there are none."""
    kept = _measured(values)
    return (min(kept), max(kept)) if kept else None


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
    p.add_argument("--slice", type=float, default=0.05, help="seconds per turn (see echo_client)")
    p.add_argument("--pin", action="store_true", help="server on CPU 0, client on CPU 1")
    p.add_argument("--depth", type=int, default=1, help="messages in flight per connection")
    p.add_argument("--malloc-default", action="store_true", help="servers without MALLOC_ENV")
    p.add_argument(
        "--unreliable",
        type=float,
        default=2.0,
        help="a ratio whose repetitions range more than this factor is not quoted",
    )
    p.add_argument("--no-plot", action="store_true")
    common.add_tag_option(p, "echo")
    args = p.parse_args(argv)
    args.pin = args.pin and len(os.sched_getaffinity(0) & {0, 1}) == 2
    clients = [int(c) for c in args.clients.split(",")]
    servers = [s.strip() for s in args.servers.split(",")]
    # The client holds C connections to every server at once.
    common.raise_nofile((len(servers) + 1) * max(clients) + 256)

    load_before = os.getloadavg()[0]
    samples = collect(servers, clients, args)
    rates, cpu = medians(samples, "rate"), medians(samples, "cpu_us")
    rate_spread, cpu_spread = spreads(samples, "rate"), spreads(samples, "cpu_us")
    run_loads = [r.load for by_c in samples.values() for runs in by_c.values() for r in runs]
    load_range = _range(run_loads) or (float("nan"), float("nan"))
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
        f" {os.getloadavg()[0]:.1f} after ({load_range[0]:.1f}-{load_range[1]:.1f} at the ends"
        f" of the runs); {args.repeat} repetitions of {args.duration} s"
        f" (+{args.warmup} s warm-up) in {args.slice} s turns, {args.size}-byte messages,"
        f" {args.depth} in flight per connection; "
        f"{'servers pinned to CPU 0, client to CPU 1' if args.pin else 'placed by the scheduler'}"
        "; server malloc: "
        f"{'glibc defaults' if args.malloc_default else MALLOC_ENV}")  # fmt: skip
    n = args.repeat
    rate_cells = {
        s: {c: with_range(rates[s][c], rate_spread[s][c], ",.0f") for c in clients} for s in servers
    }
    cpu_cells = {
        s: {c: with_range(cpu[s][c], cpu_spread[s][c], ".2f") for c in clients} for s in servers
    }
    tables: list[tuple[str, Mapping[str, Mapping[int, object]]]] = [
        (
            f"round trips per second ({args.size}-byte messages), median of {n} (min-max)",
            rate_cells,
        ),
        (f"server CPU time per round trip, microseconds, median of {n} (min-max)", cpu_cells),
        (f"CPU used during the window, server / client (100% = one core), median of {n}", loads),
    ]
    for title, data in tables:
        say(f"\n{title}\n")
        say(common.table(["server", *cols], [[s, *(data[s][c] for c in clients)] for s in servers]))
    say("\ntargets: ratios within each repetition, then the median; cpu = how many times less")
    say("server CPU per round trip the first server uses (> 1: the first is more efficient);")
    say(f"a throughput ratio whose repetitions range more than {args.unreliable}x is unreliable\n")
    say(common.table(["ratio", "C", "throughput", "range", "cpu (range)", "target", ""],
                       ratio_rows(samples, clients, args.unreliable)))  # fmt: skip

    raw = {s: {c: [r._asdict() for r in runs] for c, runs in by_c.items()}
           for s, by_c in samples.items()}  # fmt: skip
    print(f"\nsamples: {common.save_json(name, {'args': vars(args), 'samples': raw})}")
    print(f"tables: {say.save()}")
    if not args.no_plot:
        for png_name, values, spread, ylabel in [
            (f"{name}-throughput", rates, rate_spread, "round trips per second"),
            (f"{name}-cpu", cpu, cpu_spread, "server CPU microseconds per round trip"),
        ]:
            png = common.plot_lines(
                png_name, values, logy=False, xlabel="C concurrent clients",
                ylabel=f"{ylabel} (median, min-max of {n})", spreads=spread,
                title=f"Echo servers on loopback, {args.size}-byte ping-pong; load average"
                      f" {load_range[0]:.0f}-{load_range[1]:.0f} (shared 2-core machine)",
            )  # fmt: skip
            if png:
                print(f"plot: {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
