"""Compose files as the checks and the container plan read them: which are for development
only (and which is the production one), which services run the root Dockerfile's image, and
where a service's keys are written.

A compose file is for development only when
- its name says so (`docker-compose.dev.yml`, `local.yml`, `compose.override.yaml`, `*test*`,
  `*ci*`), or a comment on its first lines (`# development only`, `# for local development`);
- what it uses is named so: an env file (`.env.dev`, `.env.local`, `.envs/.local/.django`), a
  Dockerfile (`docker/local.Dockerfile`, `Dockerfile.dev`, `compose/local/...`) or a build
  target (`target: dev`);
- or a service runs `runserver` with the code bind-mounted (`./app:/usr/src/app`), while another
  root compose file is the production one (named so, `docker-compose.prod.yml`, or showing no
  development mark at all). A lone `docker-compose.yml` that runs runserver on the mounted code
  is how many projects deploy, and is the file to fix.

A file named for production (`prod`, `production`, `deploy`, `release`, `live`, `staging`) is
never for development by what it holds.

An override file is one compose merges over another (`docker compose -f docker-compose.yml -f
docker-compose.ssl.yml up`): one of its services has neither `image:` nor `build:` (nor
`extends:`), which no file run alone may have, and every such service is defined in full by
another compose file of the same folder, its base (a name compose reads by default first);
`docker-compose.override.yml` and the other names compose merges without being asked are
overrides of the default file beside them whatever they hold. An override is part of its base's
stack: it is for development when its base is, or by a mark of its own that names it so (its
name, its header comment, a development env file), never by contrast with its base (runserver
on the mounted code); it is never the production file itself.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fixer.parsers.commands import server_invocations
from fixer.parsers.compose import ComposeFile, ComposeService
from fixer.parsers.shell import ScriptCommand, split_shell
from fixer.project import ProjectModel

_DEV_COMPOSE = re.compile(r"(^|[._-])(dev|develop|development|local|override|test|ci)([._-]|$)")
_PRODUCTION_COMPOSE = re.compile(
    r"(^|[._-])(prod|production|deploy|deployment|release|live|stage|staging)([._-]|$)"
)
#: a word of a path that names the development environment (`.env.dev`, `docker/local.Dockerfile`)
_DEV_WORD = re.compile(r"(^|[./_-])(dev|develop|development|local)([./_-]|$)")
#: a comment on a compose file's first lines that says it is for development
_DEV_HEADER = re.compile(
    r"#.*\b(development|dev|local)[- ]only\b|#.*\bfor local development\b", re.I
)
_HEADER_LINES = 5
_MAX_FILES = 50
_MAX_SERVICES = 100
#: compose files at the repository root, where the generated Dockerfile's build context is
ROOT_COMPOSE = re.compile(r"^(docker-)?compose([._-][\w.-]*)?\.ya?ml$")
#: the names `docker compose` reads without `-f`, in its order of preference
DEFAULT_COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
#: the files `docker compose` (with no `-f`) merges over the default one it reads
DEFAULT_OVERRIDE_NAMES = (
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)


def is_dev_compose(path: str) -> bool:
    """True for compose files named for development only (docker-compose.dev.yml,
    compose.override.yaml, local.yml)."""
    name = _stem(path)
    return bool(_DEV_COMPOSE.search(name)) or name == "local"


def is_dev_dockerfile(path: str) -> bool:
    """A Dockerfile named for development (`docker/local.Dockerfile`, `Dockerfile.dev`,
    `compose/local/django/Dockerfile`)."""
    return bool(_DEV_WORD.search(path))


def is_production_compose(path: str) -> bool:
    """True for compose files named for production (docker-compose.prod.yml, deploy.yml)."""
    return bool(_PRODUCTION_COMPOSE.search(_stem(path)))


def is_root_compose(path: str) -> bool:
    return "/" not in path and bool(ROOT_COMPOSE.match(path))


def is_stack_compose(project: ProjectModel, cf: ComposeFile) -> bool:
    """A compose file djfix may rewrite for the generated images: one at the repository root, or
    one in a subfolder (`deploy/docker-compose.yml`) with a service built from a context that
    holds the code (`context: ..`, or the folder of manage.py), which the root Dockerfile's
    targets can take the place of. Its own paths stay relative to its folder."""
    if is_root_compose(cf.path):
        return True
    if not ROOT_COMPOSE.match(posixpath.basename(cf.path)):
        return False
    code = posixpath.dirname(project.manage_py or "") or "."
    for service in cf.services[:_MAX_SERVICES]:
        context = build_context(cf, service)
        if context is not None and (
            context == "." or code == context or code.startswith(context + "/")
        ):
            return True
    return False


#: files that show a folder's `.env` is used: the file itself or its committed template
DOTENV_NAMES = (".env", ".env.example", ".env.sample", ".env.template", ".env.dist", "env.example")


def folder_has_dotenv(folder: str, exists: Callable[[str], bool]) -> bool:
    """True when the repository folder holds a `.env` or its committed template."""
    return any(exists(posixpath.join(folder, n)) for n in DOTENV_NAMES)


def has_own_dotenv(rel: str, exists: Callable[[str], bool]) -> bool:
    """True when the compose file `rel` is in a subfolder with a `.env` of its own (or its
    template): compose reads that one for the file's `${VAR}` references."""
    folder = posixpath.dirname(rel)
    return bool(folder) and folder_has_dotenv(folder, exists)


def compose_command(rel: str, own_dotenv: bool = False) -> str:
    """`docker compose` on the compose file `rel`: with `-f` where compose would not read it by
    default (`docker compose -f docker-compose.prod.yml`); a file in a subfolder reads the root
    `.env` for its `${VAR}` references (`--env-file .env`; compose would read the subfolder's)
    unless the subfolder has a `.env` of its own (`own_dotenv`)."""
    if "/" in rel:
        return "docker compose" + ("" if own_dotenv else " --env-file .env") + f" -f {rel}"
    return "docker compose" + ("" if rel in DEFAULT_COMPOSE_NAMES else f" -f {rel}")


def _stem(path: str) -> str:
    return re.sub(r"\.ya?ml$", "", posixpath.basename(path).lower())


@dataclass(frozen=True)
class ComposeRole:
    """What a compose file is for."""

    #: why it is for development only, one reason each (empty for a file djfix may rewrite)
    development: tuple[str, ...] = ()
    #: the root compose file djfix treats as the production one (None where there is none)
    production: str | None = None
    #: the compose file this one overrides (merged over, `-f base -f this`), or None
    base: str | None = None


def compose_roles(project: ProjectModel) -> dict[str, ComposeRole]:
    """The role of every compose file of the project, by its path (see the module's docs)."""
    files = project.compose_files[:_MAX_FILES]
    bases = override_bases(project)
    strong = {cf.path: _named_marks(project, cf) for cf in files}
    weak = {
        cf.path: []
        if is_production_compose(cf.path) or cf.path in bases
        else _runserver_marks(project, cf)
        for cf in files
    }
    # a root file with no mark at all is a production one, by contrast with the others; an
    # override is part of its base's stack, no alternative to it
    unmarked = [
        cf.path
        for cf in files
        if is_root_compose(cf.path) and not strong[cf.path] and cf.path not in bases
    ]
    unmarked = [rel for rel in unmarked if not weak[rel]]
    development: dict[str, tuple[str, ...]] = {}
    for cf in files:
        reasons = strong[cf.path]
        if reasons or any(other != cf.path for other in unmarked):
            reasons = reasons + weak[cf.path]
        development[cf.path] = tuple(reasons)
    for rel, base in bases.items():
        if development.get(base) and not development[rel]:
            development[rel] = (f"it overrides {base}, a development compose file",)
    stacks = {cf.path for cf in files if is_stack_compose(project, cf)}
    production = _preferred(
        [
            rel
            for rel, reasons in development.items()
            if rel in stacks and not reasons and rel not in bases
        ]
    )
    return {
        rel: ComposeRole(reasons, production if production != rel else None, bases.get(rel))
        for rel, reasons in development.items()
    }


def override_bases(project: ProjectModel) -> dict[str, str]:
    """{override file: the compose file it is merged over} (see the module's docs)."""
    files = project.compose_files[:_MAX_FILES]
    complete = {
        cf.path: {s.name for s in cf.services[:_MAX_SERVICES] if _defined(s)} for cf in files
    }
    out: dict[str, str] = {}
    for cf in files:
        folder = posixpath.dirname(cf.path)
        beside = [
            o.path for o in files if o.path != cf.path and posixpath.dirname(o.path) == folder
        ]
        if posixpath.basename(cf.path) in DEFAULT_OVERRIDE_NAMES:
            default = [
                rel
                for rel in beside
                if posixpath.basename(rel) in DEFAULT_COMPOSE_NAMES
                and posixpath.basename(rel) not in DEFAULT_OVERRIDE_NAMES
            ]
            if default:
                out[cf.path] = _base_rank(default)
            continue
        partial = {s.name for s in cf.services[:_MAX_SERVICES] if not _defined(s)}
        if not partial:
            continue
        bases = [rel for rel in beside if partial <= complete[rel]]
        if bases:
            out[cf.path] = _base_rank(bases)
    return out


def _defined(service: ComposeService) -> bool:
    """A service compose can run from this file alone: it names its image, its build or the
    service it extends."""
    return bool(service.image or service.build or service.extends)


def _base_rank(rels: list[str]) -> str:
    """The names compose reads by default first, then by name."""

    def rank(rel: str) -> tuple[int, str]:
        name = posixpath.basename(rel)
        return (DEFAULT_COMPOSE_NAMES.index(name) if name in DEFAULT_COMPOSE_NAMES else 99, rel)

    return min(rels, key=rank)


def stack_command(
    rel: str, overrides: tuple[str, ...] = (), own_dotenv: bool = False, explicit: bool = False
) -> str:
    """`docker compose` on the compose file `rel` merged with `overrides` (`-f docker-compose.yml
    -f docker-compose.prod.yml`); `explicit` names `rel` with `-f` even where compose reads it
    by default, which keeps compose from merging `docker-compose.override.yml` over it."""
    if not overrides and not (explicit and "/" not in rel):
        return compose_command(rel, own_dotenv)
    env = " --env-file .env" if "/" in rel and not own_dotenv else ""
    return "docker compose" + env + "".join(f" -f {f}" for f in (rel, *overrides))


def production_compose(project: ProjectModel) -> str | None:
    """The root compose file djfix rewrites for the generated images, where one is not for
    development only: one named for production first, then the names compose reads by
    default; never an override file (its base is the stack's file)."""
    roles = compose_roles(project)
    stacks = {cf.path for cf in project.compose_files[:_MAX_FILES] if is_stack_compose(project, cf)}
    return _preferred(
        [
            rel
            for rel, role in roles.items()
            if rel in stacks and not role.development and role.base is None
        ]
    )


def _preferred(rels: list[str]) -> str | None:
    """A root file before one in a subfolder; one named for production first; then the names
    compose reads by default."""

    def rank(rel: str) -> tuple[int, int, int, str]:
        default = DEFAULT_COMPOSE_NAMES.index(rel) if rel in DEFAULT_COMPOSE_NAMES else 99
        return ("/" in rel, 0 if is_production_compose(rel) else 1, default, rel)

    return min(rels, key=rank, default=None)


def _named_marks(project: ProjectModel, cf: ComposeFile) -> list[str]:
    """The reasons a compose file is for development by a name: its own, its header comment's,
    or those of the env files, Dockerfiles and build targets it uses."""
    if is_dev_compose(cf.path):
        return ["by its name"]
    text = project.cache.text(project.root / cf.path).text or ""
    if _DEV_HEADER.search("\n".join(text.splitlines()[:_HEADER_LINES])):
        return ["by its header comment"]
    if is_production_compose(cf.path):
        return []
    reasons: list[str] = []
    # the services that build one development Dockerfile (or target) are named together
    builders: dict[tuple[str, str], list[str]] = {}
    for service in cf.services[:_MAX_SERVICES]:
        for env_file in service.env_file:
            if _DEV_WORD.search(_clean_path(env_file)):
                reasons.append(f"it reads the development env file {env_file}")
        script = _dev_script(service)
        if script:
            reasons.append(
                f"its service {service.name!r} starts with the development script {script}"
            )
        settings = _dev_settings(project, service)
        if settings:
            reasons.append(f"its service {service.name!r} runs the development settings {settings}")
        dockerfile = built_dockerfile(cf, service)
        if dockerfile and _DEV_WORD.search(dockerfile.lower()):
            key = ("dockerfile", dockerfile)
        elif service.target and _DEV_WORD.search(service.target.lower()):
            key = ("target", service.target)
        else:
            continue
        if key not in builders:
            builders[key] = []
            reasons.append(repr(key))  # its place among the reasons, filled in below
        builders[key].append(repr(service.name))
    for (kind, name), services in builders.items():
        who = (
            f"its service {services[0]} builds"
            if len(services) == 1
            else f"its services {', '.join(services[:-1])} and {services[-1]} build"
        )
        what = (
            f"the development Dockerfile {name}" if kind == "dockerfile" else f"the {name!r} target"
        )
        reasons[reasons.index(repr((kind, name)))] = f"{who} {what}"
    return list(dict.fromkeys(reasons))


def _dev_script(service: ComposeService) -> str | None:
    """The script named for development a service starts with (`./docker-entrypoint.dev.sh`,
    `scripts/start-local.sh`), as its entrypoint or command gives it."""
    for text in (service.entrypoint, service.command):
        for word in (text or "").split()[:4]:
            if word.endswith((".sh", ".py", ".bash")) and _DEV_WORD.search(
                posixpath.basename(word).lower()
            ):
                return word
    return None


def _dev_settings(project: ProjectModel, service: ComposeService) -> str | None:
    """The development settings module a service's DJANGO_SETTINGS_MODULE names: by its name
    (`config.settings.local`), or one that star-imports such a module and the production
    settings do not (`settings/docker.py` of `from .dev import *`)."""
    dotted = service.environment.get("DJANGO_SETTINGS_MODULE")
    if not dotted or dotted == project.production_module:
        return None
    last = dotted.rsplit(".", 1)[-1].lower()
    if _DEV_WORD.search(f".{last}."):
        return dotted
    module = project.settings_modules.get(dotted)
    production = project.settings_modules.get(project.production_module or "")
    inherited = set(production.star_imports) if production is not None else set()
    for imported in module.star_imports if module is not None else []:
        if imported not in inherited and _DEV_WORD.search(f".{imported.rsplit('.', 1)[-1]}."):
            return dotted
    return None


def _clean_path(path: str) -> str:
    return posixpath.normpath(path).lower()


def _runserver_marks(project: ProjectModel, cf: ComposeFile) -> list[str]:
    """A service that runs Django's development server on the code mounted from the
    repository, which is how a development stack reloads the code as it is edited."""
    reasons: list[str] = []
    for service in cf.services[:_MAX_SERVICES]:
        mounts = [source for source, _ in service.volumes if _code_folder(project, cf, source)]
        if mounts and "runserver" in service_servers(project, cf, service):
            reasons.append(
                f"its service {service.name!r} runs runserver with the code mounted from "
                f"{mounts[0]}"
            )
    return reasons


def command_scripts(
    scripts: Mapping[str, list[ScriptCommand]], text: str, compose_rel: str, build: Any
) -> dict[str, list[ScriptCommand]]:
    """The repository scripts a service's command or entrypoint `text` runs, by path. A relative
    path runs from the image's WORKDIR, where the build context is commonly copied: the
    `./bin/start.sh` of a service built from `./apps/api` is apps/api/bin/start.sh."""
    context = build if isinstance(build, str) else None
    if isinstance(build, Mapping):
        context = build.get("context") or "."
    base = posixpath.dirname(compose_rel)
    found: dict[str, list[ScriptCommand]] = {}
    for word in text.split()[:50]:
        word = word.strip("'\"")
        in_context = (
            posixpath.normpath(posixpath.join(base, str(context), word))
            if context is not None and not word.startswith("/")
            else None
        )
        for rel, commands in scripts.items():
            if rel == word.lstrip("./") or word.endswith("/" + rel) or rel == in_context:
                found.setdefault(rel, commands)
    return found


def service_servers(project: ProjectModel, cf: ComposeFile, service: ComposeService) -> set[str]:
    """The servers a compose service's command and entrypoint start, the scripts they run
    included (`sh entrypoint.sh` running runserver)."""
    text = " ".join(v for v in (service.entrypoint, service.command) if v)
    if not text.strip():
        return set()
    commands: list[ScriptCommand] = split_shell(text)
    for found in command_scripts(project.scripts, text, cf.path, service.build).values():
        commands.extend(found)
    return {server for _, server in server_invocations(commands)}


def _code_folder(project: ProjectModel, cf: ComposeFile, source: str) -> bool:
    """True when the bind mount's source is a folder of the repository that holds the code:
    the root, the folder of manage.py or one above it, or a folder inside it with Python
    modules."""
    if not source.startswith("."):
        return False
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(cf.path), source))
    if rel.startswith(".."):
        return False
    if rel == ".":
        return True
    code = posixpath.dirname(project.manage_py or "") or "."
    if code == rel or code.startswith(rel + "/"):
        return True
    if code != "." and not rel.startswith(code + "/"):
        return False
    folder = project.root / rel
    try:
        return folder.is_dir() and any(
            child.suffix == ".py" for child in itertools.islice(folder.iterdir(), 500)
        )
    except OSError:
        return False


def _context(cf: ComposeFile, service: ComposeService) -> str | None:
    """The service's build context as a path from the repository root (`..` and above for one
    outside it), or None when it is not built from a folder (no build, a URL)."""
    build: Any = service.build
    if build is None:
        return None
    context = build if isinstance(build, str) else (build.get("context") or ".")
    if not isinstance(context, str) or "://" in context:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(cf.path), context))


def _outside(rel: str) -> bool:
    return rel == ".." or rel.startswith("../")


def build_context(cf: ComposeFile, service: ComposeService) -> str | None:
    """The repository path of the service's build context (`.` for the root), or None when it is
    not built from a folder of this repository."""
    rel = _context(cf, service)
    return None if rel is None or _outside(rel) else rel


def built_dockerfile(cf: ComposeFile, service: ComposeService) -> str | None:
    """The repository path of the Dockerfile the service's image is built from (`build:` with
    its context and `dockerfile:`), or None when it is not built from this repository."""
    context_rel = _context(cf, service)
    if context_rel is None:
        return None
    dockerfile = posixpath.normpath(posixpath.join(context_rel, service.dockerfile or "Dockerfile"))
    return None if _outside(dockerfile) else dockerfile


def builds_root_dockerfile(cf: ComposeFile, service: ComposeService) -> bool:
    """True when the service's image is built from the root Dockerfile."""
    return built_dockerfile(cf, service) == "Dockerfile"


def compose_key_line(
    project: ProjectModel, cf: ComposeFile, service: ComposeService, key: str
) -> int | None:
    """The line of `key:` inside the service's mapping, else the service's own line."""
    if service.line is None:
        return None
    text = project.cache.text(project.root / cf.path).text
    if text is None:
        return service.line
    lines = text.split("\n")
    start = service.line - 1
    if start >= len(lines):
        return service.line
    indent = len(lines[start]) - len(lines[start].lstrip())
    for i in range(start + 1, min(len(lines), start + 2000)):
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(raw) - len(raw.lstrip()) <= indent:
            break
        if re.match(rf"{re.escape(key)}\s*:", stripped):
            return i + 1
    return service.line
