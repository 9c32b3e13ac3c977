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
build, run and migrate. DJ011 and DJ012 are unsafe: the existing Dockerfile is replaced by the
generated one; the system packages it installed are carried over, and steps djfix does not
carry are listed in the summary with the reason. DJ013 is safe: the missing entries are
appended to `.dockerignore`, under a comment.

## Options
None.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixer import deploy_files
from fixer.checks import rule
from fixer.deploy_files import (
    ComposeFile,
    ComposeService,
    Dockerfile,
    Instruction,
    ScriptCommand,
    Stage,
)
from fixer.findings import Finding, FixSafety, Severity
from fixer.project import ProjectModel

ITEM = 1
TITLE = "Project-specific Dockerfile"

MISSING = rule(
    __name__,
    "DJ010",
    "dockerfile-missing",
    ITEM,
    Severity.ERROR,
    "There is no Dockerfile at the repository root.",
    FixSafety.SAFE,
)
GENERIC = rule(
    __name__,
    "DJ011",
    "dockerfile-generic",
    ITEM,
    Severity.ERROR,
    "The root Dockerfile does not install or does not start this project.",
    FixSafety.UNSAFE,
)
UNPARSABLE = rule(
    __name__,
    "DJ012",
    "dockerfile-unparsable",
    ITEM,
    Severity.ERROR,
    "The root Dockerfile cannot be read or has no FROM instruction.",
    FixSafety.UNSAFE,
)
DOCKERIGNORE_LEAKS = rule(
    __name__,
    "DJ013",
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


# ---------------------------------------------------------------------------------------------
# The API image, shared by the checks of items 1, 2 and 3.

#: Bounds that keep every walk over stages, scripts and words finite on hostile input.
MAX_STAGES = 64
MAX_SCRIPTS = 20
MAX_WORDS = 400
_SCRIPT_DEPTH = 3

#: Base images that serve files over HTTP: a last stage built on one of them is the static-files
#: image, not the one that runs Django.
WEB_SERVER_IMAGES = frozenset(
    {"nginx", "nginx-unprivileged", "httpd", "apache", "caddy", "traefik", "openresty", "haproxy"}
)
APP_SERVERS = ("gunicorn", "uvicorn", "daphne", "hypercorn", "granian")
PROCESS_MANAGERS = ("supervisord", "circus", "honcho")
#: Programs a start command may name by path that are not repository scripts.
_KNOWN_PROGRAMS = frozenset(
    {
        "sh",
        "bash",
        "dash",
        "ash",
        "zsh",
        "env",
        "tini",
        "dumb-init",
        "gosu",
        "su-exec",
        "exec",
        "python",
        "python3",
        "pip",
        "gunicorn",
        "uvicorn",
        "daphne",
        "hypercorn",
        "granian",
        "uwsgi",
        "supervisord",
        "circusd",
        "honcho",
        "nginx",
        "celery",
        "django-admin",
        "manage.py",
    }
)
_FILE_SUFFIXES = (".sh", ".py", ".ini", ".conf", ".cfg", ".toml", ".yml", ".yaml")


@dataclass
class ApiImage:
    """What the image that runs Django is made of, as far as the root Dockerfile says."""

    df: Dockerfile
    stage: Stage
    #: the stage, then the stage it is built FROM, and so on (all share its filesystem)
    chain: list[Stage]
    #: the chain plus every stage it copies files from, transitively
    contributing: list[Stage]
    cmd: Instruction | None
    entrypoint: Instruction | None
    #: CMD and ENTRYPOINT as commands: each alone, and combined as the container runs them
    start: list[ScriptCommand]
    #: repository scripts the start commands run (repo-relative path -> commands)
    scripts: dict[str, list[ScriptCommand]] = field(default_factory=dict)
    #: programs of supervisor / circus / honcho configurations copied into the image
    programs: list[tuple[str, ScriptCommand]] = field(default_factory=list)
    #: text of other repository files the start commands name (gunicorn.conf.py, uwsgi.ini)
    configs: dict[str, str] = field(default_factory=dict)
    #: scripts the start commands run that djfix could not find in the repository
    unresolved: list[str] = field(default_factory=list)


def image_parts(ref: str) -> tuple[str, str, str]:
    """(repository, short name, tag) of an image reference, lower-cased; the tag is "" when
    the reference has none (which means `latest`)."""
    ref = ref.strip().split("@", 1)[0].lower()
    head, _, last = ref.rpartition("/")
    name, _, tag = last.partition(":")
    repository = f"{head}/{name}" if head else name
    return repository, name, tag


def is_web_server_image(ref: str) -> bool:
    _, name, _ = image_parts(ref)
    return name in WEB_SERVER_IMAGES or name.startswith("nginx")


def stage_chain(df: Dockerfile, stage: Stage) -> list[Stage]:
    """The stage, the stage it is built FROM, and so on up to the one built on an image."""
    chain = [stage]
    seen = {stage.index}
    current = df.parent(stage)
    while current is not None and current.index not in seen and len(chain) < MAX_STAGES:
        chain.append(current)
        seen.add(current.index)
        current = df.parent(current)
    return chain


def copied_stages(df: Dockerfile, stage: Stage) -> list[Stage]:
    """Earlier stages of this Dockerfile that `stage` copies files from (not other images)."""
    out: list[Stage] = []
    for ref in stage.copies_from():
        other = df.stage(ref)
        if other is not None and other.index < stage.index and other not in out:
            out.append(other)
    return out


def contributing_stages(df: Dockerfile, stage: Stage) -> list[Stage]:
    """Every stage whose files can end up in `stage`'s image: its FROM chain and the stages it
    (or they) copy from, transitively."""
    out: list[Stage] = []
    todo = [stage]
    while todo and len(out) < MAX_STAGES:
        current = todo.pop(0)
        if current in out:
            continue
        out.append(current)
        parent = df.parent(current)
        if parent is not None:
            todo.append(parent)
        todo.extend(copied_stages(df, current))
    return out


def run_ranges(stage: Stage) -> list[tuple[Instruction, int, int]]:
    """(RUN instruction, first line, last line) for each RUN of the stage: the lines its
    commands (here-document bodies included) are reported at."""
    out: list[tuple[Instruction, int, int]] = []
    insts = stage.instructions
    for i, inst in enumerate(insts):
        if inst.keyword == "RUN":
            end = insts[i + 1].line - 1 if i + 1 < len(insts) else 10**9
            out.append((inst, inst.line, max(end, inst.line)))
    return out


def run_of(stage: Stage, line: int) -> Instruction | None:
    for inst, first, last in run_ranges(stage):
        if first <= line <= last:
            return inst
    return None


def run_commands(stage: Stage) -> list[ScriptCommand]:
    """The simple commands of every RUN of the stage."""
    out: list[ScriptCommand] = []
    for line, text in stage.commands():
        if run_of(stage, line) is not None:
            out.extend(deploy_files.split_shell(text, line))
    return out


def instruction_command(inst: Instruction) -> ScriptCommand:
    """A CMD/ENTRYPOINT as the command the container runs: exec form as is, shell form through
    `/bin/sh -c` (so launchers and `&&` lists inside it are looked through)."""
    if inst.exec_form is not None:
        return ScriptCommand(inst.line, inst.shell_text(), list(inst.exec_form))
    return ScriptCommand(inst.line, inst.value, ["/bin/sh", "-c", inst.value])


def start_commands(cmd: Instruction | None, entrypoint: Instruction | None) -> list[ScriptCommand]:
    out: list[ScriptCommand] = []
    if entrypoint is not None:
        out.append(instruction_command(entrypoint))
    if cmd is not None and not (entrypoint is not None and entrypoint.exec_form is None):
        # A shell-form ENTRYPOINT ignores CMD; an exec-form one receives it as arguments.
        out.append(instruction_command(cmd))
        if entrypoint is not None and entrypoint.exec_form is not None:
            combined = [*entrypoint.exec_form, *instruction_command(cmd).argv]
            out.append(ScriptCommand(cmd.line, " ".join(combined), combined))
    return out


def _runs_python_server(commands: list[ScriptCommand]) -> bool:
    if deploy_files.manage_py_commands(commands):
        return True
    return any(s in APP_SERVERS for _, s in deploy_files.server_invocations(commands))


def api_stage(df: Dockerfile) -> Stage | None:
    """The stage whose image runs Django: the last one, unless it is a web-server image; then
    the last earlier stage that starts a Python server, else the last stage anyway."""
    final = df.final_stage
    if final is None:
        return None
    if not is_web_server_image(stage_chain(df, final)[-1].base):
        return final
    for stage in reversed(df.stages[:-1]):
        if is_web_server_image(stage_chain(df, stage)[-1].base):
            continue
        if _runs_python_server(start_commands(df.cmd(stage), df.entrypoint(stage))):
            return stage
    return final


def _copies(chain: list[Stage]) -> list[tuple[list[str], str]]:
    """(sources, absolute destination) of every COPY/ADD from the build context, in build
    order, with relative destinations resolved against the WORKDIR in force."""
    out: list[tuple[list[str], str]] = []
    workdir = "/"
    for stage in reversed(chain):
        for inst in stage.instructions:
            if inst.keyword == "WORKDIR" and inst.value.strip():
                workdir = posixpath.normpath(posixpath.join(workdir, inst.value.strip()))
            elif inst.keyword in ("COPY", "ADD") and "from" not in inst.flags:
                words = [w for w in _copy_words(inst.value) if not w.startswith("--")]
                if len(words) < 2 or any("://" in w for w in words):
                    continue
                dest = words[-1]
                absolute = posixpath.normpath(posixpath.join(workdir, dest))
                if dest.endswith("/") or dest in (".", "./"):
                    absolute = absolute.rstrip("/") + "/"
                out.append((words[:-1], absolute))
    return out


def _copy_words(value: str) -> list[str]:
    """Sources and destination of a COPY/ADD, in shell or JSON form."""
    if value.lstrip().startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(w, str) for w in parsed):
            return parsed
    return value.split("\n", 1)[0].split()


def final_workdir(chain: list[Stage]) -> str:
    workdir = "/"
    for stage in reversed(chain):
        for inst in stage.instructions:
            if inst.keyword == "WORKDIR" and inst.value.strip():
                workdir = posixpath.normpath(posixpath.join(workdir, inst.value.strip()))
    return workdir


def _safe_rel(path: str) -> str | None:
    rel = posixpath.normpath(path.lstrip("/"))
    if rel.startswith("..") or "$" in rel or "\x00" in rel or len(rel) > 1000:
        return None
    return rel


def _exists(path: Path, kind: str = "file") -> bool:
    """is_file()/is_dir() that answers False instead of raising on names the OS rejects."""
    try:
        return path.is_file() if kind == "file" else path.is_dir()
    except (OSError, ValueError):
        return False


def resolve_container_path(project: ProjectModel, chain: list[Stage], path: str) -> str | None:
    """The repository file (repo-relative) that ends up at `path` inside the image, following
    the chain's COPY/ADD instructions; else a repository script with that name."""
    if not path or "$" in path or "://" in path:
        return None
    target = posixpath.normpath(posixpath.join(final_workdir(chain), path))
    root = project.root
    for sources, dest in reversed(_copies(chain)):
        dest_dir = dest.rstrip("/") or "/"
        for src in sources:
            src_rel = _safe_rel(src)
            if src_rel is None:
                continue
            candidate: str | None = None
            if any(ch in src_rel for ch in "*?["):
                if posixpath.dirname(target) == dest_dir and fnmatch.fnmatch(
                    posixpath.basename(target), posixpath.basename(src_rel)
                ):
                    candidate = posixpath.join(
                        posixpath.dirname(src_rel), posixpath.basename(target)
                    )
            elif src_rel == "." or _exists(root / src_rel, "dir"):
                prefix = dest_dir.rstrip("/") + "/"
                if target.startswith(prefix):
                    candidate = posixpath.join(src_rel, target[len(prefix) :])
            elif target in (dest_dir, posixpath.join(dest_dir, posixpath.basename(src_rel))):
                candidate = src_rel
            if candidate is not None:
                candidate = posixpath.normpath(candidate)
                if not candidate.startswith("..") and _exists(root / candidate):
                    return candidate
    base = posixpath.basename(target)
    named = [rel for rel in project.scripts if posixpath.basename(rel) == base]
    if len(named) == 1:
        return named[0]
    relative = _safe_rel(path)
    if relative and not path.startswith("/") and _exists(root / relative):
        return relative
    return None


def _file_words(command: ScriptCommand) -> list[str]:
    """Words of a command (looking into `sh -c` scripts) that name a file to run or read."""
    words: list[str] = []
    pending = [command.argv]
    while pending and len(words) < MAX_WORDS:
        argv = pending.pop()
        shell = len(argv) >= 3 and posixpath.basename(argv[0]) in ("sh", "bash", "dash", "ash")
        if shell and argv[1].startswith("-") and "c" in argv[1]:
            pending.extend(c.argv for c in deploy_files.split_shell(" ".join(argv[2:])))
            continue
        for word in argv[:MAX_WORDS]:
            if word.startswith("--") and "=" in word:
                word = word.split("=", 1)[1]
            if word.startswith("-") or "://" in word or "$" in word or not word:
                continue
            if "/" in word or word.endswith(_FILE_SUFFIXES):
                words.append(word)
    return words


def _is_script_word(word: str, argv0: bool) -> bool:
    base = posixpath.basename(word)
    if base in _KNOWN_PROGRAMS or re.fullmatch(r"python[\d.]*|pip[\d.]*", base):
        return False
    return word.endswith(".sh") or (argv0 and "/" in word and "." not in base)


def _script_commands(project: ProjectModel, rel: str) -> list[ScriptCommand]:
    if rel in project.scripts:
        return project.scripts[rel]
    text = project.cache.text(project.root / rel).text
    if text is None:
        return []
    return deploy_files.parse_shell_script(text)[0]


def _program_commands(project: ProjectModel, rel: str) -> list[ScriptCommand]:
    """`command=` lines of a supervisor / circus configuration, or a Procfile's entries."""
    text = project.cache.text(project.root / rel).text
    if text is None:
        return []
    out: list[ScriptCommand] = []
    if posixpath.basename(rel).startswith("Procfile"):
        entries, _ = deploy_files.parse_procfile(text)
        for entry in entries:
            out.extend(deploy_files.split_shell(entry.command, entry.line))
        return out
    for number, line in enumerate(text.split("\n")[:5000], 1):
        m = re.match(r"\s*(?:command|cmd|args)\s*=\s*(.+)$", line)
        if m:
            out.extend(deploy_files.split_shell(m.group(1).strip(), number))
    return out


def _manager_configs(project: ProjectModel, image: ApiImage) -> list[str]:
    """Supervisor / circus / honcho configurations the image gets from the repository."""
    found: list[str] = []
    for sources, dest in _copies(image.chain):
        for src in sources:
            rel = _safe_rel(src)
            if rel is None or any(ch in rel for ch in "*?["):
                continue
            lowered = (rel + " " + dest).lower()
            if any(k in lowered for k in ("supervisor", "circus", "procfile")):
                path = project.root / rel
                if _exists(path) and rel not in found:
                    found.append(rel)
    return found


def collect_scripts(
    project: ProjectModel,
    chain: list[Stage],
    commands: list[ScriptCommand],
    scripts: dict[str, list[ScriptCommand]],
    configs: dict[str, str],
    unresolved: list[str],
) -> None:
    """Follow the files `commands` run (scripts, transitively) or read (configurations)."""
    todo = [(c, 0) for c in commands]
    while todo and len(scripts) < MAX_SCRIPTS:
        command, depth = todo.pop(0)
        for word in _file_words(command):
            argv0 = bool(command.argv) and word == command.argv[0]
            rel = resolve_container_path(project, chain, word)
            if rel is None:
                if _is_script_word(word, argv0) and word not in unresolved:
                    unresolved.append(word)
                continue
            if rel in scripts or rel in configs:
                continue
            if rel.endswith(".sh") or rel in project.scripts or _is_script_word(word, argv0):
                found = _script_commands(project, rel)
                scripts[rel] = found
                if depth < _SCRIPT_DEPTH:
                    todo.extend((c, depth + 1) for c in found)
            else:
                text = project.cache.text(project.root / rel).text
                if text is not None and len(text) < 200_000:
                    configs[rel] = text


def api_image(project: ProjectModel) -> ApiImage | None:
    """The root Dockerfile's image that runs Django, or None without a readable one."""
    df = project.root_dockerfile
    if df is None:
        return None
    stage = api_stage(df)
    if stage is None or not stage.base:
        return None
    chain = stage_chain(df, stage)
    cmd, entrypoint = df.cmd(stage), df.entrypoint(stage)
    image = ApiImage(
        df=df,
        stage=stage,
        chain=chain,
        contributing=contributing_stages(df, stage),
        cmd=cmd,
        entrypoint=entrypoint,
        start=start_commands(cmd, entrypoint),
    )
    collect_scripts(project, chain, image.start, image.scripts, image.configs, image.unresolved)
    # Supervisor / circus / honcho configurations: copied under such a name, or named by a
    # start command (`supervisord -c /etc/app.conf`) and written in their format.
    configs = _manager_configs(project, image)
    for rel, text in image.configs.items():
        if ("[program:" in text or "[watcher:" in text) and rel not in configs:
            configs.append(rel)
    for rel in configs:
        image.programs.extend((rel, c) for c in _program_commands(project, rel))
    return image


def physical_line(project: ProjectModel, path: str, line: int, word: str) -> int:
    """The physical line, from `line` through its continuation lines, on which `word` first
    appears; `line` when it does not. Instructions split with a trailing backslash are
    reported at their first line by the parser, while the cause is often on a later one."""
    text = project.cache.text(project.root / path).text
    if text is None or not word:
        return line
    lines = text.split("\n")
    pattern = re.compile(r"(?<![\w.+-])" + re.escape(word) + r"(?![\w+-])")
    i, end = line - 1, min(len(lines), line + 200)
    while 0 <= i < end:
        current = lines[i].rstrip()
        comment = current.lstrip().startswith("#")
        if not comment and pattern.search(current):
            return i + 1
        # blank and comment lines inside a continuation do not end the instruction
        if current and not comment and not current.endswith(("\\", "`")):
            break
        i += 1
    return line


# -- compose --------------------------------------------------------------------------------------

_DEV_COMPOSE = re.compile(r"(^|[._-])(dev|develop|development|local|override|test|ci)([._-]|$)")


def is_dev_compose(path: str) -> bool:
    """True for compose files meant for development only (docker-compose.dev.yml,
    compose.override.yaml, local.yml)."""
    name = posixpath.basename(path).lower()
    name = re.sub(r"\.ya?ml$", "", name)
    return bool(_DEV_COMPOSE.search(name)) or name == "local"


def builds_root_dockerfile(cf: ComposeFile, service: ComposeService) -> bool:
    """True when the service's image is built from the root Dockerfile."""
    build: Any = service.build
    if build is None:
        return False
    context = build if isinstance(build, str) else (build.get("context") or ".")
    if not isinstance(context, str) or "://" in context:
        return False
    base = posixpath.dirname(cf.path)
    context_rel = posixpath.normpath(posixpath.join(base, context))
    dockerfile = posixpath.normpath(posixpath.join(context_rel, service.dockerfile or "Dockerfile"))
    return dockerfile == "Dockerfile"


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


# ---------------------------------------------------------------------------------------------
# Item 1 itself

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
            for command in deploy_files.split_shell(text, line):
                if _installs_project(project, command):
                    return True
        if _wheel_builds(stage):
            return True
    return False


def app_modules(project: ProjectModel) -> list[str]:
    """The project's WSGI/ASGI modules: from WSGI_APPLICATION / ASGI_APPLICATION, and the
    wsgi.py / asgi.py beside them or next to the settings package (a Channels routing module
    named by ASGI_APPLICATION is served through an asgi.py beside it)."""
    out: list[str] = []
    for dotted in (project.wsgi_application, project.asgi_application):
        if dotted and "." in dotted:
            module = dotted.rsplit(".", 1)[0]
            if module not in out:
                out.append(module)
            package = module.rsplit(".", 1)[0] if "." in module else ""
            for leaf in ("wsgi", "asgi"):
                entry = f"{package}.{leaf}" if package else ""
                if entry and entry not in out and project.module_path(entry) is not None:
                    out.append(entry)
    if out:
        return out
    parts = project.settings_module.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        for leaf in ("wsgi", "asgi"):
            module = f"{prefix}.{leaf}"
            if project.module_path(module) is not None and module not in out:
                out.append(module)
        if out:
            break
    return out


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
    servers = [s for _, s in deploy_files.server_invocations(commands) if s in APP_SERVERS]
    if deploy_files.manage_py_commands(commands) or any(
        "manage.py" in t or "django-admin" in t for t in texts
    ):
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


#: what a .dockerignore must exclude, with the patterns that do exclude it
PRIVATE_PATHS: dict[str, frozenset[str]] = {
    ".env": frozenset({".env", "/.env", ".env*", "/.env*", "*.env", "**/.env", ".*", "*"}),
    ".git": frozenset({".git", "/.git", ".git/", "/.git/", ".git*", "**/.git", ".*", "*"}),
}


def dockerignore_lets_in(text: str) -> list[str]:
    """The private paths (.env, .git) a .dockerignore does not exclude, in PRIVATE_PATHS order.
    The last matching line wins, as in Docker: `!.env` after `.env*` lets it back in."""
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").split("\n")]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    missing: list[str] = []
    for path, patterns in PRIVATE_PATHS.items():
        excluded = False
        for line in lines:
            negated = line.startswith("!")
            pattern = line[1:].strip() if negated else line
            if pattern in patterns or pattern.rstrip("/") == path:
                excluded = not negated
        if not excluded:
            missing.append(path)
    return missing


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


def fix(ctx) -> None:
    """Generate the container files (shared with items 2, 3 and 4)."""
    from fixer.container import ensure_container

    ensure_container(ctx, ITEM)
