"""``python -m pyepoll.inspect PID [PID ...] | --all``: the interest lists of live processes."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from pyepoll.inspect import procfs
from pyepoll.inspect.model import Process, inspect_process
from pyepoll.inspect.render import as_json, as_text

#: Exit statuses: every PID read; usage error; some PID could not be read.
OK, USAGE, UNREADABLE = 0, 2, 1


def _positive(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")
    return seconds


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pyepoll.inspect",
        description="Show the epoll instances of running processes (any program, not only "
        "Python), each registration's fd, what it is, its events and data word, from "
        "/proc/PID/fdinfo; flag registrations whose fd number is closed or reused (epoll(7) Q6).",
    )
    parser.add_argument("pids", nargs="*", type=int, metavar="PID", help="processes to read")
    parser.add_argument(
        "--all", action="store_true", help="every process this user may read (others are skipped)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--watch", type=_positive, metavar="SECONDS", help="refresh every SECONDS until Ctrl-C"
    )
    args = parser.parse_args(argv)
    if bool(args.pids) == args.all:
        parser.error("give PIDs or --all (not both)")
    return args


def read(pids: Sequence[int], quiet: bool) -> tuple[list[Process], list[str]]:
    """Reports of *pids*, and one message per PID not read (none for those *quiet* about)."""
    processes, errors = [], []
    for pid in pids:
        try:
            processes.append(inspect_process(pid))
        except procfs.Vanished:
            if not quiet:
                errors.append(f"PID {pid}: no such process (it does not exist, or exited)")
        except PermissionError:
            if not quiet:
                errors.append(
                    f"PID {pid}: permission denied (its descriptors are readable only by its "
                    "user or root)"
                )
    return processes, errors


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    render = as_json if args.json else as_text
    while True:
        pids = procfs.pids() if args.all else args.pids
        processes, errors = read(pids, quiet=args.all)
        if args.watch and sys.stdout.isatty():
            sys.stdout.write("\x1b[H\x1b[2J")  # home, clear screen
        sys.stdout.write(render(processes, errors))
        sys.stdout.flush()
        if not args.watch:
            return UNREADABLE if errors else OK
        try:
            time.sleep(args.watch)
        except KeyboardInterrupt:
            return OK
        if not sys.stdout.isatty():
            sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(OK)
    except BrokenPipeError:  # e.g. piped into head
        sys.exit(OK)
