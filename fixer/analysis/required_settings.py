"""Variables a production run cannot do without although their read has an empty default: the
settings, or the local apps' code, raise when the value is missing.

    HOSTS = os.environ.get("HOSTS")             # in the settings
    if not HOSTS:
        raise ImproperlyConfigured(...)

    if not settings.SIGNING_KEY:                # in an app's code (AppConfig.ready(), ...)
        if not settings.DEBUG:
            raise ImproperlyConfigured(...)

The build-only environment of the collectstatic stage and a verify run give such a variable a
value, as they give one to a read with no default. Found statically, in a bounded walk."""

from __future__ import annotations

import ast

from fixer.analysis.startup_code import app_python_files
from fixer.project import ProjectModel, settings_chain
from fixer.settings_values import EnvRef

#: more files than this in the local apps is past what the walk reads
MAX_FILES = 3000


def _tested_setting(test: ast.AST) -> str | None:
    """NAME when `test` is `not settings.NAME` or `settings.NAME is None`, alone or one term of
    an `and` (`not settings.NAME and not settings.DEBUG`)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        names = [n for n in map(_tested_setting, test.values[:10]) if n and n != "DEBUG"]
        return names[0] if len(names) == 1 else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        node = test.operand
    elif (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        node = test.left
    else:
        return None
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "settings"
        and node.attr.isupper()
    ):
        return node.attr
    return None


def settings_code_requires(project: ProjectModel) -> list[str]:
    """The settings whose absence the local apps' code raises on (`if not settings.NAME:` with
    a `raise` in its body), in the order found."""
    found: list[str] = []
    for path in app_python_files(project)[:MAX_FILES]:
        tree = project.cache.python(path).tree
        if tree is None:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.If):
                continue
            name = _tested_setting(node.test)
            if name is None or name in found:
                continue
            if any(isinstance(n, ast.Raise) for part in node.body for n in ast.walk(part)):
                found.append(name)
    return found


def required_variables(project: ProjectModel) -> list[str]:
    """The variables read with an empty default that the settings modules (those the production
    module star-imports included) or the local apps' code raise without."""
    out: list[str] = []
    for dotted in sorted(settings_chain(project)):
        module = project.settings_modules.get(dotted)
        for var in module.required_vars if module else []:
            if var not in out:
                out.append(var)
    production = project.settings_modules.get(project.production_module) or project.settings
    for name in settings_code_requires(project):
        value = production.get(name)
        empty = isinstance(value, EnvRef) and value.default in (None, "")
        if empty and value.var and value.var not in out:
            out.append(value.var)
    return out
