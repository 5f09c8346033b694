"""``python -m pyepoll run``: start a program on pyepoll, from its first line.

    python -m pyepoll run [--backend libc|syscall] (-m module | script.py) [args...]

Like ``coverage run``: :func:`pyepoll.install` first, then the program as a direct start would
run it (:mod:`pyepoll.runner`).  The backend is ``--backend``, else the one
``PYEPOLL_INSTALL`` names, else the default (``PYEPOLL_BACKEND``).  Child processes follow only
when ``PYEPOLL_INSTALL`` is set and pyepoll was installed from its wheel
(:mod:`pyepoll.startup`); this command leaves the environment as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .backends import BACKEND_CHOICES
from .install import install
from .runner import run_module, run_path
from .startup import backend_from_environment

__all__ = ["USAGE", "main"]

USAGE = f"""\
usage: python -m pyepoll run [--backend {{{",".join(BACKEND_CHOICES)}}}] (-m module | script.py)
                             [args ...]

Run a Python program on pyepoll from its first line: select.epoll, selectors.EpollSelector,
selectors.DefaultSelector and asyncio's event loops are pyepoll's.  sys.argv, __main__,
sys.path[0] and the exit status are as if the program had been started directly.
Set PYEPOLL_INSTALL=1 (or a backend name) for child Python processes to follow.
"""


class UsageError(Exception):
    """A command line this tool does not accept (exit status 2, like argparse)."""


def parse(argv: Sequence[str]) -> tuple[str | None, bool, str, list[str]]:
    """``run``'s arguments: ``(backend, is_module, target, program_args)``."""
    backend: str | None = None
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg == "--backend" or arg.startswith("--backend="):
            value = arg.partition("=")[2] if "=" in arg else (rest.pop(0) if rest else "")
            if value not in BACKEND_CHOICES:
                raise UsageError(f"--backend: expected one of {', '.join(BACKEND_CHOICES)}")
            backend = value
        elif arg == "-m":
            if not rest:
                raise UsageError("-m: expected a module name")
            return backend, True, rest[0], rest[1:]
        elif arg.startswith("-") and arg != "-":
            raise UsageError(f"unknown option {arg}")
        else:
            return backend, False, arg, rest
    raise UsageError("expected -m module or a script")


def main(argv: Sequence[str]) -> int:
    """``python -m pyepoll`` with ``argv``; returns the exit status (the program's, through
    SystemExit, when one runs)."""
    if argv[:1] in (["-h"], ["--help"]) or argv[:2] in (["run", "-h"], ["run", "--help"]):
        print(USAGE, end="")
        return 0
    try:
        if argv[:1] != ["run"]:
            raise UsageError("expected the command 'run'" if argv else "no command given")
        backend, is_module, target, args = parse(argv[1:])
        if backend is None:
            backend = backend_from_environment()[1]
    except (UsageError, ValueError) as exc:
        print(f"{USAGE}\npython -m pyepoll: error: {exc}", file=sys.stderr)
        return 2
    install(backend)
    if is_module:
        run_module(target, args)
    else:
        run_path(target, args)
    return 0
