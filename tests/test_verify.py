"""`djfix verify`: the environment it builds, the server command it takes from the Dockerfile,
the URLs it requests, masking, rendering, exit codes and bad input (fast: no server starts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer import verify, verify_env
from fixer.cli import app
from fixer.verify import VerifyReport, render_json, render_table
from fixer.verify_run import Step
from fixer.verify_steps import URL_LISTER
from tests.conftest import MINIMAL_MANAGE, PROJECTS

ENVIRON_SETTINGS = """\
import environ

env = environ.Env()
SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env.int("DJANGO_DEBUG", default=0)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("REDIS_URL", default="redis://127.0.0.1:6379/0"),
    }
}
SENTRY_DSN = env("SENTRY_DSN", default="")
EMAIL_URL = env("EMAIL_URL")
API_TOKEN = env("API_TOKEN")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
INSTALLED_APPS = []
ROOT_URLCONF = "mysite.urls"
"""

EXAMPLE = """\
# placeholders only
DJANGO_SECRET_KEY=change-me
DJANGO_DEBUG=1
DJANGO_ALLOWED_HOSTS=example.com
DATABASE_URL=postgres://app:CHANGE_ME@db:5432/app
REDIS_URL=redis://redis:6379/0
EMAIL_URL=smtp://user:pw@mail.example.com:25
"""


def test_a_required_private_key_gets_a_key_made_for_the_run(make_project, tmp_path):
    # the read has the default None; an app raises without it when DEBUG is off and loads it
    # as PEM: the run gives it a new RSA key, never shown, and a setting the settings raise
    # without (HOSTS: `if not HOSTS: raise`) gets the placeholder
    settings = (
        "import os\n\n"
        "from django.core.exceptions import ImproperlyConfigured\n\n"
        'SECRET_KEY = os.environ["SECRET_KEY"]\n'
        'DEBUG = os.environ.get("DEBUG", "") == "1"\n'
        'INSTALLED_APPS = ["shop"]\n'
        'RSA_PRIVATE_KEY = os.environ.get("RSA_PRIVATE_KEY", None)\n'
        'HOSTS = os.environ.get("HOSTS")\n'
        "if not HOSTS:\n"
        '    raise ImproperlyConfigured("HOSTS")\n'
    )
    app = (
        "from django.apps import AppConfig\nfrom django.conf import settings\n\n\n"
        "class ShopConfig(AppConfig):\n"
        '    name = "shop"\n\n'
        "    def ready(self):\n"
        "        if not settings.RSA_PRIVATE_KEY and not settings.DEBUG:\n"
        '            raise RuntimeError("RSA_PRIVATE_KEY")\n'
    )
    project = make_project(
        {"mysite/settings.py": settings, "shop/__init__.py": "", "shop/apps.py": app}
    )
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    key = env.values["RSA_PRIVATE_KEY"]
    assert key.startswith("-----BEGIN PRIVATE KEY-----") and key in env.secrets
    assert env.shown["RSA_PRIVATE_KEY"] == "'<rsa_private_key>'"
    assert env.values["HOSTS"] == "verify-placeholder"


def test_env_holds_only_what_the_settings_read(make_project, tmp_path):
    project = make_project(
        {
            "mysite/settings.py": ENVIRON_SETTINGS,
            ".env.example": EXAMPLE,
            ".env": "API_TOKEN=real-token-from-dotenv\nOTHER=1\n",
        }
    )
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    key = env.values.pop("DJANGO_SECRET_KEY")
    assert len(key) >= 50 and key in env.secrets
    assert env.values == {
        "DJANGO_DEBUG": "0",  # read as an int: off is 0
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'v.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # the cache, on a closed port
        "EMAIL_URL": "smtp://127.0.0.1:1",  # another host: moved to loopback, no credentials
        "API_TOKEN": "verify-placeholder",  # no default, not in .env.example; .env never read
    }
    assert env.database.kind == "url" and env.database.variable == "DATABASE_URL"
    assert env.shown["DJANGO_SECRET_KEY"].startswith('"$(python -c')
    # quoted: a bare <api_token> would be a redirection to the shell
    assert env.shown["API_TOKEN"] == "'<api_token>'"


def test_a_default_in_the_settings_is_kept_over_the_example(make_project, tmp_path):
    # .env.example holds a developer's values; the settings' defaults are the production ones
    project = make_project(
        {
            "mysite/settings.py": ENVIRON_SETTINGS
            + 'SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)\n',
            ".env.example": EXAMPLE + "SESSION_COOKIE_SECURE=False\nLOG_LEVEL=DEBUG\n",
        }
    )
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert "SESSION_COOKIE_SECURE" not in env.values
    assert "LOG_LEVEL" not in env.values


def test_env_database_url_passed(make_project, tmp_path):
    project = make_project({"mysite/settings.py": ENVIRON_SETTINGS})
    url = "postgres://app:s3cret-pw@127.0.0.1:5432/fresh"
    env = verify_env.build_env(project, tmp_path / "v.sqlite3", url)
    assert env.values["DATABASE_URL"] == url
    assert "s3cret-pw" in env.secrets
    assert env.shown["DATABASE_URL"] == "'postgres://app:<password>@127.0.0.1:5432/fresh'"
    assert env.database.network


PIECEWISE = """\
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = os.environ.get("DEBUG", "False") == "True"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DB_NAME", "app"),
        "USER": os.environ.get("DB_USER", "app"),
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
        "HOST": os.environ.get("DB_HOST", "localhost"),
        "PORT": os.environ.get("DB_PORT", "5432"),
    }
}
INSTALLED_APPS = []
"""


def test_piecewise_database_needs_a_url(make_project, tmp_path):
    project = make_project({"mysite/settings.py": PIECEWISE})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert env.database.kind == "piecewise"
    assert not env.database.runnable
    assert "--database-url" in env.database.reason
    assert env.values["DB_HOST"] == "127.0.0.1" and env.values["DB_PORT"] == "1"


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        (PIECEWISE, "with a fixed postgresql ENGINE"),
        (
            PIECEWISE.replace(
                "DATABASES = {", 'if os.environ.get("DB") == "postgres":\n    DATABASES = {'
            ).replace('\n    "default"', '\n        "default"'),
            "with the ENGINE a condition of the settings chooses (postgresql in the last branch)",
        ),
    ],
)
def test_piecewise_database_says_how_the_engine_is_chosen(make_project, tmp_path, settings, said):
    project = make_project({"mysite/settings.py": settings})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert said in env.database.reason


def test_a_database_url_the_settings_take_apart_themselves_names_verifys_database(
    make_project, tmp_path
):
    # shynet's shape: DATABASES chosen by a condition, then a Heroku-era urlparse of
    # DATABASE_URL into it: the variable by its name, which the run checks the settings took
    settings = (
        "import os\nfrom urllib import parse as urlparse\nINSTALLED_APPS = []\n"
        'if os.getenv("SQLITE", "False") == "True":\n'
        '    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}\n'
        "else:\n"
        '    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", '
        '"NAME": os.environ.get("DB_NAME")}}\n'
        'if "DATABASE_URL" in os.environ:\n'
        '    url = urlparse.urlparse(os.environ["DATABASE_URL"])\n'
        '    DATABASES["default"].update({"NAME": url.path[1:], "HOST": url.hostname})\n'
    )
    project = make_project({"mysite/settings.py": settings})
    url = "postgres://u:pw-123456@127.0.0.1:5432/fresh"
    env = verify_env.build_env(project, tmp_path / "v.sqlite3", url)
    db = env.database
    assert (db.kind, db.variable, db.by_name) == ("url", "DATABASE_URL", True)
    assert env.values["DATABASE_URL"] == url
    assert "pw-123456" in env.secrets


def test_a_variable_read_only_where_it_is_set_is_left_unset(make_project, tmp_path):
    # etesync's shape: a placeholder in DJANGO_STATIC_ROOT became STATIC_ROOT, a folder the
    # app then failed to find at start
    settings = (
        "import os\nINSTALLED_APPS = []\nSECRET_KEY = os.environ['SECRET_KEY']\n"
        "STATIC_ROOT = 'static'\n"
        "if 'DJANGO_STATIC_ROOT' in os.environ:\n"
        "    STATIC_ROOT = os.environ['DJANGO_STATIC_ROOT']\n"
    )
    env = verify_env.build_env(make_project({"mysite/settings.py": settings}), tmp_path / "v")
    assert "DJANGO_STATIC_ROOT" not in env.values and "SECRET_KEY" in env.values


def test_piecewise_database_from_url(make_project, tmp_path):
    project = make_project({"mysite/settings.py": PIECEWISE})
    url = "postgres://u:pw-123456@127.0.0.1:5432/fresh"
    env = verify_env.build_env(project, tmp_path / "v.sqlite3", url)
    assert {k: v for k, v in env.values.items() if k.startswith("DB_")} == {
        "DB_NAME": "fresh",
        "DB_USER": "u",
        "DB_PASSWORD": "pw-123456",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": "5432",
    }
    down = verify_env.unreachable_database(env.database, url)
    assert down == {
        "DB_NAME": "fresh",
        "DB_USER": "u",
        "DB_PASSWORD": "pw-123456",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": "1",
    }


BRANCHED = """\
import os

import dj_database_url

SECRET_KEY = os.environ["SECRET_KEY"]
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.config()}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
if os.environ.get("GITHUB_WORKFLOW"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "ci"}}
INSTALLED_APPS = []
"""


def test_a_url_read_in_a_branch_chooses_the_database(make_project, tmp_path):
    # the last assignment is a CI branch written out in full; the URL read in the first branch
    # is the one a deployment sets: verify sets it, and the app runs on the throwaway database
    project = make_project({"mysite/settings.py": BRANCHED})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert env.database.kind == "url" and env.database.runnable
    assert env.values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'v.sqlite3'}"
    assert "GITHUB_WORKFLOW" not in env.values


@pytest.mark.parametrize(
    ("read", "written"),
    [
        ('os.environ.get("DJANGO_ALLOWED_HOSTS").split(" ")', "127.0.0.1 localhost"),
        ('os.environ.get("DJANGO_ALLOWED_HOSTS", "").split()', "127.0.0.1 localhost"),
        ('os.environ["DJANGO_ALLOWED_HOSTS"].split(",")', "127.0.0.1,localhost"),
        ('env.list("DJANGO_ALLOWED_HOSTS")', "127.0.0.1,localhost"),
    ],
)
def test_allowed_hosts_are_written_the_way_the_read_splits_them(
    make_project, tmp_path, read, written
):
    settings = f"import os\nimport environ\nenv = environ.Env()\nALLOWED_HOSTS = {read}\n"
    project = make_project({"mysite/settings.py": settings})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert env.values["DJANGO_ALLOWED_HOSTS"] == written


BRANCHED_HOSTS = """\
import environ

env = environ.Env()
if env("ALLOWED_HOSTS", default="") != "":
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    ALLOWED_HOSTS = [env("ALLOWED_HOST", default="0.0.0.0"), "localhost"]
"""


@pytest.mark.parametrize(
    "after", ["", 'if env.bool("DEBUG", default=False):\n    ALLOWED_HOSTS = ["*"]\n']
)
def test_a_host_read_as_one_item_of_the_list_gets_one_host(make_project, tmp_path, after):
    # the variable is one item of ALLOWED_HOSTS: a comma list written there stays one host
    # ('127.0.0.1,localhost'), and every request is refused; also where a DEBUG branch
    # assigns ALLOWED_HOSTS last
    project = make_project({"mysite/settings.py": BRANCHED_HOSTS + after})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert env.values["ALLOWED_HOST"] == "127.0.0.1"


def test_debug_read_as_a_number_inside_bool_is_written_as_a_number(make_project, tmp_path):
    settings = 'import os\nDEBUG = bool(int(os.environ.get("DEBUG", "0")))\n'
    project = make_project({"mysite/settings.py": settings})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert env.values["DEBUG"] == "0"  # int("False") would stop the settings


@pytest.mark.parametrize(
    ("base", "production"),
    [
        # the production module compares the number it parsed: int("False") still fails
        (
            'DEBUG = int(os.environ.get("DEBUG", "0"))',
            'DEBUG = int(os.environ.get("DEBUG", 0)) == 1',
        ),
        # the base module's read is overridden, but its line still runs at import
        ('DEBUG = int(os.environ.get("DEBUG", "0"))', 'DEBUG = os.environ.get("DEBUG") == "True"'),
    ],
)
def test_debug_a_star_imported_module_parses_as_a_number_is_written_as_one(
    make_project, tmp_path, base, production
):
    project = make_project(
        {
            "manage.py": MINIMAL_MANAGE.replace("mysite.settings", "mysite.settings.production"),
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": f"import os\n{base}\n",
            "mysite/settings/production.py": f"import os\nfrom .base import *\n{production}\n",
        }
    )
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert env.values["DEBUG"] == "0"


DECOUPLE_BASE = """\
from decouple import config
SECRET_KEY = config("SECRET_KEY")
INSTALLED_APPS = []
"""
DECOUPLE_PRODUCTION = """\
from .base import *
DEBUG = config("DEBUG", cast=bool)
ALLOWED_HOSTS = ["example.com"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": config("DB_NAME"),
        "USER": config("DB_USER"),
        "PASSWORD": config("DB_PASSWORD"),
        "HOST": config("DB_HOST"),
    }
}
"""


def test_decouple_reads_through_a_star_import_are_required(make_project, tmp_path):
    # decouple's config() without a default raises when the variable is unset: each one the
    # production settings read (through base's import) gets a value, DEBUG off
    project = make_project(
        {
            "manage.py": MINIMAL_MANAGE.replace("mysite.settings", "mysite.settings.development"),
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": DECOUPLE_BASE,
            "mysite/settings/development.py": "from .base import *\nDEBUG = True\n",
            "mysite/settings/production.py": DECOUPLE_PRODUCTION,
        }
    )
    assert project.production_module == "mysite.settings.production"
    url = "postgres://app:s3cret-pw@127.0.0.1:5432/fresh"
    env = verify_env.build_env(project, tmp_path / "v.sqlite3", url)
    assert env.values["DEBUG"] == "False"
    assert "SECRET_KEY" in env.values
    assert env.database.kind == "piecewise" and env.database.network
    assert {k: env.values[k] for k in ("DB_NAME", "DB_USER", "DB_PASSWORD", "DB_HOST")} == {
        "DB_NAME": "fresh",
        "DB_USER": "app",
        "DB_PASSWORD": "s3cret-pw",
        "DB_HOST": "127.0.0.1",
    }
    assert env.notes == []


@pytest.mark.parametrize(
    "databases",
    [
        '{"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}',
        '{"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DB_FILE"]}}',
    ],
)
def test_database_url_with_a_fixed_sqlite_engine_is_said_to_be_unused(
    make_project, tmp_path, databases
):
    settings = f"import os\nSECRET_KEY = os.environ['SECRET_KEY']\nDATABASES = {databases}\n"
    project = make_project({"mysite/settings.py": settings})
    url = "postgres://app:s3cret-pw@127.0.0.1:5432/fresh"
    env = verify_env.build_env(project, tmp_path / "v.sqlite3", url)
    assert env.notes == [
        "--database-url is not used: the production settings fix DATABASES['default'] to "
        "SQLite (its ENGINE is written in the settings, no variable chooses another): the run "
        "uses the SQLite database the settings name, in verify's copy of the project"
    ]
    assert not env.database.network  # step 6 has no server database to take down
    assert "fresh" not in env.values.values()


@pytest.mark.parametrize(
    ("databases", "note"),
    [
        # made for PostgreSQL, read from a URL variable: the run's SQLite file stands in
        (
            '{"default": dj_database_url.config(default="postgres://db/app")}',
            "the settings are made for postgresql and this run gives them an SQLite file: a "
            "step may fail on what SQLite lacks; pass --database-url postgres://... (an empty "
            "database on this machine) to run on the project's own engine",
        ),
        # SQLite by the settings themselves: nothing to say
        ('{"default": dj_database_url.config(default="sqlite:///db.sqlite3")}', None),
    ],
)
def test_sqlite_standing_in_for_a_server_database_is_said(make_project, tmp_path, databases, note):
    settings = f"import os\nimport dj_database_url\nDATABASES = {databases}\n"
    project = make_project({"mysite/settings.py": settings})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert env.notes == ([note] if note else [])
    url = "postgres://app@127.0.0.1:5432/fresh"
    assert verify_env.build_env(project, tmp_path / "v.sqlite3", url).notes == []


COMPUTED_DATABASES = """\
import os
DATABASE_URL = os.getenv("DATABASE_URL", None)
POSTGRES_HOST = os.getenv("POSTGRES_HOST", None)


def setup_database():
    if DATABASE_URL:
        return {"default": parse(DATABASE_URL)}
    return {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}


DATABASES = setup_database()
"""


def test_a_computed_databases_takes_the_url_variable_by_its_name(make_project, tmp_path):
    # DATABASES comes from the project's own function, which parses DATABASE_URL: the name
    # says it is the database's URL; the run asks the settings whether they took it
    project = make_project({"mysite/settings.py": COMPUTED_DATABASES})
    url = "postgres://app@127.0.0.1:5432/fresh"
    env = verify_env.build_env(project, tmp_path / "v.sqlite3", url)
    db = env.database
    assert (db.kind, db.variable, db.by_name) == ("url", "DATABASE_URL", True)
    assert env.values["DATABASE_URL"] == url
    assert env.notes == []  # no "--database-url is not used"
    assert verify_env.database_url_used(project, url)


def test_a_computed_databases_keeps_its_own_database_without_a_server_url(make_project, tmp_path):
    # the project's own parser may not take an SQLite URL: without --database-url the run
    # gives it none, and asks the settings which database they compute
    project = make_project({"mysite/settings.py": COMPUTED_DATABASES})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert "DATABASE_URL" not in env.values


def test_a_databases_written_out_takes_no_url_by_its_name(make_project, tmp_path):
    settings = COMPUTED_DATABASES.replace(
        "DATABASES = setup_database()",
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}',
    )
    project = make_project({"mysite/settings.py": settings})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3", "postgres://a@127.0.0.1/f")
    assert env.database.kind == "fixed" and not env.database.by_name


def test_the_settings_took_the_database_url_when_they_name_its_database():
    from fixer.verify_steps import names_database

    url = "postgres://app:pw@127.0.0.1:5432/fresh_djfix_1"
    took = {"ENGINE": "django.db.backends.postgresql", "NAME": "fresh_djfix_1"}
    assert names_database({**took, "HOST": "127.0.0.1", "PORT": "5432"}, url)
    assert names_database(took, url)  # HOST and PORT left to the driver's defaults
    assert not names_database({**took, "NAME": "app"}, url)
    assert not names_database({"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}, url)


def test_hosts_read_by_the_projects_own_helper_get_a_value_by_their_name(make_project, tmp_path):
    # a helper djfix does not follow (two reads of the name): the name it is passed says
    # which variable holds the hosts; one host, whatever the helper splits on
    settings = (
        "import os\n\n\ndef extract_comma_list(env_key, default=None):\n"
        "    if os.getenv(env_key):\n"
        "        return [item.strip() for item in os.getenv(env_key).split(',')]\n"
        "    return [default] if default else []\n\n\n"
        "ALLOWED_HOSTS = extract_comma_list('ALLOWED_HOSTS', '')\n"
    )
    project = make_project({"mysite/settings.py": settings})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert env.values["ALLOWED_HOSTS"] == "127.0.0.1"
    other = settings.replace("extract_comma_list('ALLOWED_HOSTS', '')", "load_hosts()")
    env = verify_env.build_env(make_project({"mysite/settings.py": other}), tmp_path / "w")
    assert "ALLOWED_HOSTS" not in env.values


def test_unreachable_database_url_keeps_the_password():
    db = verify_env.Database("url", "DATABASE_URL")
    down = verify_env.unreachable_database(db, "postgres://app:pw-x@127.0.0.1:5432/fresh")
    assert down == {"DATABASE_URL": "postgres://app:pw-x@127.0.0.1:1/fresh"}


def test_parse_env_text():
    text = "# c\nexport A=1\nB='two words'\nC=\"x#y\"\nD=plain # comment\nnot a line\n"
    assert verify_env.parse_env_text(text) == {"A": "1", "B": "two words", "C": "x#y", "D": "plain"}


def test_mask_secret_longest_first():
    assert verify_env.mask_secret("key=abcdef abc", ["abc", "abcdef"]) == "key=*** ***"


# ---------------------------------------------------------------------------------------------
# the server command
# ---------------------------------------------------------------------------------------------


def _server(make_project, dockerfile: str | None, **files: str):
    tree = {
        "mysite/settings.py": "INSTALLED_APPS = []\nWSGI_APPLICATION = 'mysite.wsgi.application'\n"
    }
    tree["mysite/wsgi.py"] = "application = None\n"
    if dockerfile is not None:
        tree["Dockerfile"] = dockerfile
    tree.update({k.replace("__", "/").replace("_dot_", "."): v for k, v in files.items()})
    return verify_env.server_command(make_project(tree))


def test_server_exec_form_gunicorn(make_project):
    server = _server(
        make_project,
        'FROM python:3.12-slim\nCMD ["gunicorn", "mysite.wsgi:application", "--bind", '
        '"0.0.0.0:8000", "--workers", "2"]\n',
    )
    assert server.origin == "Dockerfile:2 CMD"
    assert server.argv("/py", None, 5000) == [
        "/py",
        "-m",
        "gunicorn",
        "mysite.wsgi:application",
        "--workers",
        "2",
        "--bind",
        "127.0.0.1:5000",
    ]


def test_server_uvicorn_worker_through_sh_c(make_project):
    server = _server(
        make_project,
        "FROM python:3.12-slim AS api\nENV WORKERS=3\n"
        'CMD ["sh", "-c", "exec gunicorn -k uvicorn.workers.UvicornWorker -w ${WORKERS} '
        '-b 0.0.0.0:${PORT:-8000} mysite.asgi:application"]\n',
    )
    assert server.argv("/py", None, 5000) == [
        "/py",
        "-m",
        "gunicorn",
        "-k",
        "uvicorn.workers.UvicornWorker",
        "-w",
        "3",
        "mysite.asgi:application",
        "--bind",
        "127.0.0.1:5000",
    ]


def test_server_daphne_shell_form(make_project):
    server = _server(
        make_project,
        "FROM python:3.12-slim\nCMD daphne --bind 0.0.0.0 --port 8000 mysite.asgi:application\n",
    )
    assert server.argv("/py", None, 5000) == [
        "/py",
        "-m",
        "daphne",
        "mysite.asgi:application",
        "-b",
        "127.0.0.1",
        "-p",
        "5000",
    ]


def test_server_uvicorn_python_m(make_project):
    server = _server(
        make_project,
        'FROM python:3.12-slim\nCMD ["python", "-m", "uvicorn", "mysite.asgi:application", '
        '"--host", "0.0.0.0", "--port=8000"]\n',
    )
    assert server.argv("/py", None, 5000) == [
        "/py",
        "-m",
        "uvicorn",
        "mysite.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        "5000",
    ]


def test_server_from_a_script_the_cmd_script_runs(make_project):
    # shynet's shape: CMD ["./entrypoint.sh"], which runs its checks, then exec ./webserver.sh
    server = _server(
        make_project,
        'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [ "./entrypoint.sh" ]\n',
        entrypoint_dot_sh=(
            "#!/bin/bash\nif [[ ! $SKIP == True ]]; then\n"
            "  ./startup_checks.sh && exec ./webserver.sh\nelse\n  exec ./webserver.sh\nfi\n"
        ),
        startup_checks_dot_sh="#!/bin/bash\npython manage.py migrate\n",
        webserver_dot_sh=(
            "#!/bin/bash\nexec gunicorn mysite.wsgi:application --bind 0.0.0.0:${PORT:-8080}\n"
        ),
    )
    assert server.origin == "webserver.sh (run by entrypoint.sh, the CMD)"
    assert server.argv("/py", None, 5000)[3:] == [
        "mysite.wsgi:application",
        "--bind",
        "127.0.0.1:5000",
    ]


def test_no_dockerfile_and_a_stale_wsgi_application_serves_the_asgi_module(make_project):
    # etesync's shape: WSGI_APPLICATION left from the template names a module that is not
    # there; the project serves its asgi.py (with uvicorn, from a script in docker/)
    tree = {
        "mysite/settings.py": "INSTALLED_APPS = []\nWSGI_APPLICATION = 'mysite.wsgi.application'\n",
        "mysite/asgi.py": (
            "from django.core.asgi import get_asgi_application\n"
            "application = get_asgi_application()\n"
        ),
        "requirements.txt": "Django==5.2\nuvicorn==0.30.0\n",
    }
    server = verify_env.server_command(make_project(tree))
    assert (server.server, server.args) == (
        "gunicorn",
        ["mysite.asgi:application", "--worker-class", "uvicorn.workers.UvicornWorker"],
    )
    assert "mysite.wsgi.application (WSGI_APPLICATION) is no module of the project" in (
        server.origin
    )


def test_server_from_the_entrypoint_script(make_project):
    server = _server(
        make_project,
        'FROM python:3.12-slim\nCOPY entrypoint.sh /\nENTRYPOINT ["/entrypoint.sh"]\n',
        entrypoint_dot_sh="#!/bin/sh\npython manage.py migrate\nexec gunicorn mysite.wsgi -b :80\n",
    )
    assert server.origin == "entrypoint.sh (the ENTRYPOINT)"
    assert server.argv("/py", None, 5000)[3:] == ["mysite.wsgi", "--bind", "127.0.0.1:5000"]


def test_server_after_nginx_in_the_entrypoint_script(make_project):
    # nginx forks into the background and the script goes on to `exec gunicorn`: the app
    # server verify runs is gunicorn, not the first server the script names
    server = _server(
        make_project,
        'FROM python:3.12-slim\nCOPY boot.sh /\nENTRYPOINT ["/sbin/tini", "--", "/boot.sh"]\n',
        boot_dot_sh="#!/bin/sh\nnginx -g 'pid /tmp/nginx.pid;'\ncelery -A mysite worker &\n"
        "python manage.py migrate\nexec gunicorn --bind unix:/tmp/app.sock mysite.wsgi\n",
    )
    assert server.server == "gunicorn" and not server.problem
    assert server.origin == "boot.sh (the ENTRYPOINT)"
    assert server.argv("/py", None, 5000)[3:] == ["mysite.wsgi", "--bind", "127.0.0.1:5000"]


def test_server_options_from_the_scripts_own_variables(make_project):
    # the script gives its variables their defaults before it starts the server
    server = _server(
        make_project,
        'FROM python:3.12-slim\nENV THREADS=4\nCOPY boot.sh /\nENTRYPOINT ["/boot.sh"]\n',
        boot_dot_sh='#!/bin/sh\nWORKERS="${WORKERS:-3}"\nexport TIMEOUT=${TIMEOUT:-30}\n'
        'THREADS="${THREADS:-2}"\n'
        "exec gunicorn --workers $WORKERS --threads $THREADS --timeout $TIMEOUT mysite.wsgi\n",
    )
    assert server.args == ["--workers", "3", "--threads", "4", "--timeout", "30", "mysite.wsgi"]


def test_server_none_runnable_names_the_first_server(make_project):
    server = _server(
        make_project,
        'FROM python:3.12-slim\nCOPY boot.sh /\nENTRYPOINT ["/boot.sh"]\n',
        boot_dot_sh="#!/bin/sh\nuwsgi --ini uwsgi.ini &\nexec nginx -g 'daemon off;'\n",
    )
    assert server.server == "uwsgi"
    assert server.problem.startswith("boot.sh (the ENTRYPOINT) starts uwsgi, not an app server")


def test_server_runserver(make_project, tmp_path):
    server = _server(
        make_project, 'FROM python:3.9\nCMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]\n'
    )
    assert server.server == "runserver" and not server.problem
    assert server.argv("/py", tmp_path / "manage.py", 5000) == [
        "/py",
        str(tmp_path / "manage.py"),
        "runserver",
        "--noreload",
        "127.0.0.1:5000",
    ]


def test_server_supervisord_cannot_run(make_project):
    server = _server(make_project, 'FROM python:3.10\nCMD ["supervisord", "-n"]\n')
    assert server.server == "supervisord"
    assert server.problem.startswith("Dockerfile:2 CMD starts supervisord, not an app server")


def test_server_procfile_without_dockerfile(make_project):
    server = _server(make_project, None, Procfile="web: gunicorn mysite.wsgi --log-file -\n")
    assert server.origin == "Procfile web"
    assert server.args == ["mysite.wsgi", "--log-file", "-"]


def test_server_default_is_gunicorn_on_the_wsgi_module(make_project):
    server = _server(make_project, None)
    assert server.origin == "no Dockerfile: gunicorn with the project's WSGI application"
    assert server.args == ["mysite.wsgi:application"]


def test_server_without_wsgi_application_serves_the_wsgi_module_beside_the_settings(make_project):
    # WSGI_APPLICATION unset (Django's runserver falls back to get_wsgi_application()), the
    # settings a package: the project's wsgi.py is its WSGI application all the same
    project = make_project(
        {
            "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
            '"mysite.settings.prod")\n',
            "mysite/__init__.py": "",
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": "INSTALLED_APPS = []\n",
            "mysite/settings/prod.py": "from .base import *  # noqa\n",
            "mysite/wsgi.py": "application = None\n",
        }
    )
    server = verify_env.server_command(project)
    assert server.server == "gunicorn"
    assert server.args == ["mysite.wsgi:application"]
    assert server.origin == "no Dockerfile: gunicorn with mysite.wsgi (WSGI_APPLICATION is not set)"


def test_a_collectstatic_the_entrypoint_runs_at_start_is_found(make_project):
    project = make_project(
        {
            "mysite/settings.py": "INSTALLED_APPS = []\n",
            "Dockerfile": 'FROM python:3.12-slim\nCOPY . /app\nENTRYPOINT ["/app/boot.sh"]\n',
            "boot.sh": "#!/bin/sh\npython manage.py migrate\n"
            "python manage.py collectstatic --noinput --clear\nexec gunicorn mysite.wsgi\n",
        }
    )
    assert verify_env.collectstatic_line(project) is None  # not a build step
    assert verify_env.start_collectstatic(project) == "boot.sh:3"


def test_collectstatic_line_and_stage_environment(make_project):
    project = make_project(
        {
            "mysite/settings.py": "INSTALLED_APPS = []\n",
            "Dockerfile": "ARG PY=python:3.12-slim\nFROM ${PY} AS builder\nENV A=1 PATH=/opt/v\n"
            "FROM builder AS collectstatic\nARG B=two\n"
            "RUN pip install x && SECRET_KEY=build-only python manage.py collectstatic --noinput\n"
            'FROM ${PY} AS api\nCMD ["gunicorn", "mysite.wsgi"]\n',
        }
    )
    where, command, env = verify_env.collectstatic_line(project)
    assert where == "Dockerfile:6"
    assert command.text == "SECRET_KEY=build-only python manage.py collectstatic --noinput"
    assert env == {"PY": "python:3.12-slim", "A": "1", "PATH": "/opt/v", "B": "two"}


# ---------------------------------------------------------------------------------------------
# URL listing (the helper runs in the project's interpreter; here, this one)
# ---------------------------------------------------------------------------------------------

URLS = """\
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path, re_path

def view(request, **kwargs):
    return HttpResponse("ok")

inner = [path("", view), path("<int:pk>/", view), path("list/", view)]
urlpatterns = [
    path("", view),
    path("admin/", admin.site.urls),
    path("health", view),
    path("books/", include(inner)),
    re_path(r"^about/$", view),
    re_path(r"^item/(?P<slug>[-\\w]+)/$", view),
    re_path(r"^any/.*$", view),
]
"""


def test_url_listing(tmp_path):
    from tests.conftest import write_tree

    write_tree(
        tmp_path,
        {
            "mysite/__init__.py": "",
            "mysite/urls.py": URLS,
            "mysite/settings.py": "SECRET_KEY = 'x'\nROOT_URLCONF = 'mysite.urls'\n"
            "INSTALLED_APPS = ['django.contrib.admin', 'django.contrib.auth', "
            "'django.contrib.contenttypes', 'django.contrib.sessions', "
            "'django.contrib.messages']\n",
        },
    )
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "mysite.settings"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", URL_LISTER],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("DJFIX-URLS "))
    assert json.loads(line.split(" ", 1)[1]) == [
        "/",
        "/admin/",
        "/health",
        "/books/",
        "/books/list/",
        "/about/",
    ]


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------


def _report() -> VerifyReport:
    return VerifyReport(
        root="/repo",
        python="/venv/bin/python",
        steps=[
            Step(1, "check --deploy", "pass", "python manage.py check --deploy"),
            Step(
                2,
                "migrations",
                "fail",
                "python manage.py makemigrations --check --dry-run",
                "Migrations for 'blog':\n  blog/migrations/0003_x.py",
                "models changed with no migration: blog",
            ),
            Step(6, "database down", "skipped", reason="the database is SQLite here"),
        ],
        env_names=["DATABASE_URL", "SECRET_KEY"],
        commands=["python manage.py check --deploy"],
        django_settings="mysite.settings",
    )


def test_render_table():
    assert render_table(_report()) == (
        "djfix verify /repo\n"
        "  python: /venv/bin/python\n"
        "  settings: mysite.settings\n"
        "\n"
        "   #  step            status   reason\n"
        "   1  check --deploy  pass\n"
        "   2  migrations      fail     models changed with no migration: blog\n"
        "        $ python manage.py makemigrations --check --dry-run\n"
        "        | Migrations for 'blog':\n"
        "        |   blog/migrations/0003_x.py\n"
        "   6  database down   skipped  the database is SQLite here\n"
        "\n"
        "1 of 2 steps that ran passed, 1 skipped\n"
    )


def test_render_json_and_ok():
    report = _report()
    data = json.loads(render_json(report))
    assert data["ok"] is False and report.ok() is False
    assert [s["status"] for s in data["steps"]] == ["pass", "fail", "skipped"]
    assert data["env_names"] == ["DATABASE_URL", "SECRET_KEY"]
    assert report.step(6).reason == "the database is SQLite here"
    assert report.step(3) is None
    report.steps[1].status = "pass"
    assert report.ok()


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "name one that imports the project's Django with --python PATH"),
        (["--python", "/no/such/python"], "--python /no/such/python: no such interpreter"),
        (["--python", sys.executable, "--install"], "--python and --install: give one of them"),
        (["--python", sys.executable, "--step", "0,9"], "--step takes step numbers 1-8"),
        (["--python", sys.executable, "--step", "x"], "--step takes step numbers 1-8"),
        (
            ["--python", sys.executable, "--database-url", "postgres://u@10.0.0.5/db"],
            "--database-url: verify only talks to this machine",
        ),
        (
            ["--python", sys.executable, "--database-url", "redis://127.0.0.1/0"],
            "--database-url: give a postgres://, mysql:// or sqlite:/// URL",
        ),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = CliRunner().invoke(app, ["verify", str(PROJECTS / "deploy_ready"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_not_a_directory_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "nope"), "--python", "python3"])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope'}: not a directory" in result.output


def test_python_without_django_exits_2(tmp_path):
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\nexit 1\n")
    python.chmod(0o755)
    result = CliRunner().invoke(
        app, ["verify", str(PROJECTS / "deploy_ready"), "--python", str(python)]
    )
    assert result.exit_code == 2
    assert "cannot import Django" in result.output


def test_env_names_of_a_test_project_come_from_its_settings():
    from fixer.discovery import discover

    names = set(verify_env.settings_variables(discover(PROJECTS / "deploy_ready")))
    assert names == {
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "DATABASE_URL",
        "CONN_MAX_AGE",
        "REDIS_URL",
        "STARTUP_CHECKS",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "LOG_LEVEL",
    }


def test_user_env_files_and_databases_are_not_copied(tmp_path):
    from fixer.verify import copy_tree
    from tests.conftest import write_tree

    write_tree(
        tmp_path / "src",
        {
            ".env": "SECRET_KEY=real\n",
            ".env.local": "X=1\n",
            ".env.example": "SECRET_KEY=\n",
            "db.sqlite3": "data",
            "app/models.py": "",
            ".venv/bin/python": "",
        },
    )
    copy_tree(tmp_path / "src", tmp_path / "dst")
    copied = sorted(
        p.relative_to(tmp_path / "dst").as_posix() for p in (tmp_path / "dst").rglob("*")
    )
    assert copied == [".env.example", "app", "app/models.py"]


def test_every_child_is_stopped_when_a_run_ends_early(tmp_path):
    from fixer.verify_process import Process, stop_all

    process = Process(["sh", "-c", "sleep 30 & sleep 30"], tmp_path, {"PATH": os.environ["PATH"]})
    stop_all()
    assert process.proc.poll() is not None
    # the whole group is gone, the background sleep too (at most a zombie waiting for its reaper)
    time.sleep(0.3)
    assert _running_in_group(process.proc.pid) == []


def _running_in_group(pgid: int) -> list[int]:
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            running.append(int(stat.parent.name))
    return running


def test_a_folder_without_django_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["verify", str(tmp_path), "--python", sys.executable])
    assert result.exit_code == 2
    assert f"{tmp_path} is empty: there is no Django project to check" in result.output


def test_migrate_may_take_longer_for_each_migration(make_project):
    # a project with a hundred migrations takes minutes on an empty database: the step's
    # allowance grows with them, so a long migrate is not reported as the project failing
    from fixer.verify_run import COMMAND_TIMEOUT, SECONDS_PER_MIGRATION, migrate_timeout

    migration = (
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n    dependencies = []\n    operations = []\n"
    )
    files = {
        "mysite/settings.py": 'INSTALLED_APPS = ["shop"]\n',
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        **{f"shop/migrations/{n:04d}_step.py": migration for n in range(1, 6)},
    }
    project = make_project(files)
    assert migrate_timeout(project) == COMMAND_TIMEOUT + 5 * SECONDS_PER_MIGRATION


@pytest.mark.parametrize(
    ("broker", "note"),
    [
        ('"amqp://guest@mq:5672//"', "is written in the settings (amqp://***@mq:5672//)"),
        (
            "f\"amqp://{os.environ.get('MQ_USER', 'guest')}@{os.environ.get('MQ_HOST', 'mq')}//\"",
            "is built in the settings, not read from one variable",
        ),
    ],
)
def test_a_broker_url_no_variable_holds_is_said_how_it_is_made(
    make_project, tmp_path, broker, note
):
    project = make_project({"mysite/settings.py": f"import os\nCELERY_BROKER_URL = {broker}\n"})
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    assert f"CELERY_BROKER_URL {note}: verify cannot move it to a closed port" in env.notes


def test_probes_off_names_a_service_verify_could_not_move_as_such():
    # a broker read from a variable is on a closed port in the run; one built in the settings
    # from other values stays where they point, and is not said to be down
    from types import SimpleNamespace

    from fixer.project import Service
    from fixer.verify_run import serving_overrides

    services = [
        Service("rabbitmq", "broker", "CELERY_BROKER_URL", None, None, "s.py", 9),
        Service("redis", "result-backend", "CELERY_RESULT_BACKEND", "RESULT_URL", None, "s.py", 10),
    ]
    run = SimpleNamespace(
        env=SimpleNamespace(probes=True, values={"RESULT_URL": "redis://127.0.0.1:1/0"}),
        project=SimpleNamespace(services=services),
    )
    assert serving_overrides(run) == (
        {"STARTUP_CHECKS": "false"},
        "STARTUP_CHECKS=false: CELERY_RESULT_BACKEND is down by design in this run; "
        "CELERY_BROKER_URL is where the settings point (verify cannot move it), reachable or "
        "not (step 6 runs the probes)",
    )


def test_probes_off_names_several_services_in_the_plural():
    from types import SimpleNamespace

    from fixer.project import Service
    from fixer.verify_run import serving_overrides

    services = [
        Service("redis", "broker", "CELERY_BROKER_URL", "BROKER", None, "s.py", 9),
        Service("redis", "result-backend", "CELERY_RESULT_BACKEND", "BACKEND", None, "s.py", 10),
    ]
    run = SimpleNamespace(
        env=SimpleNamespace(probes=True, values={"BROKER": "x", "BACKEND": "y"}),
        project=SimpleNamespace(services=services),
    )
    assert serving_overrides(run)[1] == (
        "STARTUP_CHECKS=false: CELERY_BROKER_URL, CELERY_RESULT_BACKEND are down by design in "
        "this run (step 6 runs the probes)"
    )


def test_a_server_database_the_settings_name_is_not_the_runs_own(tmp_path):
    from fixer.verify_steps import foreign_database_reason

    tree = tmp_path / "tree"
    server = {"ENGINE": "django.db.backends.postgresql", "NAME": "netbox", "HOST": "", "PORT": ""}
    assert foreign_database_reason(server, tree, tree, None) == (
        "DATABASES['default'] is the postgresql database 'netbox' on localhost, and no variable "
        "names another: verify runs only on a database of its own, never on one the settings "
        "name (read the database from a variable, e.g. DATABASE_URL)"
    )
    inside = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}
    assert foreign_database_reason(inside, tree / "app", tree, None) == ""
    assert foreign_database_reason({"ENGINE": ""}, tree, tree, None) == ""


CHAINED_TRACEBACK = """\
Traceback (most recent call last):
  File "/srv/app/mysite/settings_utils.py", line 80, in _import_module
    return importlib.import_module(name)
ModuleNotFoundError: No module named 'mysite.configuration'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/app/manage.py", line 10, in <module>
    execute_from_command_line(sys.argv)
  File "/srv/app/mysite/settings_utils.py", line 87, in _import_module
    raise ImproperlyConfigured(
django.core.exceptions.ImproperlyConfigured: Specified configuration module not found: copy \
configuration_example.py to configuration.py
"""


def test_the_reason_is_what_the_last_traceback_raised():
    # the final exception names no Error: the reason is still it, not the ModuleNotFoundError
    # it was raised from (which hid the project's own advice)
    from fixer.verify_process import last_error

    assert last_error(CHAINED_TRACEBACK) == (
        "django.core.exceptions.ImproperlyConfigured: Specified configuration module not found: "
        "copy configuration_example.py to configuration.py"
    )
    assert last_error("Traceback (most recent call last):\n  File 'x'\nKeyError: 'A'\n") == (
        "KeyError: 'A'"
    )
    assert last_error("starting\nOperationalError: no such table\nbye\n") == (
        "OperationalError: no such table"
    )


def test_a_migrate_that_runs_out_of_time_says_how_far_it_got():
    from fixer.verify_steps import migrate_timed_out

    output = (
        "Operations to perform:\n"
        "  Apply all migrations: auth, contenttypes, ipam\n"
        "Running migrations:\n"
        "  Applying contenttypes.0001_initial... OK\n"
        "  Applying auth.0001_initial... OK\n"
        "  Applying ipam.0054_squashed_0067...\n"
    )
    assert migrate_timed_out(output, 1095.0) == "timed out after 1095 s, 2 migrations applied"


def test_gunicorn_without_module_main_starts_through_its_entry_point(tmp_path):
    # gunicorn before 20.1 has no __main__: `python -m gunicorn` fails on it at once
    old = tmp_path / "site" / "gunicorn"
    old.mkdir(parents=True)
    (old / "__init__.py").write_text("")
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\nPYTHONPATH={old.parent} exec {sys.executable} "$@"\n')
    python.chmod(0o755)
    assert verify._runs_as_module(str(python), "gunicorn") is False
    assert verify._runs_as_module(sys.executable, "gunicorn") is True
    server = verify_env.ServerCommand("gunicorn", ["mysite.wsgi"], "here", no_module_main=True)
    argv = server.argv(sys.executable, None, 5000)
    assert argv[:3] == [sys.executable, "-c", verify_env.GUNICORN_ENTRY]
    assert argv[3:] == ["mysite.wsgi", "--bind", "127.0.0.1:5000"]
    # the entry point is gunicorn's own: it starts the installed one
    done = subprocess.run(
        [sys.executable, "-c", verify_env.GUNICORN_ENTRY, "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.split()[0]) == (0, "gunicorn")


def test_a_project_slow_to_load_gets_longer_to_start():
    # step 1 took 25 s to load saleor's apps and URLconf: its two uvicorn workers, importing
    # the same at once, are given 75 s to listen, not 30; a quick project keeps 30, and no
    # project waits past the cap
    from fixer.verify_run import MAX_START_TIMEOUT, START_TIMEOUT, start_timeout

    assert start_timeout(0) == START_TIMEOUT == 30
    assert start_timeout(4.2) == 30
    assert start_timeout(25) == 75
    assert start_timeout(900) == MAX_START_TIMEOUT


def test_the_folders_settings_write_to_are_made_in_the_copy(make_project, tmp_path):
    # linkding's shape: data/ is git-ignored and made by the start script; the settings open
    # a task queue's SQLite file there at import
    from fixer.verify import _make_data_folders

    outside = tmp_path / "outside" / "app.log"
    settings = (
        "import os\nBASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
        "INSTALLED_APPS = []\n"
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", '
        '"NAME": os.path.join(BASE_DIR, "data", "db.sqlite3")}}\n'
        'MEDIA_ROOT = os.path.join(BASE_DIR, "uploads")\n'
        'LOGGING = {"version": 1, "handlers": {"f": {"class": "logging.FileHandler", '
        f'"filename": {str(outside)!r}}}}}}}\n'
    )
    project = make_project({"mysite/settings.py": settings})
    _make_data_folders(project, project.root)
    assert (project.root / "data").is_dir() and (project.root / "uploads").is_dir()
    assert not (project.root / "data" / "db.sqlite3").exists()
    assert not outside.parent.exists()  # outside the copy: the image's to make, never here


def test_step_6_says_why_a_given_url_was_not_used(make_project, tmp_path):
    # the interpreter had no driver for the server (verify_database): asking to pass
    # --database-url, which was passed, would be a wrong message
    from fixer.verify_run import Run
    from fixer.verify_steps import step_database_down

    project = make_project(
        {
            "mysite/settings.py": "import environ\nenv = environ.Env()\nINSTALLED_APPS = []\n"
            'DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///x.sqlite3")}\n',
            "mysite/wsgi.py": "application = None\n",
        }
    )
    env = verify_env.build_env(project, tmp_path / "v.sqlite3")
    run = Run(
        project,
        sys.executable,
        project.root,
        tmp_path,
        env,
        {},
        project.root,
        [],
        verify_env.server_command(project),
        None,
    )
    assert step_database_down(run, []).reason.endswith(
        "(pass --database-url postgres://... to run this step)"
    )
    run.url_unused = "--database-url is not used: the interpreter has no postgresql driver"
    assert step_database_down(run, []).reason == (
        "the database is SQLite here: --database-url is not used: the interpreter has no "
        "postgresql driver"
    )
