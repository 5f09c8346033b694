"""Self-checks of :mod:`conformance.child`: a child that drops privileges must not depend on
reading the checkout afterwards (CI clones under root's 0700 home directory)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.child import NOBODY, SKIPPED, spawn
from conformance.flags import EPOLLERR, EPOLLHUP, EPOLLIN


def package_dir(name: str) -> Path:
    """Where package *name* is imported from: the checkout, or site-packages when pyepoll
    is an installed wheel and the suite a copy (the release check runs it that way)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        pytest.skip(f"{name} is not importable here")
    return Path(spec.origin).parent


def run_in_private_copy(
    tmp_path: Path, task: str, impl: str, modules: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m conformance.child TASK IMPL`` from a copy of the packages (and *modules*,
    name to source) in a directory that nobody cannot read."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    for name, source in (modules or {}).items():
        (private / f"{name}.py").write_text(source)
    for package in ("pyepoll", "conformance"):
        shutil.copytree(
            package_dir(package), private / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    env = dict(os.environ, PYTHONPATH=str(private), PYTHONDONTWRITEBYTECODE="1")
    return spawn(task, impl, env, cwd=str(private))


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges by setuid needs root")
def test_wakeup_nocap_needs_no_checkout_after_setuid(tmp_path: Path) -> None:
    # pyepoll loads its libc backend on the first instance; a child that created its first
    # instance after setuid(nobody) failed here with ImportError.
    proc = run_in_private_copy(tmp_path, "wakeup-nocap", "pyepoll-libc")
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout, 16) == EPOLLIN | EPOLLERR | EPOLLHUP


LAZY = """
import importlib
import itertools

import pyepoll

calls = itertools.count()


class epoll:
    def __init__(self, *args, **kwargs):
        self._ep = pyepoll.epoll(*args, **kwargs)

    def register(self, fd, events):
        importlib.import_module(f"lazy_helper_{next(calls)}")
        self._ep.register(fd, events)

    def __getattr__(self, name):
        return getattr(self._ep, name)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges by setuid needs root")
def test_wakeup_nocap_skips_an_implementation_that_imports_after_setuid(tmp_path: Path) -> None:
    # An implementation that imports a new module on each call cannot be checked as nobody
    # when nobody cannot read it: a skip with the reason, not a failure.
    modules = {"lazy": LAZY, "lazy_helper_0": "", "lazy_helper_1": ""}
    proc = run_in_private_copy(tmp_path, "wakeup-nocap", "lazy:epoll", modules=modules)
    assert proc.returncode == SKIPPED, proc.stderr
    assert f"uid {NOBODY} cannot read" in proc.stderr
