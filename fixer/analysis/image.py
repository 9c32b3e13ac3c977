"""The image that runs Django, as far as the root Dockerfile says: its stages (the FROM chain and
the stages it copies from), its RUN commands, its start commands and the repository scripts and
supervisor/circus configurations they run, and what its packages are. Items 1 to 3 judge it and
the container plan reads it.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from fixer.analysis.app_server import APP_SERVERS
from fixer.analysis.compose import built_dockerfile, compose_roles
from fixer.parsers.commands import manage_py_commands, server_invocations
from fixer.parsers.dockerfile import (
    Dockerfile,
    Instruction,
    Stage,
    instruction_assignments,
    substitute,
)
from fixer.parsers.procfile import parse_procfile
from fixer.parsers.shell import ScriptCommand, parse_shell_script, split_shell
from fixer.project import ProjectModel

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
            out.extend(split_shell(text, line))
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
    if manage_py_commands(commands):
        return True
    return any(s in APP_SERVERS for _, s in server_invocations(commands))


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
    for inst, workdir, variables in _with_workdir(chain):
        if inst.keyword in ("COPY", "ADD") and "from" not in inst.flags:
            words = [
                substitute(w, variables) for w in _copy_words(inst.value) if not w.startswith("--")
            ]
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


def _with_workdir(
    chain: list[Stage],
) -> list[tuple[Instruction, str, dict[str, str | None]]]:
    """Each instruction of the chain in build order, with the WORKDIR and the variables in force
    after it. `WORKDIR $APP_HOME` is expanded from the ARG defaults and ENV values set before it,
    as the builder does; a variable it cannot know stays as written."""
    out: list[tuple[Instruction, str, dict[str, str | None]]] = []
    workdir = "/"
    variables: dict[str, str | None] = {}
    for stage in reversed(chain):
        for inst in stage.instructions:
            if inst.keyword in ("ARG", "ENV"):
                variables = dict(variables)  # the earlier instructions keep their own values
                for name, value in instruction_assignments(inst).items():
                    variables[name] = substitute(value, variables)
            elif inst.keyword == "WORKDIR" and inst.value.strip():
                value = substitute(inst.value.strip(), variables)
                workdir = posixpath.normpath(posixpath.join(workdir, value))
            out.append((inst, workdir, variables))
    return out


def final_workdir(chain: list[Stage]) -> str:
    """The WORKDIR the chain's image starts in; it holds `$` where a variable is unknown."""
    steps = _with_workdir(chain)
    return steps[-1][1] if steps else "/"


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
            pending.extend(c.argv for c in split_shell(" ".join(argv[2:])))
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
    return parse_shell_script(text)[0]


def _program_commands(project: ProjectModel, rel: str) -> list[ScriptCommand]:
    """`command=` lines of a supervisor / circus configuration, or a Procfile's entries."""
    text = project.cache.text(project.root / rel).text
    if text is None:
        return []
    out: list[ScriptCommand] = []
    if posixpath.basename(rel).startswith("Procfile"):
        entries, _ = parse_procfile(text)
        for entry in entries:
            out.extend(split_shell(entry.command, entry.line))
        return out
    for number, line in enumerate(text.split("\n")[:5000], 1):
        m = re.match(r"\s*(?:command|cmd|args)\s*=\s*(.+)$", line)
        if m:
            out.extend(split_shell(m.group(1).strip(), number))
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


def app_dockerfile(project: ProjectModel) -> Dockerfile | None:
    """The Dockerfile that builds the image running Django: the root one; else one a compose
    service builds (a deploy compose file's before a development one's); else the one beside
    manage.py. Only the root one is judged by items 1 to 3; the others say what the app ran on
    (its Python)."""
    if project.root_dockerfile is not None:
        return project.root_dockerfile
    by_path = {df.path: df for df in project.dockerfiles}
    roles = compose_roles(project)
    development = {rel for rel, role in roles.items() if role.development}
    for cf in sorted(project.compose_files, key=lambda cf: (cf.path in development, cf.path)):
        for service in cf.services:
            df = by_path.get(built_dockerfile(cf, service) or "")
            if df is not None and _runs_app(df):
                return df
    folder = posixpath.dirname(project.manage_py or "")
    df = by_path.get(f"{folder}/Dockerfile") if folder else None
    return df if df is not None and _runs_app(df) else None


def _runs_app(df: Dockerfile) -> bool:
    stage = api_stage(df)
    return stage is not None and not is_web_server_image(stage_chain(df, stage)[-1].base)


def image_python(df: Dockerfile) -> str | None:
    """X.Y of the `python:X.Y...` image the Dockerfile's Django stage is built on (global ARGs
    substituted), or None for another base."""
    stage = api_stage(df)
    if stage is None:
        return None
    _, name, tag = image_parts(stage_chain(df, stage)[-1].base)
    m = re.match(r"(\d+)\.(\d+)", tag)
    return f"{m[1]}.{m[2]}" if name == "python" and m else None


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


# -- packages -------------------------------------------------------------------------------------

#: Packages that build software (compilers, headers, build systems): a builder stage's, not the
#: runtime image's.
_TOOLCHAIN_EXACT = frozenset(
    {
        "build-essential",
        "build-base",
        "alpine-sdk",
        "make",
        "cmake",
        "ninja",
        "ninja-build",
        "meson",
        "autoconf",
        "automake",
        "libtool",
        "pkg-config",
        "pkgconf",
        "pkgconfig",
        "git",
        "cargo",
        "rust",
        "rustc",
        "rustup",
        "swig",
        "bison",
        "flex",
        "musl-dev",
        "linux-headers",
        "gcc-c++",
    }
)
_TOOLCHAIN_RE = re.compile(r"^(?:gcc|g\+\+|cpp|clang|gfortran|llvm)(?:-[\d.]+)?$|.-(?:dev|devel)$")


def is_toolchain(package: str) -> bool:
    name = package.lower().split(":", 1)[0]
    return name in _TOOLCHAIN_EXACT or bool(_TOOLCHAIN_RE.search(name))
