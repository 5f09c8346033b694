"""Choosing a backend: by name in code, or by PYEPOLL_BACKEND for the whole process.

The environment variable is read once per process, so each case runs in a child."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import pyepoll
from pyepoll.backends import BACKEND_NAMES, Backend, get_backend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = """
import pyepoll
from pyepoll.backends import get_backend
with pyepoll.epoll() as ep:
    print(get_backend().name, ep.backend.name)
"""


def run_child(env_value: str | None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYEPOLL_BACKEND"}
    env["PYTHONPATH"] = ROOT
    if env_value is not None:
        env["PYEPOLL_BACKEND"] = env_value
    return subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, env=env
    )


def test_backend_names() -> None:
    assert BACKEND_NAMES == ("libc", "syscall")


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
    assert child.stdout.split() == ["libc", "libc"]


def test_empty_environment_value_means_the_default() -> None:
    child = run_child("")
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["libc", "libc"]


def test_unknown_environment_value_fails_clearly() -> None:
    child = run_child("bogus")
    assert child.returncode != 0
    last_line = child.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ValueError")
    assert "'bogus'" in last_line
