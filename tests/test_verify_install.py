"""`djfix verify --install`: which interpreter, what gets installed, where it is cached."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from fixer import verify_install
from fixer.cli import app
from fixer.discovery import discover
from fixer.errors import DjfixError
from tests.conftest import PROJECTS

MACHINE = {(3, 6): "/py36", (3, 10): "/py310", (3, 11): "/py311", (3, 13): "/py313"}


@pytest.mark.parametrize(
    ("spec", "pip"),
    [
        ("^4.2", ">=4.2,<5"),
        ("^0.3.1", ">=0.3.1,<0.4"),
        ("~4.2", ">=4.2,<4.3"),
        ("~=4.2", "~=4.2"),
        ("*", ""),
        ("1.2", "==1.2"),
        (">=1,<2", ">=1,<2"),
    ],
)
def test_pip_spec(spec, pip):
    assert verify_install.pip_spec(spec) == pip


def test_the_python_the_project_names():
    project = discover(PROJECTS / "split_settings")  # .python-version 3.11, Django 4.2
    assert verify_install.choose_interpreter(project, MACHINE) == (
        "/py311",
        "Python 3.11 (.python-version; Django 4.2 supports it)",
    )


def test_the_dockerfile_base_when_nothing_else_names_one():
    project = discover(PROJECTS / "legacy_single")  # FROM python:3.6, Django 1.11
    assert verify_install.choose_interpreter(project, MACHINE) == (
        "/py36",
        "Python 3.6 (Dockerfile's base image; Django 1.11.29 supports it)",
    )


def test_the_newest_python_django_supports():
    # requirements.in names no version; the compiled requirements.txt pins Django 5.2
    project = discover(PROJECTS / "celery_services")
    assert verify_install.choose_interpreter(project, MACHINE) == (
        "/py313",
        "Python 3.13, the newest here that Django 5.2.1 supports",
    )


def test_no_python_supports_the_django():
    project = discover(PROJECTS / "legacy_single")
    with pytest.raises(DjfixError, match=r"no Python on this machine supports .* Django 1.11"):
        verify_install.choose_interpreter(project, {(3, 12): "/py312"})


def test_install_plan_requirements_file_and_added_server():
    project = discover(PROJECTS / "legacy_single")
    args, messages, files = verify_install.install_plan(project)
    assert args == ["-r", str(PROJECTS / "legacy_single" / "requirements.txt"), "gunicorn"]
    assert messages == ["--install: gunicorn added (the project's dependencies do not name it)"]
    assert files == [PROJECTS / "legacy_single" / "requirements.txt"]


def test_install_plan_poetry_specs_in_pip_words():
    project = discover(PROJECTS / "split_settings")
    args, messages, _ = verify_install.install_plan(project)
    assert args == ["django>=4.2,<5", "psycopg2>=2.9,<3", "gunicorn>=21.2,<22"]
    assert messages == []


def test_install_plan_adds_a_database_driver(make_project):
    project = make_project(
        {
            "requirements.txt": "Django==4.2.16\n",
            "mysite/settings.py": "DATABASES = {'default': {'ENGINE': "
            "'django.db.backends.postgresql', 'NAME': 'x'}}\nINSTALLED_APPS = []\n",
        }
    )
    args, messages, _ = verify_install.install_plan(project)
    assert args[2:] == ["gunicorn", "psycopg2-binary"]
    assert messages[1] == (
        "--install: psycopg2-binary added (a postgresql driver; the project names none)"
    )


def test_cache_root_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert verify_install.cache_root() == tmp_path / "djfix" / "venvs"


@pytest.mark.slow
def test_install_makes_then_reuses_the_virtualenv(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    args = ["verify", "--install", str(PROJECTS / "deploy_ready"), "--step", "1"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "--install: made " in first.output
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "--install: reusing " in second.output
    venvs = list((tmp_path / "djfix" / "venvs").iterdir())
    assert len(venvs) == 1 and (venvs[0] / ".djfix-complete").is_file()
    assert sys.executable not in second.output


def test_packages_added_to_a_hash_pinned_file_install_after_it():
    # pip wants a hash for every package of a run that installs a hash-pinned file
    project = discover(PROJECTS / "split_fragments")
    args, _, _ = verify_install.install_plan(project)
    requirements = str(PROJECTS / "split_fragments" / "requirements.txt")
    assert verify_install.pip_runs(args) == [["-r", requirements], ["gunicorn"]]
    legacy = ["-r", str(PROJECTS / "legacy_single" / "requirements.txt"), "gunicorn"]
    assert verify_install.pip_runs(legacy) == [legacy]
