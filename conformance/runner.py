"""``python -m conformance``: run the suite against implementations, report clause by clause.

The runner runs pytest on this package in child processes that it supervises (so that the
implementations under test never share a process with the runner's own state, and a test that
kills or hangs its process fails instead of ending the run: :mod:`conformance.supervise`),
then aggregates per clause and prints the report, or with ``--prove`` the kill matrix
(:mod:`conformance.proof`). Exit statuses are the contract in ``conformance/CONTRACT.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from conformance import proof, report
from conformance.adapters import BUILTINS, Adapter, AdapterError, load
from conformance.catalogue import CATALOGUE, KINDS, Clause
from conformance.collect import FAIL
from conformance.supervise import Supervisor
from conformance.violators import registry

PACKAGE = Path(__file__).resolve().parent
OK, FAILED, USAGE, SUITE_ERROR = 0, 1, 2, 3
#: The default per-test limit, in seconds: above every bound a test sets itself (a child
#: process gets 60 s, conformance/child.py), so that a test's own message wins when it has one.
TEST_TIMEOUT = 90.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m conformance",
        description="Check epoll implementations against the Linux epoll specification, "
        "clause by clause (epoll(7), epoll_create(2), epoll_ctl(2), epoll_wait(2), and"
        " select.epoll's own Python API).",
    )
    parser.add_argument(
        "--impl",
        action="append",
        metavar="NAME",
        help=f"implementation to test, repeatable: {', '.join(BUILTINS)} or module:attribute "
        "(default: all built-ins)",
    )
    parser.add_argument("--list", action="store_true", help="print the clause catalogue and exit")
    parser.add_argument(
        "--format",
        choices=("table", "json", "junit"),
        default="table",
        help="report format (default: table)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument("-k", metavar="EXPR", help="only tests matching EXPR (pytest -k)")
    parser.add_argument(
        "--kind",
        choices=KINDS,
        help="only clauses of this kind: binding (what an implementation does with arguments and"
        " results, and what the Python API adds) or kernel (kernel facts any pass-through"
        " inherits); with --list too",
    )
    parser.add_argument(
        "-n", metavar="N", type=_workers, help="run in N processes, or auto (one per CPU)"
    )
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=_seconds,
        default=TEST_TIMEOUT,
        help=f"a test that takes longer than S seconds fails (default: {TEST_TIMEOUT:g})",
    )
    parser.add_argument(
        "--prove",
        action="store_true",
        help="run every registered violator and the built-ins, and report per clause whether "
        "the suite catches its violators (the kill matrix)",
    )
    return parser.parse_args(argv)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds > 0:
        return seconds
    raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")


def _workers(value: str) -> str:
    """-n's value: a positive count, or pytest-xdist's words for 'as many as CPUs'."""
    if value in ("auto", "logical") or (value.isdigit() and int(value) > 0):
        return value
    raise argparse.ArgumentTypeError(f"expected a positive number or auto, got {value!r}")


def listing(fmt: str, kind: str | None = None) -> str:
    clauses = [c for c in CATALOGUE.values() if kind is None or c.kind == kind]
    if fmt == "json":
        import json

        return json.dumps([c.as_dict() for c in clauses], indent=2) + "\n"
    lines = []
    for c in clauses:
        status = "testable" if c.testable else f"untestable: {c.untestable}"
        since = f" (Linux {'.'.join(map(str, c.min_kernel))}+)" if c.min_kernel else ""
        flags = " [implementation-defined]" if c.impl_defined else ""
        lines.append(
            f"{c.id}  [{c.kind}] {c.page} {c.section}{since}{flags}\n    {c.quote}\n"
            f"    source: {c.source}; {status}"
        )
    return "\n".join(lines) + "\n"


def run_suite(
    impls: Sequence[str],
    k: str | None,
    n: str | None,
    timeout: float | None,
    kind: str | None = None,
) -> Supervisor:
    """Run the suite over *impls* in supervised pytest processes (:mod:`conformance.supervise`)."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(PACKAGE),
        "-p",
        "conformance.collect",
        f"--ignore={PACKAGE / 'test_runner.py'}",
        "-q",
        "-o",
        "addopts=",
        "--strict-markers",
        "-p",
        "no:cacheprovider",
        f"--rootdir={PACKAGE.parent}",
        # The runner runs its own processes; the collector writes crash tracebacks itself.
        "-p",
        "no:xdist",
        "-p",
        "no:faulthandler",
        "-p",
        "no:benchmark",
    ]
    if k:
        command += ["-k", k]
    if kind:
        command += [f"--epoll-kind={kind}"]
    # The child runs in the project root; third-party modules stay importable from the
    # caller's directory, as they were for the runner.
    path = os.pathsep.join([str(PACKAGE.parent), os.getcwd(), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path.rstrip(os.pathsep))
    shards = (os.cpu_count() or 1) if n in ("auto", "logical") else int(n or 1)
    with tempfile.TemporaryDirectory(prefix="conformance-") as tmp:
        supervisor = Supervisor(command, impls, shards, timeout, Path(tmp), PACKAGE.parent, env)
        supervisor.run()
    return supervisor


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        return emit(listing(args.format, args.kind), args.output)
    if args.prove and args.impl:
        print("python -m conformance: --prove chooses the implementations itself", file=sys.stderr)
        return USAGE
    names = list(dict.fromkeys(args.impl or BUILTINS))
    violators = registry() if args.prove else {}
    names += list(violators)
    try:
        adapters: list[Adapter] = [load(name) for name in names]
    except AdapterError as exc:
        print(f"python -m conformance: {exc}", file=sys.stderr)
        return USAGE
    started = time.monotonic()
    run = run_suite(names, args.k, args.n, args.timeout, args.kind)
    if run.usage_error is not None:  # e.g. a -k expression pytest cannot parse
        print(
            f"python -m conformance: pytest refused the options:\n{run.usage_error}",
            file=sys.stderr,
        )
        return USAGE
    rows = list(run.rows.values())
    errors = list(run.errors)
    errors += [
        f"{r['nodeid']}: {r['message']}"
        for r in rows
        if r["clause"] is None and r["outcome"] == FAIL
    ]
    results = report.aggregate(rows)
    ran = set(results)
    if args.k and not ran and not errors:  # -k matched nothing, or only the suite's self-checks
        print(f"python -m conformance: no clause matches -k {args.k!r}", file=sys.stderr)
        return USAGE
    for note in run.notes:
        print(f"python -m conformance: {note}", file=sys.stderr)
    clauses: list[Clause] = [
        c
        for c in CATALOGUE.values()
        if (not args.k or c.id in ran) and (not args.kind or c.kind == args.kind)
    ]
    the_proof = proof.prove(results, clauses, violators, BUILTINS) if args.prove else None
    if args.format == "json":
        text = report.to_json(results, clauses, adapters, errors, the_proof)
    elif args.format == "junit":
        text = report.to_junit(results, clauses, names, errors)
    elif the_proof is not None:
        text = proof.table(the_proof)
    else:
        text = report.table(results, clauses, names)
    emit(text, args.output)
    if the_proof is not None:
        print(
            f"python -m conformance: proof took {time.monotonic() - started:.0f} s", file=sys.stderr
        )
    if errors:
        print(
            "python -m conformance: the suite itself failed:\n" + "\n".join(errors), file=sys.stderr
        )
        sys.stderr.write("".join(run.outputs)[-4000:])
        return SUITE_ERROR
    if the_proof is not None:
        return OK if the_proof.complete else FAILED
    return FAILED if report.failed(results) else OK


def emit(text: str, output: str | None) -> int:
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text)
    return OK
