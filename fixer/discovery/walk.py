"""The files discovery looks at, found by one bounded walk of the repository."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from fixer.sources import FileStore, planned_paths

SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".env",
    "env",
    "site-packages",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "htmlcov",
    "bower_components",
    ".idea",
    ".vscode",
    "dist",
    "build",
}
#: manage.py files below these folders are samples, not the project (unless nothing else exists)
SAMPLE_DIRS = {"tests", "test", "testing", "examples", "example", "docs", "doc", "samples"}
MAX_DEPTH = 4


@dataclass
class Walk:
    manage: list[Path] = field(default_factory=list)
    dockerfiles: list[Path] = field(default_factory=list)
    compose: list[Path] = field(default_factory=list)
    procfiles: list[Path] = field(default_factory=list)
    scripts: list[Path] = field(default_factory=list)
    makefiles: list[Path] = field(default_factory=list)
    requirements: list[Path] = field(default_factory=list)
    ci: list[Path] = field(default_factory=list)
    settings_candidates: list[Path] = field(default_factory=list)
    wsgi: list[Path] = field(default_factory=list)
    #: templates and front-end sources, where a page may frame another (`fixer.discovery.frames`)
    pages: list[Path] = field(default_factory=list)
    any_file: bool = False


def walk_repository(root: Path, store: FileStore) -> Walk:
    """The files discovery looks at: walked once per run (a rediscovery reuses the walk of the
    first discovery), plus the container files a fix plan creates."""
    if store.walk is None or store.walk[0] != root:
        store.walk = (root, _walk_disk(root))
    on_disk: Walk = store.walk[1]
    found = Walk(
        **{
            name: list(value) if isinstance(value, list) else value
            for name, value in vars(on_disk).items()
        }
    )
    # container files a fix plan creates are not on disk yet; the re-detection must see them
    for path in sorted(planned_paths()):
        if path.parent != root:
            continue
        lower = path.name.lower()
        if lower == "dockerfile" and path not in found.dockerfiles:
            found.dockerfiles.append(path)
        elif re.fullmatch(r"(docker-)?compose\.ya?ml", lower) and path not in found.compose:
            found.compose.append(path)
    return found


def _walk_disk(root: Path) -> Walk:
    found = Walk()
    root_depth = len(root.parts)
    seen_real: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        depth = len(here.parts) - root_depth
        real = os.path.realpath(dirpath)
        if real in seen_real:
            dirnames[:] = []
            continue
        seen_real.add(real)
        if "pyvenv.cfg" in filenames:
            dirnames[:] = []
            continue
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS and not d.endswith(".egg-info") and depth < MAX_DEPTH
        )
        if depth == 0 and ".github" in os.listdir(dirpath):
            workflows = here / ".github" / "workflows"
            if workflows.is_dir():
                found.ci.extend(sorted(workflows.glob("*.y*ml")))
        if filenames:
            found.any_file = True
        folder = here.name
        for name in filenames:
            kind = _kind(name, name.lower(), folder, depth)
            if kind is not None:
                getattr(found, kind).append(here / name)
    return found


#: templates and front-end sources: a page of the site can frame another in them
PAGE_SUFFIXES = (".html", ".htm", ".jinja", ".jinja2", ".vue", ".jsx", ".tsx", ".svelte")
PAGE_SUFFIXES += (".js", ".ts")
_COMPOSE = re.compile(r"(docker-)?compose([.-][\w.-]+)?\.ya?ml")
_REQUIREMENTS = re.compile(r"requirements.*\.(txt|in)")


def _kind(name: str, lower: str, folder: str, depth: int) -> str | None:
    """The list of `Walk` a file goes to, or None (most files of a repository): told by
    its name, its folder's name and its depth."""
    if name == "manage.py":
        return "manage"
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "dockerfiles"
    if depth <= 2 and "compose" in lower and _COMPOSE.fullmatch(lower):
        return "compose"
    if lower.endswith(".sh") or lower in ("entrypoint", "docker-entrypoint"):
        return "scripts"
    if name == "Procfile" or name.startswith("Procfile."):
        return "procfiles"
    if name in ("Makefile", "makefile", "GNUmakefile", "justfile") and depth <= 2:
        return "makefiles"
    if depth <= 2 and (
        _REQUIREMENTS.fullmatch(lower)
        or (folder == "requirements" and lower.endswith((".txt", ".in")))
    ):
        return "requirements"
    if depth == 0 and name in (".gitlab-ci.yml", "bitbucket-pipelines.yml"):
        return "ci"
    if name == "settings.py" or (folder == "settings" and name == "__init__.py"):
        return "settings_candidates"
    if name in ("wsgi.py", "asgi.py"):
        return "wsgi"
    if lower.endswith(PAGE_SUFFIXES) and not lower.endswith((".min.js", ".bundle.js")):
        return "pages"
    return None
