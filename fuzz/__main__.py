"""``python -m fuzz --minutes N --workers N``: see :mod:`fuzz.campaign`."""

from __future__ import annotations

import sys

from .campaign import main

sys.exit(main())
