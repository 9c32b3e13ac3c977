"""`djfix verify --install`: which interpreter, what gets installed, where it is cached."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from codemods.dependencies.requirement import Package
from fixer import verify_install
from fixer.cli import app
from fixer.discovery import discover
from fixer.errors import DjfixError
from fixer.fixes import envfiles, item01_python
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
    # the pin the image's dependency file gets: Django 1.11 ran on Python 3.4, the last
    # gunicorn for it
    pinned = "gunicorn==19.10.0"
    assert args == ["-r", str(PROJECTS / "legacy_single" / "requirements.txt"), pinned]
    assert messages == [f"--install: {pinned} added (the project's dependencies do not name it)"]
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
    # no interpreter named: the pins install on the oldest Python Django 4.2 supports (3.8)
    args, messages, _ = verify_install.install_plan(project)
    assert args[2:] == ["gunicorn==23.0.0", "psycopg[binary]==3.2.13"]
    assert messages[1] == (
        "--install: psycopg[binary]==3.2.13 added (a PostgreSQL driver; the project names none)"
    )


def test_install_plan_pins_for_the_chosen_interpreter(make_project, monkeypatch):
    """verify installs the pins the image's dependency file gets when apply runs with the same
    interpreter: for Python 3.12, psycopg 3.3."""
    monkeypatch.setattr(item01_python, "_interpreter_version", lambda python: "3.12")
    project = make_project(
        {
            "requirements.txt": "Django==5.2.1\n",
            "mysite/settings.py": "DATABASES = {'default': {'ENGINE': "
            "'django.db.backends.postgresql', 'NAME': 'x'}}\nINSTALLED_APPS = []\n",
        }
    )
    args, _, _ = verify_install.install_plan(project, "/py312")
    assert args[2:] == ["gunicorn==23.0.0", "psycopg[binary]==3.3.9"]
    assert envfiles.packages_to_declare(project, ["psycopg[binary]"], {"python": "/py312"}) == [
        Package("psycopg[binary]", ">=3.3", "3.3.9")
    ]


def test_install_plan_keeps_a_declared_driver(make_project):
    project = make_project(
        {
            "requirements.txt": "Django==4.2.16\ngunicorn==23.0.0\npsycopg2==2.9.10\n",
            "mysite/settings.py": "DATABASES = {'default': {'ENGINE': "
            "'django.db.backends.postgresql', 'NAME': 'x'}}\nINSTALLED_APPS = []\n",
        }
    )
    args, messages, _ = verify_install.install_plan(project)
    assert args == ["-r", str(project.root / "requirements.txt")]
    assert messages == []


def test_a_failed_source_build_names_the_headers_to_install():
    output = (
        "  Trying pkg-config --exists mysqlclient\n"
        "  Exception: Can not find valid pkg-config name.\n"
        "error: subprocess-exited-with-error\n"
        "Getting requirements to build wheel did not run successfully.\n"
    )
    assert verify_install.build_hints(output) == [
        "mysqlclient is built from source: install gcc, libc6-dev, pkg-config, "
        "default-libmysqlclient-dev (Debian's names; the generated Dockerfile's builder installs "
        "them) and run again"
    ]
    # a wheel that installs, or a failure that built nothing, gets no hint
    assert verify_install.build_hints("ERROR: No matching distribution for mysqlclient") == []


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
    assert verify_install.pip_runs(args) == [["-r", requirements], ["gunicorn==23.0.0"]]
    legacy = ["-r", str(PROJECTS / "legacy_single" / "requirements.txt"), "gunicorn==19.10.0"]
    assert verify_install.pip_runs(legacy) == [legacy]
