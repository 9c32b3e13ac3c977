"""What serves the project: the app servers and process managers djfix recognises in a start
command, the project's WSGI/ASGI modules, and what Channels brings with it.
"""

from __future__ import annotations

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
