"""An offline inventory of the Python documentation, for intersphinx.

The documentation is built where there is no network (CI), so instead of downloading
``objects.inv`` from docs.python.org this extension writes one that holds the Python objects
these pages refer to, each with its real address on docs.python.org, and points intersphinx's
``python`` mapping at it before intersphinx loads its inventories.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

from sphinx.application import Sphinx

#: (role, name, the page of https://docs.python.org/3/library/ that documents it); the anchor
#: on that page is the name itself (``$`` in the inventory).
OBJECTS = [
    ("py:class", "int", "functions"),
    ("py:class", "float", "functions"),
    ("py:class", "str", "stdtypes"),
    ("py:class", "bytes", "stdtypes"),
    ("py:class", "bool", "functions"),
    ("py:class", "list", "stdtypes"),
    ("py:class", "tuple", "stdtypes"),
    ("py:class", "dict", "stdtypes"),
    ("py:class", "object", "functions"),
    ("py:data", "None", "constants"),
    ("py:exception", "OSError", "exceptions"),
    ("py:exception", "ValueError", "exceptions"),
    ("py:exception", "TypeError", "exceptions"),
    ("py:exception", "OverflowError", "exceptions"),
    ("py:exception", "FileExistsError", "exceptions"),
    ("py:exception", "FileNotFoundError", "exceptions"),
    ("py:exception", "PermissionError", "exceptions"),
    ("py:exception", "InterruptedError", "exceptions"),
    ("py:class", "select.epoll", "select"),
    ("py:method", "select.epoll.poll", "select"),
    ("py:method", "select.epoll.register", "select"),
    ("py:method", "select.epoll.modify", "select"),
    ("py:method", "select.epoll.unregister", "select"),
    ("py:method", "select.epoll.fromfd", "select"),
    ("py:class", "selectors.BaseSelector", "selectors"),
    ("py:class", "selectors.EpollSelector", "selectors"),
    ("py:class", "selectors.SelectorKey", "selectors"),
    ("py:class", "asyncio.SelectorEventLoop", "asyncio-eventloop"),
    ("py:class", "asyncio.AbstractEventLoop", "asyncio-eventloop"),
    ("py:class", "enum.IntFlag", "enum"),
    ("py:class", "enum.IntEnum", "enum"),
    ("py:class", "typing.NamedTuple", "typing"),
    ("py:class", "collections.abc.Iterable", "collections.abc"),
    ("py:class", "collections.abc.Iterator", "collections.abc"),
    ("py:class", "collections.abc.Sequence", "collections.abc"),
    ("py:class", "ctypes.Structure", "ctypes"),
]


def _write(path: str) -> None:
    lines = [f"{name} {role} 1 library/{page}.html#$ -\n" for role, name, page in OBJECTS]
    header = b"# Sphinx inventory version 2\n# Project: Python\n# Version: 3\n"
    header += b"# The remainder of this file is compressed using zlib.\n"
    with open(path, "wb") as f:
        f.write(header + zlib.compress("".join(lines).encode()))


def _point_intersphinx(app: Sphinx, config: Any) -> None:
    path = os.path.join(app.doctreedir, "python-objects.inv")
    os.makedirs(app.doctreedir, exist_ok=True)
    _write(path)
    uri, _ = config.intersphinx_mapping["python"]
    config.intersphinx_mapping["python"] = (uri, path)


def setup(app: Sphinx) -> dict[str, Any]:
    # config-inited runs before builder-inited, where intersphinx reads its inventories.
    app.connect("config-inited", _point_intersphinx, priority=100)
    return {"parallel_read_safe": True}
