"""Where an installation keeps its files: beside the code by default, elsewhere when the
installation says so (DEPOT_ROOT), so packagers can split code from data."""
from __future__ import annotations

import os
from collections import namedtuple

InstallPaths = namedtuple("InstallPaths", ["root", "public", "data"])


def resolve_install_paths(code_dir, environ):
    root = environ.get("DEPOT_ROOT") or os.path.dirname(code_dir)
    public = os.path.join(root, "public")
    return InstallPaths(root=root, public=public, data=os.path.join(root, "var"))
