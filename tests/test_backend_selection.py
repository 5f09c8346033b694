"""Choosing a backend: by name in code, or by PYEPOLL_BACKEND for the whole process.

The environment variable is read once per process, so each case runs in a child."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import pyepoll
from pyepoll.backends import BACKEND_NAMES, Backend, get_backend
from pyepoll.ffi import default_ffi_name

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = """
import pyepoll
from pyepoll.backends import get_backend
with pyepoll.epoll() as ep:
    print(get_backend().name, ep.backend.name)
"""


def run_child(env_value: str | None, ffi: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYEPOLL_BACKEND", "PYEPOLL_FFI")}
    env["PYTHONPATH"] = ROOT
    if env_value is not None:
        env["PYEPOLL_BACKEND"] = env_value
    if ffi is not None:
        env["PYEPOLL_FFI"] = ffi
    return subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, env=env
    )


def test_backend_names_are_each_kind_over_each_installed_ffi() -> None:
    ffis = [name.partition("+")[2] for name in BACKEND_NAMES[::2]]
    assert ffis[0] == default_ffi_name()
    assert tuple(f"{kind}+{ffi}" for ffi in ffis for kind in ("libc", "syscall")) == BACKEND_NAMES


@pytest.mark.parametrize("kind", ["libc", "syscall"])
def test_bare_kind_is_that_kind_over_the_default_ffi(kind: str) -> None:
    assert get_backend(kind) is get_backend(f"{kind}+{default_ffi_name()}")


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_get_backend_by_name(name: str) -> None:
    chosen = get_backend(name)
    assert isinstance(chosen, Backend)
    assert chosen.name == name


def test_get_backend_passes_a_backend_through(backend: str) -> None:
    chosen = get_backend(backend)
    assert get_backend(chosen) is chosen


@pytest.mark.parametrize("name", ["", "LIBC", "glibc", "sys call"])
def test_unknown_name_is_valueerror_naming_the_choices(name: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        get_backend(name)
    message = str(excinfo.value)
    assert repr(name) in message
    assert all(choice in message for choice in BACKEND_NAMES)


def test_unknown_name_is_refused_by_the_functions() -> None:
    with pytest.raises(ValueError):
        pyepoll.epoll_create1(0, backend="nonsense")


def test_unknown_name_is_refused_by_the_epoll_object() -> None:
    with pytest.raises(ValueError):
        pyepoll.epoll(backend="nonsense")


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_environment_chooses_the_default(name: str) -> None:
    child = run_child(name)
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == [name, name]


def test_default_without_environment_is_libc() -> None:
    child = run_child(None)
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == [get_backend("libc").name] * 2


def test_empty_environment_value_means_the_default() -> None:
    child = run_child("")
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == [get_backend("libc").name] * 2


def test_unknown_environment_value_fails_clearly() -> None:
    child = run_child("bogus")
    assert child.returncode != 0
    last_line = child.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ValueError")
    assert "'bogus'" in last_line


@pytest.mark.parametrize("ffi", sorted({name.partition("+")[2] for name in BACKEND_NAMES}))
def test_ffi_environment_chooses_the_default_ffi(ffi: str) -> None:
    child = run_child("syscall", ffi)
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == [f"syscall+{ffi}"] * 2


@pytest.mark.parametrize("name", ["libc+", "libc+cffi2", "cffi", "syscall+ctypes+cffi"])
def test_unknown_ffi_in_a_name_is_valueerror(name: str) -> None:
    with pytest.raises(ValueError, match="unknown pyepoll backend"):
        get_backend(name)
