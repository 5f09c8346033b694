"""The model oracle under pytest, once per backend (settings from the profile)."""

from __future__ import annotations

from .model_machine import ModelLibc, ModelSyscall

TestModelLibc = ModelLibc.TestCase
TestModelSyscall = ModelSyscall.TestCase
