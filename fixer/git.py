"""The few questions djfix asks git about the target repository.

Every call runs the real `git` in the repository; a folder that is not a git work tree answers
"not a repository" rather than failing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def is_repository(root: Path) -> bool:
    try:
        result = _git(root, "rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == "true"


def dirty_paths(root: Path) -> list[str]:
    """Tracked files with uncommitted changes (staged or not), as `git status` shows them."""
    result = _git(root, "status", "--porcelain", "--untracked-files=no")
    return [line[3:] for line in result.stdout.splitlines() if line.strip()]


def is_tracked(root: Path, rel: str) -> bool:
    return _git(root, "ls-files", "--error-unmatch", "--", rel).returncode == 0


def is_ignored(root: Path, rel: str) -> bool:
    return _git(root, "check-ignore", "-q", "--no-index", "--", rel).returncode == 0
