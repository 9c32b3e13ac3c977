"""The `common` Django app that djfix adds to a project: a health endpoint that answers before
host validation, and startup probes for the services the settings configure.

The app is rendered from `templates/common_app/<module>.py.jinja`. The templates receive the
label, the project's Django and Python versions, and the services found by discovery as plain
data: how to probe each one, where its address lives in the settings at run time and which
environment variable configures it. Addresses and credentials are never rendered: the generated
code reads them from `django.conf.settings` when it runs, so it follows the environment.
"""

from __future__ import annotations

import ast
import json
import keyword
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixer.analysis.services import networked
from fixer.discovery.walk import SKIP_DIRS
from fixer.errors import UsageError
from fixer.project import ProjectModel, Service, database_url_by_name, database_url_reads
from fixer.templating import render

DEFAULT_LABEL = "common"
MODULES = ("__init__", "apps", "middleware", "views", "urls", "startup")
CONFIG_CLASS = "CommonConfig"
MIDDLEWARE_CLASS = "HealthCheckMiddleware"
MAX_LABEL_TRIES = 100

#: where the address of a service lives below a settings container it is found in
_ADDRESS_KEYS = {
    "CACHES": ("LOCATION",),
    "CHANNEL_LAYERS": ("CONFIG", "hosts"),
    "ELASTICSEARCH_DSL": ("hosts",),
    "HAYSTACK_CONNECTIONS": ("URL",),
}
_SETTING = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(.+)\])?$")
#: kinds whose setting holds a host the probe cannot reach on its own (AWS endpoints)
_UNPROBED_KINDS = {"sqs"}
_TCP_PORTS = {
    "memcached": 11211,
    "mongodb": 27017,
    "kafka": 9092,
    "nats": 4222,
    "mqtt": 1883,
    "postgresql": 5432,
    "mysql": 3306,
    "oracle": 1521,
}


def middleware_path(label: str) -> str:
    """The MIDDLEWARE entry of the app (first in the list)."""
    return f"{label}.middleware.{MIDDLEWARE_CLASS}"


def app_config_path(label: str) -> str:
    """The INSTALLED_APPS entry of the app."""
    return f"{label}.apps.{CONFIG_CLASS}"


def urls_module(label: str) -> str:
    """The app's URLconf, to include under `common/`."""
    return f"{label}.urls"


def health_view(label: str) -> str:
    """The dotted path of the health view, to route at `health` in the root URLconf."""
    return f"{label}.views.health"


def check_label(label: str) -> None:
    """Raise UsageError unless `label` can name both a Python package and a Django app."""
    if not label.isidentifier() or keyword.iskeyword(label) or not label.isascii():
        raise UsageError(
            f"common-app-label {label!r} is not a valid Python package name "
            "(letters, digits and underscores, not starting with a digit)"
        )


#: how deep below the repository root an app's modules may sit
APPS_SEARCH_DEPTH = 6
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _app_configs(tree: ast.Module | None) -> list[ast.ClassDef]:
    """The classes of a module that subclass an AppConfig."""
    out = []
    for node in tree.body if tree else []:
        if isinstance(node, ast.ClassDef) and any(
            (b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")).endswith("AppConfig")
            for b in node.bases
        ):
            out.append(node)
    return out


def _class_constant(cls: ast.ClassDef, attr: str) -> Any:
    for stmt in cls.body:
        if (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Constant)
            and any(isinstance(t, ast.Name) and t.id == attr for t in stmt.targets)
        ):
            return stmt.value.value
    return None


def _config_label(cls: ast.ClassDef, module: str) -> str:
    """AppConfig.label as Django computes it: the explicit `label`, else the last component of
    `name` (the app module; `module` when the name is not a literal)."""
    label = _class_constant(cls, "label")
    if isinstance(label, str):
        return label
    name = _class_constant(cls, "name")
    return (name if isinstance(name, str) else module).rpartition(".")[2]


def _module_tree(project: ProjectModel, dotted: str) -> ast.Module | None:
    path = project.module_path(dotted)
    return project.python(path).tree if path is not None else None


def entry_labels(project: ProjectModel, entry: str, depth: int = 0) -> set[str]:
    """The labels an INSTALLED_APPS entry may give its app, computed as Django does: an
    AppConfig path gives that config's label; an app module gives the last component of its
    name, or the label of the config Django picks for it: from Django 3.2 the one in apps.py
    marked `default = True` or the only one there; before 4.1 the one `default_app_config`
    names. When the project's Django is unknown, every rule that may apply counts."""
    owner, _, cls_name = entry.rpartition(".")
    if project.module_path(entry) is None and owner:
        for cls in _app_configs(_module_tree(project, owner)):
            if cls.name == cls_name:
                return {_config_label(cls, owner.removesuffix(".apps"))}
    labels = {entry.rpartition(".")[2]}
    version = project.django_version
    if version is None or version >= (3, 2):
        configs = [
            c
            for c in _app_configs(_module_tree(project, f"{entry}.apps"))
            if _class_constant(c, "default") is not False
        ]
        marked = [c for c in configs if _class_constant(c, "default") is True]
        chosen = marked or (configs if len(configs) == 1 else [])
        labels.update(_config_label(c, entry) for c in chosen[:1])
    if version is None or version < (4, 1):
        tree = _module_tree(project, entry)
        for stmt in tree.body if tree else []:
            if (
                isinstance(stmt, ast.Assign)
                and any(
                    isinstance(t, ast.Name) and t.id == "default_app_config" for t in stmt.targets
                )
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
                and depth < 3  # a default_app_config naming a module that names another
            ):
                labels.update(entry_labels(project, stmt.value.value, depth + 1))
    return labels


def files_named(project: ProjectModel, name: str) -> list[Path]:
    """Every file called `name` below the repository root, virtual environments and tool
    folders left out (on disk: a file a plan creates is not one of them). The repository is
    walked once per run for every name asked."""
    by_name = project.cache.store.remember(
        ("files-by-name", project.root), lambda: _files_by_name(project.root)
    )
    return [Path(folder) / name for folder in by_name.get(name, ())]


def _files_by_name(root: Path) -> dict[str, list[str]]:
    """The folders (as walked) holding a file, by the file's name."""
    out: dict[str, list[str]] = {}
    root_depth = len(root.parts)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        depth = len(Path(dirpath).parts) - root_depth
        if "pyvenv.cfg" in filenames:
            dirnames[:] = []
            continue
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS
            and not d.startswith(".")
            and not d.endswith(".egg-info")
            and depth < APPS_SEARCH_DEPTH
        )
        for name in filenames:
            out.setdefault(name, []).append(dirpath)
    return out


def taken_labels(project: ProjectModel) -> set[str]:
    """Every app label the project may already use: those of its INSTALLED_APPS entries, and,
    since a list computed at run time may install any of them, those of every AppConfig in the
    repository and of every dotted name the settings modules spell when INSTALLED_APPS cannot
    be read statically."""
    entries = set(project.installed_apps)
    value = project.settings.get("INSTALLED_APPS")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        for rel in project.settings_rels:
            tree = project.python(project.root / rel).tree
            for node in ast.walk(tree) if tree else []:
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and _DOTTED.match(node.value)
                ):
                    entries.add(node.value)
    labels: set[str] = set()
    for entry in entries:
        labels |= entry_labels(project, entry)
    for apps_py in files_named(project, "apps.py"):
        module = ".".join(project.rel(apps_py.parent).split("/"))
        for cls in _app_configs(project.python(apps_py).tree):
            labels.add(_config_label(cls, module))
    return labels


def _taken(project: ProjectModel, name: str, labels: set[str]) -> bool:
    if name in labels or project.local_app(name) is not None:
        return True
    for entry in project.installed_apps:
        # conservative: "x.common.apps.Config" and "common" both claim the name
        if name in entry.split("."):
            return True
    root = project.source_root
    if (root / name).exists() or (root / f"{name}.py").exists():
        return True
    if name in sys.stdlib_module_names:
        return True  # a local package would shadow the standard library module
    return name.replace("_", "-").lower() in project.packages


def choose_label(project: ProjectModel, wanted: str = DEFAULT_LABEL) -> str:
    """`wanted` when nothing in the project claims that name (the label of an app it installs
    or defines, computed as Django does, a top-level module or package below the source root,
    a dependency, a standard library module), else the first free name of `djfix_<wanted>`,
    `djfix_<wanted>2`, ..."""
    check_label(wanted)
    labels = taken_labels(project)
    if not _taken(project, wanted, labels):
        return wanted
    for n in range(1, MAX_LABEL_TRIES + 1):
        candidate = f"djfix_{wanted}" if n == 1 else f"djfix_{wanted}{n}"
        if not _taken(project, candidate, labels):
            return candidate
    raise UsageError(
        f"cannot find a free name for the common app: {wanted!r} and "
        f"djfix_{wanted} .. djfix_{wanted}{MAX_LABEL_TRIES} are all taken; "
        "set common-app-label"
    )


# -- what the templates receive ------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One service as startup.py sees it."""

    name: str  # e.g. "redis (CACHES['default'])"
    probe: str  # redis, amqp, elasticsearch or tcp
    setting: tuple[str, ...]  # the path to the address below django.conf.settings
    env: str | None  # the environment variable that configures it
    required: bool  # False: a failure is logged and the start goes on
    backend: str | None  # a word the BACKEND next to the address must contain
    port: int | None  # the port to use when the address names none


def literal(value: Any) -> str:
    """`value` (str, int, bool, None, or a tuple of them) as Python source that reads back as
    the same value on every Python 3. Strings use double quotes, like the rest of the code."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # escapes quotes, backslashes, control and non-ASCII characters
    if isinstance(value, tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    raise TypeError(f"cannot render {type(value).__name__} as a literal")


def _setting_path(setting: str) -> tuple[str, ...] | None:
    """("CACHES", "default", "LOCATION") for "CACHES['default']"; None for a shape the
    generated code could not look up."""
    m = _SETTING.match(setting)
    if m is None:
        return None
    name, key = m.group(1), m.group(2)
    if key is None:
        return (name,)
    if name not in _ADDRESS_KEYS:
        return None
    try:
        alias = ast.literal_eval(key)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(alias, str):
        return None
    return (name, alias, *_ADDRESS_KEYS[name])


def _probe_kind(service: Service) -> str | None:
    if service.kind in _UNPROBED_KINDS:
        return None
    if service.kind == "redis":
        return "redis"
    if service.kind == "elasticsearch":
        return "elasticsearch"
    if service.kind == "rabbitmq" or service.role == "broker":
        return "amqp"
    return "tcp"


def _port(service: Service, probe: str) -> int | None:
    """The port of the service when its address names none."""
    return {"redis": 6379, "amqp": 5672, "elasticsearch": 9200}.get(probe) or _TCP_PORTS.get(
        service.kind
    )


def _backend(service: Service, path: tuple[str, ...]) -> str | None:
    """The word the BACKEND (or ENGINE) of a CACHES, CHANNEL_LAYERS or HAYSTACK_CONNECTIONS entry
    must contain at run time for its address to be this service's: an environment may swap
    the Redis cache for a local-memory one, whose LOCATION is no address."""
    if path[0] not in ("CACHES", "CHANNEL_LAYERS", "HAYSTACK_CONNECTIONS"):
        return None
    return {"redis": "redis", "memcached": "memcache", "elasticsearch": "elasticsearch"}.get(
        service.kind
    )


def _duplicate(service: Service, others: list[Service]) -> bool:
    """A plain setting (REDIS_URL = ...) that holds the address of a service already listed
    under its real use (the cache that reads it): probe it once, under that use."""
    if service.role != "other":
        return False
    for other in others:
        if other is service or other.role == "other" or other.kind != service.kind:
            continue
        if service.env_var is not None and service.env_var == other.env_var:
            return True
        if service.location is not None and service.location == other.location:
            return True
    return False


def probes(project: ProjectModel) -> list[Probe]:
    """The services besides the databases that startup.py probes, in discovery order."""
    services = [s for s in networked(project) if s.role != "database"]
    out: list[Probe] = []
    seen: set[tuple[str, ...]] = set()
    for service in services:
        kind = _probe_kind(service)
        path = _setting_path(service.setting)
        port = _port(service, kind) if kind else None
        # without a port to try when the address names none, the service is left to the detector
        if kind is None or port is None or path is None or path in seen:
            continue
        if _duplicate(service, services):
            continue
        seen.add(path)
        out.append(
            Probe(
                name=f"{service.kind} ({service.setting})",
                probe=kind,
                setting=path,
                env=service.env_var,
                # Redis used only as a cache is optional: the site works without it, slower
                required=not (service.kind == "redis" and service.role == "cache"),
                backend=_backend(service, path),
                port=port,
            )
        )
    return out


def database_env(project: ProjectModel) -> dict[str, str]:
    """{alias: environment variable} for the messages about each database alias.
    SQLite aliases count too: their URL often comes from the environment and names a networked
    database in production."""
    out: dict[str, str] = {}
    for service in project.services:
        if service.role != "database" or not service.env_var:
            continue
        m = _SETTING.match(service.setting)
        if m is None or m.group(1) != "DATABASES" or m.group(2) is None:
            continue
        try:
            alias = ast.literal_eval(m.group(2))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(alias, str):
            out.setdefault(alias, service.env_var)
    # a URL read in a branch the static value does not show (a CI branch written out in full
    # comes last, or `if env("DATABASE_URL"): ... else: <DB_HOST & co>`): a deployment may set
    # either, so the message names both
    # (or one only its name says is the database's, where DATABASES is the result of the
    # project's own code)
    url_var = next(iter(database_url_reads(project)), None) or database_url_by_name(project)
    if url_var and out.get("default") != url_var:
        out["default"] = f"{url_var} or {out['default']}" if "default" in out else url_var
    return out


def app_files(project: ProjectModel, label: str) -> dict[str, str]:
    """{path relative to the repository root: text} of every module of the app, placed in the
    folder `label` below the project's source root."""
    check_label(label)
    version = project.django_version
    service_probes = probes(project)
    context = {
        "label": label,
        "config_class": CONFIG_CLASS,
        "middleware_class": MIDDLEWARE_CLASS,
        "django_version": version,
        "python_version": project.python_version,
        # The INSTALLED_APPS entry names the AppConfig, which every Django since 1.7 follows;
        # default_app_config serves a bare "<label>" entry, which Django < 3.2 does not resolve
        # to the config on its own. Django 3.2 and 4.0 warn that it is not needed and 4.1 ignores
        # it, so it is left out when the project is known to run 3.2 or later.
        "default_app_config": version is None or version < (3, 2),
        # path() exists from Django 2.0 on; url() until 3.2. When the lower bound is older or
        # unknown the project may run either, so urls.py picks one at import time.
        "use_path": version is not None and version >= (2, 0),
        "services": service_probes,
        "probe_kinds": {p.probe for p in service_probes},
        "database_env": database_env(project),
        "py": literal,
    }
    folder = project.source_root / label
    return {
        project.rel(folder / f"{module}.py"): render(f"common_app/{module}.py.jinja", **context)
        for module in MODULES
    }
