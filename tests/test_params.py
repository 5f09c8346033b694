"""Busy-poll parameters: the EPIOCSPARAMS / EPIOCGPARAMS ioctls (Linux 6.9)."""

from __future__ import annotations

import errno
import os
import platform
import shutil
import subprocess
import sys

import pytest

import pyepoll
from pyepoll import EpollParams
from tests.kernel import KernelObjects

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAP_NET_ADMIN = 12


def _kernel_version() -> tuple[int, int]:
    major, minor = platform.release().split("-")[0].split(".")[:2]
    return int(major), int(minor)


pytestmark = pytest.mark.skipif(
    _kernel_version() < (6, 9), reason="EPIOCSPARAMS/EPIOCGPARAMS arrived in Linux 6.9"
)


def test_new_instance_has_zero_params(ep: pyepoll.epoll) -> None:
    assert pyepoll.epoll_get_params(ep.fileno()) == EpollParams(0, 0, 0)


@pytest.mark.parametrize(
    "params", [EpollParams(100, 8, 1), EpollParams(2**31 - 1, 64, 0), EpollParams(0, 0, 0)]
)
def test_set_then_get_round_trips(ep: pyepoll.epoll, params: EpollParams) -> None:
    pyepoll.epoll_set_params(ep.fileno(), params)
    assert pyepoll.epoll_get_params(ep.fileno()) == params


def test_object_methods_round_trip(ep: pyepoll.epoll) -> None:
    ep.set_params(EpollParams(50, 16, 1))
    assert ep.get_params() == EpollParams(50, 16, 1)


def test_budget_above_64_with_cap_net_admin(ep: pyepoll.epoll) -> None:
    # This suite runs as root; without CAP_NET_ADMIN see the child-process test below.
    if not _has_cap_net_admin():
        pytest.skip("this process lacks CAP_NET_ADMIN")
    pyepoll.epoll_set_params(ep.fileno(), EpollParams(10, 65, 0))
    assert pyepoll.epoll_get_params(ep.fileno()).busy_poll_budget == 65


EINVAL_CASES = {
    "prefer-2": (EpollParams(0, 0, 2), 0),
    "prefer-255": (EpollParams(0, 0, 255), 0),
    "pad-1": (EpollParams(0, 0, 0), 1),
    "usecs-above-S32_MAX": (EpollParams(2**31, 0, 0), 0),
}


@pytest.mark.parametrize(("params", "pad"), EINVAL_CASES.values(), ids=EINVAL_CASES.keys())
def test_set_params_invalid_is_einval(ep: pyepoll.epoll, params: EpollParams, pad: int) -> None:
    with pytest.raises(OSError) as excinfo:
        pyepoll.epoll_set_params(ep.fileno(), params, pad=pad)
    assert excinfo.value.errno == errno.EINVAL
    assert pyepoll.epoll_get_params(ep.fileno()) == EpollParams(0, 0, 0)


OVERFLOW_CASES = {
    "usecs-2**32": (EpollParams(2**32, 0, 0), 0),
    "budget-2**16": (EpollParams(0, 2**16, 0), 0),
    "prefer-256": (EpollParams(0, 0, 256), 0),
    "negative": (EpollParams(-1, 0, 0), 0),
    "pad-256": (EpollParams(0, 0, 0), 256),
}


@pytest.mark.parametrize(("params", "pad"), OVERFLOW_CASES.values(), ids=OVERFLOW_CASES.keys())
def test_set_params_value_outside_its_field_is_refused(
    ep: pyepoll.epoll, params: EpollParams, pad: int
) -> None:
    # Never silently truncated into the C field.
    with pytest.raises(OverflowError):
        pyepoll.epoll_set_params(ep.fileno(), params, pad=pad)
    assert pyepoll.epoll_get_params(ep.fileno()) == EpollParams(0, 0, 0)


@pytest.mark.parametrize("call", ["get", "set"])
def test_non_epoll_fd_is_enotty(kernel: KernelObjects, call: str) -> None:
    efd = kernel.eventfd()
    with pytest.raises(OSError) as excinfo:
        if call == "get":
            pyepoll.epoll_get_params(efd)
        else:
            pyepoll.epoll_set_params(efd, EpollParams(1, 1, 0))
    assert excinfo.value.errno == errno.ENOTTY


def _has_cap_net_admin() -> bool:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_NET_ADMIN & 1)
    return False


CHILD = """
import errno, sys
import pyepoll
with open("/proc/self/status") as status:
    caps = [int(l.split()[1], 16) for l in status if l.startswith("CapEff:")][0]
if caps >> 12 & 1:
    sys.exit("CAP_NET_ADMIN was not dropped")
with pyepoll.epoll(backend=sys.argv[1]) as ep:
    ep.set_params(pyepoll.EpollParams(10, 64, 0))  # 64 needs no capability
    try:
        ep.set_params(pyepoll.EpollParams(10, 65, 0))
    except PermissionError as exc:
        print(exc.errno == errno.EPERM, ep.get_params().busy_poll_budget)
    else:
        print("accepted")
"""


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux setpriv")
def test_budget_above_64_without_cap_net_admin_is_eperm(backend: str) -> None:
    # setpriv drops CAP_NET_ADMIN from the bounding and inheritable sets before exec, so the
    # child, even as root, starts without it.
    drop = ["setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin"]
    child = subprocess.run(
        [*drop, sys.executable, "-c", CHILD, backend],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["True", "64"]
