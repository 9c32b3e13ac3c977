from __future__ import annotations

from textwrap import dedent

import pytest

from codemods import redis_cache
from fixer.checks import item08_redis_cache as item08
from fixer.discovery import discover
from tests.conftest import ENV_HEAD, PROJECTS, assert_fix_silences, findings_of

EXAMPLES = PROJECTS.parent.parent / "examples"

HEADER = """\
import environ

env = environ.Env()
SECRET_KEY = env("SECRET_KEY")
"""
GOOD = (
    HEADER
    + """\
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("REDIS_URL"),
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.25,
            "SOCKET_TIMEOUT": 0.25,
        },
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
"""
)


def project(make_project, settings: str, requirements: str = "Django==5.2\ndjango-redis==5.4\n"):
    return make_project({"mysite/settings.py": settings, "requirements.txt": requirements})


def run(make_project, settings: str, options: dict | None = None, **kwargs):
    return findings_of(item08, project(make_project, settings, **kwargs), options)


def shape(findings) -> list[tuple[str, int | None]]:
    return [(f.code, f.line) for f in findings]


def caches(backend: str, options: str = "") -> str:
    return (
        HEADER
        + f"""\
CACHES = {{
    "default": {{
        "BACKEND": "{backend}",
        "LOCATION": "redis://redis:6379/0",{options}
    }}
}}
"""
    )


# -- nothing to report ---------------------------------------------------------------------------


def test_no_redis_cache_does_not_apply(make_project):
    settings = HEADER + (
        'CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}\n'
        'SESSION_ENGINE = "django.contrib.sessions.backends.cache"\n'
    )
    assert not item08.applies(project(make_project, settings))


def test_redis_only_in_channel_layers_does_not_apply(make_project):
    settings = HEADER + (
        'CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}\n'
    )
    assert not item08.applies(project(make_project, settings))


def test_django_redis_with_options_and_cached_db_sessions(make_project):
    assert item08.applies(project(make_project, GOOD))
    assert run(make_project, GOOD) == []


def test_global_ignore_exceptions_setting(make_project):
    settings = caches(
        "django_redis.cache.RedisCache",
        '\n        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},',
    )
    assert run(make_project, settings + "DJANGO_REDIS_IGNORE_EXCEPTIONS = True\n") == []


def test_options_from_env_without_default_are_provided(make_project):
    settings = caches(
        "django_redis.cache.RedisCache",
        """
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": env.bool("REDIS_IGNORE_EXCEPTIONS"),
            "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
            "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT"),
        },""",
    )
    assert run(make_project, settings) == []


def test_timeouts_in_connection_pool_kwargs(make_project):
    settings = caches(
        "django_redis.cache.RedisCache",
        """
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "CONNECTION_POOL_KWARGS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },""",
    )
    assert run(make_project, settings) == []


def test_computed_options_are_not_judged(make_project):
    settings = caches("django_redis.cache.RedisCache", '\n        "OPTIONS": redis_options(),')
    assert run(make_project, settings) == []


def test_own_backend_subclass_is_not_judged(make_project):
    settings = caches("shop.cache.MyRedisCache")
    assert item08.applies(project(make_project, settings))
    assert run(make_project, settings) == []


def test_env_cache_url_with_options_in_its_query(make_project):
    settings = HEADER + (
        'CACHES = {"default": env.cache("REDIS_URL", default="redis://redis:6379/0'
        '?ignore_exceptions=true&socket_connect_timeout=0.2&socket_timeout=0.2")}\n'
    )
    assert item08.applies(project(make_project, settings))
    assert run(make_project, settings) == []


def test_session_cache_alias_is_not_redis(make_project):
    settings = GOOD.replace("cached_db", "cache") + (
        'CACHES["sessions"] = {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}\n'
        'SESSION_CACHE_ALIAS = "sessions"\n'
    )
    assert run(make_project, settings) == []


# -- DJ080 / DJ081 -------------------------------------------------------------------------------


def test_django_redis_without_options(make_project):
    findings = run(make_project, caches("django_redis.cache.RedisCache"))
    assert shape(findings) == [("DJ080", 6), ("DJ081", 6)]
    assert findings[0].path == "mysite/settings.py"
    assert "CACHES['default'] in mysite/settings.py does not set IGNORE_EXCEPTIONS" in (
        findings[0].message
    )
    assert "does not set SOCKET_CONNECT_TIMEOUT or SOCKET_TIMEOUT" in findings[1].message
    assert "to 0.25 in its OPTIONS" in findings[1].message


def test_ignore_exceptions_false(make_project):
    settings = GOOD.replace('"IGNORE_EXCEPTIONS": True', '"IGNORE_EXCEPTIONS": False')
    assert shape(run(make_project, settings)) == [("DJ080", 6)]


def test_ignore_exceptions_env_default_false(make_project):
    settings = GOOD.replace(
        '"IGNORE_EXCEPTIONS": True', '"IGNORE_EXCEPTIONS": env.bool("X", default=False)'
    )
    assert shape(run(make_project, settings)) == [("DJ080", 6)]


def test_timeout_too_long(make_project):
    settings = GOOD.replace('"SOCKET_TIMEOUT": 0.25', '"SOCKET_TIMEOUT": 5')
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ081", 6)]
    assert "waits too long (SOCKET_TIMEOUT is 5 s)" in findings[0].message


def test_only_connect_timeout_missing(make_project):
    settings = GOOD.replace('            "SOCKET_CONNECT_TIMEOUT": 0.25,\n', "")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ081", 6)]
    assert "does not set SOCKET_CONNECT_TIMEOUT," in findings[0].message


def test_timeout_option_is_the_suggested_value(make_project):
    settings = GOOD.replace('            "SOCKET_TIMEOUT": 0.25,\n', "")
    findings = run(make_project, settings, {"redis-socket-timeout": 0.5})
    assert shape(findings) == [("DJ081", 6)]
    assert "SOCKET_TIMEOUT to 0.5 in its OPTIONS" in findings[0].message


def test_second_alias_is_reported_at_its_line(make_project):
    settings = GOOD + (
        'CACHES["pages"] = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "x"}\n'
    )
    findings = run(make_project, settings)
    assert [(f.code, f.message.split(" in ")[0]) for f in findings] == [
        ("DJ080", "CACHES['pages']"),
        ("DJ081", "CACHES['pages']"),
    ]


# -- DJ082 redis-cache-builtin-backend -----------------------------------------------------------


def test_builtin_backend(make_project):
    findings = run(make_project, caches("django.core.cache.backends.redis.RedisCache"))
    assert shape(findings) == [("DJ082", 6)]
    assert "Django's own Redis backend" in findings[0].message
    assert 'switch to "django_redis.cache.RedisCache"' in findings[0].message


def test_old_django_redis_cache_package(make_project):
    for backend in ("redis_cache.RedisCache", "redis_cache.cache.RedisCache"):
        findings = run(make_project, caches(backend))
        assert shape(findings) == [("DJ082", 6)]
        assert "django-redis-cache package" in findings[0].message


def test_env_cache_url_without_django_redis_uses_the_builtin_backend(make_project):
    settings = HEADER + 'CACHES = {"default": env.cache("REDIS_URL", default="redis://r:6379/1")}\n'
    findings = run(make_project, settings, requirements="Django==5.2\ndjango-environ\n")
    assert shape(findings) == [("DJ082", 5)]


def test_env_cache_url_with_django_redis_needs_options(make_project):
    settings = HEADER + 'CACHES = {"default": env.cache("REDIS_URL", default="redis://r:6379/1")}\n'
    assert shape(run(make_project, settings)) == [("DJ080", 5), ("DJ081", 5)]


# -- DJ083 sessions-only-in-cache ----------------------------------------------------------------


def test_sessions_only_in_redis(make_project):
    settings = GOOD.replace("cached_db", "cache")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ083", 16)]
    assert "keeps sessions only in CACHES['default'], which is Redis" in findings[0].message
    assert "cached_db" in findings[0].message


# -- the test projects ---------------------------------------------------------------------------


def codes_of(name: str, root=PROJECTS) -> list[tuple[str, str, int | None]]:
    project = discover(root / name)
    return [(f.code, f.path, f.line) for f in findings_of(item08, project)]


def test_deploy_ready_is_clean():
    assert item08.applies(discover(PROJECTS / "deploy_ready"))
    assert codes_of("deploy_ready") == []


def test_legacy_single():
    assert codes_of("legacy_single") == [
        ("DJ080", "legacy/settings.py", 71),
        ("DJ081", "legacy/settings.py", 71),
    ]


def test_celery_services():
    assert codes_of("celery_services") == [
        ("DJ082", "svc/settings.py", 66),
        ("DJ083", "svc/settings.py", 72),
    ]


def test_projects_without_redis_cache_do_not_apply():
    for name in ("split_settings", "asgi_channels", "manage_subfolder"):
        assert not item08.applies(discover(PROJECTS / name)), name


def test_examples_legacy_project():
    assert [c for c, _, _ in codes_of("legacy_project", EXAMPLES)] == ["DJ080", "DJ081"]


# -- the fix: redis_cache -----------------------------------------------------------------------

REDIS_CACHE_CASES = {
    "builtin-backend-and-cache-sessions": (
        """\
        CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": env("REDIS_URL", default="redis://127.0.0.1:6379/1"),  # local
            }
        }
        SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        """,
        {"DJ082", "DJ083"},
    ),
    "django-redis-without-options": (
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("REDIS_URL", default="redis://cache:6379/0"),
            }
        }
        """,
        {"DJ080", "DJ081"},
    ),
    "slow-timeouts-and-errors-raised": (
        """\
        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": env("REDIS_URL"),
                "OPTIONS": {
                    "CLIENT_CLASS": "django_redis.client.DefaultClient",
                    "SOCKET_TIMEOUT": 5,
                    "IGNORE_EXCEPTIONS": False,
                },
            }
        }
        """,
        {"DJ080", "DJ081"},
    ),
    "env-cache-url": (
        """\
        CACHES = {"default": env.cache("REDIS_URL", default="redis://127.0.0.1:6379/1")}
        """,
        {"DJ080", "DJ081"},
    ),
    "old-django-redis-cache-package": (
        """\
        CACHES = {
            "default": {
                "BACKEND": "redis_cache.RedisCache",
                "LOCATION": env("REDIS_URL", default="redis://cache:6379/0"),
            }
        }
        """,
        {"DJ082"},
    ),
}


@pytest.mark.parametrize("case", REDIS_CACHE_CASES)
def test_redis_cache_output_is_clean_for_item8(make_project, case: str) -> None:
    source, expected = REDIS_CACHE_CASES[case]
    assert_fix_silences(
        make_project,
        item08,
        lambda settings: redis_cache.transform(settings).code,
        ENV_HEAD + dedent(source),
        expected,
    )


def test_a_redis_cache_set_inside_a_block_is_reported_with_no_fix(make_project):
    # the fix rewrites a module-level CACHES dict: `CACHES["default"] = {...}` under
    # `if REDIS_HOST:` is left to the author, and the check says so instead of "safe"
    settings = (
        HEADER
        + 'CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}\n'
        + 'REDIS_HOST = os.environ.get("REDIS_HOST")\n'
        + "if REDIS_HOST:\n"
        + '    CACHES["default"] = {\n'
        + '        "BACKEND": "django.core.cache.backends.redis.RedisCache",\n'
        + '        "LOCATION": f"redis://{REDIS_HOST}:6379",\n'
        + "    }\n"
    )
    findings = run(make_project, settings)
    assert [f.code for f in findings] == ["DJ082"]
    assert findings[0].fix is not None and findings[0].fix.safety.value == "none"
    assert "CACHES is changed inside a block" in findings[0].fix.reason
