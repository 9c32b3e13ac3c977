"""Small repositories built in tmp_path for the adversarial cases, and the ways to run djfix
on them (in-process through the CLI, or as a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer.cli import app

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


MANAGE = """\
#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

SETTINGS = """\
import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SECRET_KEY = "plain-old-secret-value-0123456789-abcdefghij"
DEBUG = True
ALLOWED_HOSTS = []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(BASE_DIR, "db.sqlite3"),
    }
}

STATIC_URL = "/static/"
"""

URLS = """\
from django.urls import path

urlpatterns = []
"""

WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
application = get_wsgi_application()
"""

MODELS = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
"""

MIGRATION = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("title", models.CharField(max_length=100)),
            ],
        ),
    ]
"""


def base_files() -> dict[str, str | bytes]:
    return {
        "manage.py": MANAGE,
        "mysite/__init__.py": "",
        "mysite/settings.py": SETTINGS,
        "mysite/urls.py": URLS,
        "mysite/wsgi.py": WSGI,
        "shop/__init__.py": "",
        "shop/models.py": MODELS,
        "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": MIGRATION,
        "requirements.txt": "Django==5.2\n",
        ".gitignore": "*.pyc\n__pycache__/\n",
    }


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def build(
    root: Path, overrides: dict[str, str | bytes | None] | None = None, *, repo: bool = True
) -> Path:
    """The small shop project below `root` (files in `overrides` replace or, as None, remove
    the defaults); with `repo`, a git repository with one commit on `main`."""
    files = base_files()
    files.update(overrides or {})
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        if content is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    if repo:
        git(root, "init", "-q", "-b", "main")
        git(root, "config", "user.name", "Dev")
        git(root, "config", "user.email", "dev@example.com")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "initial")
    return root


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), catch_exceptions=False, env=env)


def run_djfix(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    """djfix as a user runs it: a real process."""
    full = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "fixer", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tree_bytes(root: Path) -> dict[str, bytes | str]:
    """Every path below root (outside .git): file bytes, or 'link -> target', or 'dir'."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = f"link -> {os.readlink(path)}"
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = path.read_bytes()
    return out
