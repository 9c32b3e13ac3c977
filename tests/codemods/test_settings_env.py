from __future__ import annotations

import ast
import io
import os
import tokenize
from collections import Counter
from pathlib import Path
from textwrap import dedent
from typing import Any

import environ
import libcst as cst
import libcst.matchers as m
import pytest

from codemods.env_calls import EnvVariable
from codemods.settings_env import Plan, Result, ensure_env, transform

INHERITED = Plan(env_source="inherited")

ENV_BLOCK = """\
env = environ.Env()
# A local .env is read when there is one (keep it out of git); in production the
# settings come from real environment variables.
_parents = Path(__file__).resolve().parents
_env_file = _parents[min({parents}, len(_parents) - 1)] / ".env"
if _env_file.is_file():
    environ.Env.read_env(str(_env_file))
"""


def comments(source: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


def env_methods(source: str) -> set[str]:
    """The `env.<method>` names the module calls."""
    calls = m.findall(
        cst.parse_module(source),
        m.Call(func=m.Attribute(value=m.Name("env"), attr=m.Name())),
    )
    return {call.func.attr.value for call in calls}  # type: ignore[attr-defined]


def variables(result: Result) -> list[tuple[str, str, str | None, bool, bool]]:
    """(name, example, dev_value, secret, required) of each variable, in order."""
    return [(v.name, v.example, v.dev_value, v.secret, v.required) for v in result.variables]


def assert_no_secret_in_code(result: Result) -> None:
    for variable in result.variables:
        if variable.secret and variable.dev_value:
            assert variable.dev_value not in result.code, variable.name


def created(imports: str, rest: str, parents: int = 1) -> str:
    """A module with the env block made by djfix between its imports and the rest."""
    return dedent(imports) + "\n" + ENV_BLOCK.format(parents=parents) + "\n" + dedent(rest)


def check(before: str, after: str, plan: Plan = INHERITED) -> Result:
    """`before` becomes exactly `after`; the output parses (libcst and this Python's ast), keeps
    every comment, calls only methods django-environ's Env has, shows no secret, and a second
    run changes nothing."""
    before, after = dedent(before), dedent(after)
    result = transform(before, plan)
    assert result.code == after
    cst.parse_module(result.code)
    ast.parse(result.code)
    assert not comments(before) - comments(result.code)
    assert all(hasattr(environ.Env, name) for name in env_methods(result.code))
    assert_no_secret_in_code(result)
    again = transform(result.code, plan)
    assert again.code == result.code
    assert again.rewritten == []
    return result


def unchanged(source: str, plan: Plan = INHERITED) -> Result:
    source = dedent(source)
    result = transform(source, plan)
    assert result.code == source
    assert result.rewritten == []
    assert result.variables == []
    return result


def run_settings(code: str, tmp_path: Path) -> dict[str, Any]:
    """Execute a settings module as Django would import it; its upper-case names."""
    path = tmp_path / "mysite" / "settings.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code, encoding="utf-8")
    namespace: dict[str, Any] = {"__file__": str(path), "__name__": "mysite.settings"}
    saved = dict(os.environ)
    try:
        exec(compile(code, str(path), "exec"), namespace)
    finally:
        # a settings module that reads a .env file (`read_env`) writes into os.environ: what
        # it set must not reach the next test
        os.environ.clear()
        os.environ.update(saved)
    return {k: v for k, v in namespace.items() if k.isupper()}


# -- nothing to change ---------------------------------------------------------------------------


def test_already_from_env() -> None:
    result = unchanged(
        """\
        import environ

        env = environ.Env()

        # already read from the environment
        SECRET_KEY = env("SECRET_KEY")
        DEBUG = env.bool("DEBUG", default=False)
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
        DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
        CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": env("REDIS_URL")}}
        EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
        """,  # noqa: E501
        Plan(),
    )
    assert result.left == []


def test_env_with_a_scheme_casts_debug_itself() -> None:
    unchanged(
        """\
        import environ

        env = environ.Env(DEBUG=(bool, False))
        DEBUG = env("DEBUG")
        """,
        Plan(),
    )


def test_function_bodies_are_left_alone() -> None:
    result = unchanged(
        """\
        import os


        def secret():
            SECRET_KEY = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
            return os.environ.get("SECRET_KEY", SECRET_KEY)


        class Defaults:
            DEBUG = True
            TOKEN = os.environ["API_TOKEN"]


        TIMEOUT = lambda: int(os.getenv("TIMEOUT", "5"))  # noqa: E731
        """,
        Plan(),
    )
    assert result.left == []


def test_dev_module_keeps_config_literals() -> None:
    result = unchanged(
        """\
        from .base import *  # noqa: F403

        DEBUG = True
        ALLOWED_HOSTS = ["*"]
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "HOST": "localhost",
            }
        }
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/1",
            }
        }
        CELERY_BROKER_URL = "redis://localhost:6379/0"
        """,
        Plan(env_source="inherited", config=False),
    )
    assert result.left == []


def test_assignment_targets_of_os_environ_untouched() -> None:
    unchanged(
        """\
        import os

        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
        """,
        Plan(),
    )


def test_empty_secret_left() -> None:
    result = unchanged(
        """\
        SECRET_KEY = ""
        EMAIL_HOST_PASSWORD = ""  # no authentication
        """,
        Plan(),
    )
    assert result.left == []


def test_computed_values_and_plain_urls_left() -> None:
    unchanged(
        """\
        from .base import *  # noqa: F403

        SECRET_KEY = Path("/run/secrets/django").read_text()
        ALLOWED_HOSTS = [HOST, "localhost"]
        HOMEPAGE = "https://shop.example.com"
        CACHE_MIDDLEWARE_KEY_PREFIX = "shop"
        """
    )


def test_conditional_settings_are_the_authors() -> None:
    result = unchanged(
        """\
        import sys

        if "test" in sys.argv:
            DEBUG = False
            SECRET_KEY = "test-only-k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d"
        try:
            from .local import ALLOWED_HOSTS
        except ImportError:
            ALLOWED_HOSTS = ["localhost"]
        """
    )
    assert result.left == [
        (
            "SECRET_KEY",
            5,
            "it is set inside a block (if/try/with/for): djfix does not rewrite conditional "
            "settings",
        )
    ]


def test_unknown_database_engine_is_left_with_reason() -> None:
    result = unchanged(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django_cockroachdb",
                "NAME": "shop",
            },
            "legacy": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": legacy_name(),
            },
        }
        """
    )
    assert result.left == [
        ("DATABASES['default']", 1, "its ENGINE 'django_cockroachdb' has no database URL scheme"),
        ("DATABASES['legacy']", 1, "its NAME is computed, so it cannot become one URL"),
    ]


def test_decouple_cast_it_cannot_translate_is_left() -> None:
    unchanged(
        """\
        from decouple import Choices, config

        LOG_LEVEL = config("LOG_LEVEL", default="INFO", cast=Choices(["DEBUG", "INFO"]))
        """
    )


def test_ensure_env_without_env_changes_nothing() -> None:
    source = "DEBUG = False\nCONN_MAX_AGE = 60\n"
    assert ensure_env(source, Plan()) == source


def test_ensure_env_keeps_an_existing_env() -> None:
    source = dedent(
        """\
        import environ

        env = environ.Env()
        CONN_MAX_AGE = env.int("CONN_MAX_AGE", default=60)
        """
    )
    assert ensure_env(source, Plan()) == source


def test_ensure_env_inherited_adds_nothing() -> None:
    source = dedent(
        """\
        from .base import *  # noqa: F403

        CONN_MAX_AGE = env.int("CONN_MAX_AGE", default=60)
        """
    )
    assert ensure_env(source, INHERITED) == source


def test_ensure_env_converts_nothing() -> None:
    rest = dedent(
        """\
        SECRET_KEY = os.environ["SECRET_KEY"]
        DEBUG = True
        CONN_MAX_AGE = env.int("CONN_MAX_AGE", default=60)
        """
    )
    code = ensure_env("import os\n\n" + rest, Plan())
    assert code == (
        "import os\nimport environ\nfrom pathlib import Path\n\n"
        + ENV_BLOCK.format(parents=1)
        + "\n"
        + rest
    )


def test_ensure_env_keeps_the_imports_a_star_importer_may_use() -> None:
    # a module other settings star-import (a test module calling config() it never imports)
    # keeps its decouple import when its last read became env(...)
    rest = 'SECRET_KEY = env("SECRET_KEY")\n'
    code = ensure_env("from decouple import config\n\n" + rest, Plan(keep_imports=True))
    assert code.startswith("from decouple import config\n")
    assert ensure_env(code, Plan(keep_imports=True)) == code
    assert "decouple" not in ensure_env("from decouple import config\n\n" + rest, Plan())


def test_augmented_assignment_to_os_environ_untouched() -> None:
    result = transform('import os\n\nos.environ["PATH"] += ":/opt/bin"\n', INHERITED)
    assert result.code == 'import os\n\nos.environ["PATH"] += ":/opt/bin"\n'


def test_del_of_os_environ_untouched() -> None:
    result = transform('import os\n\ndel os.environ["HTTPS_PROXY"]\n', INHERITED)
    assert result.code == 'import os\n\ndel os.environ["HTTPS_PROXY"]\n'


@pytest.mark.parametrize(
    "read",
    ["os.environ.get(NAME)", "os.getenv(NAME, 'x')", "os.environ[NAME]", "config(NAME)"],
)
def test_computed_variable_name_is_left_with_reason(read: str) -> None:
    source = dedent(
        f"""\
        import os
        from decouple import config

        NAME = "API_TOKEN"
        API_TOKEN = {read}
        SECRET_KEY = os.environ["SECRET_KEY"]
        """
    )
    result = transform(source, INHERITED)
    assert result.left == [
        (
            "API_TOKEN",
            5,
            "the variable name `NAME` is computed, not a literal, so djfix cannot tell which "
            "variable the read names: it stays as it is",
        )
    ]
    assert f"API_TOKEN = {read}\n" in result.code  # the read stays as written
    assert 'SECRET_KEY = env("SECRET_KEY")\n' in result.code  # the others are rewritten
    kept = "from decouple import config\n" if "config" in read else "import os\n"
    assert kept in result.code  # the kept read still needs it
    assert transform(result.code, INHERITED).code == result.code


def test_decouple_cast_djfix_cannot_translate_is_left_with_reason() -> None:
    source = 'from decouple import config\n\nX = config("X", cast=lambda v: v.upper())\n'
    result = transform(source, INHERITED)
    assert result.code == source
    assert result.left == [
        (
            "X",
            3,
            "its cast `lambda v: v.upper()` is not one djfix translates to django-environ "
            "(bool, int, float, str, Csv()): it stays as it is",
        )
    ]


# -- where `env` comes from ----------------------------------------------------------------------


def test_env_block_created_after_the_imports() -> None:
    result = check(
        """\
        import os
        import sys

        TESTING = "test" in sys.argv
        SECRET_KEY = os.environ["SECRET_KEY"]
        """,
        created(
            """\
            import sys
            import environ
            from pathlib import Path
            """,
            """\
            TESTING = "test" in sys.argv
            SECRET_KEY = env("SECRET_KEY")
            """,
        ),
        Plan(),
    )
    assert variables(result) == [
        ("SECRET_KEY", "change-me-to-a-long-random-string", None, True, True)
    ]


def test_env_block_after_a_module_docstring() -> None:
    check(
        '''\
        """Settings for the shop."""

        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent

        # never share this
        SECRET_KEY = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
        ''',
        created(
            '''\
            """Settings for the shop."""

            from pathlib import Path
            import environ
            ''',
            """\
            BASE_DIR = Path(__file__).resolve().parent.parent

            # never share this
            SECRET_KEY = env("SECRET_KEY")
            """,
            parents=2,
        ),
        Plan(dotenv_parents=2),
    )


def test_env_block_in_a_module_without_imports() -> None:
    check(
        '''\
        """Settings for the shop."""

        SECRET_KEY = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
        ''',
        created(
            '''\
            """Settings for the shop."""
            import environ
            from pathlib import Path
            ''',
            """\
            SECRET_KEY = env("SECRET_KEY")
            """,
        ),
        Plan(),
    )


def test_env_inherited_from_a_star_import() -> None:
    check(
        """\
        from .base import *  # noqa: F403

        SECRET_KEY = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
        """,
        """\
        from .base import *  # noqa: F403

        SECRET_KEY = env("SECRET_KEY")
        """,
        INHERITED,
    )


def test_env_imported_from_a_module() -> None:
    check(
        """\
        from .base import *  # noqa: F403

        SECRET_KEY = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
        """,
        """\
        from .base import *  # noqa: F403

        from config.env import env

        SECRET_KEY = env("SECRET_KEY")
        """,
        Plan(env_source="import:config.env"),
    )


def test_existing_env_binding_reused() -> None:
    check(
        """\
        from environ import Env

        env = Env()

        SECRET_KEY = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
        """,
        """\
        from environ import Env

        env = Env()

        SECRET_KEY = env("SECRET_KEY")
        """,
        Plan(),
    )


def test_ensure_env_creates_env_for_other_codemods() -> None:
    before = dedent(
        """\
        from pathlib import Path

        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
            }
        }
        """
    )
    after = (
        "from pathlib import Path\nimport environ\n\n"
        + ENV_BLOCK.format(parents=1)
        + "\n"
        + before.split("\n\n", 1)[1]
    )
    assert ensure_env(before, Plan()) == after
    assert ensure_env(after, Plan()) == after


def test_env_imported_from_the_projects_module_is_reused() -> None:
    plan = Plan(env_source="import:config.env")
    source = 'from config.env import env\n\nCONN_MAX_AGE = env.int("CONN_MAX_AGE", default=60)\n'
    assert ensure_env(source, plan) == source
    check(
        """\
        from config.env import env

        SECRET_KEY = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
        """,
        """\
        from config.env import env

        SECRET_KEY = env("SECRET_KEY")
        """,
        plan,
    )


# -- literal settings ----------------------------------------------------------------------------


def test_secret_defaults_of_reads_already_on_django_environ_move_to_dev_values() -> None:
    """Settings already on django-environ, with a secret's value as the default (keyword or
    positional): the value moves to .env as an os.environ read's would; a default that is no
    secret, or a read with other options, stays."""
    result = check(
        """\
        import environ

        env = environ.Env()
        SECRET_KEY = env("SECRET_KEY", default="CHANGEME")
        ANYMAIL = {"MAILGUN_API_KEY": env.str("MAILGUN_API_KEY", "key-0123456789abcdef")}
        SENDER = env.str("MAILGUN_SENDER_DOMAIN", "mg.example.org")
        SIGNING_KEY = env.str("SIGNING_KEY", "-----BEGIN KEY-----", multiline=True)
        """,
        """\
        import environ

        env = environ.Env()
        SECRET_KEY = env("SECRET_KEY")
        ANYMAIL = {"MAILGUN_API_KEY": env.str("MAILGUN_API_KEY", default="")}
        SENDER = env.str("MAILGUN_SENDER_DOMAIN", "mg.example.org")
        SIGNING_KEY = env.str("SIGNING_KEY", "-----BEGIN KEY-----", multiline=True)
        """,
        plan=Plan(),
    )
    assert [(v[0], v[2]) for v in variables(result) if v[3]] == [
        ("SECRET_KEY", "CHANGEME"),
        ("MAILGUN_API_KEY", "key-0123456789abcdef"),
    ]


def test_a_dotted_import_path_under_a_secret_name_is_code_not_a_secret() -> None:
    """`PUSH_CREDENTIALS` names the function a library calls for the credentials: moving it to
    the environment with an empty default made the library import "" in production. A
    password is any text, dotted or not; a key without a dot stays a secret."""
    result = check(
        """\
        from .base import *  # noqa: F403

        PUSH_CREDENTIALS = "aggregator.utils.push_credentials"
        AUTH_TOKEN_CLASS = "knox.auth.TokenAuthentication"
        AKISMET_API_KEY = "c892e4962244"
        MAIL_PASSWORD = "correct.horse.battery"
        """,
        """\
        from .base import *  # noqa: F403

        PUSH_CREDENTIALS = "aggregator.utils.push_credentials"
        AUTH_TOKEN_CLASS = "knox.auth.TokenAuthentication"
        AKISMET_API_KEY = env("AKISMET_API_KEY", default="")
        MAIL_PASSWORD = env("MAIL_PASSWORD", default="")
        """,
    )
    assert [name for name, _line in result.rewritten] == ["AKISMET_API_KEY", "MAIL_PASSWORD"]


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("PUSH_CREDENTIALS", "aggregator.utils.push_credentials", True),
        ("AUTH_TOKEN_CLASS", "knox.auth.TokenAuthentication", True),
        ("OAUTH2_TOKEN_MODEL", "oauth2_provider.AccessToken", True),
        ("API_KEY", "c892e4962244", False),
        ("API_KEY", "abc.x9f3k2j8d7s6", False),
        ("SECRET_KEY", "k3#v9!q0m@x7.tz2lq8", False),
        ("DB_PASSWORD", "correct.horse", False),
        ("API_KEY", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc", False),
        ("data_dir_key", "DJANGOPROJECT_DATA_DIR", True),
        ("SECRET_KEY_VARIABLE", "DJANGO_SECRET_KEY", True),
        ("API_KEY", "ABCDEF123456", False),
        ("DB_PASSWORD", "HUNTER_TWO", False),
    ],
)
def test_what_is_a_code_path(name: str, value: str, code: bool) -> None:
    from fixer import redaction
    from fixer.analysis.settings_secrets import secret_kind

    assert redaction.is_code_path(name, value) is code
    assert (secret_kind((name,), None, value) is None) is code


def test_literal_secret_key() -> None:
    result = check(
        """\
        from .base import *  # noqa: F403

        # SECURITY WARNING: keep the secret key used in production secret!
        SECRET_KEY = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"  # rotate me
        """,
        """\
        from .base import *  # noqa: F403

        # SECURITY WARNING: keep the secret key used in production secret!
        SECRET_KEY = env("SECRET_KEY")  # rotate me
        """,
    )
    assert variables(result) == [
        (
            "SECRET_KEY",
            "change-me-to-a-long-random-string",
            "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4",
            True,
            True,
        )
    ]
    assert result.rewritten == [("SECRET_KEY", 4)]


def test_debug_true() -> None:
    result = check(
        """\
        DEBUG = True  # never in production
        TEMPLATE_DEBUG = False
        """,
        """\
        DEBUG = env.bool("DEBUG", default=False)  # never in production
        TEMPLATE_DEBUG = False
        """,
    )
    assert variables(result) == [("DEBUG", "False", "True", False, False)]
    assert result.rewritten == [("DEBUG", 1)]


def test_debug_false_has_no_dev_value() -> None:
    result = check(
        "DEBUG = False\n",
        'DEBUG = env.bool("DEBUG", default=False)\n',
    )
    assert variables(result) == [("DEBUG", "False", None, False, False)]


def test_debug_defaulting_to_true_defaults_to_false() -> None:
    result = check(
        'DEBUG = env.bool("DEBUG", default=True)\n',
        'DEBUG = env.bool("DEBUG", default=False)\n',
    )
    assert variables(result) == [("DEBUG", "False", "True", False, False)]


@pytest.mark.parametrize(
    "read",
    [
        'os.environ.get("DEBUG", False)',
        'os.getenv("DEBUG")',
        'config("DEBUG", default=False)',
    ],
)
def test_debug_read_as_raw_string_becomes_bool(read: str) -> None:
    source = f"import os\nfrom decouple import config\n\nDEBUG = {read}\n"
    result = transform(source, INHERITED)
    assert 'DEBUG = env.bool("DEBUG", default=False)\n' in result.code


def test_allowed_hosts_list() -> None:
    result = check(
        """\
        # the hosts this site serves
        ALLOWED_HOSTS = [
            "shop.example.com",
            "localhost",
        ]
        INTERNAL_IPS = ["127.0.0.1"]
        """,
        """\
        # the hosts this site serves
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["shop.example.com", "localhost"])
        INTERNAL_IPS = ["127.0.0.1"]
        """,
    )
    assert variables(result) == [
        ("ALLOWED_HOSTS", "example.com,www.example.com", "shop.example.com,localhost", False, False)
    ]


@pytest.mark.parametrize(
    "source",
    [
        'ALLOWED_HOSTS = [\n    "shop.example.com",  # the shop\n    "localhost",\n]\n',
        'DATABASES = {\n    "default": {\n        "ENGINE": "django.db.backends.postgresql",\n'
        '        "NAME": "shop",  # see ops/db.md\n        "PASSWORD": "s3cret",\n    }\n}\n',
    ],
    ids=["allowed-hosts", "databases"],
)
def test_comments_inside_a_replaced_literal_survive(source: str) -> None:
    result = transform(source, INHERITED)
    assert result.rewritten
    assert not comments(source) - comments(result.code)


def test_allowed_hosts_list_with_comments_stays_the_default_as_written() -> None:
    check(
        """\
        ALLOWED_HOSTS = [
            "shop.example.com",  # the shop
            "localhost",
        ]
        """,
        """\
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[
            "shop.example.com",  # the shop
            "localhost",
        ])
        """,
    )


def test_allowed_hosts_tuple_with_comments_becomes_a_list_default() -> None:
    check(
        """\
        ALLOWED_HOSTS = (  # served names
            "shop.example.com",
            # local runs
            "localhost",
        )
        """,
        """\
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[  # served names
            "shop.example.com",
            # local runs
            "localhost",
        ])
        """,
    )


def test_databases_entry_folded_into_a_url_keeps_its_comments_above_the_key() -> None:
    check(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",  # see ops/db.md
                "HOST": "db",
            },
            # reports
            "reports": {  # read-only
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "reports",
            },
        }
        """,
        """\
        DATABASES = {
            # see ops/db.md
            "default": env.db("DATABASE_URL", default="postgres://db/shop"),
            # reports
            # read-only
            "reports": env.db("REPORTS_DATABASE_URL", default="postgres:///reports"),
        }
        """,
    )


def test_databases_folded_keys_comments_go_after_the_spread() -> None:
    check(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",  # psycopg 3
                "NAME": "shop",  # see ops/db.md
                "ATOMIC_REQUESTS": True,
            }
        }
        """,
        """\
        DATABASES = {
            "default": {
                **env.db("DATABASE_URL", default="postgres:///shop"),  # psycopg 3
                # see ops/db.md
                "ATOMIC_REQUESTS": True,
            }
        }
        """,
    )


def test_empty_allowed_hosts() -> None:
    result = check(
        "ALLOWED_HOSTS = []\n",
        'ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])\n',
    )
    assert variables(result) == [
        ("ALLOWED_HOSTS", "example.com,www.example.com", None, False, False)
    ]


def test_databases_postgres_password_goes_to_the_dev_value() -> None:
    result = check(
        """\
        # Database
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql_psycopg2",
                "NAME": "shop",
                "USER": "shop",
                "PASSWORD": "s3cret/pass",
                "HOST": "db",
                "PORT": 5432,
            }
        }
        """,
        """\
        # Database
        DATABASES = {
            "default": env.db("DATABASE_URL", default="postgres://shop@db:5432/shop")
        }
        """,
    )
    assert variables(result) == [
        (
            "DATABASE_URL",
            "postgres://shop:password@db:5432/shop",
            "postgres://shop:s3cret%2Fpass@db:5432/shop",
            True,
            False,
        )
    ]
    assert "s3cret" not in result.code
    assert result.rewritten == [("DATABASES", 2)]


def test_databases_extra_keys_kept_after_the_url() -> None:
    result = check(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",  # psycopg 3
                "NAME": "shop",
                "HOST": "db",
                "ATOMIC_REQUESTS": True,  # one transaction per request
                "OPTIONS": {"sslmode": "require"},  # TLS only
            }
        }
        """,
        """\
        DATABASES = {
            "default": {
                **env.db("DATABASE_URL", default="postgres://db/shop"),  # psycopg 3
                "ATOMIC_REQUESTS": True,  # one transaction per request
                "OPTIONS": {"sslmode": "require"},  # TLS only
            }
        }
        """,
    )
    assert variables(result) == [("DATABASE_URL", "postgres://db/shop", None, False, False)]


def test_databases_extra_keys_keep_their_own_line_comments() -> None:
    before = dedent(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                # wrap each request in a transaction
                "ATOMIC_REQUESTS": True,
            }
        }
        """
    )
    after = dedent(
        """\
        DATABASES = {
            "default": {
                **env.db("DATABASE_URL", default="postgres:///shop"),
                # wrap each request in a transaction
                "ATOMIC_REQUESTS": True,
            }
        }
        """
    )
    assert transform(before, INHERITED).code == after


def test_databases_sqlite_path_expression() -> None:
    result = check(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": BASE_DIR / "db.sqlite3",
            }
        }
        """,
        """\
        DATABASES = {
            "default": env.db("DATABASE_URL", default="sqlite:///" + str(BASE_DIR / "db.sqlite3"))
        }
        """,
    )
    assert variables(result) == [("DATABASE_URL", "sqlite:///db.sqlite3", None, False, False)]


def test_databases_sqlite_literal_path() -> None:
    check(
        """\
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        """,
        """\
        DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
        """,
    )


def test_databases_second_alias_gets_its_own_variable() -> None:
    result = check(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.mysql",
                "NAME": "shop",
                "USER": "root",
                "PASSWORD": "p@ss word",
                "HOST": "127.0.0.1",
            },
            "analytics": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "analytics",
                "HOST": "warehouse",
            },
        }
        """,
        """\
        DATABASES = {
            "default": env.db("DATABASE_URL", default="mysql://root@127.0.0.1/shop"),
            "analytics": env.db("ANALYTICS_DATABASE_URL", default="postgres://warehouse/analytics"),
        }
        """,
    )
    assert variables(result) == [
        (
            "DATABASE_URL",
            "mysql://root:password@127.0.0.1/shop",
            "mysql://root:p%40ss%20word@127.0.0.1/shop",
            True,
            False,
        ),
        ("ANALYTICS_DATABASE_URL", "postgres://warehouse/analytics", None, False, False),
    ]
    assert "p@ss" not in result.code


def test_caches_redis_location() -> None:
    result = check(
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/1",  # local Redis
            },
            "sessions": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://:hunter2@cache:6379/2",
            },
            "local": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "unique-snowflake",
            },
        }
        """,
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("REDIS_URL", default="redis://127.0.0.1:6379/1"),  # local Redis
            },
            "sessions": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": env("SESSIONS_REDIS_URL", default="redis://cache:6379/2"),
            },
            "local": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "unique-snowflake",
            },
        }
        """,
    )
    assert variables(result) == [
        ("REDIS_URL", "redis://127.0.0.1:6379/1", None, False, False),
        (
            "SESSIONS_REDIS_URL",
            "redis://cache:6379/2",
            "redis://:hunter2@cache:6379/2",
            True,
            False,
        ),
    ]
    assert "hunter2" not in result.code


def test_secret_named_settings() -> None:
    result = check(
        """\
        EMAIL_HOST_PASSWORD = "hunter2"
        AWS_SECRET_ACCESS_KEY = "q2Jd-export-9f8e7d6c5b4a"  # S3 exports
        GITHUB_TOKEN = "ghp_0123456789"
        SENTRY_DSN = "https://abc123@o1.ingest.sentry.io/1"
        CACHE_MIDDLEWARE_KEY_PREFIX = "shop"
        """,
        """\
        EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
        AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY", default="")  # S3 exports
        GITHUB_TOKEN = env("GITHUB_TOKEN", default="")
        SENTRY_DSN = env("SENTRY_DSN", default="")
        CACHE_MIDDLEWARE_KEY_PREFIX = "shop"
        """,
    )
    assert variables(result) == [
        ("EMAIL_HOST_PASSWORD", "", "hunter2", True, False),
        ("AWS_SECRET_ACCESS_KEY", "", "q2Jd-export-9f8e7d6c5b4a", True, False),
        ("GITHUB_TOKEN", "", "ghp_0123456789", True, False),
        ("SENTRY_DSN", "", "https://abc123@o1.ingest.sentry.io/1", True, False),
    ]
    for secret in ("hunter2", "q2Jd", "ghp_", "abc123"):
        assert secret not in result.code


def test_names_the_check_holds_no_secret_stay_as_written() -> None:
    # a session key's name (the key a view stores the language under) and a public key end
    # like secrets; the check does not report them, so the fix leaves them in the settings
    # (moved, the deployment would read "" and list a name as a secret to rotate)
    result = check(
        """\
        LANGUAGE_SESSION_KEY = "shop-language"
        STRIPE_PUBLIC_KEY = "pk_test_shop"
        MAIL_API_KEY = "k-0123456789"
        """,
        """\
        LANGUAGE_SESSION_KEY = "shop-language"
        STRIPE_PUBLIC_KEY = "pk_test_shop"
        MAIL_API_KEY = env("MAIL_API_KEY", default="")
        """,
    )
    assert [v[0] for v in variables(result)] == ["MAIL_API_KEY"]


def test_url_with_credentials_keeps_a_default_without_them() -> None:
    result = check(
        """\
        CELERY_BROKER_URL = "amqp://shop:rabbit-pw@rabbit:5672/shop"
        """,
        """\
        CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="amqp://rabbit:5672/shop")
        """,
    )
    assert variables(result) == [
        (
            "CELERY_BROKER_URL",
            "amqp://rabbit:5672/shop",
            "amqp://shop:rabbit-pw@rabbit:5672/shop",
            True,
            False,
        )
    ]
    assert "rabbit-pw" not in result.code


def test_service_url_read_with_a_default() -> None:
    result = check(
        """\
        CELERY_RESULT_BACKEND = "redis://localhost:6379/2"
        ELASTICSEARCH_URL = "elasticsearch://search:9200"
        """,
        """\
        CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="redis://localhost:6379/2")
        ELASTICSEARCH_URL = env("ELASTICSEARCH_URL", default="elasticsearch://search:9200")
        """,
    )
    assert variables(result) == [
        ("CELERY_RESULT_BACKEND", "redis://localhost:6379/2", None, False, False),
        ("ELASTICSEARCH_URL", "elasticsearch://search:9200", None, False, False),
    ]


def test_dev_module_moves_only_secrets() -> None:
    result = check(
        """\
        from .base import *  # noqa: F403

        DEBUG = True
        SECRET_KEY = "dev-only-k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d"
        EMAIL_HOST_PASSWORD = "mailhog"
        """,
        """\
        from .base import *  # noqa: F403

        DEBUG = True
        SECRET_KEY = env("SECRET_KEY")
        EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
        """,
        Plan(env_source="inherited", config=False),
    )
    assert [v.name for v in result.variables] == ["SECRET_KEY", "EMAIL_HOST_PASSWORD"]


def test_quote_style_follows_the_module() -> None:
    before = dedent(
        """\
        SECRET_KEY = 'k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4'
        DEBUG = True
        ALLOWED_HOSTS = ['shop.example.com']
        TIME_ZONE = os.environ.get('TIME_ZONE', 'UTC')
        """
    )
    after = dedent(
        """\
        SECRET_KEY = env('SECRET_KEY')
        DEBUG = env.bool('DEBUG', default=False)
        ALLOWED_HOSTS = env.list('ALLOWED_HOSTS', default=['shop.example.com'])
        TIME_ZONE = env('TIME_ZONE', default='UTC')
        """
    )
    assert transform(before, INHERITED).code == after


# -- environment reads ---------------------------------------------------------------------------


def test_os_environ_and_getenv() -> None:
    result = check(
        """\
        from .base import *  # noqa: F403
        import os

        # read from the environment
        SECRET_KEY = os.environ["SECRET_KEY"]
        TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")  # Berlin in production
        EMAIL_HOST = os.environ.get("EMAIL_HOST")
        LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", default="en-us")
        SERVER_EMAIL = os.getenv("SERVER_EMAIL", "root@localhost")
        STATIC_ROOT = os.getenv("STATIC_ROOT")
        """,
        """\
        from .base import *  # noqa: F403

        # read from the environment
        SECRET_KEY = env("SECRET_KEY")
        TIME_ZONE = env("TIME_ZONE", default="UTC")  # Berlin in production
        EMAIL_HOST = env("EMAIL_HOST", default=None)
        LANGUAGE_CODE = env("LANGUAGE_CODE", default="en-us")
        SERVER_EMAIL = env("SERVER_EMAIL", default="root@localhost")
        STATIC_ROOT = env("STATIC_ROOT", default=None)
        """,
    )
    assert variables(result) == [
        ("SECRET_KEY", "change-me-to-a-long-random-string", None, True, True),
        ("TIME_ZONE", "UTC", None, False, False),
        ("EMAIL_HOST", "", None, False, False),
        ("LANGUAGE_CODE", "en-us", None, False, False),
        ("SERVER_EMAIL", "root@localhost", None, False, False),
        ("STATIC_ROOT", "", None, False, False),
    ]
    assert result.rewritten == []  # reads are not literal settings


def test_os_kept_while_still_used() -> None:
    check(
        """\
        import os

        BASE_DIR = os.path.dirname(os.path.abspath(__file__))
        MEDIA_ROOT = os.environ.get("MEDIA_ROOT", os.path.join(BASE_DIR, "media"))
        """,
        """\
        import os

        BASE_DIR = os.path.dirname(os.path.abspath(__file__))
        MEDIA_ROOT = env.str("MEDIA_ROOT", default=os.path.join(BASE_DIR, "media"))
        """,
    )


def test_secret_defaults_of_reads_move_to_dev_values() -> None:
    result = check(
        """\
        from .base import *  # noqa: F403
        import os

        SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-k3#v9!q0m@x7^tz2lq8(w$e1r5u")
        STRIPE_API_KEY = os.getenv("STRIPE_API_KEY", "sk_test_123")
        BROKER_URL = os.environ.get("BROKER_URL", "amqp://guest:guest-pw@localhost:5672//")
        """,
        """\
        from .base import *  # noqa: F403

        SECRET_KEY = env("SECRET_KEY")
        STRIPE_API_KEY = env("STRIPE_API_KEY", default="")
        BROKER_URL = env("BROKER_URL", default="amqp://localhost:5672//")
        """,
    )
    assert variables(result) == [
        (
            "SECRET_KEY",
            "change-me-to-a-long-random-string",
            "dev-only-k3#v9!q0m@x7^tz2lq8(w$e1r5u",
            True,
            True,
        ),
        ("STRIPE_API_KEY", "", "sk_test_123", True, False),
        (
            "BROKER_URL",
            "amqp://localhost:5672//",
            "amqp://guest:guest-pw@localhost:5672//",
            True,
            False,
        ),
    ]
    for secret in ("dev-only", "sk_test", "guest-pw"):
        assert secret not in result.code


def test_a_public_placeholder_default_under_a_secret_name_stays() -> None:
    # "DEMO_KEY" is the name of a public demo key, not a secret (the check does not report
    # it): dropping it would turn off what works while the variable is unset
    result = check(
        """\
        from .base import *  # noqa: F403
        import os

        FDC_API_KEY = os.getenv("FDC_API_KEY", "DEMO_KEY")
        WEBHOOK_TOKEN = env("WEBHOOK_TOKEN", default="PLACEHOLDER_TOKEN")
        """,
        """\
        from .base import *  # noqa: F403

        FDC_API_KEY = env("FDC_API_KEY", default="DEMO_KEY")
        WEBHOOK_TOKEN = env("WEBHOOK_TOKEN", default="PLACEHOLDER_TOKEN")
        """,
    )
    assert [v[2] for v in variables(result)] == [None]  # no development value to move


def test_from_os_reads_are_converted() -> None:
    source = dedent(
        """\
        from .base import *  # noqa: F403
        from os import environ, getenv

        SECRET_KEY = environ["SECRET_KEY"]
        TIME_ZONE = environ.get("TIME_ZONE", "UTC")
        EMAIL_HOST = getenv("EMAIL_HOST", "localhost")
        """
    )
    result = transform(source, INHERITED)
    assert result.code.split("\n\n", 1)[1] == dedent(
        """\
        SECRET_KEY = env("SECRET_KEY")
        TIME_ZONE = env("TIME_ZONE", default="UTC")
        EMAIL_HOST = env("EMAIL_HOST", default="localhost")
        """
    )
    assert [v.name for v in result.variables] == ["SECRET_KEY", "TIME_ZONE", "EMAIL_HOST"]


def test_from_os_import_removed_when_unused() -> None:
    check(
        """\
        from .base import *  # noqa: F403
        from os import environ, getenv

        SECRET_KEY = environ["SECRET_KEY"]
        EMAIL_HOST = getenv("EMAIL_HOST", "localhost")
        """,
        """\
        from .base import *  # noqa: F403

        SECRET_KEY = env("SECRET_KEY")
        EMAIL_HOST = env("EMAIL_HOST", default="localhost")
        """,
    )


def test_int_float_bool_wrappers_cast_literal_defaults() -> None:
    result = check(
        """\
        from .base import *  # noqa: F403
        import os

        EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
        RATE_LIMIT = float(os.getenv("RATE_LIMIT", "0.5"))
        USE_S3 = bool(os.environ.get("USE_S3", ""))
        WORKERS = int(os.environ["WORKERS"])
        UPLOAD_LIMIT = int(os.environ.get("UPLOAD_LIMIT", "ten"))  # not a number
        """,
        """\
        from .base import *  # noqa: F403

        EMAIL_PORT = env.int("EMAIL_PORT", default=587)
        RATE_LIMIT = env.float("RATE_LIMIT", default=0.5)
        USE_S3 = bool(env("USE_S3", default=""))
        WORKERS = env.int("WORKERS")
        UPLOAD_LIMIT = int(env("UPLOAD_LIMIT", default="ten"))  # not a number
        """,
    )
    assert variables(result)[:2] == [
        ("EMAIL_PORT", "587", None, False, False),
        ("RATE_LIMIT", "0.5", None, False, False),
    ]


@pytest.mark.parametrize(
    ("read", "dev_value"),
    [
        ('os.environ.get("SECRET_KEY") or None', None),
        ('os.getenv("SECRET_KEY") or ""', None),
        ('os.environ.get("SECRET_KEY") or "dev-only-key-0123456789"', "dev-only-key-0123456789"),
    ],
)
def test_secret_key_read_or_a_fallback_becomes_required(read: str, dev_value) -> None:
    # an unset key gave None, "" (Django then refuses to start, later) or a committed key
    result = check(
        f"""\
        from .base import *  # noqa: F403
        import os

        SECRET_KEY = {read}
        """,
        """\
        from .base import *  # noqa: F403

        SECRET_KEY = env("SECRET_KEY")
        """,
    )
    key = next(v for v in result.variables if v.name == "SECRET_KEY")
    assert (key.required, key.secret, key.dev_value) == (True, True, dev_value)
    # a committed key is a secret to rotate: the summary names the line it was on
    assert key.setting_line == (4 if dev_value else 0)


def test_strtobool_reads_become_env_bool() -> None:
    # distutils is gone in Python 3.12: its import goes with the last use
    result = check(
        """\
        from .base import *  # noqa: F403
        import os
        from distutils.util import strtobool

        DEBUG = bool(strtobool(os.environ.get("DEBUG", "False")))
        USE_TZ = strtobool(os.getenv("USE_TZ", "yes"))
        SESSION_COOKIE_SECURE = bool(strtobool(os.environ.get("SESSION_COOKIE_SECURE") or "f"))
        USE_S3 = bool(strtobool(os.environ["USE_S3"]))
        """,
        """\
        from .base import *  # noqa: F403

        DEBUG = env.bool("DEBUG", default=False)
        USE_TZ = env.bool("USE_TZ", default=True)
        SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
        USE_S3 = env.bool("USE_S3")
        """,
    )
    assert [(name, example) for name, example, *_ in variables(result)] == [
        ("DEBUG", "False"),
        ("USE_TZ", "True"),
        ("SESSION_COOKIE_SECURE", "False"),
        ("USE_S3", "False"),
    ]


def test_strtobool_of_the_projects_own_keeps_its_definition_and_odd_defaults() -> None:
    # a default strtobool raises on stays as it was; the function stays while it is used
    check(
        """\
        from .base import *  # noqa: F403
        import os

        from myproject.utils import strtobool

        USE_S3 = strtobool(os.environ.get("USE_S3", "False"))
        USE_CDN = strtobool(os.environ.get("USE_CDN", "maybe"))
        """,
        """\
        from .base import *  # noqa: F403

        from myproject.utils import strtobool

        USE_S3 = env.bool("USE_S3", default=False)
        USE_CDN = strtobool(env("USE_CDN", default="maybe"))
        """,
    )


def test_split_on_commas_becomes_env_list() -> None:
    check(
        """\
        from .base import *  # noqa: F403
        import os

        ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
        CSRF_TRUSTED_ORIGINS = os.environ["CSRF_TRUSTED_ORIGINS"].split(",")
        ADMINS_EMAILS = os.getenv("ADMINS_EMAILS", "").split(";")
        """,
        """\
        from .base import *  # noqa: F403

        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
        CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS")
        ADMINS_EMAILS = env("ADMINS_EMAILS", default="").split(";")
        """,
    )


def test_string_comparisons_become_env_bool() -> None:
    check(
        """\
        from .base import *  # noqa: F403
        import os

        DEBUG = os.environ.get("DEBUG", "False") == "True"
        USE_S3 = os.getenv("USE_S3", "0").lower() in ("1", "true")
        USE_CACHE = os.getenv("USE_CACHE", "yes").lower() in ("1", "yes")
        ENVIRONMENT_IS_PROD = os.environ.get("ENVIRONMENT") == "production"
        """,
        """\
        from .base import *  # noqa: F403

        DEBUG = env.bool("DEBUG", default=False)
        USE_S3 = env.bool("USE_S3", default=False)
        USE_CACHE = env.bool("USE_CACHE", default=True)
        ENVIRONMENT_IS_PROD = env("ENVIRONMENT", default=None) == "production"
        """,
    )


def test_case_sensitive_comparison_keeps_its_default() -> None:
    result = transform(
        'from .base import *  # noqa: F403\n\nUSE_CACHE = os.environ.get("USE_CACHE", "True") '
        '== "true"\n',
        INHERITED,
    )
    assert 'env.bool("USE_CACHE", default=False)' in result.code


def test_python_decouple() -> None:
    result = check(
        """\
        from decouple import Csv, config

        DEBUG = config("DEBUG", default=False, cast=bool)
        EMAIL_PORT = config("EMAIL_PORT", cast=int, default="587")
        ALLOWED_HOSTS = config("ALLOWED_HOSTS", default="localhost,127.0.0.1", cast=Csv())
        TIME_ZONE = config("TIME_ZONE", "UTC")  # positional default
        DATABASE_URL = config("DATABASE_URL")
        USE_TLS = config("USE_TLS", cast=bool)
        """,
        created(
            """\
            import environ
            from pathlib import Path
            """,
            """\
            DEBUG = env.bool("DEBUG", default=False)
            EMAIL_PORT = env.int("EMAIL_PORT", default=587)
            ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
            TIME_ZONE = env("TIME_ZONE", default="UTC")  # positional default
            DATABASE_URL = env("DATABASE_URL")
            USE_TLS = env.bool("USE_TLS")
            """,
        ),
        Plan(),
    )
    assert variables(result) == [
        ("DEBUG", "False", None, False, False),
        ("EMAIL_PORT", "587", None, False, False),
        ("ALLOWED_HOSTS", "localhost,127.0.0.1", None, False, False),
        ("TIME_ZONE", "UTC", None, False, False),
        ("DATABASE_URL", "", None, False, True),  # no default: the settings need it
        ("USE_TLS", "False", None, False, True),  # no default: required; parses as a bool
    ]


def test_python_decouple_secret_defaults() -> None:
    result = check(
        """\
        from decouple import config

        SECRET_KEY = config("SECRET_KEY", default="dev-only-k3#v9!q0m@x7^tz2lq8(w$e1r5u")
        EMAIL_HOST_PASSWORD = config("EMAIL_HOST_PASSWORD", default="mailhog-pw")
        DATABASE_URL = config("DATABASE_URL", default="postgres://shop:db-pw@db/shop")
        """,
        created(
            """\
            import environ
            from pathlib import Path
            """,
            """\
            SECRET_KEY = env("SECRET_KEY")
            EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
            DATABASE_URL = env("DATABASE_URL", default="postgres://db/shop")
            """,
        ),
        Plan(),
    )
    assert variables(result) == [
        (
            "SECRET_KEY",
            "change-me-to-a-long-random-string",
            "dev-only-k3#v9!q0m@x7^tz2lq8(w$e1r5u",
            True,
            True,
        ),
        ("EMAIL_HOST_PASSWORD", "", "mailhog-pw", True, False),
        ("DATABASE_URL", "postgres://db/shop", "postgres://shop:db-pw@db/shop", True, False),
    ]
    for secret in ("dev-only", "mailhog-pw", "db-pw"):
        assert secret not in result.code


def test_decouple_debug_defaulting_to_true() -> None:
    result = check(
        """\
        from decouple import config

        DEBUG = config("DEBUG", default=True, cast=bool)
        """,
        created(
            """\
            import environ
            from pathlib import Path
            """,
            """\
            DEBUG = env.bool("DEBUG", default=False)
            """,
        ),
        Plan(),
    )
    assert variables(result) == [("DEBUG", "False", "True", False, False)]


def test_environs() -> None:
    result = check(
        """\
        from environs import Env

        env = Env()
        env.read_env()

        SECRET_KEY = env.str("SECRET_KEY")
        DEBUG = env.bool("DEBUG", default=False)
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost"])  # positional
        DATABASES = {"default": env.dj_db_url("DATABASE_URL", default="sqlite:///db.sqlite3")}
        EMAIL_PORT = env.int("EMAIL_PORT", 587)
        """,
        created(
            """\
            import environ
            from pathlib import Path
            """,
            """\
            SECRET_KEY = env.str("SECRET_KEY")
            DEBUG = env.bool("DEBUG", default=False)
            ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost"])  # positional
            DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
            EMAIL_PORT = env.int("EMAIL_PORT", 587)
            """,
        ),
        Plan(),
    )
    assert [v.name for v in result.variables] == [
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "EMAIL_PORT",
    ]


def test_environs_method_without_django_environ_counterpart() -> None:
    # django-environ's Env has no decimal() or log_level(): made django-environ's, the module
    # would raise AttributeError when the settings load. It stays on environs, and says why.
    source = dedent(
        """\
        from environs import Env

        env = Env()
        PRICE = env.decimal("PRICE", default="1.5")
        LOG_LEVEL = env.log_level("LOG_LEVEL", default="INFO")
        """
    )
    result = transform(source, Plan())
    assert result.code == source
    assert "environ.Env()" not in result.code  # every env.<method> is still environs' own
    assert result.left == [
        (
            "<module>",
            4,
            "environs reads that django-environ's Env lacks or reads differently: "
            "env.decimal() (line 4), env.log_level() (line 5); the module stays on environs",
        )
    ]
    assert result.variables == [] and result.rewritten == []


@pytest.mark.parametrize(
    ("read", "named"),
    [
        # a keyword django-environ's method does not take: TypeError at load
        ('PORTS = env.list("PORTS", subcast=int)', "env.list(subcast=...)"),
        ('NAME = env.str("NAME", validate=lambda n: bool(n))', "env.str(validate=...)"),
        # environs' path is a pathlib.Path; django-environ's an environ.Path, without `/`
        ('MEDIA_ROOT = env.path("MEDIA_ROOT") / "media"', "env.path()"),
        # environs' env(name, default); django-environ's second argument is a cast
        ('REGION = env("REGION", "eu")', "env() with 2 positional arguments"),
        # in a function the rewrite renames nothing: dj_db_url would stay
        (
            'def databases():\n    return {"default": env.dj_db_url("DATABASE_URL")}',
            "env.dj_db_url()",
        ),
    ],
)
def test_environs_read_django_environ_takes_otherwise(read: str, named: str) -> None:
    source = f"from environs import Env\n\nenv = Env()\n{read}\n"
    result = transform(source, Plan())
    assert result.code == source
    line = 4 + read.count("\n")  # the line of the call
    [(where, at, reason)] = result.left
    assert (where, at) == ("<module>", line)
    assert f"{named} (line {line})" in reason


def test_environs_env_with_options_stays() -> None:
    # expand_vars: environs expands ${VAR} inside values, django-environ does not
    source = 'from environs import Env\n\nenv = Env(expand_vars=True)\nX = env.str("X")\n'
    result = transform(source, Plan())
    assert result.code == source
    assert result.left == [
        (
            "<module>",
            3,
            "`env = Env(expand_vars=True)` sets options of environs that django-environ's Env "
            "does not have, so the module stays on environs",
        )
    ]


def test_environs_kept_for_the_reads_of_a_module_star_importing_it() -> None:
    source = 'from environs import Env\n\nenv = Env()\nDEBUG = env.bool("DEBUG", False)\n'
    plan = Plan(importers_env_calls=(("mysite/settings/prod.py", "env.decimal()", 3),))
    result = transform(source, plan)
    assert result.code == source
    assert result.left == [
        (
            "<module>",
            1,
            "modules that star-import this one read its environs `env` in ways django-environ's "
            "Env lacks or reads differently: mysite/settings/prod.py: env.decimal() (line 3); "
            "the module stays on environs",
        )
    ]


def test_module_reading_an_inherited_environs_env_gets_no_env_of_its_own() -> None:
    # `env` comes from an environs base by a star import: an env = environ.Env() here would
    # take its place, and django-environ's Env has no decimal()
    source = dedent(
        """\
        import os

        from .base import *  # noqa: F403

        PRICE = env.decimal("PRICE")  # noqa: F405
        TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
        """
    )
    plan = Plan(environs_inherited=True)
    result = transform(source, plan)
    assert result.code == source
    assert [(where, line) for where, line, _ in result.left] == [("<module>", 5)]
    assert result.env_calls_lacking == [("env.decimal()", 5)]
    added = source + 'SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)\n'
    assert ensure_env(added, plan) == added
    # the same module under a django-environ base: its reads are the author's, djfix's env fits
    assert "env = environ.Env()" in transform(source, Plan()).code


def test_ensure_env_leaves_a_module_on_environs() -> None:
    # item 5 kept environs here; the reads other codemods add (env.bool, env.int, env.list
    # with a default) are environs' too, so no second `env` is made
    source = dedent(
        """\
        from environs import Env

        env = Env()
        PRICE = env.decimal("PRICE", default="1.5")
        SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
        """
    )
    assert ensure_env(source, Plan()) == source


def test_setting_named_env_does_not_shadow_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = transform(
        dedent(
            """\
            import os

            env = os.environ.get("DJANGO_ENV", "dev")
            SECRET_KEY = os.environ["SECRET_KEY"]
            """
        ),
        Plan(),
    )
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.delenv("DJANGO_ENV", raising=False)
    assert run_settings(result.code, tmp_path)["SECRET_KEY"] == "x" * 50


# -- the variables the settings now read ---------------------------------------------------------


def test_variables_merge_by_name() -> None:
    result = transform(
        dedent(
            """\
            import os

            REDIS = os.environ.get("REDIS_URL")
            CACHES = {
                "default": {
                    "BACKEND": "django_redis.cache.RedisCache",
                    "LOCATION": "redis://:pw-123@cache:6379/0",
                }
            }
            """
        ),
        INHERITED,
    )
    assert result.variables == [
        EnvVariable(
            "REDIS_URL",
            "REDIS_URL.",
            "redis://cache:6379/0",
            "redis://:pw-123@cache:6379/0",
            True,
            False,
        )
    ]
    assert "pw-123" not in result.code


def test_variables_read_without_default_are_required() -> None:
    result = transform(
        'from .base import *  # noqa: F403\n\nAPI_HOST = os.environ["API_HOST"]\n', INHERITED
    )
    assert [(v.name, v.required) for v in result.variables] == [("API_HOST", True)]


def test_variables_read_in_a_block_the_environment_switches_on_are_not_required() -> None:
    # the cache backend's credentials are needed only where a deployment sets its token; the
    # top-level read without a default stays required
    result = transform(
        dedent(
            """\
            from .base import *  # noqa: F403

            API_HOST = os.environ["API_HOST"]
            if "CLOUD_TOKEN" in os.environ or os.getenv("CLOUD_BEARER"):
                CLOUD = {"ZONE": os.environ["CLOUD_ZONE"], "TOKEN": os.environ["CLOUD_TOKEN"]}
            """
        ),
        INHERITED,
    )
    assert [(v.name, v.required) for v in result.variables] == [
        ("API_HOST", True),
        ("CLOUD_BEARER", False),
        ("CLOUD_ZONE", False),
        ("CLOUD_TOKEN", False),
    ]


def test_no_secret_value_in_the_code() -> None:
    key = "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i+o4p-a=s9d8f7g6h5j4"
    secrets = [key, "db-pass-2017", "redis-pass-2017", "mail-pass-2017", "broker-pass-2017"]
    source = (
        "import os\n"
        "from decouple import config\n"
        "\n"
        f'SECRET_KEY = "{key}"\n'
        "DATABASES = {\n"
        '    "default": {\n'
        '        "ENGINE": "django.db.backends.postgresql",\n'
        '        "NAME": "shop",\n'
        '        "USER": "shop",\n'
        '        "PASSWORD": "db-pass-2017",\n'
        '        "HOST": "db",\n'
        "    }\n"
        "}\n"
        "CACHES = {\n"
        '    "default": {\n'
        '        "BACKEND": "django_redis.cache.RedisCache",\n'
        '        "LOCATION": "redis://:redis-pass-2017@cache:6379/0",\n'
        "    }\n"
        "}\n"
        'EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "mail-pass-2017")\n'
        'CELERY_BROKER_URL = config("CELERY_BROKER_URL", default="amqp://u:broker-pass-2017@mq//")\n'
    )
    result = transform(source, Plan())
    for value in secrets:
        assert value in source
        assert value not in result.code
        assert all(value not in variable.example for variable in result.variables)
    assert {v.name for v in result.variables if v.secret} == {
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_HOST_PASSWORD",
        "CELERY_BROKER_URL",
    }


# -- the rewritten settings read the same values -------------------------------------------------

READS = """\
import os

EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
RATE_LIMIT = float(os.getenv("RATE_LIMIT", "0.5"))
USE_S3 = os.getenv("USE_S3", "false").lower() in ("1", "true", "yes")
DEBUG = os.environ.get("DEBUG", "False") == "True"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
EMAIL_HOST = os.getenv("EMAIL_HOST")
"""

ENVIRONMENTS = {
    "unset": {},
    "set": {
        "EMAIL_PORT": "25",
        "RATE_LIMIT": "2.5",
        "USE_S3": "true",
        "DEBUG": "True",
        "ALLOWED_HOSTS": "a.example,b.example",
        "TIME_ZONE": "Europe/Berlin",
        "EMAIL_HOST": "smtp.example",
    },
}


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=str)
def test_rewritten_reads_give_the_same_values(
    environment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENVIRONMENTS["set"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in ENVIRONMENTS[environment].items():
        monkeypatch.setenv(name, value)
    result = transform(READS, Plan())
    assert "os.environ" not in result.code and "os.getenv" not in result.code
    expected = run_settings(READS, tmp_path / "before")
    assert run_settings(result.code, tmp_path / "after") == expected


# -- reads that keep their meaning ---------------------------------------------------------------


def test_non_string_defaults_get_the_cast_of_their_type() -> None:
    # env("X", default=0) would cast to int(): DEBUG=False -> ValueError; an explicit cast says
    # what the value means, and a path default stays a string when the variable is set
    result = check(
        """\
        from .base import *  # noqa: F403
        import os

        PAGE_SIZE = os.environ.get("PAGE_SIZE", default=20)
        RATIO = os.getenv("RATIO", 0.5)
        USE_S3 = os.environ.get("USE_S3", False)
        ADMINS_LIST = os.environ.get("ADMINS_LIST", [])
        DB_NAME = os.environ.get("DB_NAME", BASE_DIR / "db.sqlite3")
        LOG_DIR = os.environ.get("LOG_DIR", Path("/var/log/app"))
        """,
        """\
        from .base import *  # noqa: F403

        PAGE_SIZE = env.int("PAGE_SIZE", default=20)
        RATIO = env.float("RATIO", default=0.5)
        USE_S3 = env.bool("USE_S3", default=False)
        ADMINS_LIST = env.str("ADMINS_LIST", default=[])
        DB_NAME = env.str("DB_NAME", default=str(BASE_DIR / "db.sqlite3"))
        LOG_DIR = env.str("LOG_DIR", default=str(Path("/var/log/app")))
        """,
    )
    examples = {v.name: v.example for v in result.variables}
    assert examples == {
        "PAGE_SIZE": "20",
        "RATIO": "0.5",
        "USE_S3": "False",
        "ADMINS_LIST": "",
        "DB_NAME": "",
        "LOG_DIR": "",
    }


@pytest.mark.parametrize(
    ("read", "required"),
    [
        ('os.environ.get("SECRET_KEY", get_random_secret_key())', False),
        ('os.environ.get("SECRET_KEY")', True),
        ('os.environ["SECRET_KEY"]', True),
        ('os.environ.get("SECRET_KEY", "k3#v9!q0m@x7^tz2lq8(w$e1r5u_y6i")', True),
    ],
)
def test_secret_key_made_when_unset_is_not_required(read: str, required: bool) -> None:
    # a key the settings generate when the variable is unset keeps that default: the summary
    # must not say the settings now need SECRET_KEY in the environment
    imports = "import os\nfrom django.core.management.utils import get_random_secret_key\n"
    source = f"{imports}\nSECRET_KEY = {read}\n"
    result = transform(source, Plan())
    assert [(v.name, v.required) for v in result.variables] == [("SECRET_KEY", required)]


def test_false_default_of_a_text_variable_keeps_the_text() -> None:
    # False as "not set" for a token, a URL or a host: env.bool would read every value of
    # them as False (a token is not "true"), silently switching the feature off; a variable
    # named as a switch still gets env.bool
    result = check(
        """\
        from .base import *  # noqa: F403
        import os

        GITHUB_ACCESS_TOKEN = os.environ.get("GITHUB_ACCESS_TOKEN", False)
        MONGO_DB_URL = os.environ.get("MONGO_DB_URL", False)
        ENABLE_SIGNUP = os.environ.get("ENABLE_SIGNUP", True)
        """,
        """\
        from .base import *  # noqa: F403

        GITHUB_ACCESS_TOKEN = env.str("GITHUB_ACCESS_TOKEN", default=False)
        MONGO_DB_URL = env.str("MONGO_DB_URL", default=False)
        ENABLE_SIGNUP = env.bool("ENABLE_SIGNUP", default=True)
        """,
    )
    examples = {v.name: v.example for v in result.variables}
    assert examples == {"GITHUB_ACCESS_TOKEN": "", "MONGO_DB_URL": "", "ENABLE_SIGNUP": "True"}


@pytest.mark.parametrize(
    "environment",
    [{}, {"POSTHOG_API_KEY": "phc_abc123", "MONGO_DB_URL": "mongodb://db:27017/app"}],
    ids=["unset", "set"],
)
def test_false_default_text_reads_give_the_same_values(
    environment: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (
        "import os\n"
        'POSTHOG_API_KEY = os.environ.get("POSTHOG_API_KEY", False)\n'
        'MONGO_DB_URL = os.environ.get("MONGO_DB_URL", False)\n'
    )
    for name in ("POSTHOG_API_KEY", "MONGO_DB_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    result = transform(source, Plan())
    assert "os.environ" not in result.code
    assert run_settings(result.code, tmp_path / "after") == run_settings(
        source, tmp_path / "before"
    )


def test_typed_reads_parse_deployed_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = dedent(
        """\
        import os
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent
        DEBUG = os.environ.get("DEBUG", default=0)
        PAGE_SIZE = os.environ.get("PAGE_SIZE", 20)
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.environ.get("DB_NAME", BASE_DIR / "db.sqlite3"),
            }
        }
        """
    )
    result = transform(source, Plan())
    for name in ("DEBUG", "PAGE_SIZE", "DB_NAME"):
        monkeypatch.delenv(name, raising=False)
    unset = run_settings(result.code, tmp_path / "unset")
    assert unset["DEBUG"] is False and unset["PAGE_SIZE"] == 20
    assert isinstance(unset["DATABASES"]["default"]["NAME"], str)
    monkeypatch.setenv("DEBUG", "False")
    monkeypatch.setenv("PAGE_SIZE", "50")
    monkeypatch.setenv("DB_NAME", "/srv/data.sqlite3")
    deployed = run_settings(result.code, tmp_path / "set")
    assert deployed["DEBUG"] is False and deployed["PAGE_SIZE"] == 50
    assert deployed["DATABASES"]["default"]["NAME"] == "/srv/data.sqlite3"
    monkeypatch.setenv("DEBUG", "True")
    assert run_settings(result.code, tmp_path / "dev")["DEBUG"] is True


@pytest.mark.parametrize(
    ("read", "default_on"),
    [
        ('bool(os.environ.get("DEBUG"))', False),
        ('bool(int(os.getenv("DEBUG", True)))', True),
        ('os.environ.get("DEBUG") == "True"', False),
        ('os.environ.get("DEBUG", "TRUE") != "FALSE"', True),
        ('int(os.environ.get("DEBUG", default=0))', False),
        ('os.environ.get("DEBUG", default=0)', False),
        ('env.str("DEBUG")', False),
        ('env.int("DEBUG", default=1)', True),
    ],
)
def test_debug_legacy_forms_become_env_bool(read: str, default_on: bool) -> None:
    source = f"import os\n\nimport environ\n\nenv = environ.Env()\nDEBUG = {read}\n"
    result = transform(source, Plan())
    assert result.code.endswith('\nDEBUG = env.bool("DEBUG", default=False)\n')
    assert transform(result.code, Plan()).code == result.code
    assert variables(result) == [("DEBUG", "False", "True" if default_on else None, False, False)]
    # the summary says the old form was wrong, and how
    assert len(result.notes) == 1
    assert result.notes[0].startswith(f"DEBUG (line 6) was read as `{read}`, which ")


def test_debug_read_as_a_truthy_string_with_a_number_default_is_said_to_be_on_for_false() -> None:
    # item 5 reads `default=0` as an int read, but the author's bool() took the text
    read = 'bool(os.environ.get("DEBUG", default=0))'
    source = f"import os\n\nimport environ\n\nenv = environ.Env()\nDEBUG = {read}\n"
    result = transform(source, Plan())
    assert result.notes[0].startswith(
        f'DEBUG (line 6) was read as `{read}`, which is a bug: any non-empty string, "False" '
        "included, counted as on;"
    )


@pytest.mark.parametrize(
    "read",
    ['bool(int(os.getenv("DEBUG", "0")))', 'bool(env.int("DEBUG", default=0))'],
)
def test_debug_read_as_a_number_is_said_to_fail_on_false(read: str) -> None:
    # int() of the text: "False" stops the start, and no string turns it on by accident
    source = f"import os\n\nimport environ\n\nenv = environ.Env()\nDEBUG = {read}\n"
    result = transform(source, Plan())
    assert result.code.endswith('\nDEBUG = env.bool("DEBUG", default=False)\n')
    assert result.notes == [
        f"DEBUG (line 6) was read as `{read}`, which stops the start on DEBUG=False "
        '(int("False") fails); it is now env.bool("DEBUG", default=False): off unless the '
        "environment says True"
    ]


def test_a_truthy_read_with_a_number_default_keeps_the_text(tmp_path, monkeypatch) -> None:
    # bool(os.environ.get("X", default=0)) is on for any text that is set: env.int (what the
    # number default gives a plain read) would stop the start on X=true and turn X=0 off
    result = check(
        """\
        from .base import *  # noqa: F403
        import os

        HIDE_SIGNUP = bool(os.environ.get("HIDE_SIGNUP", default=0))
        """,
        """\
        from .base import *  # noqa: F403

        HIDE_SIGNUP = bool(env.str("HIDE_SIGNUP", default=0))
        """,
    )
    assert [(v[0], v[1]) for v in variables(result)] == [("HIDE_SIGNUP", "")]
    code = result.code.replace(
        "from .base import *  # noqa: F403\n", "import environ\n\nenv = environ.Env()\n"
    )
    monkeypatch.delenv("HIDE_SIGNUP", raising=False)
    assert run_settings(code, tmp_path / "unset")["HIDE_SIGNUP"] is False
    for text in ("true", "0", "yes"):
        monkeypatch.setenv("HIDE_SIGNUP", text)
        assert run_settings(code, tmp_path / text)["HIDE_SIGNUP"] is True


def test_a_number_read_of_a_switch_with_a_bool_default_stays_a_number() -> None:
    # int() of the text: "2" is on; env.bool (what a switch's bool default gives a plain
    # read) would read it as off, and int(env.bool(...)) says nothing the reader wants
    result = check(
        """\
        from .base import *  # noqa: F403
        import os

        if bool(int(os.getenv("SQL_DEBUG", False))):
            MIDDLEWARE += ("app.middleware.SqlPrinting",)
        """,
        """\
        from .base import *  # noqa: F403

        if bool(env.int("SQL_DEBUG", default=0)):
            MIDDLEWARE += ("app.middleware.SqlPrinting",)
        """,
    )
    assert [(v[0], v[1]) for v in variables(result)] == [("SQL_DEBUG", "0")]


def test_debug_read_of_another_meaning_is_left() -> None:
    source = (
        "import os\n\nimport environ\n\nenv = environ.Env()\n"
        'DEBUG = os.environ.get("ENVIRONMENT") == "development"\n'
    )
    result = transform(source, Plan())
    assert 'DEBUG = env("ENVIRONMENT", default=None) == "development"\n' in result.code
    assert result.notes == []


def test_env_without_scheme_reads_debug_as_a_string() -> None:
    result = transform(
        'import environ\n\nenv = environ.Env()\nDEBUG = env("DEBUG", default="")\n', Plan()
    )
    assert result.code.endswith('DEBUG = env.bool("DEBUG", default=False)\n')


@pytest.mark.parametrize(
    "read",
    [
        'os.environ.get("DJANGO_SECRET_KEY", default=None)',
        'os.getenv("DJANGO_SECRET_KEY", "")',
        'env("DJANGO_SECRET_KEY", default=None)',
        'env.str("DJANGO_SECRET_KEY", default="")',
    ],
)
def test_secret_key_read_is_required_under_its_own_name(read: str) -> None:
    source = f"import os\n\nimport environ\n\nenv = environ.Env()\nSECRET_KEY = {read}\n"
    result = transform(source, Plan())
    method = "env.str" if read.startswith("env.str") else "env"
    assert result.code.endswith(f'\nSECRET_KEY = {method}("DJANGO_SECRET_KEY")\n')
    assert transform(result.code, Plan()).code == result.code
    assert variables(result) == [
        ("DJANGO_SECRET_KEY", "change-me-to-a-long-random-string", None, True, True)
    ]


def test_secret_key_literal_default_moves_to_dotenv_and_the_read_is_required() -> None:
    result = transform(
        'import os\n\nSECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-3f9a8b7c6d5e")\n',
        INHERITED,
    )
    assert result.code.endswith('\nSECRET_KEY = env("DJANGO_SECRET_KEY")\n')
    assert variables(result) == [
        (
            "DJANGO_SECRET_KEY",
            "change-me-to-a-long-random-string",
            "dev-only-3f9a8b7c6d5e",
            True,
            True,
        )
    ]


def test_split_of_an_unset_variable_keeps_its_separator() -> None:
    result = check(
        """\
        from .base import *  # noqa: F403
        import os

        ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS").split(" ")
        INTERNAL_IPS = os.getenv("INTERNAL_IPS").split()
        ADMIN_EMAILS = os.environ.get("ADMIN_EMAILS").split(";")
        CORS_ORIGINS = os.environ.get("CORS_ORIGINS", "a.example b.example").split(" ")
        """,
        """\
        from .base import *  # noqa: F403

        ALLOWED_HOSTS = env.str("DJANGO_ALLOWED_HOSTS", default="").split()
        INTERNAL_IPS = env.str("INTERNAL_IPS", default="").split()
        ADMIN_EMAILS = env.str("ADMIN_EMAILS", default="").split(";")
        CORS_ORIGINS = env("CORS_ORIGINS", default="a.example b.example").split(" ")
        """,
    )
    assert [v.required for v in result.variables] == [False] * 4


def test_split_values_read_as_a_deploy_sets_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = 'import os\n\nALLOWED_HOSTS = os.environ.get("HOSTS").split(" ")\n'
    result = transform(source, Plan())
    monkeypatch.delenv("HOSTS", raising=False)
    assert run_settings(result.code, tmp_path / "unset")["ALLOWED_HOSTS"] == []
    monkeypatch.setenv("HOSTS", "example.com www.example.com")
    assert run_settings(result.code, tmp_path / "set")["ALLOWED_HOSTS"] == [
        "example.com",
        "www.example.com",
    ]


def test_databases_chosen_by_a_condition_yield_to_database_url() -> None:
    result = check(
        """\
        from .base import *  # noqa: F403

        if "test" in sys.argv:
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "t.db"}}
        elif FAST:
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "f.db"}}
        else:
            DATABASES = {
                "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"},
                "replica": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop_ro"},
            }
        TIME_ZONE = "UTC"
        """,
        """\
        from .base import *  # noqa: F403

        if "test" in sys.argv:
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "t.db"}}
        elif FAST:
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "f.db"}}
        else:
            DATABASES = {
                "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"},
                "replica": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop_ro"},
            }

        # DATABASE_URL, when it is set, names the database whichever branch ran
        if env.str("DATABASE_URL", default=""):
            DATABASES["default"] = env.db("DATABASE_URL")
        if env.str("REPLICA_DATABASE_URL", default=""):
            DATABASES["replica"] = env.db("REPLICA_DATABASE_URL")
        TIME_ZONE = "UTC"
        """,
    )
    assert [(v.name, v.example, v.required) for v in result.variables] == [
        ("DATABASE_URL", "", False),
        ("REPLICA_DATABASE_URL", "", False),
    ]


def test_databases_chosen_by_successive_conditions_yield_once_after_the_last() -> None:
    check(
        """\
        DATABASES = sqlite_databases(BASE_DIR)

        if DB == "postgres":
            DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "hc"}}

        if DB in ["mysql", "mariadb"]:
            DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "hc"}}

        USE_TZ = True
        """,
        """\
        DATABASES = sqlite_databases(BASE_DIR)

        if DB == "postgres":
            DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "hc"}}

        if DB in ["mysql", "mariadb"]:
            DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "hc"}}

        # DATABASE_URL, when it is set, names the database whichever branch ran
        if env.str("DATABASE_URL", default=""):
            DATABASES["default"] = env.db("DATABASE_URL")

        USE_TZ = True
        """,
    )


def test_databases_chosen_by_a_condition_that_reads_a_url_are_left() -> None:
    unchanged(
        """\
        from .base import *  # noqa: F403

        if "test" in sys.argv:
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "t.db"}}
        else:
            DATABASES = {"default": env.db("DATABASE_URL")}
        """
    )


def test_databases_chosen_by_a_url_read_through_db_url_are_left() -> None:
    # env.db_url is env.db under its other name: the project has its database URL variable
    unchanged(
        """\
        import environ

        env = environ.Env()
        if env("PRIMARY_DB_URI", default=None):
            DATABASES = {"default": env.db_url("PRIMARY_DB_URI")}
        else:
            DATABASES = {"default": {"ENGINE": env.str("DB_ENGINE"), "NAME": env.str("DB_NAME")}}
        """
    )


def test_secrets_say_the_setting_and_line_that_held_them() -> None:
    """'Secrets to rotate' names where each value was written, not only the variable."""
    result = transform(
        dedent(
            """\
            import os

            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": os.getenv("DB_NAME", "shop"),
                    "PASSWORD": os.getenv("DB_PASSWORD", "hunter2"),
                }
            }
            API_TOKEN = "tok-0123456789"
            CACHES = {
                "default": {
                    "BACKEND": "django_redis.cache.RedisCache",
                    "LOCATION": "redis://:pw-123@cache:6379/0",
                }
            }
            """
        ),
        INHERITED,
    )
    places = {v.name: (v.setting, v.setting_line) for v in result.variables if v.dev_value}
    assert places == {
        "DB_PASSWORD": ("DATABASES['default']['PASSWORD']", 3),
        "API_TOKEN": ("API_TOKEN", 10),
        "REDIS_URL": ("CACHES['default']['LOCATION']", 11),
    }


def test_a_long_module_walks_only_the_ifs_of_pieces_that_name_databases(monkeypatch) -> None:
    from codemods import settings_env as module

    filler = "".join(f"FLAG_{i} = {i}\nif FLAG_{i}:\n    LIMIT_{i} = {i} * 2\n" for i in range(600))
    chooser = (
        'if os.environ.get("CI"):\n'
        '    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "ci"}}\n'
        "else:\n"
        '    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "s"}}\n'
    )
    source = "import os\n\n" + filler + chooser + filler.replace("FLAG_", "MORE_")
    walked: list[cst.CSTNode] = []
    real = module.find_all
    monkeypatch.setattr(
        module, "find_all", lambda node, test: walked.append(node) or real(node, test)
    )
    result = transform(source, Plan())
    assert 'if env.str("DATABASE_URL", default=""):' in result.code
    ifs = source.count("\nif ")
    assert 0 < sum(isinstance(node, cst.If) for node in walked) < ifs // 10


@pytest.mark.parametrize(
    "fallback",
    [
        "if not SECRET_KEY:\n    SECRET_KEY = secrets.token_urlsafe(50)\n",
        "if not SECRET_KEY or (SECRET_KEY in DEFAULT_KEYS and not DEBUG):\n"
        "    SECRET_KEY = secrets.token_urlsafe(50)\n"
        "    warnings.warn('a random key was generated')\n",
        # in an elif, and inside a try block: statements of the module all the same
        "if DEBUG:\n    pass\nelif not SECRET_KEY:\n    SECRET_KEY = secrets.token_urlsafe(50)\n",
        "try:\n    import x\nexcept ImportError:\n    if not SECRET_KEY:\n"
        "        SECRET_KEY = secrets.token_urlsafe(50)\n",
    ],
)
def test_secret_key_empty_default_with_own_fallback_is_left(fallback: str) -> None:
    # the module generates a key when the variable is unset: requiring it would stop the
    # deployments that rely on that
    source = (
        "import secrets\nimport warnings\n\nimport environ\n\nenv = environ.Env()\n"
        "DEBUG = env.bool('DJANGO_DEBUG', default=False)\nDEFAULT_KEYS = {'x'}\n"
        f"SECRET_KEY = env.str('SECRET_KEY', '')\n{fallback}"
    )
    result = transform(source, Plan())
    assert "SECRET_KEY = env.str('SECRET_KEY', '')\n" in result.code
    assert transform(result.code, Plan()).code == result.code
    assert [v.name for v in result.variables if v.required] == []


def test_url_default_with_credentials_of_an_env_read_loses_them() -> None:
    # the variable's name says nothing secret; the password is in the default URL: the code
    # keeps the URL without it, the full value goes to the untracked .env
    source = (
        "import environ\n\nenv = environ.Env()\n"
        "STORAGE_URI = env.str('STORAGE_URI', 'postgres://storage:storage-pw@db:5432/app')\n"
    )
    result = transform(source, Plan())
    assert result.code.endswith(
        "\nSTORAGE_URI = env.str('STORAGE_URI', default='postgres://db:5432/app')\n"
    )
    assert transform(result.code, Plan()).code == result.code
    assert [(v.name, v.example, v.dev_value) for v in result.variables] == [
        ("STORAGE_URI", "postgres://db:5432/app", "postgres://storage:storage-pw@db:5432/app")
    ]


def test_environs_file_aware_env_stays() -> None:
    # FileAwareEnv reads NAME_FILE's file where NAME is unset (Docker secrets): django-environ's
    # Env would not, and the settings would lose those values
    source = (
        "from environs import FileAwareEnv\n\n"
        'env = FileAwareEnv()\nSECRET_KEY = env("SECRET_KEY")\n'
    )
    result = transform(source, Plan())
    assert result.code == source
    assert result.left == [
        (
            "<module>",
            3,
            "the module reads the environment with environs' FileAwareEnv, which takes a value "
            "from the file a *_FILE variable names: django-environ's Env does not, so the "
            "module stays on environs",
        )
    ]
