"""Hypothesis settings profiles of the fuzz suite; choose one with ``--hypothesis-profile``.

* ``ci``: deterministic (derandomized, no database) and quick: each state machine runs in a
  few seconds on a loaded 2-core machine. Used by tox and CI. (It replaces Hypothesis's
  built-in ``ci`` profile, which Hypothesis loads by itself when the CI variable is set; the
  settings that profile sets are kept.)
* ``emulated``: ``ci`` with a quarter of its examples and shorter sequences, for an
  interpreter under emulation (the aarch64 env runs under qemu-user, 10-30x slower).
* ``dev``: the default amount of search, random, with the example database in
  ``.hypothesis/`` so a failure replays first on the next run.
* ``nightly``: long random runs with longer sequences, database on.

``python -m fuzz`` runs its own time-bounded campaign with the database on (see
:mod:`fuzz.campaign`).
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, Verbosity, settings

#: Kernel calls on a shared machine: never judge a step by its duration.
SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci",
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=SLOW_OK,
)
settings.register_profile(
    "emulated", settings.get_profile("ci"), max_examples=15, stateful_step_count=25
)
settings.register_profile(
    "dev",
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=SLOW_OK,
)
settings.register_profile(
    "nightly",
    max_examples=20_000,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=SLOW_OK,
)

#: Settings for the mutation tests: the ci profile, stopping at the first failure unshrunk.
MUTANT_SETTINGS = settings(
    settings.get_profile("ci"),
    max_examples=1000,
    stateful_step_count=60,
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    verbosity=Verbosity.quiet,
)
