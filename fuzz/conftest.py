"""pytest wiring for fuzz/: importing the package registers the Hypothesis profiles before
the Hypothesis plugin reads ``--hypothesis-profile``."""

from __future__ import annotations

import fuzz  # noqa: F401  (registers the profiles)
