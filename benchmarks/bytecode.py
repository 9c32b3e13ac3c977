"""Compile a djfix checkout's bytecode before a benchmark times it.

An installed djfix starts from compiled bytecode (pip compiles a wheel's modules as it installs
them). A run from a checkout does too once Python has written `__pycache__`, unless
PYTHONDONTWRITEBYTECODE is set: then every run compiles every module it imports again, about
0.2-0.3 s of start-up that no user pays, and that a benchmark of start-up (or of the serial part
before `apply --repos` forks its workers) would count as djfix's own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGES = ("fixer", "codemods")
NOTE = "bytecode compiled first (python -m compileall fixer codemods), as an installed djfix has it"


def compile_checkout(src: Path) -> None:
    """Write the bytecode of djfix's packages in `src` (a checkout), with the interpreter that
    will run them; compileall writes it whatever PYTHONDONTWRITEBYTECODE says."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *PACKAGES],
        cwd=src,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )
