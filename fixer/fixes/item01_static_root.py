"""STATIC_ROOT in the image djfix generates (items 1-4): the folder the collectstatic stage
writes, which the `static` (nginx) stage copies, the api stage reads the manifest from, the
.dockerignore leaves out, compose's volumes and the writable folders step around.

djfix reads it from the settings where it can (`BASE_DIR / "static"`, an absolute literal, a
folder derived from `__file__`). A value computed where djfix cannot follow it (a helper of the
project's own: `resolve_install_paths(os.path.dirname(__file__), os.environ).root`) is asked of
the project itself, when apply has an interpreter: the production settings are loaded in a
temporary copy of the planned tree (no `.env`, no local configuration module: what the build
context holds), with the collectstatic stage's build-only variables, databases on SQLite, a
working folder outside the copy and a timeout, and the folder it names inside the repository
becomes the same folder under /app. Asked at plan time, not in the image (a `manage.py shell`
in the collectstatic stage moving the files to a fixed folder): the api stage's manifest COPY,
the .dockerignore, compose's volume mapping and the writable folders all need the path when
the files are written, and a Dockerfile that names the real folder reads as the project is.
Without an interpreter (`--python none`) the image collects to /app/staticfiles and the note
says how to check the folder. MEDIA_ROOT computed the same way is asked in the same run, so the
api image makes it its user's (never one read from the environment: the build's placeholder is
not the deployment's folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fixer.analysis.app_paths import IMAGE_APP_DIR, AppPath, data_paths, image_path, path_bases
from fixer.analysis.local_config import local_modules
from fixer.django_runner import SettingPath, settings_paths
from fixer.project import ProjectModel
from fixer.settings_values import EnvRef, Unknown

#: where collectstatic writes in the image when djfix knows no better
DEFAULT_STATIC_ROOT = "/app/staticfiles"
#: the options key holding what the project said (`ComputedStaticRoot`)
OPTION = "computed-static-root"
#: the folders the app writes to that are asked with STATIC_ROOT where djfix cannot read them
_DATA = ("MEDIA_ROOT",)


@dataclass(frozen=True)
class ComputedStaticRoot:
    """STATIC_ROOT as the project computed it: the image path, or why there is none."""

    path: str | None
    shown: str = ""
    why: str = ""
    #: the folders the app writes to that the project computed too (MEDIA_ROOT), each with the
    #: value as it showed
    data: tuple[tuple[AppPath, str], ...] = ()


def static_paths(
    project: ProjectModel, options: dict[str, Any] | None = None
) -> tuple[str, str, list[str]]:
    """(STATIC_ROOT in the image, URL prefix nginx serves it under, notes)."""
    notes: list[str] = []
    url = project.settings.get("STATIC_URL")
    url = url if isinstance(url, str) and not url.startswith(("http:", "https:", "//")) else None
    url_path = "/" + (url or "static/").strip("/") + "/"
    value = project.settings.get("STATIC_ROOT")
    path = image_path(value, path_bases(project))
    if path is not None and path != IMAGE_APP_DIR:
        return path.rstrip("/"), url_path, notes
    if value is None:
        return DEFAULT_STATIC_ROOT, url_path, notes
    text = _described(value)
    computed = (options or {}).get(OPTION)
    if isinstance(computed, ComputedStaticRoot):
        for path, shown in computed.data:
            notes.append(
                f"{path.setting} as the project computes it: {shown}, {path.path} in the image, "
                "which the api image makes its user's"
            )
    if isinstance(computed, ComputedStaticRoot) and computed.path:
        notes.append(
            f"STATIC_ROOT as the project computes it: {computed.shown} ({text}), "
            f"{computed.path} in the image; collectstatic writes there and the static stage "
            "copies it"
        )
        return computed.path, url_path, notes
    if isinstance(computed, ComputedStaticRoot):
        notes.append(
            f"STATIC_ROOT ({text}) is not a folder of the code djfix can read, and the project "
            f"could not tell it ({computed.why}): the static stage copies {DEFAULT_STATIC_ROOT}; "
            f"{_check(project)}"
        )
    else:
        notes.append(
            f"STATIC_ROOT ({text}) is not a folder of the code djfix can read, and no "
            f"interpreter was given to ask the project: the static stage copies "
            f"{DEFAULT_STATIC_ROOT}; {_check(project)}"
        )
    return DEFAULT_STATIC_ROOT, url_path, notes


def _check(project: ProjectModel) -> str:
    manage = project.manage_py or "manage.py"
    return (
        f"run `python {manage} diffsettings | grep ^STATIC_ROOT` with the Dockerfile's "
        "build-only variables, and where it names another folder, put that folder (under "
        f"/app, where the image holds manage.py's folder) in place of {DEFAULT_STATIC_ROOT} in "
        "the Dockerfile and .dockerignore"
    )


def needs_asking(project: ProjectModel) -> bool:
    """STATIC_ROOT is set, to a value djfix cannot place in the image."""
    value = project.settings.get("STATIC_ROOT")
    if value is None:
        return False
    path = image_path(value, path_bases(project))
    return path is None or path == IMAGE_APP_DIR


def ask(
    project: ProjectModel,
    python: str | None,
    overlay: dict[str, str],
    variables: dict[str, str],
    settings_module: str,
) -> ComputedStaticRoot:
    """STATIC_ROOT as the project's settings compute it in the planned tree (the original one
    when the planned settings do not load with this interpreter: they may need a package the
    change adds), as a path in the image; with it MEDIA_ROOT, where djfix cannot read it either
    (never an environment read: the build's placeholder is not the deployment's folder)."""
    # what the generated .dockerignore keeps out of the build context: `.env`, `.env.*` but the
    # example, each installation's configuration module
    env_files = sorted(
        p.name
        for p in project.root.glob(".env*")
        if (p.name == ".env" or p.name.startswith(".env.")) and p.name != ".env.example"
    )
    leave_out = (*env_files[:50], *(m.rel for m in local_modules(project, optional=True)))
    names = ["STATIC_ROOT", *(n for n in _DATA if _computed(project, n))]
    why = ""
    for tree in (overlay, None) if overlay else (None,):
        found, why = settings_paths(
            project,
            python,
            names,
            settings_module=settings_module,
            overlay=tree,
            variables=variables,
            leave_out=leave_out,
        )
        if not why:
            break
    if why:
        return ComputedStaticRoot(None, why=why)
    data: list[tuple[AppPath, str]] = []
    for name in names[1:]:
        media = found.get(name)
        path = _in_image(project, media)[0] if media is not None else None
        if media is not None and path is not None and path.startswith(IMAGE_APP_DIR + "/"):
            data.append((AppPath(name, path), media.shown))
    value = found.get("STATIC_ROOT")
    if value is None:
        return ComputedStaticRoot(None, why="it has no path", data=tuple(data))
    path, why = _in_image(project, value)
    return ComputedStaticRoot(path, value.shown, why, tuple(data))


def _computed(project: ProjectModel, name: str) -> bool:
    value = project.settings.get(name)
    return isinstance(value, Unknown) and image_path(value, path_bases(project)) is None


def _in_image(project: ProjectModel, value: SettingPath) -> tuple[str | None, str]:
    """(the path in the image a computed folder names, why there is none)."""
    if value.absolute is not None and value.absolute not in ("/", IMAGE_APP_DIR):
        return value.absolute, ""
    if value.absolute is not None:
        return None, f"it is {value.shown}, not a folder of its own"
    manage_dir = (project.manage_py or "").rpartition("/")[0]
    rel = value.rel
    if rel is not None and manage_dir:
        inside = rel == manage_dir or rel.startswith(manage_dir + "/")
        rel = rel[len(manage_dir) + 1 :] if inside else None
    if not rel:
        where = "the code folder itself" if rel == "" else "outside the code the image holds"
        return None, f"it is {value.shown}, {where}"
    return f"{IMAGE_APP_DIR}/{rel}", ""


def data_paths_computed(project: ProjectModel, options: dict[str, Any] | None) -> list[AppPath]:
    """What the settings have the app write to (`fixer.analysis.app_paths.data_paths`), with the
    folders the project computed where djfix could not read them (MEDIA_ROOT)."""
    out = data_paths(project)
    computed = (options or {}).get(OPTION)
    if isinstance(computed, ComputedStaticRoot):
        known = {p.setting for p in out}
        out.extend(path for path, _ in computed.data if path.setting not in known)
    return out


def _described(value: object) -> str:
    """A setting's value as a note shows it: the expression djfix could not read, the variable
    it is read from, or the value."""
    if isinstance(value, Unknown):
        return value.expr
    if isinstance(value, EnvRef):
        default = f", by default {value.default!r}" if value.has_default else ""
        return f"read from {value.var}{default}" if value.var else "read from the environment"
    return repr(value)
