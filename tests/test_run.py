"""``python -m pyepoll run``: a program started through it sees what a direct start gives it
(argv, __main__, sys.path[0], exit status, tracebacks), on pyepoll; and PYEPOLL_INSTALL makes
child processes follow where the wheel's .pth file is installed.

Each case runs the same program twice, directly and through ``run``, as child processes, and
compares what they print.
"""

from __future__ import annotations

import json
import os
import re
import signal
import site
import subprocess
import sys
from pathlib import Path

import pytest

import pyepoll

ROOT = Path(__file__).resolve().parent.parent

#: Prints what a program can see of how it was started, and whether it sits on pyepoll.
PROBE = """\
import json, re, select, sys
def shown(value):
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))
poller = select.epoll()
print(json.dumps({
    "argv": sys.argv,
    "path0": sys.path[0],
    "main": {k: shown(v) for k, v in sorted(globals().items()) if k not in ("json", "re",
        "select", "sys", "shown", "poller")},
    "poller": type(poller).__module__,
    "backend": getattr(getattr(poller, "backend", None), "name", None),
}))
poller.close()
"""

#: Fails the way the first argument asks.
FAILING = """\
import sys
def inner():
    raise ValueError("from inner")
how = sys.argv[1]
if how == "raise":
    inner()
if how == "interrupt":
    raise KeyboardInterrupt
sys.exit(int(how))
"""


def python(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ if env is None else env)
    # pyepoll from this checkout, wherever the program runs (a no-op where it is installed).
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), environment.get("PYTHONPATH")])
    )
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def programs(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "probe.py").write_text(PROBE)
    (tmp_path / "sub" / "failing.py").write_text(FAILING)
    return tmp_path


def probe(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    found: dict[str, object] = json.loads(result.stdout)
    return found


STARTS = {
    "script": (["sub/probe.py", "a", "-m", "--x"], "."),
    "module": (["-m", "probe", "a", "-m", "--x"], "sub"),
}


@pytest.mark.parametrize("start", STARTS.values(), ids=STARTS.keys())
def test_program_sees_a_direct_start_on_pyepoll(
    programs: Path, start: tuple[list[str], str]
) -> None:
    args, cwd = start
    direct = probe(python(*args, cwd=programs / cwd))
    ran = probe(python("-m", "pyepoll", "run", *args, cwd=programs / cwd))
    assert direct.pop("poller") == "select"
    assert ran.pop("poller") == "pyepoll"
    assert ran.pop("backend") == pyepoll.get_backend("libc").name
    direct.pop("backend")
    assert ran == direct


def test_backend_option(programs: Path) -> None:
    ran = probe(
        python("-m", "pyepoll", "run", "--backend", "syscall", "sub/probe.py", cwd=programs)
    )
    assert (ran["poller"], ran["backend"]) == ("pyepoll", pyepoll.get_backend("syscall").name)
    ran = probe(
        python("-m", "pyepoll", "run", "--backend=syscall", "-m", "probe", cwd=programs / "sub")
    )
    assert (ran["poller"], ran["backend"]) == ("pyepoll", pyepoll.get_backend("syscall").name)


FAILURES = {
    "exception": ("raise", 1),
    "sys.exit": ("7", 7),
    "KeyboardInterrupt": ("interrupt", -signal.SIGINT),
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
@pytest.mark.parametrize(
    "start", [["sub/failing.py"], ["-m", "sub.failing"]], ids=["script", "module"]
)
def test_exit_status_and_traceback_as_a_direct_start(
    programs: Path, start: list[str], failure: tuple[str, int]
) -> None:
    how, status = failure
    direct = python(*start, how, cwd=programs)
    ran = python("-m", "pyepoll", "run", *start, how, cwd=programs)
    assert direct.returncode == status, direct.stderr
    assert (ran.returncode, ran.stdout, ran.stderr) == (status, direct.stdout, direct.stderr)


def test_missing_script_as_the_interpreter_reports_it(programs: Path) -> None:
    direct = python("sub/nothing.py", cwd=programs)
    ran = python("-m", "pyepoll", "run", "sub/nothing.py", cwd=programs)
    assert direct.returncode == 2
    assert (ran.returncode, ran.stderr) == (direct.returncode, direct.stderr)


USAGE_ERRORS = {
    "no command": [],
    "unknown command": ["walk"],
    "no program": ["run"],
    "-m without module": ["run", "-m"],
    "unknown backend": ["run", "--backend", "nonsense", "x.py"],
    "unknown option": ["run", "--fast", "x.py"],
}


@pytest.mark.parametrize("args", USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_usage_errors_exit_2(programs: Path, args: list[str]) -> None:
    result = python("-m", "pyepoll", *args, cwd=programs)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m pyepoll run")
    assert result.stdout == ""


def test_help_exits_0() -> None:
    result = python("-m", "pyepoll", "--help", cwd=ROOT)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("usage: python -m pyepoll run")


# -- PYEPOLL_INSTALL and the wheel's .pth ---------------------------------------------------


def installed_pth() -> Path | None:
    """The .pth file next to an installed pyepoll (as a fresh interpreter outside this
    checkout finds it); None when pyepoll is only in the checkout.  An installed pyepoll
    without the file fails: the wheel must ship it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYEPOLL_INSTALL")}
    found = subprocess.run(
        [sys.executable, "-c", "import pyepoll; print(pyepoll.__file__)"],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if found.returncode != 0:
        return None
    pth = Path(found.stdout.strip()).parent.parent / "pyepoll-ctypes.pth"
    assert pth.exists(), f"pyepoll is installed in {pth.parent} without pyepoll-ctypes.pth"
    return pth


PTH = installed_pth()
needs_wheel = pytest.mark.skipif(
    PTH is None,
    reason="pyepoll runs from a checkout here, not from its wheel: no pyepoll-ctypes.pth",
)


@needs_wheel
def test_the_wheel_puts_the_hook_where_site_runs_it() -> None:
    assert PTH is not None
    assert str(PTH.parent) in [*site.getsitepackages(), site.getusersitepackages()]
    assert "PYEPOLL_INSTALL" in PTH.read_text()


CHILD = """\
import select, sys
print(select.epoll.__module__, "pyepoll" in sys.modules)
"""


@needs_wheel
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", "pyepoll True"),
        ("syscall", "pyepoll True"),
        ("0", "select False"),
        ("", "select False"),
    ],
)
def test_pyepoll_install_variable_switches_a_new_process(
    tmp_path: Path, value: str, expected: str
) -> None:
    result = python("-c", CHILD, cwd=tmp_path, env={**os.environ, "PYEPOLL_INSTALL": value})
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, expected, "")


@needs_wheel
@pytest.mark.parametrize("flag", ["-I", "-P"] if sys.version_info >= (3, 11) else ["-I"])
def test_isolated_and_safe_path_starts_add_no_directory(programs: Path, flag: str) -> None:
    # pyepoll must come from site-packages here: -I ignores PYTHONPATH.
    direct = probe(python(flag, "sub/probe.py", cwd=programs))
    ran = probe(python(flag, "-m", "pyepoll", "run", "sub/probe.py", cwd=programs))
    assert ran["path0"] == direct["path0"] != str(programs / "sub")
    assert ran["argv"] == direct["argv"]


@needs_wheel
def test_without_the_variable_the_hook_imports_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYEPOLL_INSTALL"}
    result = python("-c", CHILD, cwd=tmp_path, env=env)
    assert (result.returncode, result.stdout.strip()) == (0, "select False")


@needs_wheel
def test_unknown_value_is_reported_and_the_process_runs_on_stock_epoll(tmp_path: Path) -> None:
    result = python("-c", CHILD, cwd=tmp_path, env={**os.environ, "PYEPOLL_INSTALL": "fast"})
    assert result.returncode == 0
    assert result.stdout.split()[0] == "select"
    assert re.fullmatch(
        r"pyepoll: PYEPOLL_INSTALL='fast' is not one of .*; not installed\n", result.stderr
    )


@needs_wheel
def test_children_of_a_run_program_follow_the_variable(programs: Path) -> None:
    # A program started by run, which starts a child Python: the child follows the variable.
    (programs / "parent.py").write_text(
        f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {CHILD!r}], check=True)\n"
    )
    env = {**os.environ, "PYEPOLL_INSTALL": "syscall"}
    result = python("-m", "pyepoll", "run", "parent.py", cwd=programs, env=env)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "pyepoll True", "")
