"""`djfix verify`: run the project for real and say, step by step, what works.

Every step runs in a subprocess with the project's own interpreter, from a temporary copy of
the repository (without `.env`, databases or virtualenvs), under an environment that holds only
the variables the settings read (see `fixer.verify_env`). Servers listen on 127.0.0.1 only;
every wait is bounded and every process is stopped through its process group.

Steps:
  1. the settings import and `manage.py check --deploy` reports no issue;
  2. `makemigrations --check --dry-run` is clean;
  3. the app server the Dockerfile names starts on the EMPTY database and /health and
     /common/health answer 200;
  4. `migrate` succeeds on that database;
  5. with the cache's Redis unreachable, / and every URL without parameters answer non-5xx
     within 2 s;
  6. with the database unreachable and STARTUP_CHECKS on, the start fails within 30 s naming the
     database and its variable, and no credential appears in the output;
  7. the Dockerfile's collectstatic line runs as written, with only the Dockerfile's environment;
  8. (--image) the api and static images build and the api image passes step 3.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fixer import verify_env
from fixer.errors import UsageError
from fixer.project import ProjectModel, discover

STEP_NAMES = {
    1: "check --deploy",
    2: "migrations",
    3: "boot on empty database",
    4: "migrate",
    5: "pages with Redis down",
    6: "database down",
    7: "collectstatic",
    8: "image",
}
#: seconds a management command may take
COMMAND_TIMEOUT = 180
#: seconds a server may take to listen, and a failing start to stop
START_TIMEOUT = 30
#: seconds each page of step 5 may take
PAGE_TIMEOUT = 2.0
#: URLs step 5 requests at most
MAX_URLS = 40
TAIL_LINES = 15
#: folders and files never copied into the run's tree
_SKIP_NAMES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "staticfiles",
    }
)
_DB_SUFFIXES = (".sqlite3", ".sqlite", ".db")


@dataclass
class Step:
    number: int
    name: str
    status: str  # "pass" | "fail" | "skipped"
    command: str = ""
    output: str = ""
    reason: str = ""
    note: str = ""  # how the step ran, when that is worth saying (the server it chose...)
    seconds: float = 0.0


@dataclass
class VerifyReport:
    root: str
    python: str | None
    steps: list[Step]
    env_names: list[str]
    commands: list[str]
    notes: list[str] = field(default_factory=list)
    django_settings: str = ""

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
# Processes
# ---------------------------------------------------------------------------------------------


def kill_group(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=10)
            # the leader is gone; its workers may not be: one more signal to the group
            if sig is signal.SIGTERM:
                time.sleep(0.2)
                continue
            return
        except subprocess.TimeoutExpired:
            continue


class Process:
    """A child in its own process group, its output in a file, always stopped."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> str:
        kill_group(self.proc)
        self._out.seek(0)
        text = self._out.read(2_000_000).decode("utf-8", "replace")
        self._out.close()
        return text


def run_command(
    argv: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> tuple[int | None, str]:
    """(exit status or None on timeout, output) of one command."""
    try:
        process = Process(argv, cwd, env)
    except OSError as exc:
        return 127, f"{argv[0]}: {exc.strerror or exc}"
    code = process.wait(timeout)
    output = process.stop()
    if code is None:
        output += f"\n(stopped after {timeout:.0f} s)"
    return code, output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def http_get(port: int, path: str, timeout: float, https: bool = False) -> tuple[int | None, str]:
    """(status or None, error) of GET `path`; redirects are answers, never followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"X-Forwarded-Proto": "https"} if https else {}
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read(1_000_000)
        return response.status, ""
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    project: ProjectModel  # discovered on the copy
    python: str
    tree: Path
    work: Path
    env: verify_env.RunEnv
    base: dict[str, str]
    cwd: Path
    manage: list[str]  # argv prefix of a management command
    server: verify_env.ServerCommand
    database_url: str | None
    build_args: dict[str, str] = field(default_factory=dict)

    def environ(self, **overrides: str) -> dict[str, str]:
        env = dict(self.base)
        env.update(self.env.values)
        if self.env.probes:
            env.setdefault("STARTUP_CHECK_TIMEOUT", "2")
        env.update(overrides)
        return env

    def mask(self, text: str) -> str:
        return verify_env.mask_secret(text, self.env.secrets)

    def tail(self, text: str) -> str:
        lines = [ln for ln in self.mask(text).rstrip().splitlines()]
        return "\n".join(lines[-TAIL_LINES:])

    def shown(self, argv: list[str], **env: str) -> str:
        words = [shlex.quote(a) for a in argv]
        if words and argv[0] == self.python:
            words[0] = "python"
        words = [w.replace(str(self.cwd) + "/", "") for w in words]
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        return (prefix + " " if prefix else "") + " ".join(words)


def _copy_tree(src: Path, dst: Path) -> None:
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
    from fixer.django_runner import find_python

    if os.sep in python and Path(python).exists():
        python = os.path.abspath(python)  # not resolve(): a venv's python is a symlink
    found, why = find_python(project, python)
    if found is None:
        raise UsageError(why)
    return found


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
) -> VerifyReport:
    """Run the steps on the project at `root`. `root` is never written: everything runs in a
    temporary copy (kept, for inspection, in a new folder below `work` when that is given)."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    if database_url is not None:
        check_database_url(database_url)
    with _workspace(work) as scratch:
        tree = scratch / "tree"
        _copy_tree(root, tree)
        project = discover(tree, settings=settings, manage=manage)
        # asked in the copy: even this first `import django` runs from the project's folder
        interpreter = resolve_python(project, python)
        run = _prepare(project, interpreter, tree, scratch, database_url)
        run.build_args = dict(build_args or {})
        steps = _steps(run, only or set(range(1, 9)), image)
        report = VerifyReport(
            root=str(root),
            python=interpreter,
            steps=steps,
            env_names=sorted(run.env.values),
            commands=reviewer_commands(run, steps),
            notes=list(run.env.notes),
            django_settings=project.production_module,
        )
    return report


def check_database_url(url: str) -> None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise UsageError(f"--database-url: {exc}") from None
    scheme = parts.scheme.lower()
    if not scheme or not (scheme.startswith(("postgres", "pgsql", "mysql", "sqlite"))):
        raise UsageError(
            "--database-url: give a postgres://, mysql:// or sqlite:/// URL of an EMPTY database"
        )
    if not scheme.startswith("sqlite") and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise UsageError("--database-url: verify only talks to this machine (127.0.0.1)")


def _prepare(
    project: ProjectModel, python: str, tree: Path, scratch: Path, database_url: str | None
) -> Run:
    env = verify_env.build_env(project, scratch / "verify.sqlite3", database_url)
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
    if project.manage_py:
        manage_path = tree / project.manage_py
        cwd = manage_path.parent
        manage = [python, str(manage_path)]
    else:
        cwd = project.source_root
        manage = [python, "-m", "django"]
    return Run(
        project,
        python,
        tree,
        scratch,
        env,
        base,
        cwd,
        manage,
        verify_env.server_command(project),
        database_url,
    )


def _steps(run: Run, only: set[int], image: bool) -> list[Step]:
    steps: list[Step] = []
    loads = True
    for number in range(1, 9):
        name = STEP_NAMES[number]
        if number not in only:
            continue
        if number in (2, 3, 4, 5, 6) and not loads:
            steps.append(Step(number, name, "skipped", reason="the settings do not load (step 1)"))
            continue
        start = time.monotonic()
        step = _STEPS[number](run, steps, image) if number == 8 else _STEPS[number](run, steps)
        step.seconds = round(time.monotonic() - start, 2)
        steps.append(step)
        if number == 1 and step.status == "fail" and step.note == "settings":
            loads = False
            step.note = ""
    return steps


def _issues(output: str) -> list[str]:
    return re.findall(r"^\S*: \(([\w.]+)\)", output, re.M)


def last_error(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for line in reversed(lines):
        if "Error" in line or "Exception" in line or "error:" in line.lower():
            return line[:240]
    return lines[-1][:240] if lines else "no output"


def _probes_off(run: Run) -> dict[str, str]:
    return {"STARTUP_CHECKS": "false"} if run.env.probes else {}


def serving_overrides(run: Run) -> tuple[dict[str, str], str]:
    """STARTUP_CHECKS for the steps that serve (3, 4, 5): on, unless a service the probes
    would require (a broker, a result backend, a search engine, a channel layer) is down by
    design in this run; a Redis used only as the cache is optional in the probes."""
    if not run.env.probes:
        return {}, ""
    others = [s for s in run.project.services if s.role not in ("database", "cache")]
    if others:
        names = ", ".join(sorted({s.setting for s in others}))
        return (
            {"STARTUP_CHECKS": "false"},
            f"STARTUP_CHECKS=false: {names} is down by design in this run (step 6 runs the probes)",
        )
    return {"STARTUP_CHECKS": "true"}, ""


def step_check(run: Run, done: list[Step]) -> Step:
    argv = [*run.manage, "check", "--deploy"]
    extra = _probes_off(run)
    code, output = run_command(argv, run.cwd, run.environ(**extra), COMMAND_TIMEOUT)
    step = Step(1, STEP_NAMES[1], "pass", run.shown(argv, **extra), run.tail(output))
    if code == 0 and "System check identified no issues" in output:
        return step
    step.status = "fail"
    issues = _issues(output)
    if issues:
        step.reason = f"{len(issues)} issue(s): {', '.join(sorted(set(issues)))}"
    elif code is None:
        step.reason = f"timed out after {COMMAND_TIMEOUT} s"
    else:
        step.reason = "the settings do not load: " + run.mask(last_error(output))
        if "System check identified" not in output and "SystemCheckError" not in output:
            step.note = "settings"
    return step


def step_migrations(run: Run, done: list[Step]) -> Step:
    argv = [*run.manage, "makemigrations", "--check", "--dry-run", "--no-color", "--noinput"]
    extra = _probes_off(run)
    code, output = run_command(argv, run.cwd, run.environ(**extra), COMMAND_TIMEOUT)
    step = Step(2, STEP_NAMES[2], "pass", run.shown(argv, **extra), run.tail(output))
    if code == 0:
        return step
    step.status = "fail"
    apps = re.findall(r"^Migrations for '([^']+)':", output, re.M)
    if "Conflicting migrations" in output:
        step.reason = "conflicting migrations: " + run.mask(last_error(output))
    elif apps:
        step.reason = "models changed with no migration: " + ", ".join(apps)
    elif code is None:
        step.reason = f"timed out after {COMMAND_TIMEOUT} s"
    else:
        step.reason = run.mask(last_error(output))
    return step


def _database_blocker(run: Run) -> str:
    """Why the run has no throwaway database for steps 3-5, or ""."""
    db = run.env.database
    if db.runnable or (db.kind == "piecewise" and run.database_url):
        return ""
    return db.reason


def _server_blocker(run: Run) -> str:
    return run.server.problem or _database_blocker(run)


def _serve(run: Run, env: dict[str, str]) -> tuple[Process | None, int, list[str], str]:
    """Start the server; (process when it listens, port, argv, why it does not)."""
    port = free_port()
    manage = run.tree / run.project.manage_py if run.project.manage_py else None
    argv = run.server.argv(run.python, manage, port)
    try:
        process = Process(argv, run.cwd, env)
    except OSError as exc:
        return None, port, argv, f"{argv[0]}: {exc.strerror or exc}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            return process, port, argv, f"the server exited with status {process.proc.returncode}"
        if listening(port):
            return process, port, argv, ""
        time.sleep(0.2)
    return process, port, argv, f"the server did not listen within {START_TIMEOUT} s"


def _exited(process: Process | None) -> str:
    """Why the server is gone after it listened (gunicorn's master binds before its worker
    boots, and exits when the worker cannot)."""
    if process is None or process.wait(0.5) is None:
        return ""
    return f"the server exited with status {process.proc.returncode}"


def step_boot(run: Run, done: list[Step]) -> Step:
    step = Step(3, STEP_NAMES[3], "skipped", note=run.server.origin)
    blocker = _server_blocker(run)
    if blocker:
        step.reason = blocker
        step.status = "fail" if run.server.problem else "skipped"
        return step
    extra, note = serving_overrides(run)
    step.note = "; ".join(x for x in (run.server.origin, note) if x)
    process, port, argv, why = _serve(run, run.environ(**extra))
    step.command = run.shown(argv, **extra)
    failures: list[str] = []
    if not why:
        for path in ("/health", "/common/health"):
            status, error = http_get(port, path, 10)
            if status != 200:
                failures.append(f"{path} answered {status}" if status else f"{path}: {error}")
    why = why or _exited(process)
    output = process.stop() if process is not None else why
    if "Accessing the database during app initialization" in output:
        failures.append("a query runs during app initialization")
    step.output = run.tail(output)
    if why:
        step.status, step.reason = "fail", f"{why}: {run.mask(last_error(output))}"
    elif failures:
        step.status, step.reason = "fail", "; ".join(failures)
    else:
        step.status = "pass"
    return step


def step_migrate(run: Run, done: list[Step]) -> Step:
    argv = [*run.manage, "migrate", "--noinput", "--no-color"]
    step = Step(4, STEP_NAMES[4], "skipped")
    blocker = _database_blocker(run)
    if blocker:
        step.reason = blocker
        return step
    extra, note = serving_overrides(run)
    step.note = note
    code, output = run_command(argv, run.cwd, run.environ(**extra), COMMAND_TIMEOUT)
    step.command, step.output = run.shown(argv, **extra), run.tail(output)
    if code == 0:
        step.status = "pass"
    else:
        step.status = "fail"
        step.reason = (
            f"timed out after {COMMAND_TIMEOUT} s" if code is None else run.mask(last_error(output))
        )
    return step


URL_LISTER = r"""
import json, re, django
django.setup()
from django.urls import get_resolver

found = []

def literal(pattern):
    if hasattr(pattern, "language_prefix"):
        return pattern.language_prefix
    regex = getattr(pattern, "_regex", None)
    if regex is None and hasattr(pattern, "regex") and not hasattr(pattern, "_route"):
        regex = pattern.regex.pattern
    if regex is not None:
        if re.compile(regex).groups:
            return None
        text = regex.lstrip("^").rstrip("$").replace("\\Z", "")
        text = re.sub(r"\\(.)", r"\1", text)
        return None if re.search(r"[.*+?\[\]()|{}^$\\]", text) else text
    if getattr(pattern, "converters", None):
        return None
    return str(pattern)

def walk(patterns, prefix, depth):
    for entry in patterns:
        if len(found) >= 400 or depth > 8:
            return
        pattern = getattr(entry, "pattern", entry)
        part = literal(pattern)
        if part is None:
            continue
        if hasattr(entry, "url_patterns"):
            if "admin" in (getattr(entry, "app_name", None), getattr(entry, "namespace", None)):
                found.append(prefix + part)
                continue
            walk(entry.url_patterns, prefix + part, depth + 1)
        else:
            found.append(prefix + part)

walk(get_resolver().url_patterns, "/", 0)
print("DJFIX-URLS " + json.dumps(found))
"""


def list_urls(run: Run, env: dict[str, str]) -> tuple[list[str], str]:
    """The project's URLs without parameters, / first, at most MAX_URLS; (urls, error)."""
    code, output = run_command([run.python, "-c", URL_LISTER], run.cwd, env, COMMAND_TIMEOUT)
    line = next((ln for ln in output.splitlines() if ln.startswith("DJFIX-URLS ")), None)
    if code != 0 or line is None:
        return [], run.mask(last_error(output))
    urls: list[str] = ["/"]
    for url in json.loads(line.split(" ", 1)[1]):
        if isinstance(url, str) and url not in urls:
            urls.append(url)
    return urls[:MAX_URLS], ""


def step_pages(run: Run, done: list[Step]) -> Step:
    step = Step(5, STEP_NAMES[5], "skipped")
    blocker = _server_blocker(run)
    migrated = next((s for s in done if s.number == 4), None)
    if blocker:
        step.reason = blocker
        return step
    if migrated is not None and migrated.status != "pass":
        step.reason = "migrate did not succeed (step 4)"
        return step
    extra, note = serving_overrides(run)
    step.note = "; ".join(
        x for x in (note, "requests carry X-Forwarded-Proto: https, as from the TLS proxy") if x
    )
    urls, error = list_urls(run, run.environ(STARTUP_CHECKS="false"))
    if error:
        step.status, step.reason = "fail", f"the URLconf does not load: {error}"
        return step
    process, port, argv, why = _serve(run, run.environ(**extra))
    step.command = run.shown(argv, **extra)
    failures: list[str] = []
    answered: list[str] = []
    if not why:
        for url in urls:
            start = time.monotonic()
            status, problem = http_get(port, url, PAGE_TIMEOUT, https=True)
            seconds = time.monotonic() - start
            if status is None:
                failures.append(f"{url}: no answer within {PAGE_TIMEOUT:.0f} s ({problem})")
            elif status >= 500:
                failures.append(f"{url} answered {status}")
            elif seconds > PAGE_TIMEOUT:
                failures.append(f"{url} took {seconds:.1f} s")
            else:
                answered.append(f"{status} {url}")
    why = why or _exited(process)
    output = process.stop() if process is not None else why
    step.output = run.tail("\n".join(answered) + "\n" + output if answered else output)
    if why:
        step.status, step.reason = "fail", f"{why}: {run.mask(last_error(output))}"
    elif failures:
        step.status = "fail"
        step.reason = f"{len(failures)} of {len(urls)} URLs: " + "; ".join(failures[:5])
    else:
        step.status = "pass"
        step.reason = ""
        step.note += f"; {len(urls)} URLs answered"
    return step


def step_database_down(run: Run, done: list[Step]) -> Step:
    step = Step(6, STEP_NAMES[6], "skipped")
    db = run.env.database
    if run.server.problem:
        step.reason = run.server.problem
        return step
    if db.kind == "fixed":
        step.reason = db.reason or "DATABASES reads no variable: verify cannot take it down"
        return step
    if not db.network or not run.database_url:
        step.reason = (
            "the database is SQLite here: no network database to take down "
            "(pass --database-url postgres://... to run this step)"
        )
        return step
    down = verify_env.unreachable_database(db, run.database_url)
    secrets = [*run.env.secrets]
    for name, value in down.items():
        if "PASSWORD" in name.upper() and value:
            secrets.append(value)
        elif db.kind == "url":
            from urllib.parse import urlsplit

            password = urlsplit(value).password
            if password:
                secrets.append(password)
    extra = {**down}
    if run.env.probes:
        extra.update(STARTUP_CHECKS="true", STARTUP_CHECK_TIMEOUT="2")
    port = free_port()
    manage = run.tree / run.project.manage_py if run.project.manage_py else None
    argv = run.server.argv(run.python, manage, port)
    shown_extra = {k: ("<password>" if v in secrets else v) for k, v in extra.items()}
    if db.kind == "url" and db.variable:
        shown_extra[db.variable] = verify_env.mask_secret(down[db.variable], secrets, "<password>")
    step.command = run.shown(argv, **shown_extra)
    start = time.monotonic()
    try:
        process = Process(argv, run.cwd, run.environ(**extra))
    except OSError as exc:
        step.status, step.reason = "fail", str(exc)
        return step
    code: int | None = None
    serving = False
    while time.monotonic() - start < START_TIMEOUT:
        code = process.wait(0.3)
        if code is not None:
            break
        # a worker that answers at all (even 503) means the start did not fail
        if listening(port) and http_get(port, "/health", 2)[0] is not None:
            serving = True
            break
    elapsed = time.monotonic() - start
    output = process.stop()
    step.output = verify_env.mask_secret(run.tail(output), secrets)
    variables = [v for v in ([db.variable] if db.variable else list(db.parts.values())) if v]
    leaked = [s for s in secrets if s and s in output]
    problems: list[str] = []
    if code is None:
        problems.append(
            "the server is still serving with the database unreachable"
            if serving
            else f"the start did not fail within {START_TIMEOUT} s"
        )
    elif code == 0:
        problems.append("the server exited with status 0")
    if code is not None and "database" not in output.lower():
        problems.append("the message does not name the database")
    if code is not None and not any(v in output for v in variables):
        problems.append(f"the message names no variable ({', '.join(variables)})")
    if leaked:
        problems.append("a credential appears in the output")
    if problems:
        step.status, step.reason = "fail", "; ".join(problems)
    else:
        step.status = "pass"
        step.note = f"stopped in {elapsed:.1f} s"
    return step


def step_collectstatic(run: Run, done: list[Step]) -> Step:
    step = Step(7, STEP_NAMES[7], "skipped")
    found = verify_env.collectstatic_line(run.project)
    if found is None:
        step.reason = (
            "no Dockerfile at the root"
            if run.project.root_dockerfile is None
            else "the Dockerfile runs no collectstatic"
        )
        return step
    where, command, stage_env = found
    env = {k: v for k, v in stage_env.items() if k not in ("PATH", "HOME", "VIRTUAL_ENV")}
    env.update(
        PATH=run.base["PATH"],
        HOME=run.base["HOME"],
        LANG=run.base["LANG"],
        TMPDIR=run.base["TMPDIR"],
        PYTHONDONTWRITEBYTECODE="1",
    )
    step.note = f"{where}, with the Dockerfile's ENV/ARG only"
    argv = ["sh", "-c", command.text]
    step.command = command.text
    code, output = run_command(argv, run.cwd, env, COMMAND_TIMEOUT)
    step.output = run.tail(output)
    if code == 0:
        step.status = "pass"
    else:
        step.status = "fail"
        step.reason = (
            f"timed out after {COMMAND_TIMEOUT} s" if code is None else run.mask(last_error(output))
        )
    return step


def step_image(run: Run, done: list[Step], image: bool) -> Step:
    step = Step(8, STEP_NAMES[8], "skipped")
    if not image:
        step.reason = "not requested (--image)"
        return step
    from fixer.verify_image import image_step

    return image_step(run, step)


_STEPS = {
    1: step_check,
    2: step_migrations,
    3: step_boot,
    4: step_migrate,
    5: step_pages,
    6: step_database_down,
    7: step_collectstatic,
    8: step_image,
}


# ---------------------------------------------------------------------------------------------
# What a reviewer pastes
# ---------------------------------------------------------------------------------------------


def reviewer_commands(run: Run, steps: list[Step]) -> list[str]:
    """Shell commands that repeat the run from the repository root, with the project's
    interpreter as `python` on PATH: exports (placeholders for secrets), then each step."""
    ran = {s.number for s in steps if s.status != "skipped"}
    lines: list[str] = []
    rel = run.cwd.relative_to(run.tree).as_posix() if run.cwd != run.tree else ""
    if rel:
        lines.append(f"cd {shlex.quote(rel)}")
    for name in sorted(run.env.values):
        if run.env.database.kind == "url" and name == run.env.database.variable:
            value = (
                run.env.shown[name]
                if run.database_url
                else '"sqlite:///$(mktemp -d)/verify.sqlite3"'
            )
        else:
            value = run.env.shown.get(name, shlex.quote(run.env.values[name]))
        lines.append(f"export {name}={value}")
    lines.append(f"export DJANGO_SETTINGS_MODULE={run.project.production_module}")
    manage = "python manage.py" if run.project.manage_py else "python -m django"
    probes_off = "STARTUP_CHECKS=false " if run.env.probes else ""
    extra, _ = serving_overrides(run)
    serving = " ".join(f"{k}={v}" for k, v in extra.items())
    serving = serving + " " if serving else ""
    if 1 in ran:
        lines.append(f"{probes_off}{manage} check --deploy")
    if 2 in ran:
        lines.append(f"{probes_off}{manage} makemigrations --check --dry-run")
    if 3 in ran and run.server.server:
        argv = run.server.argv("python", Path("manage.py"), 8000)
        lines.append(f"{serving}{shlex.join(argv)} & server=$!")
        lines.append("trap 'kill $server 2>/dev/null || true' EXIT")
        lines.append(
            "for i in $(seq 30); do curl -fsS -o /dev/null http://127.0.0.1:8000/health "
            "&& break; sleep 1; done"
        )
        lines.append("curl -fsS http://127.0.0.1:8000/health")
        lines.append("curl -fsS http://127.0.0.1:8000/common/health")
        lines.append("kill $server")
    if 4 in ran:
        lines.append(f"{serving}{manage} migrate --noinput")
    return lines


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
