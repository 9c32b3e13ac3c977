from __future__ import annotations

import sys
from pathlib import Path

from fixer import django_runner
from fixer.analysis.variables import build_environment
from fixer.discovery import discover
from fixer.django_runner import Change, parse_makemigrations
from tests.conftest import PROJECTS


def test_no_changes_parse_to_nothing():
    assert parse_makemigrations("No changes detected\n", Path("/r"), Path("/r")) == []


def test_makemigrations_output_is_parsed():
    output = (
        "Migrations for 'shop':\n"
        "  shop/migrations/0002_product_price.py\n"
        "    + Add field price to product\n"
        "    ~ Alter field name on product\n"
        "Migrations for 'blog':\n"
        "  /r/src/blog/migrations/0004_tag.py\n"
        "    + Create model Tag\n"
    )
    assert parse_makemigrations(output, Path("/r/src"), Path("/r")) == [
        Change(
            "shop",
            "src/shop/migrations/0002_product_price.py",
            ["Add field price to product", "Alter field name on product"],
        ),
        Change("blog", "src/blog/migrations/0004_tag.py", ["Create model Tag"]),
    ]


def test_synthetic_env_replaces_databases(tmp_path):
    env = django_runner.synthetic_env(tmp_path, "config.settings.dev")
    assert len(env["SECRET_KEY"]) == 50
    assert (env["DEBUG"], env["ALLOWED_HOSTS"], env["STARTUP_CHECKS"]) == ("False", "*", "false")
    assert env["DATABASE_URL"] == f"sqlite:///{tmp_path}/default.sqlite3"
    assert env["DJANGO_SETTINGS_MODULE"] == "_djfix_settings"
    wrapper = (tmp_path / "_djfix_settings.py").read_text()
    # the project's module is what Django reads while the wrapper is imported (a package that
    # reads a setting at import), the wrapper once it is
    assert wrapper.startswith(
        "import os as _os\n_os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.dev'\n"
        "try:\n    from config.settings.dev import *  # noqa: F403\n"
        "finally:\n    _os.environ['DJANGO_SETTINGS_MODULE'] = '_djfix_settings'\n"
    )
    assert "django.db.backends.sqlite3" in wrapper


def test_unknown_python_is_a_note():
    project = discover(PROJECTS / "split_settings")
    report = django_runner.inspect(project, "/nonexistent/python")
    assert report.note == (
        "Django could not run (--python /nonexistent/python: no such interpreter); only the "
        "static migration checks ran"
    )
    assert report.changes == []


def test_python_without_django_is_a_note(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    found, why = django_runner.find_python(discover(PROJECTS / "split_settings"), str(fake))
    assert (found, why) == (None, f"--python {fake} cannot import Django")


def test_a_relative_python_is_taken_from_where_djfix_started(tmp_path, monkeypatch):
    # `--python venv/bin/python`: the runs work in temporary folders, where a relative path
    # names nothing
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    python = tmp_path / "venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    found, _ = django_runner.find_python(discover(PROJECTS / "split_settings"), "venv/bin/python")
    assert found == str(python)


def test_package_reading_settings_at_import_with_a_postgres_only_field():
    # desk/__init__.py makes a Redis client from settings.REDIS_URL while Django imports the
    # settings, and Ticket.title is a CharField without max_length (PostgreSQL only, fields.E120
    # on SQLite): the migrations are still Django's to judge, on SQLite, with the placeholder
    # variables the build stage uses
    project = discover(PROJECTS / "monorepo_api")
    report = django_runner.inspect(project, sys.executable, variables=build_environment(project))
    assert (report.note, report.changes, report.plan_error) == (None, [], None), report
    assert "desk" in report.local_apps
