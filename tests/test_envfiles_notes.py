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
    assert "Pipfile: run `pipenv lock` to update Pipfile.lock" in result.context.notes
