"""Item 8: Redis used only as a cache is optional.

## What it checks
For every `CACHES` entry of the production settings that uses Redis:

- `redis-cache-errors-not-ignored` (DJ080): a `django_redis` backend without
  `"IGNORE_EXCEPTIONS": True` in its `OPTIONS` (the global `DJANGO_REDIS_IGNORE_EXCEPTIONS = True`
  setting counts too);
- `redis-cache-no-timeouts` (DJ081): a `django_redis` backend without `SOCKET_CONNECT_TIMEOUT`
  or `SOCKET_TIMEOUT` in its `OPTIONS` (or `socket_connect_timeout` / `socket_timeout` in
  `CONNECTION_POOL_KWARGS`), or with either above one second;
- `redis-cache-builtin-backend` (DJ082): Django's own `django.core.cache.backends.redis.RedisCache`
  or the old django-redis-cache package (`redis_cache.RedisCache`, `redis_cache.cache.RedisCache`),
  neither of which can ignore connection errors (DJ080 and DJ081 are not reported for them:
  switching to django-redis comes first);
- `sessions-only-in-cache` (DJ083): `SESSION_ENGINE = "django.contrib.sessions.backends.cache"`
  while the session cache (`SESSION_CACHE_ALIAS`, by default `"default"`) is Redis.

A cache read with django-environ (`env.cache("REDIS_URL", default="redis://...")`) counts as
Redis when its default URL is a `redis://`, `rediss://` or `unix://` URL; its backend is the one
django-environ picks: django-redis when the project declares it, else Django's own backend
(Django 4.0+). Options given in the default URL's query (`?ignore_exceptions=true`) count as
`OPTIONS`. A value read from the environment without a default counts as set on purpose; with a
default, the default is checked. An `OPTIONS` value djfix cannot compute, and a Redis backend
that is neither django-redis nor one of the two above (a project's own subclass), are not
judged: djfix stays silent about them.

The item applies only when a Redis cache is configured in the production settings.

## Why it matters
A cache is an optimisation: when Redis restarts, fills up or is unreachable, pages should get
slower, not fail. By default every cache call raises `ConnectionError`, so a Redis outage turns
into an outage of the whole site; without socket timeouts a Redis that stops answering blocks
each request (and each worker) until the operating system gives up, minutes later. With the
cache-only session engine, every logged-in user is logged out when Redis restarts, and every
page that touches the session fails while it is down; `cached_db` keeps sessions in the database
and uses Redis only to speed them up.

## Example
```diff
 CACHES = {
     "default": {
-        "BACKEND": "django.core.cache.backends.redis.RedisCache",
+        "BACKEND": "django_redis.cache.RedisCache",
         "LOCATION": env("REDIS_URL"),
+        "OPTIONS": {
+            "SOCKET_CONNECT_TIMEOUT": 0.25,
+            "SOCKET_TIMEOUT": 0.25,
+            "IGNORE_EXCEPTIONS": True,
+        },
     }
 }
+DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
-SESSION_ENGINE = "django.contrib.sessions.backends.cache"
+SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
```

## Fix safety
Safe: django-redis with IGNORE_EXCEPTIONS turns an unreachable Redis into cache misses (logged,
since DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS is set) after at most one short timeout per call;
django-redis is added to the dependency file when the project switches to it; sessions move to
`cached_db`, which needs `django.contrib.sessions` and its table (the sessions migration).

## Options
- `redis-socket-timeout` (float, default 0.25): the `SOCKET_CONNECT_TIMEOUT` and
  `SOCKET_TIMEOUT`, in seconds, the fix writes and the messages suggest.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fixer import rule_codes
from fixer.checks import Option, rule
from fixer.discovery.services import url_kind
from fixer.findings import Finding, Fix, FixSafety, Severity
from fixer.project import ProjectModel
from fixer.settings_values import EnvDict, EnvRef, Unknown

ITEM = 8
TITLE = "Redis cache is optional"

ERRORS_NOT_IGNORED = rule(
    __name__,
    rule_codes.REDIS_CACHE_ERRORS_NOT_IGNORED,
    "redis-cache-errors-not-ignored",
    ITEM,
    Severity.ERROR,
    "A django-redis cache raises on every call while Redis is down (no IGNORE_EXCEPTIONS).",
    FixSafety.SAFE,
)
NO_TIMEOUTS = rule(
    __name__,
    rule_codes.REDIS_CACHE_NO_TIMEOUTS,
    "redis-cache-no-timeouts",
    ITEM,
    Severity.WARNING,
    "A django-redis cache has no short socket timeouts, so a hung Redis blocks requests.",
    FixSafety.SAFE,
)
BUILTIN_BACKEND = rule(
    __name__,
    rule_codes.REDIS_CACHE_BUILTIN_BACKEND,
    "redis-cache-builtin-backend",
    ITEM,
    Severity.WARNING,
    "The Redis cache backend cannot ignore connection errors; use django-redis.",
    FixSafety.SAFE,
)
SESSIONS_ONLY_IN_CACHE = rule(
    __name__,
    rule_codes.SESSIONS_ONLY_IN_CACHE,
    "sessions-only-in-cache",
    ITEM,
    Severity.WARNING,
    "Sessions live only in Redis, so a Redis restart logs everyone out.",
    FixSafety.SAFE,
)
RULES = [ERRORS_NOT_IGNORED, NO_TIMEOUTS, BUILTIN_BACKEND, SESSIONS_ONLY_IN_CACHE]
OPTIONS = {
    "redis-socket-timeout": Option(
        0.25, "SOCKET_CONNECT_TIMEOUT and SOCKET_TIMEOUT of a Redis cache, in seconds"
    ),
}

DJANGO_REDIS = "django_redis.cache.RedisCache"
BUILTIN = "django.core.cache.backends.redis.RedisCache"
OLD_PACKAGE_PREFIX = "redis_cache."
SESSION_CACHE_ENGINE = "django.contrib.sessions.backends.cache"
MAX_TIMEOUT = 1.0  # seconds: above this a stuck Redis already costs a visible delay per call


@dataclass
class _Cache:
    alias: str
    backend: str
    options: Any  # dict, None (no OPTIONS) or something djfix cannot read
    path: str | None
    line: int | None

    @property
    def label(self) -> str:
        return f"CACHES[{self.alias!r}]"

    @property
    def family(self) -> str:
        """django-redis, builtin, old-package or other."""
        if self.backend.startswith("django_redis."):
            return "django-redis"
        if self.backend == BUILTIN:
            return "builtin"
        if self.backend.startswith(OLD_PACKAGE_PREFIX):
            return "old-package"
        return "other"


def _default(value: Any) -> Any:
    """The value production gets: the default of an environment read, else the value."""
    if isinstance(value, EnvRef):
        return value.default if value.has_default else value
    return value


def _alias_line(project: ProjectModel, alias: str) -> tuple[str | None, int | None]:
    where = project.settings.where("CACHES")
    if where is None:
        return None, None
    value = getattr(where.node, "value", None)
    if isinstance(value, ast.Dict):
        for key in value.keys:
            if isinstance(key, ast.Constant) and key.value == alias:
                return where.path, key.lineno
    return where.path, where.line


def _env_cache_backend(project: ProjectModel, ref: EnvRef) -> tuple[str | None, Any]:
    """(backend, OPTIONS) of a cache that django-environ builds from a URL at run time."""
    default = ref.default if ref.has_default else None
    if not isinstance(default, str) or url_kind(default) != "redis":
        return None, None
    if project.has_package("django-redis"):
        backend = DJANGO_REDIS
    elif project.django_version is None or project.django_version >= (4, 0):
        backend = BUILTIN
    else:
        backend = "redis_cache.RedisCache"
    try:
        query = parse_qs(urlsplit(default).query)
    except ValueError:
        query = {}
    options = None
    if query:
        options = {k.upper(): _url_value(v[0]) for k, v in query.items() if v}
    return backend, options


def _url_value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


def _caches(project: ProjectModel) -> list[_Cache]:
    caches = project.settings.get("CACHES")
    if not isinstance(caches, dict):
        return []
    out: list[_Cache] = []
    for alias, conf in list(caches.items())[:50]:
        if not isinstance(alias, str):
            continue
        path, line = _alias_line(project, alias)
        if isinstance(conf, EnvRef):
            conf = EnvDict(conf)
        if not isinstance(conf, dict):
            continue
        backend = _default(conf.get("BACKEND"))
        options = conf.get("OPTIONS")
        if isinstance(conf, EnvDict) and not isinstance(backend, str):
            backend, url_options = _env_cache_backend(project, conf.ref)
            if options is None:
                options = url_options
        if isinstance(backend, str) and "redis" in backend.lower():
            out.append(_Cache(alias, backend, options, path, line))
    return out


def applies(project: ProjectModel) -> bool:
    return bool(_caches(project))


def _is_true(value: Any) -> bool | None:
    """True / False as production sees it; None when the environment decides."""
    if isinstance(value, EnvRef):
        if not value.has_default:
            return None
        value = value.default
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
    if isinstance(value, Unknown):
        return None
    return value is True


def _seconds(value: Any) -> float | str | None:
    """A timeout in seconds; None when missing or 0 (no timeout); "env" when the environment
    decides; "?" when djfix cannot read it."""
    if isinstance(value, EnvRef):
        if not value.has_default:
            return "env"
        value = value.default
    if value is None:
        return None
    if isinstance(value, bool):
        return "?"
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return "?"
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else None
    return "?"


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    where = project.settings.where("CACHES")
    # the fix rewrites the CACHES dict written at module level; an alias set again inside a
    # block (`if REDIS_HOST: CACHES["default"] = {...}`) is the author's per case
    blocked = (
        Fix(
            FixSafety.NONE,
            f"CACHES is changed inside a block ({where.path}, after line {where.line}): djfix "
            "rewrites only a CACHES dict written at module level, so change that cache by hand",
        )
        if where is not None and where.conditional
        else None
    )
    for finding in _cache_findings(project, options):
        if blocked is not None and finding.rule is not SESSIONS_ONLY_IN_CACHE:
            finding = dataclasses.replace(finding, fix=blocked)
        yield finding


def _cache_findings(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    timeout = options.get("redis-socket-timeout", 0.25)
    global_ignore = _is_true(project.settings.get("DJANGO_REDIS_IGNORE_EXCEPTIONS", False))
    caches = _caches(project)
    for cache in caches:
        family = cache.family
        if family in ("builtin", "old-package"):
            what = (
                "Django's own Redis backend"
                if family == "builtin"
                else ("the django-redis-cache package")
            )
            yield Finding(
                BUILTIN_BACKEND,
                f"{cache.label} in {cache.path} uses {cache.backend} ({what}), which raises on "
                f'every call while Redis is down: switch to "{DJANGO_REDIS}" with '
                f"IGNORE_EXCEPTIONS and {timeout}-second socket timeouts in OPTIONS",
                cache.path,
                cache.line,
            )
            continue
        if family != "django-redis":
            continue
        opts = cache.options
        if isinstance(opts, EnvDict) or (opts is not None and not isinstance(opts, dict)):
            continue  # built at run time: not judged
        opts = opts or {}
        if global_ignore is False and _is_true(opts.get("IGNORE_EXCEPTIONS", False)) is False:
            yield Finding(
                ERRORS_NOT_IGNORED,
                f"{cache.label} in {cache.path} does not set IGNORE_EXCEPTIONS, so every cache "
                'call fails while Redis is down: add "IGNORE_EXCEPTIONS": True to its OPTIONS',
                cache.path,
                cache.line,
            )
        yield from _timeouts(cache, opts, timeout)
    yield from _sessions(project, caches)


def _timeouts(cache: _Cache, opts: dict, timeout: float) -> Iterator[Finding]:
    pool = opts.get("CONNECTION_POOL_KWARGS")
    pool = pool if isinstance(pool, dict) else {}
    missing: list[str] = []
    slow: list[str] = []
    for name in ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT"):
        value = opts.get(name, pool.get(name.lower()))
        seconds = _seconds(value)
        if seconds is None:
            missing.append(name)
        elif isinstance(seconds, float) and seconds > MAX_TIMEOUT:
            slow.append(f"{name} is {seconds:g} s")
    if not missing and not slow:
        return
    problems = []
    if missing:
        problems.append(f"does not set {' or '.join(missing)}")
    if slow:
        problems.append(f"waits too long ({', '.join(slow)})")
    yield Finding(
        NO_TIMEOUTS,
        f"{cache.label} in {cache.path} {' and '.join(problems)}, so a Redis that stops "
        f"answering blocks every request: set SOCKET_CONNECT_TIMEOUT and SOCKET_TIMEOUT to "
        f"{timeout} in its OPTIONS",
        cache.path,
        cache.line,
    )


def _sessions(project: ProjectModel, caches: list[_Cache]) -> Iterator[Finding]:
    where = project.settings.where("SESSION_ENGINE")
    if where is None or where.conditional:
        return
    engine = _default(where.value)
    if engine != SESSION_CACHE_ENGINE:
        return
    alias = _default(project.settings.get("SESSION_CACHE_ALIAS", "default"))
    if isinstance(alias, (EnvRef, Unknown)):
        alias = "default"
    cache = next((c for c in caches if c.alias == alias), None)
    if cache is None:
        return
    yield Finding(
        SESSIONS_ONLY_IN_CACHE,
        f"SESSION_ENGINE in {where.path} keeps sessions only in {cache.label}, which is Redis, "
        "so a Redis restart logs every user out and pages with a session fail while it is "
        'down: use "django.contrib.sessions.backends.cached_db"',
        where.path,
        where.line,
    )
