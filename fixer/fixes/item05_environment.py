"""Item 5's plan: configuration read from the environment through django-environ.

Which module of a (possibly split) settings package holds each setting, how `env` reaches it,
and the rewrite of each module's reads. Item 9 reuses `env_plan` for DEBUG and SECRET_KEY, and
the environment files (`fixer.fixes.envfiles`) for the variables every read needs.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import libcst as cst

from codemods import settings_env
from fixer import rule_codes
from fixer.analysis.local_config import local_modules
from fixer.discovery.settings_modules import is_test_settings
from fixer.fix_context import FixContext
from fixer.fixes.item04_compose_plan import fix_compose_files
from fixer.fixes.item05_local_settings import fix_local_modules, record
from fixer.settings_values import SettingsModule, star_closure


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
    return star_closure(ctx.project.settings_modules, dotted)


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
    # a module the plan leaves as it is (test settings, one it cannot read) may call what this
    # one imports (config, os) through its star imports: those imports stay; where every
    # importer is rewritten too, the imports their reads no longer need go
    importers = [
        other
        for other in ctx.project.settings_modules.values()
        if other.dotted != mod.dotted and mod.dotted in _star_closure(ctx, other.dotted)
    ]
    keep_imports = any(_left_as_it_is(ctx, other) for other in importers)
    inherited = _inherited_aliases(ctx, mod.dotted)
    owner = _schemed_env_owner(ctx, mod.dotted)
    inherited_env = inherited.pop("env", None)
    return settings_env.Plan(
        env_source=f"import:{owner}" if owner else "create",
        config=config,
        dotenv_parents=parents,
        inherited_aliases=inherited,
        keep_imports=keep_imports,
        # every importer's reads through this module's environs `env`, rewritten or not
        importers_env_calls=_importers_env_calls(ctx, mod) if importers else (),
        environs_inherited=inherited_env == "environs.Env()",
    )


def _importers_env_calls(ctx: FixContext, mod: SettingsModule) -> tuple[tuple[str, str, int], ...]:
    """For a module that binds environs' `env`: the calls the modules star-importing it make
    through that `env` (binding none of their own) that django-environ's Env lacks. Its `env`
    stays environs' then: made django-environ's, it would break them."""
    assert mod.rel is not None
    source = ctx.changeset.read(mod.rel)
    try:
        if source is None or not settings_env.binds_environs(source):
            return ()
    except cst.ParserSyntaxError:
        return ()
    found: list[tuple[str, str, int]] = []
    for dotted, other in sorted(ctx.project.settings_modules.items()):
        if other.rel is None or mod.dotted not in _star_closure(ctx, dotted):
            continue
        text = ctx.changeset.read(other.rel)
        try:
            lacking = settings_env.env_calls_lacking(text) if text is not None else []
        except cst.ParserSyntaxError:
            continue
        found.extend((other.rel, call, line) for call, line in lacking)
    return tuple(found)


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


def _left_as_it_is(ctx: FixContext, mod: SettingsModule) -> bool:
    """The plan does not rewrite `mod` (the cases `fix` skips, without their notes)."""
    if is_test_settings(mod.dotted) and mod.dotted != ctx.project.production_module:
        return True
    return mod.rel is None or mod.file is None or mod.file.tree is None or bool(_own_dynamic(mod))


def _own_dynamic(mod: SettingsModule) -> list[tuple[str, int, str]]:
    return [d for d in mod.dynamic if d[0] == mod.rel]


def readable(ctx: FixContext, mod: SettingsModule, item: int) -> bool:
    if mod.rel is None or mod.file is None or mod.file.tree is None:
        return False
    dynamic = _own_dynamic(mod)
    if dynamic:
        _, line, reason = dynamic[0]
        ctx.leave(item, mod.rel, f"line {line}: {reason}, so djfix does not rewrite this module")
        return False
    return True


def fix(ctx: FixContext) -> None:
    """Item 5: every settings module reads secrets and configuration through django-environ."""
    chain = production_chain(ctx)
    # bases first: a module's star imports are rewritten before the module itself
    order = sorted(
        ctx.project.settings_modules.items(), key=lambda kv: (len(_star_closure(ctx, kv[0])), kv[0])
    )
    jobs: list[tuple[str, settings_env.Plan]] = []
    # the git-ignored modules the DJ057 plan below commits a stand-in for
    stood_in = {
        f.subject
        for f in ctx.findings(5)
        if f.code == rule_codes.SETTINGS_FROM_LOCAL_FILE and f.fix is None
    }
    for dotted, mod in order:
        if is_test_settings(dotted) and dotted != ctx.project.production_module:
            # test and CI settings hold fixtures, not secrets: a finding of the check there (a
            # read through python-decouple) is left, and says why
            if mod.rel is not None and any(f.path == mod.rel for f in ctx.findings(5)):
                ctx.leave(
                    5,
                    mod.rel,
                    f"{dotted} is a test or CI settings module, which production never loads: "
                    "djfix leaves it to its authors",
                )
            continue
        if mod.rel in stood_in:
            # the installation's own file, which git ignores: the committed stand-in replaces
            # it in a clone, and this one stays the installation's (its values were never in
            # the repository, so there is nothing of it to rotate)
            if any(f.path == mod.rel for f in ctx.findings(5)):
                ctx.leave(
                    5,
                    mod.rel,
                    f"{mod.rel} is the installation's own file, which git ignores: djfix commits "
                    "a stand-in reading the environment and leaves this one as it is",
                )
            continue
        if not readable(ctx, mod, 5):
            continue
        assert mod.rel is not None
        jobs.append((mod.rel, env_plan(ctx, mod, config=dotted in chain)))
    jobs.extend((rel, _helper_plan(rel)) for rel in _helper_modules(ctx, chain))
    for rel, plan in jobs:
        _rewrite_module(ctx, rel, plan)
    # settings that import a module each installation writes: after the rewrites above, so the
    # guarded import goes into the settings as they leave them
    fix_local_modules(ctx, local_modules(ctx.project))
    compose = {cf.path for cf in ctx.project.compose_files}
    if any(f.path in compose for f in ctx.findings(5)):
        # mounted .env and settings files, literal secrets: the compose files' configuration
        # is item 5's, whether or not the container plan (item 4) rewrites them for its images
        fix_compose_files(ctx, item=5, for_images=False)
    # the note is `envfiles.finish`'s: only then is it known whether .env holds them
    ctx.settings_need = sorted(v.name for v in ctx.env_vars.values() if v.required)


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
    for setting, line, reason in result.left:
        # "<module>": a reason about the whole module (its own `env`, a syntax error)
        where = f"line {line}" if setting == "<module>" else f"{setting} (line {line})"
        ctx.leave(5, rel, f"{where}: {reason}")
    if result.code != source and not ctx.write(rel, result.code, 5):
        return  # refused, with the reason: nothing of the change is recorded
    record(ctx, rel, result, changed=result.code != source)
