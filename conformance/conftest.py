"""Loads the conformance plugin (unless ``-p conformance.plugin`` did) and the fixtures."""

from __future__ import annotations

import pytest

from conformance import plugin
from conformance.fixtures import ep, no_fd_leak, res

__all__ = ["ep", "no_fd_leak", "res"]


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    # A conftest below the rootdir may not use `pytest_plugins`; registering the plugin here
    # replays pytest_addoption for it, so its option exists before the command line is parsed.
    if pluginmanager.get_plugin("conformance.plugin") is None:
        pluginmanager.register(plugin, "conformance.plugin")


def pytest_configure(config: pytest.Config) -> None:
    # The runner's self-checks (test_runner.py) set their own pytest-timeout limit; where that
    # plugin is not installed (the `conformance` extra) the marker must still be known.
    if not config.pluginmanager.hasplugin("timeout"):
        config.addinivalue_line("markers", "timeout(seconds): pytest-timeout's limit, if installed")
