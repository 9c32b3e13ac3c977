"""ProjectModel: everything djfix knows about the target repository, found statically, once.

Discovery never imports or runs the target's code. It walks the repository to a bounded depth,
skipping virtualenvs, VCS folders and front-end dependencies, and parses only the files that
matter: manage.py, the settings modules, the installed local apps' apps.py and migrations, the
dependency declarations and the deploy files.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixer import redaction
from fixer.deep_stack import call_deep
from fixer.errors import DjfixError, UsageError
from fixer.parsers.compose import ComposeFile, parse_compose
from fixer.parsers.dockerfile import Dockerfile, parse_dockerfile
from fixer.parsers.procfile import ProcfileEntry, parse_procfile
from fixer.parsers.shell import ScriptCommand, parse_makefile, parse_shell_script, split_shell
from fixer.settings_eval import (
    EnvDict,
    EnvRef,
    SettingsModule,
    evaluate_settings,
    resolve_module,
)
from fixer.sources import FileStore, PyFile, SourceCache, is_dir, is_file, planned_paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".env",
    "env",
    "site-packages",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "htmlcov",
    "bower_components",
    ".idea",
    ".vscode",
    "dist",
    "build",
}
#: manage.py files below these folders are samples, not the project (unless nothing else exists)
SAMPLE_DIRS = {"tests", "test", "testing", "examples", "example", "docs", "doc", "samples"}
MAX_DEPTH = 4
PRODUCTION_NAMES = ("production", "prod", "live", "deploy", "deployment", "release")


@dataclass
class Migration:
    app_label: str
    name: str
    rel: str
    dependencies: list[tuple[str, str]] = field(default_factory=list)
    replaces: list[tuple[str, str]] = field(default_factory=list)
    run_before: list[tuple[str, str]] = field(default_factory=list)
    dependency_lines: dict[tuple[str, str], int] = field(default_factory=dict)
    initial: bool = False
    has_run_python: bool = False
    # edges declared in a way a static read cannot trust (computed lists, inheritance, edits
    # made after the class)
    opaque: bool = False
    problem: str | None = None
    problem_line: int | None = None


@dataclass
class App:
    name: str
    label: str
    path: Path
    rel: str
    entry: str
    config_class: str | None = None
    apps_file: str | None = None
    migrations_rel: str | None = None
    migrations_init: bool = True
    migrations: list[Migration] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "path": self.rel,
            "config": self.config_class,
            "migrations": [m.name for m in self.migrations],
        }


@dataclass
class Requirement:
    name: str
    spec: str
    rel: str
    line: int | None


@dataclass
class DependencySource:
    kind: str  # requirements, pip-tools, pep621, poetry, uv, pipfile, setup.py, setup.cfg
    rel: str
    packages: list[Requirement] = field(default_factory=list)


@dataclass
class Service:
    kind: str  # postgresql, mysql, sqlite, oracle, redis, memcached, rabbitmq, elasticsearch, ...
    role: str  # database, cache, broker, result-backend, channel-layer, search, other
    setting: str  # e.g. DATABASES['default']
    env_var: str | None
    location: str | None  # masked: never a password
    rel: str | None
    line: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "role": self.role,
            "setting": self.setting,
            "env_var": self.env_var,
            "location": self.location,
            "path": self.rel,
            "line": self.line,
        }


@dataclass
class ProjectModel:
    root: Path
    source_root: Path
    cache: SourceCache
    manage_py: str | None
    settings_module: str
    settings_origin: str
    production_module: str
    base_module: str
    settings: SettingsModule
    settings_modules: dict[str, SettingsModule]
    notes: list[str] = field(default_factory=list)
    # checklist item -> why the part of it that needs Django to run was not proved
    unverified: dict[int, str] = field(default_factory=dict)
    installed_apps: list[str] = field(default_factory=list)
    apps: list[App] = field(default_factory=list)
    wsgi_application: str | None = None
    asgi_application: str | None = None
    root_urlconf: str | None = None
    dependency_sources: list[DependencySource] = field(default_factory=list)
    dependency_source: DependencySource | None = None
    django_version: tuple[int, int] | None = None
    django_version_source: str | None = None
    python_version: str | None = None
    python_version_source: str | None = None
    services: list[Service] = field(default_factory=list)
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    compose_files: list[ComposeFile] = field(default_factory=list)
    procfiles: dict[str, list[ProcfileEntry]] = field(default_factory=dict)
    scripts: dict[str, list[ScriptCommand]] = field(default_factory=dict)
    makefiles: dict[str, list[tuple[str, ScriptCommand]]] = field(default_factory=dict)
    ci_files: dict[str, list[ScriptCommand]] = field(default_factory=dict)
    deploy_problems: list[tuple[str, str]] = field(default_factory=list)  # (rel, message)
    python_files_seen: int = 0

    # -- convenience ---------------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        return self.cache.rel(path)

    def module_path(self, dotted: str) -> Path | None:
        found = resolve_module(self.source_root, dotted)
        if found is None and self.cache.overlay:
            # a module the planned changes add (the generated app's urls.py) is not on disk yet
            base = self.source_root.joinpath(*dotted.split("."))
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if self.cache.rel(candidate) in self.cache.overlay:
                    return candidate
        return found

    def python(self, path: Path) -> PyFile:
        return self.cache.python(path)

    @property
    def packages(self) -> dict[str, Requirement]:
        out: dict[str, Requirement] = {}
        for source in self.dependency_sources:
            for req in source.packages:
                out.setdefault(req.name, req)
        return out

    def has_package(self, *names: str) -> bool:
        pkgs = self.packages
        return any(_normalise(n) in pkgs for n in names)

    @property
    def root_dockerfile(self) -> Dockerfile | None:
        for df in self.dockerfiles:
            if df.path == "Dockerfile":
                return df
        return None

    @property
    def settings_rels(self) -> list[str]:
        return sorted({m.rel for m in self.settings_modules.values() if m.rel})

    def local_app(self, label: str) -> App | None:
        return next((a for a in self.apps if a.label == label), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "manage_py": self.manage_py,
            "settings": {
                "module": self.settings_module,
                "origin": self.settings_origin,
                "production": self.production_module,
                "base": self.base_module,
                "modules": {
                    dotted: {
                        "path": m.rel,
                        "defines": sorted(
                            {a.name for a in m.own if a.name.isupper() and a.module == dotted}
                        ),
                        "star_imports": m.star_imports,
                    }
                    for dotted, m in sorted(self.settings_modules.items())
                },
            },
            "wsgi_application": self.wsgi_application,
            "asgi_application": self.asgi_application,
            "root_urlconf": self.root_urlconf,
            "installed_apps": self.installed_apps,
            "local_apps": [a.to_json() for a in self.apps],
            "dependencies": {
                "source": self.dependency_source.kind if self.dependency_source else None,
                "files": [s.rel for s in self.dependency_sources],
                "packages": {n: r.spec for n, r in sorted(self.packages.items())},
            },
            "django_version": ".".join(map(str, self.django_version))
            if self.django_version
            else None,
            "python_version": self.python_version,
            "services": [s.to_json() for s in self.services],
            "deploy_files": {
                "dockerfiles": [d.path for d in self.dockerfiles],
                "compose": [c.path for c in self.compose_files],
                "procfiles": sorted(self.procfiles),
                "scripts": sorted(self.scripts),
                "makefiles": sorted(self.makefiles),
                "ci": sorted(self.ci_files),
            },
            "notes": self.notes,
        }


# ---------------------------------------------------------------------------------------------
# discovery


@dataclass
class _Walk:
    manage: list[Path] = field(default_factory=list)
    dockerfiles: list[Path] = field(default_factory=list)
    compose: list[Path] = field(default_factory=list)
    procfiles: list[Path] = field(default_factory=list)
    scripts: list[Path] = field(default_factory=list)
    makefiles: list[Path] = field(default_factory=list)
    requirements: list[Path] = field(default_factory=list)
    ci: list[Path] = field(default_factory=list)
    settings_candidates: list[Path] = field(default_factory=list)
    wsgi: list[Path] = field(default_factory=list)
    any_file: bool = False


def _walk(root: Path, store: FileStore) -> _Walk:
    """The files discovery looks at: walked once per run (a rediscovery reuses the walk of the
    first discovery), plus the container files a fix plan creates."""
    if store.walk is None or store.walk[0] != root:
        store.walk = (root, _walk_disk(root))
    on_disk: _Walk = store.walk[1]
    found = _Walk(
        **{
            name: list(value) if isinstance(value, list) else value
            for name, value in vars(on_disk).items()
        }
    )
    # container files a fix plan creates are not on disk yet; the re-detection must see them
    for path in sorted(planned_paths()):
        if path.parent != root:
            continue
        lower = path.name.lower()
        if lower == "dockerfile" and path not in found.dockerfiles:
            found.dockerfiles.append(path)
        elif re.fullmatch(r"(docker-)?compose\.ya?ml", lower) and path not in found.compose:
            found.compose.append(path)
    return found


def _walk_disk(root: Path) -> _Walk:
    found = _Walk()
    root_depth = len(root.parts)
    seen_real: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        depth = len(here.parts) - root_depth
        real = os.path.realpath(dirpath)
        if real in seen_real:
            dirnames[:] = []
            continue
        seen_real.add(real)
        if "pyvenv.cfg" in filenames:
            dirnames[:] = []
            continue
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS and not d.endswith(".egg-info") and depth < MAX_DEPTH
        )
        if depth == 0 and ".github" in os.listdir(dirpath):
            workflows = here / ".github" / "workflows"
            if workflows.is_dir():
                found.ci.extend(sorted(workflows.glob("*.y*ml")))
        for name in filenames:
            found.any_file = True
            lower = name.lower()
            path = here / name
            if name == "manage.py":
                found.manage.append(path)
            elif (
                lower == "dockerfile"
                or lower.startswith("dockerfile.")
                or lower.endswith(".dockerfile")
            ):
                found.dockerfiles.append(path)
            elif re.fullmatch(r"(docker-)?compose([.-][\w.-]+)?\.ya?ml", lower) and depth <= 2:
                found.compose.append(path)
            elif lower.endswith(".sh") or lower in ("entrypoint", "docker-entrypoint"):
                found.scripts.append(path)
            elif name == "Procfile" or name.startswith("Procfile."):
                found.procfiles.append(path)
            elif name in ("Makefile", "makefile", "GNUmakefile", "justfile") and depth <= 2:
                found.makefiles.append(path)
            elif depth <= 2 and (
                re.fullmatch(r"requirements.*\.(txt|in)", lower)
                or (here.name == "requirements" and lower.endswith((".txt", ".in")))
            ):
                found.requirements.append(path)
            elif depth == 0 and name in (".gitlab-ci.yml", "bitbucket-pipelines.yml"):
                found.ci.append(path)
            elif name == "settings.py" or (here.name == "settings" and name == "__init__.py"):
                found.settings_candidates.append(path)
            elif name in ("wsgi.py", "asgi.py"):
                found.wsgi.append(path)
    return found


def _settings_default(tree: ast.Module | None) -> str | None:
    """The DJANGO_SETTINGS_MODULE default a manage.py / wsgi.py / asgi.py sets."""
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) >= 2:
            first, second = node.args[0], node.args[1]
            if (
                isinstance(first, ast.Constant)
                and first.value == "DJANGO_SETTINGS_MODULE"
                and isinstance(second, ast.Constant)
                and isinstance(second.value, str)
            ):
                return second.value
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and target.slice.value == "DJANGO_SETTINGS_MODULE"
                    and isinstance(node.value.value, str)
                ):
                    return node.value.value
    return None


def _pick_manage(root: Path, candidates: list[Path]) -> Path | None:
    if not candidates:
        return None

    def is_sample(p: Path) -> bool:
        return any(part.lower() in SAMPLE_DIRS for part in p.relative_to(root).parts[:-1])

    real = [p for p in candidates if not is_sample(p)] or candidates
    depth = min(len(p.relative_to(root).parts) for p in real)
    shallowest = [p for p in real if len(p.relative_to(root).parts) == depth]
    if len(shallowest) > 1:
        listing = "\n".join(f"  {p.relative_to(root).as_posix()}" for p in shallowest)
        raise UsageError(
            f"found {len(shallowest)} manage.py files and cannot tell which one is the project:\n"
            f"{listing}\nname one with --manage PATH (or `manage` under [tool.djfix] "
            "in pyproject.toml)"
        )
    return shallowest[0]


def _dotted_for(source_root: Path, path: Path) -> str:
    rel = path.relative_to(source_root).with_suffix("")
    parts = list(rel.parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def discover(
    path: Path,
    *,
    settings: str | None = None,
    manage: str | None = None,
    overlay: dict[str, str] | None = None,
    reuse: SourceCache | None = None,
) -> ProjectModel:
    """Build the ProjectModel for the repository at `path`. Raises UsageError / DjfixError.

    A rediscovery passes the first discovery's cache as `reuse`: files the overlay leaves
    unchanged are then neither walked, read nor parsed again. Settings are evaluated by
    recursion over their statements: discovery runs where deep nesting has room."""
    return call_deep(
        _discover, path, settings=settings, manage=manage, overlay=overlay, reuse=reuse
    )


def _discover(
    path: Path,
    *,
    settings: str | None,
    manage: str | None,
    overlay: dict[str, str] | None,
    reuse: SourceCache | None,
) -> ProjectModel:
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise UsageError(f"{path}: not a directory; give the repository's root folder")
    root = path.resolve()
    store = reuse.store if reuse is not None and reuse.root == root else FileStore()
    try:
        walk = _walk(root, store)
    except OSError as exc:
        raise DjfixError(f"{root}: cannot be read: {exc.strerror or exc}") from exc
    if not walk.any_file:
        raise UsageError(f"{root} is empty: there is no Django project to check")

    cache = SourceCache(root, overlay, store)
    notes: list[str] = []
    if manage:
        manage_path = (root / manage).resolve()
        if not manage_path.is_file():
            raise UsageError(f"--manage {manage}: no such file in {root}")
    else:
        manage_path = _pick_manage(root, walk.manage)
    source_root = manage_path.parent if manage_path else root

    origin = ""
    settings_module = settings
    if settings_module:
        origin = "given"
    manage_default = None
    if manage_path is not None:
        manage_file = cache.python(manage_path)
        manage_default = _settings_default(manage_file.tree)
        if manage_file.problem is not None and manage_file.tree is None:
            notes.append(f"{manage_file.rel} {manage_file.problem.message}")
    if not settings_module and manage_default:
        settings_module, origin = manage_default, f"{cache.rel(manage_path)}"  # type: ignore[arg-type]
    wsgi_defaults: dict[str, str] = {}
    for wsgi in walk.wsgi:
        try:
            wsgi.relative_to(source_root)
        except ValueError:
            continue
        default = _settings_default(cache.python(wsgi).tree)
        if default:
            wsgi_defaults[cache.rel(wsgi)] = default
    if not settings_module and wsgi_defaults:
        rel, settings_module = sorted(wsgi_defaults.items())[0]
        origin = rel
    if not settings_module:
        settings_module = _guess_settings(source_root, walk, cache)
        if settings_module:
            origin = "guessed"
            notes.append(
                f"no DJANGO_SETTINGS_MODULE default in manage.py, wsgi.py or asgi.py: guessed "
                f"the settings module {settings_module}; give --settings to be sure"
            )
    if not settings_module:
        if manage_path is None:
            raise UsageError(
                f"{root} is not a Django project: no manage.py and no settings module "
                "(a settings.py defining INSTALLED_APPS) was found"
            )
        raise UsageError(
            f"cannot find the settings module of {cache.rel(manage_path)}: it sets no "
            "DJANGO_SETTINGS_MODULE default; give --settings MODULE"
        )
    if resolve_module(source_root, settings_module) is None:
        raise UsageError(
            f"the settings module {settings_module} (from {origin}) is not a file below "
            f"{cache.rel(source_root) or '.'}; give --settings MODULE"
        )

    production, why = _production_module(source_root, settings_module, wsgi_defaults, origin)
    if why:
        notes.append(why)
    evaluated = evaluate_settings(cache, source_root, production)
    modules = _settings_family(cache, source_root, settings_module, production, evaluated)
    base = _base_module(evaluated, modules)

    model = ProjectModel(
        root=root,
        source_root=source_root,
        cache=cache,
        manage_py=cache.rel(manage_path) if manage_path else None,
        settings_module=settings_module,
        settings_origin=origin,
        production_module=production,
        base_module=base,
        settings=evaluated,
        settings_modules=modules,
        notes=notes,
    )
    for rel, line, reason in evaluated.dynamic:
        notes.append(f"{rel}:{line}: {reason}; djfix reads these settings only in part")
    _read_settings_facts(model)
    _read_apps(model)
    _read_dependencies(model, walk)
    _read_versions(model)
    _read_services(model)
    _read_deploy_files(model, walk)
    return model


def _guess_settings(source_root: Path, walk: _Walk, cache: SourceCache) -> str | None:
    found: list[str] = []
    for path in walk.settings_candidates:
        try:
            path.relative_to(source_root)
        except ValueError:
            continue
        f = cache.python(path)
        if f.text and "INSTALLED_APPS" in f.text:
            found.append(_dotted_for(source_root, path))
        elif path.name == "__init__.py":
            # a settings package whose modules hold the settings: the package itself only
            # when its __init__ imports them; else a production module, else base
            package = _dotted_for(source_root, path)
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


def _production_module(
    source_root: Path, settings_module: str, wsgi_defaults: dict[str, str], origin: str
) -> tuple[str, str | None]:
    if origin == "given":
        return settings_module, None
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
    for rel, default in sorted(wsgi_defaults.items()):
        if default != settings_module and resolve_module(source_root, default):
            return default, f"production settings: {default} (the default of {rel})"
    return settings_module, None


def _settings_family(
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
            dotted = _dotted_for(source_root, sibling)
            if dotted in out or not dotted:
                continue
            f = cache.python(sibling)
            if f.text is None or (
                "import" not in f.text and not re.search(r"^[A-Z_]+\s*=", f.text, re.M)
            ):
                continue
            out[dotted] = evaluate_settings(cache, source_root, dotted)
    for dotted in (settings_module, *evaluated.star_imports, *evaluated.includes):
        if dotted not in out and resolve_module(source_root, dotted):
            out[dotted] = evaluate_settings(cache, source_root, dotted)
    return out


def _base_module(evaluated: SettingsModule, modules: dict[str, SettingsModule]) -> str:
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


def _read_settings_facts(model: ProjectModel) -> None:
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
            node = a.node
            if a.name != "INSTALLED_APPS" or node is None:
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


# -- apps and migrations ------------------------------------------------------------------------


def _class_defs(tree: ast.Module | None) -> list[ast.ClassDef]:
    return [n for n in tree.body if isinstance(n, ast.ClassDef)] if tree else []


def _is_app_config(cls: ast.ClassDef) -> bool:
    for base in cls.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name.endswith("AppConfig"):
            return True
    return False


def _class_str_attr(cls: ast.ClassDef, attr: str) -> Any:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
            for t in stmt.targets:
                if isinstance(t, ast.Name) and t.id == attr:
                    return stmt.value.value
    return None


def _read_apps(model: ProjectModel) -> None:
    migration_modules = model.settings.get("MIGRATION_MODULES")
    for entry in model.installed_apps:
        app = _resolve_app(model, entry)
        if app is None:
            continue
        has_override = isinstance(migration_modules, dict) and app.label in migration_modules
        override = migration_modules.get(app.label) if has_override else None
        if has_override and override is None:
            # MIGRATION_MODULES = {"app": None}: Django reads no migrations for the app
            model.apps.append(app)
            continue
        if isinstance(override, str):
            mig_path = model.module_path(override)
            mig_dir = (
                mig_path.parent if mig_path else model.source_root.joinpath(*override.split("."))
            )
        else:
            mig_dir = app.path / "migrations"
        if is_dir(mig_dir):
            app.migrations_rel = model.rel(mig_dir)
            app.migrations_init = is_file(mig_dir / "__init__.py")
            planned = {p for p in planned_paths() if p.parent == mig_dir and p.suffix == ".py"}
            for f in sorted(set(mig_dir.glob("*.py")) | planned):
                if f.name == "__init__.py" or f.name[0] in "_~":
                    continue  # Django's loader skips these too
                app.migrations.append(_read_migration(model, app.label, f))
        model.apps.append(app)


def _resolve_app(model: ProjectModel, entry: str) -> App | None:
    config_class = None
    module = entry
    path = model.module_path(entry)
    label = None
    if path is None and "." in entry:
        owner, _, cls_name = entry.rpartition(".")
        owner_path = model.module_path(owner)
        if owner_path is not None:
            tree = model.python(owner_path).tree
            for cls in _class_defs(tree):
                if cls.name == cls_name and _is_app_config(cls):
                    config_class = entry
                    name = _class_str_attr(cls, "name")
                    label = _class_str_attr(cls, "label")
                    module = name if isinstance(name, str) else owner.rpartition(".")[0]
                    path = model.module_path(module)
                    break
    if path is None:
        return None
    app_dir = path.parent if path.name == "__init__.py" else path.with_suffix("")
    if not is_dir(app_dir):
        return None
    apps_file = app_dir / "apps.py"
    if config_class is None and is_file(apps_file):
        configs = [c for c in _class_defs(model.python(apps_file).tree) if _is_app_config(c)]
        # Django 3.2+: the config marked default=True, else the only one (never default=False)
        eligible = [c for c in configs if _class_str_attr(c, "default") is not False]
        chosen = [c for c in eligible if _class_str_attr(c, "default") is True] or (
            eligible if len(eligible) == 1 else []
        )
        if len(chosen) >= 1:
            config_class = f"{module}.apps.{chosen[0].name}"
            label = _class_str_attr(chosen[0], "label")
    return App(
        name=module,
        label=label if isinstance(label, str) else module.rpartition(".")[2],
        path=app_dir,
        rel=model.rel(app_dir),
        entry=entry,
        config_class=config_class,
        apps_file=model.rel(apps_file) if is_file(apps_file) else None,
    )


def _pairs(node: ast.AST | None) -> list[tuple[tuple[str, str], int]]:
    out: list[tuple[tuple[str, str], int]] = []
    if not isinstance(node, (ast.List, ast.Tuple)):
        return out
    for elt in node.elts:
        if (
            isinstance(elt, (ast.Tuple, ast.List))
            and len(elt.elts) == 2
            and all(isinstance(e, ast.Constant) for e in elt.elts)
        ):
            out.append(((str(elt.elts[0].value), str(elt.elts[1].value)), elt.lineno))  # type: ignore[attr-defined]
        elif isinstance(elt, ast.Call):
            # migrations.swappable_dependency(settings.AUTH_USER_MODEL): satisfied by the user app
            out.append((("__setting__", ast.unparse(elt)), elt.lineno))
    return out


def _read_migration(model: ProjectModel, label: str, path: Path) -> Migration:
    """What a migration file declares; read once per content in a run (a rediscovery reuses
    it), and its tree is dropped afterwards: a project may hold thousands of migrations."""
    f = model.python(path)
    # shared by the discoveries of the run: nothing changes a Migration once it is read
    return f.memo(f"migration:{label}", lambda: _migration_facts(f, label, path))


def _migration_facts(f: PyFile, label: str, path: Path) -> Migration:
    parsed_here = not f.has_tree
    try:
        return _parse_migration(f, label, path)
    finally:
        if parsed_here:
            f.release()


def _parse_migration(f: PyFile, label: str, path: Path) -> Migration:
    mig = Migration(label, path.stem, f.rel)
    tree = f.tree
    if tree is None:
        mig.problem = f.problem.message if f.problem else "cannot be read"
        mig.problem_line = f.problem.line if f.problem else None
        return mig
    cls = next((c for c in _class_defs(tree) if c.name == "Migration"), None)
    if cls is None:
        mig.problem = "defines no Migration class"
        return mig
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if not isinstance(target, ast.Name):
                continue
            if target.id == "dependencies":
                for pair, line in _pairs(stmt.value):
                    mig.dependencies.append(pair)
                    mig.dependency_lines[pair] = line
            elif target.id == "replaces":
                mig.replaces = [p for p, _ in _pairs(stmt.value)]
            elif target.id == "run_before":
                mig.run_before = [p for p, _ in _pairs(stmt.value)]
            elif target.id == "initial" and isinstance(stmt.value, ast.Constant):
                mig.initial = bool(stmt.value.value)
    mig.has_run_python = "RunPython" in (f.text or "")
    mig.opaque = _edges_opaque(tree, f.text or "")
    return mig


def _edges_opaque(tree: ast.Module, text: str) -> bool:
    if ".dependencies" in text or ".run_before" in text or ".replaces" in text:
        return True
    for cls in tree.body:
        if not (isinstance(cls, ast.ClassDef) and cls.name == "Migration"):
            continue
        for base in cls.bases:
            name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            if name != "Migration":
                return True
        for stmt in cls.body:
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
                targets, value = [stmt.target], stmt.value
                if isinstance(stmt, ast.AugAssign):
                    value = None
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if not names & {"dependencies", "run_before", "replaces"}:
                continue
            if len(targets) != 1 or not isinstance(value, (ast.List, ast.Tuple)):
                return True
            for elt in value.elts:
                if isinstance(elt, ast.Call):
                    continue
                if not (
                    isinstance(elt, (ast.Tuple, ast.List))
                    and len(elt.elts) == 2
                    and all(isinstance(e, ast.Constant) for e in elt.elts)
                ):
                    return True
    return False


# -- dependencies and versions ------------------------------------------------------------------

_REQ_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse_requirement(text: str) -> tuple[str, str] | None:
    m = _REQ_LINE.match(text)
    if not m:
        return None
    return _normalise(m.group(1)), m.group(3).strip()


def _read_requirements(model: ProjectModel, path: Path, seen: set[Path]) -> list[Requirement]:
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    f = model.cache.text(path)
    out: list[Requirement] = []
    if f.text is None:
        return out
    for lineno, raw in enumerate(f.text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ", "-c ", "--constraint ")):
            include = line.split(None, 1)[1].strip()
            out.extend(_read_requirements(model, path.parent / include, seen))
            continue
        if line.startswith("-"):
            egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
            if egg:
                out.append(Requirement(_normalise(egg.group(1)), "", f.rel, lineno))
            continue
        parsed = _parse_requirement(line)
        if parsed:
            out.append(Requirement(parsed[0], parsed[1], f.rel, lineno))
    return out


def _toml(model: ProjectModel, path: Path) -> dict | None:
    if not path.is_file():
        return None
    f = model.cache.text(path)
    if f.text is None:
        model.deploy_problems.append((f.rel, f.problem.message if f.problem else "unreadable"))
        return None
    try:
        return tomllib.loads(f.text)
    except tomllib.TOMLDecodeError as exc:
        model.deploy_problems.append((f.rel, f"is not valid TOML: {exc}"))
        return None


def _line_of(text: str | None, needle: str) -> int | None:
    if not text:
        return None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(needle)}\b", re.M | re.I)
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _read_dependencies(model: ProjectModel, walk: _Walk) -> None:
    sources: list[DependencySource] = []
    roots = [model.root] if model.source_root == model.root else [model.root, model.source_root]
    for base in roots:
        pyproject = base / "pyproject.toml"
        data = _toml(model, pyproject)
        if data:
            text = model.cache.text(pyproject).text
            rel = model.rel(pyproject)
            poetry = data.get("tool", {}).get("poetry", {})
            poetry_deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
            if isinstance(poetry_deps, dict):
                src = DependencySource("poetry", rel)
                for name, spec in poetry_deps.items():
                    if name.lower() == "python":
                        continue
                    version = spec.get("version", "") if isinstance(spec, dict) else str(spec)
                    src.packages.append(
                        Requirement(_normalise(name), version, rel, _line_of(text, name))
                    )
                sources.append(src)
            project = data.get("project", {})
            deps = project.get("dependencies") if isinstance(project, dict) else None
            if isinstance(deps, list):
                kind = (
                    "uv"
                    if (base / "uv.lock").is_file() or "uv" in data.get("tool", {})
                    else "pep621"
                )
                src = DependencySource(kind, rel)
                for dep in deps:
                    parsed = _parse_requirement(str(dep))
                    if parsed:
                        src.packages.append(
                            Requirement(parsed[0], parsed[1], rel, _line_of(text, str(dep)))
                        )
                sources.append(src)
        pipfile = base / "Pipfile"
        data = _toml(model, pipfile)
        if data:
            text = model.cache.text(pipfile).text
            rel = model.rel(pipfile)
            src = DependencySource("pipfile", rel)
            for name, spec in (data.get("packages") or {}).items():
                version = spec.get("version", "") if isinstance(spec, dict) else str(spec)
                src.packages.append(
                    Requirement(
                        _normalise(name),
                        "" if version == "*" else version,
                        rel,
                        _line_of(text, name),
                    )
                )
            sources.append(src)
    seen: set[Path] = set()
    ins = [p for p in walk.requirements if p.suffix == ".in"]
    txts = [p for p in walk.requirements if p.suffix == ".txt"]
    for path in ins:
        pkgs = _read_requirements(model, path, seen)
        sources.append(DependencySource("pip-tools", model.rel(path), pkgs))
    for path in sorted(txts, key=lambda p: (len(p.parts), p.name != "requirements.txt", p.name)):
        pkgs = _read_requirements(model, path, seen)
        if pkgs or path.name == "requirements.txt":
            sources.append(DependencySource("requirements", model.rel(path), pkgs))
    for base in roots:
        setup_py = base / "setup.py"
        if setup_py.is_file():
            src = DependencySource("setup.py", model.rel(setup_py))
            tree = model.python(setup_py).tree
            for node in ast.walk(tree) if tree else []:
                if (
                    isinstance(node, ast.keyword)
                    and node.arg == "install_requires"
                    and isinstance(node.value, (ast.List, ast.Tuple))
                ):
                    for elt in node.value.elts:
                        if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                            parsed = _parse_requirement(elt.value)
                            if parsed:
                                src.packages.append(
                                    Requirement(parsed[0], parsed[1], src.rel, elt.lineno)
                                )
            sources.append(src)
        setup_cfg = base / "setup.cfg"
        if setup_cfg.is_file():
            f = model.cache.text(setup_cfg)
            parser = configparser.ConfigParser()
            try:
                parser.read_string(f.text or "")
                raw = parser.get("options", "install_requires", fallback="")
            except configparser.Error:
                raw = ""
            if raw.strip():
                src = DependencySource("setup.cfg", f.rel)
                for line in raw.strip().splitlines():
                    parsed = _parse_requirement(line.strip())
                    if parsed:
                        src.packages.append(Requirement(parsed[0], parsed[1], f.rel, None))
                sources.append(src)
    model.dependency_sources = sources
    model.dependency_source = _primary_source(sources)


def _primary_source(sources: list[DependencySource]) -> DependencySource | None:
    order = [
        "uv",
        "poetry",
        "pipfile",
        "pip-tools",
        "requirements",
        "pep621",
        "setup.py",
        "setup.cfg",
    ]

    def rank(s: DependencySource) -> tuple[int, int, int]:
        declares_django = any(r.name == "django" for r in s.packages)
        return (0 if declares_django else 1, order.index(s.kind), s.rel.count("/"))

    if not sources:
        return None
    return sorted(sources, key=rank)[0]


_VERSION = re.compile(r"(\d+)\.(\d+)")


def lowest_version(spec: str) -> tuple[int, int] | None:
    """The lowest (major, minor) a version specifier allows, for ==, ~=, >=, ^, ~ and bare
    versions; None when it has no lower bound."""
    spec = spec.strip().strip("\"'")
    if not spec or spec == "*":
        return None
    for part in spec.split(","):
        part = part.strip()
        m = re.match(r"(==|~=|>=|\^|~|===|>)?\s*v?(\d+)(?:\.(\d+))?", part)
        if m is None:
            continue
        if m.group(1) is not None or part[:1].isdigit():
            return int(m.group(2)), int(m.group(3) or 0)
    return None


def _locked_django(model: ProjectModel) -> tuple[tuple[int, int], str] | None:
    for base in {model.root, model.source_root}:
        for lock in ("uv.lock", "poetry.lock"):
            p = base / lock
            if p.is_file() and p.stat().st_size < 20_000_000:
                text = model.cache.text(p).text or ""
                m = re.search(r'name = "django"\s*\nversion = "(\d+)\.(\d+)', text, re.I)
                if m:
                    return (int(m.group(1)), int(m.group(2))), model.rel(p)
        p = base / "Pipfile.lock"
        if p.is_file() and p.stat().st_size < 20_000_000:
            try:
                data = json.loads(model.cache.text(p).text or "{}")
                version = data.get("default", {}).get("django", {}).get("version", "")
            except (ValueError, AttributeError):
                version = ""
            m = _VERSION.search(version)
            if m:
                return (int(m.group(1)), int(m.group(2))), model.rel(p)
    return None


def _read_versions(model: ProjectModel) -> None:
    locked = _locked_django(model)
    django = model.packages.get("django")
    if locked:
        model.django_version, model.django_version_source = locked
    elif django is not None:
        model.django_version = lowest_version(django.spec)
        model.django_version_source = django.rel
    for base in {model.root, model.source_root}:
        pv = base / ".python-version"
        if pv.is_file() and model.python_version is None:
            text = (model.cache.text(pv).text or "").strip()
            m = _VERSION.search(text)
            if m:
                model.python_version = f"{m.group(1)}.{m.group(2)}"
                model.python_version_source = model.rel(pv)
        rt = base / "runtime.txt"
        if rt.is_file() and model.python_version is None:
            m = _VERSION.search(model.cache.text(rt).text or "")
            if m:
                model.python_version = f"{m.group(1)}.{m.group(2)}"
                model.python_version_source = model.rel(rt)
    if model.python_version is None:
        for base in {model.root, model.source_root}:
            data = _toml(model, base / "pyproject.toml") or {}
            spec = (data.get("project") or {}).get("requires-python") or (
                ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
            ).get("python")
            pipfile = _toml(model, base / "Pipfile") or {}
            spec = spec or (pipfile.get("requires") or {}).get("python_version")
            if isinstance(spec, str):
                low = lowest_version(spec)
                if low:
                    model.python_version = f"{low[0]}.{low[1]}"
                    model.python_version_source = model.rel(
                        base
                        / ("pyproject.toml" if (base / "pyproject.toml").is_file() else "Pipfile")
                    )
                    break


# -- services ------------------------------------------------------------------------------------

_DB_KINDS = (
    ("postgis", "postgresql"),
    ("postgres", "postgresql"),
    ("psycopg", "postgresql"),
    ("mysql", "mysql"),
    ("mariadb", "mysql"),
    ("sqlite", "sqlite"),
    ("oracle", "oracle"),
    ("mssql", "mssql"),
    ("sql_server", "mssql"),
    ("cockroach", "postgresql"),
)
_URL_KINDS = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "postgis": "postgresql",
    "pgsql": "postgresql",
    "mysql": "mysql",
    "mysql2": "mysql",
    "mysqlgis": "mysql",
    "sqlite": "sqlite",
    "spatialite": "sqlite",
    "oracle": "oracle",
    "redis": "redis",
    "rediss": "redis",
    "unix": "redis",
    "amqp": "rabbitmq",
    "amqps": "rabbitmq",
    "pyamqp": "rabbitmq",
    "librabbitmq": "rabbitmq",
    "sqs": "sqs",
    "mongodb": "mongodb",
    "memcache": "memcached",
    "pymemcache": "memcached",
    "kafka": "kafka",
    "nats": "nats",
    "mqtt": "mqtt",
}


TEST_SETTINGS = {"test", "tests", "testing", "ci", "test_settings", "settings_test", "unittest"}


def is_test_settings(dotted: str) -> bool:
    """A settings module for tests or CI runs: its keys and passwords are fixtures, not
    secrets, and production never loads it."""
    leaf = dotted.rpartition(".")[2].lower()
    return leaf in TEST_SETTINGS or leaf.startswith(("test_", "tests_", "ci_"))


def mask_url(url: str) -> str:
    """The URL with any user and password replaced, safe to print (a password with raw
    `/ ? # @ :` in it included)."""
    return redaction.mask_url(url)


def url_kind(url: str) -> str | None:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    scheme = scheme.split("+")[0]
    return _URL_KINDS.get(scheme)


def cache_kind(backend: Any) -> str | None:
    if not isinstance(backend, str):
        return None
    low = backend.lower()
    if "redis" in low:
        return "redis"
    if low.endswith("locmemcache"):  # before the memcache test: "locmemcache" contains it
        return "locmem"
    if "memcache" in low:
        return "memcached"
    if low.endswith("databasecache"):
        return "database"
    if low.endswith("locmemcache"):
        return "locmem"
    if low.endswith("filebasedcache"):
        return "file"
    if low.endswith("dummycache"):
        return "dummy"
    return None


def _location(value: Any) -> tuple[str | None, str | None]:
    """(masked location, env var) of a setting value that names a service."""
    if isinstance(value, EnvRef):
        default = value.default if value.has_default and isinstance(value.default, str) else None
        return (mask_url(default) if default else None), value.var
    if isinstance(value, str):
        return mask_url(value), None
    if isinstance(value, (list, tuple)) and value:
        return _location(value[0])
    return None, None


def _read_services(model: ProjectModel) -> None:
    s = model.settings
    out: list[Service] = []

    def add(kind: str, role: str, setting: str, value: Any, name: str) -> None:
        where = s.where(name)
        location, env_var = _location(value)
        out.append(
            Service(
                kind,
                role,
                setting,
                env_var,
                location,
                where.path if where else None,
                where.line if where else None,
            )
        )

    databases = s.get("DATABASES")
    if isinstance(databases, (EnvRef, EnvDict)):
        databases = {"default": databases}
    if isinstance(databases, dict):
        for alias, conf in databases.items():
            kind = None
            value: Any = None
            if isinstance(conf, EnvDict) and not isinstance(conf.get("ENGINE"), str):
                conf = conf.ref
            if isinstance(conf, dict):
                engine = conf.get("ENGINE")
                if isinstance(engine, str):
                    low = engine.lower()
                    kind = next((k for key, k in _DB_KINDS if key in low), "other")
                elif isinstance(engine, EnvRef):
                    # the environment picks the engine (SQLite by default, a server in
                    # production): a networked database as far as probes and messages go
                    kind = "unknown"
                host = conf.get("HOST")
                port = conf.get("PORT")
                if isinstance(host, str) and host:
                    value = f"{host}:{port}" if isinstance(port, (str, int)) and port else host
                elif isinstance(host, EnvRef):
                    value = host
                if kind == "sqlite":
                    value = None
            elif isinstance(conf, EnvRef):
                value = conf
                default = conf.default if conf.has_default else None
                kind = url_kind(default) if isinstance(default, str) else None
                kind = kind or "unknown"
            if kind:
                add(kind, "database", f"DATABASES[{alias!r}]", value, "DATABASES")
    caches = s.get("CACHES")
    if isinstance(caches, dict):
        for alias, conf in caches.items():
            if isinstance(conf, dict):
                kind = cache_kind(conf.get("BACKEND"))
                if kind in ("redis", "memcached"):
                    add(kind, "cache", f"CACHES[{alias!r}]", conf.get("LOCATION"), "CACHES")
            elif isinstance(conf, (EnvRef, EnvDict)):
                conf = conf.ref if isinstance(conf, EnvDict) else conf
                default = conf.default if conf.has_default else None
                kind = url_kind(default) if isinstance(default, str) else None
                if kind in ("redis", "memcached"):
                    add(kind, "cache", f"CACHES[{alias!r}]", conf, "CACHES")
    named: set[str] = set()
    for name in ("CELERY_BROKER_URL", "BROKER_URL", "CELERY_BROKER"):
        value = s.get(name)
        if value is not None:
            named.add(name)
            loc = value.default if isinstance(value, EnvRef) and value.has_default else value
            kind = url_kind(loc) if isinstance(loc, str) else None
            add(kind or "broker", "broker", name, value, name)
            break
    for name in ("CELERY_RESULT_BACKEND", "RESULT_BACKEND"):
        value = s.get(name)
        if value is not None:
            named.add(name)
            loc = value.default if isinstance(value, EnvRef) and value.has_default else value
            kind = url_kind(loc) if isinstance(loc, str) else None
            if kind in ("redis", "rabbitmq", "mongodb", "memcached"):
                add(kind, "result-backend", name, value, name)
    layers = s.get("CHANNEL_LAYERS")
    if isinstance(layers, dict):
        for alias, conf in layers.items():
            if isinstance(conf, dict) and "redis" in str(conf.get("BACKEND", "")).lower():
                hosts = (
                    (conf.get("CONFIG") or {}).get("hosts")
                    if isinstance(conf.get("CONFIG"), dict)
                    else None
                )
                value = hosts[0] if isinstance(hosts, list) and hosts else None
                if isinstance(value, tuple):
                    value = ":".join(map(str, value))
                add("redis", "channel-layer", f"CHANNEL_LAYERS[{alias!r}]", value, "CHANNEL_LAYERS")
    es = s.get("ELASTICSEARCH_DSL")
    if isinstance(es, dict):
        named.add("ELASTICSEARCH_DSL")
        conf = es.get("default", {})
        hosts = conf.get("hosts") if isinstance(conf, dict) else None
        add("elasticsearch", "search", "ELASTICSEARCH_DSL['default']", hosts, "ELASTICSEARCH_DSL")
    haystack = s.get("HAYSTACK_CONNECTIONS")
    if isinstance(haystack, dict):
        named.add("HAYSTACK_CONNECTIONS")
        for alias, conf in haystack.items():
            if isinstance(conf, dict) and "elasticsearch" in str(conf.get("ENGINE", "")).lower():
                add(
                    "elasticsearch",
                    "search",
                    f"HAYSTACK_CONNECTIONS[{alias!r}]",
                    conf.get("URL"),
                    "HAYSTACK_CONNECTIONS",
                )
    for name, a in sorted(s.names.items()):
        if not name.isupper() or name in named or name in ("DATABASES", "CACHES", "CHANNEL_LAYERS"):
            continue
        value = a.value
        loc = value.default if isinstance(value, EnvRef) and value.has_default else value
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
            loc = value[0]
        if "ELASTIC" in name or "OPENSEARCH" in name:
            if name.endswith(("_URL", "_HOST", "_HOSTS", "_URLS")):
                named.add(name)
                add("elasticsearch", "search", name, value, name)
            continue
        if not isinstance(loc, str) or "://" not in loc:
            continue
        kind = url_kind(loc)
        if kind and kind not in ("sqlite",):
            role = {"redis": "other", "rabbitmq": "broker"}.get(kind, "other")
            add(kind, role, name, value, name)
    model.services = out


# -- deploy files --------------------------------------------------------------------------------


def _read_deploy_files(model: ProjectModel, walk: _Walk) -> None:
    for path in walk.dockerfiles:
        f = model.cache.text(path)
        if f.text is None:
            model.deploy_problems.append((f.rel, f.problem.message if f.problem else "unreadable"))
            continue
        df = parse_dockerfile(f.text, f.rel)
        model.dockerfiles.append(df)
        model.deploy_problems.extend((f.rel, p) for p in df.problems)
    for path in walk.compose:
        f = model.cache.text(path)
        if f.text is None:
            model.deploy_problems.append((f.rel, f.problem.message if f.problem else "unreadable"))
            continue
        cf = parse_compose(f.text, f.rel)
        model.compose_files.append(cf)
        model.deploy_problems.extend((f.rel, p) for p in cf.problems)
    for path in walk.procfiles:
        f = model.cache.text(path)
        if f.text is not None:
            entries, problems = parse_procfile(f.text)
            model.procfiles[f.rel] = entries
            model.deploy_problems.extend((f.rel, p) for p in problems)
    for path in walk.scripts[:200]:
        f = model.cache.text(path)
        if f.text is not None:
            commands, problems = parse_shell_script(f.text)
            model.scripts[f.rel] = commands
            model.deploy_problems.extend((f.rel, p) for p in problems)
    for path in walk.makefiles:
        f = model.cache.text(path)
        if f.text is not None:
            model.makefiles[f.rel] = parse_makefile(f.text)
    for path in walk.ci:
        f = model.cache.text(path)
        if f.text is None:
            continue
        commands: list[ScriptCommand] = []
        for lineno, line in enumerate(f.text.splitlines(), 1):
            stripped = line.strip().lstrip("-").strip()
            if stripped.startswith(("run:", "script:")):
                stripped = stripped.split(":", 1)[1].strip()
            if "manage.py" in stripped or "django-admin" in stripped:
                commands.extend(split_shell(stripped.strip("|>\"' "), lineno))
        model.ci_files[f.rel] = commands


def settings_chain(project: ProjectModel) -> set[str]:
    """The dotted names of the production settings module and what it star-imports."""
    production = project.settings_modules.get(project.production_module) or project.settings
    chain = [production]
    seen = {production.dotted}
    while chain and len(seen) < 50:
        module = chain.pop()
        for dotted in [*module.star_imports, *module.includes]:
            other = project.settings_modules.get(dotted)
            if other is not None and other.dotted not in seen:
                seen.add(other.dotted)
                chain.append(other)
    return seen


def database_url_reads(project: ProjectModel) -> list[str]:
    """Variables read as a database URL anywhere in the production settings, in any branch
    (`if env("DATABASE_URL"): DATABASES = {...dj_database_url.config()}` included): setting
    them makes the branch that reads them the one that runs."""
    found: list[str] = []
    for dotted in sorted(settings_chain(project)):
        module = project.settings_modules.get(dotted)
        for use in module.env_uses if module else []:
            ref = use.ref
            url_read = ref is not None and (ref.cast == "db" or ref.api == "dj-database-url")
            if use.var and use.setting == "DATABASES" and url_read and use.var not in found:
                found.append(use.var)
    return found
