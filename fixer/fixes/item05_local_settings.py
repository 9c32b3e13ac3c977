"""Item 5's plan for settings that import a module each installation writes (DJ057).

The settings import `local_settings` (git-ignored), copied by hand from a committed template
(`local_settings.py.example`). The plan commits `local_settings_env.py` beside it: the template
with every secret and every piece of configuration read from the environment (the conversion
of the settings modules, `codemods.settings_env`), and the import becomes "the installation's
own file when it has one, else the environment module" (`codemods.local_import`). Existing
installations keep their file; a clone and a container read the environment.

`local_plan` is shared with the detector, so "fix available" and the reason it is not are the
same answer in both: a loader by name (netbox's importlib), a template that does not convert
(values djfix cannot read from the environment, names it does not define), an import shape the
codemod does not rewrite.
"""

from __future__ import annotations

import ast
import builtins
import posixpath
import textwrap
from dataclasses import dataclass
from pathlib import PurePosixPath

import libcst as cst

from codemods import local_import, settings_env
from fixer import rule_codes
from fixer.analysis.gitignore import GitIgnore
from fixer.analysis.local_config import LocalModule, custom_loader
from fixer.fix_context import EnvVar, FixContext, SecretPlace
from fixer.project import ProjectModel
from fixer.redaction import worth_rotating

#: what the environment module is called: the ignored module's name and `_env`, so it sorts
#: beside it and its template, says what it reads, and matches no `local_settings.py` ignore
ENV_SUFFIX = "_env"


@dataclass
class LocalPlan:
    local: LocalModule
    env_rel: str  # the committed module reading the environment (mysite/local_settings_env.py)
    settings_code: str  # the settings with the guarded import
    env: settings_env.Result  # the converted template


def _header(local: LocalModule, env_rel: str) -> str:
    template = posixpath.basename(local.template)
    own = posixpath.basename(local.rel)
    text = (
        f"Made by djfix from {template}: the same settings, each read from the environment "
        f"(.env.example lists the variables). An installation's own {own}, which git ignores, "
        "is still imported in its place when it is there."
    )
    return textwrap.fill(text, width=88, initial_indent="# ", subsequent_indent="# ") + "\n"


def _undefined_names(tree: ast.Module) -> list[str]:
    """Names the template's module-level code reads but neither defines nor imports: in the
    installation's file they came from somewhere the committed module cannot see."""
    defined = set(dir(builtins)) | {"__file__", "__name__", "__package__", "__doc__"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            defined.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                defined.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
    used = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return sorted(used - defined)


def _star_imports(tree: ast.Module) -> list[str]:
    return [
        ("." * node.level) + (node.module or "")
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
    ]


def _package(project: ProjectModel, settings_rel: str) -> str:
    module = next((m for m in project.settings_modules.values() if m.rel == settings_rel), None)
    if module is None:
        return ""
    if settings_rel.endswith("/__init__.py"):
        return module.dotted
    return module.dotted.rpartition(".")[0]


def local_plan(
    project: ProjectModel, local: LocalModule, settings_source: str | None, template: str | None
) -> LocalPlan | str:
    """The change that makes the settings start without `local.rel`, or why djfix makes none.
    `settings_source` and `template` are the texts as the plans so far leave them."""
    stem = PurePosixPath(local.rel).stem
    folder = posixpath.dirname(local.rel)
    env_rel = posixpath.join(folder, stem + ENV_SUFFIX + ".py")
    if settings_source is None:
        return f"djfix cannot read {local.settings}"
    try:
        settings_tree = ast.parse(settings_source)
    except SyntaxError:
        return f"{local.settings} does not parse"
    loader = custom_loader(settings_tree, stem)
    if loader is not None:
        alternate = (
            f", or the module the environment variable {loader.variable} names"
            if loader.variable
            else ""
        )
        return (
            f"the settings load the module {loader.module}{alternate}, with their own loader "
            f"({loader.call}, line {loader.line}), not an import djfix can redirect: read what "
            f"{local.template} holds from the environment by hand"
        )
    if (project.root / env_rel).exists():
        return f"{env_rel}, where djfix would write the settings read from the environment, exists"
    if GitIgnore(project).ignored(env_rel):
        return f".gitignore keeps {env_rel} out of the repository, so djfix cannot commit it there"
    guarded = local_import.transform(
        settings_source, stem, stem + ENV_SUFFIX, _package(project, local.settings)
    )
    if guarded.reason is not None:
        return guarded.reason
    if template is None:
        return f"djfix cannot read the template {local.template}"
    try:
        tree = ast.parse(template)
    except SyntaxError as exc:
        return f"the template {local.template} does not parse (line {exc.lineno})"
    stars = _star_imports(tree)
    if stars:
        return (
            f"the template {local.template} star-imports {', '.join(stars[:3])}: djfix cannot "
            "tell which settings it holds"
        )
    undefined = _undefined_names(tree)
    if undefined:
        return (
            f"the template {local.template} reads {', '.join(undefined[:5])}, which it does not "
            "define: a module made from it would not load"
        )
    plan = settings_env.Plan(
        env_source="create", config=True, dotenv_parents=len(PurePosixPath(env_rel).parts) - 1
    )
    try:
        converted = settings_env.transform(_header(local, env_rel) + template, plan)
    except cst.ParserSyntaxError as exc:
        return f"libcst cannot parse the template {local.template}: {exc.message}"
    if converted.left:
        setting, line, why = converted.left[0]
        where = f"line {line}" if setting == "<module>" else f"{setting} (line {line})"
        header = _header(local, env_rel).count("\n")
        where = where.replace(f"line {line}", f"line {max(line - header, 1)}")
        return (
            f"the template {local.template} holds what djfix cannot read from the "
            f"environment: {where}: {why}"
        )
    return LocalPlan(local, env_rel, guarded.code, converted)


def fix_local_modules(ctx: FixContext, locals_: list[LocalModule]) -> None:
    """Item 5, DJ057: commit the environment module and guard each settings import."""
    for local in locals_:
        plan = local_plan(
            ctx.project,
            local,
            ctx.changeset.read(local.settings),
            ctx.changeset.read(local.template),
        )
        if isinstance(plan, str):
            ctx.leave(5, local.settings, plan, rule_codes.SETTINGS_FROM_LOCAL_FILE)
            continue
        if not ctx.write(plan.env_rel, plan.env.code, 5):
            continue
        if not ctx.write(local.settings, plan.settings_code, 5):
            continue
        record(ctx, plan.env_rel, plan.env)
        ctx.notes.append(
            f"{local.settings}: imports {local.rel} (git-ignored) where an installation has one, "
            f"else {plan.env_rel}, made from {local.template} with each secret and each setting "
            "of the deployment read from the environment"
        )


def record(ctx: FixContext, rel: str, result: settings_env.Result, *, changed: bool = True) -> None:
    """What a rewrite of `rel` brings along: its variables, the committed secrets to rotate,
    its notes, the settings it rewrote, and (where it `changed` the module) django-environ."""
    lines = dict(result.rewritten)
    for variable in result.variables:
        ctx.add_env(EnvVar(**vars(variable)))
        # a placeholder ("password") committed is no secret to rotate
        if variable.secret and variable.dev_value and worth_rotating(variable.dev_value):
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
    ctx.notes.extend(f"{rel}: {note}" for note in result.notes)
    ctx.rewritten.update((5, rel, setting) for setting, _ in result.rewritten)
    if changed:
        ctx.packages.add("django-environ")
