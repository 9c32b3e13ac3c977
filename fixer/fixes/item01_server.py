"""The app server of the generated api image (item 1, with item 3): the one the old image (or,
without one, the Procfile's `web:` line) already ran the project's module with (gunicorn,
uvicorn or daphne, kept with the author's options), else gunicorn on the WSGI module, uvicorn
workers for a project with only an ASGI module, daphne for a Channels project whose ASGI entry
point loads; and the command that starts it on `$PORT`."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from fixer.analysis.app_server import channels_bundles_daphne
from fixer.analysis.image import api_image
from fixer.parsers.commands import server_commands
from fixer.parsers.shell import ScriptCommand, basename, split_shell
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
    #: the author's own options of the old start command, carried into the CMD
    options: list[str] = field(default_factory=list)


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


#: options of the old start command the image does not carry, and whether each takes a value:
#: the address (djfix binds 0.0.0.0:$PORT), daemonising, a working folder of the old image, the
#: development reloader, and TLS at the app server (certificates of the old host; the image
#: serves plain HTTP behind the TLS proxy)
_BIND = {"-b": True, "--bind": True}
_GUNICORN_TLS = {
    "--keyfile": True,
    "--certfile": True,
    "--ca-certs": True,
    "--ssl-version": True,
    "--cert-reqs": True,
    "--ciphers": True,
}
_UVICORN_TLS = {
    "--ssl-keyfile": True,
    "--ssl-certfile": True,
    "--ssl-keyfile-password": True,
    "--ssl-version": True,
    "--ssl-cert-reqs": True,
    "--ssl-ca-certs": True,
    "--ssl-ciphers": True,
}
_NOT_CARRIED: dict[str, dict[str, bool]] = {
    "gunicorn": {
        **_BIND,
        "-D": False,
        "--daemon": False,
        "--chdir": True,
        "--reload": False,
        "--reload-engine": True,
        "--reload-extra-file": True,
        **_GUNICORN_TLS,
    },
    "uvicorn": {
        "--host": True,
        "--port": True,
        "--uds": True,
        "--fd": True,
        "--reload": False,
        "--reload-dir": True,
        "--reload-include": True,
        "--reload-exclude": True,
        "--reload-delay": True,
        **_UVICORN_TLS,
        # uvicorn's process manager restarts a worker that fails to start instead of
        # exiting: with workers, a start whose services are down would never fail
        "--workers": True,
    },
    "daphne": {
        **_BIND,
        "-p": True,
        "--port": True,
        "-u": True,
        "--unix-socket": True,
        "--fd": True,
        "-e": True,
        "--endpoint": True,
    },
}
#: gunicorn with uvicorn workers: the command names the worker class itself
_NOT_CARRIED["gunicorn-uvicorn"] = {
    **_NOT_CARRIED["gunicorn"],
    "-k": True,
    "--worker-class": True,
}
#: options djfix's command adds, each with the author's options that take its place
_OWN: dict[str, dict[tuple[str, ...], tuple[str, ...]]] = {
    "gunicorn": {("--access-logfile", "-"): ("--access-logfile",)},
    "gunicorn-uvicorn": {},
    "uvicorn": {("--proxy-headers",): ("--proxy-headers", "--no-proxy-headers")},
    "daphne": {
        ("--access-log", "-"): ("--access-log",),
        ("--proxy-headers",): ("--proxy-headers",),
    },
}
#: left out without a note: the generated command sets them itself
_SET_BY_DJFIX = frozenset({"-b", "--bind", "--host", "--port", "-p", "-k", "--worker-class"})
_SHELL_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_]\w*)([^}]*)\}|([A-Za-z_]\w*))")


def _option_name(arg: str) -> str:
    return arg.split("=", 1)[0]


def carried_options(server: str, args: list[str]) -> tuple[list[str], list[str]]:
    """(options the image keeps, options it leaves out) of the old command's arguments after
    the program name, the served module taken out. The address, daemonising, a working folder
    and the reloader are left out; an option whose value reads a variable with no default is
    left out too (the image may not set it, and an empty value stops the server)."""
    skip = _NOT_CARRIED.get(server, {})
    kept: list[str] = []
    left: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name = _option_name(arg)
        takes = skip.get(name)
        short = next(
            (o for o in skip if skip[o] and len(o) == 2 and arg.startswith(o) and len(arg) > 2),
            None,
        )
        if takes is not None or (short is not None and not arg.startswith("--")):
            width = 2 if takes and "=" not in arg and i + 1 < len(args) else 1
            if name not in _SET_BY_DJFIX and short not in _SET_BY_DJFIX:
                left.append(" ".join(args[i : i + width]))
            i += width
            continue
        # an option and its value travel together: `--workers 4`, `-w 4`
        group = [arg]
        if arg.startswith("-") and "=" not in arg and i + 1 < len(args):
            value = args[i + 1]
            if not value.startswith("-"):
                group.append(value)
        unset = [
            m[1] or m[3]
            for word in group
            for m in _SHELL_VARIABLE.finditer(word)
            if not (m[2] or "").startswith((":-", "-", ":=", "="))
        ]
        if unset:
            left.append(" ".join(group))
        else:
            kept.extend(group)
        i += len(group)
    return kept, left


def _old_server(project: ProjectModel) -> ServerChoice | None:
    """The app server the old image (else the Procfile's `web:` line) already ran on one of
    this project's modules: a working start is kept (uvicorn stays uvicorn), with the author's
    options (workers, timeouts, lifespan...) but not the address."""
    image = api_image(project)
    commands: list[ScriptCommand] = []
    origin = ""
    if image is not None:
        commands.extend(image.start)
        for script in image.scripts.values():
            commands.extend(script)
        commands.extend(c for _, c in image.programs)
        origin = f"the old {image.df.path}"
    else:
        for rel, entries in sorted(project.procfiles.items()):
            for entry in entries:
                if entry.process == "web":
                    commands.extend(split_shell(entry.command, entry.line))
                    origin = f"{rel} web"
    for server, argv in server_commands(commands):
        if server not in ("gunicorn", "uvicorn", "daphne"):
            continue
        start = next((i for i, a in enumerate(argv) if basename(a) == server), 0)
        args = argv[start + 1 :]
        if server == "gunicorn" and any("UvicornWorker" in a for a in args):
            server = "gunicorn-uvicorn"
        for index, arg in enumerate(args):
            m = _TARGET.match(arg)
            if m is None or ("." not in m[1] and m[2] is None):
                continue
            module, attr = m[1], m[2] or "application"
            text = _module_text(project, module)
            if text is None or not re.search(rf"^\s*{re.escape(attr)}\s*=", text, re.M):
                continue
            if server == "uvicorn" and not project.has_package("uvicorn"):
                break
            choice = ServerChoice(server, f"{module}:{attr}", _server_packages(project, server))
            choice.options, left = carried_options(server, [*args[:index], *args[index + 1 :]])
            if choice.options:
                choice.notes.append(
                    f"the CMD keeps the {server.split('-')[0]} options of {origin}: "
                    + " ".join(choice.options)
                )
            workers = [o for o in left if server == "uvicorn" and o.startswith("--workers")]
            if workers:
                choice.notes.append(
                    f"the CMD leaves out `{workers[0]}` of {origin}: uvicorn's process manager "
                    "restarts a worker that fails to start instead of exiting, so a start whose "
                    "database is down would keep the container running; it serves one process "
                    "(run more replicas, or serve with gunicorn -k uvicorn.workers.UvicornWorker "
                    "-w N, whose start fails when a worker cannot boot)"
                )
            left = [o for o in left if o not in workers]
            if left:
                choice.notes.append(
                    f"the CMD leaves out {', '.join(f'`{o}`' for o in left)} of {origin}: "
                    "a development or host-specific option (TLS belongs to the proxy in front), "
                    "or a variable with no default that the image may not set"
                )
            return choice
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


def _shell_word(word: str) -> str:
    """`word` for an `sh -c` script: quoted, with its variable reads still expanded."""
    if re.fullmatch(r"[\w@%+=:,./-]+", word):
        return word
    if "$" in word:
        return '"' + re.sub(r'(["\\`])', r"\\\1", word) + '"'
    return shlex.quote(word)


def server_command(
    server: str, target: str, options: list[str] | tuple[str, ...] = ()
) -> list[str]:
    """The exec-form CMD. gunicorn reads PORT (bind 0.0.0.0:$PORT) and WEB_CONCURRENCY itself;
    uvicorn reads WEB_CONCURRENCY; daphne reads neither, so a shell expands PORT and execs it.
    `options` are the author's own (carried from the old command): they come after the target
    (daphne's before it, since it takes the application last), and take the place of djfix's
    option of the same name."""
    options = list(options)
    names = {_option_name(o) for o in options}
    own = [
        word
        for words, replaced_by in _OWN.get(server, {}).items()
        if not names & set(replaced_by)
        for word in words
    ]
    if server in ("gunicorn", "gunicorn-uvicorn"):
        worker = (
            ["--worker-class", "uvicorn.workers.UvicornWorker"]
            if server == "gunicorn-uvicorn"
            else []
        )
        argv = ["gunicorn", target, *worker, *own, *options]
        if any("$" in o for o in options):
            # a variable in an option needs a shell to expand it
            return ["sh", "-c", "exec " + " ".join(_shell_word(w) for w in argv)]
        return argv
    if server == "uvicorn":
        rest = "".join(" " + _shell_word(w) for w in [*own, *options])
        return [
            "sh",
            "-c",
            f'exec uvicorn {target} --host 0.0.0.0 --port "${{PORT:-8000}}"{rest}',
        ]
    rest = "".join(" " + _shell_word(w) for w in [*own, *options])
    return [
        "sh",
        "-c",
        f'exec daphne --bind 0.0.0.0 --port "${{PORT:-8000}}"{rest} {target}',
    ]
