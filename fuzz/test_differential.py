"""The differential oracle under pytest, once per backend and FFI (settings from the profile)."""

from __future__ import annotations

from .differential import MACHINES

globals().update({f"Test{name}": machine.TestCase for name, machine in MACHINES.items()})
