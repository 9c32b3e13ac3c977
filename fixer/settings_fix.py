"""Fix plans that rewrite settings modules (items 5, 8, 9 and 11).

They share one question: which module of a (possibly split) settings package holds the thing to
change, and how `env` reaches it. The check modules expose these as their `fix`.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import libcst as cst

from codemods import settings_env
from fixer.apply import EnvVar, FixContext, SecretPlace
from fixer.project import is_test_settings
from fixer.settings_eval import SettingsModule


def production_chain(ctx: FixContext) -> set[str]:
    """The production module and every module it star-imports or includes, transitively."""
    modules = ctx.project.settings_modules
    out: set[str] = set()
    todo = [ctx.project.production_module]
    while todo:
        dotted = todo.pop()
        if dotted in out:
            continue
        out.add(dotted)
        mod = modules.get(dotted)
        if mod is not None:
            todo.extend(mod.star_imports)
            todo.extend(mod.includes)
    return out


def _reaches(ctx: FixContext, dotted: str, target: str) -> bool:
    seen: set[str] = set()
    todo = list(
        ctx.project.settings_modules.get(dotted, SettingsModule(dotted, None, None)).star_imports
    )
    while todo:
        current = todo.pop()
        if current == target:
            return True
        if current in seen:
            continue
        seen.add(current)
        mod = ctx.project.settings_modules.get(current)
        if mod is not None:
            todo.extend(mod.star_imports)
    return False


def _star_closure(ctx: FixContext, dotted: str) -> list[str]:
    modules = ctx.project.settings_modules
    out: list[str] = []
    todo = list(modules[dotted].star_imports) if dotted in modules else []
    while todo and len(out) < 50:
        current = todo.pop(0)
        if current in out:
            continue
        out.append(current)
        if current in modules:
            todo.extend(modules[current].star_imports)
    return out


def _inherited_aliases(ctx: FixContext, dotted: str) -> dict[str, str]:
    """What a module gets from its star imports: their imports (as planned so far)."""
    aliases: dict[str, str] = {}
    for other in reversed(_star_closure(ctx, dotted)):
        mod = ctx.project.settings_modules.get(other)
        source = ctx.changeset.read(mod.rel) if mod is not None and mod.rel else None
        if source is None:
            continue
        try:
            aliases.update(settings_env.import_aliases(source))
        except cst.ParserSyntaxError:
            continue
    return aliases


def env_plan(ctx: FixContext, mod: SettingsModule, *, config: bool) -> settings_env.Plan:
    assert mod.rel is not None
    base = ctx.project.base_module
    if mod.dotted != base and _reaches(ctx, mod.dotted, base):
        source = "inherited"
    else:
        source = "create"
    parents = len(PurePosixPath(mod.rel).parts) - 1
    star_imported = any(
        mod.dotted in other.star_imports for other in ctx.project.settings_modules.values()
    )
    return settings_env.Plan(
        env_source=source,
        config=config,
        dotenv_parents=parents,
        inherited_aliases=_inherited_aliases(ctx, mod.dotted),
        keep_imports=star_imported,
    )


def _own_dynamic(mod: SettingsModule) -> list[tuple[str, int, str]]:
    return [d for d in mod.dynamic if d[0] == mod.rel]


def _readable(ctx: FixContext, mod: SettingsModule, item: int) -> bool:
    if mod.rel is None or mod.file is None or mod.file.tree is None:
        return False
    dynamic = _own_dynamic(mod)
    if dynamic:
        _, line, reason = dynamic[0]
        ctx.leave(item, mod.rel, f"line {line}: {reason}, so djfix does not rewrite this module")
        return False
    return True


def fix_environment(ctx: FixContext) -> None:
    """Item 5: every settings module reads secrets and configuration through django-environ."""
    chain = production_chain(ctx)
    # bases first: a module's star imports are rewritten before the module itself
    order = sorted(
        ctx.project.settings_modules.items(), key=lambda kv: (len(_star_closure(ctx, kv[0])), kv[0])
    )
    for dotted, mod in order:
        if is_test_settings(dotted) and dotted != ctx.project.production_module:
            continue  # test and CI settings hold fixtures, not secrets
        if not _readable(ctx, mod, 5):
            continue
        assert mod.rel is not None
        source = ctx.changeset.read(mod.rel)
        if source is None:
            continue
        try:
            result = settings_env.transform(source, env_plan(ctx, mod, config=dotted in chain))
        except cst.ParserSyntaxError as exc:
            ctx.leave(5, mod.rel, f"libcst cannot parse it: {exc.message}")
            continue
        lines = dict(result.rewritten)
        for variable in result.variables:
            ctx.add_env(EnvVar(**vars(variable)))
            if variable.secret and variable.dev_value:
                setting = (
                    variable.name
                    if variable.name in lines
                    else ("DATABASES" if variable.name.endswith("DATABASE_URL") else "CACHES")
                )
                ctx.secrets.append((variable.name, mod.rel, lines.get(setting, 0)))
                ctx.secret_places.append(
                    SecretPlace(
                        variable.name,
                        mod.rel,
                        variable.setting_line or lines.get(variable.name, 0),
                        variable.setting or variable.name,
                    )
                )
        for setting, line, reason in result.left:
            ctx.leave(5, mod.rel, f"{setting} (line {line}): {reason}")
        ctx.rewritten.update((5, mod.rel, setting) for setting, _ in result.rewritten)
        if result.code != source:
            ctx.packages.add("django-environ")
            ctx.write(mod.rel, result.code, 5)
    required = sorted(v.name for v in ctx.env_vars.values() if v.required)
    if required:
        ctx.notes.append(
            "the settings now need " + ", ".join(required) + " in the environment: set them "
            "in CI and in every deployment (.env holds them for local development)"
        )


def _defining_module(ctx: FixContext, name: str) -> str | None:
    where = ctx.project.settings.where(name)
    return where.path if where is not None else None


def fix_conn_max_age(ctx: FixContext) -> None:
    """Item 11: persistent, health-checked database connections."""
    from codemods import conn_max_age

    rel = _defining_module(ctx, "DATABASES")
    if rel is None:
        ctx.leave(11, None, "DATABASES is not defined in a module djfix can read")
        return
    source = ctx.changeset.read(rel)
    if source is None:
        return
    version = ctx.project.django_version
    result = conn_max_age.transform(
        source,
        conn_max_age=int(ctx.options["conn-max-age"]),
        health_checks=version is None or version >= (4, 1),
    )
    for setting, line, reason in result.left:
        ctx.leave(11, rel, f"{setting} (line {line}): {reason}")
    if result.code != source:
        ctx.add_env(
            EnvVar(
                "CONN_MAX_AGE",
                "Seconds a database connection is kept open (0: close after each request).",
                str(ctx.options["conn-max-age"]),
            )
        )
        ctx.write(rel, result.code, 11)


def fix_redis_cache(ctx: FixContext) -> None:
    """Item 8: a Redis cache that may be down."""
    from codemods import redis_cache

    rels = [
        r for r in (_defining_module(ctx, "CACHES"), _defining_module(ctx, "SESSION_ENGINE")) if r
    ]
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
                    settings_env.strip_credentials(old),
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


def fix_deploy_security(ctx: FixContext) -> None:
    """Item 9: security settings for `check --deploy`, safe for DEBUG=True development."""
    from codemods import deploy_security

    production = ctx.project.settings.rel
    if production is None:
        return
    middleware_rel = _defining_module(ctx, "MIDDLEWARE") or _defining_module(
        ctx, "MIDDLEWARE_CLASSES"
    )
    # `default=not DEBUG` wherever DEBUG is a name of the settings, so development over
    # plain HTTP keeps working; only settings without DEBUG get the production values
    debug_defined = "DEBUG" in ctx.project.settings.names
    inherited = frozenset(
        name for name, a in ctx.project.settings.names.items() if a.path != production
    )
    for rel in dict.fromkeys([production, middleware_rel]):
        if rel is None:
            continue
        source = ctx.changeset.read(rel)
        if source is None:
            continue
        result = deploy_security.transform(
            source,
            debug_defined=debug_defined,
            settings_block=rel == production,
            inherited=inherited,
        )
        for setting, line, reason in result.left:
            ctx.leave(9, rel, f"{setting} (line {line}): {reason}")
        code = result.code
        if rel == production:
            code = _pin_auto_field(ctx, code)
        if code != source:
            ctx.write(rel, code, 9)


def _pin_auto_field(ctx: FixContext, code: str) -> str:
    """Projects older than Django 3.2 use AutoField keys; saying so explicitly changes nothing
    there and keeps `check` free of models.W042 (and the keys unchanged) on a newer Django."""
    version = ctx.project.django_version
    if "DEFAULT_AUTO_FIELD" in ctx.project.settings.names or version is None or version >= (3, 2):
        return code
    line = (
        "\n# Primary keys stay AutoField on Django 3.2+ too (no migration of existing tables).\n"
        'DEFAULT_AUTO_FIELD = "django.db.models.AutoField"\n'
    )
    return code + ("" if code.endswith("\n") else "\n") + line
