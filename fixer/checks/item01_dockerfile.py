"""Item 1: a working, project-specific Dockerfile at the repository root.

## What it checks
The repository has a `Dockerfile` at its root, djfix can read its stages, and it builds *this*
project: some stage that ends up in the image installs the project's dependencies (a
`pip install -r <requirements file>`, `pip install .`, `poetry install`, `uv sync`,
`pipenv install`, `pdm install`, or built wheels), and the image's `CMD`/`ENTRYPOINT` starts the
project: it names the project's WSGI or ASGI module (`WSGI_APPLICATION = "mysite.wsgi.application"`
gives `mysite.wsgi` or `mysite.wsgi:application`), `manage.py`, or runs a script or a
supervisor/circus/honcho configuration from the repository that does.

The image's stage is the last one, which a plain `docker build .` produces; when the last stage
is a web-server image (nginx, caddy, httpd, ...) that only serves static files, it is the last
stage before it that starts the project.

An existing `.dockerignore` must keep `.env` (the local secrets) and `.git` (the whole history,
secrets that were ever committed included) out of the build context: a `COPY . .` copies into the
image whatever the context holds (DJ013).

## Why it matters
`docker build .`, PaaS builders and CI pipelines look for `Dockerfile` at the root of the
repository; one kept in `docker/` or named `Dockerfile.prod` is found only by people who know
about it. A Dockerfile copied from a template or another project often builds fine and then runs
nothing useful: the base image's `python3` prompt, or another project's module.

djfix stays silent about the start command when the `CMD` runs a script it cannot find in the
repository (for example one installed from a package): it cannot tell what that script starts.

## Example
```diff
 FROM python:3.12-slim
 WORKDIR /app
+COPY requirements.txt .
+RUN pip install --no-cache-dir -r requirements.txt
 COPY . .
-CMD ["python3"]
+CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]
```

## Fix safety
DJ010 is safe: djfix writes a `Dockerfile` generated for this project (its Python
version, dependency manager, `manage.py` folder, WSGI/ASGI module and app server), with
`.dockerignore`, a compose file for local runs (when there is none) and a README section on
build, run and migrate. The image's Python is the one the project names (runtime.txt,
.python-version, requires-python, the old image's base), else the one `djfix apply --python`
(or `--install`) verifies it with, where an official slim image has it and the project's
Django supports it. Where the settings use PostgreSQL or MySQL and the dependencies name no
driver (the machine the project ran on had one of its own), the driver is added to them:
`psycopg[binary]` for Django 4.2 and later, else `psycopg2-binary`; `mysqlclient`, whose
headers the image's builder installs. DJ011 and DJ012 are unsafe: the existing Dockerfile is
replaced by the generated one; the system packages it installed are carried over, and steps
djfix does not carry are listed in the summary with the reason. The app server the old image
(or, without one, the Procfile's `web:` line) started keeps the author's options in the new
`CMD` (workers, timeouts, `--lifespan`, `--ws`, proxy headers...; uvicorn's `--workers` is the
exception, since its process manager outlives a worker that cannot start, so a start with the
database down would never fail); the address is djfix's
(`$PORT`), and the reloader, daemonising, an old working folder, TLS certificates (TLS belongs
to the proxy in front) and an option whose value is a variable without a default are left out,
each named in the summary. DJ013 is safe: the missing
entries are appended to `.dockerignore`, under a comment.

## Options
None.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from fixer import rule_codes
from fixer.analysis.app_server import APP_SERVERS, app_modules
from fixer.analysis.dockerignore import dockerignore_lets_in
from fixer.analysis.image import ApiImage, api_image, run_commands, run_of
from fixer.checks import rule
from fixer.findings import Finding, FixSafety, Severity
from fixer.parsers.commands import manage_py_commands, server_invocations
from fixer.parsers.dockerfile import Dockerfile, Stage
from fixer.parsers.shell import ScriptCommand, split_shell
from fixer.project import ProjectModel

ITEM = 1
TITLE = "Project-specific Dockerfile"

MISSING = rule(
    __name__,
    rule_codes.DOCKERFILE_MISSING,
    "dockerfile-missing",
    ITEM,
    Severity.ERROR,
    "There is no Dockerfile at the repository root.",
    FixSafety.SAFE,
)
GENERIC = rule(
    __name__,
    rule_codes.DOCKERFILE_GENERIC,
    "dockerfile-generic",
    ITEM,
    Severity.ERROR,
    "The root Dockerfile does not install or does not start this project.",
    FixSafety.UNSAFE,
)
UNPARSABLE = rule(
    __name__,
    rule_codes.DOCKERFILE_UNPARSABLE,
    "dockerfile-unparsable",
    ITEM,
    Severity.ERROR,
    "The root Dockerfile cannot be read or has no FROM instruction.",
    FixSafety.UNSAFE,
)
DOCKERIGNORE_LEAKS = rule(
    __name__,
    rule_codes.DOCKERIGNORE_LETS_SECRETS_IN,
    "dockerignore-lets-secrets-in",
    ITEM,
    Severity.WARNING,
    "The .dockerignore lets .env or .git into the build context, so into the image.",
    FixSafety.SAFE,
)
RULES = [MISSING, GENERIC, UNPARSABLE, DOCKERIGNORE_LEAKS]
OPTIONS: dict = {}


def applies(project: ProjectModel) -> bool:
    return True


_PIP_VALUE_OPTIONS = frozenset(
    {"-t", "--target", "--prefix", "--root", "-i", "--index-url", "--extra-index-url", "-f"}
    | {"--find-links", "-c", "--constraint", "--cache-dir", "--src", "--python"}
)
_LOCAL_TARGET = re.compile(r"^(\.{1,2}(/.*)?|/.+|.+\.whl|.*[*?].*|file:.*|\.\[.*\])$")


def _installs_project(project: ProjectModel, command: ScriptCommand) -> bool:
    """True when an install command installs the project's dependencies (not one package)."""
    argv = command.argv
    if not argv:
        return False
    head = posixpath.basename(argv[0]).lower()
    args = argv[1:]
    if re.fullmatch(r"python[\d.]*", head) and args[:2] == ["-m", "pip"]:
        head, args = "pip", args[2:]
    if head == "uv" and args[:1] == ["pip"]:
        head, args = "pip", args[1:]
    if head in ("poetry", "pipenv", "pdm", "uv"):
        return True
    if not re.fullmatch(r"pip[\d.]*", head):
        return False
    if any(a in ("-r", "--requirement") or a.startswith(("-r", "--requirement=")) for a in args):
        return True
    if args[:1] == ["sync"]:
        return True
    dependency_files = {posixpath.basename(s.rel) for s in project.dependency_sources}
    skip = False
    for arg in args[1:]:
        if skip or arg.startswith("-"):
            # the value of --target /install or --find-links /wheels is not what is installed
            skip = arg in _PIP_VALUE_OPTIONS
            continue
        if _LOCAL_TARGET.match(arg) or posixpath.basename(arg) in dependency_files:
            return True
    return "requirements" in command.text


def _wheel_builds(stage: Stage) -> list[ScriptCommand]:
    """`pip wheel -r ...` / `pip download -r ...` commands: a builder stage preparing the
    project's dependencies for the final stage."""
    out: list[ScriptCommand] = []
    for command in run_commands(stage):
        words = command.argv
        if any(re.fullmatch(r"pip[\d.]*", posixpath.basename(w)) for w in words[:3]) and (
            "wheel" in words or "download" in words or "export" in words
        ):
            out.append(command)
        elif words[:2] == ["poetry", "export"] or words[:2] == ["uv", "export"]:
            out.append(command)
    return out


def installs_project(project: ProjectModel, image: ApiImage) -> bool:
    for stage in image.contributing:
        for line, text in stage.pip_installs():
            if run_of(stage, line) is None:
                continue
            for command in split_shell(text, line):
                if _installs_project(project, command):
                    return True
        if _wheel_builds(stage):
            return True
    return False


def _module_pattern(modules: list[str]) -> re.Pattern[str] | None:
    if not modules:
        return None
    alternatives = []
    for module in modules:
        dotted = re.escape(module)
        slashed = re.escape(module.replace(".", "/")) + r"\.py"
        alternatives.extend([dotted, slashed])
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")


def starts_project(project: ProjectModel, image: ApiImage) -> tuple[bool, list[str]]:
    """(whether the image's start commands start this project, the app servers they run)."""
    texts = [c.text for c in image.start]
    commands = list(image.start)
    for script in image.scripts.values():
        texts.extend(c.text for c in script)
        commands.extend(script)
    texts.extend(c.text for _, c in image.programs)
    commands.extend(c for _, c in image.programs)
    texts.extend(image.configs.values())
    servers = [s for _, s in server_invocations(commands) if s in APP_SERVERS]
    if manage_py_commands(commands) or any("manage.py" in t or "django-admin" in t for t in texts):
        return True, servers
    pattern = _module_pattern(app_modules(project))
    if pattern is None:
        # Without a known WSGI module, an app server is the best evidence there is.
        return bool(servers) or any("uwsgi" in t for t in texts), servers
    return any(pattern.search(t) for t in texts), servers


def _unparsable(df: Dockerfile) -> str | None:
    if not df.stages:
        return "has no FROM instruction"
    final = df.final_stage
    if final is not None and not final.base.strip():
        return f"line {final.line}: FROM names no image"
    return None


def _check_dockerignore(project: ProjectModel) -> Iterator[Finding]:
    if not (project.root / ".dockerignore").is_file():
        return
    text = project.cache.text(project.root / ".dockerignore").text
    if text is None:
        return
    missing = dockerignore_lets_in(text)
    if missing:
        yield Finding(
            DOCKERIGNORE_LEAKS,
            ".dockerignore does not exclude " + " or ".join(missing) + ": `COPY . .` puts "
            "it into the image, where anyone who pulls the image can read it; add "
            + ", ".join(f"`{m}`" for m in missing),
            ".dockerignore",
            None,
        )


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    yield from _check_dockerignore(project)
    df = project.root_dockerfile
    if df is None:
        if (project.root / "Dockerfile").is_file():
            why = next(
                (m for rel, m in project.deploy_problems if rel == "Dockerfile"), "cannot be read"
            )
            yield Finding(
                UNPARSABLE,
                f"Dockerfile {why}: djfix cannot check it; save it as UTF-8 text it can read",
                "Dockerfile",
                None,
            )
            return
        others = sorted(d.path for d in project.dockerfiles)
        if others:
            shown = ", ".join(others[:5]) + (" and others" if len(others) > 5 else "")
            yield Finding(
                MISSING,
                f"no Dockerfile at the repository root (found {shown}): move the one that "
                "builds the app to the root, where `docker build .` and deploy platforms look",
                None,
                None,
            )
        else:
            yield Finding(
                MISSING,
                "no Dockerfile at the repository root: add one that installs the project's "
                "dependencies and starts it with gunicorn (or uvicorn/daphne)",
                None,
                None,
            )
        return
    problem = _unparsable(df)
    if problem is not None:
        line = df.final_stage.line if df.final_stage is not None else None
        yield Finding(
            UNPARSABLE,
            f"{df.path} {problem}, so djfix cannot check it: start each stage with "
            "`FROM <image> [AS <name>]`",
            df.path,
            line,
        )
        return
    image = api_image(project)
    if image is None:
        return
    stage_label = f"stage {image.stage.name!r}" if image.stage.name else "the final stage"
    if not installs_project(project, image):
        source = project.dependency_source.rel if project.dependency_source else None
        what = f"-r {source}" if source and source.endswith((".txt", ".in")) else "."
        if source and posixpath.basename(source) == "Pipfile":
            hint = "`pipenv install --deploy --system`"
        elif project.dependency_source is not None and project.dependency_source.kind == "poetry":
            hint = "`poetry install --only main`"
        else:
            hint = f"`pip install --no-cache-dir {what}`"
        yield Finding(
            GENERIC,
            f"{df.path} never installs the project's dependencies"
            f"{f' ({source})' if source else ''}: add a RUN {hint} to the image's stages",
            df.path,
            image.stage.line,
        )
    started, servers = starts_project(project, image)
    if not started and not image.unresolved:
        modules = app_modules(project)
        module = modules[0] if modules else "<project>.wsgi"
        start = image.cmd or image.entrypoint
        if start is None:
            yield Finding(
                GENERIC,
                f"{df.path} has no CMD or ENTRYPOINT in {stage_label}, so the image runs the "
                f'base image\'s default: add CMD ["gunicorn", "{module}:application", '
                '"--bind", "0.0.0.0:8000"]',
                df.path,
                image.stage.line,
            )
        else:
            if servers:
                what = f"starts {servers[0]} but not this project's WSGI/ASGI module ({module})"
            else:
                what = f"never starts this project ({module}, manage.py or a script running them)"
            yield Finding(
                GENERIC,
                f"{df.path} {start.keyword} {what}: run "
                f'["gunicorn", "{module}:application", "--bind", "0.0.0.0:8000"]',
                df.path,
                start.line,
            )
