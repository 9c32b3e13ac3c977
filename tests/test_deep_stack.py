"""Code nested as deeply as Python accepts, and settings modules of any length, never end in a
RecursionError: discovery, the checks and the fix plans run where deep recursion has room."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from fixer.deep_stack import call_deep
from tests.conftest import write_tree


def depth(n: int) -> int:
    return 0 if n == 0 else 1 + depth(n - 1)


def test_recursion_far_deeper_than_the_default_limit():
    with pytest.raises(RecursionError):
        depth(20_000)
    assert call_deep(depth, 20_000) == 20_000


def test_an_exception_comes_back_as_it_is():
    def fail() -> None:
        raise KeyError("settings")

    with pytest.raises(KeyError, match="settings"):
        call_deep(fail)


def test_context_variables_hold_in_the_thread():
    from fixer.sources import planned_files, planned_paths

    with planned_files({Path("/repo/Dockerfile")}):
        assert call_deep(planned_paths) == {Path("/repo/Dockerfile")}


def test_nested_calls_run_in_place():
    outer = call_deep(lambda: (threading.current_thread(), call_deep(threading.current_thread)))
    assert outer[0] is outer[1]
    assert outer[0] is not threading.current_thread()


LONG_CHAIN = 1500  # terms of one `+` chain
ELIFS = 600  # branches of one if/elif chain


def deep_settings() -> str:
    chain = " + ".join(f'"p{i}"' for i in range(LONG_CHAIN))
    branches = "".join(
        f'elif os.environ.get("MODE") == "m{i}":\n    MODE = {i}\n' for i in range(1, ELIFS)
    )
    return (
        "import os\n"
        'SECRET_KEY = "deep-settings-development-key-0123456789abcdefghijklmnopqrstuv"\n'
        "DEBUG = True\n"
        'INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes"]\n'
        'ROOT_URLCONF = "mysite.urls"\n'
        f"LONG_NAME = {chain}\n"
        'if os.environ.get("MODE") == "m0":\n    MODE = 0\n' + branches
    )


MANAGE = (
    "import os\nimport sys\n\n"
    'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n'
    "from django.core.management import execute_from_command_line\n\n"
    "execute_from_command_line(sys.argv)\n"
)


def test_discovery_reads_a_deeply_nested_settings_module(tmp_path):
    from fixer.discovery import discover

    write_tree(
        tmp_path,
        {
            "manage.py": MANAGE,
            "mysite/__init__.py": "",
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/settings.py": deep_settings(),
        },
    )
    project = discover(tmp_path)
    assert project.settings.get("LONG_NAME") == "".join(f"p{i}" for i in range(LONG_CHAIN))
    assert project.settings.get("DEBUG") is True


def statements(n: int) -> str:
    """A settings module of `n` top-level statements around the usual deploy problems."""
    head = [
        "import os",
        'SECRET_KEY = "long-settings-development-key-0123456789abcdefghijklmnopqrstuv"',
        "DEBUG = True",
        'INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes"]',
        'ROOT_URLCONF = "mysite.urls"',
        'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop",'
        ' "PASSWORD": "shop-password", "HOST": "localhost"}}',
    ]
    body = []
    for i in range(n - len(head)):
        kind = i % 4
        if kind == 0:
            body.append(f'FEATURE_{i} = os.environ.get("FEATURE_{i}", "off")')
        elif kind == 1:
            body.append(f'FEATURE_{i} = {{"limit": {i}, "names": ["a", "b"]}}')
        elif kind == 2:
            body.append(f"if FEATURE_{i - 2} == 'on':\n    FEATURE_{i} = {i}")
        else:
            body.append(f"FEATURE_{i} = [FEATURE_{i - 3}, {i}]")
    return "\n".join(head + body) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings", [pytest.param(statements(5000), id="5000-statements"), deep_settings()]
)
def test_apply_on_a_long_or_deep_settings_module(tmp_path, settings):
    write_tree(
        tmp_path,
        {
            "manage.py": MANAGE,
            "requirements.txt": "Django==4.2.16\npsycopg2-binary==2.9.9\n",
            "mysite/__init__.py": "",
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/settings.py": settings,
        },
    )
    result = CliRunner().invoke(app, ["apply", str(tmp_path), "--dry-run", "--python", "none"])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "RecursionError" not in output
    assert "internal error" not in output
    assert result.exit_code == 1, output
    assert '-SECRET_KEY = "' in result.stdout
    assert "+SECRET_KEY = env(" in result.stdout
