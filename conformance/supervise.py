"""Supervised pytest processes: a test that kills or hangs its process fails, the run goes on.

``python -m conformance -n N`` runs the suite in N pytest processes (shards: a share of the
implementations each, or with few implementations every N-th test each), all children of the
runner, so that the runner sees how each one ended. Each journals its tests as it goes
(:mod:`conformance.collect`). When one dies before it finished:

* the test it was in (a ``start`` without a ``row``) fails with the cause: ``killed by
  SIGUSR1`` (a negative exit status), ``no answer in 90 s`` (the watchdog fired: faulthandler's
  ``Timeout`` header in the faults file), or ``the test process exited with status 3``, and
  where the main thread was (faulthandler's traceback);
* the shard starts again, with every test already reported or blamed deselected.

Each restart blames at least one test, so the run ends. An implementation that hangs in
:data:`LIMITS` ``["hung"]`` tests, or kills the process in ``["killed"]`` of them, has its tests
not yet run left out of the processes started from then on (reported as not run), so that one
implementation that hangs or crashes everywhere cannot hold the run for hours.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from conformance.collect import EXCLUDE_IMPL, FAIL
from conformance.sigstate import name as signal_name

#: After this many hangs (each costs the whole timeout) or deaths of the process (each costs
#: a restart) in the tests of one implementation, its tests not yet run are left out.
LIMITS = {"hung": 2, "killed": 10}
_FRAME = re.compile(r'^\s+File "(.*)", line (\d+) in (\S+)')
_STDLIB = tuple({sysconfig.get_path(p) for p in ("stdlib", "platstdlib")})
_SITE = tuple({sysconfig.get_path(p) for p in ("purelib", "platlib")})
_PYTEST_USAGE = 4


class Journal:
    """The events of one pytest process's journal, read as they are appended."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""

    def read(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        *lines, self.partial = (self.partial + data).split(b"\n")
        return [json.loads(line) for line in lines if line]


@dataclass
class Run:
    """One pytest process of a shard."""

    journal: Journal
    log: Path
    proc: subprocess.Popen[bytes]
    main_thread: str = ""
    started: dict[str, dict[str, Any]] = field(default_factory=dict)
    finished: int | None = None
    last_row: dict[str, Any] | None = None


def where(faults: str, main_thread: str) -> str:
    """The innermost frame of the main thread (or of the crashing one) in faulthandler's
    output, as ``file:line in function``, passing over the standard library's frames (PyPy's
    ctypes, say) when there are others; empty when there is none."""
    frames: list[tuple[str, str]] = []
    chosen = False
    for line in faults.splitlines():
        if line.startswith(("Thread 0x", "Current thread 0x")):
            if chosen and frames:
                break
            chosen = main_thread in line or line.startswith("Current thread")
            frames = []
            continue
        m = _FRAME.match(line)
        if m and chosen:
            frames.append((m[1], f"{_short(m[1])}:{m[2]} in {m[3]}"))
    ours = [s for path, s in frames if path.startswith(_SITE) or not path.startswith(_STDLIB)]
    return (ours or [shown for _, shown in frames] or [""])[0]


def _short(path: str) -> str:
    """*path* relative to the working directory when it lies below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


class Shard:
    """The tests of *impls*, every *count*-th from the *index*-th: one pytest process at a
    time, restarted after a crash with what is done left out."""

    def __init__(
        self, supervisor: Supervisor, impls: list[str], index: int, count: int, checks: bool
    ) -> None:
        self.sup = supervisor
        self.impls = impls
        self.index = index
        self.count = count
        #: Whether this shard runs the suite's self-checks (the tests of no implementation).
        self.checks = checks
        self.runs = 0
        self.run: Run | None = None
        self.excluded: set[str] = set()
        self.total: int | None = None

    def start(self) -> None:
        tmp = self.sup.tmp
        stem = tmp / f"shard{id(self)}-run{self.runs}"
        self.runs += 1
        exclude = stem.with_suffix(".exclude")
        lines = sorted(self.excluded) + [EXCLUDE_IMPL + i for i in sorted(self.sup.given_up)]
        exclude.write_text("".join(line + "\n" for line in lines))
        journal, log = stem.with_suffix(".journal"), stem.with_suffix(".log")
        command = [
            *self.sup.command,
            *[f"--epoll-impl={name}" for name in self.impls],
            f"--epoll-journal={journal}",
            f"--epoll-exclude={exclude}",
            f"--epoll-shard={self.index}/{self.count}",
        ]
        if not self.checks:
            command.append("--epoll-impl-tests-only")
        if self.sup.timeout:
            command.append(f"--epoll-test-timeout={self.sup.timeout:g}")
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                command,
                cwd=self.sup.cwd,
                env=self.sup.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.run = Run(Journal(journal), log, proc)

    def poll(self) -> bool:
        """Take in the new events; True while the shard still runs."""
        run = self.run
        if run is None:
            return False
        returncode = run.proc.poll()  # before reading, so that no event is missed
        for event in run.journal.read():
            self._event(run, event)
        if returncode is None:
            return True
        self.run = None
        if run.finished is not None:
            self._ended(run, returncode)
        elif returncode == _PYTEST_USAGE and not run.started:
            self.sup.usage_error = self._tail(run)
        else:
            self._died(run, returncode)
        return self.run is not None

    def _event(self, run: Run, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "session":
            run.main_thread = event["main_thread"]
        elif kind == "collected" and self.total is None:
            self.total = event["count"]
        elif kind == "error":
            self.sup.errors.append(event["message"])
        elif kind == "start":
            run.started[event["nodeid"]] = event
        elif kind == "row":
            row = event["row"]
            run.started.pop(row["nodeid"], None)
            run.last_row = row
            self.excluded.add(row["nodeid"])
            self.sup.add(row)
        elif kind == "finish":
            run.finished = event["status"]

    def _ended(self, run: Run, returncode: int) -> None:
        if returncode == _PYTEST_USAGE:
            self.sup.usage_error = self._tail(run)
        elif returncode not in (0, 1, 5):  # 5: every test of this shard deselected
            self.sup.errors.append(f"pytest exited with status {returncode}")
            self.sup.outputs.append(self._tail(run))

    def _died(self, run: Run, returncode: int) -> None:
        faults = Path(str(run.journal.path) + ".faults")
        text = faults.read_text(errors="replace") if faults.exists() else ""
        hung = "Timeout (" in text
        if hung:
            cause = f"no answer in {self.sup.timeout:g} s"
        elif returncode < 0:
            cause = f"killed by {signal_name(-returncode)}"
        else:
            cause = f"the test process exited with status {returncode}"
        place = where(text, run.main_thread)
        cause += f" (at {place})" if place else ""
        if run.started:
            for event in run.started.values():
                self.excluded.add(event["nodeid"])
                if event["impl"]:
                    self.sup.died(event["impl"], "hung" if hung else "killed")
                self.sup.add(
                    {
                        "nodeid": event["nodeid"],
                        "clause": event["clause"],
                        "impl": event["impl"],
                        "outcome": FAIL,
                        "message": cause,
                        "duration": 0.0,
                    }
                )
        elif run.last_row is not None:
            # Between two tests: the one before is the likely culprit (a signal it left).
            row = dict(run.last_row, outcome=FAIL, message=f"{cause}, after this test ended")
            self.sup.add(row)
        else:
            self.sup.errors.append(f"pytest died before running a test: {cause}")
            self.sup.outputs.append(self._tail(run))
            return
        self.start()

    def _tail(self, run: Run) -> str:
        return run.log.read_text(errors="replace")[-4000:]


class Supervisor:
    """Runs *command* (a pytest command line) over *impls* as *shards* supervised processes.

    With many implementations per process each process gets its own implementations (so
    that each collects, and recollects after a crash, only its share of the tests); with few,
    every process gets all of them and every *shards*-th test.
    """

    def __init__(
        self,
        command: Sequence[str],
        impls: Sequence[str],
        shards: int,
        timeout: float | None,
        tmp: Path,
        cwd: Path,
        env: dict[str, str],
    ) -> None:
        self.command = list(command)
        self.timeout = timeout
        self.tmp = tmp
        self.cwd = cwd
        self.env = env
        self.rows: dict[str, dict[str, Any]] = {}
        self.errors: list[str] = []
        self.outputs: list[str] = []
        self.notes: list[str] = []
        self.usage_error: str | None = None
        self.deaths: Counter[tuple[str, str]] = Counter()
        self.given_up: set[str] = set()
        if len(impls) >= 4 * shards:
            self.shards = [Shard(self, list(impls[i::shards]), 0, 1, i == 0) for i in range(shards)]
        else:
            self.shards = [Shard(self, list(impls), i, shards, True) for i in range(shards)]
        self.progress = Progress(sys.stderr)

    def add(self, row: dict[str, Any]) -> None:
        self.rows[row["nodeid"]] = row

    def died(self, impl: str, how: str) -> None:
        """A test of *impl* hung or killed the process (*how*: a key of :data:`LIMITS`)."""
        self.deaths[impl, how] += 1
        if self.deaths[impl, how] >= LIMITS[how] and impl not in self.given_up:
            self.given_up.add(impl)
            self.notes.append(
                f"{impl}: {how} the test process in {LIMITS[how]} tests; "
                "its tests not yet run were left out"
            )

    def run(self) -> None:
        for shard in self.shards:
            shard.start()
        running = list(self.shards)
        while running:
            time.sleep(0.1)
            running = [shard for shard in running if shard.poll()]
            if self.usage_error is not None:
                for shard in running:
                    if shard.run is not None:
                        shard.run.proc.kill()
                        shard.run.proc.wait()
                break
            total = sum(s.total or 0 for s in self.shards)
            failed = sum(1 for row in self.rows.values() if row["outcome"] == FAIL)
            self.progress.show(len(self.rows), total, failed, final=not running)


class Progress:
    """``conformance: done/total tests, N failed`` on stderr: rewritten in place on a terminal,
    otherwise a line at each quarter."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.printed = -1

    def show(self, done: int, total: int, failed: int, final: bool) -> None:
        if not (total or final):
            return
        total = max(total, done)
        line = f"conformance: {done}/{total} tests, {failed} failed"
        if self.tty:
            self.stream.write(f"\r{line}" + ("\n" if final else ""))
        elif done != self.printed and (final or done >= self.printed + max(1, total // 4)):
            self.printed = done
            self.stream.write(line + "\n")
        self.stream.flush()
