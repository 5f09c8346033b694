"""The machines' descriptor accounting at teardown is exact whenever a collector runs.

On PyPy an honest example once failed with "-8 descriptors leaked": the machine counted
descriptors, and garbage from an earlier test was collected in the middle of the example.
"""

from __future__ import annotations

import os
from typing import Union

import pytest

from tests.fd_leaks import abandoned_descriptors

from .differential import DifferentialLibc, DifferentialMachine
from .model_machine import ModelLibc, ModelMachine

Machine = Union[type[ModelMachine], type[DifferentialMachine]]
MACHINES: list[Machine] = [ModelLibc, DifferentialLibc]


@pytest.mark.parametrize("machine", MACHINES)
def test_what_a_collection_closes_is_no_leak(machine: Machine) -> None:
    with abandoned_descriptors(8):
        state = machine()
    state.teardown()


@pytest.mark.parametrize("machine", MACHINES)
def test_a_leak_at_a_reused_number_is_caught(machine: Machine) -> None:
    with abandoned_descriptors() as (number,):
        state = machine()
    leak = os.open("/dev/zero", os.O_RDONLY | os.O_CLOEXEC)
    try:
        assert leak == number  # one closed, one opened: a count sees nothing
        with pytest.raises(AssertionError, match="descriptors left open"):
            state.teardown()
    finally:
        os.close(leak)
