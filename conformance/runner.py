"""``python -m conformance``: run the suite against implementations, report clause by clause.

The runner runs pytest on this package in a child interpreter (so that the implementations
under test never share a process with the runner's own state), with the results-collecting
plugin :mod:`conformance.collect`, then aggregates per clause and prints the report. Exit
statuses are the contract in ``conformance/CONTRACT.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance import report
from conformance.adapters import BUILTINS, Adapter, AdapterError, load
from conformance.catalogue import CATALOGUE, KINDS, Clause
from conformance.collect import FAIL

PACKAGE = Path(__file__).resolve().parent
OK, FAILED, USAGE, SUITE_ERROR = 0, 1, 2, 3
# pytest's own exit statuses that the runner translates.
PYTEST_USAGE, PYTEST_NO_TESTS = 4, 5


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
        "-n", metavar="N", type=_workers, help="run in N processes, or auto (pytest-xdist -n)"
    )
    return parser.parse_args(argv)


def _workers(value: str) -> str:
    """-n's value: a positive count, or one of pytest-xdist's words for 'as many as CPUs'."""
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


def run_pytest(
    impls: Sequence[str], k: str | None, n: str | None, kind: str | None = None
) -> tuple[int, Any, str]:
    """Run the suite in a child pytest; (exit status, collected JSON, pytest's output)."""
    import json

    with tempfile.TemporaryDirectory(prefix="conformance-") as tmp:
        results = os.path.join(tmp, "results.json")
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(PACKAGE),
            "-p",
            "conformance.collect",
            f"--ignore={PACKAGE / 'test_runner.py'}",
            f"--epoll-results={results}",
            "-q",
            "-o",
            "addopts=",
            "--strict-markers",
            "-p",
            "no:cacheprovider",
            f"--rootdir={PACKAGE.parent}",
            # pytest-benchmark warns under xdist, and warnings are errors here.
            "-p",
            "no:benchmark",
        ]
        command += [f"--epoll-impl={name}" for name in impls]
        if k:
            command += ["-k", k]
        if kind:
            command += [f"--epoll-kind={kind}"]
        if n:
            command += ["-n", n]
        # The child runs in the project root; third-party modules stay importable from the
        # caller's directory, as they were for the runner.
        path = os.pathsep.join([str(PACKAGE.parent), os.getcwd(), os.environ.get("PYTHONPATH", "")])
        env = dict(os.environ, PYTHONPATH=path.rstrip(os.pathsep))
        proc = subprocess.run(
            command, cwd=PACKAGE.parent, env=env, stdout=subprocess.PIPE, text=True, check=False
        )
        collected: Any = {"tests": [], "errors": []}
        if os.path.exists(results):
            with open(results) as f:
                collected = json.load(f)
        return proc.returncode, collected, proc.stdout


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        return emit(listing(args.format, args.kind), args.output)
    try:
        adapters: list[Adapter] = [load(name) for name in dict.fromkeys(args.impl or BUILTINS)]
    except AdapterError as exc:
        print(f"python -m conformance: {exc}", file=sys.stderr)
        return USAGE
    names = [a.name for a in adapters]
    status, collected, output = run_pytest(args.impl or list(BUILTINS), args.k, args.n, args.kind)
    if status == PYTEST_USAGE:  # e.g. a -k expression pytest cannot parse
        print(
            f"python -m conformance: pytest refused the options:\n{output[-2000:]}", file=sys.stderr
        )
        return USAGE
    if status == PYTEST_NO_TESTS and args.k:
        print(f"python -m conformance: no clause matches -k {args.k!r}", file=sys.stderr)
        return USAGE
    rows = collected["tests"]
    errors = list(collected["errors"])
    errors += [
        f"{r['nodeid']}: {r['message']}"
        for r in rows
        if r["clause"] is None and r["outcome"] == FAIL
    ]
    if status not in (0, 1, 5) and not errors:
        errors.append(f"pytest exited with status {status}")
    results = report.aggregate(rows)
    ran = set(results)
    if args.k and not ran and not errors:  # -k matched only the suite's self-checks
        print(f"python -m conformance: no clause matches -k {args.k!r}", file=sys.stderr)
        return USAGE
    clauses: list[Clause] = [
        c
        for c in CATALOGUE.values()
        if (not args.k or c.id in ran) and (not args.kind or c.kind == args.kind)
    ]
    if args.format == "json":
        text = report.to_json(results, clauses, adapters, errors)
    elif args.format == "junit":
        text = report.to_junit(results, clauses, names, errors)
    else:
        text = report.table(results, clauses, names)
    emit(text, args.output)
    if errors:
        print(
            "python -m conformance: the suite itself failed:\n" + "\n".join(errors), file=sys.stderr
        )
        sys.stderr.write(output[-4000:])
        return SUITE_ERROR
    return FAILED if report.failed(results) else OK


def emit(text: str, output: str | None) -> int:
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text)
    return OK
