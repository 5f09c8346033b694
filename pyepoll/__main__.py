"""``python -m pyepoll``: see :mod:`pyepoll.cli`."""

from __future__ import annotations

import sys

from pyepoll.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
