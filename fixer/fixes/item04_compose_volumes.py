"""Where the volumes of a compose service go when it runs the generated api image instead of its
old one (item 4): a mount under the old image's WORKDIR follows the code to the same place under
the new one when the app keeps something there (MEDIA_ROOT, a SQLite file, logs); the collected
static files' volume goes, as the `static` image holds them. What each service ran before is
read from the Dockerfile it builds, and the configuration files of a service that served such a
volume (a reverse proxy) from its build folder and mounts."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixer.analysis.app_paths import ImageLayout
from fixer.analysis.image import (
    api_stage,
    app_dockerfile,
    final_workdir,
    is_web_server_image,
    stage_chain,
)
from fixer.fix_context import FixContext
from fixer.fixes.item04_nginx_proxy import MAX_CHARS
from fixer.parsers.compose import ComposeFile, short_volume
from fixer.project import ProjectModel


@dataclass(frozen=True)
class OldImage:
    """What djfix reads of the image a compose service ran before, from the Dockerfile it
    builds."""

    #: its WORKDIR (None where the Dockerfile does not say, or names a variable djfix cannot read)
    workdir: str | None = None
    #: a web server's image (nginx...), which never runs the app
    web_server: bool = False
    #: the app's image, which the generated api image takes the place of (analysis.image's
    #: app_dockerfile): a service that built it runs the api image now, whatever its command
    app: bool = False
    #: the user it runs as (its last USER; "root" without one), None where a variable hides it
    user: str | None = "root"


@dataclass(frozen=True)
class Placement:
    """What becomes of one volume entry of a service that now runs the api image."""

    #: "static" (dropped: the static image holds the files), "moved", "kept" (the app uses the
    #: path as it is), "unknown" (under the old WORKDIR, for nothing djfix knows) or "other"
    #: (not a question of the image's layout: the mount rules decide)
    kind: str
    source: str
    target: str
    new_target: str = ""
    #: the setting that names the path the volume holds
    setting: str = ""


def mount_parts(volume: Any) -> tuple[str, str]:
    """(source, target) of any volume entry: a named volume's name, a bind's path, "" for an
    anonymous volume's source."""
    if isinstance(volume, str):
        return short_volume(volume)
    if isinstance(volume, dict):
        source = volume.get("source", volume.get("src", ""))
        target = volume.get("target", volume.get("destination", volume.get("dst", "")))
        return str(source or ""), str(target or "")
    return "", ""


def under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def place(
    volume: Any, layout: ImageLayout, old_workdir: str | None, environment: list[str]
) -> Placement:
    """Where `volume` goes on a service that now runs the api image. `environment` is the
    service's environment values: a path it names is one the app is told to use, and stays."""
    source, target = mount_parts(volume)
    if not target.startswith("/") or "$" in target:
        return Placement("other", source, target)
    target = posixpath.normpath(target)
    new = target
    if (
        old_workdir
        and "$" not in old_workdir
        and old_workdir not in ("/", layout.workdir)
        and under(target, old_workdir)
    ):
        new = posixpath.normpath(
            posixpath.join(layout.workdir, posixpath.relpath(target, old_workdir))
        )
    if any(v and under(target, posixpath.normpath(v)) for v in environment if v.startswith("/")):
        return Placement("kept", source, target, target, "the service's environment")
    if layout.static_root and under(new, layout.static_root):
        return Placement("static", source, target, new, "STATIC_ROOT")
    used = next((p for p in layout.data if p.holds(new, layout.workdir)), None)
    if used is not None:
        return Placement("moved" if new != target else "kept", source, target, new, used.setting)
    if new != target:
        return Placement("unknown", source, target, new)
    return Placement("other", source, target)


def retarget(volume: Any, target: str) -> Any:
    """The volume entry mounted at `target`, in the same syntax and quoting (mode kept)."""
    if isinstance(volume, dict):
        key = next((k for k in ("target", "destination", "dst") if k in volume), "target")
        volume[key] = target
        return volume
    text = str(volume)
    source, old = short_volume(text)
    head = f"{source}:{old}" if source else old
    tail = text[len(head) :] if text.startswith(head) else ""
    new = f"{source}:{target}{tail}" if source else f"{target}{tail}"
    try:
        return type(volume)(new)  # ruamel's quoted scalar types keep the author's quotes
    except TypeError:
        return new


def environment_values(service: Any) -> list[str]:
    env = service.get("environment")
    if isinstance(env, dict):
        return [str(v) for v in env.values() if v is not None]
    if isinstance(env, list):
        return [str(item).partition("=")[2] for item in env]
    return []


def old_images(project: ProjectModel, cf: ComposeFile) -> dict[str, OldImage]:
    """What each service of the compose file built before, from the repository's Dockerfiles as
    they were (the project model is read before any plan): the WORKDIR of the stage it runs, and
    whether that is a web server's image."""
    out: dict[str, OldImage] = {}
    app = app_dockerfile(project)
    for service in cf.services:
        build: Any = service.build
        context = build if isinstance(build, str) else (build or {}).get("context") or "."
        if build is None or not isinstance(context, str) or "://" in context:
            continue
        folder = posixpath.normpath(posixpath.join(posixpath.dirname(cf.path), context))
        rel = posixpath.normpath(posixpath.join(folder, service.dockerfile or "Dockerfile"))
        df = next((d for d in project.dockerfiles if d.path == rel), None)
        if df is None:
            continue
        stage = df.stage(service.target) if service.target else api_stage(df)
        if stage is None:
            continue
        chain = stage_chain(df, stage)
        workdir = final_workdir(chain)
        user = next(
            (
                inst.value.strip()
                for stage_ in chain
                for inst in reversed(stage_.instructions)
                if inst.keyword == "USER"
            ),
            "root",
        )
        out[service.name] = OldImage(
            workdir=None if "$" in workdir else workdir,
            web_server=is_web_server_image(chain[-1].base),
            app=app is not None and df.path == app.path,
            user=None if "$" in user else user,
        )
    return out


#: configuration files of a service read at most, and how deep its build folder is searched
_MAX_CONFIGS = 20
_CONFIG_DEPTH = 2
_CONFIG_NAME = re.compile(r".*\.conf(\.template)?$")


def service_configs(ctx: FixContext, cf: ComposeFile, name: str) -> dict[str, str]:
    """The nginx-style configuration files of the service `name`: `*.conf` files (and
    `*.conf.template`) of its build folder, and those it bind-mounts ({path: text})."""
    service = cf.service(name)
    if service is None:
        return {}
    base = posixpath.dirname(cf.path)
    places: list[str] = []
    build: Any = service.build
    context = build if isinstance(build, str) else (build or {}).get("context")
    if isinstance(context, str) and "://" not in context:
        places.append(context)
    places.extend(source for source, _ in service.volumes if source.startswith("."))
    root = ctx.project.root.resolve()
    found: dict[str, str] = {}
    for place_ in places:
        rel = posixpath.normpath(posixpath.join(base, place_))
        if rel.startswith("..") or rel.startswith("/"):
            continue
        for path in _config_paths(root, rel):
            text = ctx.changeset.read(path)
            if text is not None and len(text) <= MAX_CHARS:
                found[path] = text
            if len(found) >= _MAX_CONFIGS:
                return found
    return found


def _config_paths(root: Path, rel: str) -> list[str]:
    """`rel` itself when it is a configuration file, else the configuration files under it."""
    path = root / rel
    try:
        if path.is_file():
            return [rel] if _CONFIG_NAME.match(rel) else []
        if not path.is_dir() or not path.resolve().is_relative_to(root):
            return []
        out = []
        for child in sorted(path.rglob("*.conf*")):
            depth = len(child.relative_to(path).parts)
            if depth <= _CONFIG_DEPTH and child.is_file() and _CONFIG_NAME.match(child.name):
                out.append(posixpath.join(rel, child.relative_to(path).as_posix()))
            if len(out) >= _MAX_CONFIGS:
                break
        return out
    except (OSError, ValueError):
        return []


def is_bind(source: str) -> bool:
    """A mount's source that is a path of the host (`./media`, `/srv`, `~/x`, `${DATA}`), not a
    named volume."""
    return source.startswith((".", "/", "~", "$"))


def volume_key(source: str) -> str:
    """A mount's source as the services share it: a volume's name, a bind's normalised path."""
    return posixpath.normpath(source) if is_bind(source) else source
