"""The example echo servers (examples/) under real loopback clients.

Each test starts one server as a subprocess on 127.0.0.1 port 0, exactly as a user would run it,
drives it with clients that behave well or badly (huge messages that force partial writes,
disconnects mid-message, resets through SO_LINGER 0), and checks three things: every byte comes
back, the server's fd count (/proc/<pid>/fd) returns to what it was before the first client, and
on SIGTERM/SIGINT the server exits 0 having closed every connection it accepted.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.on_pyepoll import assert_on_pyepoll

ROOT = Path(__file__).resolve().parent.parent

#: ``python -m`` arguments that run a module on pyepoll and report what it sat on.
RUN = ["pyepoll", "run", "-m", "tests.on_pyepoll"]

#: name -> (module arguments, counts partial writes in blocked_sends)
SERVERS: dict[str, tuple[list[str], bool]] = {
    "pyepoll-lt": (["examples.echo_server", "--impl", "pyepoll", "--mode", "lt"], True),
    "pyepoll-et": (["examples.echo_server", "--impl", "pyepoll", "--mode", "et"], True),
    "select-lt": (["examples.echo_server", "--impl", "select", "--mode", "lt"], True),
    "select-et": (["examples.echo_server", "--impl", "select", "--mode", "et"], True),
    "threaded": (["examples.threaded_echo_server"], False),
    "asyncio-default": (["examples.asyncio_echo_server", "--loop", "default"], True),
    "asyncio-pyepoll": (["examples.asyncio_echo_server", "--loop", "pyepoll"], True),
    # The unchanged programs on the stock epoll, switched by python -m pyepoll run; the
    # tests.on_pyepoll wrapper reports what their epolls and loops really sat on.
    "run-select-lt": ([*RUN, "examples.echo_server", "--impl", "select", "--mode", "lt"], True),
    "run-asyncio-default": ([*RUN, "examples.asyncio_echo_server", "--loop", "default"], True),
}

#: Generous bound for anything that should take milliseconds (the machine is shared).
PATIENCE = 60.0


class Server:
    """A running example server: its port, its fd count, and a clean stop."""

    def __init__(self, name: str) -> None:
        args, self.counts_blocked_sends = SERVERS[name]
        self.switched = args[: len(RUN)] == RUN
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *args, "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)\n", line)
        if match is None:
            self.kill()
            raise AssertionError(f"{name}: no 'listening on' line: {line!r}")
        self.port = int(match.group(1))
        self.baseline = self.fd_count()

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def settled_fd_count(self) -> int:
        """The fd count once it is back at the baseline, or whatever it is after PATIENCE."""
        deadline = time.monotonic() + PATIENCE
        while (count := self.fd_count()) != self.baseline and time.monotonic() < deadline:
            time.sleep(0.02)
        return count

    def connect(self, rcvbuf: int = 0) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(PATIENCE)
        sock.connect(("127.0.0.1", self.port))
        return sock

    def stop(self, sig: int = signal.SIGTERM) -> dict[str, int]:
        """Signal the server, check it exits 0, and return its final counters."""
        self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"no exit {PATIENCE} s after {sig!r}:\n{self.threads()}") from None
        assert self.proc.returncode == 0, err
        if self.switched:
            assert_on_pyepoll(err)
        match = re.search(r"^stats: (.*)$", err, re.MULTILINE)
        assert match is not None, err
        return {k: int(v) for k, v in (kv.split("=") for kv in match.group(1).split())}

    def threads(self) -> str:
        """Where each of the server's threads sleeps, and its signal state (for a hang report)."""
        lines = []
        try:
            tids = sorted(os.listdir(f"/proc/{self.proc.pid}/task"), key=int)
        except OSError as exc:  # it exited meanwhile
            return f"(no threads to show: {exc})"
        for tid in tids:
            task = f"/proc/{self.proc.pid}/task/{tid}"
            with contextlib.suppress(OSError):
                status = Path(task, "status").read_text().splitlines()
                wanted = ("Name:", "State:", "SigPnd:", "ShdPnd:", "SigBlk:")
                fields = [" ".join(line.split()) for line in status if line.startswith(wanted)]
                lines.append(f"{tid}: wchan={Path(task, 'wchan').read_text()} {' '.join(fields)}")
        return "\n".join(lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=PATIENCE)


#: PyPy's select.epoll is not CPython's: its poll(None) raises TypeError, so the example
#: server cannot run on it (the conformance suite reports the deviation clause by clause).
_PYPY_SELECT = platform.python_implementation() == "PyPy"


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if _PYPY_SELECT and request.param.startswith("select-"):
        pytest.skip("PyPy's select.epoll.poll(None) raises TypeError")
    srv = Server(request.param)
    try:
        yield srv
    finally:
        srv.kill()


def recv_all(sock: socket.socket) -> bytes:
    """Read until EOF."""
    chunks = []
    while chunk := sock.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        assert chunk, f"EOF after {len(buf)} of {n} bytes"
        buf += chunk
    return bytes(buf)


def assert_clean(server: Server, accepted: int, sig: int = signal.SIGTERM) -> dict[str, int]:
    """No fd left behind, the server still echoes, and it stops with every connection closed."""
    assert server.settled_fd_count() == server.baseline
    with server.connect() as sock:
        sock.sendall(b"still alive")
        assert recv_exactly(sock, 11) == b"still alive"
    assert server.settled_fd_count() == server.baseline
    stats = server.stop(sig)
    assert stats["accepted"] == accepted + 1
    assert stats["closed"] == stats["accepted"]
    return stats


def test_many_clients_echo(server: Server) -> None:
    socks = [server.connect() for _ in range(20)]
    messages = [os.urandom(1 + 997 * i) for i in range(len(socks))]
    for sock, message in zip(socks, messages):
        sock.sendall(message)
    for sock, message in zip(socks, messages):
        assert recv_exactly(sock, len(message)) == message
    assert server.fd_count() >= server.baseline + len(socks)
    for sock in socks:
        sock.close()
    assert_clean(server, len(socks))


def test_large_message_half_close(server: Server) -> None:
    """12 MiB against a 64 KiB receive buffer that is not read for a while: more than the
    server's send buffer can hold (net.ipv4.tcp_wmem caps it at 4 MiB by default), so its sends
    hit EAGAIN and finish on EPOLLOUT. The client then half-closes: all of it comes back,
    then EOF."""
    data = os.urandom(12 << 20)
    with server.connect(rcvbuf=1 << 16) as sock:

        def send() -> None:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(0.3)
        echoed = recv_all(sock)
        sender.join(PATIENCE)
    assert len(echoed) == len(data)
    assert echoed == data
    stats = assert_clean(server, 1)
    if server.counts_blocked_sends:
        assert stats["blocked_sends"] > 0
    assert stats["reset"] == 0


def test_clients_vanish_mid_message(server: Server) -> None:
    """Clients that close while their echo is in flight: some with unread echo in their receive
    buffer (the close sends RST), some right after a write (FIN, then RST when the echo lands)."""
    for i in range(12):
        sock = server.connect()
        sock.sendall(os.urandom((1 << 20) if i % 2 else 100))
        if i % 3 == 0:
            recv_exactly(sock, 50)  # read half the echo, drop the rest
        sock.close()
    assert_clean(server, 12)


def test_reset_with_linger_zero(server: Server) -> None:
    """close() with SO_LINGER {on, 0} sends RST: the server sees ECONNRESET or EPOLLERR."""
    count = 8
    for i in range(count):
        sock = server.connect()
        sock.sendall(os.urandom(1 << (10 + i)))
        if i % 2:
            recv_exactly(sock, 10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    stats = assert_clean(server, count)
    assert stats["reset"] >= count


def test_shutdown_with_live_clients(server: Server) -> None:
    """SIGINT while clients are connected: the server closes them (they read EOF) and exits 0."""
    socks = [server.connect() for _ in range(5)]
    try:
        for sock in socks:
            sock.sendall(b"ping")
            assert recv_exactly(sock, 4) == b"ping"
        stats = server.stop(signal.SIGINT)
        assert stats["accepted"] == stats["closed"] == len(socks)
        for sock in socks:
            # An abortive close (asyncio's transport.abort()) is a close too.
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(1) == b""
    finally:
        for sock in socks:
            sock.close()


#: A server whose main thread blocks the stop signals and then sleeps in a call no Python
#: signal handler can interrupt: stop() can reach it only the way serving.run delivers it, from
#: the watcher thread, which is also the only thread left that can take the signal. It also
#: has a handler for SIGUSR1, whose number the wakeup fd carries too, and which must not stop
#: it; with "quick" as its argument, it returns from serve_forever() at once, unasked.
_DEAF_SERVER = """
import os, signal, sys, threading
from examples import serving

class Deaf:
    stats = serving.Stats()
    stopped = threading.Event()
    def address(self):
        return ("127.0.0.1", 0)
    def serve_forever(self):
        if sys.argv[1:] == ["quick"]:
            return
        signal.pthread_sigmask(signal.SIG_BLOCK, serving.STOP_SIGNALS)
        while not self.stopped.wait(0.05):  # (wakes up to run SIGUSR1's Python handler)
            pass
    def stop(self):
        self.stopped.set()

# os.write, not print: a handler runs inside whatever the main thread was doing, which may be
# the buffered stdout's flush of the "listening" line (it checks for signals after each write),
# and print would then fail with "reentrant call inside <_io.BufferedWriter name='<stdout>'>".
signal.signal(signal.SIGUSR1, lambda signum, frame: os.write(1, b"SIGUSR1\\n"))
sys.exit(serving.run(Deaf()))
"""


@contextlib.contextmanager
def deaf_server(*args: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _DEAF_SERVER, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "listening on 127.0.0.1:0\n"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(PATIENCE)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def assert_exits_cleanly(proc: subprocess.Popen[str]) -> str:
    """Wait for the server to exit; check status 0 and its stats line; return its stdout."""
    out, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 0, err
    assert "stats: accepted=0" in err
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_signal_reaches_a_main_thread_that_cannot_take_it(sig: int) -> None:
    with deaf_server() as proc:
        proc.send_signal(sig)
        assert_exits_cleanly(proc)


def test_other_signals_do_not_stop_the_server() -> None:
    with deaf_server() as proc:
        assert proc.stdout is not None
        proc.send_signal(signal.SIGUSR1)
        line = proc.stdout.readline()
        if line == "":  # it exited: say how
            _, err = proc.communicate(timeout=PATIENCE)
            raise AssertionError(f"exited with {proc.returncode} on SIGUSR1:\n{err}")
        assert line == "SIGUSR1\n"
        time.sleep(0.2)  # (a watcher that stopped on it would have done so by now, mostly)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert_exits_cleanly(proc)


def test_serving_that_ends_unasked_ends_the_watcher_too() -> None:
    with deaf_server("quick") as proc:
        assert_exits_cleanly(proc)
