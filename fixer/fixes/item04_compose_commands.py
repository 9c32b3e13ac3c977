"""What a compose service's command and entrypoint run, as the compose rewrite
(fixer.fixes.item04_compose) reads them: whether the service serves the app or runs the
migrations, what else dropping its command would stop running, and the port it listened on,
which the api image is told to keep."""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from fixer.analysis.compose import command_scripts
from fixer.parsers.commands import effective_argvs, manage_py_commands, server_invocations
from fixer.parsers.shell import ScriptCommand, split_shell

#: programs that show a service serves the app (or the app and more, as supervisor does)
_SERVING = ("runserver", "gunicorn", "uvicorn", "daphne", "supervisord", "uwsgi", "nginx")
_MIGRATE = re.compile(r"(?<![\w-])migrate(?![\w-])")


def command_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def service_scripts(
    service: Any, scripts: dict[str, list[ScriptCommand]], rel: str
) -> dict[str, list[ScriptCommand]]:
    """The scripts the service's command and entrypoint run (entrypoint.sh running runserver),
    found from its build context as written (before the rewrite points it at the root)."""
    text = command_text(service.get("command")) + " " + command_text(service.get("entrypoint"))
    return command_scripts(scripts, text, rel, service.get("build"))


def serves_app(service: Any, found: dict[str, list[ScriptCommand]]) -> bool:
    """`found`: the scripts the service runs (`service_scripts`)."""
    text = command_text(service.get("command")) + " " + command_text(service.get("entrypoint"))
    if not text.strip():
        return False
    commands = split_shell(text)
    for listed in found.values():
        commands.extend(listed)
    servers = {server for _, server in server_invocations(commands)}
    return bool(servers & set(_SERVING))


def runs_migrate(service: Any, found: dict[str, list[ScriptCommand]]) -> bool:
    """The service's command runs the migrations (`manage.py migrate`, also inside `sh -c`, or
    a `migrate.sh`, or a script that runs `manage.py migrate`); an option named so
    (`--migrate`) does not count."""
    if _MIGRATE.search(command_text(service.get("command"))):
        return True
    return any(sub == "migrate" for c in found.values() for _, sub, _ in manage_py_commands(c))


#: what a start script runs that the generated images do in their own way: the server, the
#: migrations (a one-off service), the static files (the image build), the initial data (item
#: 12 turns a loaddata into a data migration, or says why it cannot)
_DONE_ELSEWHERE = {"runserver", "migrate", "collectstatic", "compress", "loaddata"}


def other_steps(found: dict[str, list[ScriptCommand]]) -> list[str]:
    """The management commands a service's start scripts ran besides serving, migrating and
    collecting the static files: what dropping the service's command stops running."""
    out: list[str] = []
    for listed in found.values():
        for _, sub, _ in manage_py_commands(listed):
            if sub not in _DONE_ELSEWHERE and sub not in out:
                out.append(sub)
    return out


#: programs of a command line that only set up the shell: dropping them loses nothing
_SHELL_ONLY = {"cd", "set", "echo", "sleep", "true", "export", "exec", "wait", ":"}


def command_steps(service: Any, scripts: Mapping[str, list[ScriptCommand]]) -> list[str]:
    """What the service's own command and entrypoint ran besides serving and what the images
    do in their own way (`generate_dev_cert.sh && gunicorn ...`): dropping them stops them.
    `scripts`: the scripts found for it; one that starts the server is the start script the
    image's command replaces (`other_steps` reads its other steps), any other is a step."""
    started = {
        posixpath.basename(rel) for rel, listed in scripts.items() if server_invocations(listed)
    }
    text = command_text(service.get("command")) + " " + command_text(service.get("entrypoint"))
    out: list[str] = []
    for command in split_shell(text)[:50]:
        for argv in effective_argvs(command.argv, command.line)[:50]:
            one = ScriptCommand(command.line, shlex.join(argv), argv)
            if not argv or posixpath.basename(argv[0]) in _SHELL_ONLY:
                continue
            if any(posixpath.basename(word) in started for word in argv[:3]):
                continue  # the start script: what it runs is read from the script itself
            if server_invocations([one]):
                continue
            django = manage_py_commands([one])
            if django:
                step = f"manage.py {django[0][1]}"
                if django[0][1] in _DONE_ELSEWHERE:
                    continue
            else:
                step = one.text if len(one.text) <= 80 else one.text[:77] + "..."
            if step not in out:
                out.append(step)
    return out


#: the port the generated api image listens on unless `PORT` says otherwise
#: (templates/docker/Dockerfile.jinja)
API_PORT = 8000
_SERVER_PORT_OPTIONS = {
    "gunicorn": ("-b", "--bind"),
    "uvicorn": ("--port",),
    "daphne": ("-p", "--port"),
}


def listen_port(
    service: Any, scripts: Mapping[str, list[ScriptCommand]] | None = None
) -> int | None:
    """The port the server that the service's command (or a start script it runs, `scripts`)
    starts listens on (`runserver 0.0.0.0:8443`, `gunicorn -b :8443`, `uvicorn --port 8443`);
    None where it names none, or one djfix cannot read (`$PORT`)."""
    text = command_text(service.get("command")) + " " + command_text(service.get("entrypoint"))
    commands = split_shell(text)[:50]
    for listed in (scripts or {}).values():
        commands.extend(listed[:200])
    for command in commands:
        for argv in effective_argvs(command.argv, command.line)[:50]:
            port = _argv_port(argv)
            if port is not None:
                return port
    return None


def _argv_port(argv: list[str]) -> int | None:
    if "runserver" in argv:
        rest = [a for a in argv[argv.index("runserver") + 1 :] if not a.startswith("-")]
        return _port_of(rest[0]) if rest else None
    program = next(
        (posixpath.basename(a) for a in argv[:3] if posixpath.basename(a) in _SERVER_PORT_OPTIONS),
        None,
    )
    if program is None:
        return None
    options = _SERVER_PORT_OPTIONS[program]
    for i, arg in enumerate(argv):
        name, eq, value = arg.partition("=")
        if name in options and eq:
            found = _port_of(value)
        elif arg in options and i + 1 < len(argv):
            found = _port_of(argv[i + 1])
        else:
            continue
        if found is not None:
            return found
    return None


def _port_of(value: str) -> int | None:
    """`8443`, `:8443`, `0.0.0.0:8443`, `[::]:8443` -> 8443; None for anything else."""
    port = value.rsplit(":", 1)[-1]
    return int(port) if port.isdigit() and 0 < int(port) < 65536 else None


def listen_on(name: str, service: Any, port: int) -> list[str]:
    """The api image listens on `PORT` (8000): a service whose dropped command listened on
    another port sets it, so that its published ports and the proxies that reach it on that
    port still find the app. The change made, if any."""
    env = service.get("environment")
    if isinstance(env, dict):
        if "PORT" in env:
            return []
        env["PORT"] = DoubleQuotedScalarString(str(port))
    elif isinstance(env, list):
        if any(str(item).partition("=")[0] == "PORT" for item in env):
            return []
        env.append(f"PORT={port}")
    else:
        mapping = CommentedMap()
        mapping["PORT"] = DoubleQuotedScalarString(str(port))
        keys = list(service.keys())
        after = [k for k in ("build", "image", "env_file") if k in keys]
        pos = max((keys.index(k) + 1 for k in after), default=0)
        service.insert(pos, "environment", mapping)
    return [
        f"service {name!r} sets PORT={port}: the api image listens on it, as the command that "
        "went did"
    ]
