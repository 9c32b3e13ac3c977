"""Item 3: the app is served by gunicorn, uvicorn or daphne directly.

## What it checks
Only the processes that serve the API are looked at: the root Dockerfile's final stage (its
CMD, ENTRYPOINT and RUN, including the stages it is built FROM), the scripts and
supervisor/circus configurations that image runs, the compose services' `command:` and
`entrypoint:` (and the scripts they run), the Procfile `web:` entry, and shell scripts nothing
refers to whose name says they start the app (`start.sh`, `docker-entrypoint.sh`, `run-web.sh`;
not `dev.sh` or `run_tests.sh`). Makefiles, worker, migrate and release processes are not the
API.

- Nothing runs Django's development server, `manage.py runserver` or `runserver_plus` (DJ030).
  Development compose files (`docker-compose.dev.yml`, `*.override.yml`, `local.yml`) are
  reported too, at the same severity: the message names the file so you can judge, and
  `# djfix: ignore[DJ030]` on the line silences one you keep on purpose.
- The API image neither installs nor runs a process manager (supervisord, circus, honcho):
  the Dockerfile's final stage, the scripts it runs, and the compose services built from it
  (DJ031).
- The API image neither installs nor starts nginx: the final stage, its scripts and
  supervisor/circus configurations, and the compose services built from it (DJ032). An nginx in
  its own compose service or its own image (a separate `FROM nginx` stage) is the recommended
  layout and is not reported; neither is `nginx -t`, which only tests a configuration.
- uWSGI is not what serves the app (DJ033): it works, but the checklist standardises on
  gunicorn, uvicorn or daphne.
- The dependency file declares one of gunicorn, uvicorn, daphne, hypercorn or granian (DJ034).
  This is reported whenever none is declared: every Django project must be served by something.

## Why it matters
`runserver` is single-process, unaudited for security and not meant to serve traffic. One
process per container lets the platform restart, scale and log it; a supervisor inside the
container hides crashes from the orchestrator, and an nginx next to the app doubles the image's
attack surface while the platform's load balancer already does its job. An app server missing
from the dependency file means the image only works because someone installed it by hand.

## Example
```diff
-CMD ["supervisord", "-n"]
+CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
```
```diff
 # requirements.txt
 Django==5.2
+gunicorn==23.0.0
```

## Fix safety
DJ034 is safe: the dependency file gains the server the generated Dockerfile runs (gunicorn;
gunicorn and uvicorn for ASGI; daphne for a Channels project that has it). DJ030 to DJ033 are
unsafe: the Dockerfile that runs them is replaced by a generated one whose CMD runs the app
server alone. An old image that already served one of the project's modules keeps its server
(uvicorn stays uvicorn); a project with only `asgi.py` is served by gunicorn with uvicorn
workers; a Channels routing module named by `ASGI_APPLICATION` gets an `asgi.py` that sets
Django up first. In a compose file at the repository root (not a development one), the service
that runs runserver, supervisor or nginx with the app builds the `api` target and runs its
command; a Procfile or script outside the image stays for you to change. A requirements file
pinned with `--hash` (`pip-compile --generate-hashes`) cannot take a line without hashes: the
server goes into the file it is compiled from, and the generated builder installs it, pinned,
in a step after the hash-checked install, until `pip-compile --generate-hashes` pins it there.

## Options
None.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from codemods.dependencies.pyproject import declared_in_groups
from fixer import rule_codes
from fixer.analysis.app_server import (
    APP_SERVERS,
    PROCESS_MANAGERS,
    app_modules,
    channels_bundles_daphne,
)
from fixer.analysis.compose import builds_root_dockerfile, compose_key_line, compose_roles
from fixer.analysis.image import (
    ApiImage,
    api_image,
    collect_scripts,
    physical_line,
    run_commands,
    run_of,
)
from fixer.checks import rule
from fixer.findings import Finding, FixSafety, Severity
from fixer.parsers.commands import server_invocations
from fixer.parsers.shell import ScriptCommand, split_shell
from fixer.project import ProjectModel

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the backport of older Pythons
    import tomli as tomllib

ITEM = 3
TITLE = "Served by an app server"

RUNSERVER = rule(
    __name__,
    rule_codes.RUNSERVER_IN_CONTAINER,
    "runserver-in-container",
    ITEM,
    Severity.ERROR,
    "Django's development server (runserver) serves the app.",
    FixSafety.UNSAFE,
)
PROCESS_MANAGER = rule(
    __name__,
    rule_codes.PROCESS_MANAGER_IN_CONTAINER,
    "process-manager-in-container",
    ITEM,
    Severity.WARNING,
    "The API container runs a process manager (supervisord, circus, honcho).",
    FixSafety.UNSAFE,
)
NGINX = rule(
    __name__,
    rule_codes.NGINX_IN_API_IMAGE,
    "nginx-in-api-image",
    ITEM,
    Severity.WARNING,
    "nginx is installed or started in the API image instead of its own container.",
    FixSafety.UNSAFE,
)
UWSGI = rule(
    __name__,
    rule_codes.UWSGI_SERVER,
    "uwsgi-server",
    ITEM,
    Severity.WARNING,
    "The app is served by uWSGI instead of gunicorn, uvicorn or daphne.",
    FixSafety.UNSAFE,
)
SERVER_MISSING = rule(
    __name__,
    rule_codes.APP_SERVER_MISSING,
    "app-server-missing",
    ITEM,
    Severity.ERROR,
    "No app server (gunicorn, uvicorn, daphne) is declared as a dependency.",
    FixSafety.SAFE,
)
RULES = [RUNSERVER, PROCESS_MANAGER, NGINX, UWSGI, SERVER_MISSING]
OPTIONS: dict = {}

_MANAGER_PACKAGES = frozenset({"supervisor", "circus", "honcho"})
_NGINX_PACKAGE = re.compile(r"^nginx(?:-(?:full|light|extras|core|mainline))?$")


def applies(project: ProjectModel) -> bool:
    return True


# -- where commands run ---------------------------------------------------------------------------


#: Scripts nothing djfix reads refers to, whose name says they start the app (a platform's
#: start command may run them); development helpers (dev.sh, run_tests.sh) are left out.
_START_SCRIPT = re.compile(r"entrypoint|start|serve|server|web|boot|launch|run")
_DEV_SCRIPT = re.compile(r"dev|local|test|lint|setup|install|build|migrat|worker|celery")


class _Places:
    """The commands that may serve the API, each with its file and line: `api` runs inside the
    API image; `serving` adds the other places a web process is started from."""

    def __init__(self, project: ProjectModel, image: ApiImage | None) -> None:
        self.project = project
        self.image = image
        self.api: list[tuple[str, ScriptCommand, str]] = []
        self.serving: list[tuple[str, ScriptCommand, str]] = []
        reached: set[str] = set()
        if image is not None:
            path = image.df.path
            for stage in image.chain:
                self.api.extend((path, c, "a RUN of the image") for c in run_commands(stage))
            for command in image.start:
                keyword = "CMD" if image.cmd and command.line == image.cmd.line else "ENTRYPOINT"
                self.api.append((path, command, f"the {keyword}"))
            for rel, commands in image.scripts.items():
                reached.add(rel)
                self.api.extend((rel, c, "this script, which the image runs,") for c in commands)
            for rel, command in image.programs:
                self.api.append((rel, command, "a program of this configuration"))
        self._compose(reached)
        self.serving.extend(self.api)
        self._procfiles(reached)
        for rel, commands in sorted(project.scripts.items()):
            name = posixpath.basename(rel).lower()
            if rel in reached or not _START_SCRIPT.search(name) or _DEV_SCRIPT.search(name):
                continue
            self.serving.extend((rel, c, "this start script") for c in commands)

    def _scripts_of(
        self, commands: list[ScriptCommand], what: str, reached: set[str], api: bool
    ) -> None:
        chain = self.image.chain if self.image is not None and api else []
        scripts: dict[str, list[ScriptCommand]] = {}
        collect_scripts(self.project, chain, commands, scripts, {}, [])
        target = self.api if api else self.serving
        for rel, found in scripts.items():
            if rel not in reached:
                reached.add(rel)
                target.extend((rel, c, f"this script, which {what} runs,") for c in found)

    def _compose(self, reached: set[str]) -> None:
        project, image = self.project, self.image
        roles = compose_roles(project)
        for cf in project.compose_files:
            role = roles.get(cf.path)
            dev = " (a development compose file)" if role and role.development else ""
            for service in cf.services:
                api = (
                    image is not None
                    and builds_root_dockerfile(cf, service)
                    and service.target in (None, image.stage.name)
                )
                for key in ("entrypoint", "command"):
                    value = getattr(service, key)
                    if not value:
                        continue
                    line = compose_key_line(project, cf, service, key) or 1
                    commands = split_shell(value, line)
                    what = f"the {key} of compose service {service.name!r}{dev}"
                    (self.api if api else self.serving).extend((cf.path, c, what) for c in commands)
                    self._scripts_of(commands, what, reached, api)

    def _procfiles(self, reached: set[str]) -> None:
        for rel, entries in sorted(self.project.procfiles.items()):
            for entry in entries:
                if entry.process != "web":
                    continue
                commands = split_shell(entry.command, entry.line)
                what = f"the web process of {rel}"
                self.serving.extend((rel, c, what) for c in commands)
                self._scripts_of(commands, what, reached, False)


def _invocations(
    places: Iterable[tuple[str, ScriptCommand, str]], servers: set[str]
) -> list[tuple[str, ScriptCommand, str, str]]:
    out: list[tuple[str, ScriptCommand, str, str]] = []
    seen: set[tuple[str, int, str]] = set()
    for path, command, what in places:
        for _, server in server_invocations([command]):
            key = (path, command.line, server)
            if server in servers and key not in seen:
                seen.add(key)
                out.append((path, command, what, server))
    return out


# -- the rules ------------------------------------------------------------------------------------


def _runserver(places: _Places, modules: list[str]) -> Iterator[Finding]:
    target = f"{modules[0]}:application" if modules else "<project>.wsgi:application"
    # a script that starts an app server too chooses between them (`if [[ $USE_GUNICORN ==
    # True ]]; then gunicorn ...; else manage.py runserver; fi`): said as a choice
    servers = {
        (path, command.line): (command, server)
        for path, command, _, server in _invocations(places.serving, set(APP_SERVERS))
    }
    for path, command, what, _ in _invocations(places.serving, {"runserver"}):
        other = next(
            (found for (where, _), found in sorted(servers.items()) if where == path), None
        )
        runs = f"runs Django's development server (`{_short(command.text)}`)"
        if other is not None:
            advice = (
                f" unless it takes the branch that starts {other[1]} (line {other[0].line}): "
                f"make {other[1]} the only server it starts"
            )
        else:
            advice = f": serve the app with gunicorn {target} (or uvicorn/daphne for ASGI) instead"
        yield Finding(RUNSERVER, f"{path}: {what} {runs}{advice}", path, command.line)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


def _installed(
    project: ProjectModel, image: ApiImage, wanted: frozenset[str] | re.Pattern[str]
) -> list[tuple[int, str]]:
    """(line, package) of system or pip packages the API image's chain installs."""
    found: list[tuple[int, str]] = []
    path = image.df.path
    for stage in image.chain:
        for line, package in stage.installed_system_packages():
            name = package.lower()
            if wanted.match(name) if isinstance(wanted, re.Pattern) else name in wanted:
                found.append((physical_line(project, path, line, package), package))
        if isinstance(wanted, re.Pattern):
            continue
        for line, text in stage.pip_installs():
            if run_of(stage, line) is None:
                continue
            for command in split_shell(text, line):
                for word in command.argv[1:]:
                    name = re.split(r"[<>=!~\[;]", word, maxsplit=1)[0].lower()
                    if name in wanted:
                        found.append((physical_line(project, path, line, word), name))
    return list(dict.fromkeys(found))


def _process_managers(places: _Places) -> Iterator[Finding]:
    image = places.image
    if image is None:
        return
    path = image.df.path
    lines: set[tuple[str, int]] = set()
    for line, package in _installed(places.project, image, _MANAGER_PACKAGES):
        lines.add((path, line))
        yield Finding(
            PROCESS_MANAGER,
            f"{path} installs {package} in the image that runs the app: run one process per "
            "container (the app server) and let the platform restart and scale it",
            path,
            line,
        )
    for where, command, what, server in _invocations(places.api, set(PROCESS_MANAGERS)):
        if (where, command.line) in lines:
            continue
        lines.add((where, command.line))
        yield Finding(
            PROCESS_MANAGER,
            f"{where}: {what} starts {server} in the API container: run the app server as the "
            "container's only process and move each other program to its own container",
            where,
            command.line,
        )


def _nginx(places: _Places) -> Iterator[Finding]:
    image = places.image
    if image is None:
        return
    path = image.df.path
    lines: set[tuple[str, int]] = set()
    for line, package in _installed(places.project, image, _NGINX_PACKAGE):
        lines.add((path, line))
        yield Finding(
            NGINX,
            f"{path} installs {package} in the image that runs the app: serve static files "
            "with an nginx container (or stage) of its own, or whitenoise, and keep this image "
            "to the app server",
            path,
            line,
        )
    for where, command, what, _ in _invocations(places.api, {"nginx"}):
        if (where, command.line) in lines:
            continue
        lines.add((where, command.line))
        yield Finding(
            NGINX,
            f"{where}: {what} starts nginx in the API container: run nginx as its own compose "
            "service or image and let this container run only the app server",
            where,
            command.line,
        )


def _uwsgi(places: _Places, modules: list[str]) -> Iterator[Finding]:
    target = f"{modules[0]}:application" if modules else "<project>.wsgi:application"
    for path, command, what, _ in _invocations(places.serving, {"uwsgi"}):
        yield Finding(
            UWSGI,
            f"{path}: {what} serves the app with uWSGI (`{_short(command.text)}`): use gunicorn "
            f"{target} (or uvicorn/daphne for ASGI), the servers this checklist supports",
            path,
            command.line,
        )


def _server_missing(project: ProjectModel) -> Iterator[Finding]:
    if project.has_package(*APP_SERVERS) or channels_bundles_daphne(project):
        return
    asgi = bool(project.asgi_application)
    if asgi and project.has_package("channels"):
        advice = "daphne (ASGI_APPLICATION is set and channels is installed)"
    elif asgi:
        advice = "uvicorn (ASGI_APPLICATION is set) or gunicorn"
    else:
        advice = "gunicorn (or uvicorn/daphne for ASGI)"
    source = project.dependency_source
    uwsgi = " (uwsgi is declared, but the checklist serves with gunicorn, uvicorn or daphne)"
    note = uwsgi if project.has_package("uwsgi", "pyuwsgi") else ""
    if source is None:
        yield Finding(
            SERVER_MISSING,
            "no dependency file declares an app server: add a requirements.txt (or "
            f"pyproject.toml) that lists Django and {advice}{note}",
            None,
            None,
        )
        return
    django = next((r for r in source.packages if r.name == "django"), None)
    line = django.line if django is not None and django.line else 1
    grouped = _server_in_groups(project, source.rel)
    if grouped is not None:
        yield Finding(
            SERVER_MISSING,
            f"{source.rel} declares {grouped[0]} only in {grouped[1]}, which an install of the "
            f"project's dependencies leaves out: add it to [project].dependencies",
            source.rel,
            line,
        )
        return
    yield Finding(
        SERVER_MISSING,
        f"{source.rel} declares no app server{note}: add {advice} to {source.rel}",
        source.rel,
        line,
    )


def _server_in_groups(project: ProjectModel, rel: str) -> tuple[str, str] | None:
    """(the requirement, where) of an app server a pyproject.toml declares only in a
    dependency group or an optional extra (`[dependency-groups] docker`)."""
    if posixpath.basename(rel) != "pyproject.toml":
        return None
    text = project.cache.text(project.root / rel).text
    try:
        data = tomllib.loads(text or "")
    except tomllib.TOMLDecodeError:
        return None
    found = declared_in_groups(data)
    return next((found[name] for name in APP_SERVERS if name in found), None)


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    image = api_image(project)
    places = _Places(project, image)
    modules = app_modules(project)
    seen: set[tuple[str, str | None, int | None]] = set()
    for finding in (
        *_runserver(places, modules),
        *_process_managers(places),
        *_nginx(places),
        *_uwsgi(places, modules),
        *_server_missing(project),
    ):
        key = (finding.code, finding.path, finding.line)
        if key not in seen:
            seen.add(key)
            yield finding
