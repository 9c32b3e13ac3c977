"""The app server of the generated api image (item 1, with item 3): the one the old image already
ran the project's module with (gunicorn, uvicorn or daphne, kept), else gunicorn on the WSGI
module, uvicorn workers for a project with only an ASGI module, daphne for a Channels project
whose ASGI entry point loads; and the command that starts it on `$PORT`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fixer.analysis.app_server import channels_bundles_daphne
from fixer.analysis.image import api_image
from fixer.parsers.commands import server_commands
from fixer.project import ProjectModel
from fixer.templating import render as render_template


@dataclass
class ServerChoice:
    server: str
    #: `module:application`
    target: str
    #: packages the dependency file must declare for it
    packages: list[str]
    #: files the choice needs that the project lacks ({repository path: text})
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_TARGET = re.compile(r"^([A-Za-z_][\w.]*)(?::([A-Za-z_][\w.]*))?$")
#: what in a module's source shows it is an ASGI/WSGI entry point: Django is set up in it
_ENTRY_POINT = re.compile(
    r"get_(?:asgi|wsgi)_application|get_default_application|django\.setup\(|\bsetup\(\)"
)


def _module_text(project: ProjectModel, module: str) -> str | None:
    path = project.module_path(module)
    if path is None:
        return None
    return project.cache.text(path).text


def _server_packages(project: ProjectModel, server: str) -> list[str]:
    if server == "daphne" and channels_bundles_daphne(project):
        return []
    return {
        "gunicorn": ["gunicorn"],
        "gunicorn-uvicorn": ["gunicorn", "uvicorn"],
        "uvicorn": ["uvicorn"],
        "daphne": ["daphne"],
    }[server]


def _old_server(project: ProjectModel) -> ServerChoice | None:
    """The app server the old image already ran on one of this project's modules: a working
    start is kept (uvicorn stays uvicorn)."""
    image = api_image(project)
    if image is None:
        return None
    commands = list(image.start)
    for script in image.scripts.values():
        commands.extend(script)
    commands.extend(c for _, c in image.programs)
    for server, argv in server_commands(commands):
        if server not in ("gunicorn", "uvicorn", "daphne"):
            continue
        args = argv[1:]
        if server == "gunicorn" and any("UvicornWorker" in a for a in args):
            server = "gunicorn-uvicorn"
        for arg in args:
            m = _TARGET.match(arg)
            if m is None or ("." not in m[1] and m[2] is None):
                continue
            module, attr = m[1], m[2] or "application"
            text = _module_text(project, module)
            if text is None or not re.search(rf"^\s*{re.escape(attr)}\s*=", text, re.M):
                continue
            if server == "uvicorn" and not project.has_package("uvicorn"):
                break
            return ServerChoice(server, f"{module}:{attr}", _server_packages(project, server))
    return None


def _asgi_choice(project: ProjectModel, dotted: str) -> ServerChoice | None:
    module, attr = dotted.rsplit(".", 1)
    text = _module_text(project, module)
    if text is None:
        return None
    target = f"{module}:{attr}"
    channels = project.has_package("channels")
    if _ENTRY_POINT.search(text) or not channels:
        if channels and (project.has_package("daphne") or channels_bundles_daphne(project)):
            server = "daphne"
        elif project.has_package("uvicorn") and not project.has_package("gunicorn"):
            server = "uvicorn"
        else:
            server = "gunicorn-uvicorn"
        return ServerChoice(server, target, _server_packages(project, server))
    # Channels 2 style: ASGI_APPLICATION names the routing, which imports consumers and models
    # before Django is set up; an ASGI server cannot load it alone, so an entry point sets
    # Django up first
    package = module.rsplit(".", 1)[0] if "." in module else project.settings_module.split(".")[0]
    entry = f"{package}.asgi"
    server = (
        "daphne"
        if project.has_package("daphne") or channels_bundles_daphne(project)
        else ("gunicorn-uvicorn")
    )
    choice = ServerChoice(server, f"{entry}:application", _server_packages(project, server))
    existing = _module_text(project, entry)
    if existing is not None:
        if _ENTRY_POINT.search(existing) and re.search(r"^application\s*=", existing, re.M):
            return choice
        return None
    path = project.module_path(package)
    if path is None:
        return None
    folder = path.parent if path.name == "__init__.py" else path.with_suffix("")
    rel = project.rel(folder / "asgi.py")
    choice.files[rel] = render_template(
        "docker/asgi_entry.py.jinja",
        settings_module=project.production_module or project.settings_module,
        routing=module,
        attr=attr,
    )
    choice.notes.append(
        f"ASGI_APPLICATION names the Channels routing ({dotted}), which an ASGI server cannot "
        f"load before Django is set up: {rel} sets Django up and serves it"
    )
    return choice


def server_choice(project: ProjectModel) -> ServerChoice:
    """The app server and the module it serves: the old image's when it already served one of
    the project's modules, else from ASGI_APPLICATION / WSGI_APPLICATION, else the wsgi.py or
    asgi.py that exists."""
    old = _old_server(project)
    if old is not None:
        return old
    notes: list[str] = []
    asgi = project.asgi_application
    if asgi and "." in asgi:
        choice = _asgi_choice(project, asgi)
        if choice is not None:
            return choice
        notes.append(
            f"ASGI_APPLICATION ({asgi}) cannot be served as it is: the image serves the "
            "project over WSGI, without websockets"
        )
    package = project.settings_module.split(".")[0]
    candidates = []
    wsgi = project.wsgi_application
    if wsgi and "." in wsgi:
        candidates.append(("gunicorn", wsgi))
    candidates += [("gunicorn", f"{package}.wsgi.application")]
    candidates += [("gunicorn-uvicorn", f"{package}.asgi.application")]
    for server, dotted in candidates:
        module, attr = dotted.rsplit(".", 1)
        if _module_text(project, module) is not None:
            choice = ServerChoice(server, f"{module}:{attr}", _server_packages(project, server))
            choice.notes.extend(notes)
            return choice
    notes.append(f"no WSGI or ASGI module was found: the image serves {package}.wsgi")
    return ServerChoice("gunicorn", f"{package}.wsgi:application", ["gunicorn"], notes=notes)


def server_command(server: str, target: str) -> list[str]:
    """The exec-form CMD. gunicorn reads PORT (bind 0.0.0.0:$PORT) and WEB_CONCURRENCY itself;
    uvicorn reads WEB_CONCURRENCY; daphne reads neither, so a shell expands PORT and execs it."""
    if server == "gunicorn":
        return ["gunicorn", target, "--access-logfile", "-"]
    if server == "gunicorn-uvicorn":
        return ["gunicorn", target, "--worker-class", "uvicorn.workers.UvicornWorker"]
    if server == "uvicorn":
        return [
            "sh",
            "-c",
            f'exec uvicorn {target} --host 0.0.0.0 --port "${{PORT:-8000}}" --proxy-headers',
        ]
    return [
        "sh",
        "-c",
        f'exec daphne --bind 0.0.0.0 --port "${{PORT:-8000}}" --access-log - --proxy-headers '
        f"{target}",
    ]
