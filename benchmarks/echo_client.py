"""Load generator for the echo benchmark: C connections per server ping-ponging fixed-size messages.

    python -m benchmarks.echo_client --port P [--port P2 ...] [--server-pid PID ...]
                                     [--clients 100] [--size 256] [--warmup 0.5] [--duration 2]
                                     [--slice 0.2]

One process, one select.epoll (the same client for every server under test), C connections to
each 127.0.0.1:P. Each connection sends a message, waits for the whole echo, sends the next
(``--depth D``: keeps D messages in flight, sending one more per echo that comes back).

With several servers the client takes turns: for one slice of time only one server's connections
are active, then their last echoes are drained and the next server gets a slice. Servers compared
this way see the same moments of the machine's background load, a few hundred milliseconds
apart, which makes their throughput ratio far steadier than that of separate runs. Round trips
completed inside a measured slice count for throughput; all round trips count for CPU per round
trip. ``--server-pid`` (one per port) reads each server's CPU time (user + system, all threads,
from /proc/<pid>/stat) at both ends of the measured window.

The process stops after warmup + duration x (number of servers) seconds of slices, plus the
drains, whatever the servers do, and prints one JSON line: a list with, per server,
``{"round_trips", "seconds", "all_round_trips", "server_cpu", "client_cpu", "failed"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import time
from collections.abc import Sequence
from contextlib import ExitStack

#: Longest wait for a slice's last echoes before the connection is counted as failed.
DRAIN_TIMEOUT = 5.0


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid``, all threads (proc(5), /proc/pid/stat fields 14, 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """One server under test: its connections and its counters."""

    def __init__(self, port: int, pid: int, clients: int, stack: ExitStack) -> None:
        self.pid = pid
        self.socks: list[socket.socket] = []
        for _ in range(clients):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            stack.enter_context(sock)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            self.socks.append(sock)
        self.counted = self.completed = self.failed = 0
        self.active = 0.0
        self.cpu = 0.0

    def snapshot(self) -> float:
        return cpu_seconds(self.pid) if self.pid else float("nan")


class Client:
    """Drives the connections of every server through one epoll."""

    def __init__(self, servers: list[Server], size: int, depth: int, ep: select.epoll) -> None:
        self.message = b"m" * size
        self.size = size
        self.depth = depth
        self.buf = bytearray(max(size, 65536))
        self.ep = ep
        self.owner: dict[int, tuple[Server, socket.socket]] = {}
        self.missing: dict[int, int] = {}  # fd -> bytes sent whose echo has not come back
        for server in servers:
            for sock in server.socks:
                self.owner[sock.fileno()] = (server, sock)
                ep.register(sock.fileno(), select.EPOLLIN)
        self.partial = dict.fromkeys(self.owner, 0)  # fd -> bytes of the next echo received

    def slice(self, server: Server, seconds: float, measured: bool) -> None:
        """Ping-pong on ``server``'s connections for ``seconds``, then drain the last echoes."""
        for sock in list(server.socks):
            self._send(sock, self.depth)
        start = time.monotonic()
        end = start + seconds
        while (now := time.monotonic()) < end:
            self._step(min(end - now, 0.1), again=True, count=measured)
        if measured:
            server.active += time.monotonic() - start
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while self.missing and (now := time.monotonic()) < deadline:
            self._step(deadline - now, again=False, count=False)
        for fd in list(self.missing):  # no echo within DRAIN_TIMEOUT: give up on it
            self._fail(fd)

    def _send(self, sock: socket.socket, messages: int) -> None:
        fd = sock.fileno()
        data = self.message * messages
        try:
            if sock.send(data) != len(data):  # a few KiB into an idle socket: never short
                raise OSError("short send")
        except OSError:
            self._fail(fd)
            return
        self.missing[fd] = self.missing.get(fd, 0) + len(data)

    def _step(self, timeout: float, again: bool, count: bool) -> None:
        for fd, _ in self.ep.poll(timeout, len(self.owner) or 1):
            server, sock = self.owner[fd]
            try:
                n = sock.recv_into(self.buf)
            except BlockingIOError:
                continue
            except OSError:
                n = 0
            if n == 0:  # the server closed or reset this connection
                self._fail(fd)
                continue
            self.missing[fd] -= n
            if not self.missing[fd]:
                del self.missing[fd]
            done, self.partial[fd] = divmod(self.partial[fd] + n, self.size)
            server.completed += done
            if count:
                server.counted += done
            if again and done:
                self._send(sock, done)  # keep --depth messages in flight

    def _fail(self, fd: int) -> None:
        server, sock = self.owner.pop(fd)
        self.missing.pop(fd, None)
        server.failed += 1
        server.socks.remove(sock)
        self.ep.unregister(fd)


def run(
    ports: list[int],
    pids: list[int],
    clients: int,
    size: int,
    warmup: float,
    duration: float,
    slice_seconds: float,
    depth: int = 1,
) -> list[dict[str, float]]:
    with ExitStack() as stack:
        servers = [Server(port, pid, clients, stack) for port, pid in zip(ports, pids)]
        client = Client(servers, size, depth, stack.enter_context(select.epoll()))
        warm_end = time.monotonic() + warmup
        while time.monotonic() < warm_end:
            for server in servers:
                client.slice(server, min(slice_seconds, warmup), measured=False)
        for server in servers:
            server.counted = server.completed = 0
        before = [s.snapshot() for s in servers]
        client_before = sum(os.times()[:2])
        rounds = max(1, round(duration / slice_seconds))
        for _ in range(rounds):
            for server in servers:
                client.slice(server, duration / rounds, measured=True)
        client_cpu = (sum(os.times()[:2]) - client_before) / len(servers)
        return [
            {
                "round_trips": s.counted,
                "seconds": s.active,
                "all_round_trips": s.completed,
                "server_cpu": s.snapshot() - b,
                "client_cpu": client_cpu,
                "failed": s.failed,
            }
            for s, b in zip(servers, before)
        ]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--port", type=int, action="append", required=True)
    p.add_argument("--server-pid", type=int, action="append", default=[])
    p.add_argument("--clients", type=int, default=100, help="connections per server")
    p.add_argument("--size", type=int, default=256, help="message size in bytes")
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--duration", type=float, default=2.0, help="measured seconds per server")
    p.add_argument("--slice", type=float, default=0.2, help="seconds per turn of one server")
    p.add_argument("--depth", type=int, default=1, help="messages in flight per connection")
    args = p.parse_args(argv)
    pids = args.server_pid + [0] * (len(args.port) - len(args.server_pid))
    result = run(
        args.port, pids, args.clients, args.size, args.warmup, args.duration, args.slice,
        args.depth,
    )  # fmt: skip
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
