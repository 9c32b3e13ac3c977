"""Existing compose files, rewritten round-trip (comments, order and quoting kept) for the
generated images (items 4 and 5):

- bind mounts of `.env` become `env_file:`; mounts of the settings, other configuration files
  and the code itself go (the image holds the code; per-environment values come from the
  environment);
- literal secrets (`POSTGRES_PASSWORD: s3cret`, a password inside a URL) become `${VAR}`
  references, their values moving to the untracked `.env`, which compose reads for
  interpolation;
- the service that serves the app (runserver, supervisor, nginx next to the app, gunicorn...)
  builds the `api` target and runs the image's own command; services running the same code
  (workers) build it too;
- a service running the api image (which holds no `.env`) reads the project's `.env` through
  `env_file` when the settings take their configuration from the environment: the `.env` a
  removed code mount carried (`./app/:/app` -> `app/.env`) where the project has one, else the
  root one;
- a `static` service serves the collected files from the `static` target, and a one-shot
  `migrate` service runs before `api`, with the api service's own env_file and environment.

Development compose files (named `*dev*`, `*local*`, `*override*`, or marked as such in a comment
on their first lines) are left alone, and the findings on them say why.
"""

from __future__ import annotations

import copy
import functools
import io
import itertools
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from fixer.analysis.compose import is_dev_compose
from fixer.analysis.variables import build_environment
from fixer.fix_context import EnvVar, FixContext
from fixer.parsers.commands import server_invocations
from fixer.parsers.compose import short_volume
from fixer.parsers.shell import ScriptCommand, split_shell

ROOT_COMPOSE = re.compile(r"^(docker-)?compose([._-][\w.-]*)?\.ya?ml$")
_DEV_MARK = re.compile(r"#.*\b(development|dev|local)[- ]only\b|#.*\bfor local development\b", re.I)
_SECRET_KEY = re.compile(r"PASSWORD|PASSWD|_PASS$|SECRET|TOKEN|API_KEY|PRIVATE_KEY|_DSN$")
_URL_PASSWORD = re.compile(
    r"^(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?P<tail>@.*)$"
)
#: programs that show a service serves the app (or the app and more, as supervisor does)
_SERVING = ("runserver", "gunicorn", "uvicorn", "daphne", "supervisord", "uwsgi", "nginx")
_CONFIG_SUFFIXES = (".py", ".ini", ".conf", ".cfg", ".toml", ".yml", ".yaml", ".json")
#: files that show a folder's `.env` is used: the file itself or its committed template
_DOTENV_NAMES = (".env", ".env.example", ".env.sample", ".env.template", ".env.dist", "env.example")


@dataclass
class ComposeResult:
    text: str
    #: what was done, one line each, for the summary
    changes: list[str] = field(default_factory=list)
    #: (name, literal value, comment) of each secret moved to .env
    secrets: list[tuple[str, str, str]] = field(default_factory=list)


def is_dev_only(rel: str, text: str) -> bool:
    head = "\n".join(text.splitlines()[:5])
    return is_dev_compose(rel) or bool(_DEV_MARK.search(head))


def _yaml() -> Any:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _indents(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file writes them, for ruamel's yaml.indent()."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    mapping = 2
    for a, b in itertools.pairwise(lines):
        ia, ib = len(a) - len(a.lstrip()), len(b) - len(b.lstrip())
        if a.rstrip().endswith(":") and ib > ia and not b.lstrip().startswith("- "):
            mapping = ib - ia
            break
    for a, b in itertools.pairwise(lines):
        if a.rstrip().endswith(":") and b.lstrip().startswith("- "):
            offset = (len(b) - len(b.lstrip())) - (len(a) - len(a.lstrip()))
            return mapping, offset + 2, offset
    return mapping, mapping + 2, mapping


def _command_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _serves_app(service: Any, scripts: dict[str, list[ScriptCommand]]) -> bool:
    text = _command_text(service.get("command")) + " " + _command_text(service.get("entrypoint"))
    if not text.strip():
        return False
    commands = split_shell(text)
    # the scripts a command runs (entrypoint.sh running runserver)
    for word in text.split():
        for rel, found in scripts.items():
            if rel == word.lstrip("./") or word.endswith("/" + rel):
                commands.extend(found)
    servers = {server for _, server in server_invocations(commands)}
    return bool(servers & set(_SERVING))


def _builds_root(service: Any) -> bool:
    build = service.get("build")
    if build is None:
        return False
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = None if isinstance(build, str) else build.get("dockerfile")
    target = None if isinstance(build, str) else build.get("target")
    # the static target (nginx) is built from the root Dockerfile too, but runs no app code
    return (
        str(context).rstrip("/") in (".", "./", "")
        and dockerfile in (None, "Dockerfile")
        and target in (None, "api")
    )


def _api_build() -> Any:
    build = CommentedMap()
    build["context"] = "."
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


def _is_bind(source: str) -> bool:
    return source.startswith((".", "/", "~", "$"))


def _mount_kind(source: str, target: str) -> str | None:
    """ "env", "config" (settings, configuration files), "code" (a folder of the repository),
    or None for what stays (named volumes, data folders outside the repository)."""
    if not source or not _is_bind(source):
        return None
    name = posixpath.basename(source.rstrip("/"))
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    if source.startswith(("./", ".")) and not source.startswith(".."):
        if name.endswith(_CONFIG_SUFFIXES) or "settings" in name:
            return "config"
        return "code"
    return None


def _env_var_for(service_name: str, key: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", key.upper())


def _secret_value(key: str, value: Any) -> bool:
    if not isinstance(value, str) or not value or "$" in value:
        return False
    return bool(_SECRET_KEY.search(key.upper()))


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
    ) -> None:
        self.data = data
        self.rel = rel
        self.scripts = project_scripts
        self.uses_dotenv = uses_dotenv or (lambda _rel: False)
        self.result = ComposeResult("")
        self.moved: dict[str, str] = {}  # literal -> variable

    def secret(self, name: str, value: str, comment: str) -> str:
        """The `${VAR}` standing for a literal secret; the same literal reuses its variable."""
        if value in self.moved:
            return self.moved[value]
        taken = {n for n, _, _ in self.result.secrets}
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
        if _secret_value(key, value):
            var = self.secret(
                _env_var_for(sname, key), str(value), f"{key} of the compose service {sname}"
            )
            self.result.changes.append(f"{key} of service {sname!r} is read from .env")
            return _reference(var)
        if isinstance(value, str) and "$" not in value:
            m = _URL_PASSWORD.match(value)
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

    def mounts(self, sname: str, service: Any) -> None:
        volumes = service.get("volumes")
        if not isinstance(volumes, list):
            return
        keep = []
        env_mounted = False
        carried: list[str] = []
        for volume in volumes:
            source, target = _volume_source(volume)
            kind = _mount_kind(source, target)
            if kind is None:
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
        if len(keep) == len(volumes):
            return
        if keep:
            volumes[:] = keep
        else:
            del service["volumes"]
        if "env_file" in service:
            return
        if env_mounted:
            self.insert_after(service, "env_file", _env_file(), ("build", "image"))
            return
        # the code folder carried the project's .env, which the settings read: the values come
        # in through env_file now (the image holds no .env)
        dotenv = next((d for d in [*carried, ".env"] if carried and self.uses_dotenv(d)), None)
        if dotenv is not None:
            self.insert_after(service, "env_file", _env_file(dotenv), ("build", "image"))
            self.result.changes.append(
                f"service {sname!r} reads {dotenv} (which the code mount carried) through env_file"
            )

    def dotenv(self, sname: str, service: Any) -> None:
        """A service running the api image, which holds no `.env` (.dockerignore), reads the
        project's through env_file when the settings take their configuration from it: never
        a service whose settings need SECRET_KEY with no way to get it."""
        if "env_file" in service or not self.uses_dotenv(".env"):
            return
        self.insert_after(service, "env_file", _env_file(), ("build", "image"))
        self.result.changes.append(
            f"service {sname!r} reads .env through env_file (the image holds no .env)"
        )

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
) -> ComposeResult | None:
    """The compose file rewritten for the generated images; None when it cannot be read as a
    compose file with services. With `for_images` False (the project keeps its own Dockerfile) only
    the configuration changes: mounts of `.env` and settings, literal secrets; the services'
    builds and commands stay as written. `uses_dotenv(rel)` says whether the project has or
    reads the `.env` at `rel`: a service whose code mount carried it gets it as `env_file`."""
    yaml = _yaml()
    try:
        data = yaml.load(text)
    except Exception:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        return None
    yaml.indent(*_indent_args(text))
    services = data["services"]
    rw = _Rewriter(data, rel, scripts, uses_dotenv)
    app = [n for n, s in services.items() if isinstance(s, dict) and _serves_app(s, scripts)]
    if not app:
        # no command serves: the service built from the root Dockerfile that runs its own CMD
        built = [n for n, s in services.items() if isinstance(s, dict) and _builds_root(s)]
        idle = [n for n in built if not services[n].get("command")]
        app = (idle or built)[:1]
    images = {services[n].get("image") for n in app if services[n].get("image")}
    api_name = next((n for n in app if "nginx" not in str(services[n].get("image", ""))), None)
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        rw.environment(str(name), service)
        same_code = name in app or _builds_root(service) or service.get("image") in images
        if same_code:
            rw.mounts(str(name), service)
            if for_images and service.get("build") != _api_build():
                _set_build(service)
            if for_images:
                rw.dotenv(str(name), service)
        if for_images and name == api_name:
            for key in ("command", "entrypoint"):
                if key in service:
                    del service[key]
                    rw.result.changes.append(
                        f"service {name!r} runs the api image's own command (its {key} went)"
                    )
    if api_name is None or not for_images:
        # no service runs the app, or no generated image to run: only the secrets and mounts
        # were rewritten
        out = io.StringIO()
        yaml.dump(data, out)
        rw.result.text = _spaced(out.getvalue(), text) if rw.result.changes else text
        return rw.result
    api = services[api_name]
    has_migrate = any(
        "migrate" in _command_text(s.get("command"))
        for s in services.values()
        if isinstance(s, dict)
    )
    if not has_migrate:
        migrate = CommentedMap()
        migrate["build"] = _api_build()
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
        services.insert(list(services.keys()).index(api_name) + 1, "migrate", migrate)
        last = "migrate"
        rw.result.changes.append("a one-off `migrate` service runs before the api")
    else:
        last = api_name
    depends = _depends(api)
    if "migrate" not in depends or not isinstance(api.get("depends_on"), dict):
        mapping = CommentedMap()
        for dep in depends:
            if dep != "migrate":
                mapping[dep] = _condition("service_started")
        mapping["migrate"] = _condition("service_completed_successfully")
        old = api.get("depends_on")
        if isinstance(old, dict):
            for dep, cond in old.items():
                if dep in mapping and dep != "migrate":
                    mapping[dep] = cond
        if "depends_on" in api:
            api["depends_on"] = mapping
        else:
            api.insert(len(api), "depends_on", mapping)
    if not any(
        isinstance(s, dict)
        and isinstance(s.get("build"), dict)
        and s["build"].get("target") == "static"
        for s in services.values()
    ):
        static = CommentedMap()
        static_build = CommentedMap()
        static_build["context"] = "."
        static_build["target"] = "static"
        static["build"] = static_build
        static["ports"] = CommentedSeq([_quoted("8080:80")])
        name = "static" if "static" not in services else "static-files"
        services.insert(list(services.keys()).index(last) + 1, name, static)
        rw.result.changes.append(f"a `{name}` service serves the collected static files")
    out = io.StringIO()
    yaml.dump(data, out)
    rw.result.text = _spaced(out.getvalue(), text)
    return rw.result


def _reference(var: str) -> str:
    """`${VAR:?...}`: compose stops with this message when .env does not set it."""
    return f"${{{var}:?set it in .env}}"


def _quoted(value: str) -> Any:
    return DoubleQuotedScalarString(value)


def _spaced(text: str, original: str) -> str:
    """A blank line before each service and top-level key, where the original file had blank
    lines between its services (ruamel keeps a blank line only where one was)."""
    if "\n\n" not in original.strip():
        return text
    lines = text.split("\n")
    out: list[str] = []
    in_services = False
    service_indent: int | None = None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        key = bool(re.match(r"^\s*[\w.-]+\s*:", line)) and not stripped.startswith("#")
        if key and indent == 0:
            if out and out[-1].strip() and not out[-1].lstrip().startswith("#"):
                out.append("")
            in_services = stripped.startswith("services:")
            service_indent = None
        elif key and in_services:
            if service_indent is None:
                service_indent = indent
            elif (
                indent == service_indent
                and out
                and out[-1].strip()
                and not out[-1].lstrip().startswith("#")
            ):
                out.append("")
        out.append(line)
    return "\n".join(out)


def _indent_args(text: str) -> tuple[int, int, int]:
    mapping, sequence, offset = _indents(text)
    return mapping, sequence, offset


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


def _set_build(service: Any) -> None:
    keys = list(service.keys())
    if "build" in service:
        service["build"] = _api_build()
    else:
        pos = keys.index("image") if "image" in keys else 0
        service.insert(pos, "build", _api_build())
    if "image" in service:
        del service["image"]


def fix_compose_files(ctx: FixContext, *, item: int = 4, for_images: bool = True) -> None:
    """Rewrite every root compose file that is not for development only; leave the others,
    saying why. Item 4's plan (with the generated Dockerfile) points the services at its images;
    item 5's plan (`for_images` False) changes only the configuration: mounted `.env` and settings
    files, literal secrets."""
    project = ctx.project

    @functools.cache
    def settings_need_env() -> bool:
        return 5 in ctx.wanted_items or bool(build_environment(project))

    def uses_dotenv(dotenv: str) -> bool:
        folder = posixpath.dirname(dotenv)
        if any(ctx.changeset.exists(posixpath.join(folder, n)) for n in _DOTENV_NAMES):
            return True
        # the settings read required variables, or item 5 moves them into the environment:
        # the root .env is where djfix documents them
        return dotenv == ".env" and settings_need_env()

    for cf in project.compose_files:
        rel = cf.path
        text = ctx.changeset.read(rel)
        if text is None:
            continue
        not_rewritten = None
        if "/" in rel or not ROOT_COMPOSE.match(rel):
            not_rewritten = (
                "the compose file is not at the repository root, where the generated "
                "Dockerfile's build context is: change it by hand"
            )
        elif is_dev_only(rel, text):
            not_rewritten = (
                f"{rel} is a development compose file (by its name or its header "
                "comment): djfix leaves it as it is"
            )
        if not_rewritten is not None:
            for left_item in (3, 4, 5) if for_images else (item,):
                _leave_once(ctx, left_item, rel, not_rewritten)
            continue
        result = rewrite(rel, text, project.scripts, for_images=for_images, uses_dotenv=uses_dotenv)
        if result is None:
            ctx.leave(item, rel, "the compose file has no services mapping djfix can read")
            continue
        if result.text and result.text != text:
            ctx.write(rel, result.text, item)
            for change in result.changes:
                ctx.notes.append(f"{rel}: {change}")
        for name, value, comment in result.secrets:
            ctx.add_env(
                EnvVar(
                    name,
                    f"Used by {rel}: {comment}.",
                    "change-me",
                    dev_value=value,
                    secret=True,
                )
            )


def _leave_once(ctx: FixContext, item: int, rel: str, reason: str) -> None:
    """Item 5's configuration pass and item 4's image pass may both meet the same file."""
    if not any(
        left.item == item and left.rel == rel and left.reason == reason for left in ctx.left
    ):
        ctx.leave(item, rel, reason)
