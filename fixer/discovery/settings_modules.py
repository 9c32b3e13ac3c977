"""Which settings modules a project has: the one manage.py names, the production one, every
module of the settings package and the base at the bottom of the star-import chain; and the facts
discovery reads from them (the entry points, INSTALLED_APPS)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fixer.discovery.walk import Walk
from fixer.project import ProjectModel
from fixer.settings_eval import evaluate_settings, resolve_module
from fixer.settings_values import SettingsModule
from fixer.sources import SourceCache

PRODUCTION_NAMES = ("production", "prod", "live", "deploy", "deployment", "release")

# named for what runs them: the test runner (pytest) or a CI service (travis, jenkins...)
TEST_SETTINGS = {
    "test",
    "tests",
    "testing",
    "ci",
    "test_settings",
    "settings_test",
    "unittest",
    "pytest",
    "travis",
    "circleci",
    "jenkins",
    "gitlab_ci",
    "github_actions",
}


def is_test_settings(dotted: str) -> bool:
    """A settings module for tests or CI runs: its keys and passwords are fixtures, not
    secrets, and production never loads it."""
    leaf = dotted.rpartition(".")[2].lower()
    return leaf in TEST_SETTINGS or leaf.startswith(("test_", "tests_", "ci_"))


def dotted_for(source_root: Path, path: Path) -> str:
    rel = path.relative_to(source_root).with_suffix("")
    parts = list(rel.parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def guess_settings(source_root: Path, walk: Walk, cache: SourceCache) -> str | None:
    found: list[str] = []
    for path in walk.settings_candidates:
        try:
            path.relative_to(source_root)
        except ValueError:
            continue
        f = cache.python(path)
        if f.text and "INSTALLED_APPS" in f.text:
            found.append(dotted_for(source_root, path))
        elif path.name == "__init__.py":
            # a settings package whose modules hold the settings: the package itself only
            # when its __init__ imports them; else a production module, else base
            package = dotted_for(source_root, path)
            siblings = {p.stem: p for p in sorted(path.parent.glob("*.py")) if p.stem != "__init__"}
            defining = [
                stem
                for stem, p in siblings.items()
                if (cache.python(p).text or "").find("INSTALLED_APPS") >= 0
            ]
            init_text = f.text or ""
            if defining and "import" in init_text:
                found.append(package)
            elif defining:
                preferred = [n for n in PRODUCTION_NAMES if n in siblings]
                preferred += ["base", "common", *sorted(defining)]
                found.append(f"{package}.{next(n for n in preferred if n in siblings)}")
    found.sort(key=lambda d: (d.count("."), d))
    return found[0] if found else None


def evaluated_settings(cache: SourceCache, source_root: Path, dotted: str) -> SettingsModule:
    """`evaluate_settings`, once per content in a run: a rediscovery whose overlay leaves the
    files the evaluation read as they were (and the module files it looked for where they
    were) reuses the earlier evaluation instead of repeating it."""
    return cache.store.recall(
        ("settings", source_root, dotted),
        cache,
        lambda: evaluate_settings(cache, source_root, dotted),
    )


#: development settings, by the module's last name: an app server started with them (a
#: development compose file's gunicorn) is no evidence of production
DEV_SETTINGS = {"dev", "develop", "development", "local", "debug"}
_SERVERS = re.compile(r"\b(gunicorn|uvicorn|daphne|uwsgi|hypercorn|granian)\b")
_NAMED_SETTINGS = re.compile(
    r"""(?:DJANGO_SETTINGS_MODULE["']?\s*[=:]\s*|--settings[= ])["']?([A-Za-z_][\w.]*)"""
)


def served_settings(source_root: Path, walk: Walk, cache: SourceCache) -> tuple[str, str] | None:
    """(module, file) where the files that start an app server (Dockerfiles, start scripts,
    Procfiles, compose files) name one settings module of the project for it
    (`gunicorn ... --env DJANGO_SETTINGS_MODULE=proj.settings.docker`), development and test
    modules aside; None where they name none, or several."""
    found: dict[str, str] = {}
    for path in [*walk.dockerfiles, *walk.scripts, *walk.procfiles, *walk.compose]:
        f = cache.text(path)
        text = f.text or ""
        if "DJANGO_SETTINGS_MODULE" not in text and "--settings" not in text:
            continue
        if not _SERVERS.search(text):
            continue
        for m in _NAMED_SETTINGS.finditer(text):
            dotted = m.group(1).rstrip(".")
            leaf = dotted.rpartition(".")[2].lower()
            if is_test_settings(dotted) or leaf in DEV_SETTINGS:
                continue
            if resolve_module(source_root, dotted) is not None:
                found.setdefault(dotted, f.rel)
    return next(iter(found.items())) if len(found) == 1 else None


def production_module(
    source_root: Path,
    settings_module: str,
    wsgi_defaults: dict[str, str],
    origin: str,
    served: tuple[str, str] | None = None,
) -> tuple[str, str | None]:
    """The settings module production runs with, and the note that says why where it is not
    the one manage.py names. `served`: what the files starting the app server name
    (`served_settings`), the strongest evidence."""
    if origin == "given":
        return settings_module, None
    if served is not None and served[0] != settings_module:
        return served[0], (
            f"production settings: {served[0]} (the settings {served[1]} starts the app "
            f"server with; manage.py uses {settings_module})"
        )
    path = resolve_module(source_root, settings_module)
    assert path is not None
    package_dir = path.parent
    package = settings_module if path.name == "__init__.py" else settings_module.rpartition(".")[0]
    if path.name == "__init__.py":
        package_dir = path.parent
    leaf = settings_module.rpartition(".")[2]
    if leaf not in PRODUCTION_NAMES and package:
        for name in PRODUCTION_NAMES:
            if (package_dir / f"{name}.py").is_file():
                prod = f"{package}.{name}"
                return prod, (
                    f"production settings: {prod} (the split settings package also holds "
                    f"{settings_module}, which manage.py uses)"
                )
    if settings_module in wsgi_defaults.values():
        # a WSGI/ASGI module serves manage.py's own settings: a module defaulting to other
        # settings is another project of the repository (a Celery app's own Django settings)
        return settings_module, None
    for rel, default in sorted(wsgi_defaults.items()):
        if default != settings_module and resolve_module(source_root, default):
            return default, f"production settings: {default} (the default of {rel})"
    return settings_module, None


def settings_family(
    cache: SourceCache,
    source_root: Path,
    settings_module: str,
    production: str,
    evaluated: SettingsModule,
) -> dict[str, SettingsModule]:
    """Every module of the settings package, each evaluated on its own."""
    out: dict[str, SettingsModule] = {production: evaluated}
    path = resolve_module(source_root, production)
    if path is None:
        return out
    if path.name == "__init__.py" or path.parent.name == "settings" or evaluated.star_imports:
        folder = path.parent
        for sibling in sorted(folder.glob("*.py")):
            dotted = dotted_for(source_root, sibling)
            if dotted in out or not dotted:
                continue
            f = cache.python(sibling)
            if f.text is None or (
                "import" not in f.text and not re.search(r"^[A-Z_]+\s*=", f.text, re.M)
            ):
                continue
            out[dotted] = evaluated_settings(cache, source_root, dotted)
    for dotted in (settings_module, *evaluated.star_imports, *evaluated.includes):
        if dotted not in out and resolve_module(source_root, dotted):
            out[dotted] = evaluated_settings(cache, source_root, dotted)
    return out


def base_module(evaluated: SettingsModule, modules: dict[str, SettingsModule]) -> str:
    """The module at the bottom of the production module's star-import chain."""
    current = evaluated
    seen = {current.dotted}
    while current.star_imports:
        nxt = current.star_imports[0]
        if nxt in seen or nxt not in modules:
            break
        seen.add(nxt)
        current = modules[nxt]
    return current.dotted


def read_settings_facts(model: ProjectModel) -> None:
    s = model.settings
    for name, attr in (
        ("WSGI_APPLICATION", "wsgi_application"),
        ("ASGI_APPLICATION", "asgi_application"),
        ("ROOT_URLCONF", "root_urlconf"),
    ):
        value = s.get(name)
        if isinstance(value, str):
            setattr(model, attr, value)
    apps = s.get("INSTALLED_APPS")
    if isinstance(apps, (list, tuple)):
        model.installed_apps = [a for a in apps if isinstance(a, str)]
        if any(not isinstance(a, str) for a in apps):
            model.notes.append("INSTALLED_APPS holds entries djfix cannot read statically")
    elif apps is not None:
        # built from something djfix cannot read (a plugin list loaded at run time, a loop
        # over it): the entries written out in the settings are still the project's apps,
        # and a check that skipped them would call the project clean without looking
        model.installed_apps = _written_apps(model)
        model.notes.append(
            "INSTALLED_APPS is built in a way djfix cannot read statically: djfix checks the "
            f"{len(model.installed_apps)} entries written out in the settings, and no app "
            "added at run time"
        )


def _written_apps(model: ProjectModel) -> list[str]:
    """Every app name the production settings write out for INSTALLED_APPS: in the values
    assigned to it and in what they add to it (`+=`, `.append`, `.extend`, `.insert`),
    through the settings modules the production module star-imports or includes."""
    chain: list[SettingsModule] = []
    todo = [model.settings]
    seen: set[str] = set()
    while todo:
        mod = todo.pop(0)
        if mod.dotted in seen:
            continue
        seen.add(mod.dotted)
        chain.append(mod)
        for dotted in (*mod.star_imports, *mod.includes):
            if dotted in model.settings_modules:
                todo.append(model.settings_modules[dotted])
    names: list[str] = []
    for mod in chain:
        for a in mod.own:
            if a.name != "INSTALLED_APPS":
                continue
            node = a.node  # found again in its file's tree: only for the setting asked for
            if node is None:
                continue
            exprs: list[ast.AST] = []
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                exprs.append(node.value)
            elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
                exprs.append(node.value)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                method, args = node.func.attr, node.args
                if method in ("append", "extend") and len(args) == 1:
                    exprs.append(args[0])
                elif method == "insert" and len(args) == 2:
                    exprs.append(args[1])
            for expr in exprs:
                names.extend(_app_strings(expr, model.settings, 0))
    return list(dict.fromkeys(names))


def _app_strings(node: ast.AST, settings: SettingsModule, depth: int) -> list[str]:
    """The app names an INSTALLED_APPS expression writes out or names (a list setting)."""
    if depth > 50:
        return []
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [s for e in node.elts for s in _app_strings(e, settings, depth + 1)]
    if isinstance(node, ast.Starred):
        return _app_strings(node.value, settings, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _app_strings(node.left, settings, depth + 1)
        return left + _app_strings(node.right, settings, depth + 1)
    if isinstance(node, ast.IfExp):  # either branch may be the one that runs
        body = _app_strings(node.body, settings, depth + 1)
        return body + _app_strings(node.orelse, settings, depth + 1)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("list", "tuple", "sorted", "set")
        and node.args
    ):
        return _app_strings(node.args[0], settings, depth + 1)
    if isinstance(node, ast.Name) and node.id != "INSTALLED_APPS":
        value = settings.get(node.id)
        if isinstance(value, (list, tuple)):
            return [v for v in value if isinstance(v, str)]
    return []
