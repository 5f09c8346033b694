"""Build hook: put ``pyepoll-ctypes.pth`` at the top of the wheel, next to the ``pyepoll``
package, so that it lands in site-packages (where the ``site`` module runs it at start-up).

Everything else is in pyproject.toml.  ``package-data`` can only place files inside a package
and ``data-files`` under the installation prefix, hence this one command.  Editable installs
and checkouts go without the file (see the README: PYEPOLL_INSTALL needs the wheel).
"""

from __future__ import annotations

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "pyepoll-ctypes.pth"


class BuildPyWithPth(build_py):
    """``build_py``, then the start-up hook copied to the root of the build directory."""

    def run(self) -> None:
        super().run()
        self.copy_file(PTH, os.path.join(self.build_lib, PTH), preserve_mode=False)


setup(cmdclass={"build_py": BuildPyWithPth})
