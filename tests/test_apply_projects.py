"""End to end: `djfix apply --no-branch` on copies of every test project, then real Django loads
the rewritten settings and `manage.py check --deploy` runs in a production environment."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from fixer.discovery import discover
from tests.conftest import PROJECTS

pytestmark = pytest.mark.slow

# the project written for Django 1.11 imports `django.conf.urls.url`, gone since Django 4.0:
# it is loaded with the newest Django that still has it and runs on this Python
OLD_DJANGO = {"legacy_single": "Django>=3.2,<3.3"}
# what a project reads under its own names, as its deployment sets them (the rest of the
# production environment is the same for every project)
PROJECT_ENV: dict[str, dict[str, str]] = {
    "legacy_reads": {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)[:50],
        "DJANGO_ALLOWED_HOSTS": "example.com www.example.com",
    },
}
# projects whose settings djfix reports as not fixed (read at run time): see their own tests
REPORTED_NOT_FIXED = {"class_settings"}
# projects whose STATIC_ROOT only their own code computes: apply asks it of the project with an
# interpreter that has their Django (a developer's apply finds one as `python` on PATH, which the
# tests' PATH may lack); the full run with verification is tests/test_static_root_computed.py
ASKS_THE_PROJECT = {"install_paths"}


def apply_argv(name: str, repo: Path) -> list[str]:
    """The `djfix apply` command line the shared project tests run on `name`."""
    asks = ["--python", sys.executable, "--no-verify"] if name in ASKS_THE_PROJECT else []
    return ["apply", "--no-branch", *asks, str(repo)]


PROJECT_NAMES = sorted(
    p.name
    for p in PROJECTS.iterdir()
    if p.is_dir() and (p / ".gitignore").exists() and p.name not in REPORTED_NOT_FIXED
)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="session")
def old_django_python(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv-old-django")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            OLD_DJANGO["legacy_single"],
            "django-environ==0.11.2",
            "django-redis==5.2.0",
        ],
        check=True,
    )
    return python


def copy_into_git(name: str, tmp_path: Path) -> Path:
    repo = tmp_path / name
    shutil.copytree(PROJECTS / name, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "initial")
    return repo


def production_env(tmp_path: Path, settings_module: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50)[:50],
        DEBUG="False",
        ALLOWED_HOSTS="example.com",
        DATABASE_URL=f"sqlite:///{tmp_path}/prod.sqlite3",
        DJANGO_SETTINGS_MODULE=settings_module,
        STARTUP_CHECKS="false",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def project_env(name: str) -> dict[str, str]:
    return dict(PROJECT_ENV.get(name, {}))


@pytest.mark.parametrize("name", PROJECT_NAMES)
def test_apply_then_check_deploy_is_clean(name, tmp_path, request):
    repo = copy_into_git(name, tmp_path)

    result = CliRunner().invoke(app, apply_argv(name, repo), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    assert "djfix bug" not in result.output, result.output

    after = discover(repo)
    manage = repo / after.manage_py
    python = request.getfixturevalue("old_django_python") if name in OLD_DJANGO else sys.executable
    proc = subprocess.run(
        [str(python), str(manage), "check", "--deploy"],
        cwd=manage.parent,
        env={**production_env(tmp_path, after.production_module), **project_env(name)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "System check identified no issues" in proc.stdout, (
        result.output + proc.stdout + proc.stderr
    )

    # no undefined name in what djfix rewrote
    changed = [p for p in git(repo, "diff", "--name-only").split() if p.endswith(".py")]
    if changed:
        lint = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--isolated",
                "--select",
                "F821,F811,F401",
                "--ignore",
                "F401",
                *changed,
            ],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
        assert lint.returncode == 0, lint.stdout

    # djfix never writes a secret into a file git tracks or would track
    dotenv = repo / ".env"
    touched = set(git(repo, "diff", "--name-only").split())
    touched |= set(git(repo, "ls-files", "-o", "--exclude-standard").split())
    assert ".env" not in touched
    if dotenv.exists():
        assert git(repo, "check-ignore", ".env").strip() == ".env"
        values = [
            line.split("=", 1)[1].strip('"')
            for line in dotenv.read_text().splitlines()
            if "=" in line
            and not line.startswith("#")
            and not line.startswith(("DEBUG=", "ALLOWED_HOSTS="))
        ]
        for rel in touched:
            text = (repo / rel).read_text(errors="replace")
            for value in values:
                if len(value) >= 8:  # shorter values match unrelated text by chance
                    assert value not in text, f"a secret from .env is in {rel}"
