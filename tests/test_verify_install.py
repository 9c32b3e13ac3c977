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


# -- a lock file's versions, as the image's `poetry install` / `uv sync` installs them ----------

SETTINGS = {"mysite/settings.py": "INSTALLED_APPS = []\n"}

POETRY_PYPROJECT = """\
[tool.poetry]
name = "mysite"
version = "1.0.0"
package-mode = false

[tool.poetry.dependencies]
python = "^3.11"
Django = "^4.2"
psycopg = {version = "^3.2", extras = ["binary"]}
tomli = {version = "^2.0", python = "<3.11"}
numpy = [
    {version = "<2", python = "<3.10"},
    {version = ">=2", python = ">=3.10"},
]
gunicorn = "^23.0"

[tool.poetry.group.dev.dependencies]
pytest = "^8"
"""
#: Poetry 1.8's lock (lock-version 2.0: no groups recorded, the main ones are followed from
#: the pyproject's dependencies)
POETRY_LOCK = """\
# This file is automatically @generated by Poetry 1.8.5 and should not be changed by hand.

[[package]]
name = "asgiref"
version = "3.8.1"
description = "ASGI specs, helper code, and adapters"
optional = false
python-versions = ">=3.8"
files = []

[package.dependencies]
typing-extensions = {version = ">=4", markers = "python_version < \\"3.11\\""}

[[package]]
name = "Django"
version = "4.2.16"
optional = false
python-versions = ">=3.8"
files = []

[package.dependencies]
asgiref = ">=3.6.0,<4"
sqlparse = ">=0.3.1"
tzdata = {version = "*", markers = "sys_platform == \\"win32\\""}

[package.extras]
argon2 = ["argon2-cffi (>=19.1.0)"]

[[package]]
name = "gunicorn"
version = "23.0.0"
optional = false
python-versions = ">=3.7"
files = []

[package.dependencies]
packaging = "*"

[package.extras]
eventlet = ["eventlet (>=0.24.1,!=0.36.0)"]

[[package]]
name = "iniconfig"
version = "2.0.0"
optional = false
python-versions = ">=3.7"
files = []

[[package]]
name = "numpy"
version = "1.26.4"
optional = false
python-versions = ">=3.9"
files = []

[[package]]
name = "numpy"
version = "2.1.3"
optional = false
python-versions = ">=3.10"
files = []

[[package]]
name = "packaging"
version = "24.2"
optional = false
python-versions = ">=3.8"
files = []

[[package]]
name = "psycopg"
version = "3.2.3"
optional = false
python-versions = ">=3.8"
files = []

[package.dependencies]
psycopg-binary = {version = "3.2.3", optional = true, markers = \
"implementation_name != \\"pypy\\" and extra == \\"binary\\""}
typing-extensions = {version = ">=4.6", markers = "python_version < \\"3.13\\""}
tzdata = {version = "*", markers = "sys_platform == \\"win32\\""}

[package.extras]
binary = ["psycopg-binary (==3.2.3) ; implementation_name != \\"pypy\\""]
c = ["psycopg-c (==3.2.3) ; implementation_name != \\"pypy\\""]

[[package]]
name = "psycopg-binary"
version = "3.2.3"
optional = true
python-versions = ">=3.8"
files = []

[[package]]
name = "pytest"
version = "8.3.3"
optional = false
python-versions = ">=3.8"
files = []

[package.dependencies]
iniconfig = "*"
packaging = "*"

[[package]]
name = "sqlparse"
version = "0.5.1"
optional = false
python-versions = ">=3.8"
files = []

[[package]]
name = "tomli"
version = "2.0.2"
optional = false
python-versions = ">=3.8"
files = []

[[package]]
name = "typing-extensions"
version = "4.12.2"
optional = false
python-versions = ">=3.8"
files = []

[[package]]
name = "tzdata"
version = "2024.2"
optional = false
python-versions = ">=2"
files = []

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "0"
"""


def test_install_plan_poetry_lock_pins_the_main_group(make_project):
    project = make_project(
        {**SETTINGS, "pyproject.toml": POETRY_PYPROJECT, "poetry.lock": POETRY_LOCK}
    )
    args, messages, files = verify_install.install_plan(project)
    assert args == [
        "asgiref==3.8.1",
        "django==4.2.16",
        "gunicorn==23.0.0",
        'numpy==1.26.4; python_version < "3.10"',
        'numpy==2.1.3; python_version >= "3.10"',
        "packaging==24.2",
        "psycopg==3.2.3",
        'psycopg-binary==3.2.3; implementation_name != "pypy"',
        "sqlparse==0.5.1",
        'tomli==2.0.2; python_version < "3.11"',
        'typing-extensions==4.12.2; (python_version < "3.11") or (python_version < "3.13")',
        'tzdata==2024.2; sys_platform == "win32"',
    ]
    assert messages == []
    assert files == [project.root / "poetry.lock", project.root / "pyproject.toml"]


def test_install_plan_package_the_lock_holds_is_not_added_again(make_project):
    # tomli is in the lock, for older Pythons: the lock is not stale, nothing is added
    project = make_project(
        {**SETTINGS, "pyproject.toml": POETRY_PYPROJECT, "poetry.lock": POETRY_LOCK}
    )
    assert verify_install._missing_from_lock(project, project.install_source) == []


def test_install_plan_stale_poetry_lock_adds_what_it_lacks(make_project):
    # djfix added django-environ to pyproject.toml; poetry.lock does not have it yet
    pyproject = POETRY_PYPROJECT.replace(
        'gunicorn = "^23.0"\n', 'gunicorn = "^23.0"\ndjango-environ = "^0.11"\n'
    )
    project = make_project({**SETTINGS, "pyproject.toml": pyproject, "poetry.lock": POETRY_LOCK})
    args, messages, _ = verify_install.install_plan(project)
    assert args[-1] == "django-environ>=0.11,<0.12"
    assert "django==4.2.16" in args
    assert messages == [
        "--install: poetry.lock is stale: it lacks django-environ, which pyproject.toml "
        "declares, until `poetry lock --no-update` is run; it is installed at the declared range, "
        "as the generated image adds it too"
    ]


UV_PYPROJECT = """\
[project]
name = "mysite"
version = "1.0.0"
requires-python = ">=3.9"
dependencies = [
    "Django>=4.2",
    "gunicorn>=23",
    "psycopg[binary]>=3.2",
    "pywin32>=306; sys_platform == 'win32'",
    "numpy",
]

[dependency-groups]
dev = ["pytest>=8"]

[tool.uv]
package = false
"""
UV_LOCK = """\
version = 1
requires-python = ">=3.9"
resolution-markers = [
    "python_full_version >= '3.10'",
    "python_full_version < '3.10'",
]

[[package]]
name = "asgiref"
version = "3.8.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "django"
version = "4.2.16"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "asgiref" },
    { name = "sqlparse" },
    { name = "tzdata", marker = "sys_platform == 'win32'" },
]

[[package]]
name = "gunicorn"
version = "23.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "packaging" },
]

[[package]]
name = "mysite"
version = "1.0.0"
source = { virtual = "." }
dependencies = [
    { name = "django" },
    { name = "gunicorn" },
    { name = "numpy", version = "1.26.4", source = { registry = "https://pypi.org/simple" }, \
marker = "python_full_version < '3.10'" },
    { name = "numpy", version = "2.1.3", source = { registry = "https://pypi.org/simple" }, \
marker = "python_full_version >= '3.10'" },
    { name = "psycopg", extra = ["binary"] },
    { name = "pywin32", marker = "sys_platform == 'win32'" },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
]

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version < '3.10'",
]

[[package]]
name = "numpy"
version = "2.1.3"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version >= '3.10'",
]

[[package]]
name = "packaging"
version = "24.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "psycopg"
version = "3.2.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "tzdata", marker = "sys_platform == 'win32'" },
]

[package.optional-dependencies]
binary = [
    { name = "psycopg-binary", marker = "implementation_name != 'pypy'" },
]

[[package]]
name = "psycopg-binary"
version = "3.2.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.3.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "packaging" },
]

[[package]]
name = "pywin32"
version = "308"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "sqlparse"
version = "0.5.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tzdata"
version = "2024.2"
source = { registry = "https://pypi.org/simple" }
"""


def test_install_plan_uv_lock_pins_the_projects_dependencies(make_project):
    project = make_project({**SETTINGS, "pyproject.toml": UV_PYPROJECT, "uv.lock": UV_LOCK})
    args, messages, files = verify_install.install_plan(project)
    assert args == [
        "asgiref==3.8.1",
        "django==4.2.16",
        "gunicorn==23.0.0",
        "numpy==1.26.4; python_full_version < '3.10'",
        "numpy==2.1.3; python_full_version >= '3.10'",
        "packaging==24.2",
        "psycopg==3.2.3",
        "psycopg-binary==3.2.3; implementation_name != 'pypy'",
        "pywin32==308; sys_platform == 'win32'",
        "sqlparse==0.5.1",
        "tzdata==2024.2; sys_platform == 'win32'",
    ]
    assert messages == []
    assert files == [project.root / "pyproject.toml", project.root / "uv.lock"]


def test_install_plan_stale_uv_lock_adds_what_it_lacks(make_project):
    pyproject = UV_PYPROJECT.replace('"numpy",\n', '"numpy",\n    "django-environ>=0.11",\n')
    project = make_project({**SETTINGS, "pyproject.toml": pyproject, "uv.lock": UV_LOCK})
    args, messages, _ = verify_install.install_plan(project)
    assert args[-2:] == ["tzdata==2024.2; sys_platform == 'win32'", "django-environ>=0.11"]
    assert messages == [
        "--install: uv.lock is stale: it lacks django-environ, which pyproject.toml declares, "
        "until `uv lock` is run; it is installed at the declared range, as the generated image "
        "adds it too"
    ]


def test_install_plan_unreadable_lock_installs_the_ranges_and_says_so(make_project):
    project = make_project({**SETTINGS, "pyproject.toml": UV_PYPROJECT, "uv.lock": "version = [\n"})
    args, messages, _ = verify_install.install_plan(project)
    assert args == [
        "django>=4.2",
        "gunicorn>=23",
        "psycopg[binary]>=3.2",
        "pywin32>=306",
        "numpy",
    ]
    assert messages == [
        "--install: uv.lock could not be read; the version ranges of pyproject.toml are "
        "installed, not the versions the image's install locks"
    ]
