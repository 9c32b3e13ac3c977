"""A second DATABASES alias gets a database of its own in every verify run (slow: apply, then
real runs against PostgreSQL on 127.0.0.1:5432).

The shape is djangoproject.com's: beside 'default', an alias read from its own variables (there
Trac's database, `NAME` from TRAC_DB_NAME) with a DATABASE_ROUTERS entry. Once apply adds the
startup probes, every alias is checked at start: a run that made a database only for 'default'
failed to boot ("database:trac ... does not exist") and to migrate, though apply's change was
sound. Here the repository is built by the test: 'default' from DB_* pieces, `legacy` from
LEGACY_DB_* pieces (or LEGACY_DATABASE_URL), a router sending the `legacy` app there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from fixer.verify import render_table, verify_project
from tests import test_runtime_projects
from tests.conftest import MINIMAL_MANAGE, write_tree

pytestmark = pytest.mark.slow

fresh_database = test_runtime_projects.fresh_database

SETTINGS = """\
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
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
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "mysite.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DB_NAME", "shop"),
        "USER": os.environ.get("DB_USER", "shop"),
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
        "HOST": os.environ.get("DB_HOST", "localhost"),
        "PORT": os.environ.get("DB_PORT", "5432"),
    },
%(legacy)s
}
DATABASE_ROUTERS = ["mysite.routers.LegacyRouter"]
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""

PIECEWISE = """\
    "legacy": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("LEGACY_DB_NAME", "legacy"),
        "USER": os.environ.get("LEGACY_DB_USER", "legacy"),
        "PASSWORD": os.environ.get("LEGACY_DB_PASSWORD", ""),
        "HOST": os.environ.get("LEGACY_DB_HOST", "localhost"),
        "PORT": os.environ.get("LEGACY_DB_PORT", "5432"),
    },"""

BY_URL = """\
    "legacy": env.db("LEGACY_DATABASE_URL", default="postgres://legacy@localhost/legacy"),"""

ROUTER = """\
class LegacyRouter:
    \"\"\"The `legacy` app's models live in the legacy database, and only there.\"\"\"

    labels = {"legacy"}

    def db_for_read(self, model, **hints):
        return "legacy" if model._meta.app_label in self.labels else None

    db_for_write = db_for_read

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label in self.labels:
            return db == "legacy"
        return db == "default"
"""

URLS = """\
from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
"""

WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
application = get_wsgi_application()
"""

DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]
"""


# djangoproject.com's shape: Trac's database on the same server, with a NAME of its own
TRAC = """\
DATABASES["trac"] = {
    **DATABASES["default"],
    "NAME": os.environ.get("TRAC_DB_NAME", "code.djangoproject"),
}
"""


def two_database_repo(tmp_path: Path, legacy: str = PIECEWISE, after: str = "") -> Path:
    """A git repository with 'default' and `legacy`, as the module docstring says."""
    settings = SETTINGS % {"legacy": legacy} + after
    requirements = "Django==5.2.1\ngunicorn==23.0.0\npsycopg2-binary==2.9.10\n"
    if "env.db(" in legacy:
        settings = "import environ\n\nenv = environ.Env()\n" + settings
        requirements += "django-environ==0.12.0\n"
    repo = tmp_path / "repo"
    write_tree(
        repo,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": settings,
            "mysite/routers.py": ROUTER,
            "mysite/urls.py": URLS,
            "mysite/wsgi.py": WSGI,
            "Dockerfile": DOCKERFILE,
            "requirements.txt": requirements,
        },
    )
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "initial"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    return repo


def applied(repo: Path) -> Path:
    result = CliRunner().invoke(app, ["apply", "--no-branch", str(repo)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    assert (repo / "common" / "startup.py").is_file(), result.output  # the probes (item 13)
    return repo


def scratch_databases(given: str) -> list[str]:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1",
                (given + r"\_%djfix\_%",),
            )
            return [r[0] for r in cursor.fetchall()]
    finally:
        conn.close()


def test_a_second_alias_read_piece_by_piece_gets_a_database_of_its_own(tmp_path, fresh_database):
    repo = applied(two_database_repo(tmp_path))
    name = fresh_database.split(":")[0]
    seen: dict[int, list[str]] = {}
    report = verify_project(
        repo,
        python=sys.executable,
        database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
        only={1, 2, 3, 4, 5, 6},
        on_step=lambda n, _: seen.setdefault(n, scratch_databases(name)),
    )
    table = render_table(report)
    assert [s.status for s in report.steps] == ["pass"] * 6, table
    # while the run ran: one database for 'default', one for `legacy`, both on the server
    assert len(seen[3]) == 2, seen
    assert any(d.startswith(f"{name}_legacy_djfix_") for d in seen[3]), seen
    # step 6 took both down and the probes named each one with its variable
    output = report.step(6).output
    assert "database:default" in output and "database:legacy" in output, table
    assert "LEGACY_DB_HOST" in output, table
    assert any("DATABASES['legacy']: the run used a new, empty database" in n for n in report.notes)
    # the reviewer's commands make (and drop) a database of the review's own for each alias
    commands = "\n".join(report.commands)
    assert "createdb -h 127.0.0.1 -p 5432 -U postgres djfix_review_legacy" in commands, commands
    assert "export LEGACY_DB_NAME=djfix_review_legacy" in commands, commands
    assert "dropdb -h 127.0.0.1 -p 5432 -U postgres djfix_review_legacy" in commands, commands
    # and every database the run made is gone
    assert scratch_databases(name) == []


def test_a_second_alias_read_as_a_url_gets_a_database_of_its_own(tmp_path, fresh_database):
    pytest.importorskip("environ")
    repo = applied(two_database_repo(tmp_path, BY_URL))
    name = fresh_database.split(":")[0]
    seen: dict[int, list[str]] = {}
    report = verify_project(
        repo,
        python=sys.executable,
        database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
        only={3, 4, 6},
        on_step=lambda n, _: seen.setdefault(n, scratch_databases(name)),
    )
    table = render_table(report)
    assert [s.status for s in report.steps] == ["pass"] * 3, table
    assert len(seen[4]) == 2, seen
    assert "database:legacy" in report.step(6).output, table
    assert "LEGACY_DATABASE_URL" in report.step(6).output, table
    assert scratch_databases(name) == []


def test_an_alias_on_the_default_server_with_a_name_of_its_own(tmp_path, fresh_database):
    # the pieces of 'default' (DB_USER, DB_HOST...) and TRAC_DB_NAME: the alias is on the
    # run's server and gets a new database there; step 6 takes both down through DB_HOST
    repo = applied(two_database_repo(tmp_path, legacy="", after=TRAC))
    name = fresh_database.split(":")[0]
    seen: dict[int, list[str]] = {}
    report = verify_project(
        repo,
        python=sys.executable,
        database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
        only={3, 4, 6},
        on_step=lambda n, _: seen.setdefault(n, scratch_databases(name)),
    )
    table = render_table(report)
    assert [s.status for s in report.steps] == ["pass"] * 3, table
    assert any(d.startswith(f"{name}_trac_djfix_") for d in seen[3]), seen
    assert "database:trac" in report.step(6).output, table
    assert scratch_databases(name) == []


def test_the_databases_are_dropped_when_the_run_is_interrupted(tmp_path, fresh_database):
    repo = applied(two_database_repo(tmp_path))
    name = fresh_database.split(":")[0]
    seen: list[str] = []

    def interrupt(number: int, _: str) -> None:
        if number == 4:
            seen.extend(scratch_databases(name))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        verify_project(
            repo,
            python=sys.executable,
            database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
            only={3, 4},
            on_step=interrupt,
        )
    assert len(seen) == 2, seen
    assert scratch_databases(name) == []


def test_an_sqlite_run_says_the_server_alias_is_left_as_written(tmp_path):
    # no server: 'default' and `legacy` are PostgreSQL by their written ENGINE; neither can
    # take an SQLite file, and the report says so for `legacy` rather than nothing
    repo = two_database_repo(tmp_path)
    report = verify_project(repo, python=sys.executable, only={1})
    assert any(n.startswith("DATABASES['legacy'] is made for postgresql") for n in report.notes), (
        report.notes
    )


def test_apply_keeps_the_probes_of_a_project_with_two_databases(tmp_path, fresh_database):
    # apply's own runs (the original, then the change): the probes check `legacy` too, and
    # with a database of its own in each run no step fails, so no item is left out for it
    from fixer.apply_verify import plan_verified
    from fixer.checks import Selection
    from fixer.config import effective_options
    from fixer.discovery import discover

    repo = two_database_repo(tmp_path)
    name = fresh_database.split(":")[0]
    result = plan_verified(
        discover(repo),
        Selection(),
        effective_options(None),
        python=sys.executable,
        database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
    )
    verification = result.verification
    assert verification.ran, verification.summary()
    assert verification.left_out == {}, verification.summary()
    after = verification.after
    assert result.changeset.exists("common/startup.py")  # the probes are in the change
    for number in (3, 4, 6):
        assert after.step(number).status == "pass", verification.table()
    assert "database:legacy" in after.step(6).output, verification.table()
    assert scratch_databases(name) == []
