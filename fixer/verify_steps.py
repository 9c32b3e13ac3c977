"""The steps of `djfix verify`, one function each: what runs, with which environment, and when
it passes. `run_steps` runs the chosen ones in order; a step that needs the settings is skipped
when they do not load."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from fixer import verify_aliases, verify_env
from fixer.analysis.image import GENERATED_MARKER
from fixer.analysis.static import MANIFEST, merged_manifest
from fixer.settings_values import Assignment
from fixer.verify_image import image_step
from fixer.verify_process import (
    Process,
    free_port,
    http_get,
    last_error,
    listening,
    run_command,
)
from fixer.verify_run import (
    COMMAND_TIMEOUT,
    FIRST_REQUEST_TIMEOUT,
    REQUEST_TIMEOUT,
    STEP_NAMES,
    Run,
    Step,
    choose_host,
    host_refused,
    migrate_timeout,
    pages_name,
    serving_overrides,
)

#: seconds each page of step 5 may take (a loaded machine answers a cold first page slowly),
#: and all of them together: a server that hangs stops the step, not the run
PAGE_TIMEOUT = 10.0
PAGES_BUDGET = 90.0
#: URLs step 5 requests at most
MAX_URLS = 40


def run_steps(
    run: Run, only: set[int], image: bool, on_step: Callable[[int, str], None] | None = None
) -> list[Step]:
    steps: list[Step] = []
    prepared = False
    for number in range(1, 9):
        name = pages_name(run.env.down) if number == 5 else STEP_NAMES[number]
        if number not in only:
            continue
        if on_step is not None:
            on_step(number, name)
        if number in (2, 3, 4, 5, 6) and not run.settings_load:
            steps.append(Step(number, name, "skipped", reason=f"{run.load_failure} (step 1)"))
            continue
        start = time.monotonic()
        if number in (3, 5) and not prepared:
            prepared = True
            run.static_note = collect_manifest(run)
        elif number == 8 and not prepared:
            prepared = True
            read_hosts(run)
        step = _STEPS[number](run, steps, image) if number == 8 else _STEPS[number](run, steps)
        if number in (3, 5) and run.static_note:
            step.note = "; ".join(x for x in (step.note, run.static_note) if x)
        step.seconds = round(time.monotonic() - start, 2)
        if number == 1:
            run.load_seconds = step.seconds
        steps.append(step)
    return steps


#: the hosts first (they need only the settings), so they are read even when an app fails
#: to load; DEBUG with an empty list accepts loopback, as Django does
_HOSTS_PROBE = (
    "import json\n"
    "from django.conf import settings\n"
    "hosts = [str(h) for h in (settings.ALLOWED_HOSTS or [])]\n"
    "if settings.DEBUG and not hosts:\n"
    "    hosts = ['127.0.0.1', 'localhost', '[::1]']\n"
    "print('DJFIX-HOSTS ' + json.dumps(hosts))\n"
)
_MANIFEST_PROBE = (
    "from django.conf import settings\n"
    "from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage\n"
    "# the lazy storage answers isinstance for the class it wraps\n"
    "manifest = isinstance(staticfiles_storage, ManifestFilesMixin)\n"
    "# django-compressor compressing offline renders {% compress %} from its manifest\n"
    "try:\n"
    "    from compressor.conf import settings as compress\n"
    "    offline = bool(compress.COMPRESS_ENABLED and compress.COMPRESS_OFFLINE)\n"
    "except Exception:\n"
    "    offline = False\n"
    "print('DJFIX-COMPRESS', int(offline))\n"
    "print('DJFIX-MANIFEST', int(manifest), settings.STATIC_ROOT or '')\n"
)


def collect_manifest(run: Run) -> str:
    """A manifest static storage (ManifestStaticFilesStorage, whitenoise's compressed one)
    makes every page that uses `{% static %}` fail until collectstatic has written its
    manifest. The image runs collectstatic at build time, so the served steps run it first
    too, into the copy. Returns the note the served steps carry ("" when nothing was needed)."""
    env = run.environ(STARTUP_CHECKS="false")
    code, output = run_command(
        [run.python, "-c", _HOSTS_PROBE + "import django; django.setup()\n" + _MANIFEST_PROBE],
        run.cwd,
        env,
        60,
    )
    _take_hosts(run, output)
    line = next((ln for ln in output.splitlines() if ln.startswith("DJFIX-MANIFEST ")), None)
    if code != 0 or line is None:
        return ""
    _, manifest, static_root = [*line.split(" ", 2), ""][:3]
    offline = "DJFIX-COMPRESS 1" in output.splitlines()
    if manifest != "1" and not offline:
        return ""
    need = (
        "the static storage needs a manifest"
        if manifest == "1"
        else ("django-compressor compresses offline")
    )
    if not static_root:
        return f"{need} but STATIC_ROOT is not set"
    target = Path(run.cwd, static_root).resolve()
    tree = run.tree.resolve()
    if target != tree and tree not in target.parents:
        return (
            f"{need}, and STATIC_ROOT ({static_root}) is outside the project: collectstatic "
            "was not run first"
        )
    # a committed manifest (collected files only the repository holds) keeps its entries, as
    # in the image build
    manifest = target / MANIFEST
    committed = manifest.read_text(encoding="utf-8") if manifest.is_file() else None
    code, output = run_command(
        [*run.manage, "collectstatic", "--noinput"], run.cwd, env, COMMAND_TIMEOUT
    )
    if code != 0:
        return "collectstatic (run first for the manifest storage) failed: " + run.mask(
            last_error(output)
        )
    if committed is not None and manifest.is_file():
        merged = merged_manifest(committed, manifest.read_text(encoding="utf-8"))
        if merged is not None:
            manifest.write_text(merged, encoding="utf-8")
    if not offline:
        return (
            "collectstatic ran first, as the image build does (the static storage needs its "
            "manifest)"
        )
    code, output = run_command([*run.manage, "compress", "--force"], run.cwd, env, COMMAND_TIMEOUT)
    if code != 0:
        return "compress (run first: django-compressor compresses offline) failed: " + run.mask(
            last_error(output)
        )
    return (
        "collectstatic and compress ran first, as the image build does (django-compressor "
        "compresses offline)"
    )


def _take_hosts(run: Run, output: str) -> None:
    line = next((ln for ln in output.splitlines() if ln.startswith("DJFIX-HOSTS ")), None)
    try:
        hosts = json.loads(line.split(" ", 1)[1]) if line else None
    except ValueError:
        hosts = None
    if isinstance(hosts, list):
        run.allowed_hosts = [str(h) for h in hosts][:100]
        run.host = choose_host(run.allowed_hosts) or ""


def read_hosts(run: Run) -> None:
    """ALLOWED_HOSTS as the settings evaluate them, and the Host header the served steps
    send: a literal list without loopback (`['www.shop.example']`) refuses 127.0.0.1, and
    every page would answer 400 whatever it does."""
    _, output = run_command(
        [run.python, "-c", _HOSTS_PROBE], run.cwd, run.environ(STARTUP_CHECKS="false"), 60
    )
    _take_hosts(run, output)


def host_note(run: Run) -> str:
    if not run.host:
        return ""
    return f"requests carry Host: {run.host} (ALLOWED_HOSTS has no loopback name)"


def _issues(output: str) -> list[str]:
    return re.findall(r"^\S*: \(([\w.]+)\)", output, re.M)


def _probes_off(run: Run) -> dict[str, str]:
    return {"STARTUP_CHECKS": "false"} if run.env.probes else {}


def load_failure(output: str, root: Path) -> str:
    """What stopped Django loading, from its traceback: the settings module, or the ready()
    of an installed app (the settings imported; an app refused to start, often for a variable
    it checks itself)."""
    if "app_config.ready()" not in output:
        return "the settings do not load"
    frames = re.findall(r'File "([^"]+)", line (\d+), in ready\b', output)
    if not frames:
        return "an app's ready() stops the start"
    path, line = frames[-1]
    try:
        where = Path(path).relative_to(root).as_posix()
    except ValueError:
        where = Path(path).name
    return f"the settings load, but an app's ready() ({where}:{line}) stops the start"


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
    elif _raised_in_checks(output) and _DATABASE_ERROR.search(last_error(output)):
        # the settings loaded and the apps too: a check itself reached the database (a model
        # check asks a PostgreSQL server its version for a GeneratedField, a project's check
        # queries). Not any error raised under the checks: Django 2.2 re-raises a settings
        # module's ImportError there, when a check first reads a setting
        error = run.mask(last_error(output))
        step.reason = "a system check connected to the database, which failed: " + error
    else:
        if "System check identified" not in output and "SystemCheckError" not in output:
            run.settings_load = False
            run.load_failure = load_failure(output, run.tree)
        step.reason = f"{run.load_failure}: " + run.mask(last_error(output))
    return step


#: the traceback of an error raised while the checks ran (after the settings and apps loaded)
_IN_CHECKS = re.compile(r'File "[^"]*[/\\]django[/\\]core[/\\]checks[/\\][^"]*", line \d+')
_DATABASE_ERROR = re.compile(r"\b(?:OperationalError|InterfaceError|DatabaseError)\b")


def _raised_in_checks(output: str) -> bool:
    return _IN_CHECKS.search(output) is not None


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
    if (db.kind == "fixed" and db.runnable) or db.by_name:
        # no variable chooses the database, and discovery read no server's ENGINE (a value
        # from a module it cannot follow, a user's configuration file, an SQLite path), or
        # the variable is known by its name only: ask the settings which database they name,
        # and run there only when it is the copy's own
        if run.foreign_database is None:
            run.foreign_database = _foreign_database(run)
        return run.foreign_database
    if db.runnable or (db.kind == "piecewise" and run.database_url):
        return ""
    return db.reason


_DATABASE_PROBE = (
    "import json\n"
    "from django.conf import settings\n"
    "db = dict((settings.DATABASES or {}).get('default') or {})\n"
    "print('DJFIX-DATABASE ' + json.dumps({k: str(db.get(k) or '') for k in "
    "('ENGINE', 'NAME', 'HOST', 'PORT')}))\n"
)


def _foreign_database(run: Run) -> str:
    code, output = run_command(
        [run.python, "-c", _DATABASE_PROBE], run.cwd, run.environ(STARTUP_CHECKS="false"), 60
    )
    line = next((ln for ln in output.splitlines() if ln.startswith("DJFIX-DATABASE ")), None)
    if code != 0 or line is None:
        return ""  # the settings do not load: the step itself says why
    try:
        db = json.loads(line.split(" ", 1)[1])
    except ValueError:
        return ""
    where = run.project.settings.where("DATABASES")
    chosen = run.env.database
    given = run.environ().get(chosen.variable or "") if chosen.by_name else None
    if given and names_database(db, given):
        return ""
    reason = foreign_database_reason(db, run.cwd, run.tree, where)
    if reason and given:
        at = f" ({where.path}:{where.line})" if where is not None else ""
        reason = (
            f"the settings compute DATABASES{at} and did not take {chosen.variable}, the "
            f"database verify gives the run: {reason}"
        )
    return reason


def names_database(db: dict[str, str], url: str) -> bool:
    """Whether `db` (the ENGINE, NAME, HOST, PORT the settings evaluate to) is the server
    database of `url`."""
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    port = str(parts.port or "")
    return (
        bool(name)
        and "sqlite" not in db.get("ENGINE", "sqlite")
        and db.get("NAME") == name
        and db.get("HOST", "") in (parts.hostname or "", "")
        and db.get("PORT", "") in (port, "")
    )


def foreign_database_reason(
    db: dict[str, str], cwd: Path, tree: Path, where: Assignment | None
) -> str:
    """Why the database `db` (the ENGINE, NAME, HOST, PORT the settings evaluate to) is not the
    run's own, or "": a server's database, or an SQLite file outside verify's copy, is the
    user's; migrating it or serving from it would touch it."""
    engine = db.get("ENGINE", "")
    name = db.get("NAME", "")
    at = f" (DATABASES: {where.path}:{where.line})" if where is not None else ""
    if not engine or engine.endswith(".dummy"):
        return ""
    if "sqlite" in engine:
        if not name or name == ":memory:" or name.startswith("file:"):
            return ""
        path = Path(cwd, name).resolve()
        if path == tree.resolve() or tree.resolve() in path.parents:
            return ""
        return (
            f"DATABASES['default'] is the SQLite file {name}, outside verify's copy, and no "
            f"variable names another{at}: verify runs only on a database of its own"
        )
    vendor = engine.rsplit(".", 1)[-1]
    server = db.get("HOST") or "localhost"
    if db.get("PORT"):
        server += f":{db['PORT']}"
    return (
        f"DATABASES['default'] is the {vendor} database {name!r} on {server}, and no variable "
        f"names another{at}: verify runs only on a database of its own, never on one the "
        "settings name (read the database from a variable, e.g. DATABASE_URL)"
    )


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
    deadline = time.monotonic() + run.start_timeout
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            return process, port, argv, f"the server exited with status {process.proc.returncode}"
        if listening(port):
            return process, port, argv, ""
        time.sleep(0.2)
    return process, port, argv, f"the server did not listen within {run.start_timeout} s"


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
    statuses: list[int] = []
    if not why:
        for index, path in enumerate(("/health", "/common/health")):
            # the first request loads the URLconf and the views in the worker
            limit = FIRST_REQUEST_TIMEOUT if index == 0 else REQUEST_TIMEOUT
            status, error = http_get(port, path, limit, host=run.host)
            statuses += [status] if status else []
            if status != 200:
                failures.append(f"{path} answered {status}" if status else f"{path}: {error}")
    why = why or _exited(process)
    output = process.stop() if process is not None else why
    step.note = "; ".join(x for x in (step.note, host_note(run)) if x)
    if "Accessing the database during app initialization" in output:
        # a guarded read (item 10's fix) still queries, and Django says so; the start held
        step.note = "; ".join(
            x for x in (step.note, "a query runs during app initialization (Django warns)") if x
        )
    step.output = run.tail(output)
    refused = host_refused(run, statuses, output)
    if why:
        step.status, step.reason = "fail", f"{why}: {run.mask(last_error(output))}"
    elif refused:
        step.status, step.reason = "fail", refused
    elif failures:
        step.status, step.reason = "fail", "; ".join(failures)
    else:
        step.status = "pass"
    return step


def migrate_timed_out(output: str, timeout: float) -> str:
    """Why migrate stopped, with how far it got: a slow migrate of many migrations is not a
    hang, and the count tells them apart."""
    applied = len(re.findall(r"^\s*Applying \S+\.\.\. OK", output, re.M))
    return f"timed out after {timeout:.0f} s, {applied} migrations applied"


def step_migrate(run: Run, done: list[Step]) -> Step:
    argv = [*run.manage, "migrate", "--noinput", "--no-color"]
    step = Step(4, STEP_NAMES[4], "skipped")
    blocker = _database_blocker(run)
    if blocker:
        step.reason = blocker
        return step
    extra, note = serving_overrides(run)
    step.note = note
    timeout = migrate_timeout(run.project)
    code, output = run_command(argv, run.cwd, run.environ(**extra), timeout)
    step.command, step.output = run.shown(argv, **extra), run.tail(output)
    if code == 0:
        step.status = "pass"
        return step
    step.status = "fail"
    step.reason = (
        migrate_timed_out(output, timeout) if code is None else run.mask(last_error(output))
    )
    override = migrate_override(run)
    if code is not None and override:
        # what a deploy runs failed; whether Django's own migrate holds on the same database
        # says if the fault is the project's command or its migrations
        own, _ = run_command(
            [run.python, "-c", _DJANGO_MIGRATE], run.cwd, run.environ(**extra), timeout
        )
        if own == 0:
            step.reason = (
                f"the project's own migrate command ({override}) fails where Django's migrate "
                f"passes on the same database (the migrations apply): {step.reason}"
            )
        else:
            step.note = "; ".join(
                x for x in (step.note, f"{override} overrides migrate; Django's own fails too") if x
            )
    return step


#: Django's own migrate, not a project's command of the same name
_DJANGO_MIGRATE = (
    "import django\n"
    "django.setup()\n"
    "from django.core.management.commands import migrate\n"
    "migrate.Command().run_from_argv(['manage.py', 'migrate', '--noinput', '--no-color'])\n"
)


def migrate_override(run: Run) -> str:
    """The file of a local app's `migrate` management command (the first app wins, as in
    Django), or ""."""
    for app in run.project.apps:
        rel = f"{app.rel}/management/commands/migrate.py" if app.rel else ""
        if rel and (run.tree / rel).is_file():
            return rel
    return ""


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
    step = Step(5, pages_name(run.env.down), "skipped")
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
        x
        for x in (
            note,
            "requests carry X-Forwarded-Proto: https, as from the TLS proxy",
            host_note(run),
        )
        if x
    )
    urls, error = list_urls(run, run.environ(STARTUP_CHECKS="false"))
    run.page_urls = urls
    if error:
        step.status, step.reason = "fail", f"the URLconf does not load: {error}"
        return step
    process, port, argv, why = _serve(run, run.environ(**extra))
    step.command = run.shown(argv, **extra)
    failures: list[str] = []
    answered: list[str] = []
    statuses: list[int] = []
    if not why:
        deadline = time.monotonic() + PAGES_BUDGET
        for index, url in enumerate(urls):
            left = deadline - time.monotonic()
            if left <= 0:
                failures.append(
                    f"{len(urls) - index} URL(s) not requested: the step's {PAGES_BUDGET:.0f} s"
                    " ran out"
                )
                break
            # the first request loads the URLconf and the views in the worker
            limit = min(FIRST_REQUEST_TIMEOUT if index == 0 else PAGE_TIMEOUT, left)
            status, problem = http_get(port, url, limit, https=True, host=run.host)
            if status is None:
                failures.append(f"{url}: no answer within {limit:.0f} s ({problem})")
                continue
            statuses.append(status)
            if status >= 500 and not _names_its_status(url, status):
                failures.append(f"{url} answered {status}")
            else:
                answered.append(f"{status} {url}")
    why = why or _exited(process)
    output = process.stop() if process is not None else why
    step.output = run.tail("\n".join(answered) + "\n" + output if answered else output)
    refused = host_refused(run, statuses, output)
    if why:
        step.status, step.reason = "fail", f"{why}: {run.mask(last_error(output))}"
    elif refused:
        step.status = "fail"
        step.reason = "; ".join([refused, *failures[:4]])
    elif failures:
        step.status = "fail"
        step.reason = f"{len(failures)} of {len(urls)} URLs: " + "; ".join(failures[:5])
    else:
        step.status = "pass"
        step.reason = ""
        step.note += f"; {len(urls)} URLs answered"
    return step


def _names_its_status(url: str, status: int) -> bool:
    """A page whose path is the status it answers (`/500`, `/errors/503/`): a project's view of
    its own error page, routed to show it, answers that status on purpose."""
    last = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return last == str(status)


def step_database_down(run: Run, done: list[Step]) -> Step:
    step = Step(6, STEP_NAMES[6], "skipped")
    db = run.env.database
    if run.server.problem:
        step.reason = run.server.problem
        return step
    if db.kind == "fixed":
        step.reason = db.reason or "DATABASES reads no variable: verify cannot take it down"
        return step
    if db.by_name and _database_blocker(run):
        step.reason = _database_blocker(run)
        return step
    if not db.network or not run.database_url:
        step.reason = (
            "the database is SQLite here: no network database to take down "
            "(pass --database-url postgres://... to run this step)"
        )
        if run.url_unused:
            # it was passed: say why it could not be used, not to pass it
            step.reason = f"the database is SQLite here: {run.url_unused}"
        return step
    if db.kind == "piecewise" and not {"HOST", "PORT"} & set(db.parts):
        # only the NAME (or the user) comes from a variable: the server stays where the
        # settings write it, reachable, whatever the run sets
        step.reason = (
            f"the settings read only {', '.join(sorted(db.parts))} of DATABASES['default'] from "
            f"variables ({', '.join(db.parts[k] for k in sorted(db.parts))}): its HOST and PORT "
            "are written in the settings, so verify cannot take the database down"
        )
        return step
    down = verify_env.unreachable_database(db, run.database_url)
    # every other alias the run gave a server database is down too: the probes name each one
    others = verify_aliases.movable(run.env)
    down.update(verify_aliases.unreachable_aliases(run.env, run.database_url))
    secrets = [*run.env.secrets]
    for name, value in down.items():
        if "PASSWORD" in name.upper() and value:
            secrets.append(value)
        elif "://" in value:
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
    for one in (db, *others):
        if one.kind == "url" and one.variable:
            shown_extra[one.variable] = verify_env.mask_secret(
                down[one.variable], secrets, "<password>"
            )
    step.command = run.shown(argv, **shown_extra)
    start = time.monotonic()
    try:
        process = Process(argv, run.cwd, run.environ(**extra))
    except OSError as exc:
        step.status, step.reason = "fail", str(exc)
        return step
    code: int | None = None
    serving = False
    while time.monotonic() - start < run.start_timeout:
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
            else f"the start did not fail within {run.start_timeout} s"
        )
    elif code == 0:
        problems.append("the server exited with status 0")
    if code is not None and "database" not in output.lower():
        problems.append("the message does not name the database")
    if code is not None and not any(v in output for v in variables):
        problems.append(f"the message names no variable ({', '.join(variables)})")
    if code is not None and run.env.probes:
        unnamed = [
            f"DATABASES[{o.alias!r}]"
            for o in others
            if f"database:{o.alias}" not in output
            # a variable it shares with 'default' (DB_HOST) does not name it
            and not any(
                v in output for v in verify_aliases.alias_variables(o) if v not in variables
            )
        ]
        if unnamed:
            problems.append(f"the message does not name {', '.join(unnamed)}")
    if leaked:
        problems.append("a credential appears in the output")
    if problems:
        step.status, step.reason = "fail", "; ".join(problems)
    else:
        step.status = "pass"
        step.note = f"stopped in {elapsed:.1f} s"
    stuck = [f"DATABASES[{o.alias!r}]" for o in run.env.others if o.network and o not in others]
    if stuck:
        # no variable sets where they are (HOST and PORT written in the settings)
        step.note = "; ".join(
            [
                *([step.note] if step.note else []),
                f"{', '.join(stuck)} stayed up: its address is written in the settings",
            ]
        )
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
        at_start = verify_env.start_collectstatic(run.project)
        if at_start and run.project.root_dockerfile is not None:
            step.reason += (
                f" ({at_start} runs it when the container starts, with the deployment's "
                "environment: the image is built without the collected files)"
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
    if run.base.get("PYTHONPATH"):  # packages installed aside for a planned change
        env["PYTHONPATH"] = run.base["PYTHONPATH"]
    step.note = f"{where}, with the Dockerfile's ENV/ARG only"
    argv = ["sh", "-c", command.text]
    step.command = command.text
    outside = _static_root_outside(run, {**env, **command.env})
    if outside:
        # an absolute STATIC_ROOT (/app/static) would be written on this machine: the same
        # command with the same variables, under a settings module that only moves it
        module, static_root = outside
        wrapper = run.work / "collectstatic-settings"
        wrapper.mkdir(exist_ok=True)
        target = run.work / "staticfiles"
        (wrapper / "_djfix_collectstatic.py").write_text(
            f"from {module} import *  # noqa: F403\nSTATIC_ROOT = {str(target)!r}\n",
            encoding="utf-8",
        )
        env.update(command.env)
        env["DJANGO_SETTINGS_MODULE"] = "_djfix_collectstatic"
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(wrapper), run.base.get("PYTHONPATH", "")) if p
        )
        argv = command.argv
        step.note += f"; STATIC_ROOT ({static_root}) moved to a temporary folder"
    code, output = run_command(argv, run.cwd, env, COMMAND_TIMEOUT)
    step.output = run.tail(output)
    if code == 0:
        step.status = "pass"
        if not outside:
            _static_stage_holds_them(run, step, output)
    else:
        step.status = "fail"
        step.reason = (
            f"timed out after {COMMAND_TIMEOUT} s" if code is None else run.mask(last_error(output))
        )
    return step


def _static_stage_holds_them(run: Run, step: Step, output: str) -> None:
    """djfix's own Dockerfile: the folder its static stage copies is where collectstatic wrote
    (the image's WORKDIR is the copy's working folder, as the code stage copies it), else the
    static image would serve nothing."""
    dockerfile = Path(run.tree, "Dockerfile")
    try:
        generated = GENERATED_MARKER in dockerfile.read_text(encoding="utf-8")[:400]
    except (OSError, UnicodeDecodeError):
        return
    copied = re.search(r"(\d+) static files? copied", output)
    found = verify_env.static_stage_source(run.project)
    if not generated or copied is None or int(copied[1]) == 0 or found is None:
        return
    path, workdir = found
    rel = os.path.relpath(path, workdir)
    if rel.startswith(".."):
        return
    folder = Path(run.cwd, rel)
    if folder.is_dir() and next(folder.rglob("*"), None) is not None:
        step.note += f"; the static stage copies them from {path}"
        return
    step.status = "fail"
    step.reason = (
        f"collectstatic wrote {copied[1]} files, but not to {path}, the folder the Dockerfile's "
        "static stage copies: the static image would serve none"
    )


_STATIC_PROBE = (
    "import os\n"
    "from django.conf import settings\n"
    "print('DJFIX-STATIC', settings.SETTINGS_MODULE, settings.STATIC_ROOT or '')\n"
)


def _static_root_outside(run: Run, env: dict[str, str]) -> tuple[str, str] | None:
    """(settings module, STATIC_ROOT) when collectstatic would write outside the copy."""
    probe_env = dict(env)
    probe_env.setdefault("DJANGO_SETTINGS_MODULE", run.project.settings_module)
    code, output = run_command([run.python, "-c", _STATIC_PROBE], run.cwd, probe_env, 60)
    line = next((ln for ln in output.splitlines() if ln.startswith("DJFIX-STATIC ")), None)
    if code != 0 or line is None:
        return None  # the command itself will say what is wrong
    _, module, static_root = [*line.split(" ", 2), ""][:3]
    if not static_root:
        return None
    path = Path(run.cwd, static_root).resolve()
    inside = path == run.tree.resolve() or run.tree.resolve() in path.parents
    return None if inside else (module, static_root)


def step_image(run: Run, done: list[Step], image: bool) -> Step:
    step = Step(8, STEP_NAMES[8], "skipped")
    if not image:
        step.reason = "not requested (--image)"
        return step
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
