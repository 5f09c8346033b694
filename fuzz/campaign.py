"""``python -m fuzz``: a time-bounded fuzzing campaign on every core asked for.

Each worker process cycles through the machines (differential and model, every backend and FFI,
or those named with ``--machines``), running chunks of random examples with the example
database in ``.hypothesis/examples``: Hypothesis replays saved failures first, so a failure
found once is found again at once by the next run. A machine that fails is reported with
its shrunk, paste-able program and left out of the rest of the campaign. The parent prints
a live progress line and a summary; the exit status is 1 if anything failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import sys
import time
import traceback
from collections.abc import Sequence
from multiprocessing.sharedctypes import Synchronized
from typing import Any, Callable, TypeVar

from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from . import differential, model_machine
from .profiles import SLOW_OK

MACHINES: dict[str, type[RuleBasedStateMachine]] = {
    **differential.MACHINES,
    **model_machine.MACHINES,
}
CHUNK = 25
DATABASE = ".hypothesis/examples"


class Counters:
    """Totals shared by all workers."""

    def __init__(self) -> None:
        self.examples: Synchronized[int] = multiprocessing.Value("q", 0)
        self.steps: Synchronized[int] = multiprocessing.Value("q", 0)
        self.failures: Synchronized[int] = multiprocessing.Value("q", 0)


def bump(counter: Synchronized[int]) -> None:
    with counter.get_lock():
        counter.value += 1


def counted(
    machine: type[RuleBasedStateMachine], counters: Counters
) -> type[RuleBasedStateMachine]:
    """The machine, counting examples (``__init__``) and steps (each invariant check, which
    Hypothesis makes after every step; this hook is Hypothesis's own method, so the
    printed program stays that of the real machine)."""

    def __init__(self: Any) -> None:
        machine.__init__(self)
        self._fuzz_started = False
        bump(counters.examples)

    def check_invariants(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self._fuzz_started:
            bump(counters.steps)
        self._fuzz_started = True
        return machine.check_invariants(self, *args, **kwargs)  # type: ignore[no-untyped-call]

    return type(
        machine.__name__, (machine,), {"__init__": __init__, "check_invariants": check_invariants}
    )


def report(
    machine: type[RuleBasedStateMachine], worker: int, exc: BaseException, printed: str
) -> str:
    """The failure, with the program Hypothesis attached to it (or, on some versions and
    under pytest, printed instead), ready to paste."""
    notes: list[str] = list(getattr(exc, "__notes__", [])) or printed.splitlines()
    # "Falsifying example:" before Hypothesis 6.16x, "Failing test case: ..." after.
    starts = [i for i, note in enumerate(notes) if note.startswith(("Falsifying", "Failing"))]
    if len(starts) > 1:  # a failure replayed from the database is noted twice
        notes = notes[: starts[1]]
    text = "".join(traceback.format_exception_only(type(exc), exc))
    header = (
        f"{machine.__name__} (worker {worker}); to replay: "
        f"from {machine.__module__} import {machine.__name__}"
    )
    return "\n".join([header, text.rstrip(), *notes])


def worker(
    index: int, names: list[str], deadline: float, counters: Counters, failed: Any, examples: int
) -> None:
    chunk = settings(
        max_examples=examples,
        stateful_step_count=100,
        deadline=None,
        database=DirectoryBasedExampleDatabase(DATABASE),
        suppress_health_check=SLOW_OK,
        print_blob=True,
    )
    machines = [MACHINES[n] for n in names[index % len(names) :] + names[: index % len(names)]]
    # Each worker runs at least one chunk, however late it started: a short campaign on a
    # loaded machine still fuzzes something.
    first = True
    while machines and (first or time.monotonic() < deadline):
        first = False
        machine = machines.pop(0)
        printed = io.StringIO()
        try:
            # The failing program comes back as the exception's notes, or is printed.
            with contextlib.redirect_stdout(printed):
                run_state_machine_as_test(  # type: ignore[no-untyped-call]
                    counted(machine, counters), settings=chunk
                )
            machines.append(machine)
        except Exception as exc:  # report, drop this machine, keep fuzzing the others
            bump(counters.failures)
            failed.put(report(machine, index, exc, printed.getvalue()))


def progress(counters: Counters, start: float) -> str:
    elapsed = int(time.monotonic() - start)
    return (
        f"[{elapsed // 60:02d}:{elapsed % 60:02d}] examples {counters.examples.value}  "
        f"steps {counters.steps.value}  failures {counters.failures.value}"
    )


def campaign(names: list[str], minutes: float, workers: int, chunk: int = CHUNK) -> int:
    """Run the campaign; print progress, failures and a summary; return the exit status."""
    counters = Counters()
    failed: multiprocessing.Queue[str] = multiprocessing.Queue()
    start = time.monotonic()
    deadline = start + minutes * 60
    procs = [
        multiprocessing.Process(target=worker, args=(i, names, deadline, counters, failed, chunk))
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    reports: list[str] = []

    def drain() -> None:
        while not failed.empty():
            reports.append(failed.get())
            print(f"\n{reports[-1]}", flush=True)

    while any(proc.is_alive() for proc in procs):
        drain()
        print(f"\r{progress(counters, start)}", end="", flush=True)
        time.sleep(1)
    for proc in procs:
        proc.join()
    drain()
    print(f"\r{progress(counters, start)}")
    print(
        f"summary: {workers} workers, {minutes:g} min, machines {', '.join(names)}: "
        f"{counters.examples.value} examples, {counters.steps.value} steps, "
        f"{counters.failures.value} failures"
    )
    return 1 if reports else 0


N = TypeVar("N", int, float)


def _positive(kind: Callable[[str], N]) -> Callable[[str], N]:
    """An argparse type: *kind* of the text, refused unless above zero."""

    def convert(text: str) -> N:
        value = kind(text)
        if not value > 0:  # also refuses NaN
            raise argparse.ArgumentTypeError(f"must be above zero, got {text}")
        return value

    return convert


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fuzz",
        description="A time-bounded fuzzing campaign of pyepoll on every core asked for.",
    )
    parser.add_argument("--minutes", type=_positive(float), default=1.0, help="how long to fuzz")
    parser.add_argument(
        "--workers",
        type=_positive(int),
        default=multiprocessing.cpu_count(),
        help="worker processes (default: one per core)",
    )
    parser.add_argument(
        "--machines",
        nargs="+",
        choices=sorted(MACHINES),
        default=list(MACHINES),
        help="which machines (default: all)",
    )
    args = parser.parse_args(argv)
    return campaign(args.machines, args.minutes, args.workers)


if __name__ == "__main__":
    sys.exit(main())
