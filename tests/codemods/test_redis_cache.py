from __future__ import annotations

import ast
import io
import tokenize
from collections import Counter
from textwrap import dedent

import libcst as cst

from codemods.redis_cache import Result, transform


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
    assert again.variables == []
    return result


def unchanged(source: str, **options: object) -> Result:
    source = dedent(source)
    result = transform(source, **options)  # type: ignore[arg-type]
    assert result.code == source
    assert result.rewritten == []
    assert result.variables == []
    return result


RESILIENT = """\
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("REDIS_URL", default="redis://127.0.0.1:6379/0"),
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 0.25,
            "SOCKET_TIMEOUT": 0.25,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
"""


# -- nothing to change ---------------------------------------------------------------------------


def test_already_resilient() -> None:
    result = unchanged(
        RESILIENT + '\nSESSION_ENGINE = "django.contrib.sessions.backends.cached_db"\n'
    )
    assert result.left == []


def test_no_caches_in_module() -> None:
    result = unchanged(
        """\
        DEBUG = False
        """
    )
    assert result.left == []


def test_timeouts_of_at_most_one_second_kept() -> None:
    unchanged(
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("REDIS_URL"),
                "OPTIONS": {
                    "SOCKET_CONNECT_TIMEOUT": 1,  # slow network
                    "SOCKET_TIMEOUT": 0.5,
                    "IGNORE_EXCEPTIONS": True,
                },
            }
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
        """
    )


def test_cache_that_is_not_redis() -> None:
    result = unchanged(
        """\
        CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                "LOCATION": "127.0.0.1:11211",
            },
            "local": env.cache("LOCAL_CACHE_URL", default="locmemcache://"),
        }
        SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        """
    )
    assert result.left == []


def test_unknown_redis_backend_is_left() -> None:
    result = unchanged(
        """\
        CACHES = {
            "default": {
                "BACKEND": "myproject.cache.TracedRedisCache",
                "LOCATION": env("REDIS_URL"),
            }
        }
        """
    )
    assert result.left == [
        (
            "CACHES['default']",
            2,
            "its BACKEND 'myproject.cache.TracedRedisCache' is not django-redis: djfix does not "
            "know whether it can ignore connection errors",
        )
    ]


def test_cache_url_of_unknown_kind_is_left() -> None:
    result = unchanged(
        """\
        CACHES = {"default": env.cache(), "other": {"BACKEND": env("CACHE_BACKEND")}}
        """
    )
    assert result.left == [
        (
            "CACHES['default']",
            1,
            "it is the call `env.cache()`: djfix cannot tell whether that cache is Redis",
        ),
        (
            "CACHES['other']",
            1,
            'its BACKEND is the call `env("CACHE_BACKEND")`: djfix cannot tell whether it is Redis',
        ),
    ]


def test_options_not_a_literal_is_left() -> None:
    result = unchanged(
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("REDIS_URL"),
                "OPTIONS": REDIS_OPTIONS,
            }
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
        """
    )
    assert result.left == [
        ("CACHES['default']['OPTIONS']", 2, "it is the name `REDIS_OPTIONS`, not a dict literal")
    ]


def test_sessions_in_a_cache_of_unknown_kind_are_left() -> None:
    result = unchanged(
        """\
        from .base import *

        SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        """
    )
    assert result.left == [
        (
            "SESSION_ENGINE",
            3,
            "sessions live only in the cache, and djfix cannot tell whether it is Redis",
        )
    ]


def test_unparsable_source_is_left() -> None:
    result = unchanged("CACHES = {\n")
    assert [(setting, line) for setting, line, _ in result.left] == [("<module>", 1)]


# -- rewrites ------------------------------------------------------------------------------------


def test_django_redis_without_options() -> None:
    result = check(
        """\
        CACHES = {
            'default': {
                'BACKEND': 'django_redis.cache.RedisCache',
                'LOCATION': env("REDIS_URL", default="redis://127.0.0.1:6379/1"),  # local Redis
            }
        }


        AUTH_PASSWORD_VALIDATORS = []
        """,
        """\
        CACHES = {
            'default': {
                'BACKEND': 'django_redis.cache.RedisCache',
                'LOCATION': env("REDIS_URL", default="redis://127.0.0.1:6379/1"),  # local Redis
                'OPTIONS': {
                    'SOCKET_CONNECT_TIMEOUT': 0.25,
                    'SOCKET_TIMEOUT': 0.25,
                    'IGNORE_EXCEPTIONS': True,
                },
            }
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True


        AUTH_PASSWORD_VALIDATORS = []
        """,
    )
    assert result.rewritten == [
        ("CACHES['default']", 2),
        ("DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS", 1),
    ]
    assert result.left == []


def test_builtin_redis_cache_becomes_django_redis() -> None:
    result = check(
        """\
        CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379",
                "OPTIONS": {"db": 1},  # the sessions database
            }
        }

        # sessions only in the cache
        SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        """,
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("REDIS_URL", default="redis://127.0.0.1:6379"),
                "OPTIONS": {"db": 1, "SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25, "IGNORE_EXCEPTIONS": True},  # the sessions database
            }
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

        # sessions only in the cache
        SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
        """,  # noqa: E501
    )
    assert result.rewritten == [
        ("CACHES['default']", 2),
        ("SESSION_ENGINE", 10),
        ("DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS", 1),
    ]
    assert result.left == [
        (
            "CACHES['default']['OPTIONS']['db']",
            2,
            "an option of Django's built-in RedisCache: put the database number at the end of "
            "LOCATION (redis://host:6379/<db>)",
        )
    ]
    assert result.variables == []


def test_django_redis_cache_package_backend_replaced() -> None:
    check(
        """\
        CACHES = {
            "default": {
                "BACKEND": "redis_cache.RedisCache",
                "LOCATION": env("REDIS_URL"),
                "OPTIONS": {
                    "SOCKET_TIMEOUT": 5,
                    "IGNORE_EXCEPTIONS": False,
                },
            },
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
        """,
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("REDIS_URL"),
                "OPTIONS": {
                    "SOCKET_TIMEOUT": 0.25,
                    "IGNORE_EXCEPTIONS": True,
                    "SOCKET_CONNECT_TIMEOUT": 0.25,
                },
            },
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
        """,
    )


def test_location_with_credentials_moves_to_the_environment() -> None:
    result = check(
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": "redis://:s3cret@cache.internal:6379/1",
                "OPTIONS": {
                    "CLIENT_CLASS": "django_redis.client.DefaultClient",
                },
            },
            "rate-limit": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": 'redis://127.0.0.1:6379/2',
                "OPTIONS": {},
            },
        }
        """,
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("REDIS_URL", default="redis://cache.internal:6379/1"),
                "OPTIONS": {
                    "CLIENT_CLASS": "django_redis.client.DefaultClient",
                    "SOCKET_CONNECT_TIMEOUT": 0.25,
                    "SOCKET_TIMEOUT": 0.25,
                    "IGNORE_EXCEPTIONS": True,
                },
            },
            "rate-limit": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env('RATE_LIMIT_REDIS_URL', default='redis://127.0.0.1:6379/2'),
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25, "IGNORE_EXCEPTIONS": True},
            },
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
        """,  # noqa: E501
    )
    assert result.variables == [("REDIS_URL", "redis://:s3cret@cache.internal:6379/1")]
    assert "s3cret" not in result.code


def test_env_cache_call_becomes_dict() -> None:
    result = check(
        """\
        SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        CACHES = {"default": env.cache("REDIS_URL")}  # Redis in production
        """,
        """\
        SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
        CACHES = {
            "default": {
                **env.cache("REDIS_URL"),
                "OPTIONS": {
                    "SOCKET_CONNECT_TIMEOUT": 0.25,
                    "SOCKET_TIMEOUT": 0.25,
                    "IGNORE_EXCEPTIONS": True,
                },
            }
        }  # Redis in production
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
        """,
    )
    assert result.rewritten == [
        ("SESSION_ENGINE", 1),
        ("CACHES['default']", 2),
        ("DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS", 2),
    ]


def test_env_cache_call_in_multiline_dict() -> None:
    check(
        """\
        CACHES = {
            "default": env.cache("CACHE_URL", default="redis://127.0.0.1:6379/0"),
        }
        """,
        """\
        CACHES = {
            "default": {
                **env.cache("CACHE_URL", default="redis://127.0.0.1:6379/0"),
                "OPTIONS": {
                    "SOCKET_CONNECT_TIMEOUT": 0.25,
                    "SOCKET_TIMEOUT": 0.25,
                    "IGNORE_EXCEPTIONS": True,
                },
            },
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
        """,
    )


def test_session_engine_follows_the_callers_answer() -> None:
    result = check(
        """\
        from .base import *

        SESSION_ENGINE = 'django.contrib.sessions.backends.cache'  # fast
        """,
        """\
        from .base import *

        SESSION_ENGINE = 'django.contrib.sessions.backends.cached_db'  # fast
        """,
        cache_is_default_redis=True,
    )
    assert result.left == []


def test_session_cache_alias_decides() -> None:
    check(
        """\
        CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "sessions": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("SESSIONS_REDIS_URL"),
                "OPTIONS": {
                    "SOCKET_CONNECT_TIMEOUT": 0.25,
                    "SOCKET_TIMEOUT": 0.25,
                    "IGNORE_EXCEPTIONS": True,
                },
            },
        }
        SESSION_CACHE_ALIAS = "sessions"
        SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        """,
        """\
        CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "sessions": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("SESSIONS_REDIS_URL"),
                "OPTIONS": {
                    "SOCKET_CONNECT_TIMEOUT": 0.25,
                    "SOCKET_TIMEOUT": 0.25,
                    "IGNORE_EXCEPTIONS": True,
                },
            },
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
        SESSION_CACHE_ALIAS = "sessions"
        SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
        """,
    )


def test_socket_timeout_option() -> None:
    check(
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("REDIS_URL"),
                "OPTIONS": {"SOCKET_TIMEOUT": None},
            }
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
        """,
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("REDIS_URL"),
                "OPTIONS": {"SOCKET_TIMEOUT": 0.5, "SOCKET_CONNECT_TIMEOUT": 0.5, "IGNORE_EXCEPTIONS": True},
            }
        }
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
        """,  # noqa: E501
        socket_timeout=0.5,
    )
