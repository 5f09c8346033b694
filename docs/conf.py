"""Sphinx configuration of pyepoll's documentation (``tox -e docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS / "_ext"), str(DOCS.parent)]

import pyepoll  # noqa: E402  (after the path is set)

project = "pyepoll"
author = "the pyepoll developers"
copyright = "2026, the pyepoll developers"
release = version = pyepoll.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "pyinventory",
    "epoll_catalogue",
    "manlinks",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"pyepoll {release}"

autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
# Every epoll call is linked to its page on man7.org (:manpage:`epoll_ctl(2)`).
manpages_url = "https://man7.org/linux/man-pages/man{section}/{page}.{section}.html"

# The build machine has no network: the inventory of the Python documentation is made by the
# pyinventory extension from the names these pages link to (see docs/_ext/pyinventory.py).
intersphinx_mapping = {"python": ("https://docs.python.org/3", None)}
intersphinx_timeout = 1
