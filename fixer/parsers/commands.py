"""What a command line runs, looking through launchers (`poetry run`, `tini --`, `sh -c "..."`):
the Django management commands, the long-running servers, the system packages and the Python
packages it installs. Input is an argv from `fixer.parsers.shell`; output is plain data."""

from __future__ import annotations

import re
from collections.abc import Iterable

from fixer.parsers.shell import ScriptCommand, basename, skip_options, split_shell

_PYTHON_RE = re.compile(r"^(?:python|pypy)(?:\d+(?:\.\d+)*)?(?:\.exe)?$")
_PIP_RE = re.compile(r"^pip(?:\d+(?:\.\d+)*)?(?:\.exe)?$")
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
_PYTHON_VALUE_OPTIONS = frozenset({"-W", "-X", "--check-hash-based-pycs"})


def _after_double_dash(args: list[str], takes_value: Iterable[str] = ()) -> list[str]:
    if "--" in args:
        return args[args.index("--") + 1 :]
    return skip_options(args, takes_value)


def _is_python(program: str) -> bool:
    # `$(PYTHON)` in a Makefile or `$PYTHON` in a script is an interpreter by convention.
    return bool(_PYTHON_RE.match(basename(program).lower())) or program.startswith("$")


def _python_target(argv: list[str]) -> tuple[str, str, list[str]] | None:
    """("module", name, args) for `python -m name args`, ("script", path, args) for
    `python path args`, None for `python -c ...`, stdin or a bare interpreter."""
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "-m":
            return ("module", argv[i + 1], argv[i + 2 :]) if i + 1 < len(argv) else None
        if arg.startswith("-m") and not arg.startswith("--"):
            return "module", arg[2:], argv[i + 1 :]
        if arg == "-c" or arg == "-":
            return None
        if arg == "--":
            i += 1
            break
        if arg in _PYTHON_VALUE_OPTIONS:
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            break
    if i < len(argv):
        return "script", argv[i], argv[i + 1 :]
    return None


def _unwrap(argv: list[str]) -> list[str]:
    """Look through launchers that run another command: `poetry run`, `uv run`, `tini --`,
    `newrelic-admin run-program`, `coverage run`, `wait-for-it ... --` and the like."""
    for _ in range(8):
        if not argv:
            break
        head = basename(argv[0])
        if head in ("poetry", "pipenv", "pdm", "hatch", "rye") and argv[1:2] == ["run"]:
            argv = skip_options(argv[2:], {"-e", "--env"})
        elif head == "uv" and argv[1:2] == ["run"]:
            argv = skip_options(
                argv[2:],
                {"--with", "--env-file", "--python", "-p", "--project", "--directory"}
                | {"--package", "--extra", "--group", "--with-requirements"},
            )
        elif head in ("tini", "dumb-init", "catatonit", "ddtrace-run"):
            argv = _after_double_dash(argv[1:], {"-p", "-r"})
        elif head == "opentelemetry-instrument":
            args = argv[1:]
            while args and args[0].startswith("--") and args[0] != "--":
                args = args[1:] if "=" in args[0] else args[2:]
            argv = args[1:] if args[:1] == ["--"] else args
        elif head == "newrelic-admin" and argv[1:2] == ["run-program"]:
            argv = argv[2:]
        elif head == "newrelic-admin" and argv[1:2] == ["run-python"]:
            argv = ["python", *argv[2:]]
        elif head == "coverage" and argv[1:2] == ["run"]:
            argv = ["python", *skip_options(argv[2:], {"--source", "--rcfile", "--include"})]
        elif head in ("wait-for-it", "wait-for-it.sh", "doppler", "watchmedo") and "--" in argv:
            argv = argv[argv.index("--") + 1 :]
        elif head == "dockerize":
            args = argv[1:]
            while args and args[0].startswith("-"):
                args = args[1:] if "=" in args[0] else args[2:]
            argv = args
        else:
            break
    return argv


def shell_c_script(argv: list[str]) -> list[str] | None:
    """For `sh -c SCRIPT`, the script words; None if argv is not a shell with -c."""
    if basename(argv[0]) not in SHELLS:
        return None
    i = 1
    while i < len(argv) and argv[i].startswith(("-", "+")):
        option = argv[i]
        if option in ("-o", "+o"):
            i += 2
            continue
        i += 1
        if not option.startswith("--") and "c" in option[1:]:
            rest = argv[i:]
            if not rest:
                return None
            # An exec-form `["sh", "-c", "a && b"]` joined with spaces arrives as many words.
            if len(rest) == 1 or any(ch.isspace() for ch in rest[0]):
                return [rest[0]]
            return rest
    return None


def effective_argvs(argv: list[str], line: int, depth: int = 0) -> list[list[str]]:
    """The argv of every program a command really runs, looking through launchers and
    `sh -c "..."` scripts."""
    argv = _unwrap(argv)
    if not argv:
        return []
    script = shell_c_script(argv)
    if script is None or depth > 4:
        return [argv]
    if len(script) > 1:
        return effective_argvs(script, line, depth + 1)
    result: list[list[str]] = []
    for sub in split_shell(script[0], line):
        result.extend(effective_argvs(sub.argv, line, depth + 1))
    return result


def _django_command(argv: list[str]) -> tuple[str, list[str]] | None:
    if not argv:
        return None
    head = basename(argv[0])
    rest: list[str] | None = None
    if head in ("manage.py", "django-admin", "django-admin.py"):
        rest = argv[1:]
    elif _is_python(argv[0]):
        target = _python_target(argv)
        if target is None:
            return None
        kind, name, args = target
        # `python -m manage X` runs manage.py as a module from its folder
        if (kind == "module" and name in ("django", "manage")) or (
            kind == "script" and basename(name) in ("manage.py", "django-admin", "django-admin.py")
        ):
            rest = args
    if not rest or rest[0].startswith("-"):
        return None
    return rest[0], rest[1:]


def manage_py_commands(
    commands: Iterable[ScriptCommand],
) -> list[tuple[ScriptCommand, str, list[str]]]:
    """Every Django management command run by `commands`: `python manage.py X`,
    `./manage.py X`, `django-admin X`, `python -m django X`, `python -m manage X`, also behind
    `poetry run`, `sh -c` and similar launchers. Returns (command, subcommand, remaining args)."""
    found: list[tuple[ScriptCommand, str, list[str]]] = []
    for command in commands:
        for argv in effective_argvs(command.argv, command.line):
            django = _django_command(argv)
            if django is not None:
                found.append((command, django[0], django[1]))
    return found


_SERVER_PROGRAMS = {
    "gunicorn": "gunicorn",
    "uvicorn": "uvicorn",
    "daphne": "daphne",
    "hypercorn": "hypercorn",
    "granian": "granian",
    "uwsgi": "uwsgi",
    "supervisord": "supervisord",
    "nginx": "nginx",
    "celery": "celery",
    "circusd": "circus",
    "honcho": "honcho",
}
_SERVER_MODULES = {
    "gunicorn": "gunicorn",
    "uvicorn": "uvicorn",
    "daphne": "daphne",
    "hypercorn": "hypercorn",
    "granian": "granian",
    "celery": "celery",
    "supervisor": "supervisord",
    "circus": "circus",
    "honcho": "honcho",
}
# Options with which a server program only reports or signals instead of serving.
_NOT_SERVING = frozenset({"--version", "--help"})
_NGINX_NOT_SERVING = frozenset({"-t", "-T", "-s", "-v", "-V", "-h", "-?"})


def _server_of(argv: list[str]) -> str | None:
    django = _django_command(argv)
    if django is not None:
        return "runserver" if django[0] in ("runserver", "runserver_plus") else None
    program = basename(argv[0]).lower()
    args = argv[1:]
    server = _SERVER_PROGRAMS.get(program)
    if _is_python(argv[0]):
        target = _python_target(argv)
        if target is None:
            return None
        kind, name, args = target
        if kind == "module":
            server = _SERVER_MODULES.get(name.split(".")[0])
        else:
            server = _SERVER_PROGRAMS.get(basename(name).lower())
    if server is None or _NOT_SERVING.intersection(args):
        return None
    if server == "nginx" and _NGINX_NOT_SERVING.intersection(args):
        return None
    if server == "celery" and not {"worker", "beat"}.intersection(args):
        return None
    if server == "honcho" and args and "start" not in args:
        return None
    return server


def server_invocations(commands: Iterable[ScriptCommand]) -> list[tuple[ScriptCommand, str]]:
    """(command, server) for every command that starts a long-running server: gunicorn,
    uvicorn, daphne, hypercorn, granian, uwsgi, runserver (also runserver_plus),
    supervisord, nginx, celery (worker or beat), circus or honcho."""
    found: list[tuple[ScriptCommand, str]] = []
    for command in commands:
        seen: set[str] = set()
        for argv in effective_argvs(command.argv, command.line):
            server = _server_of(argv)
            if server is not None and server not in seen:
                seen.add(server)
                found.append((command, server))
    return found


def server_commands(commands: Iterable[ScriptCommand]) -> list[tuple[str, list[str]]]:
    """(server, argv) for every server started, with the argv that starts it (launchers,
    `sh -c` and wrappers looked through), so its options and module can be read."""
    found: list[tuple[str, list[str]]] = []
    for command in commands:
        for argv in effective_argvs(command.argv, command.line):
            server = _server_of(argv)
            if server is not None:
                found.append((server, argv))
    return found


_APT_VALUE_OPTIONS = {"-o", "--option", "-t", "--target-release", "-c", "--config-file", "-a"}
_APK_VALUE_OPTIONS = {
    "-t",
    "--virtual",
    "-X",
    "--repository",
    "--repositories-file",
    "-p",
    "--root",
    "--arch",
    "--cache-dir",
    "--keys-dir",
}
_RPM_VALUE_OPTIONS = {
    "-x",
    "--exclude",
    "--releasever",
    "--installroot",
    "-c",
    "--config",
    "--enablerepo",
    "--disablerepo",
    "--repo",
    "--repoid",
    "--setopt",
}
_PACKAGE_MANAGERS: dict[str, tuple[frozenset[str], set[str], str]] = {
    # program: (install subcommands, options taking a value, characters starting a pin)
    "apt-get": (frozenset({"install"}), _APT_VALUE_OPTIONS, "=/"),
    "apt": (frozenset({"install"}), _APT_VALUE_OPTIONS, "=/"),
    "aptitude": (frozenset({"install"}), _APT_VALUE_OPTIONS, "=/"),
    "apk": (frozenset({"add"}), _APK_VALUE_OPTIONS, "=<>~@"),
    "yum": (frozenset({"install"}), _RPM_VALUE_OPTIONS, ""),
    "dnf": (frozenset({"install"}), _RPM_VALUE_OPTIONS, ""),
    "microdnf": (frozenset({"install"}), _RPM_VALUE_OPTIONS, ""),
    "tdnf": (frozenset({"install"}), _RPM_VALUE_OPTIONS, ""),
    "zypper": (frozenset({"install", "in"}), {"-t", "--type", "-r", "--repo", "--from"}, "=<>"),
}


def system_packages(argv: list[str]) -> list[str]:
    """The system packages one command installs (apt-get, apk, yum, ... install)."""
    manager = _PACKAGE_MANAGERS.get(basename(argv[0]))
    if manager is None:
        return []
    subcommands, takes_value, pin_chars = manager
    args = skip_options(argv[1:], takes_value)
    if not args or args[0] not in subcommands:
        return []
    packages: list[str] = []
    i = 1
    only_packages = False
    while i < len(args):
        arg = args[i]
        i += 1
        if not only_packages and arg == "--":
            only_packages = True
        elif not only_packages and arg.startswith("-"):
            if arg in takes_value:
                i += 1
        elif arg.startswith(("/", "./", "../")) or not pin_chars:
            # A local package file; its path is not a name with a pin.
            packages.append(arg)
        else:
            name = re.split(f"[{re.escape(pin_chars)}]", arg, maxsplit=1)[0]
            if name:
                packages.append(name)
    return packages


_PIP_GLOBAL_VALUE_OPTIONS = {
    "--log",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--cache-dir",
    "--python",
}


def _first_positional(args: list[str], takes_value: Iterable[str] = ()) -> str | None:
    rest = skip_options(args, takes_value)
    return rest[0] if rest else None


def is_pip_install(argv: list[str]) -> bool:
    """True when `argv` installs Python packages: pip, `python -m pip`, `uv pip`,
    `uv sync`, poetry, pipenv or pdm."""
    head = basename(argv[0]).lower()
    if _PIP_RE.match(head):
        return _first_positional(argv[1:], _PIP_GLOBAL_VALUE_OPTIONS) == "install"
    if _is_python(argv[0]):
        target = _python_target(argv)
        return (
            target is not None
            and target[0] == "module"
            and target[1] == "pip"
            and _first_positional(target[2], _PIP_GLOBAL_VALUE_OPTIONS) == "install"
        )
    if head == "uv":
        rest = skip_options(argv[1:], {"--directory", "--project", "--cache-dir"})
        if rest[:1] == ["pip"]:
            return _first_positional(rest[1:]) in ("install", "sync")
        return rest[:1] == ["sync"]
    if head in ("poetry", "pipenv", "pdm"):
        return _first_positional(argv[1:]) in ("install", "sync")
    return False
