"""Fix plans that rewrite settings modules (items 5, 8, 9 and 11).

They share one question: which module of a (possibly split) settings package holds the thing to
change, and how `env` reaches it. The check modules expose these as their `fix`.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import libcst as cst

from codemods import settings_env
from fixer.discovery.settings_modules import is_test_settings
from fixer.fix_context import EnvVar, FixContext, SecretPlace
from fixer.settings_values import SettingsModule


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
    """How `env` reaches one module: every module that calls env(...) binds it itself. A star
    import does not bring it in reliably (a base with `__all__`, a base djfix left unchanged, a
    fragment chain), so the module creates its own, or imports the one a base defines with a
    scheme (`environ.Env(DEBUG=(bool, False))`), whose casts a new Env() would lose."""
    assert mod.rel is not None
    parents = len(PurePosixPath(mod.rel).parts) - 1
    star_imported = any(
        mod.dotted in other.star_imports for other in ctx.project.settings_modules.values()
    )
    inherited = _inherited_aliases(ctx, mod.dotted)
    owner = _schemed_env_owner(ctx, mod.dotted)
    inherited.pop("env", None)
    return settings_env.Plan(
        env_source=f"import:{owner}" if owner else "create",
        config=config,
        dotenv_parents=parents,
        inherited_aliases=inherited,
        keep_imports=star_imported,
    )


def _schemed_env_owner(ctx: FixContext, dotted: str) -> str | None:
    """The nearest module this one star-imports whose own code binds `env` to an Env with a
    scheme (casts by variable name)."""
    for other in _star_closure(ctx, dotted):
        mod = ctx.project.settings_modules.get(other)
        source = ctx.changeset.read(mod.rel) if mod is not None and mod.rel else None
        if source is None:
            continue
        try:
            if settings_env.env_scheme(source):
                return other
        except cst.ParserSyntaxError:
            continue
    return None


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
    jobs: list[tuple[str, settings_env.Plan]] = []
    for dotted, mod in order:
        if is_test_settings(dotted) and dotted != ctx.project.production_module:
            continue  # test and CI settings hold fixtures, not secrets
        if not _readable(ctx, mod, 5):
            continue
        assert mod.rel is not None
        jobs.append((mod.rel, env_plan(ctx, mod, config=dotted in chain)))
    jobs.extend((rel, _helper_plan(rel)) for rel in _helper_modules(ctx, chain))
    for rel, plan in jobs:
        _rewrite_module(ctx, rel, plan)
    required = sorted(v.name for v in ctx.env_vars.values() if v.required)
    if required:
        them = "them" if len(required) > 1 else "it"
        ctx.notes.append(
            f"the settings now need {', '.join(required)} in the environment: set {them} "
            f"in CI and in every deployment (.env holds {them} for local development)"
        )


def _helper_modules(ctx: FixContext, chain: set[str]) -> list[str]:
    """Modules that are not settings modules but that the production settings import, and that
    read the environment (`from .mail import EMAIL_HOST` with os.environ reads in mail.py)."""
    modules = ctx.project.settings_modules
    settings_rels = {mod.rel for mod in modules.values() if mod.rel}
    rels: list[str] = []
    for dotted in sorted(chain):
        mod = modules.get(dotted)
        for use in mod.env_uses if mod is not None else []:
            rel = use.path
            if rel and rel not in settings_rels and rel not in rels and rel.endswith(".py"):
                rels.append(rel)
    return rels


def _helper_plan(rel: str) -> settings_env.Plan:
    # a helper holds configuration only for its own names: its reads are converted, its literals
    # stay; it creates its own `env` (and reads .env itself, so the order of imports is free)
    return settings_env.Plan(
        env_source="create", config=False, dotenv_parents=len(PurePosixPath(rel).parts) - 1
    )


def _rewrite_module(ctx: FixContext, rel: str, plan: settings_env.Plan) -> None:
    source = ctx.changeset.read(rel)
    if source is None:
        return
    try:
        result = settings_env.transform(source, plan)
    except cst.ParserSyntaxError as exc:
        ctx.leave(5, rel, f"libcst cannot parse it: {exc.message}")
        return
    lines = dict(result.rewritten)
    for variable in result.variables:
        ctx.add_env(EnvVar(**vars(variable)))
        if variable.secret and variable.dev_value:
            setting = (
                variable.name
                if variable.name in lines
                else ("DATABASES" if variable.name.endswith("DATABASE_URL") else "CACHES")
            )
            ctx.secrets.append((variable.name, rel, lines.get(setting, 0)))
            ctx.secret_places.append(
                SecretPlace(
                    variable.name,
                    rel,
                    variable.setting_line or lines.get(variable.name, 0),
                    variable.setting or variable.name,
                )
            )
    for setting, line, reason in result.left:
        ctx.leave(5, rel, f"{setting} (line {line}): {reason}")
    ctx.notes.extend(f"{rel}: {note}" for note in result.notes)
    ctx.rewritten.update((5, rel, setting) for setting, _ in result.rewritten)
    if result.code != source:
        ctx.packages.add("django-environ")
        ctx.write(rel, result.code, 5)


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
    if ctx.project.settings.dynamic:
        path, line, reason = ctx.project.settings.dynamic[0]
        # settings set at run time: a default written after them (not DEBUG) could be wrong
        ctx.leave(9, production, f"{path} line {line}: {reason}, so djfix does not rewrite them")
        return
    middleware_rel = _defining_module(ctx, "MIDDLEWARE") or _defining_module(
        ctx, "MIDDLEWARE_CLASSES"
    )
    _fix_debug_and_key(ctx)
    # `default=not DEBUG` wherever DEBUG is a name of the settings, so development over
    # plain HTTP keeps working; only settings without DEBUG get the production values
    debug_defined = "DEBUG" in ctx.project.settings.names
    version = ctx.project.django_version
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
            old_headers=version is not None and version < (3, 0),
        )
        for setting, line, reason in result.left:
            ctx.leave(9, rel, f"{setting} (line {line}): {reason}")
        code = result.code
        if rel == production:
            code = _pin_auto_field(ctx, code)
        if code != source:
            ctx.write(rel, code, 9)


def _fix_debug_and_key(ctx: FixContext) -> None:
    """DEBUG read as a string or an int (`env.str("DEBUG")`, `bool(os.environ.get(...))`) and a
    SECRET_KEY read with an empty default: item 9's part of the settings rewrite, for projects
    whose other reads are fine (item 5 then has nothing to do)."""
    modules = {m.rel: m for m in ctx.project.settings_modules.values() if m.rel}
    for name in ("DEBUG", "SECRET_KEY"):
        rel = _defining_module(ctx, name)
        mod = modules.get(rel) if rel else None
        if mod is None or not _readable(ctx, mod, 9):
            continue
        assert rel is not None
        source = ctx.changeset.read(rel)
        if source is None:
            continue
        plan = env_plan(ctx, mod, config=True)
        plan.only = frozenset({"DEBUG", "SECRET_KEY"})
        try:
            result = settings_env.transform(source, plan)
        except cst.ParserSyntaxError:
            continue
        if result.code == source:
            continue
        for variable in result.variables:
            ctx.add_env(EnvVar(**vars(variable)))
        ctx.notes.extend(f"{rel}: {note}" for note in result.notes)
        ctx.rewritten.update((9, rel, setting) for setting, _ in result.rewritten)
        ctx.packages.add("django-environ")
        ctx.write(rel, result.code, 9)


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
