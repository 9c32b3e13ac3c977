"""Item 9's plan: the security settings `check --deploy` asks for, safe for DEBUG=True
development, DEBUG and SECRET_KEY read properly, AutoField pinned for old projects."""

from __future__ import annotations

import libcst as cst

from codemods import deploy_security, env_calls, helper_default, settings_env
from fixer.analysis.production_values import environ_schemes, read_setting
from fixer.discovery.frames import KEEP_FRAMES
from fixer.fix_context import EnvVar, FixContext
from fixer.fixes.item05_environment import env_plan, readable
from fixer.settings_helpers import default_argument


def fix(ctx: FixContext) -> None:
    """Item 9: security settings for `check --deploy`, safe for DEBUG=True development."""

    production = ctx.project.settings.rel
    if production is None:
        return
    if ctx.project.settings.dynamic:
        path, line, reason = ctx.project.settings.dynamic[0]
        # settings set at run time: a default written after them (not DEBUG) could be wrong
        ctx.leave(9, production, f"{path} line {line}: {reason}, so djfix does not rewrite them")
        return
    middleware_rel = ctx.defining_module("MIDDLEWARE") or ctx.defining_module("MIDDLEWARE_CLASSES")
    _fix_debug_and_key(ctx)
    _fix_helper_debug(ctx)
    # `default=not DEBUG` wherever DEBUG is a name of the settings, so development over
    # plain HTTP keeps working; only settings without DEBUG get the production values
    debug_defined = "DEBUG" in ctx.project.settings.names
    framed = KEEP_FRAMES if ctx.project.framed_pages else ""
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
            old_csrf=version is not None and version < (1, 11),
            allowed_hosts="ALLOWED_HOSTS" not in ctx.project.settings.names,
            keep={"X_FRAME_OPTIONS": framed} if framed else None,
        )
        for setting, line, reason in result.left:
            ctx.leave(9, rel, f"{setting} (line {line}): {reason}")
        for var in result.new_defaults:
            variable = ctx.env_vars.get(var)
            if variable is not None and not variable.secret:
                # optional now, and safe when unset: no example value to copy into production
                variable.example, variable.required = "", False
        code = result.code
        if rel == production:
            code = _pin_auto_field(ctx, code)
        if code != source:
            ctx.write(rel, code, 9)
        if ("ALLOWED_HOSTS", 0) in result.rewritten and ctx.changeset.read(rel) == code:
            # appended: the variable as item 5 lists it for a rewritten ALLOWED_HOSTS literal
            ctx.add_env(EnvVar(**vars(env_calls.allowed_hosts_variable(None))))
        if deploy_security.CSRF_MIDDLEWARE in result.added_middleware and (
            ctx.changeset.read(rel) == code
        ):
            ctx.notes.append(
                f"{rel}: the CSRF middleware was missing and is now in the middleware list: a "
                "POST, PUT or DELETE without a CSRF token (a webhook, an API client, a form "
                "without {% csrf_token %}) now gets a 403; mark the views that take such "
                "requests @csrf_exempt"
            )
        if rel == production and ctx.changeset.read(rel) == code:
            # only for a change written (FixContext.write can refuse one)
            proxy = ctx.project.settings.where("SECURE_PROXY_SSL_HEADER")
            # the line in the file as it was: later items move it further
            line = proxy.line if proxy is not None and proxy.path == rel else None
            ctx.notes.extend(_https_notes(rel, result, line))


#: what each setting turns on in production, for the note on plain-HTTP deployments
HTTPS_ONLY = {
    "SECURE_SSL_REDIRECT": "redirects plain HTTP to HTTPS",
    "SESSION_COOKIE_SECURE": "sends the session cookie over HTTPS only",
    "CSRF_COOKIE_SECURE": "sends the CSRF cookie over HTTPS only",
    "SECURE_HSTS_SECONDS": "tells browsers to use only HTTPS for a year (HSTS)",
}


def _https_notes(rel: str, result: deploy_security.Result, proxy_line: int | None) -> list[str]:
    """What the new production defaults change for a site served over plain HTTP, and a proxy
    header the settings set only under a condition (the redirect then loops behind a proxy)."""
    changed = [name for name in HTTPS_ONLY if name in {n for n, _ in result.rewritten}]
    notes = []
    if changed:
        off = [
            f"{result.variables.get(name, name)}={0 if name == 'SECURE_HSTS_SECONDS' else False}"
            for name in changed
        ]
        notes.append(
            f"{rel}: with DEBUG off, the site now {_and([HTTPS_ONLY[n] for n in changed])}; a "
            f"deployment served over plain HTTP must set {_and(off)} in its environment"
        )
    conditional = dict(result.conditional)
    if "SECURE_SSL_REDIRECT" in changed and "SECURE_PROXY_SSL_HEADER" in conditional:
        where = f" (line {proxy_line} before this change)" if proxy_line else ""
        notes.append(
            f"{rel}: SECURE_PROXY_SSL_HEADER is set only under a condition{where}: behind a TLS "
            "proxy that condition must hold, or Django takes every request for plain HTTP and "
            "redirects it again"
        )
    return notes


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _fix_debug_and_key(ctx: FixContext) -> None:
    """DEBUG read as a string or an int (`env.str("DEBUG")`, `bool(os.environ.get(...))`) and a
    SECRET_KEY read with an empty default: item 9's part of the settings rewrite, for projects
    whose other reads are fine (item 5 then has nothing to do)."""
    modules = {m.rel: m for m in ctx.project.settings_modules.values() if m.rel}
    # (module, text) the rewrite left as it was: where DEBUG and SECRET_KEY share a module the
    # second rewrite would be the same one over the same text, a full pass for nothing
    unchanged: set[tuple[str, str]] = set()
    for name in ("DEBUG", "SECRET_KEY"):
        rel = ctx.defining_module(name)
        mod = modules.get(rel) if rel else None
        if mod is None or not readable(ctx, mod, 9):
            continue
        assert rel is not None
        source = ctx.changeset.read(rel)
        if source is None or (rel, source) in unchanged:
            continue
        plan = env_plan(ctx, mod, config=True)
        plan.only = frozenset({"DEBUG", "SECRET_KEY"})
        try:
            result = settings_env.transform(source, plan)
        except cst.ParserSyntaxError:
            continue
        if result.code == source:
            unchanged.add((rel, source))
            continue
        if not ctx.write(rel, result.code, 9):
            continue
        for variable in result.variables:
            ctx.add_env(EnvVar(**vars(variable)))
        ctx.notes.extend(f"{rel}: {note}" for note in result.notes)
        ctx.rewritten.update((9, rel, setting) for setting, _ in result.rewritten)
        ctx.packages.add("django-environ")


def _fix_helper_debug(ctx: FixContext) -> None:
    """`DEBUG = envbool("DEBUG", "True")`, the project's own reader: the default becomes the
    spelling the reader takes as False. The reader stays (djfix does not rewrite it into
    django-environ: its checks are the author's), and the old default moves to `.env`."""
    d = read_setting(ctx.project, "DEBUG", False, environ_schemes(ctx.project))
    helper = d.ref.helper if d.ref is not None else None
    if helper is None or d.state != "value" or not d.value or not d.from_default:
        return
    false: str | bool | None = False if helper.raw_default else helper.false_spelling
    how, _ = default_argument(d.call, helper)
    if false is None or how == "fixed" or helper.default_param is None or d.path is None:
        return  # the finding says why (DJ090 with no fix)
    source = ctx.changeset.read(d.path)
    if source is None:
        return
    index = helper.params.index(helper.default_param)
    parameter = helper_default.Parameter(
        helper.default_param, index, index >= helper.positional_only
    )
    try:
        code = helper_default.transform(source, "DEBUG", helper.name, parameter, false)
    except cst.ParserSyntaxError:
        return
    if code == source:
        return
    if not ctx.write(d.path, code, 9):
        return
    old = d.ref.default if d.ref is not None and isinstance(d.ref.default, str) else None
    example = helper.false_spelling or "False" if isinstance(false, bool) else false
    ctx.add_env(EnvVar(d.var, "Debug mode: True only on a developer's machine.", example, old))
    said = (
        "False"
        if isinstance(false, bool)
        else f'"{false}", the spelling {helper.name}() reads as False'
    )
    ctx.notes.append(
        f"{d.path}: DEBUG now defaults to {said}, so production runs with DEBUG off unless "
        f"{d.var} turns it on"
    )
    ctx.rewritten.add((9, d.path, "DEBUG"))


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
