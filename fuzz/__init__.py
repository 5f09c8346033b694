"""pyepoll's fuzzer: Hypothesis state machines that check ``pyepoll.epoll`` against
``select.epoll`` (:mod:`fuzz.differential`) and against an executable model of the epoll
spec (:mod:`fuzz.model_machine`). Not distributed; run it from a checkout:

    pytest fuzz --hypothesis-profile=ci        # what CI runs
    python -m fuzz --minutes 10 --workers 2    # a long campaign

Importing the package registers the settings profiles ``ci``, ``dev`` and ``nightly``.
"""

from __future__ import annotations

from . import profiles as profiles

__all__ = ["profiles"]
