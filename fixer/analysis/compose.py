"""Compose files as the checks and the container plan read them: which are for development
only, which services run the root Dockerfile's image, and where a service's keys are written.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from fixer.parsers.compose import ComposeFile, ComposeService
from fixer.project import ProjectModel

_DEV_COMPOSE = re.compile(r"(^|[._-])(dev|develop|development|local|override|test|ci)([._-]|$)")


def is_dev_compose(path: str) -> bool:
    """True for compose files meant for development only (docker-compose.dev.yml,
    compose.override.yaml, local.yml)."""
    name = posixpath.basename(path).lower()
    name = re.sub(r"\.ya?ml$", "", name)
    return bool(_DEV_COMPOSE.search(name)) or name == "local"


def built_dockerfile(cf: ComposeFile, service: ComposeService) -> str | None:
    """The repository path of the Dockerfile the service's image is built from (`build:` with
    its context and `dockerfile:`), or None when it is not built from this repository."""
    build: Any = service.build
    if build is None:
        return None
    context = build if isinstance(build, str) else (build.get("context") or ".")
    if not isinstance(context, str) or "://" in context:
        return None
    base = posixpath.dirname(cf.path)
    context_rel = posixpath.normpath(posixpath.join(base, context))
    dockerfile = posixpath.normpath(posixpath.join(context_rel, service.dockerfile or "Dockerfile"))
    return None if dockerfile.startswith("../") or dockerfile == ".." else dockerfile


def builds_root_dockerfile(cf: ComposeFile, service: ComposeService) -> bool:
    """True when the service's image is built from the root Dockerfile."""
    return built_dockerfile(cf, service) == "Dockerfile"


def compose_key_line(
    project: ProjectModel, cf: ComposeFile, service: ComposeService, key: str
) -> int | None:
    """The line of `key:` inside the service's mapping, else the service's own line."""
    if service.line is None:
        return None
    text = project.cache.text(project.root / cf.path).text
    if text is None:
        return service.line
    lines = text.split("\n")
    start = service.line - 1
    if start >= len(lines):
        return service.line
    indent = len(lines[start]) - len(lines[start].lstrip())
    for i in range(start + 1, min(len(lines), start + 2000)):
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(raw) - len(raw.lstrip()) <= indent:
            break
        if re.match(rf"{re.escape(key)}\s*:", stripped):
            return i + 1
    return service.line
