"""How the generated image installs the project's dependencies (item 1, with item 2): the
dependency file and manager it installs from (pip, poetry, uv, pipenv, at pinned versions), the
build tools the builder stage needs for what has no wheel (psycopg2, mysqlclient, python-ldap)
and the runtime libraries they load in the final stage."""

from __future__ import annotations

import posixpath
import shlex

from codemods.dependencies.requirement import Package, base_name, extras_of
from fixer.discovery.dependencies import exact_version, locked_release
from fixer.project import DependencySource, ProjectModel, Requirement, normalise_package

#: dependencies published without wheels for the slim image: (headers and tools for the
#: builder, runtime libraries for the final stage)
SOURCE_BUILT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "psycopg2": (("gcc", "libc6-dev", "libpq-dev"), ("libpq5",)),
    # psycopg 3's C implementation: `psycopg[c]` installs it
    "psycopg-c": (("gcc", "libc6-dev", "libpq-dev"), ("libpq5",)),
    "mysqlclient": (
        ("gcc", "libc6-dev", "pkg-config", "default-libmysqlclient-dev"),
        ("libmariadb3",),
    ),
    "python-ldap": (
        ("gcc", "libc6-dev", "libldap2-dev", "libsasl2-dev"),
        ("libldap-2.5-0", "libsasl2-2"),
    ),
}
#: the system libpq, which psycopg 3 without its binary package (`psycopg[binary]`) loads
LIBPQ = ("libpq5",)
#: psycopg2-binary releases before this one publish no wheel for arm64 (aarch64) and none for
#: the Pythons newer than they are: there pip builds the package from its source like psycopg2
PSYCOPG2_BINARY_WHEELS = (2, 9)
#: pinned installers for the dependency managers that are not pip
POETRY = "poetry==1.8.5"
UV = "uv==0.5.11"
PIPENV = "pipenv==2024.4.0"
#: the first pip that installs a PEP 735 dependency group
PIP_GROUPS = "pip>=25.1"


def _installed_folder(source: DependencySource, files: list[str]) -> bool:
    """The image installs `source`'s folder as a package (`pip install .`)."""
    if source.kind not in ("pep621", "poetry", "uv", "setup.py", "setup.cfg"):
        return False
    folder = posixpath.dirname(source.rel) or "."
    return folder in files or f"{folder}/" in files


def source_built(
    project: ProjectModel, declared: list[str], files: list[str]
) -> tuple[list[str], list[str]]:
    """(builder packages, runtime packages) of the dependencies built from source that the
    image installs: those of the dependency files it copies (`files`; a requirements-dev.txt
    beside them is not installed), those the plans declare (`declared`: a database driver), and
    psycopg 3 without its binary package, which loads the system's libpq: at run time, and in
    the builder, whose collectstatic stage imports the database backend's driver."""
    adding = {normalise_package(base_name(name)) for name in declared}
    extras = {
        (normalise_package(base_name(name)), normalise_package(extra))
        for name in declared
        for extra in extras_of(name)
    }
    installed: set[str] = set()
    for r in _installed(project, files):
        installed.add(r.name)
        extras.update((r.name, extra) for extra in r.extras)
    build: list[str] = []
    runtime: list[str] = []
    needed = [name for name in SOURCE_BUILT if name in installed or name in adding]
    if old_binary_driver(project, files) and "psycopg2" not in needed:
        needed.append("psycopg2")
    psycopg = "psycopg" in installed or "psycopg" in adding
    if psycopg and ("psycopg", "c") in extras and "psycopg-c" not in needed:
        needed.append("psycopg-c")
    for name in needed:
        headers, libraries = SOURCE_BUILT[name]
        build.extend(p for p in headers if p not in build)
        runtime.extend(p for p in libraries if p not in runtime)
    binary = ("psycopg", "binary") in extras or "psycopg-binary" in installed
    if psycopg and not binary and "psycopg-c" not in needed:
        runtime.extend(p for p in LIBPQ if p not in runtime)
        if "libpq-dev" not in build:  # its headers bring the library
            build.extend(p for p in LIBPQ if p not in build)
    return build, runtime


def _installed(project: ProjectModel, files: list[str]) -> list[Requirement]:
    """The requirements of the dependency files the image installs (`files`)."""
    return [
        r
        for source in project.dependency_sources
        for r in source.packages
        if source.rel in files or r.rel in files or _installed_folder(source, files)
    ]


def old_binary_driver(project: ProjectModel, files: list[str]) -> str | None:
    """The pin of a psycopg2-binary release older than 2.9 the image installs (`psycopg2-binary
    ==2.8.4`, or a range whose lock file holds such a release), else None: with no wheel for
    arm64 or for a newer Python, pip builds it from its source, which needs libpq's headers and
    a compiler in the builder and libpq at run time."""
    kinds = {s.rel: s.kind for s in project.dependency_sources}
    for r in _installed(project, files):
        if r.name != "psycopg2-binary":
            continue
        version = exact_version(r.spec, kinds.get(r.rel, "requirements"))
        if version is not None and version[:2] < PSYCOPG2_BINARY_WHEELS:
            return f"psycopg2-binary{r.spec.strip()}"
        # a range (`^2.8`) the lock file pins: the image installs the lock's release
        locked = locked_release(project, "psycopg2-binary")
        if version is None and locked is not None and locked[:2] < PSYCOPG2_BINARY_WHEELS:
            lock = project.install_source.lock if project.install_source else None
            return f"psycopg2-binary=={'.'.join(map(str, locked))} (locked in {lock})"
    return None


def _requirement_files(project: ProjectModel, rel: str) -> list[str]:
    """`rel` and the files it pulls in with -r / -c."""
    out = [rel]
    for source in project.dependency_sources:
        for req in source.packages:
            if req.rel not in out and source.rel == rel:
                out.append(req.rel)
    return out


#: the command that brings each manager's lock file up to date with its dependency file
RELOCK = {
    "poetry": "poetry lock --no-update",
    "uv": "uv lock",
    "pipfile": "pipenv lock",
}


def stale_lock_packages(project: ProjectModel, needed: list[str]) -> list[str]:
    """The packages of `needed` that djfix's dependency plan adds to the dependency file the
    image installs, where a lock file stands beside it (poetry.lock, uv.lock, Pipfile.lock):
    that lock lacks them until the developer re-locks. The plan writes into every file that
    declares Django, the image's among them (`choose_install_source` picks one of those), and
    only what no file declares yet."""
    install = project.install_source
    if install is None or install.lock is None or install.source.kind not in RELOCK:
        return []
    declared = project.packages
    return sorted({n for n in needed if normalise_package(base_name(n)) not in declared})


def stale_lock_comment(project: ProjectModel, adding: list[Package]) -> str:
    """What the builder does about a lock file that lacks the packages djfix adds beside it,
    until the developer re-locks ("" where the lock has all it needs)."""
    install = project.install_source
    if not adding or install is None or install.lock is None:
        return ""
    kind, rel, lock = install.source.kind, install.source.rel, install.lock
    names = ", ".join(p.name for p in adding)
    them = "them" if len(adding) > 1 else "it"
    relock = f"`{RELOCK[kind]}`"
    if kind == "poetry":
        does = (
            "the builder re-locks before `poetry install`, which refuses a stale lock; a fresh "
            "lock passes its `poetry check --lock` and is installed as it is"
        )
    elif kind == "uv":
        does = (
            "the builder syncs without `--locked`, which refuses a stale lock, so uv re-locks in "
            "the build; with a fresh uv.lock committed, `--locked` can return"
        )
    else:
        does = (
            f"the builder installs {them} after the packages of {lock}, which leaves {them} out, "
            f"at the version djfix chose; with a fresh {lock} committed, that `pip install` "
            "can go"
        )
    return (
        f"{lock} is stale: {rel} now declares {names}, which it lacks, until {relock} is run "
        f"and {lock} committed. Meanwhile {does}"
    )


def install_steps(
    project: ProjectModel, adding: list[Package] | None = None
) -> tuple[str, list[str], list[str], list[str]]:
    """(manager, files to copy, RUN commands, builder ENV lines) installing the dependencies
    into the active venv /opt/venv, without development dependencies, from the file
    `project.install_source` names (the one `djfix verify --install` installs too).

    `adding`: the packages djfix's change adds to that file, whose lock file lacks them
    (`stale_lock_packages`). The image must build before the developer re-locks: poetry
    re-locks in the build while its lock is stale (`poetry install` refuses a stale lock), uv
    syncs without `--locked` (it re-locks what is stale, keeping the locked versions), and
    pipenv, whose `requirements` reads the lock alone and would leave them out, installs them
    after the lock's packages, pinned to the versions declared."""
    adding = adding or []
    install = project.install_source
    if install is None:
        return "none", [], [], []
    source = install.source
    kind = source.kind
    if kind in ("requirements", "pip-tools"):
        files = _requirement_files(project, install.rel)
        return (
            "pip-tools" if kind == "pip-tools" else "requirements",
            files,
            [f"pip install --no-cache-dir -r {install.rel}"],
            [],
        )
    folder = posixpath.dirname(source.rel)
    prefix = f"{folder}/" if folder else ""
    cd = f"cd {folder} && " if folder else ""
    locked = install.lock is not None
    if kind == "poetry":
        files = [source.rel] + ([f"{prefix}poetry.lock"] if locked else [])
        poetry = "/opt/poetry/bin/poetry"
        quiet = "--no-interaction --no-ansi"
        install_cmd = f"{poetry} install --only main --no-root {quiet}"
        if locked and adding:
            # once the developer commits a fresh lock, the check passes and nothing re-locks
            relock = [f"{cd}({poetry} check --lock {quiet} || {poetry} lock --no-update {quiet})"]
            steps = [*relock, install_cmd]
        else:
            steps = [f"{cd}{install_cmd}"]
        return (
            "poetry",
            files,
            [
                "python -m venv /opt/poetry",
                f"/opt/poetry/bin/pip install --no-cache-dir {POETRY}",
                *steps,
            ],
            ["POETRY_VIRTUALENVS_CREATE=false", "POETRY_NO_CACHE=1"],
        )
    if kind == "uv":
        files = [source.rel] + ([f"{prefix}uv.lock"] if locked else [])
        flag = " --locked" if locked and not adding else ""
        return (
            "uv",
            files,
            [
                "python -m venv /opt/uv",
                f"/opt/uv/bin/pip install --no-cache-dir {UV}",
                f"{cd}/opt/uv/bin/uv sync{flag} --no-dev --no-install-project --no-cache",
            ],
            ["UV_PROJECT_ENVIRONMENT=/opt/venv", "UV_PYTHON_DOWNLOADS=never"],
        )
    if kind == "pipfile":
        files = [source.rel] + ([f"{prefix}Pipfile.lock"] if locked else [])
        return (
            "pipfile",
            files,
            [
                "python -m venv /opt/pipenv",
                f"/opt/pipenv/bin/pip install --no-cache-dir {PIPENV}",
                *([f"{cd}/opt/pipenv/bin/pipenv lock"] if not locked else []),
                f"{cd}/opt/pipenv/bin/pipenv requirements > /tmp/requirements.txt",
                "pip install --no-cache-dir -r /tmp/requirements.txt",
                *(
                    ["pip install --no-cache-dir " + " ".join(_pinned(p) for p in adding)]
                    if locked and adding
                    else []
                ),
            ],
            ["PIPENV_VERBOSITY=-1"],
        )
    if kind == "pep735":
        # pip reads a [dependency-groups] group from 25.1 on (`--group path:name`)
        return (
            "pep735",
            [source.rel],
            [
                f"pip install --no-cache-dir {shlex.quote(PIP_GROUPS)}",
                f"pip install --no-cache-dir --group {shlex.quote(f'{source.rel}:{source.group}')}",
            ],
            [],
        )
    # PEP 621, setup.py, setup.cfg: the project itself is the package that names the
    # dependencies
    return "package", ["."], [f"pip install --no-cache-dir {folder or '.'}"], []


def _pinned(package: Package) -> str:
    """`name==pin`, quoted for the shell (an extra's brackets are a pattern)."""
    return shlex.quote(f"{package.name}=={package.pin}" if package.pin else package.name)
