"""``python -m conformance``: see :mod:`conformance.runner`."""

from __future__ import annotations

import sys

from conformance.runner import main

if __name__ == "__main__":
    sys.exit(main())
