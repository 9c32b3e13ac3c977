"""Run the project's own Django, in a subprocess, to ask it about migrations.

Django's `makemigrations --dry-run` says which app's models have changes no migration holds;
Django's `migrate --plan` (its steps, before Django 2.2) says whether the migrations form a plan
on an empty database. They are Django's own commands, reached after manage.py has prepared
Django, never a command of the project that overrides one of them (see _BOOTSTRAP), on every
Django from 1.8. Both run with the interpreter the user names (`--python`), or else (for `apply`
only, never for `check`) the `python` on PATH when it can import Django, under a synthetic
environment: a dummy SECRET_KEY, every database replaced by an sqlite file in a temporary folder
(the user's databases are never touched), DEBUG off (written the way the settings read it: "0"
for an int read, "False" otherwise), STARTUP_CHECKS=false, and a timeout.

The commands always run in a temporary copy of the work tree (with the planned changes in it),
from a working directory outside that copy, and Django is imported before the project's folder
is put on `sys.path`: a module of the repository named like Django (a planted `django.py`)
never shadows it, and nothing is written into the user's tree. Symbolic links are copied as
what they point to, so a command never writes through a link to a place outside the copy.
The settings module manage.py would use is wrapped by a tiny module that imports it and then
points every alias of DATABASES at sqlite; nothing of the project is changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fixer.project import ProjectModel
from fixer.redaction import mask_text
from fixer.sources import COPY_SKIP_DIRS

#: seconds one Django command may take
TIMEOUT = 120
_SETTINGS_WRAPPER = "_djfix_settings"
_TREE_VARIABLE = "DJFIX_TREE"
# Runs manage.py after Django is imported, so no module of the project can stand in for it, with
# Django's execute_from_command_line (and ManagementUtility.execute, which a manage.py may call
# itself) replaced: manage.py still does what it does first (sys.path, settings module, .env),
# then, in place of the command it would run, Django is set up and djfix's own code runs. It
# runs as one module (a list comprehension sees the names before it: `manage.py shell -c` of
# Django < 3 gives it separate globals and locals), it is Django's own commands that run
# (`migrate` and `makemigrations` of django.core.management, never a project's override of the
# same name), and it works alike on every Django from 1.8 (which has no `shell -c`). A
# CommandError reads as from manage.py.
_BOOTSTRAP = (
    "import os, runpy, sys\n"
    "import django\n"
    "from django.core import management\n"
    "from django.core.management.base import CommandError\n"
    "manage, code = sys.argv[1], sys.argv[2]\n"
    "sys.path.insert(0, os.path.dirname(manage))\n"
    "sys.argv = [manage] + sys.argv[3:]\n"
    "ran = []\n"
    "def run_djfix(argv=None):\n"
    "    ran.append(1)\n"
    "    django.setup()\n"
    "    try:\n"
    "        exec(compile(code, '<djfix>', 'exec'), {'__name__': '__djfix__'})\n"
    "    except CommandError as exc:\n"
    "        sys.stderr.write('CommandError: %s\\n' % exc)\n"
    "        sys.exit(1)\n"
    "management.execute_from_command_line = run_djfix\n"
    "management.ManagementUtility.execute = lambda self: run_djfix()\n"
    "try:\n"
    "    runpy.run_path(manage, run_name='__main__')\n"
    "except SystemExit as exc:\n"
    "    if exc.code not in (None, 0):\n"
    "        raise\n"
    "if not ran:\n"
    "    run_djfix()\n"
)
_PROBE = (
    "import json, os, django\n"
    "from django.apps import apps\n"
    f"root = os.path.realpath(os.environ[{_TREE_VARIABLE!r}])\n"
    "mine = [a for a in apps.get_app_configs()\n"
    "        if os.path.realpath(a.path).startswith(root + os.sep)\n"
    "        and '-packages' + os.sep not in a.path]\n"
    "local = [a.label for a in mine]\n"
    "folders = dict((a.label, a.path) for a in mine)\n"
    "print('DJFIX-PROBE ' + json.dumps({'version': django.get_version(), 'local': local,\n"
    "                                   'folders': folders}))\n"
)
# Django's own makemigrations, run from its arguments as manage.py would (Django 1.8's
# call_command takes no command object); `--check` is not used (Django 1.8/1.9 lack it): the
# dry run lists what it would write, and that is read
# the system checks are step 1's question, not the migrations': run on SQLite they fail on
# what only the project's own engine allows (a CharField without max_length on PostgreSQL), so
# a command that has --skip-checks (Django 3.0 and later) is given it
_SKIP_CHECKS = (
    "def skip_checks(command, name):\n"
    "    parser = command.create_parser('manage.py', name)\n"
    "    actions = getattr(parser, '_actions', [])  # optparse (Django 1.8): no such option\n"
    "    options = {o for action in actions for o in getattr(action, 'option_strings', [])}\n"
    "    return ['--skip-checks'] if '--skip-checks' in options else []\n"
)
_MAKEMIGRATIONS = (
    "import json\n"
    "from django.core.management.commands import makemigrations\n"
    + _SKIP_CHECKS.replace("{", "{{").replace("}", "}}")
    + "argv = json.loads({argv!r})\n"
    "command = makemigrations.Command()\n"
    "skip = skip_checks(command, 'makemigrations')\n"
    "command.run_from_argv(['manage.py', 'makemigrations'] + skip + argv)\n"
)
# Django's own `migrate --plan` (2.2 and later); before 2.2 the same steps without the option:
# the history is consistent, no conflicting leaves, and a plan is made for every leaf
_PLAN = (
    "import django\n"
    "from django.core.management.base import CommandError\n"
    "from django.core.management.commands import migrate\n"
    + _SKIP_CHECKS
    + "if django.VERSION >= (2, 2):\n"
    "    command = migrate.Command()\n"
    "    argv = ['manage.py', 'migrate', '--plan', '--noinput', '--no-color']\n"
    "    command.run_from_argv(argv + skip_checks(command, 'migrate'))\n"
    "else:\n"
    "    from django.db import DEFAULT_DB_ALIAS, connections\n"
    "    from django.db.migrations.executor import MigrationExecutor\n"
    "    connection = connections[DEFAULT_DB_ALIAS]\n"
    "    executor = MigrationExecutor(connection)\n"
    "    loader = executor.loader\n"
    "    if hasattr(loader, 'check_consistent_history'):\n"
    "        loader.check_consistent_history(connection)\n"
    "    conflicts = loader.detect_conflicts()\n"
    "    if conflicts:\n"
    "        names = '; '.join('%s in %s' % (', '.join(v), k) for k, v in conflicts.items())\n"
    "        raise CommandError('Conflicting migrations detected; multiple leaf nodes in the '\n"
    "                           'migration graph: (%s).' % names)\n"
    "    for migration, backwards in executor.migration_plan(loader.graph.leaf_nodes()):\n"
    "        print('%s.%s' % (migration.app_label, migration.name))\n"
)


@dataclass
class Change:
    """One migration `makemigrations` would write."""

    app_label: str
    rel: str  # relative to the repository root
    operations: list[str]


@dataclass
class Report:
    """What Django said about the project's migrations."""

    python: str
    django_version: str | None = None
    local_apps: list[str] = field(default_factory=list)
    app_folders: dict[str, str] = field(default_factory=dict)  # local app label -> its folder
    changes: list[Change] = field(default_factory=list)
    conflict: str | None = None  # makemigrations refused: conflicting leaves
    plan_error: str | None = None  # migrate --plan failed; its last error line
    note: str | None = None  # Django could not run, and why


@dataclass
class Outcome:
    returncode: int
    output: str
    timed_out: bool = False


def _python_ok(python: str) -> bool:
    # from an empty folder: the repository's own modules are never on the path of this probe
    with tempfile.TemporaryDirectory(prefix="djfix-probe-") as empty:
        try:
            done = subprocess.run(
                [python, "-c", "import django"],
                cwd=empty,
                capture_output=True,
                timeout=30,
                env=_base_env(),
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
    return done.returncode == 0


def located(python: str) -> str | None:
    """The interpreter `--python` names, as an absolute path: a name on PATH, or a path. A
    relative path (`.venv/bin/python`) is taken from the working directory djfix started in,
    not from the temporary folders the runs use; symlinks are kept (a venv's python is one)."""
    found = shutil.which(python) or (python if Path(python).is_file() else None)
    return os.path.abspath(found) if found is not None else None


def interpreter_version(python: str) -> str | None:
    """The interpreter's `major.minor` (`3.6`), or None when it does not run."""
    resolved = located(python)
    if resolved is None:
        return None
    try:
        done = subprocess.run(
            [resolved, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            env=_base_env(),
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = done.stdout.strip()
    return version if done.returncode == 0 and re.fullmatch(r"\d+\.\d+", version) else None


def find_python(project: ProjectModel, python: str | None = None) -> tuple[str | None, str]:
    """The interpreter to run Django with, or None and why not."""
    if python:
        resolved = located(python)
        if resolved is None:
            return None, f"--python {python}: no such interpreter"
        if not _python_ok(resolved):
            return None, f"--python {python} cannot import Django"
        return resolved, ""
    for name in ("python", "python3"):
        found = shutil.which(name)
        if found and _python_ok(found):
            return found, ""
    return None, "no `python` on PATH can import Django (name one with --python)"


def _base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "USER")
    return {k: os.environ[k] for k in keep if k in os.environ}


_DEBUG_NAME = re.compile(r"""["']([A-Z0-9_]*DEBUG)["']""")
_INT_READ = re.compile(r"\bint\s*\(|\.int\s*\(")


def debug_values(project: ProjectModel) -> dict[str, str]:
    """DEBUG's variables, each with an "off" value its read accepts: "0" where the settings
    cast it with int() (int("False") raises), "False" otherwise (env.bool, comparisons)."""
    values = {"DEBUG": "False", "DJANGO_DEBUG": "False"}
    for module in project.settings_modules.values():
        text = module.file.text if module.file is not None else None
        for line in (text or "").splitlines():
            for name in _DEBUG_NAME.findall(line):
                values[name] = "0" if _INT_READ.search(line) else values.get(name, "False")
    return values


def synthetic_env(
    workdir: Path, settings_module: str, debug: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment Django runs under: nothing of the caller's, placeholders for what
    settings usually demand, and databases on sqlite in `workdir`."""
    env = _base_env()
    env.update(
        {
            "SECRET_KEY": "djfix-placeholder-" + "k" * 32,  # 50 characters
            "DJANGO_SECRET_KEY": "djfix-placeholder-" + "k" * 32,
            "DATABASE_URL": f"sqlite:///{workdir / 'default.sqlite3'}",
            "STARTUP_CHECKS": "false",
            "DEBUG": "False",
            "DJANGO_DEBUG": "False",
            "ALLOWED_HOSTS": "*",
            "DJANGO_ALLOWED_HOSTS": "*",
            "DJANGO_SETTINGS_MODULE": _SETTINGS_WRAPPER,
            "PYTHONPATH": str(workdir),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "NO_COLOR": "1",
        }
    )
    env.update(debug or {})
    # a project package that reads a setting while it is imported (plane/__init__.py making a
    # Redis client from settings.REDIS_URL) sets Django's settings up from inside this module's
    # import, when it is still empty: that nested set-up reads the project's own module, and
    # the one Django keeps is this one's, made when its import ends
    wrapper = (
        "import os as _os\n"
        f"_os.environ['DJANGO_SETTINGS_MODULE'] = {settings_module!r}\n"
        "try:\n"
        f"    from {settings_module} import *  # noqa: F403\n"
        "finally:\n"
        f"    _os.environ['DJANGO_SETTINGS_MODULE'] = {_SETTINGS_WRAPPER!r}\n"
        "_aliases = list(globals().get('DATABASES') or {'default': None})\n"
        "DATABASES = {\n"
        "    alias: {'ENGINE': 'django.db.backends.sqlite3',\n"
        f"            'NAME': {str(workdir)!r} + '/' + alias + '.sqlite3'}}\n"
        "    for alias in _aliases\n"
        "}\n"
    )
    (workdir / f"{_SETTINGS_WRAPPER}.py").write_text(wrapper, encoding="utf-8")
    return env


def _run(python: str, args: list[str], cwd: Path, env: dict[str, str], timeout: int) -> Outcome:
    try:
        done = subprocess.run(
            [python, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"") + (exc.stderr or b"")
        text = out.decode("utf-8", "replace") if isinstance(out, bytes) else str(out)
        return Outcome(-1, text, timed_out=True)
    except OSError as exc:
        return Outcome(-1, str(exc))
    return Outcome(done.returncode, (done.stdout or "") + (done.stderr or ""))


def _last_error(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for line in reversed(lines):
        if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line) or "Error:" in line:
            return line[:300]
    return lines[-1][:300] if lines else "no output"


_HEADING = re.compile(r"^Migrations for '([^']+)':\s*$")


def parse_makemigrations(
    output: str, cwd: Path, root: Path, folders: dict[str, str] | None = None
) -> list[Change]:
    """The migrations `makemigrations` (verbosity 1) lists: a heading per app, then per file its
    path (relative to `cwd`) and its operations. Django 1.8 and 1.9 print the file's name only
    (`  0002_note_body.py:`): it lands in `folders[label]/migrations`, the app's folder."""
    changes: list[Change] = []
    label: str | None = None
    for raw in output.splitlines()[:5000]:
        heading = _HEADING.match(raw)
        if heading:
            label = heading.group(1)
            continue
        stripped = raw.strip()
        if label is None or not stripped:
            continue
        if raw.startswith("    ") and changes and changes[-1].app_label == label:
            changes[-1].operations.append(stripped.lstrip("+-~*x ").strip() or stripped)
        elif raw.startswith("  ") and stripped.removesuffix(":").endswith(".py"):
            path = Path(stripped.removesuffix(":"))
            if len(path.parts) == 1 and label in (folders or {}):
                path = Path((folders or {})[label], "migrations", path)
            path = path if path.is_absolute() else cwd / path
            rel = Path(os.path.relpath(path, root)).as_posix()
            changes.append(Change(label, rel, []))
        elif not raw.startswith(" "):
            label = None
    return changes


@contextmanager
def work_tree(
    project: ProjectModel, overlay: dict[str, str] | None, leave_out: tuple[str, ...] = ()
) -> Iterator[Path]:
    """A temporary copy of the repository with the planned files written into it: Django never
    runs in the user's own tree. `leave_out`: repository paths the copy does not keep."""
    with tempfile.TemporaryDirectory(prefix="djfix-tree-") as tmp:
        copy = Path(tmp) / "tree"
        _copy_tree(project.root, copy)
        for rel in leave_out:
            left = copy / rel
            if left.is_file():
                left.unlink()
        for rel, text in (overlay or {}).items():
            target = copy / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        yield copy


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy `src` to `dst`, symbolic links replaced by what they point to (a command run in the
    copy must never write through a link into the user's tree or outside it). Links that
    dangle, that point outside the repository (never copy a tree that is not the project's),
    or that point to a folder holding them (a loop) are left out."""
    src = src.resolve()
    seen: set[Path] = set()

    def outside(path: Path) -> bool:
        real = path.resolve()
        return real != src and src not in real.parents

    def copy_dir(folder: Path, target: Path) -> None:
        real = folder.resolve()
        if real in seen:
            return
        seen.add(real)
        target.mkdir(parents=True, exist_ok=True)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.name in COPY_SKIP_DIRS:
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink() and outside(path):
                    continue
                if entry.is_dir(follow_symlinks=True):
                    copy_dir(path, target / entry.name)
                elif entry.is_file(follow_symlinks=True):
                    shutil.copyfile(path, target / entry.name)
            except OSError:
                continue
        seen.discard(real)

    copy_dir(src, dst)


def _manage(project: ProjectModel, root: Path) -> Path | None:
    if not project.manage_py:
        return None
    return root / project.manage_py


def inspect(
    project: ProjectModel,
    python: str | None = None,
    *,
    overlay: dict[str, str] | None = None,
    timeout: int = TIMEOUT,
    variables: dict[str, str] | None = None,
) -> Report:
    """Ask Django (makemigrations --check --dry-run, migrate --plan) about the project as the
    `overlay` (planned files, relative path -> text) leaves it. `variables`: placeholder
    values the project needs to import (`fixer.analysis.variables.build_environment`), under
    the synthetic environment's own."""
    found, why = find_python(project, python)
    report = Report(found or (python or "python"))
    if found is None:
        report.note = f"Django could not run ({why}); only the static migration checks ran"
        return report
    if not project.manage_py:
        report.note = "Django could not run (no manage.py); only the static migration checks ran"
        return report
    with (
        work_tree(project, overlay) as root,
        tempfile.TemporaryDirectory(prefix="djfix-django-") as scratch,
    ):
        _inspect_in(project, found, root, Path(scratch), report, timeout, variables)
    return report


def _manage_run(python, manage, code, words, cwd, env, timeout) -> Outcome:
    """Run `code` as djfix's own, after manage.py has prepared Django (see _BOOTSTRAP);
    manage.py sees `words` as its arguments, the command it would have run."""
    return _run(python, ["-c", _BOOTSTRAP, str(manage), code, *words], cwd, env, timeout)


def _makemigrations(labels: list[str], dry_run: bool) -> str:
    argv = ["--noinput", "--no-color", *(["--dry-run"] if dry_run else []), *labels]
    return _MAKEMIGRATIONS.format(argv=json.dumps(argv))


def _probe(python, manage, cwd, env, timeout, report) -> bool:
    probe = _manage_run(python, manage, _PROBE, ["shell"], cwd, env, timeout)
    line = next((ln for ln in probe.output.splitlines() if ln.startswith("DJFIX-PROBE ")), None)
    if probe.returncode != 0 or line is None:
        what = "timed out" if probe.timed_out else mask_text(_last_error(probe.output))
        report.note = (
            f"Django could not load the settings ({what}); only the static migration checks ran"
        )
        return False
    data = json.loads(line.split(" ", 1)[1])
    report.django_version = data.get("version")
    report.local_apps = list(data.get("local") or [])
    folders = data.get("folders")
    report.app_folders = dict(folders) if isinstance(folders, dict) else {}
    return True


def _environment(
    project: ProjectModel, root: Path, scratch: Path, variables: dict[str, str] | None = None
) -> dict[str, str]:
    env = synthetic_env(scratch, project.settings_module, debug_values(project))
    # what the synthetic environment does not set already (its SQLite databases, its DEBUG)
    env.update({k: v for k, v in (variables or {}).items() if k not in env})
    env[_TREE_VARIABLE] = str(root)
    return env


def _inspect_in(project, python, root, scratch, report, timeout, variables=None) -> None:
    manage = _manage(project, root)
    cwd = scratch  # outside the copy: nothing of the project is found from the working directory
    env = _environment(project, root, scratch, variables)
    if not _probe(python, manage, cwd, env, timeout, report):
        return
    code = _makemigrations(report.local_apps, dry_run=True)
    made = _manage_run(python, manage, code, ["makemigrations"], cwd, env, timeout)
    if made.timed_out:
        report.note = f"`makemigrations --check` timed out after {timeout} s"
        return
    if "Conflicting migrations detected" in made.output:
        report.conflict = mask_text(_last_error(made.output))
    elif made.returncode != 0:
        report.note = f"`makemigrations --check` failed: {mask_text(_last_error(made.output))}"
        return
    else:
        report.changes = parse_makemigrations(made.output, cwd, root, report.app_folders)
    plan = _manage_run(python, manage, _PLAN, ["migrate"], cwd, env, timeout)
    if plan.returncode != 0:
        report.plan_error = (
            f"timed out after {timeout} s"
            if plan.timed_out
            else mask_text(_last_error(plan.output))
        )


def make_migrations(
    project: ProjectModel,
    python: str | None,
    overlay: dict[str, str],
    *,
    timeout: int = TIMEOUT,
    variables: dict[str, str] | None = None,
) -> tuple[dict[str, str], Report]:
    """Run `makemigrations` for the local apps in a temporary copy of the work tree (with the
    planned files in it) and return the migration files it wrote, relative path -> text. The
    user's tree is never written."""
    found, why = find_python(project, python)
    report = Report(found or (python or "python"))
    if found is None or not project.manage_py:
        report.note = (
            f"Django could not run ({why or 'no manage.py'}); the missing migrations were "
            "not written"
        )
        return {}, report
    with (
        work_tree(project, overlay) as root,
        tempfile.TemporaryDirectory(prefix="djfix-django-") as tmp,
    ):
        scratch = Path(tmp)
        manage = _manage(project, root)
        cwd = scratch
        env = _environment(project, root, scratch, variables)
        if not _probe(found, manage, cwd, env, timeout, report):
            return {}, report
        before = _py_files(root)
        code = _makemigrations(report.local_apps, dry_run=False)
        made = _manage_run(found, manage, code, ["makemigrations"], cwd, env, timeout)
        if made.returncode != 0:
            what = "timed out" if made.timed_out else mask_text(_last_error(made.output))
            report.note = (
                f"`makemigrations` failed ({what}); the missing migrations were not written"
            )
            return {}, report
        report.changes = parse_makemigrations(made.output, cwd, root, report.app_folders)
        written: dict[str, str] = {}
        for path, stamp in _py_files(root).items():
            if before.get(path) != stamp:
                written[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
        return written, report


def _py_files(root: Path) -> dict[Path, tuple[int, int]]:
    out: dict[Path, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in COPY_SKIP_DIRS]
        for name in filenames:
            if name.endswith(".py"):
                path = Path(dirpath) / name
                st = path.stat()
                out[path] = (st.st_mtime_ns, st.st_size)
    return out


# the settings' values of the names in DJFIX_SETTINGS_NAMES, as text where they are a path
_SETTINGS_PATHS = (
    "import json, os\n"
    "from django.conf import settings\n"
    "out = {}\n"
    "for name in json.loads(os.environ['DJFIX_SETTINGS_NAMES']):\n"
    "    value = getattr(settings, name, None)\n"
    "    try:\n"
    "        value = os.fspath(value) if value is not None else None\n"
    "    except TypeError:\n"
    "        value = None\n"
    "    out[name] = value if isinstance(value, str) else None\n"
    "print('DJFIX-PATHS ' + json.dumps(out))\n"
)


@dataclass(frozen=True)
class SettingPath:
    """A folder setting as the project computes it."""

    #: the value, with the copy's folder written as the repository's (`<repository>/static`)
    shown: str
    #: the repository path (POSIX, "" for the root) it names, when inside the repository;
    #: a relative value is taken from manage.py's folder, the working folder of the image
    rel: str | None = None
    #: the absolute path it names outside the repository, when no machine-specific folder
    #: (the home or temporary folder the run had) is part of it
    absolute: str | None = None


def settings_paths(
    project: ProjectModel,
    python: str | None,
    names: list[str],
    *,
    settings_module: str,
    overlay: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    leave_out: tuple[str, ...] = (),
    timeout: int = TIMEOUT,
) -> tuple[dict[str, SettingPath], str]:
    """({name: its path} of the folder settings `names` that hold a path, why not when none
    could be asked): the project's settings (`settings_module`) loaded in a temporary copy (the
    planned files in it, `leave_out` not), as manage.py loads them for collectstatic, under the
    synthetic environment (databases on SQLite) with `variables` over it, a working folder
    outside the copy, and a timeout."""
    found, why = find_python(project, python)
    if found is None or not project.manage_py:
        return {}, why or "no manage.py"
    with (
        work_tree(project, overlay, leave_out) as root,
        tempfile.TemporaryDirectory(prefix="djfix-django-") as tmp,
    ):
        scratch = Path(tmp)
        env = synthetic_env(scratch, settings_module, debug_values(project))
        keep = ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "DATABASE_URL")
        env.update({k: v for k, v in (variables or {}).items() if k not in keep})
        env["DJFIX_SETTINGS_NAMES"] = json.dumps(names)
        words = ["collectstatic", "--noinput"]
        done = _manage_run(
            found, _manage(project, root), _SETTINGS_PATHS, words, scratch, env, timeout
        )
        line = next((ln for ln in done.output.splitlines() if ln.startswith("DJFIX-PATHS ")), "")
        if done.returncode != 0 or not line:
            what = f"timed out after {timeout} s" if done.timed_out else _last_error(done.output)
            return {}, f"its settings did not load: {mask_text(what)}"
        try:
            values = json.loads(line.split(" ", 1)[1])
        except ValueError:
            return {}, "its settings printed no value"
        home = os.environ.get("HOME", "")
        out: dict[str, SettingPath] = {}
        for name in names:
            value = values.get(name) if isinstance(values, dict) else None
            if isinstance(value, str) and value:
                out[name] = _setting_path(project, value, root, (scratch, Path(home or tmp)))
        return out, ""


def _setting_path(
    project: ProjectModel, value: str, root: Path, machine: tuple[Path, ...]
) -> SettingPath:
    manage_dir = os.path.dirname(project.manage_py or "")
    if not os.path.isabs(value):
        rel = os.path.normpath(os.path.join(manage_dir, value)).replace(os.sep, "/")
        rel = "" if rel == "." else rel
        inside = rel != ".." and not rel.startswith("../")
        return SettingPath(value, rel if inside else None)
    real, base = os.path.realpath(value), os.path.realpath(root)
    if _within(real, base):
        rel = os.path.relpath(real, base).replace(os.sep, "/")
        rel = "" if rel == "." else rel
        return SettingPath("<repository>" + ("/" + rel if rel else ""), rel)
    tied = [os.path.realpath(p) for p in (*machine, tempfile.gettempdir()) if str(p)]
    if any(_within(real, t) for t in tied):
        return SettingPath(value)
    return SettingPath(value, absolute=os.path.normpath(value))


def _within(path: str, folder: str) -> bool:
    """`path` is `folder` or below it (both real paths)."""
    return path == folder or path.startswith(folder + os.sep)
