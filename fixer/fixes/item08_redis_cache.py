"""Item 8's plan: a Redis cache that may be down (IGNORE_EXCEPTIONS, short socket timeouts),
its URL read from the environment."""

from __future__ import annotations

from codemods import redis_cache, secret_values
from fixer.fix_context import EnvVar, FixContext, SecretPlace


def fix(ctx: FixContext) -> None:
    """Item 8: a Redis cache that may be down."""

    rels = [r for r in (ctx.defining_module("CACHES"), ctx.defining_module("SESSION_ENGINE")) if r]
    default_is_redis = _default_cache_is_redis(ctx)
    for rel in dict.fromkeys(rels):
        source = ctx.changeset.read(rel)
        if source is None:
            continue
        result = redis_cache.transform(
            source,
            socket_timeout=float(ctx.options["redis-socket-timeout"]),
            cache_is_default_redis=default_is_redis,
        )
        for setting, line, reason in result.left:
            ctx.leave(8, rel, f"{setting} (line {line}): {reason}")
        for name, old in getattr(result, "variables", []):
            ctx.add_env(
                EnvVar(
                    name,
                    "Redis used as the cache (redis://host:port/db).",
                    secret_values.strip_credentials(old),
                    old,
                    secret=True,
                )
            )
            ctx.secrets.append((name, rel, 0))
            setting, line = getattr(result, "places", {}).get(name, ("CACHES", 0))
            ctx.secret_places.append(SecretPlace(name, rel, line, setting))
        if result.code != source:
            ctx.packages.add("django-redis")
            ctx.write(rel, result.code, 8)


def _default_cache_is_redis(ctx: FixContext) -> bool:
    caches = ctx.project.settings.get("CACHES")
    if isinstance(caches, dict):
        default = caches.get("default")
        if isinstance(default, dict):
            return "redis" in str(default.get("BACKEND", "")).lower()
    return False
