"""`djfix verify`: run the project for real and say, step by step, what works.

Every step runs in a subprocess with the project's own interpreter, from a temporary copy of
the repository (without `.env`, databases or virtualenvs), under an environment that holds only
the variables the settings read (see `fixer.verify_env`), and a database of its own: a new
SQLite file, or with `--database-url` a new, empty database on that server, dropped when the
run ends (see `fixer.verify_database`); so does every other DATABASES alias a variable
points (see `fixer.verify_aliases`). Servers listen on 127.0.0.1 only; every wait is bounded
and every process is stopped through its process group.

Steps:
  1. the settings import and `manage.py check --deploy` reports no issue;
  2. `makemigrations --check --dry-run` is clean;
  3. the app server the Dockerfile names starts on the EMPTY database and /health and
     /common/health answer 200;
  4. `migrate` succeeds on that database;
  5. with the services other than the database unreachable (Redis, a broker: the step's name
     says which), / and every URL without parameters answer non-5xx within 2 s;
  6. with the database unreachable and STARTUP_CHECKS on, the start fails within 30 s naming the
     database and its variable, and no credential appears in the output;
  7. the Dockerfile's collectstatic line runs as written, with only the Dockerfile's environment;
  8. (--image) the api and static images build and the api image passes step 3.
"""

from __future__ import annotations

import functools
import json
import os
import posixpath
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from fixer import verify_aliases, verify_env
from fixer.analysis.app_paths import IMAGE_APP_DIR, data_paths
from fixer.discovery import discover
from fixer.django_runner import find_python
from fixer.errors import DjfixError, UsageError
from fixer.project import ProjectModel
from fixer.sources import COPY_SKIP_DIRS
from fixer.verify_database import RunDatabase, connection_spec, run_database
from fixer.verify_process import stop_all
from fixer.verify_review import review_alias_url, review_url, reviewer_commands
from fixer.verify_run import Run, Step
from fixer.verify_steps import run_steps

__all__ = [
    "VerifyReport",
    "render_json",
    "render_table",
    "verify_project",
]

#: folders and files never copied into the run's tree
_SKIP_NAMES = COPY_SKIP_DIRS | {"staticfiles"}
_DB_SUFFIXES = (".sqlite3", ".sqlite", ".db")


@dataclass
class VerifyReport:
    root: str
    python: str | None
    steps: list[Step]
    env_names: list[str]
    commands: list[str]
    notes: list[str] = field(default_factory=list)
    django_settings: str = ""
    #: why the run used the given --database-url as it is, not a new database ("" otherwise)
    database_reused: str = ""
    #: the note saying an SQLite file stood in for the settings' server database ("" if not)
    stand_in: str = ""

    def ok(self) -> bool:
        """True when every step that ran passed."""
        return all(s.status != "fail" for s in self.steps)

    def step(self, n: int) -> Step | None:
        return next((s for s in self.steps if s.number == n), None)

    def to_json(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok()
        return data


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def _make_data_folders(project: ProjectModel, tree: Path) -> None:
    """The folders the settings have the app write to (an SQLite file's, MEDIA_ROOT, a log
    file's), made in verify's copy as the generated image makes them: a git-ignored `data/`
    that a start script makes (`mkdir -p data`) is missing from a checkout, and settings that
    open a file there at import (a task queue's SQLite file) would not load."""
    code = tree / posixpath.dirname(project.manage_py or "")
    for path in data_paths(project):
        rel = posixpath.relpath(path.path, IMAGE_APP_DIR)
        if rel.startswith(".."):
            continue  # outside the code (/var/lib/...): the image's, not the copy's
        folder = (code / rel).parent if path.is_file else code / rel
        resolved = folder.resolve()
        if resolved == tree.resolve() or tree.resolve() in resolved.parents:
            folder.mkdir(parents=True, exist_ok=True)


def copy_tree(src: Path, dst: Path) -> None:
    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {
            n
            for n in names
            if n in _SKIP_NAMES and not (Path(folder) / n / "__init__.py").is_file()
        }
        for name in names:
            if name == ".env" or (
                name.startswith(".env.") and name not in verify_env.EXAMPLE_FILES
            ):
                skip.add(name)  # the user's own environment files: never read
            elif name.endswith(_DB_SUFFIXES) and (Path(folder) / name).is_file():
                skip.add(name)  # the user's databases
        return skip

    shutil.copytree(src, dst, symlinks=True, ignore=ignore)


def _shim(bin_dir: Path, python: str) -> None:
    """`python` and `python3` on PATH are the project's interpreter (for the Dockerfile line)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3"):
        path = bin_dir / name
        path.write_text(f'#!/bin/sh\nexec {shlex.quote(python)} "$@"\n', encoding="utf-8")
        path.chmod(0o755)


def resolve_python(project: ProjectModel, python: str) -> str:
    """The interpreter `--python` names, when it can import Django; else a UsageError."""
    if os.sep in python and Path(python).exists():
        python = os.path.abspath(python)  # not resolve(): a venv's python is a symlink
    found, why = find_python(project, python)
    if found is None:
        raise UsageError(why)
    return found


@contextmanager
def _stopping() -> Iterator[None]:
    try:
        yield
    finally:
        stop_all()  # a step that ended early (an error, Ctrl-C) leaves no server behind


@contextmanager
def _workspace(work: Path | None) -> Iterator[Path]:
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
        yield Path(tempfile.mkdtemp(prefix="verify-", dir=work))
        return
    with tempfile.TemporaryDirectory(prefix="djfix-verify-") as tmp:
        yield Path(tmp)


def verify_project(
    root: Path,
    *,
    python: str,
    database_url: str | None = None,
    image: bool = False,
    only: set[int] | None = None,
    work: Path | None = None,
    settings: str | None = None,
    manage: str | None = None,
    build_args: dict[str, str] | None = None,
    extra_path: Path | None = None,
    on_step: Callable[[int, str], None] | None = None,
) -> VerifyReport:
    """Run the steps on the project at `root`. `root` is never written: everything runs in a
    temporary copy (kept, for inspection, in a new folder below `work` when that is given).
    `extra_path` is put on PYTHONPATH of every step (packages installed aside)."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    if database_url is not None:
        check_database_url(database_url)
    discover(root, settings=settings, manage=manage)  # static: bad input is named as given
    with _workspace(work) as scratch:
        tree = scratch / "tree"
        try:
            copy_tree(root, tree)
        except (OSError, shutil.Error) as exc:
            raise DjfixError(f"{root}: could not copy it to a temporary folder: {exc}") from None
        project = discover(tree, settings=settings, manage=manage)
        _make_data_folders(project, tree)
        # asked in the copy: even this first `import django` runs from the project's folder
        interpreter = resolve_python(project, python)
        base = _base_env(project, interpreter, scratch, extra_path)
        used = bool(database_url) and verify_env.database_url_used(project, database_url or "")
        aliases = verify_aliases.other_databases(project)
        on_server = verify_aliases.server_aliases(aliases, database_url)
        # a database of the run's own (dropped when the block ends, however it ends), one for
        # each other alias a variable points, and every server stopped before they are dropped
        with (
            run_database(database_url, used=used, python=interpreter, cwd=scratch, env=base) as db,
            _alias_databases(database_url, on_server, interpreter, scratch, base) as made,
            _stopping(),
        ):
            # the reviewer's commands name a database of the review's own on the server the
            # user gave: neither this run's (dropped) nor the given one (`migrate` fills it)
            shown = review_url(database_url) if db.url else None
            run = _prepare(project, interpreter, tree, scratch, (db.url, shown), base)
            urls = {alias: m.url for alias, m in made.items() if m.url}
            verify_aliases.add_aliases(
                run.env,
                aliases,
                scratch,
                urls,
                server=database_url,
                shown_urls={a: review_alias_url(shown, a) for a in urls} if shown else None,
            )
            run.review_url = shown
            if database_url and db.url is None and db.note.startswith("--database-url is not used"):
                run.url_unused = db.note
            run.build_args = dict(build_args or {})
            if db.created:
                run.fresh_database = functools.partial(
                    _fresh_database, database_url, interpreter, scratch, base
                )
            steps = run_steps(run, only or set(range(1, 9)), image, on_step)
    return VerifyReport(
        root=str(root),
        python=interpreter,
        steps=steps,
        env_names=sorted(run.env.values),
        commands=reviewer_commands(run, steps),
        notes=[
            *run.env.notes,
            *([db.note] if db.note else []),
            *(f"DATABASES[{alias!r}]: {m.note}" for alias, m in made.items() if m.note),
        ],
        django_settings=project.production_module,
        database_reused=db.reused,
        stand_in=run.env.stand_in,
    )


@contextmanager
def _alias_databases(
    given: str | None,
    aliases: list[verify_aliases.Alias],
    python: str,
    scratch: Path,
    base: dict[str, str],
) -> Iterator[dict[str, RunDatabase]]:
    """{alias: its new database on the server of `given`} while the block runs: each dropped
    at its end, however it ends (nothing without a server URL or an alias to give one)."""
    made: dict[str, RunDatabase] = {}
    with ExitStack() as stack:
        if given:
            stem = connection_spec(given)["given"]
            for entry in aliases:
                made[entry.name] = stack.enter_context(
                    run_database(
                        given,
                        used=True,
                        python=python,
                        cwd=scratch,
                        env=base,
                        stem=f"{stem}_{entry.name}" if stem else entry.name,
                    )
                )
        yield made


@contextmanager
def _fresh_database(given: str, python: str, scratch: Path, base: dict[str, str]) -> Iterator[str]:
    """The URL of one more new database on the server of `given` (the image step boots on one):
    raises DjfixError where it cannot be made."""
    with run_database(given, used=True, python=python, cwd=scratch, env=base) as db:
        if not db.created:
            raise DjfixError(db.reused or "no new database")
        yield db.url or ""


def check_database_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise UsageError(f"--database-url: {exc}") from None
    scheme = parts.scheme.lower()
    if not scheme or not (scheme.startswith(("postgres", "pgsql", "mysql", "sqlite"))):
        raise UsageError(
            "--database-url: give a postgres://, mysql:// or sqlite:/// URL (for a server on this "
            "machine, each run makes a new database there)"
        )
    if not scheme.startswith("sqlite") and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise UsageError("--database-url: verify only talks to this machine (127.0.0.1)")


def _base_env(
    project: ProjectModel, python: str, scratch: Path, extra_path: Path | None
) -> dict[str, str]:
    """What every child of the run starts from: PATH (with the `python` shim), HOME, TMPDIR
    in the run's folder, the settings module, and PYTHONPATH for packages installed aside."""
    shims = scratch / "bin"
    _shim(shims, python)
    tmp = scratch / "tmp"
    tmp.mkdir(exist_ok=True)
    home = scratch / "home"
    home.mkdir(exist_ok=True)
    base = {
        "PATH": os.pathsep.join(
            [str(shims), str(Path(python).parent), os.environ.get("PATH", os.defpath)]
        ),
        "HOME": str(home),  # servers write there (gunicorn's control socket)
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "TMPDIR": str(tmp),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": project.production_module,
    }
    if extra_path is not None:
        # packages a planned change adds that the interpreter lacks (django-environ...),
        # installed aside by `apply`: the image installs them, so the run sees them too
        base["PYTHONPATH"] = str(extra_path)
    return base


def _prepare(
    project: ProjectModel,
    python: str,
    tree: Path,
    scratch: Path,
    urls: tuple[str | None, str | None],
    base: dict[str, str],
) -> Run:
    """The run; `urls`: the database URL its steps use, and the one its commands show."""
    database_url, shown_url = urls
    env = verify_env.build_env(project, scratch / "verify.sqlite3", database_url, shown_url)
    if project.manage_py:
        manage_path = tree / project.manage_py
        cwd = manage_path.parent
        manage = [python, str(manage_path)]
    else:
        cwd = project.source_root
        manage = [python, "-m", "django"]
    server = verify_env.server_command(project)
    if server.server == "gunicorn" and not _runs_as_module(python, "gunicorn"):
        server = replace(server, no_module_main=True)
    return Run(
        project,
        python,
        tree,
        scratch,
        env,
        dict(base),
        cwd,
        manage,
        server,
        database_url,
    )


def _runs_as_module(python: str, package: str) -> bool:
    """Whether `python -m package` can start the installed package (gunicorn before 20.1 has
    no __main__); True when the interpreter cannot tell, so the step says what went wrong."""
    probe = (
        "import importlib.util as u, sys; "
        f"sys.exit(3 if u.find_spec({package!r}) and not u.find_spec('{package}.__main__') else 0)"
    )
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return True
    return done.returncode != 3


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

_COLORS = {"pass": "\x1b[32m", "fail": "\x1b[31m", "skipped": "\x1b[33m"}


def render_table(report: VerifyReport, *, color: bool = False) -> str:
    """The steps as a text table; under each failing step its command and last lines."""
    width = max((len(s.name) for s in report.steps), default=10)
    lines = [f"djfix verify {report.root}", f"  python: {report.python}"]
    lines.append(f"  settings: {report.django_settings}")
    lines.append("")
    lines.append(f"  {'#':>2}  {'step':<{width}}  {'status':<7}  reason")
    for step in report.steps:
        status = f"{step.status:<7}"
        if color:
            status = f"{_COLORS.get(step.status, '')}{status}\x1b[0m"
        text = step.reason or step.note
        lines.append(f"  {step.number:>2}  {step.name:<{width}}  {status}  {text}".rstrip())
        if step.status == "fail":
            if step.command:
                lines.append(f"        $ {step.command}")
            for out in step.output.splitlines():
                lines.append(f"        | {out}".rstrip())
    for note in report.notes:
        lines.append(f"  note: {note}")
    ran = [s for s in report.steps if s.status != "skipped"]
    passed = sum(1 for s in ran if s.status == "pass")
    lines.append("")
    lines.append(
        f"{passed} of {len(ran)} steps that ran passed"
        + (f", {len(report.steps) - len(ran)} skipped" if len(ran) < len(report.steps) else "")
    )
    return "\n".join(lines) + "\n"


def render_json(report: VerifyReport) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"
