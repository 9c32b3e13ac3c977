"""Existing compose files, rewritten round-trip (comments, order and quoting kept) for the
generated images (items 4 and 5):

- bind mounts of `.env` become `env_file:`; mounts of the settings, other configuration files
  and the code itself go (the image holds the code; per-environment values come from the
  environment);
- literal secrets (`POSTGRES_PASSWORD: s3cret`, a password inside a URL) become `${VAR}`
  references, their values moving to the untracked `.env`, which compose reads for
  interpolation;
- the service that serves the app (runserver, supervisor, nginx next to the app, gunicorn...,
  or with no command, one built from the app's old Dockerfile, `build: ./app`, that ran its
  CMD) builds the `api` target and runs the image's own command; services running the same code
  (workers, and any built from that old Dockerfile) build it too;
- a service running the api image (which holds no `.env`) reads the project's `.env` through
  `env_file` when the settings take their configuration from the environment: the `.env` a
  removed code mount carried (`./app/:/app` -> `app/.env`) where the project has one, else the
  root one;
- a `static` service serves the collected files from the `static` target, and a one-shot
  `migrate` service runs before `api`, with the api service's own env_file and environment (a
  service of the project's own that runs `migrate`, `release`, stays the one the api waits
  for); the README section's compose command names the file (`-f docker-compose.prod.yml`
  where compose does not read it by default) and these services (`compose_stack`);
- the volumes of a service that now runs the api image follow the code
  (fixer.fixes.item04_compose_volumes): a mount under the old image's WORKDIR moves to the same
  place under the new one where the app keeps something (MEDIA_ROOT...), and where the old
  image ran as another user than the api image's, the summary line says to `chown` once what
  the volume already holds; the static files' volume goes (the `static` image holds them), and
  a reverse proxy that served it has its static location forward to the `static` service
  (fixer.fixes.item04_nginx_proxy), or, where djfix cannot change its configuration, is left
  with the reason.

An override file (merged over a base file, `-f docker-compose.yml -f docker-compose.ssl.yml`;
fixer.analysis.compose) gets the changes that are right in it, keyed to its base's services
(`BaseStack`, fixer.fixes.item04_compose_override): secrets and mounts, and the base's api service
loses the serving command and the build it set (an image it names stays: the tag of the build);
the api build and the added services stay in the base.

Development compose files are left alone, and the findings on them say why and which file
djfix treats as the production one (fixer.analysis.compose): those named so (`*dev*`, `*local*`,
`*override*`, `*test*`) or marked so in a comment on their first lines; those that use an env
file, a Dockerfile or a build target named for development (`.env.dev`, `docker/local.Dockerfile`);
and those whose service runs runserver on the bind-mounted code while another root compose file
is the production one. A lone `docker-compose.yml` running runserver is the deployment file, and
is rewritten.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from fixer.analysis.app_paths import ImageLayout
from fixer.analysis.compose import compose_command
from fixer.analysis.image import is_web_server_image
from fixer.analysis.settings_secrets import secret_kind
from fixer.fixes.item04_compose_commands import (
    API_PORT,
    command_steps,
    listen_on,
    listen_port,
    other_steps,
    runs_migrate,
    serves_app,
    service_scripts,
)
from fixer.fixes.item04_compose_layout import (
    attach_tail,
    detach_tail,
    indents,
    inline_merge,
    round_trip,
    spaced,
)
from fixer.fixes.item04_compose_override import (
    BaseStack,
    declare_base_volumes,
    drop_forwarded_mounts,
    kept_command,
    merged_build,
    not_the_api,
)
from fixer.fixes.item04_compose_volumes import (
    OldImage,
    environment_values,
    is_bind,
    mount_parts,
    place,
    retarget,
    volume_key,
)
from fixer.fixes.item04_nginx_proxy import proxy_static
from fixer.parsers.compose import short_volume
from fixer.parsers.shell import ScriptCommand
from fixer.redaction import holds_no_secret

_SECRET_KEY = re.compile(r"PASSWORD|PASSWD|_PASS$|SECRET|TOKEN|API_KEY|PRIVATE_KEY|_DSN$")
_URL_PASSWORD = re.compile(
    r"^(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?P<tail>@.*)$"
)
_CONFIG_SUFFIXES = (".py", ".ini", ".conf", ".cfg", ".toml", ".yml", ".yaml", ".json")


@dataclass
class ComposeResult:
    text: str
    #: what was done, one line each, for the summary
    changes: list[str] = field(default_factory=list)
    #: (name, literal value, comment) of each secret moved to .env
    secrets: list[tuple[str, str, str]] = field(default_factory=list)
    #: other files rewritten with it (a reverse proxy's configuration): {path: text}
    files: dict[str, str] = field(default_factory=dict)
    #: what is left to do by hand, one reason each
    left: list[str] = field(default_factory=list)
    #: the service that runs the api image's own command (None: no service serves the app)
    api_service: str | None = None
    #: the one-off service that runs the migrations before the api starts
    migrate_service: str | None = None
    #: the services that run the app's code (built from the api target, for the images)
    app_services: list[str] = field(default_factory=list)
    #: the service that serves the collected static files (the `static` target)
    static_service: str | None = None
    #: the sources of the static files' mounts that went (`volume_key`)
    static_sources: list[str] = field(default_factory=list)
    #: the services whose configuration now forwards the static URL to the static service
    proxied: list[str] = field(default_factory=list)
    #: the top-level named volumes the file declares, as rewritten
    volumes: list[str] = field(default_factory=list)


def _builds_root(service: Any, base: str = "") -> bool:
    """Built from the root Dockerfile; `base` is the compose file's folder (`deploy`), from
    which the root is `..`."""
    build = service.get("build")
    if build is None:
        return False
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = None if isinstance(build, str) else build.get("dockerfile")
    target = None if isinstance(build, str) else build.get("target")
    # the static target (nginx) is built from the root Dockerfile too, but runs no app code
    return (
        posixpath.normpath(posixpath.join(base, str(context) or ".")) == "."
        and dockerfile in (None, "Dockerfile")
        and target in (None, "api")
    )


def _from(base: str, path: str) -> str:
    """The repository path `path` as a compose file in the folder `base` writes it (`.env` from
    `deploy/` is `../.env`)."""
    return posixpath.relpath(path, base) if base else path


def _api_build(base: str = "") -> Any:
    build = CommentedMap()
    build["context"] = _from(base, ".")
    build["target"] = "api"
    return build


def _env_file(path: str = ".env") -> Any:
    entry = CommentedMap()
    entry["path"] = path
    entry["required"] = False
    seq = CommentedSeq()
    seq.append(entry)
    return seq


def _volume_source(volume: Any) -> tuple[str, str]:
    if isinstance(volume, str):
        return short_volume(volume)
    if isinstance(volume, dict) and volume.get("type", "bind") == "bind":
        return str(volume.get("source", "")), str(volume.get("target", ""))
    return "", ""


def _mount_kind(source: str, target: str, base: str = "") -> str | None:
    """ "env", "config" (settings, configuration files), "code" (a folder of the repository),
    or None for what stays (named volumes, data folders outside the repository). `base` is the
    compose file's folder: from `deploy/`, `../` is the repository's root."""
    if not source or not is_bind(source):
        return None
    name = posixpath.basename(source.rstrip("/"))
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    inside = posixpath.normpath(posixpath.join(base, source))
    if source.startswith(".") and inside != ".." and not inside.startswith("../"):
        if name.endswith(_CONFIG_SUFFIXES) or "settings" in name:
            return "config"
        if _system_path(target):
            # a folder the container's own programs read (certificates at /etc/nginx/ssl):
            # not the app's code, and nothing the api image holds
            return None
        return "code"
    return None


def _system_path(target: str) -> bool:
    path = posixpath.normpath(target) if target.startswith("/") else ""
    return path.startswith(("/etc/", "/run/", "/var/run/", "/usr/local/etc/")) or path == "/etc"


def _env_var_for(service_name: str, key: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", key.upper())


def _secret_value(key: str, value: Any) -> bool:
    """A literal secret under `key`: what item 5's check reports (its names and token formats),
    so no value it reports is left in the file with a reason that says djfix does not rewrite
    compose files."""
    if not isinstance(value, str) or not value or "$" in value or _url_password(value):
        return False
    if holds_no_secret(key, value):
        return False
    return bool(_SECRET_KEY.search(key.upper())) or secret_kind((key,), None, value) is not None


def _url_password(value: Any) -> re.Match[str] | None:
    """The parts of a URL with a literal password (`postgres://u:pw@db/x`)."""
    if isinstance(value, str) and "$" not in value:
        return _URL_PASSWORD.match(value)
    return None


def _carried_dotenv(source: str) -> str:
    """The `.env` a bind mount of the folder `source` carries into the container, relative to
    the compose file (`.` -> `.env`, `./app/` -> `app/.env`)."""
    return posixpath.normpath(posixpath.join(source, ".env"))


class _Rewriter:
    def __init__(
        self,
        data: Any,
        rel: str,
        project_scripts: dict,
        uses_dotenv: Callable[[str], bool] | None = None,
        layout: ImageLayout | None = None,
        own_dotenv: bool = False,
    ) -> None:
        self.data = data
        #: the compose file's folder has a .env of its own, which compose reads for `${VAR}`
        self.own_dotenv = own_dotenv
        self.rel = rel
        #: the compose file's folder: its paths are relative to it
        self.base = posixpath.dirname(rel)
        self.scripts = project_scripts
        self.uses_dotenv = uses_dotenv or (lambda _rel: False)
        self.layout = layout
        self.result = ComposeResult("")
        self.moved: dict[str, str] = {}  # literal -> variable
        #: the values the project's .env holds already, by variable (None: no value known)
        self.env_values: Mapping[str, str | None] = {}
        #: sources (volume names, bind paths) of the static files' mounts dropped from the
        #: services that run the api image
        self.static_sources: set[str] = set()

    def secret(self, name: str, value: str, comment: str) -> str:
        """The `${VAR}` standing for a literal secret; the same literal reuses its variable."""
        if value in self.moved:
            return self.moved[value]
        taken = {n for n, _, _ in self.result.secrets}
        # a variable .env holds with another value (the base file's password, the settings')
        # is another secret: reusing its name would change this file's value in the merge
        taken |= {n for n, v in self.env_values.items() if v is not None and v != value}
        var, n = name, 2
        while var in taken:
            var, n = f"{name}_{n}", n + 1
        self.result.secrets.append((var, value, comment))
        self.moved[value] = var
        return var

    def environment(self, sname: str, service: Any) -> None:
        env = service.get("environment")
        if isinstance(env, dict):
            for key in list(env.keys()):
                new = self.value(sname, str(key), env[key])
                if new is not None:
                    env[key] = new
        elif isinstance(env, list):
            for i, item in enumerate(env):
                key, eq, value = str(item).partition("=")
                if not eq:
                    continue
                new = self.value(sname, key, value)
                if new is not None:
                    env[i] = f"{key}={new}"

    def value(self, sname: str, key: str, value: Any) -> str | None:
        if self.own_dotenv and (_secret_value(key, value) or _url_password(value)):
            dotenv = posixpath.join(self.base, ".env")
            self.result.left.append(
                f"the literal secret in {key} of service {sname!r} stays: compose reads this "
                f"file's ${{VAR}} references from {dotenv}, not from the root .env djfix writes: "
                f"move the value to {dotenv} and refer to it here (${{VAR}}) by hand"
            )
            return None
        if _secret_value(key, value):
            var = self.secret(
                _env_var_for(sname, key), str(value), f"{key} of the compose service {sname}"
            )
            self.result.changes.append(f"{key} of service {sname!r} is read from .env")
            return _reference(var)
        m = _url_password(value)
        if m:
            base = re.sub(r"_(URL|URI|DSN)$", "", key.upper()) or key.upper()
            var = self.secret(
                f"{base}_PASSWORD", m["pw"], f"the password in {key} of the service {sname}"
            )
            self.result.changes.append(
                f"the password in {key} of service {sname!r} is read from .env"
            )
            return f"{m['head']}{_reference(var)}{m['tail']}"
        return None

    def mounts(
        self,
        sname: str,
        service: Any,
        old: OldImage | None = None,
        switching: bool = False,
        config_only: bool = False,
    ) -> None:
        """Drop or move the volumes of a service that runs the app's code; `switching` when it
        moves onto the api image in this run. `config_only` (item 5's pass) drops only mounted
        env and settings files: a folder of the repository may be data the app writes
        (./media on MEDIA_ROOT), which only the image's layout tells apart from code."""
        volumes = service.get("volumes")
        if not isinstance(volumes, list):
            return
        keep = []
        changed = False
        env_mounted = False
        carried: list[str] = []
        for volume in volumes:
            if self.layout is not None:
                handled, entry = self.placed(sname, service, volume, old, switching)
                if handled:
                    if entry is not None:
                        keep.append(entry)
                    changed = changed or entry is None or entry != volume
                    continue
            source, target = _volume_source(volume)
            kind = _mount_kind(source, target, self.base)
            if kind is None:
                keep.append(volume)
                continue
            if kind == "code" and config_only and self.layout is None:
                keep.append(volume)
                continue
            env_mounted = env_mounted or kind == "env"
            if kind == "code":
                carried.append(_carried_dotenv(source))
            what = {"env": "the env file", "config": "the configuration", "code": "the code"}[kind]
            self.result.changes.append(
                f"service {sname!r} no longer bind-mounts {what} {source}"
                + (": its values come in through env_file" if kind == "env" else "")
            )
        if len(keep) == len(volumes) and not changed:
            return
        if keep:
            volumes[:] = keep
        else:
            del service["volumes"]
        if "env_file" in service:
            return
        root_dotenv = _from(self.base, ".env")
        if env_mounted:
            self.insert_after(service, "env_file", _env_file(root_dotenv), ("build", "image"))
            return
        # the code folder carried the project's .env, which the settings read: the values come
        # in through env_file now (the image holds no .env)
        dotenv = next(
            (d for d in [*carried, root_dotenv] if carried and self.uses_dotenv(self.rooted(d))),
            None,
        )
        if dotenv is not None:
            self.insert_after(service, "env_file", _env_file(dotenv), ("build", "image"))
            self.result.changes.append(
                f"service {sname!r} reads {dotenv} (which the code mount carried) through env_file"
            )

    def placed(
        self, sname: str, service: Any, volume: Any, old: OldImage | None, switching: bool
    ) -> tuple[bool, Any]:
        """(handled, the entry to keep or None to drop it) for a volume of a service that now
        runs the api image; not handled where the image's layout has nothing to say."""
        assert self.layout is not None
        layout = self.layout
        workdir = old.workdir if old is not None else None
        p = place(volume, layout, workdir, environment_values(service))
        what = p.source or "an anonymous volume"
        if p.kind == "static":
            if p.source:
                self.static_sources.add(volume_key(p.source))
            self.result.changes.append(
                f"service {sname!r} no longer mounts {what} at {p.target}: the collected static "
                f"files (STATIC_ROOT, {layout.static_root} in the api image) are in the `static` "
                "image"
            )
            return True, None
        if p.kind == "moved":
            self.result.changes.append(
                f"service {sname!r} mounts {what} at {p.new_target} ({p.setting} in the api "
                f"image), not at {p.target} under the old image's WORKDIR {workdir}"
                + self.owner_note(sname, p.source, p.new_target, old)
            )
            return True, retarget(volume, p.new_target)
        if p.kind == "kept":
            note = self.owner_note(sname, p.source, p.target, old) if switching else ""
            if note:
                self.result.changes.append(
                    f"service {sname!r} keeps {what} at {p.target} ({p.setting}){note}"
                )
            return True, volume
        if p.kind == "unknown" and _mount_kind(p.source, p.target, self.base) is None:
            self.result.left.append(
                f"service {sname!r} mounts {what} at {p.target}, under the old image's WORKDIR "
                f"{workdir}; the api image's code is in {layout.workdir}, and the settings name "
                f"nothing there that djfix can read: mount it at {p.new_target} if the app uses "
                "it, or remove it"
            )
            return True, volume
        return False, None

    def owner_note(self, sname: str, source: str, target: str, old: OldImage | None) -> str:
        """What to run once so that the api image's user can write the files a volume already
        holds: a volume (or a host folder) keeps the owner the old image gave its files, and
        the image's own chown reaches only a new, empty volume. "" for an anonymous volume
        (a new container gets a new one) and where the old image ran as the same user."""
        assert self.layout is not None
        user = self.layout.user
        old_user = old.user if old is not None else None
        if not source or old_user in (user, user.split(":")[0]):
            return ""
        owner = f" ({old_user})" if old_user else ""
        compose = compose_command(self.rel, self.own_dotenv)
        return (
            f"; the files already in {source} keep the owner the old image gave them{owner}, "
            f"and the api image runs as {user}: run `{compose} run --rm --no-deps --user root "
            f"{sname} chown -R {user} {target}` once, or the app cannot write them"
        )

    def dotenv(self, sname: str, service: Any) -> None:
        """A service running the api image, which holds no `.env` (.dockerignore), reads the
        project's through env_file when the settings take their configuration from it: never
        a service whose settings need SECRET_KEY with no way to get it."""
        if "env_file" in service or not self.uses_dotenv(".env"):
            return
        dotenv = _from(self.base, ".env")
        self.insert_after(service, "env_file", _env_file(dotenv), ("build", "image"))
        self.result.changes.append(
            f"service {sname!r} reads {dotenv} through env_file (the image holds no .env)"
        )

    def rooted(self, path: str) -> str:
        """The repository path of `path` as the compose file writes it."""
        return posixpath.normpath(posixpath.join(self.base, path))

    def proxies(
        self,
        services: Any,
        same_code: list[Any],
        static_name: str,
        proxy_files: Callable[[str], dict[str, str]] | None,
    ) -> list[str]:
        """Point the services that served the static files' volume (a reverse proxy in front of
        the app) at the `static` service; the names of those whose configuration djfix changed.
        Any other is left as it is, with the reason: never a proxy serving a volume nobody
        fills without saying so."""
        if self.layout is None or not self.static_sources:
            return []
        changed: list[str] = []
        for name, service in services.items():
            if name in same_code or name == static_name or not isinstance(service, dict):
                continue
            volumes = service.get("volumes")
            if not isinstance(volumes, list):
                continue
            mounts = [
                (volume, *mount_parts(volume))
                for volume in volumes
                if volume_key(mount_parts(volume)[0]) in self.static_sources
            ]
            if not mounts:
                continue
            served = [posixpath.normpath(target) for _, _, target in mounts if target]
            sources = ", ".join(dict.fromkeys(source for _, source, _ in mounts))
            upstream = f"http://{static_name}:80"
            edited = {}
            for rel, text in (proxy_files(str(name)) if proxy_files else {}).items():
                new = proxy_static(text, served, self.layout.static_url, upstream)
                if new is not None and new != text:
                    edited[rel] = new
            if not edited:
                self.result.left.append(
                    f"service {name!r} serves files from {sources} ({', '.join(served)}), which "
                    "no service fills any more: the `static` image holds the collected static "
                    f"files. Make its {self.layout.static_url} location forward to the "
                    f"`{static_name}` service (proxy_pass {upstream};) and remove the mount; "
                    "djfix found no configuration of it whose static location it could change"
                )
                continue
            self.result.files.update(edited)
            tail = detach_tail(service)
            kept = [v for v in volumes if all(v is not m for m, _, _ in mounts)]
            if kept:
                volumes[:] = kept
            else:
                del service["volumes"]
            _add_dependency(service, static_name)
            attach_tail(service, tail)
            changed.append(str(name))
            self.result.changes.append(
                f"service {name!r} forwards {self.layout.static_url} to the `{static_name}` "
                f"service ({', '.join(sorted(edited))}) instead of serving {sources}, which no "
                "service fills any more"
            )
        return changed

    def unused_volumes(self) -> None:
        """Drop the top-level named volumes of the static files that no service mounts now."""
        top = self.data.get("volumes")
        if not isinstance(top, dict) or not self.static_sources:
            return
        used = {
            volume_key(mount_parts(volume)[0])
            for service in self.data["services"].values()
            if isinstance(service, dict) and isinstance(service.get("volumes"), list)
            for volume in service["volumes"]
        }
        unused = [n for n in top if str(n) in self.static_sources and str(n) not in used]
        if not unused:
            return
        tail = detach_tail(self.data)
        for name in unused:
            del top[name]
            self.result.changes.append(f"the volume {name!r} went: no service mounts it now")
        if not top:
            del self.data["volumes"]
        attach_tail(self.data, tail)

    @staticmethod
    def insert_after(mapping: Any, key: str, value: Any, after: tuple[str, ...]) -> None:
        keys = list(mapping.keys())
        pos = max((keys.index(k) + 1 for k in after if k in keys), default=len(keys))
        mapping.insert(pos, key, value)


def rewrite(
    rel: str,
    text: str,
    scripts: dict[str, list[ScriptCommand]],
    *,
    for_images: bool = True,
    uses_dotenv: Callable[[str], bool] | None = None,
    layout: ImageLayout | None = None,
    old_images: Mapping[str, OldImage] | None = None,
    proxy_files: Callable[[str], dict[str, str]] | None = None,
    own_dotenv: bool = False,
    base: BaseStack | None = None,
    env_values: Mapping[str, str | None] | None = None,
) -> ComposeResult | None:
    """The compose file rewritten for the generated images; None when it cannot be read as a
    compose file with services. With `for_images` False (the project keeps its own Dockerfile) only
    the configuration changes: mounts of `.env` and settings, literal secrets; the services'
    builds and commands stay as written. `uses_dotenv(rel)` says whether the project has or
    reads the `.env` at `rel`: a service whose code mount carried it gets it as `env_file`.
    `own_dotenv`: the file is in a subfolder with a `.env` of its own, from which compose reads
    its `${VAR}` references: its literal secrets stay, with the reason (djfix writes the root
    `.env`).

    `layout` is the generated api image's, `old_images` what each service ran before (by
    service name): with both, the volumes of the services that now run the api image follow the
    code. `proxy_files(service)` gives the configuration files of a service that is not the app
    ({path: text}): a reverse proxy whose static location served a volume the app filled is
    changed to forward to the `static` service (the changed files are in `ComposeResult.files`).

    With `base` the file is an override merged over the base's (`-f base -f this`): its secrets
    and mounts are rewritten as in any file, and the services the base runs on the api image
    lose what would undo that in the merge (a command that starts a server, a build of their
    own); the services, builds and dependencies the stack gains are the base's
    to hold, never added here. `env_values`: the values .env holds already, by variable: a
    literal secret takes a name of its own where its name is held with another value.
    """
    yaml = round_trip()
    try:
        data = yaml.load(text)
    except Exception:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        return None
    yaml.indent(*indents(text))
    services = data["services"]
    old_images = old_images or {}
    # item 5's pass (for_images False) runs on what item 4's left: the layout keeps it from
    # taking a data folder mounted from the repository (./media) for the code
    rw = _Rewriter(data, rel, scripts, uses_dotenv, layout, own_dotenv)
    rw.env_values = env_values or {}

    def web_server(name: Any, service: Any) -> bool:
        image = service.get("image")
        if image:
            return is_web_server_image(str(image))
        return name in old_images and old_images[name].web_server

    run_scripts = {
        n: service_scripts(s, scripts, rel) for n, s in services.items() if isinstance(s, dict)
    }
    # a web server's image (the reverse proxy) never runs the app, whatever its command
    app = [
        n
        for n, s in services.items()
        if isinstance(s, dict) and serves_app(s, run_scripts[n]) and not web_server(n, s)
    ]

    def app_image(name: Any, service: Any) -> bool:
        """Built from the root Dockerfile, or (for the generated images) from the app's old
        Dockerfile elsewhere (`build: ./app`), which the api image takes the place of; in an
        override, one the base runs so."""
        if base is not None and str(name) in base.services:
            return str(name) in base.app_services
        old = old_images.get(name)
        return _builds_root(service, rw.base) or (for_images and old is not None and old.app)

    if base is not None:
        # the base's rewrite chose the api service; one that serves here and is not it stays
        for n in app if for_images else []:
            if n != base.api:
                rw.result.left.append(not_the_api(str(n), base))
        app = [n for n in services if n == base.api]
    elif not app:
        # no command serves: the service built from the app's Dockerfile that runs its own CMD
        built = [n for n, s in services.items() if isinstance(s, dict) and app_image(n, s)]
        idle = [n for n in built if not services[n].get("command")]
        app = (idle or built)[:1]
    images = {services[n].get("image") for n in app if services[n].get("image")}
    api_name = next((n for n in app if "nginx" not in str(services[n].get("image", ""))), None)
    for name, service in services.items():
        if isinstance(service, dict) and (
            name in app or app_image(name, service) or service.get("image") in images
        ):
            inline_merge(service)
    same_code: list[Any] = []
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        tail = detach_tail(service)
        rw.environment(str(name), service)
        if name in app or app_image(name, service) or service.get("image") in images:
            same_code.append(name)
            # a worker on the app's image ran in the app's old image
            old = old_images.get(name) or next(
                (
                    old_images[n]
                    for n in app
                    if n in old_images and services[n].get("image") == service.get("image")
                ),
                None,
            )
            switching = for_images and service.get("build") != _api_build(rw.base)
            rw.mounts(str(name), service, old, switching, config_only=not for_images)
            if for_images and base is not None and str(name) in base.services:
                rw.result.changes.extend(merged_build(str(name), service, base))
            elif for_images and service.get("build") != _api_build(rw.base):
                _set_build(service, rw.base)
            if for_images and (base is None or str(name) not in base.services):
                rw.dotenv(str(name), service)
        serving = base is None or serves_app(service, run_scripts[name])
        if for_images and name == api_name and not serving:
            for key in ("command", "entrypoint"):
                if key in service:
                    rw.result.left.append(kept_command(str(name), key, service[key], base))
        if for_images and name == api_name and serving:
            others = other_steps(run_scripts[name])
            inline = [
                step for step in command_steps(service, run_scripts[name]) if step not in others
            ]
            if inline:
                listed = ", ".join(f"`{step}`" for step in inline[:8])
                rw.result.changes.append(
                    f"the command of service {name!r} also ran {listed}, which the api image's "
                    "command does not: run what is still needed as a one-off command or in a "
                    "service of its own"
                )
            port = listen_port(service, run_scripts[name])
            for key in ("command", "entrypoint"):
                if key in service:
                    del service[key]
                    rw.result.changes.append(
                        f"service {name!r} runs the api image's own command (its {key} went)"
                    )
            if port is not None and port != API_PORT:
                rw.result.changes.extend(listen_on(str(name), service, port))
            if others:
                # a note, not an open reason: nothing of item 4 is found in the file to hang
                # it on, and the summary and the pull request must say it
                listed = ", ".join(f"`manage.py {sub}`" for sub in others[:8])
                script = " and ".join(sorted(run_scripts[name]))
                rw.result.changes.append(
                    f"the start script of service {name!r} ({script}) also ran {listed}, which the "
                    "api image's command does not: run what the deployment needs as one-off "
                    "commands (a service like the migrations') or in a release step"
                )
        attach_tail(service, tail)
    rw.result.app_services = [str(n) for n in same_code]
    if base is not None and for_images and base.static is not None:
        # the base's static files' volume, mounted here too: as in the base, or declared here
        rw.result.changes.extend(drop_forwarded_mounts(services, same_code, base, proxy_files))
        rw.static_sources |= base.static_sources
        rw.proxies(services, same_code, base.static, proxy_files)
        rw.result.changes.extend(declare_base_volumes(data, base))
    if api_name is None or not for_images or base is not None:
        # no service runs the app, or no generated image to run (or an override, whose base
        # holds the stack's services): only the secrets and mounts were rewritten
        out = io.StringIO()
        yaml.dump(data, out)
        rw.result.text = spaced(out.getvalue(), text) if rw.result.changes else text
        return rw.result
    api = services[api_name]
    # what followed the api service follows the services added after it
    api_tail = detach_tail(api)
    added = api_name
    # a service of the project's own that runs the migrations (`release`...) stays the one
    migrating = next(
        (
            str(n)
            for n, s in services.items()
            if isinstance(s, dict) and n != api_name and runs_migrate(s, run_scripts[n])
        ),
        None,
    )
    if migrating is None:
        migrate = CommentedMap()
        migrate["build"] = _api_build(rw.base)
        if "env_file" in api:
            # the api's own env files (`.env.prod`...): migrate needs the same settings
            migrate["env_file"] = copy.deepcopy(api["env_file"])
        if isinstance(api.get("environment"), (dict, list)):
            migrate["environment"] = copy.deepcopy(api["environment"])
        command = CommentedSeq(
            [_quoted(w) for w in ("python", "manage.py", "migrate", "--noinput")]
        )
        command.fa.set_flow_style()
        migrate["command"] = command
        deps = _depends(api)
        if deps:
            migrate["depends_on"] = CommentedMap((d, _condition("service_started")) for d in deps)
        migrating = "migrate" if "migrate" not in services else "migrate-once"
        services.insert(list(services.keys()).index(api_name) + 1, migrating, migrate)
        added = migrating
        last = migrating
        rw.result.changes.append(f"a one-off `{migrating}` service runs before the api")
    else:
        last = api_name
    rw.result.api_service = str(api_name)
    rw.result.migrate_service = migrating
    depends = _depends(api)
    if migrating not in depends or not isinstance(api.get("depends_on"), dict):
        mapping = CommentedMap()
        for dep in depends:
            if dep != migrating:
                mapping[dep] = _condition("service_started")
        mapping[migrating] = _condition("service_completed_successfully")
        old = api.get("depends_on")
        if isinstance(old, dict):
            for dep, cond in old.items():
                if dep in mapping and dep != migrating:
                    mapping[dep] = cond
        if "depends_on" in api:
            api["depends_on"] = mapping
        else:
            api.insert(len(api), "depends_on", mapping)
    static_name = next(
        (
            n
            for n, s in services.items()
            if isinstance(s, dict)
            and isinstance(s.get("build"), dict)
            and s["build"].get("target") == "static"
        ),
        None,
    )
    name = static_name or ("static" if "static" not in services else "static-files")
    proxied = rw.proxies(services, same_code, name, proxy_files)
    if static_name is None:
        static = CommentedMap()
        static_build = CommentedMap()
        static_build["context"] = _from(rw.base, ".")
        static_build["target"] = "static"
        static["build"] = static_build
        if not proxied:
            static["ports"] = CommentedSeq([_quoted("8080:80")])
        services.insert(list(services.keys()).index(last) + 1, name, static)
        added = name
        rw.result.changes.append(
            f"a `{name}` service serves the collected static files"
            + (f" (behind {_names(proxied)}, so it publishes no port)" if proxied else "")
        )
    attach_tail(services[added], api_tail)
    rw.unused_volumes()
    rw.result.static_service = str(name)
    rw.result.static_sources = sorted(rw.static_sources)
    rw.result.proxied = proxied
    top = data.get("volumes")
    rw.result.volumes = [str(v) for v in top] if isinstance(top, dict) else []
    out = io.StringIO()
    yaml.dump(data, out)
    rw.result.text = spaced(out.getvalue(), text)
    return rw.result


def _names(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _add_dependency(service: Any, name: str) -> None:
    """`depends_on` gains `name` (started), in the form the service writes it."""
    deps = service.get("depends_on")
    if isinstance(deps, dict):
        if name not in deps:
            deps[name] = _condition("service_started")
    elif isinstance(deps, list):
        if name not in deps:
            deps.append(name)
    else:
        service.insert(len(service), "depends_on", CommentedSeq([name]))


def _reference(var: str) -> str:
    """`${VAR:?...}`: compose stops with this message when .env does not set it."""
    return f"${{{var}:?set it in .env}}"


def _quoted(value: str) -> Any:
    return DoubleQuotedScalarString(value)


def _condition(value: str) -> Any:
    cond = CommentedMap()
    cond["condition"] = value
    return cond


def _depends(service: Any) -> list[str]:
    deps = service.get("depends_on")
    if isinstance(deps, dict):
        return [str(k) for k in deps]
    if isinstance(deps, list):
        return [str(d) for d in deps]
    return []


def _set_build(service: Any, base: str) -> None:
    keys = list(service.keys())
    if "build" in service:
        service["build"] = _api_build(base)
    else:
        pos = keys.index("image") if "image" in keys else 0
        service.insert(pos, "build", _api_build(base))
    if "image" in service:
        del service["image"]
