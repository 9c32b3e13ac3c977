"""What serves the project: the app servers and process managers djfix recognises in a start
command, the project's WSGI/ASGI modules, and what Channels brings with it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from fixer.discovery.dependencies import lowest_version
from fixer.project import ProjectModel

APP_SERVERS = ("gunicorn", "uvicorn", "daphne", "hypercorn", "granian")
PROCESS_MANAGERS = ("supervisord", "circus", "honcho")


def app_modules(project: ProjectModel) -> list[str]:
    """The project's WSGI/ASGI modules: from WSGI_APPLICATION / ASGI_APPLICATION, and the
    wsgi.py / asgi.py beside them or next to the settings package (a Channels routing module
    named by ASGI_APPLICATION is served through an asgi.py beside it)."""
    out: list[str] = []
    for dotted in (project.wsgi_application, project.asgi_application):
        if dotted and "." in dotted:
            module = dotted.rsplit(".", 1)[0]
            if module not in out:
                out.append(module)
            package = module.rsplit(".", 1)[0] if "." in module else ""
            for leaf in ("wsgi", "asgi"):
                entry = f"{package}.{leaf}" if package else ""
                if entry and entry not in out and project.module_path(entry) is not None:
                    out.append(entry)
    if out:
        return out
    parts = project.settings_module.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        for leaf in ("wsgi", "asgi"):
            module = f"{prefix}.{leaf}"
            if project.module_path(module) is not None and module not in out:
                out.append(module)
        if out:
            break
    return out


def channels_bundles_daphne(project: ProjectModel) -> bool:
    """Channels before 4 installs daphne itself (a pinned range), so daphne serves the project
    without being declared; declaring another daphne could clash."""
    req = project.packages.get("channels")
    if req is None:
        return False
    version = lowest_version(req.spec)
    return version is not None and version < (4, 0)


@dataclass(frozen=True)
class EntryHealthPath:
    """A health path the WSGI/ASGI entry module answers itself, before Django sees the request
    (`application = health_check(application, "/health/")`, or a wrapper comparing
    `scope["path"] == "/health"`)."""

    rel: str
    line: int
    path: str


#: a health path written out: "/health", "/health/", "/healthz", "/api/health/"
_HEALTH_PATH = re.compile(r"^/(?:[\w.-]+/)*[\w.-]*health[\w.-]*/?$", re.I)
#: what a request's path is read from in an entry point: ASGI scope["path"], WSGI PATH_INFO
_REQUEST_PATH = re.compile(r"""["'](?:path|raw_path|PATH_INFO)["']|\bpath(?:_info)?\b""")


def _health_literals(node: ast.AST) -> list[str]:
    values = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return [
        v.value
        for v in values
        if isinstance(v, ast.Constant) and isinstance(v.value, str) and _HEALTH_PATH.match(v.value)
    ]


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def entry_health_paths(project: ProjectModel) -> list[EntryHealthPath]:
    """The health paths the project's WSGI/ASGI entry modules answer themselves, read
    statically: a path literal compared with the request's path (`scope["path"]`,
    `environ["PATH_INFO"]`), or passed to a wrapper whose name says health
    (`health_check(application, "/health/")`). The path is taken as written: a wrapper that
    compares exactly answers "/health/" and not "/health"."""
    found: list[EntryHealthPath] = []
    for module in app_modules(project):
        path = project.module_path(module)
        tree = project.python(path).tree if path is not None else None
        if tree is None or path is None:
            continue
        rel = project.rel(path)
        for node in ast.walk(tree):
            literals: list[str] = []
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(_REQUEST_PATH.search(ast.unparse(side)) for side in sides):
                    literals = [text for side in sides for text in _health_literals(side)]
            elif isinstance(node, ast.Call) and "health" in _callee(node).lower():
                arguments = [*node.args, *(k.value for k in node.keywords)]
                literals = [text for arg in arguments for text in _health_literals(arg)]
            for text in literals:
                entry = EntryHealthPath(rel, getattr(node, "lineno", 1), text)
                if entry not in found:
                    found.append(entry)
    return found


def entry_answers(project: ProjectModel, url_path: str) -> EntryHealthPath | None:
    """The entry module's own answer to GET `url_path`, or None."""
    return next((e for e in entry_health_paths(project) if e.path == url_path), None)
