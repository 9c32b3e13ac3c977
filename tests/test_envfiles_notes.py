"""The note on the variables the rewritten settings need says ".env holds them" only where the
.env djfix leaves really holds them."""

from __future__ import annotations

import textwrap

from fixer.apply import plan
from fixer.checks import Selection, resolve_selection
from fixer.config import effective_options
from fixer.discovery import discover
from fixer.fixes.envfiles import need_note
from tests.conftest import MINIMAL_MANAGE, write_tree

ITEM5 = Selection(select=resolve_selection(["5"], "--select"))
SETTINGS = """\
    import os

    SECRET_KEY = {secret}
    DEBUG = False
    ALLOWED_HOSTS = ["example.com"]
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
    ROOT_URLCONF = "mysite.urls"
"""


def notes_for(tmp_path, secret: str, **files: str) -> list[str]:
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": textwrap.dedent(SETTINGS.format(secret=secret)),
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==4.2.16\n",
            **files,
        },
    )
    result = plan(discover(tmp_path), ITEM5, effective_options(None))
    return [n for n in result.context.notes if n.startswith("the settings now need")]


def test_no_parenthesis_where_no_dotenv_holds_the_variable(tmp_path):
    # the secret was read from the environment already: no development value to keep
    assert notes_for(tmp_path, 'os.environ.get("SECRET_KEY")') == [
        "the settings now need SECRET_KEY in the environment: set it in CI and in every deployment"
    ]


def test_dotenv_written_with_the_value(tmp_path):
    assert notes_for(tmp_path, '"dev-0123456789-abcdefghij-0123456789-abcdefghij"') == [
        "the settings now need SECRET_KEY in the environment: set it in CI and in every "
        "deployment (.env holds it for local development)"
    ]


def test_an_existing_dotenv_that_holds_it(tmp_path):
    notes = notes_for(tmp_path, 'os.environ.get("SECRET_KEY")', **{".env": "SECRET_KEY=mine\n"})
    assert notes == [
        "the settings now need SECRET_KEY in the environment: set it in CI and in every "
        "deployment (.env holds it for local development)"
    ]


def test_only_the_variables_it_holds_are_named():
    assert need_note(["A", "B", "C"], {"B"}) == (
        "the settings now need A, B, C in the environment: set them in CI and in every "
        "deployment (.env holds B for local development)"
    )
    assert need_note(["A", "B"], {"A", "B"}).endswith("(.env holds them for local development)")


def test_a_committed_placeholder_is_no_secret_to_rotate(tmp_path):
    # "password" as a default is a placeholder: .env keeps it, nothing asks to rotate it
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": textwrap.dedent(
                SETTINGS.format(secret='os.environ["SECRET_KEY"]')
            )
            + textwrap.dedent(
                """\
                DB_PASSWORD = os.environ.get("SQL_PASSWORD", "password")
                API_TOKEN = os.environ.get("API_TOKEN", "tok-9f8e7d6c5b4a39281706")
                """
            ),
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==4.2.16\n",
        },
    )
    result = plan(discover(tmp_path), ITEM5, effective_options(None))
    assert [p.variable for p in result.context.secret_places] == ["API_TOKEN"]


def test_no_relock_note_without_a_lock_file(tmp_path):
    # a Pipfile whose lock is git-ignored (or never made): nothing to update
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": textwrap.dedent(SETTINGS.format(secret='"x" * 60')),
            "mysite/urls.py": "urlpatterns = []\n",
            "Pipfile": '[packages]\ndjango = "~=4.2"\n',
        },
    )
    result = plan(discover(tmp_path), ITEM5, effective_options(None))
    assert "django-environ" in (result.context.changeset.read("Pipfile") or "")
    assert not [n for n in result.context.notes if "pipenv lock" in n]
    (tmp_path / "Pipfile.lock").write_text("{}\n")
    result = plan(discover(tmp_path), ITEM5, effective_options(None))
    assert (
        "Pipfile: Pipfile.lock is now stale: run `pipenv lock` and commit Pipfile.lock "
        "(an install from the lock leaves the new packages out)" in result.context.notes
    )


# -- a .env the repository commits ---------------------------------------------------------------


def _committed_dotenv(tmp_path, settings: str):
    import subprocess

    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": textwrap.dedent(settings),
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==4.2.16\n",
            ".env": "DEBUG=True\nSTRIPE_KEY=sk_live_committed\n",
        },
    )
    for args in (["init", "-q", "-b", "main"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)
    return plan(discover(tmp_path), ITEM5, effective_options(None))


COMMITTED = (
    ".env is committed: git tracks it{wrote}; remove it from the repository "
    "(`git rm --cached .env`) and rotate every secret it holds: its values stay in the git "
    "history"
)


def test_a_committed_dotenv_is_said_to_be_committed(tmp_path):
    secret = '"dev-0123456789-abcdefghij-0123456789-abcdefghij"'
    result = _committed_dotenv(tmp_path, SETTINGS.format(secret=secret))
    notes = result.context.notes
    assert COMMITTED.format(wrote=", so djfix wrote no development values into it") in notes
    assert not any("untracked" in n for n in notes), notes
    # nothing is written into it, and the settings' comment claims nothing about it
    assert ".env" not in {c.rel for c in result.changeset.changes()}
    settings = result.changeset.read("mysite/settings.py")
    assert "# A local .env is read when there is one (keep it out of git); in production" in (
        settings
    )
    assert "never committed" not in settings
    example = result.changeset.read(".env.example")
    assert example.startswith(
        "# Environment variables read by the settings. Copy this file to .env for local "
        "development\n"
        "# (keep .env out of git); in production, set these in the environment instead.\n"
        "# This repository commits its .env: remove it from git (git rm --cached .env) and "
        "rotate\n"
        "# every secret it holds.\n"
    ), example


def test_a_committed_dotenv_is_said_even_with_no_value_to_move(tmp_path):
    # every setting is read from the environment already: nothing for a .env to hold
    result = _committed_dotenv(
        tmp_path,
        """\
        import os

        SECRET_KEY = os.environ["SECRET_KEY"]
        DEBUG = os.environ.get("DEBUG") == "1"
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
        ROOT_URLCONF = "mysite.urls"
        """,
    )
    assert COMMITTED.format(wrote="") in result.context.notes
