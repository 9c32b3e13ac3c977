"""`djfix verify --install`: a cached virtualenv with the project's dependencies.

The interpreter is chosen among those on this machine (pyenv's versions, `python3.X` on PATH):
the Python the project names (`.python-version`, `runtime.txt`, requires-python, Pipfile), else
the old image's base (the root Dockerfile, else one a compose service builds), when the
project's Django release supports it (fixer.python_support); else the newest Python that Django
supports. The dependencies come from the file the generated image installs
(`ProjectModel.install_source`: the locked or pinned one where several declare Django), at the
versions its lock file holds (Pipfile.lock, poetry.lock, uv.lock: fixer.parsers.locks), as the
image's `pipenv`, `poetry install` or `uv sync` installs them. The
virtualenv is cached under `$XDG_CACHE_HOME/djfix/venvs` (default
`~/.cache`), keyed by the hash of the dependency files and the interpreter, so a second run
reuses it. The app server the project runs with (gunicorn unless it names another) and a
database driver are added when the project declares none, and the messages say so.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from fixer.analysis.database_driver import missing_drivers
from fixer.analysis.image import app_dockerfile, image_python
from fixer.discovery import discover
from fixer.errors import DjfixError
from fixer.fixes.envfiles import packages_to_declare
from fixer.fixes.item01_install import RELOCK, SOURCE_BUILT
from fixer.fixes.item01_python import project_python
from fixer.parsers.locks import pip_spec, poetry_lock_pins, uv_lock_pins
from fixer.project import InstallSource, ProjectModel, Requirement, normalise_package
from fixer.python_support import PythonRange, allows, django_pythons, dotted_version
from fixer.verify_env import server_command

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

INSTALL_TIMEOUT = 900
_COMPLETE = ".djfix-complete"
_SERVERS = ("gunicorn", "uvicorn", "daphne", "hypercorn")


def interpreters() -> dict[tuple[int, int], str]:
    """(major, minor) -> interpreter path, for every Python 3 on this machine."""
    found: dict[tuple[int, int], str] = {}
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    for directory in sorted(pyenv.glob("*")) if pyenv.is_dir() else []:
        match = re.fullmatch(r"(\d+)\.(\d+)\.\d+", directory.name)
        python = directory / "bin" / "python3"
        if match and python.is_file() and match.group(1) == "3":
            found[(3, int(match.group(2)))] = str(python)
    for minor in range(6, 16):
        path = shutil.which(f"python3.{minor}")
        if path:
            found.setdefault((3, minor), path)
    return found


def _version(text: str | None) -> tuple[int, int] | None:
    match = re.search(r"(\d)\.(\d+)", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _image_python(project: ProjectModel) -> tuple[tuple[int, int] | None, str]:
    """(the Python of the image the project ran in, where that is written): the generated
    Dockerfile's choice reads the same base."""
    dockerfile = app_dockerfile(project)
    if dockerfile is None:
        return None, ""
    return _version(image_python(dockerfile)), f"{dockerfile.path}'s base image"


def choose_interpreter(
    project: ProjectModel, available: dict[tuple[int, int], str]
) -> tuple[str, str]:
    """(interpreter, why it was chosen)."""
    version = project.django_pin or project.django_version
    supported = django_pythons(version)
    if supported is None:
        # unknown: a recent Django; older than the table: the Pythons 3 of Django 1.x
        supported = PythonRange((3, 8), None) if version is None else PythonRange((3, 4), (3, 7))
    fits = {v: p for v, p in available.items() if v in supported and allows(project.python_spec, v)}
    if not fits:
        names = ", ".join(dotted_version(v) for v in sorted(available)) or "none"
        raise DjfixError(
            f"no Python on this machine supports the project's Django "
            f"{dotted_version(version)} (it needs {supported}; found "
            f"{names}); install one, or name an interpreter with --python"
        )
    django = f"Django {dotted_version(version)}" if version else "Django"
    # a range (`requires-python = ">=3.8"`) names the oldest Python allowed: the old image's
    # comes first then, and the range's oldest only as the code can run on it
    project_version, named_in = project_python(project)
    named = (_version(project_version), named_in)
    image = _image_python(project)
    for wanted, source in (image, named) if project.python_spec else (named, image):
        if wanted is not None and wanted in fits:
            return fits[wanted], f"Python {dotted_version(wanted)} ({source}; {django} supports it)"
    best = max(fits)
    if project.python_spec:
        return fits[best], (
            f"Python {dotted_version(best)}, the newest here that {django} supports and "
            f"{project.python_version_source} allows ({project.python_spec})"
        )
    return fits[best], f"Python {dotted_version(best)}, the newest here that {django} supports"


def install_plan(
    project: ProjectModel, interpreter: str | None = None
) -> tuple[list[str], list[str], list[Path]]:
    """(pip arguments, messages, the files the cache key hashes), from the file the generated
    image installs too (`project.install_source`). The app server and the database driver the
    project lacks are added at the versions djfix declares for the image, for the Python of
    `interpreter` (the project's own where it names one)."""
    install = project.install_source
    if install is None:
        raise DjfixError(
            "--install: the project has no dependency file verify can install from "
            "(requirements.txt, pyproject.toml, Pipfile, setup.py); name an interpreter "
            "with --python"
        )
    source = install.source
    messages: list[str] = []
    if install.why:
        messages.append(f"--install: the dependencies of {install.why}, as the image installs")
    args: list[str] = []
    names = {r.name for r in source.packages}
    stale = _missing_from_lock(project, install)
    locked = _lock_pins(project, install, {r.name for r in stale})
    if source.kind in ("requirements", "pip-tools"):
        args += ["-r", str(project.root / install.rel)]
    elif locked is not None:
        args += locked
        if stale:
            for req in stale:
                extras = f"[{','.join(req.extras)}]" if req.extras else ""
                spec = pip_spec(req.spec) if source.kind in ("poetry", "pipfile") else req.spec
                args.append(f"{req.name}{extras}{spec}")
            lacking = ", ".join(r.name for r in stale)
            them, they_are = ("them", "they are") if len(stale) > 1 else ("it", "it is")
            messages.append(
                f"--install: {install.lock} is stale: it lacks {lacking}, which {source.rel} "
                f"declares, until `{RELOCK[source.kind]}` is run; {they_are} installed at the "
                f"declared range, as the generated image adds {them} too"
            )
    else:
        if install.lock is not None:
            messages.append(
                f"--install: {install.lock} could not be read; the version ranges of "
                f"{source.rel} are installed, not the versions the image's install locks"
            )
        for req in source.packages:
            spec = pip_spec(req.spec) if source.kind in ("poetry", "pipfile") else req.spec
            extras = f"[{','.join(req.extras)}]" if req.extras else ""
            args.append(f"{req.name}{extras}{spec}")
    added: list[tuple[str, str]] = []
    server = _server_package(project)
    if server and server not in names:
        added.append((server, "the project's dependencies do not name it"))
    for driver in missing_drivers(project):
        added.append((driver.package, f"a {driver.label} driver; the project names none"))
    declared = packages_to_declare(project, [name for name, _ in added], {"python": interpreter})
    for package, (_, why) in zip(declared, added, strict=True):
        spec = f"{package.name}=={package.pin}" if package.pin else package.name
        args.append(spec)
        messages.append(f"--install: {spec} added ({why})")
    rels = {r.rel for r in source.packages} | {source.rel, install.rel}
    if install.lock:
        rels.add(install.lock)
    files = [project.root / rel for rel in sorted(rels)]
    return args, messages, files


def _lock_pins(
    project: ProjectModel, install: InstallSource, stale: set[str] | None = None
) -> list[str] | None:
    """The exact versions the image's install takes from the lock file (Pipfile.lock,
    poetry.lock, uv.lock: the main packages, no development group), as pip arguments; None
    without a lock, or where it cannot be read. `stale`: the declared packages the lock lacks
    (`_missing_from_lock`), installed apart: the pins of poetry.lock are followed without
    them."""
    kind = install.source.kind
    if install.lock is None:
        return None
    if kind == "pipfile":
        return _pipfile_lock_pins(project, install)
    if kind not in ("poetry", "uv"):
        return None
    lock = project.root / install.lock
    try:
        text = lock.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if kind == "uv":
        return uv_lock_pins(text, lock.parent)
    try:
        pyproject = tomllib.loads((project.root / install.source.rel).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return poetry_lock_pins(text, _without(pyproject, stale or set()), lock.parent)


_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _without(pyproject: dict, names: set[str]) -> dict:
    """`pyproject` without the main dependencies named `names` (normalised)."""
    if not names:
        return pyproject
    out = dict(pyproject)
    tool = dict(out.get("tool") or {})
    poetry = tool.get("poetry")
    if isinstance(poetry, dict) and isinstance(poetry.get("dependencies"), dict):
        deps = poetry["dependencies"]
        kept = {k: v for k, v in deps.items() if normalise_package(k) not in names}
        tool["poetry"] = {**poetry, "dependencies": kept}
        out["tool"] = tool
    project = out.get("project")
    if isinstance(project, dict) and isinstance(project.get("dependencies"), list):

        def named(text: object) -> str:
            m = _NAME.match(str(text))
            return normalise_package(m.group(1)) if m else ""

        kept_list = [t for t in project["dependencies"] if named(t) not in names]
        out["project"] = {**project, "dependencies": kept_list}
    return out


def _missing_from_lock(project: ProjectModel, install: InstallSource) -> list[Requirement]:
    """The packages the dependency file declares that its lock file does not hold at all (a
    package djfix added, before the developer re-locks); none where the lock cannot be read.
    A package the lock holds but the install leaves out (an optional one) is not missing."""
    if install.lock is None:
        return []
    try:
        text = (project.root / install.lock).read_text(encoding="utf-8")
        if install.source.kind == "pipfile":
            data = json.loads(text)
            entries = data.get("default") if isinstance(data, dict) else None
            held = set(entries) if isinstance(entries, dict) else None
        else:
            packages = tomllib.loads(text).get("package")
            held = (
                {p.get("name") for p in packages if isinstance(p, dict)}
                if isinstance(packages, list)
                else None
            )
    except (OSError, UnicodeDecodeError, ValueError):  # TOMLDecodeError is a ValueError
        return []
    if held is None:
        return []
    names = {normalise_package(n) for n in held if isinstance(n, str)}
    return [r for r in install.source.packages if r.name not in names]


def _pipfile_lock_pins(project: ProjectModel, install: InstallSource) -> list[str] | None:
    """The `default` packages of the Pipfile.lock, pinned as `pipenv requirements` writes them
    for the image (`name==version; markers`); a package the lock holds without a version (a
    VCS or path entry) as the Pipfile declares it. None without a readable lock."""
    try:
        data = json.loads((project.root / install.lock).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    default = data.get("default") if isinstance(data, dict) else None
    if not isinstance(default, dict):
        return None
    declared = {r.name: r.spec for r in install.source.packages}
    pins: list[str] = []
    for name, entry in sorted(default.items()):
        entry = entry if isinstance(entry, dict) else {}
        version = entry.get("version")
        if isinstance(version, str) and version.startswith("=="):
            markers = entry.get("markers")
            pins.append(f"{name}{version}" + (f"; {markers}" if isinstance(markers, str) else ""))
        elif normalise_package(name) in declared:
            pins.append(f"{name}{pip_spec(declared[normalise_package(name)])}")
    return pins


_HASH = re.compile(r"(^|\s)--hash[=\s]", re.M)


def pip_runs(args: list[str]) -> list[list[str]]:
    """The pip installs of `args`: one; or, where the requirements file pins its packages with
    --hash (pip then wants a hash for every package of the run), the file alone, then the
    packages verify adds (as the generated image installs what such a file cannot take)."""
    if len(args) > 2 and args[0] == "-r":
        try:
            text = Path(args[1]).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return [args]
        if _HASH.search(text):
            return [args[:2], args[2:]]
    return [args]


def _server_package(project: ProjectModel) -> str | None:
    server = server_command(project).server
    if server in _SERVERS:
        return server
    return "gunicorn" if server in (None, "runserver") else None


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "djfix" / "venvs"


def _key(interpreter: str, args: list[str], files: list[Path]) -> str:
    digest = hashlib.sha256()
    digest.update(interpreter.encode())
    version = subprocess.run(
        [interpreter, "-c", "import sys; print(sys.version)"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout
    digest.update(version.encode())
    for arg in args:
        digest.update(b"\0" + arg.encode())
    for path in files:
        digest.update(b"\0" + str(path.name).encode())
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def _run(argv: list[str], timeout: int) -> tuple[int | None, str]:
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    except OSError as exc:
        return 127, str(exc)
    return done.returncode, done.stdout + done.stderr


def install_environment(
    path: Path, *, settings: str | None = None, manage: str | None = None
) -> tuple[str, list[str]]:
    """The python of a (cached) virtualenv with the project's dependencies; (path, messages)."""
    project = discover(Path(path), settings=settings, manage=manage)
    interpreter, why = choose_interpreter(project, interpreters())
    args, messages, files = install_plan(project, interpreter)
    venv = cache_root() / _key(interpreter, args, files)
    python = venv / "bin" / "python"
    if (venv / _COMPLETE).is_file() and python.exists():
        return str(python), [f"--install: reusing {venv} ({why})", *messages]
    if venv.exists():
        shutil.rmtree(venv)  # an interrupted build: never reuse half a virtualenv
    venv.parent.mkdir(parents=True, exist_ok=True)
    code, output = _run([interpreter, "-m", "venv", str(venv)], 300)
    if code != 0:
        raise DjfixError(f"--install: `{interpreter} -m venv` failed: {_tail(output)}")
    for run_args in pip_runs(args):
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *run_args]
        code, output = _run(pip, INSTALL_TIMEOUT)
        if code != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise DjfixError(
                f"--install: installing the dependencies failed:\n{_tail(output)}"
                + "".join(f"\n{hint}" for hint in build_hints(output))
            )
    (venv / _COMPLETE).write_text(" ".join(args) + "\n", encoding="utf-8")
    return str(python), [f"--install: made {venv} ({why})", *messages]


def build_hints(output: str) -> list[str]:
    """What this machine needs for a package pip built from source and failed on (mysqlclient:
    its headers), in the words of the generated Dockerfile's builder."""
    low = output.lower()
    if "build" not in low:
        return []
    hints = []
    for name, (headers, _) in SOURCE_BUILT.items():
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", low):
            hints.append(
                f"{name} is built from source: install {', '.join(headers)} (Debian's names; the "
                "generated Dockerfile's builder installs them) and run again"
            )
    return hints


def _tail(output: str, lines: int = 15) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])
