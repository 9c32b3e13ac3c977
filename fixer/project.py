"""ProjectModel: everything djfix knows about the target repository, found statically, once.

The model is data: `fixer.discovery.discover()` builds it by walking and reading the repository,
never importing or running the target's code; the checks, fixes and verification read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixer.parsers.compose import ComposeFile
from fixer.parsers.dockerfile import Dockerfile
from fixer.parsers.procfile import ProcfileEntry
from fixer.parsers.shell import ScriptCommand
from fixer.settings_eval import resolve_module
from fixer.settings_values import SettingsModule, Unknown
from fixer.sources import PyFile, SourceCache


def normalise_package(name: str) -> str:
    """A distribution name as the package index compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


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
    #: the extras it is declared with, normalised (`psycopg[binary]` -> ("binary",))
    extras: tuple[str, ...] = ()


@dataclass
class DependencySource:
    kind: str  # requirements, pip-tools, pep621, pep735, poetry, uv, pipfile, setup.py, setup.cfg
    rel: str
    packages: list[Requirement] = field(default_factory=list)
    #: pep735: the pyproject.toml's [dependency-groups] group that declares Django
    group: str | None = None


@dataclass(frozen=True)
class InstallSource:
    """The dependency file an install reads: the one decision the generated image's builder and
    `djfix verify --install` both follow, so the environment verified is the one shipped."""

    source: DependencySource
    #: the file pip reads: the compiled requirements.txt of a pip-tools input, else source.rel
    rel: str
    #: the lock file the install follows (Pipfile.lock, poetry.lock, uv.lock), if any
    lock: str | None = None
    #: why this file, where another one declares Django too ("" where it is the only one):
    #: `requirements.txt (every package pinned with ==) rather than Pipfile (Django ~=5.0, no
    #: Pipfile.lock)`
    why: str = ""


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


@dataclass(frozen=True)
class FramedPage:
    """One `<iframe>` of the site's templates or front-end sources that may show a page of the
    site itself (`fixer.discovery.frames`)."""

    rel: str
    line: int
    src: str  # the address as written (a bound expression with its binding)

    def label(self) -> str:
        src = self.src if len(self.src) <= 60 else self.src[:57] + "..."
        return f"{self.rel}:{self.line}, <iframe {src}>"


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
    #: the file the image and `verify --install` install from (its .source is dependency_source)
    install_source: InstallSource | None = None
    django_version: tuple[int, int] | None = None
    #: the exact Django release the install source pins (`==4.2.3`) or its lock holds; None
    #: where a range leaves the release to pip
    django_pin: tuple[int, int, int] | None = None
    django_version_source: str | None = None
    python_version: str | None = None
    #: where the project's Python is a range (`requires-python = ">=3.8"`, poetry's `^3.8`):
    #: that range in pip's words, `python_version` being its lowest; None for one version
    python_spec: str | None = None
    python_version_source: str | None = None
    services: list[Service] = field(default_factory=list)
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    compose_files: list[ComposeFile] = field(default_factory=list)
    procfiles: dict[str, list[ProcfileEntry]] = field(default_factory=dict)
    scripts: dict[str, list[ScriptCommand]] = field(default_factory=dict)
    makefiles: dict[str, list[tuple[str, ScriptCommand]]] = field(default_factory=dict)
    ci_files: dict[str, list[ScriptCommand]] = field(default_factory=dict)
    deploy_problems: list[tuple[str, str]] = field(default_factory=list)  # (rel, message)
    #: frames of the site's own pages in its templates and front-end sources
    framed_pages: list[FramedPage] = field(default_factory=list)
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
        return any(normalise_package(n) in pkgs for n in names)

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


#: the names a database URL goes by: DATABASE_URL, DEFAULT_DATABASE_URL, DB_URL
_DATABASE_URL_NAME = re.compile(r"(?:[A-Z0-9]+_)*(?:DATABASE|DB)_URL")


def database_url_by_name(project: ProjectModel) -> str | None:
    """The variable named as a database URL that the production settings read, when DATABASES
    is computed by code discovery does not follow (`DATABASES = setup_database()`, a function
    that parses the module's DATABASE_URL itself) or changed under a condition (a Heroku-era
    `urlparse(os.environ["DATABASE_URL"])` into it); None when DATABASES is written out once
    or no such variable is read. Only a name: a run checks the settings took it."""
    where = project.settings.where("DATABASES")
    computed = isinstance(project.settings.get("DATABASES"), Unknown)
    # or written out in a branch, or changed under a condition the static value does not show
    # (`if "DATABASE_URL" in os.environ: url = urlparse(...); DATABASES["default"].update(...)`)
    if not computed and (where is None or not where.conditional):
        return None
    names = {
        use.var
        for dotted in settings_chain(project)
        if (module := project.settings_modules.get(dotted)) is not None
        for use in module.env_uses
        if use.var and _DATABASE_URL_NAME.fullmatch(use.var)
    }
    # the shortest first: DATABASE_URL before REPLICA_DATABASE_URL
    return min(names, key=lambda n: (len(n), n)) if names else None
