"""Each broken variant of the binding must make a machine fail: the fuzzer is worth
something only if it does. Derandomized, unshrunk, at most 1000 examples each.

A catch counts only if the unmutated binding passes the very examples that caught the
mutant (same seed, same count): otherwise a bug of the real binding could pass for a catch.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

import pyepoll

from . import mutants
from .differential import DifferentialMachine
from .model_machine import ModelMachine
from .profiles import MUTANT_SETTINGS

# A hunt may legitimately take minutes on a loaded machine or on PyPy (about 70 s there for
# the slowest): the suite-wide 120 s limit is meant for hangs.
pytestmark = pytest.mark.timeout(600)

#: (mutant, machine that must catch it): every mutant against both machines, except that
#: select.epoll has no data=, so the differential machine cannot see DataTruncated.
CASES: list[tuple[str, type[RuleBasedStateMachine]]] = [
    (name, machine)
    for machine in (ModelMachine, DifferentialMachine)
    for name in mutants.MUTANTS
    if not (name == "DataTruncated" and machine is DifferentialMachine)
]


def variant(
    machine: type[RuleBasedStateMachine], epoll_class: type[pyepoll.epoll], examples: list[int]
) -> type[RuleBasedStateMachine]:
    """``machine`` driving ``epoll_class`` (libc backend), counting examples in ``examples``."""

    def __init__(self: RuleBasedStateMachine) -> None:
        machine.__init__(self)
        examples[0] += 1

    # One name for mutant and honest twin, so nothing but the class under test differs.
    return type(
        f"{machine.__name__}Variant",
        (machine,),
        {"epoll_class": epoll_class, "backend": "libc", "__init__": __init__},
    )


def failure(machine: type[RuleBasedStateMachine], run: settings) -> str | None:
    """The AssertionError a run raises, if any."""
    try:
        run_state_machine_as_test(machine, settings=run)  # type: ignore[no-untyped-call]
    except AssertionError as exc:
        return str(exc).splitlines()[0]
    return None


@pytest.mark.parametrize(("name", "machine"), CASES, ids=[f"{n}-{m.__name__}" for n, m in CASES])
def test_mutant_is_caught(name: str, machine: type[RuleBasedStateMachine]) -> None:
    used = [0]
    try:
        caught = failure(variant(machine, mutants.MUTANTS[name], used), MUTANT_SETTINGS)
    finally:
        mutants.close_leaked()
    assert caught is not None, f"{name} survived {MUTANT_SETTINGS.max_examples} examples"
    honest = failure(
        variant(machine, pyepoll.epoll, [0]), settings(MUTANT_SETTINGS, max_examples=used[0])
    )
    assert honest is None, (
        f"{name} was caught ({caught}), but the unmutated binding fails the same "
        f"{used[0]} examples too ({honest}), so the catch proves nothing"
    )
