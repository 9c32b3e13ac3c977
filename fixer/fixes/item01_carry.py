"""What the generated Dockerfile carries over from the project's old one: its system packages
(Alpine names translated to Debian ones, since the generated image is Debian slim), its front-end
and translation steps (moved to the stages where their output is used), its plain ENV settings,
and for everything else a line in the summary saying why it was left out. Nothing of the old
Dockerfile disappears silently.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from dataclasses import dataclass, field

from fixer.analysis.compose import built_dockerfile, compose_roles, is_dev_dockerfile
from fixer.analysis.image import (
    api_image,
    app_dockerfile,
    image_parts,
    is_toolchain,
    run_of,
    stage_chain,
)
from fixer.fixes.item01_make import MakeBuild, make_build, static_build
from fixer.parsers.commands import effective_argvs, manage_py_commands, system_packages
from fixer.parsers.dockerfile import Dockerfile, Instruction, Stage, instruction_assignments
from fixer.parsers.makefile import make_targets
from fixer.parsers.shell import ScriptCommand, split_shell
from fixer.project import ProjectModel

#: Alpine package -> Debian bookworm package; None: nothing to install on Debian (musl's
#: headers, Python's headers, which the official image has)
ALPINE_TO_DEBIAN: dict[str, str | None] = {
    # build tools and headers
    "build-base": "build-essential",
    "alpine-sdk": "build-essential",
    "gcc": "gcc",
    "g++": "g++",
    "make": "make",
    "musl-dev": None,
    "linux-headers": "linux-libc-dev",
    "python3-dev": None,
    "pkgconf": "pkg-config",
    "pkgconfig": "pkg-config",
    "postgresql-dev": "libpq-dev",
    "libpq-dev": "libpq-dev",
    "mariadb-dev": "libmariadb-dev",
    "mariadb-connector-c-dev": "libmariadb-dev",
    "jpeg-dev": "libjpeg-dev",
    "libjpeg-turbo-dev": "libjpeg-dev",
    "zlib-dev": "zlib1g-dev",
    "libffi-dev": "libffi-dev",
    "openssl-dev": "libssl-dev",
    "libxml2-dev": "libxml2-dev",
    "libxslt-dev": "libxslt1-dev",
    "freetype-dev": "libfreetype6-dev",
    "lcms2-dev": "liblcms2-dev",
    "libwebp-dev": "libwebp-dev",
    "tiff-dev": "libtiff-dev",
    "openjpeg-dev": "libopenjp2-7-dev",
    "cairo-dev": "libcairo2-dev",
    "pango-dev": "libpango1.0-dev",
    "geos-dev": "libgeos-dev",
    "gdal-dev": "libgdal-dev",
    "proj-dev": "libproj-dev",
    "gettext-dev": None,
    "openldap-dev": "libldap2-dev",
    "xmlsec-dev": "libxmlsec1-dev",
    "cyrus-sasl-dev": "libsasl2-dev",
    "cargo": "cargo",
    "rust": "rustc",
    "git": "git",
    # runtime libraries and tools
    "postgresql-libs": "libpq5",
    "libpq": "libpq5",
    "postgresql-client": "postgresql-client",
    "mariadb-connector-c": "libmariadb3",
    "mariadb-client": "mariadb-client",
    "jpeg": "libjpeg62-turbo",
    "libjpeg-turbo": "libjpeg62-turbo",
    "libjpeg": "libjpeg62-turbo",
    "zlib": "zlib1g",
    "libffi": "libffi8",
    "openssl": "openssl",
    "libxml2": "libxml2",
    "libxslt": "libxslt1.1",
    "freetype": "libfreetype6",
    "lcms2": "liblcms2-2",
    "libwebp": "libwebp7",
    "tiff": "libtiff6",
    "openjpeg": "libopenjp2-7",
    "cairo": "libcairo2",
    "pango": "libpango-1.0-0",
    "geos": "libgeos-c1v5",
    "gdal": "gdal-bin",
    "libmagic": "libmagic1",
    "file": "file",
    "gettext": "gettext",
    "tzdata": "tzdata",
    "ca-certificates": "ca-certificates",
    "curl": "curl",
    "wget": "wget",
    "bash": "bash",
    "tini": "tini",
    "netcat-openbsd": "netcat-openbsd",
    "shared-mime-info": "shared-mime-info",
    "mailcap": "media-types",
    "openldap": "libldap-2.5-0",
    "xmlsec": "libxmlsec1-openssl",
    "envsubst": "gettext-base",
    # in every Debian image already (apt needs them)
    "libgcc": None,
    "libstdc++": None,
}

#: Debian headers -> the runtime library a dependency built against them needs in the final stage
DEV_RUNTIME: dict[str, str] = {
    "libpq-dev": "libpq5",
    "libmariadb-dev": "libmariadb3",
    "default-libmysqlclient-dev": "libmariadb3",
    "libjpeg-dev": "libjpeg62-turbo",
    "libffi-dev": "libffi8",
    "libssl-dev": "libssl3",
    "libxml2-dev": "libxml2",
    "libxslt1-dev": "libxslt1.1",
    "libfreetype6-dev": "libfreetype6",
    "liblcms2-dev": "liblcms2-2",
    "libwebp-dev": "libwebp7",
    "libtiff-dev": "libtiff6",
    "libopenjp2-7-dev": "libopenjp2-7",
    "libcairo2-dev": "libcairo2",
    "libgeos-dev": "libgeos-c1v5",
    "libgdal-dev": "gdal-bin",
    "libldap2-dev": "libldap-2.5-0",
    "libsasl2-dev": "libsasl2-2",
    "libmagic-dev": "libmagic1",
    "libcurl4-openssl-dev": "libcurl4",
    "libcurl4-gnutls-dev": "libcurl3-gnutls",
    "libyaml-dev": "libyaml-0-2",
    "libsqlite3-dev": "libsqlite3-0",
    "libzstd-dev": "libzstd1",
    "libxmlsec1-dev": "libxmlsec1-openssl",
}

#: Debian names of other releases (or virtual ones apt refuses) -> the generated image's
#: bookworm package; trixie's 64-bit time renames (`libcurl4t64`) lose their suffix
DEBIAN_RENAMED: dict[str, str] = {
    "netcat": "netcat-openbsd",
    "libmariadbclient-dev": "libmariadb-dev",
    "libmysqlclient-dev": "default-libmysqlclient-dev",
    "libssl1.1": "libssl3",
    "libffi6": "libffi8",
    "libffi7": "libffi8",
    "libjpeg62": "libjpeg62-turbo",
    "libwebp6": "libwebp7",
    "libtiff5": "libtiff6",
    "libgeos-c1": "libgeos-c1v5",
    "libldap-2.4-2": "libldap-2.5-0",
    "libldap2": "libldap-2.5-0",
    "libmariadb3t64": "libmariadb3",
}


def debian_package(name: str) -> str:
    """`name` as bookworm, the generated image's Debian release, calls it."""
    if name in DEBIAN_RENAMED:
        return DEBIAN_RENAMED[name]
    if name.endswith("t64") and re.search(r"\dt64$", name):
        return name[: -len("t64")]
    return name


#: programs an old Dockerfile installs that have no place in the API image
DROPPED_PACKAGES = frozenset(
    {"nginx", "nginx-full", "nginx-light", "supervisor", "circus", "honcho", "uwsgi"}
)
#: packages the generated stages provide themselves
_PROVIDED = frozenset({"python3", "py3-pip", "python3-pip", "python3-venv", "py3-virtualenv"})
#: node and its package managers, which the assets stage's image brings
_NODE_PACKAGES = frozenset({"nodejs", "npm", "yarn", "nodejs-current", "pnpm"})

_NODE_TOOLS = re.compile(r"^(npm|yarn|pnpm|npx|gulp|grunt|webpack|bower|node)$")
#: ENV names whose values belong to the generated stages or must never be baked into an image
_OWN_ENV = re.compile(
    r"^(PATH|VIRTUAL_ENV|PYTHON\w*|PIP_\w+|POETRY_\w+|UV_\w+|PIPENV_\w+|DJANGO_SETTINGS_MODULE"
    r"|PORT|WEB_CONCURRENCY|HOME|LANG|LC_ALL|DEBIAN_FRONTEND)$"
)
_SECRET_ENV = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE|CREDENTIAL|_KEY$|_DSN$")


@dataclass
class Carried:
    build: list[str] = field(default_factory=list)
    runtime: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    #: (line, shell text) of front-end steps, in order, run in the assets stage
    assets: list[tuple[int, str]] = field(default_factory=list)
    #: the image the old front-end stage was built on, when it had one
    node_image: str | None = None
    #: the assets stage runs node tools (else only downloads)
    node: bool = False
    #: programs the downloads among the assets steps need (curl, wget, git)
    download_tools: list[str] = field(default_factory=list)
    #: lines of the old Dockerfile that download files
    downloads: list[int] = field(default_factory=list)
    #: compilemessages runs in the code stage (needs gettext in the builder)
    compilemessages: bool = False
    #: (line, shell text) of Python programs that compile front-end files (pysassc), run in
    #: the code stage, where the project's dependencies are
    python_assets: list[tuple[int, str]] = field(default_factory=list)
    #: plain ENV settings carried to the api stage
    env: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: (line, text) of the old Dockerfile's django-compressor `compress` step
    compress: tuple[int, str] | None = None
    #: the old Dockerfile's repository path
    path: str = "Dockerfile"
    #: the notes `_left` wrote, by (file, reason): (its index in notes, [(line, [commands])])
    left_by_reason: dict[tuple[str, str], tuple[int, list[tuple[int, list[str]]]]] = field(
        default_factory=dict
    )
    #: the make calls whose recipes the stages run: (where the old Dockerfile runs it, as
    #: "Dockerfile:9", or "" where djfix chose the target; what it runs)
    make_builds: list[tuple[str, MakeBuild]] = field(default_factory=list)
    #: the old Dockerfile runs make (whether djfix could follow it or not)
    runs_make: bool = False
    #: (line, command) of each step that adds a package repository, with the packages installed
    #: after it in its stage: they may exist only there, so neither is carried (`_repository`)
    repositories: list[tuple[int, str, list[str]]] = field(default_factory=list)

    @property
    def make_lines(self) -> set[int]:
        """The old Dockerfile's lines that run make."""
        return {
            int(where.split(" ")[0].rsplit(":", 1)[1]) for where, _ in self.make_builds if where
        }

    def add(self, target: list[str], name: str) -> None:
        if name not in target:
            target.append(name)


def _is_alpine(df: Dockerfile, stage: Stage) -> bool:
    base = stage_chain(df, stage)[-1].base
    _, name, tag = image_parts(base)
    return name == "alpine" or "alpine" in tag


def _node_stage(df: Dockerfile, stage: Stage) -> bool:
    _, name, _ = image_parts(stage_chain(df, stage)[-1].base)
    return name in ("node", "nodejs")


def carry(project: ProjectModel) -> Carried:
    """Read the old image's Dockerfile for what the generated one must carry: the root one, or
    the one that built the app elsewhere (`docker/Dockerfile` a compose service builds, one
    beside manage.py; see `app_dockerfile`)."""
    out = Carried()
    df = app_dockerfile(project)
    if df is None or (df.path != "Dockerfile" and _for_development(project, df.path)):
        # a development image's tools and layout are not the deployed image's
        _unreferenced_make_build(project, out)
        return out
    out.path = df.path
    untranslated: list[str] = []
    for stage in df.stages[:64]:
        alpine = _is_alpine(df, stage)
        node = _node_stage(df, stage)
        if node and out.node_image is None:
            out.node_image = stage_chain_base(df, stage)
        added = _repository(stage)
        for _, package in stage.installed_system_packages():
            name = re.split(r"[=<>~@]", package, maxsplit=1)[0]
            if "$" in name or not re.fullmatch(r"[a-z0-9][a-z0-9.+-]*", name):
                continue
            if added is not None and package in added[2] and not node:
                # installed after a repository was added (PostgreSQL's apt.postgresql.org,
                # add-apt-repository): the package may exist only there, and an api stage
                # that installs it without the repository does not build
                out.add(added[3], name)
                continue
            if name in _NODE_PACKAGES or node:
                continue  # the assets stage's node image has them
            if name in _PROVIDED:
                continue
            if alpine:
                if name in DROPPED_PACKAGES:
                    out.add(out.dropped, name)  # nginx: the same name, left out all the same
                    continue
                if name not in ALPINE_TO_DEBIAN:
                    out.add(untranslated, name)
                    continue
                translated = ALPINE_TO_DEBIAN[name]
                if translated is None:
                    continue
                name = translated
            name = debian_package(name)
            if name in DROPPED_PACKAGES:
                out.add(out.dropped, name)
            elif is_toolchain(name):
                out.add(out.build, name)
                if name in DEV_RUNTIME:
                    out.add(out.runtime, DEV_RUNTIME[name])
            else:
                out.add(out.runtime, name)
        if added is not None and added[3]:
            out.repositories.append((added[0], added[1], added[3]))
        _steps(project, stage, node and df.path == "Dockerfile", out)
    for line, text, packages in out.repositories:
        short = text if len(text) <= 70 else text[:67] + "..."
        out.notes.append(
            f"{out.path}:{line} `{short}` adds a package repository, and the old image "
            f"installed {', '.join(packages)} after it: they may exist only there, so "
            "neither the repository nor they are in the generated image (it installs Debian's "
            "own packages): add both to the api stage if the app needs them"
        )
    if not out.runs_make and not out.node:
        _unreferenced_make_build(project, out)
    if any(where for where, _ in out.make_builds) and "make" in out.build:
        out.build.remove("make")
        out.notes.append(
            f"{out.path} installed make to run its Makefile; the generated stages run what the "
            "targets run, so make is left out of the image"
        )
    if untranslated:
        out.notes.append(
            "the old Alpine image installed " + ", ".join(untranslated) + ", for which djfix "
            "knows no Debian name: install their Debian packages in the api stage if the app "
            "needs them"
        )
    return out


#: commands that add an apt repository (a script of postgresql-common, add-apt-repository,
#: a line written into /etc/apt/sources.list.d)
_REPOSITORY_SCRIPTS = ("apt.postgresql.org.sh", "add-apt-repository")


def _adds_repository(command: ScriptCommand) -> bool:
    head = command.argv[0].rsplit("/", 1)[-1] if command.argv else ""
    return head in _REPOSITORY_SCRIPTS or "/etc/apt/sources.list" in command.text


def _repository(stage: Stage) -> tuple[int, str, set[str], list[str]] | None:
    """(line, command, the packages installed after it, []) for the first step of `stage` that
    adds a package repository; the list is for those of the packages the carry would take."""
    found: tuple[int, str, set[str], list[str]] | None = None
    for line, text in stage.commands():
        for command in split_shell(text, line):
            if found is None:
                if _adds_repository(command):
                    found = (command.line, command.text, set(), [])
                continue
            for argv in effective_argvs(command.argv, command.line):
                found[2].update(system_packages(argv))
    return found


def _for_development(project: ProjectModel, path: str) -> bool:
    """Named for development, or built only by development compose files."""
    if is_dev_dockerfile(path):
        return True
    roles = compose_roles(project)
    builders = [
        cf.path
        for cf in project.compose_files
        for service in cf.services
        if built_dockerfile(cf, service) == path
    ]
    return bool(builders) and all(roles[rel].development for rel in builders if rel in roles)


def stage_chain_base(df: Dockerfile, stage: Stage) -> str:
    return stage_chain(df, stage)[-1].base


def _left(out: Carried, line: int, text: str, why: str, path: str = "") -> None:
    """One note a reason: the commands left for the same reason are named together, by line
    (`mkdir -p X && chown Y X` on one line; `mkdir $APP_HOME` on five lines of the old
    Dockerfile), where the reason stands first. `path`: the file that holds the line (a
    Makefile), where it is not the old Dockerfile."""
    path = path or out.path
    short = text if len(text) <= 70 else text[:67] + "..."
    key = (path, why)
    if key not in out.left_by_reason:
        out.left_by_reason[key] = (len(out.notes), [(line, [short])])
        out.notes.append(f"{path}:{line} `{short}` was left out: {why}")
        return
    index, lines = out.left_by_reason[key]
    if lines[-1][0] == line:
        lines[-1][1].append(short)
    else:
        lines.append((line, [short]))

    def commands(texts: list[str]) -> str:
        return ", ".join(f"`{t}`" for t in texts)

    if len(lines) == 1:
        where = f"{path}:{line} {commands(lines[0][1])}"
    else:
        where = f"{path} " + "; ".join(f"line {n} {commands(t)}" for n, t in lines)
    out.notes[index] = f"{where} were left out: {why}"


def _steps(project: ProjectModel, stage: Stage, node: bool, out: Carried) -> None:
    """Sort each RUN and ENV of an old stage: carried, moved, or left out with the reason."""
    for inst in stage.instructions:
        if inst.keyword == "ENV":
            _env(inst, out)
    for line, text in stage.commands():
        if run_of(stage, line) is None:
            continue
        commands = [c for c in split_shell(text, line) if c.argv]
        with_scripts, via = _script_commands(project, commands, line)
        if out.path == "Dockerfile" and any(make_targets(c.argv) for c in with_scripts):
            _make_run(project, line, with_scripts, out, via)
            continue
        front_end = any(_NODE_TOOLS.match(c.argv[0].rsplit("/", 1)[-1]) for c in commands)
        if out.path != "Dockerfile" and (front_end or _downloads(commands)):
            # built from another folder: its paths are not the repository root's, where the
            # generated assets stage runs
            _left(
                out,
                line,
                text,
                f"{out.path} ran it in its own build context: add it to the generated assets "
                "stage with the paths of the repository root",
            )
            continue
        if node or front_end:
            # a front-end build: its commands in order (`cd` included), without installs of
            # system packages, which the assets stage's node image does not need
            kept = [c.text for c in commands if not _installs_packages(c.argv)]
            if kept:
                out.assets.append((line, " && ".join(kept)))
                out.node = True
            for c in commands:
                tool = c.argv[0].rsplit("/", 1)[-1]
                if tool in ("curl", "wget") or (tool == "git" and c.argv[1:2] == ["clone"]):
                    out.add(out.download_tools, tool)
                    out.downloads.append(c.line)
            continue
        for command in commands:
            _command(command, out)


def _script_commands(
    project: ProjectModel, commands: list[ScriptCommand], line: int
) -> tuple[list[ScriptCommand], dict[int, str]]:
    """`commands` with each run of a repository shell script (`./scripts/build.sh`, `sh
    build.sh`) replaced by the script's commands, at the RUN's line; ({index: "script:line"}
    of those). One level: a script's own scripts are not followed."""
    out: list[ScriptCommand] = []
    via: dict[int, str] = {}
    for command in commands:
        rel = _script_of(command.argv)
        found = project.scripts.get(rel) if rel else None
        if not found:
            out.append(command)
            continue
        for inner in found[:500]:
            if inner.argv:
                via[len(out)] = f"{rel}:{inner.line}"
                out.append(dataclasses.replace(inner, line=line))
    return out, via


def _script_of(argv: list[str]) -> str:
    """The repository path of the shell script a command runs ("" for anything else)."""
    head = argv[0].rsplit("/", 1)[-1]
    if head in ("sh", "bash", "dash") and len(argv) == 2:
        path = argv[1]
    elif argv[0].endswith(".sh") and len(argv) == 1:
        path = argv[0]
    else:
        return ""
    if path.startswith("/") or "$" in path:
        return ""
    rel = posixpath.normpath(path)
    return "" if rel.startswith("..") else rel


def _make_run(
    project: ProjectModel,
    line: int,
    commands: list[ScriptCommand],
    out: Carried,
    via: dict[int, str] | None = None,
) -> None:
    """A RUN that calls make: what the target runs takes the place of the call (make is in
    neither the node image nor the Python one), each command of the rest as usual. `via`: the
    commands that a script the RUN runs holds, by index ("scripts/build.sh:3")."""
    out.runs_make = True
    via = via or {}
    for index, command in enumerate(commands):
        called = make_targets(command.argv)
        if called is None:
            if _NODE_TOOLS.match(command.argv[0].rsplit("/", 1)[-1]):
                out.assets.append((line, command.text))
                out.node = True
            else:
                _command(command, out)
            continue
        makefile, targets = called
        build = make_build(project, makefile, targets, command.text)
        if build.problem and not build.steps:
            _left(out, line, command.text, f"djfix cannot follow it: {build.problem}")
            continue
        where = f"{out.path}:{line}" + (f" via {via[index]}" if index in via else "")
        out.make_builds.append((where, build))
        _carry_make(out, build, line)


def _unreferenced_make_build(project: ProjectModel, out: Carried) -> None:
    """Nothing runs make, but a Makefile target clearly builds what STATICFILES_DIRS reads."""
    build = static_build(project)
    if build is None:
        return
    if not build.steps:
        out.notes.append(f"{build.problem}; add the front-end build to the assets stage")
        return
    out.make_builds.append(("", build))
    _carry_make(out, build, 0)


def _carry_make(out: Carried, build: MakeBuild, line: int) -> None:
    """The sorted recipe lines into the stages (assets, code, collectstatic) or the notes."""
    for sorted_step in build.steps:
        step = sorted_step.step
        if sorted_step.kind in ("assets", "file", "download"):
            for command in sorted_step.commands:  # `npm run build && manage.py collectstatic`
                _django_step(out, command, manage_py_commands([command])[0][1])
            out.assets.append((line, sorted_step.shell))
            out.node = out.node or sorted_step.kind == "assets"
            if sorted_step.kind == "download":
                for c in step.commands():
                    tool = c.argv[0].rsplit("/", 1)[-1]
                    if tool in ("curl", "wget", "git"):
                        out.add(out.download_tools, tool)
        elif sorted_step.kind == "python-assets":
            out.python_assets.append((line, sorted_step.shell))
        elif sorted_step.kind == "django":
            for command in sorted_step.commands:
                name = manage_py_commands([command])[0][1]
                if name in ("compilemessages", "collectstatic", "compress"):
                    _django_step(out, command, name)
                else:
                    _left(
                        out,
                        step.line,
                        " ".join(step.text.split()),
                        "a management command at build time: run it where its output is needed",
                        build.makefile,
                    )
        else:
            _left(out, step.line, " ".join(step.text.split()), sorted_step.why, build.makefile)


def make_notes(out: Carried) -> list[str]:
    """What the stages run of each make call, for the summary."""
    notes: list[str] = []
    for where, build in out.make_builds:
        python = [s.step.line for s in build.steps if s.kind == "python-assets"]
        lines = ", ".join(str(n) for n in build.carried_lines if n not in python)
        django = sorted(
            {
                name
                for s in build.steps
                if s.kind == "django"
                for _, name, _ in manage_py_commands(s.commands)
                if name in ("compilemessages", "collectstatic", "compress")
            }
        )
        then = f"; its {', '.join(django)} run in the stages that do them" if django else ""
        if where:
            head = f"`{build.call}` ({where}) is not run as such (make is in no generated stage)"
        else:
            head = (
                f"`{build.call}` of {build.makefile} builds the front end ({build.reason}), and "
                "nothing of the old set-up ran it in an image"
            )
        compiled = (
            f"its Python front-end compilers ({build.makefile} "
            f"line{'s' if len(python) > 1 else ''} {', '.join(map(str, python))}) run in the "
            "code stage, where the dependencies are, before collectstatic"
        )
        if lines:
            notes.append(
                f"{head}: its front-end steps ({build.makefile} lines {lines}) run in the assets "
                f"stage, whose output the collectstatic and api stages use"
                + (f"; {compiled}" if python else "")
                + then
            )
        elif python:
            notes.append(f"{head}: {compiled}{then}")
        else:
            notes.append(f"{head}: it runs no front-end step{then}")
        if build.problem:
            notes.append(f"{build.makefile}: {build.problem}")
        if build.others:
            notes.append(
                f"{build.makefile} also builds front-end files in {', '.join(build.others)}, "
                "which were left out: add them to the assets stage if the app serves them"
            )
    return notes


def _downloads(commands: list[ScriptCommand]) -> bool:
    for c in commands:
        tool = c.argv[0].rsplit("/", 1)[-1]
        if tool in ("curl", "wget") or (tool == "git" and c.argv[1:2] == ["clone"]):
            return True
    return False


def _installs_packages(argv: list[str]) -> bool:
    return bool(system_packages(argv)) or argv[0] in ("apt-get", "apk", "apt")


def _command(command: ScriptCommand, out: Carried) -> None:
    argv = command.argv
    head = argv[0].rsplit("/", 1)[-1]
    django = manage_py_commands([command])
    if django:
        _django_step(out, command, django[0][1])
    elif head in ("wget", "curl") or (head == "git" and argv[1:2] == ["clone"]):
        # a download of vendored assets: it runs in the assets stage, from the repository root
        out.assets.append((command.line, command.text))
        out.add(out.download_tools, head)
        out.downloads.append(command.line)
    elif _handled(argv) or _adds_repository(command):
        return  # a repository's step: `carry` says what it and its packages were
    elif head in ("mkdir", "chown", "chmod", "ln", "touch"):
        _left(
            out,
            command.line,
            command.text,
            "it sets up the old image's file layout; the generated image runs as user 10001 "
            "with the code in /app and gives that user the folders the settings write to "
            "(MEDIA_ROOT, SQLite and log files): add any other folder the app writes to",
        )
    else:
        _left(
            out,
            command.line,
            command.text,
            "djfix cannot tell which stage needs it; add it to the api stage if the app does",
        )


def _django_step(out: Carried, command: ScriptCommand, name: str) -> None:
    if name == "compilemessages":
        out.compilemessages = True
    elif name == "collectstatic":
        return  # the collectstatic stage does it
    elif name == "compress":
        out.compress = (command.line, command.text)  # the collectstatic stage does it, offline
    elif name == "migrate":
        _left(
            out,
            command.line,
            command.text,
            "migrations need the database, which a build has not: run them as a one-off "
            "command before the new image serves",
        )
    else:
        _left(
            out,
            command.line,
            command.text,
            "a management command at build time: run it where its output is needed",
        )


#: commands the generated stages do themselves (installs, user and folder set-up, clean-up)
_HANDLED_HEADS = frozenset(
    {
        "apt-get",
        "apt",
        "apk",
        "yum",
        "dnf",
        "microdnf",
        "pip",
        "pip3",
        "poetry",
        "pipenv",
        "uv",
        "pdm",
        "rm",
        "adduser",
        "addgroup",
        "useradd",
        "groupadd",
        "echo",
        "true",
        "cd",
        "export",
        "set",
        "update-ca-certificates",
        "dpkg-reconfigure",
    }
)


def _handled(argv: list[str]) -> bool:
    head = argv[0].rsplit("/", 1)[-1]
    if head in _HANDLED_HEADS or re.fullmatch(r"pip[\d.]*", head):
        return True
    if re.fullmatch(r"python[\d.]*", head) and argv[1:3] in (["-m", "pip"], ["-m", "venv"]):
        return True
    return head == "python" and argv[1:3] == ["-m", "compileall"]


def _env(inst: Instruction, out: Carried) -> None:
    for name, value in instruction_assignments(inst).items():
        if _OWN_ENV.match(name):
            continue
        if _SECRET_ENV.search(name.upper()):
            out.notes.append(
                f"{out.path}:{inst.line} ENV {name} was left out: a secret baked into an image "
                "is readable by anyone who pulls it; set it in the deployment's environment"
            )
            continue
        if "$" in value:
            out.notes.append(
                f"{out.path}:{inst.line} ENV {name} was left out: its value refers to other "
                "variables of the old image"
            )
            continue
        out.env.setdefault(name, value)


#: a value read at start from the file a variable names or a Docker secret:
#: `X=$(cat "$X_FILE")`, `` X=`cat /run/secrets/x` `` (not `$(cat /sys/...)`, a fact of the host)
_FROM_FILE = re.compile(
    r"""(?:\$\(|`)\s*(?:cat\s+|<\s*)["']?(?:\$\{?[A-Za-z_][A-Za-z0-9_]*FILE\}?|/run/secrets/)"""
)


def start_script_notes(project: ProjectModel) -> list[str]:
    """What the scripts the old image ran at start did besides the app server, which the
    generated image (its CMD starts the server directly) no longer does: variables set from
    files (Docker secrets: SECRET_KEY from SECRET_KEY_FILE) and management commands."""
    image = api_image(project)
    if image is None:
        return []
    notes: list[str] = []
    for rel, commands in sorted(image.scripts.items()):
        from_files: list[str] = []
        for command in commands:
            pairs: list[tuple[str, str]] = list(command.env.items()) if not command.argv else []
            if command.argv[:1] == ["export"]:
                pairs = [w.partition("=")[::2] for w in command.argv[1:] if "=" in w]
            for name, value in pairs:
                if _FROM_FILE.search(value) and name not in from_files:
                    from_files.append(name)
        managed = [
            sub
            for _, sub, _ in manage_py_commands(commands)
            if sub not in ("runserver", "runserver_plus")
        ]
        managed = list(dict.fromkeys(managed))
        did = []
        if from_files:
            did.append(f"set {', '.join(from_files[:8])} from files")
        if managed:
            did.append("ran " + ", ".join(f"manage.py {m}" for m in managed[:6]))
        if not did:
            continue
        advice = []
        if from_files:
            advice.append("give the app those variables themselves")
        if "migrate" in managed:
            advice.append("run migrate as a one-off command")
        notes.append(
            f"{rel}, which the old image ran at start, is not run by the generated image (its "
            f"CMD starts the app server directly); it {' and '.join(did)}: "
            + (", and ".join(advice) if advice else "run what the deployment still needs")
            + f", or make {rel} the ENTRYPOINT again by hand"
        )
    return notes
