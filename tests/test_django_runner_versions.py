"""Item 6 asks the project's own Django about its migrations: on every Django from 1.8 (no
`shell -c` there; Django < 3 runs `shell -c` code with separate globals and locals), with
Django's own `makemigrations` and `migrate`, never a project's command of the same name, and a
probe that fails says why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixer import django_runner
from fixer.checks import item06_migrations
from fixer.discovery import discover
from fixer.django_runner import Change
from tests.conftest import MINIMAL_MANAGE, write_tree

PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"

SETTINGS = """\
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["notes.example.org"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "notes",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
"""

INITIAL = """\
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Note",
            fields=[
                (
                    "id",
                    models.AutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=80)),
            ],
        ),
    ]
"""

MODELS = """\
from django.db import models


class Note(models.Model):
    title = models.CharField(max_length=80)
    body = models.TextField(default="")  # no migration adds it
"""

# a project's own `migrate` that reads the users after Django's (as a project that makes its
# first user does): with --plan nothing is applied, and the read fails on an empty database
MIGRATE_OVERRIDE = """\
from django.contrib.auth.models import User
from django.core.management.commands import migrate


class Command(migrate.Command):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        if not User.objects.exists():
            self.stdout.write("no user yet")
"""


def _notes(root: Path, **extra: str) -> Path:
    return write_tree(
        root,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": SETTINGS,
            "notes/__init__.py": "",
            "notes/models.py": MODELS,
            "notes/migrations/__init__.py": "",
            "notes/migrations/0001_initial.py": INITIAL,
            **extra,
        },
    )


EXPECTED = [Change("notes", "notes/migrations/0002_note_body.py", ["Add field body to note"])]


def test_the_current_django_answers(tmp_path):
    report = django_runner.inspect(discover(_notes(tmp_path / "repo")), sys.executable)
    assert (report.note, report.plan_error, report.conflict) == (None, None, None)
    assert report.changes == EXPECTED


def test_a_project_migrate_command_is_not_what_item_6_runs(tmp_path):
    # the project's `migrate` fails with --plan on an empty database; Django's own does not,
    # and no migration is at fault
    repo = _notes(
        tmp_path / "repo",
        **{
            "notes/management/__init__.py": "",
            "notes/management/commands/__init__.py": "",
            "notes/management/commands/migrate.py": MIGRATE_OVERRIDE,
        },
    )
    env = django_runner.synthetic_env(tmp_path, "mysite.settings")
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--plan"],
        cwd=repo,
        env={**env, "PYTHONPATH": f"{tmp_path}{os.pathsep}{repo}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "no such table: auth_user" in done.stderr, done.stderr
    report = django_runner.inspect(discover(repo), sys.executable)
    assert (report.note, report.plan_error, report.conflict) == (None, None, None)
    assert report.changes == EXPECTED


def test_a_probe_that_fails_says_why_not_that_python_is_missing(tmp_path):
    repo = _notes(
        tmp_path / "repo",
        **{
            "mysite/settings.py": SETTINGS
            + 'CACHE_URL = "redis://cache:s3cr3t-passw0rd@cache.example.org:6379/0"\n'
            + "raise RuntimeError('cannot reach ' + CACHE_URL)\n"
        },
    )
    project = discover(repo)
    findings = list(item06_migrations.check(project, {"python": sys.executable}))
    said = project.unverified[item06_migrations.ITEM]
    assert said == (
        "not verified: Django could not load the settings (RuntimeError: cannot reach "
        "redis://***@cache.example.org:6379/0); only the static migration checks ran"
    ), findings
    assert "s3cr3t" not in said


def _legacy_python(tmp_path_factory, version: str, pin: str) -> str:
    found = sorted(PYENV.glob(f"{version}.*/bin/python"))
    if not found:
        pytest.skip(f"no Python {version} under {PYENV}")
    venv = tmp_path_factory.mktemp("venv-" + pin.replace("==", "-"))
    subprocess.run([str(found[-1]), "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", pin],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot install {pin} on Python {version}: {done.stderr[-300:]}")
    return str(python)


@pytest.fixture(
    scope="module",
    params=[("3.6", "Django==1.8.19"), ("3.6", "Django==1.11.29"), ("3.7", "Django==2.2.28")],
    ids=["1.8", "1.11", "2.2"],
)
def legacy_django(request, tmp_path_factory) -> tuple[str, str]:
    version, pin = request.param
    return _legacy_python(tmp_path_factory, version, pin), pin.split("==")[1]


@pytest.mark.slow
def test_an_old_django_answers_too(tmp_path, legacy_django):
    python, version = legacy_django
    report = django_runner.inspect(discover(_notes(tmp_path / "repo")), python)
    assert report.django_version == version
    assert (report.note, report.plan_error, report.conflict) == (None, None, None)
    assert report.changes == EXPECTED


@pytest.mark.slow
def test_an_old_django_writes_the_missing_migration(tmp_path, legacy_django):
    python, _ = legacy_django
    project = discover(_notes(tmp_path / "repo"))
    written, report = django_runner.make_migrations(project, python, {})
    assert report.note is None
    assert sorted(written) == ["notes/migrations/0002_note_body.py"]


UTILITY_MANAGE = """\
#!/usr/bin/env python
import os
import sys

from django.core.management import ManagementUtility

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    ManagementUtility(sys.argv).execute()
"""


def test_a_manage_py_that_runs_the_utility_itself_runs_djfix_code_too(tmp_path):
    # no execute_from_command_line: the command manage.py would run is still never run
    repo = _notes(
        tmp_path / "repo",
        **{
            "manage.py": UTILITY_MANAGE,
            "notes/management/__init__.py": "",
            "notes/management/commands/__init__.py": "",
            "notes/management/commands/migrate.py": (
                "from django.core.management.commands import migrate\n\n\n"
                "class Command(migrate.Command):\n"
                "    def handle(self, *args, **options):\n"
                '        raise RuntimeError("the project\'s own migrate ran")\n'
            ),
        },
    )
    report = django_runner.inspect(discover(repo), sys.executable)
    assert (report.note, report.plan_error, report.conflict) == (None, None, None)
    assert report.changes == EXPECTED
