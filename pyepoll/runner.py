"""Run a program as ``python script.py`` or ``python -m module`` would, inside this process.

What the program sees is what a direct start gives it: ``sys.argv``, a fresh ``__main__``
module (``__file__``, ``__loader__``, ``__spec__`` as the interpreter sets them),
``sys.path[0]`` (the script's directory, or the current directory for ``-m``; nothing under
``-P``), its exit status, and tracebacks without this module's frames.  A module runs through
``runpy._run_module_as_main``, the function the interpreter itself calls for ``-m`` (so its
tracebacks show the same runpy frames as a direct ``python -m``); a script is compiled and
executed in the new ``__main__``, as the interpreter does.

Known differences: ``sys.orig_argv`` (3.10+) shows the real command line, and a script given
as a ``.pyc`` file is not supported (directories and zip files with a ``__main__.py`` are).
"""

from __future__ import annotations

import atexit
import builtins
import importlib.machinery
import os
import runpy
import signal
import sys
import types
import zipfile
from typing import Callable

__all__ = ["run_module", "run_path"]

# runpy's own entry point for ``python -m``; private, but the interpreter calls it by name.
_run_module_as_main: Callable[..., object] = runpy._run_module_as_main  # type: ignore[attr-defined]


def run_module(name: str, args: list[str]) -> None:
    """``python -m name args...``; raises SystemExit with the program's exit status."""
    sys.argv = [name, *args]  # runpy puts the module's path in argv[0], as -m does
    _fresh_main()
    _run_program(lambda: _run_module_as_main(name, True))


def run_path(path: str, args: list[str]) -> None:
    """``python path args...``; raises SystemExit with the program's exit status."""
    sys.argv = [path, *args]
    # -P (3.11+) and -I: the interpreter puts neither the script's directory nor the current
    # one on sys.path, so there is no sys.path[0] of ours to replace.
    safe_path = getattr(sys.flags, "safe_path", False) or bool(sys.flags.isolated)
    if os.path.isdir(path) or zipfile.is_zipfile(path):
        # A directory or zip with __main__.py: the interpreter puts it first on sys.path and
        # runs its __main__ module through runpy, argv[0] untouched.
        sys.path.insert(0, path) if safe_path else sys.path.__setitem__(0, path)
        _fresh_main()
        _run_program(lambda: _run_module_as_main("__main__", False))
        return
    filename = os.path.abspath(path)
    try:
        with open(filename, "rb") as file:
            source = file.read()
    except OSError as exc:
        # The interpreter's own message and status for a script it cannot open (PyPy's
        # leaves the file name unquoted).
        shown = filename if sys.implementation.name == "pypy" else repr(filename)
        print(f"{sys.executable}: can't open file {shown}: [Errno {exc.errno}] {exc.strerror}",
              file=sys.stderr)  # fmt: skip
        raise SystemExit(2) from None
    if not safe_path:
        sys.path[0] = os.path.dirname(os.path.realpath(filename))
    main = _fresh_main()
    main.__file__ = filename
    main.__cached__ = None  # type: ignore[attr-defined]
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", filename)
    _run_program(lambda: exec(compile(source, filename, "exec", dont_inherit=True), vars(main)))


def _fresh_main() -> types.ModuleType:
    """A new, empty ``__main__`` in sys.modules, in place of this tool's own."""
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    main.__annotations__ = {}
    main.__spec__ = None
    sys.modules["__main__"] = main
    return main


class _Interrupted:
    """Whether the program ended with KeyboardInterrupt (the interpreter then dies of SIGINT
    once it has run its atexit handlers, so that the shell sees the interrupt)."""

    flag = False

    @classmethod
    def exit_like_the_interpreter(cls) -> None:
        if cls.flag:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)


def _run_program(call: Callable[[], object]) -> None:
    # Registered before the program's own handlers, so it runs after them (last in, first out).
    atexit.register(_Interrupted.exit_like_the_interpreter)
    try:
        call()
    except SystemExit:
        raise
    except BaseException as exc:
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_globals is globals():
            tb = tb.tb_next  # this module's frames: a direct start has none of them
        exc.__traceback__ = tb
        for name, value in (("last_type", type(exc)), ("last_value", exc), ("last_traceback", tb)):
            setattr(sys, name, value)
        if sys.version_info >= (3, 12):
            sys.last_exc = exc
        sys.excepthook(type(exc), exc, tb)
        _Interrupted.flag = isinstance(exc, KeyboardInterrupt)
        raise SystemExit(1) from None
