from __future__ import annotations

import ast
import io
import tokenize
from collections import Counter
from textwrap import dedent

import libcst as cst

from codemods.conn_max_age import Result, transform


def comments(source: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


def check(before: str, after: str, **options: object) -> Result:
    """`before` becomes exactly `after`; the output parses, keeps every comment, and a second run
    changes nothing."""
    before, after = dedent(before), dedent(after)
    result = transform(before, **options)  # type: ignore[arg-type]
    assert result.code == after
    cst.parse_module(result.code)
    ast.parse(result.code)
    assert not comments(before) - comments(result.code)
    again = transform(result.code, **options)  # type: ignore[arg-type]
    assert again.code == result.code
    assert again.rewritten == []
    return result


def unchanged(source: str, **options: object) -> Result:
    source = dedent(source)
    result = transform(source, **options)  # type: ignore[arg-type]
    assert result.code == source
    assert result.rewritten == []
    return result


# -- nothing to change ---------------------------------------------------------------------------


def test_no_databases_in_module() -> None:
    result = unchanged(
        """\
        from .base import *

        DEBUG = False
        """
    )
    assert result.left == []


def test_already_persistent() -> None:
    result = unchanged(
        """\
        DATABASES = {
            "default": {
                **env.db("DATABASE_URL"),
                "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
                "CONN_HEALTH_CHECKS": True,
            }
        }
        """
    )
    assert result.left == []


def test_already_set_by_later_assignments() -> None:
    result = unchanged(
        """\
        DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        """
    )
    assert result.left == []


def test_authors_own_values_kept() -> None:
    unchanged(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "CONN_MAX_AGE": 600,  # ten minutes
                "CONN_HEALTH_CHECKS": False,
            }
        }
        """
    )


def test_no_health_checks_before_django_4_1() -> None:
    unchanged(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
            }
        }
        """,
        health_checks=False,
    )


def test_databases_in_a_function_is_not_settings() -> None:
    unchanged(
        """\
        def test_databases():
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}
            return DATABASES
        """
    )


def test_databases_built_by_a_function_is_left() -> None:
    result = unchanged(
        """\
        DATABASES = build_databases(env)
        """
    )
    assert result.left == [
        ("DATABASES", 1, "it is the call `build_databases(env)`, not a dict literal")
    ]


def test_alias_given_as_a_name_is_left() -> None:
    result = unchanged(
        """\
        DATABASES = {"default": PRIMARY, **REPLICAS}
        """
    )
    assert result.left == [
        ("DATABASES['default']", 1, "it is the name `PRIMARY`, not a dict literal or a call"),
        ("DATABASES", 1, "it unpacks the name `REPLICAS`: those aliases are not visible here"),
    ]


def test_unparsable_source_is_left() -> None:
    result = unchanged("DATABASES = {\n")
    assert [(setting, line) for setting, line, _ in result.left] == [("<module>", 1)]
    assert result.left[0][2].startswith("not valid Python")


# -- rewrites ------------------------------------------------------------------------------------


def test_dict_alias_gets_both_keys() -> None:
    result = check(
        """\
        DATABASES = {
            'default': {
                'ENGINE': 'django.db.backends.postgresql_psycopg2',
                'NAME': 'shop',  # the shop database
                'HOST': 'db',
            }
        }
        """,
        """\
        DATABASES = {
            'default': {
                'ENGINE': 'django.db.backends.postgresql_psycopg2',
                'NAME': 'shop',  # the shop database
                'HOST': 'db',
                'CONN_MAX_AGE': env.int('CONN_MAX_AGE', default=60),
                'CONN_HEALTH_CHECKS': True,
            }
        }
        """,
    )
    assert result.rewritten == [("DATABASES['default']", 2)]
    assert result.left == []
    assert result.reads_variable


def test_dict_alias_without_trailing_comma_keeps_none() -> None:
    check(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": BASE_DIR / "db.sqlite3"  # next to manage.py
            }
        }
        """,
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": BASE_DIR / "db.sqlite3",  # next to manage.py
                "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
                "CONN_HEALTH_CHECKS": True
            }
        }
        """,
    )


def test_literal_zero_and_none_replaced() -> None:
    check(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "CONN_MAX_AGE": 0,  # a new connection per request
                "CONN_HEALTH_CHECKS": True,
            },
            "legacy": {
                "ENGINE": "django.db.backends.mysql",
                "CONN_MAX_AGE": None,
            },
        }
        """,
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),  # a new connection per request
                "CONN_HEALTH_CHECKS": True,
            },
            "legacy": {
                "ENGINE": "django.db.backends.mysql",
                "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
                "CONN_HEALTH_CHECKS": True,
            },
        }
        """,
    )


def test_single_line_alias_dict_grows_on_its_line() -> None:
    check(
        """\
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        """,
        """\
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3", "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60), "CONN_HEALTH_CHECKS": True}}
        """,  # noqa: E501
    )


def test_env_db_call_becomes_dict() -> None:
    result = check(
        """\
        # Database
        DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
        """,
        """\
        # Database
        DATABASES = {
            "default": {
                **env.db("DATABASE_URL", default="sqlite:///db.sqlite3"),
                "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
                "CONN_HEALTH_CHECKS": True,
            }
        }
        """,
    )
    assert result.rewritten == [("DATABASES['default']", 2)]


def test_calls_in_multiline_dict_become_dicts() -> None:
    check(
        """\
        DATABASES = {
            'default': env.db("DATABASE_URL", default="postgres://shop@db:5432/shop"),  # primary
            'replica': env.db('REPLICA_DATABASE_URL'),
        }
        """,
        """\
        DATABASES = {
            'default': {
                **env.db("DATABASE_URL", default="postgres://shop@db:5432/shop"),
                'CONN_MAX_AGE': env.int('CONN_MAX_AGE', default=60),
                'CONN_HEALTH_CHECKS': True,
            },  # primary
            'replica': {
                **env.db('REPLICA_DATABASE_URL'),
                'CONN_MAX_AGE': env.int('CONN_MAX_AGE', default=60),
                'CONN_HEALTH_CHECKS': True,
            },
        }
        """,
    )


def test_dj_database_url_conn_max_age_is_kept() -> None:
    # only CONN_HEALTH_CHECKS is added: no CONN_MAX_AGE variable for .env.example
    result = check(
        """\
        DATABASES = {
            "default": dj_database_url.config(
                default="postgres://localhost/shop",  # local development
                conn_max_age=600,
            )
        }
        """,
        """\
        DATABASES = {
            "default": {
                **dj_database_url.config(
                    default="postgres://localhost/shop",  # local development
                    conn_max_age=600,
                ),
                "CONN_HEALTH_CHECKS": True,
            }
        }
        """,
    )
    assert not result.reads_variable


def test_dj_database_url_zero_conn_max_age_read_from_the_environment() -> None:
    # conn_max_age=0 counted as set would leave the finding standing after the fix
    result = check(
        """\
        DATABASES = {
            "default": dj_database_url.config(
                conn_max_age=0,
                conn_health_checks=True,
            ),
            "replica": dj_database_url.config(
                env="REPLICA_URL",
                conn_max_age=None,
            ),
        }
        """,
        """\
        DATABASES = {
            "default": dj_database_url.config(
                conn_max_age=env.int("CONN_MAX_AGE", default=60),
                conn_health_checks=True,
            ),
            "replica": {
                **dj_database_url.config(
                    env="REPLICA_URL",
                    conn_max_age=env.int("CONN_MAX_AGE", default=60),
                ),
                "CONN_HEALTH_CHECKS": True,
            },
        }
        """,
    )
    assert result.reads_variable
    assert [s for s, _ in result.rewritten] == ["DATABASES['default']", "DATABASES['replica']"]


def test_dj_database_url_conn_max_age_from_a_name_is_kept() -> None:
    # the name's default is the author's (item 11 reports a zero one, without a fix)
    check(
        """\
        DB_CONN_MAX_AGE = env.int("DB_CONN_MAX_AGE", default=0)
        DATABASES = {"default": dj_database_url.config(conn_max_age=DB_CONN_MAX_AGE)}
        """,
        """\
        DB_CONN_MAX_AGE = env.int("DB_CONN_MAX_AGE", default=0)
        DATABASES = {
            "default": {
                **dj_database_url.config(conn_max_age=DB_CONN_MAX_AGE),
                "CONN_HEALTH_CHECKS": True,
            }
        }
        """,
    )


def test_spread_alias_dict_gets_keys_at_the_end() -> None:
    check(
        """\
        DATABASES = {
            "default": {
                **env.db("DATABASE_URL"),
                "OPTIONS": {"sslmode": "require"},
            }
        }
        """,
        """\
        DATABASES = {
            "default": {
                **env.db("DATABASE_URL"),
                "OPTIONS": {"sslmode": "require"},
                "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
                "CONN_HEALTH_CHECKS": True,
            }
        }
        """,
    )


def test_later_subscript_zero_replaced() -> None:
    result = check(
        """\
        DATABASES = {"default": env.db("DATABASE_URL")}
        # close connections after each request
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        """,
        """\
        DATABASES = {
            "default": {
                **env.db("DATABASE_URL"),
                "CONN_HEALTH_CHECKS": True,
            }
        }
        # close connections after each request
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        """,
    )
    assert result.rewritten == [("DATABASES['default']", 1), ("DATABASES['default']", 3)]


def test_alias_assigned_later_as_a_call() -> None:
    check(
        """\
        DATABASES = {}
        DATABASES["default"] = dj_database_url.config()  # from DATABASE_URL
        """,
        """\
        DATABASES = {}
        DATABASES["default"] = {
            **dj_database_url.config(),
            "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
            "CONN_HEALTH_CHECKS": True,
        }  # from DATABASE_URL
        """,
    )


def test_databases_inside_an_if_block() -> None:
    check(
        """\
        if "test" in sys.argv:
            DATABASES = {"default": env.db("TEST_DATABASE_URL")}
        else:
            DATABASES = {
                "default": env.db("DATABASE_URL"),
            }
        """,
        """\
        if "test" in sys.argv:
            DATABASES = {
                "default": {
                    **env.db("TEST_DATABASE_URL"),
                    "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
                    "CONN_HEALTH_CHECKS": True,
                }
            }
        else:
            DATABASES = {
                "default": {
                    **env.db("DATABASE_URL"),
                    "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
                    "CONN_HEALTH_CHECKS": True,
                },
            }
        """,
    )


def test_options_seconds_and_no_health_checks() -> None:
    check(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
            }
        }
        """,
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=300),
            }
        }
        """,
        conn_max_age=300,
        health_checks=False,
    )


# -- connection pools and dj-database-url ------------------------------------------------------


def test_connection_pool_gets_no_conn_max_age() -> None:
    # Django 5.1+ raises ImproperlyConfigured for CONN_MAX_AGE next to a pool
    result = unchanged(
        """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "OPTIONS": {"pool": {"min_size": 2, "max_size": 8}},
            },
            "reports": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "reports",
                "OPTIONS": {"pool": True},
            },
        }
        """
    )
    assert result.left == []


def test_pool_turned_off_is_not_a_pool() -> None:
    check(
        """\
        DATABASES = {"default": {"ENGINE": "x", "OPTIONS": {"pool": False}}}
        """,
        """\
        DATABASES = {"default": {"ENGINE": "x", "OPTIONS": {"pool": False}, "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60), "CONN_HEALTH_CHECKS": True}}
        """,  # noqa: E501
    )


def test_dj_database_url_update_gets_the_missing_key_after_it() -> None:
    # config() of dj-database-url 1.0+ writes CONN_HEALTH_CHECKS=False: a key set in the dict
    # literal before the update would be overwritten, so it goes after
    result = check(
        """\
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        db_from_env = dj_database_url.config(conn_max_age=500)
        DATABASES["default"].update(db_from_env)
        DATABASES["default"].update(dj_database_url.config(conn_max_age=600))
        """,
        """\
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        db_from_env = dj_database_url.config(conn_max_age=500)
        DATABASES["default"].update(db_from_env)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].update(dj_database_url.config(conn_max_age=600))
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        """,
    )
    assert [name for name, _ in result.rewritten] == ["DATABASES['default']"] * 2


def test_dj_database_url_update_with_both_keys_is_kept() -> None:
    unchanged(
        """\
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        DATABASES["default"].update(
            dj_database_url.config(conn_max_age=600, conn_health_checks=True)
        )
        """
    )
    unchanged(
        """\
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        DATABASES["default"].update(dj_database_url.config(conn_max_age=600))
        """,
        health_checks=False,
    )
