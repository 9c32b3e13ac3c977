from __future__ import annotations

import ast
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from fixer.discovery import discover
from fixer.project import ProjectModel

PROJECTS = Path(__file__).parent / "projects"


def pytest_configure(config: pytest.Config) -> None:
    """buildah and podman, run by the container tests and by djfix verify's image step, use the
    tests' own container storage where tests/container_base.sh made it (tests/test_images.py)."""
    conf = Path(os.environ.get("DJFIX_TEST_STORAGE", "/var/lib/djfix-tests")) / "storage.conf"
    if conf.is_file():
        os.environ.setdefault("CONTAINERS_STORAGE_CONF", str(conf))


MINIMAL_MANAGE = """\
#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` ({relative path: text}) below root; text is dedented."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., ProjectModel]:
    """Build a small repository and discover it.

    `files` maps relative paths to contents. Unless given, manage.py (settings mysite.settings)
    and an empty mysite/__init__.py are added.
    """

    def make(files: dict[str, str | bytes], **discover_kwargs) -> ProjectModel:
        tree = {"manage.py": MINIMAL_MANAGE, "mysite/__init__.py": ""}
        tree.update(files)
        write_tree(tmp_path, {k: v for k, v in tree.items() if v is not None})
        return discover(tmp_path, **discover_kwargs)

    return make


def findings_of(module, project: ProjectModel, options: dict | None = None) -> list:
    """Run one check module over a project the way the engine does (applies() first)."""
    from fixer.config import Config, effective_options

    opts = effective_options(Config())
    opts.update(options or {})
    if not module.applies(project):
        return []
    return list(module.check(project, opts))


# A settings module already on django-environ: the start of the settings the codemod tests fix.
ENV_HEAD = """\
import environ

env = environ.Env()

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["shop.example.com"])
"""
SETTINGS_REQUIREMENTS = "Django==5.2\ndjango-environ==0.11\ndjango-redis==5.4\n"


def assert_fix_silences(
    make_project: Callable[..., ProjectModel],
    module,
    transform: Callable[[str], str],
    before: str,
    reported_before: set[str],
    codes: set[str] | None = None,
) -> None:
    """`transform` (a settings codemod) fixes what the check `module` reports on `before`.

    The check reports exactly `reported_before` (of `codes`, every rule of the module unless
    given) on `before` as mysite/settings.py; the output parses, a second run changes nothing,
    and the check reports none of `codes` on it.
    """
    codes = codes if codes is not None else {rule.code for rule in module.RULES}

    def reported(settings: str) -> list[tuple[str, int | None, str]]:
        project = make_project(
            {"mysite/settings.py": settings, "requirements.txt": SETTINGS_REQUIREMENTS}
        )
        return [
            (f.code, f.line, f.message) for f in findings_of(module, project) if f.code in codes
        ]

    after = transform(before)
    assert after != before
    ast.parse(after)
    assert transform(after) == after
    assert {code for code, _, _ in reported(before)} == reported_before
    assert reported(after) == []
