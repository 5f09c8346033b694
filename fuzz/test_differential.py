"""The differential oracle under pytest, once per backend (settings from the profile)."""

from __future__ import annotations

from .differential import DifferentialLibc, DifferentialSyscall

TestDifferentialLibc = DifferentialLibc.TestCase
TestDifferentialSyscall = DifferentialSyscall.TestCase
