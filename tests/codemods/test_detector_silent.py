"""The detector of each settings item reports nothing on what its codemod wrote: item 5's
settings_env (and what it fixes of item 9) and the whole chain. The cases of one codemod and one
item (conn_max_age, redis_cache, deploy_security) are in tests/checks/test_itemNN_<topic>.py.

Each case runs a codemod on a settings module, writes the output as `mysite/settings.py` of a
small project, and runs the matching check module on it: the rules the codemod fixes must be
silent there, and must have reported on the input (so a silent detector proves the fix, not an
empty check).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from textwrap import dedent
from types import ModuleType

import pytest

from codemods import conn_max_age, deploy_security, redis_cache, settings_env
from fixer.checks import (
    item05_environment,
    item08_redis_cache,
    item09_deploy_check,
    item11_db_connections,
)
from fixer.project import ProjectModel
from tests.conftest import PROJECTS, findings_of

REQUIREMENTS = "Django==5.2\ndjango-environ==0.11\ndjango-redis==5.4\n"

ITEM05_CODES = {"DJ050", "DJ051", "DJ052", "DJ053", "DJ054"}

MakeProject = Callable[..., ProjectModel]


def reported(
    make_project: MakeProject, module: ModuleType, settings: str, codes: set[str]
) -> list[tuple[str, int | None, str]]:
    """(code, line, message) of the findings of `codes` for `settings` as mysite/settings.py."""
    project = make_project({"mysite/settings.py": settings, "requirements.txt": REQUIREMENTS})
    return [(f.code, f.line, f.message) for f in findings_of(module, project) if f.code in codes]


def assert_fixed(
    make_project: MakeProject,
    module: ModuleType,
    codes: set[str],
    before: str,
    after: str,
    expected_before: set[str],
) -> None:
    assert after != before
    ast.parse(after)
    assert {code for code, _, _ in reported(make_project, module, before, codes)} == (
        expected_before
    )
    assert reported(make_project, module, after, codes) == []


def run_settings_env(source: str) -> str:
    return settings_env.transform(source, settings_env.Plan()).code


def run_chain(source: str) -> str:
    """What `djfix apply` runs on a single settings module, in registry order."""
    code = settings_env.transform(source, settings_env.Plan()).code
    code = conn_max_age.transform(code).code
    code = redis_cache.transform(code).code
    # as item 9 passes it: the module sets ALLOWED_HOSTS nowhere
    code = deploy_security.transform(code, allowed_hosts="ALLOWED_HOSTS" not in code).code
    return settings_env.ensure_env(code, settings_env.Plan())


# -- item 5: settings_env ------------------------------------------------------------------------

SETTINGS_ENV_CASES = {
    "literals": (
        """\
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent
        SECRET_KEY = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
        DEBUG = True
        ALLOWED_HOSTS = ["shop.example.com", "localhost"]
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "USER": "shop",
                "PASSWORD": "s3cret",
                "HOST": "db",
                "PORT": "5432",
                "ATOMIC_REQUESTS": True,
            }
        }
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": "redis://cache:6379/1",
            }
        }
        CELERY_BROKER_URL = "amqp://shop:rabbit-pw@rabbit:5672/shop"
        EMAIL_HOST_PASSWORD = "hunter2"
        AWS_SECRET_ACCESS_KEY = "q2Jd-export-9f8e7d6c5b4a"
        SENTRY_DSN = "https://abc123@o1.ingest.sentry.io/1"
        """,
        {"DJ050", "DJ051"},
    ),
    "sqlite-and-services": (
        """\
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": BASE_DIR / "db.sqlite3",
            }
        }
        CELERY_BROKER_URL = "redis://redis:6379/0"
        ELASTICSEARCH_URL = "elasticsearch://search:9200"
        """,
        {"DJ051"},
    ),
    "os-environ": (
        """\
        import os

        SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i")
        DEBUG = os.environ.get("DEBUG", "False") == "True"
        ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")
        EMAIL_PORT = int(os.getenv("EMAIL_PORT", "587"))
        EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "hunter2")
        TIME_ZONE = os.environ["TIME_ZONE"]
        BROKER_URL = os.environ.get("BROKER_URL", "amqp://guest:guest-pw@localhost:5672//")
        """,
        {"DJ050", "DJ052"},
    ),
    "decouple": (
        """\
        from decouple import Csv, config

        SECRET_KEY = config("SECRET_KEY", default="dev-only-k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i")
        DEBUG = config("DEBUG", default=False, cast=bool)
        ALLOWED_HOSTS = config("ALLOWED_HOSTS", default="localhost", cast=Csv())
        EMAIL_PORT = config("EMAIL_PORT", default=587, cast=int)
        EMAIL_HOST_PASSWORD = config("EMAIL_HOST_PASSWORD", default="hunter2")
        DATABASE_URL = config("DATABASE_URL", default="postgres://shop:s3cret@db/shop")
        """,
        {"DJ050", "DJ053"},
    ),
    "environs": (
        """\
        from environs import Env

        env = Env()
        env.read_env()

        SECRET_KEY = env.str("SECRET_KEY")
        DEBUG = env.bool("DEBUG", default=False)
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost"])
        DATABASES = {"default": env.dj_db_url("DATABASE_URL", default="sqlite:///db.sqlite3")}
        """,
        {"DJ054"},
    ),
}


@pytest.mark.parametrize("case", SETTINGS_ENV_CASES)
def test_settings_env_output_is_clean_for_item5(make_project: MakeProject, case: str) -> None:
    source, expected = SETTINGS_ENV_CASES[case]
    before = dedent(source)
    assert_fixed(
        make_project,
        item05_environment,
        ITEM05_CODES,
        before,
        run_settings_env(before),
        expected,
    )


def test_settings_env_fixes_debug_secret_key_and_hosts_for_item9(
    make_project: MakeProject,
) -> None:
    before = dedent(
        """\
        SECRET_KEY = "django-insecure-k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p"
        DEBUG = True
        ALLOWED_HOSTS = []
        """
    )
    assert_fixed(
        make_project,
        item09_deploy_check,
        {"DJ090", "DJ091", "DJ092"},
        before,
        run_settings_env(before),
        {"DJ090", "DJ091", "DJ092"},
    )


@pytest.mark.parametrize(
    "debug",
    ["bool(os.environ.get('DEBUG', False))", 'config("DEBUG", default=True, cast=bool)'],
)
def test_settings_env_fixes_debug_reads_for_item9(make_project: MakeProject, debug: str) -> None:
    before = (
        "import os\n"
        "from decouple import config\n"
        "\n"
        'SECRET_KEY = os.environ["SECRET_KEY"]\n'
        'ALLOWED_HOSTS = os.environ["ALLOWED_HOSTS"].split(",")\n'
        f"DEBUG = {debug}\n"
    )
    assert_fixed(
        make_project,
        item09_deploy_check,
        {"DJ090"},
        before,
        run_settings_env(before),
        {"DJ090"},
    )


def test_settings_env_fixes_debug_read_without_cast(make_project: MakeProject) -> None:
    before = (
        "import os\n\n"
        'SECRET_KEY = os.environ["SECRET_KEY"]\n'
        'ALLOWED_HOSTS = os.environ["ALLOWED_HOSTS"].split(",")\n'
        'DEBUG = os.getenv("DEBUG")\n'
    )
    assert_fixed(
        make_project,
        item09_deploy_check,
        {"DJ090"},
        before,
        run_settings_env(before),
        {"DJ090"},
    )


def test_settings_env_fixes_or_explains_every_os_environ_read(make_project: MakeProject) -> None:
    # the read of a computed name stays: DJ052 still reports it, and Result.left says why
    before = dedent(
        """\
        import os

        SECRET_KEY = os.environ["SECRET_KEY"]
        NAME = "API_TOKEN"
        API_TOKEN = os.environ.get(NAME)
        """
    )
    assert {line for _, line, _ in reported(make_project, item05_environment, before, {"DJ052"})}
    result = settings_env.transform(before, settings_env.Plan())
    left = reported(make_project, item05_environment, result.code, {"DJ052"})
    assert [(setting, line) for setting, line, _ in result.left] == [("API_TOKEN", 5)]
    # the one finding left is that read, where the rewritten module has it
    where = result.code.splitlines().index("API_TOKEN = os.environ.get(NAME)") + 1
    assert [line for _, line, _ in left] == [where]


# -- the whole chain -----------------------------------------------------------------------------

LEGACY_SETTINGS = '''\
"""Settings for the shop project."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "django-insecure-k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p"
DEBUG = True
ALLOWED_HOSTS = []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "mysite.urls"

# Database
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "s3cret",
        "HOST": "localhost",
        "PORT": "5432",
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"

EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "hunter2")
STATIC_URL = "static/"
'''

CHAIN_CHECKS = (item05_environment, item08_redis_cache, item09_deploy_check, item11_db_connections)


def all_findings(make_project: MakeProject, settings: str) -> list[tuple[str, int | None, str]]:
    project = make_project({"mysite/settings.py": settings, "requirements.txt": REQUIREMENTS})
    return [
        (f.code, f.line, f.message) for module in CHAIN_CHECKS for f in findings_of(module, project)
    ]


CHAIN_CASES = {
    "startproject-style": (
        LEGACY_SETTINGS,
        {"DJ050", "DJ051", "DJ052", "DJ082", "DJ083", "DJ090", "DJ091", "DJ092", "DJ095"}
        | {"DJ096", "DJ097", "DJ098", "DJ110", "DJ111"},
    ),
    "legacy_single": (
        (PROJECTS / "legacy_single" / "legacy" / "settings.py").read_text(encoding="utf-8"),
        {"DJ050", "DJ051", "DJ080", "DJ081", "DJ090", "DJ092", "DJ095", "DJ096", "DJ097"}
        | {"DJ098", "DJ110", "DJ111"},
    ),
}


@pytest.mark.parametrize("case", CHAIN_CASES)
def test_whole_chain_leaves_items_5_8_9_11_silent(make_project: MakeProject, case: str) -> None:
    before, expected = CHAIN_CASES[case]
    assert {code for code, _, _ in all_findings(make_project, before)} == expected
    after = run_chain(before)
    ast.parse(after)
    assert all_findings(make_project, after) == []
    assert run_chain(after) == after


def test_whole_chain_adds_missing_allowed_hosts(make_project: MakeProject) -> None:
    before = LEGACY_SETTINGS.replace("ALLOWED_HOSTS = []\n", "")
    assert "DJ092" in {code for code, _, _ in all_findings(make_project, before)}
    after = run_chain(before)
    # read as settings_env reads a literal ALLOWED_HOSTS; unset, it is Django's own default
    assert after.count('ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])\n') == 1
    assert all_findings(make_project, after) == []
    assert run_chain(after) == after


def test_allowed_hosts_a_star_import_sets_is_not_added() -> None:
    result = deploy_security.transform(
        "from .base import *  # noqa: F403\n",
        inherited=frozenset({"ALLOWED_HOSTS", "DEBUG"}),
        allowed_hosts=True,
    )
    assert "ALLOWED_HOSTS" not in result.code
