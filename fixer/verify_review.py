"""The commands a reviewer pastes to repeat a `djfix verify` run: every step that ran, in order,
from the repository root, with the project's interpreter as `python` on PATH.

- The exports hold only the variables the settings read, placeholders for secrets.
- A run on a database server names a database of the review's own, `djfix_review`, made first
  (`createdb`, or `CREATE DATABASE` through `mysql`) and dropped at the end: never the database
  the user gave (often the server's own `postgres`, which `migrate` would fill with tables).
- Step 5 requests the same URLs the run requested; step 6 starts the server with the database
  on a closed port; step 7 runs the Dockerfile's collectstatic line with the Dockerfile's
  environment only; step 8 builds the images.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import quote

from fixer import verify_aliases, verify_env
from fixer.verify_database import connection_spec, engine_of, with_database
from fixer.verify_image import review_builds
from fixer.verify_run import Run, Step, serving_overrides

#: the database the reviewer's commands create, use and drop on the given server
REVIEW_DATABASE = "djfix_review"
#: the port the reviewer's server listens on
PORT = 8000


def review_url(given: str | None) -> str | None:
    """The URL the reviewer's commands name for a run on `given`: the same server, user and
    options, the database `REVIEW_DATABASE`. None for no URL or an SQLite one."""
    if not given or engine_of(given) == "sqlite":
        return None
    return with_database(given, REVIEW_DATABASE)


def review_alias_url(review: str, alias: str) -> str:
    """The URL the reviewer's commands name for another DATABASES alias: the review's server,
    the database `djfix_review_<alias>`."""
    return with_database(review, f"{REVIEW_DATABASE}_{re.sub(r'[^a-z0-9_]+', '_', alias.lower())}")


def _database_commands(url: str) -> tuple[str, str]:
    """(create, drop) of the database `url` names on its server, with the server's client
    programs; a password is asked for, never written."""
    spec = connection_spec(url)
    name = spec["given"] or REVIEW_DATABASE
    if spec["engine"] == "mysql":
        words = ["mysql", "-h", spec["host"] or "127.0.0.1"]
        words += ["-P", spec["port"]] if spec["port"] else []
        words += ["-u", spec["user"]] if spec["user"] else []
        words += ["-p"] if spec["password"] else []
        client = shlex.join(words)
        return (
            f"{client} -e 'CREATE DATABASE {name}'",
            f"{client} -e 'DROP DATABASE {name}'",
        )
    words = ["-h", spec["host"] or "127.0.0.1"]
    words += ["-p", spec["port"]] if spec["port"] else []
    words += ["-U", spec["user"]] if spec["user"] else []
    words += ["-W"] if spec["password"] else []
    options = shlex.join(words)
    return f"createdb {options} {name}", f"dropdb {options} {name}"


def _exports(run: Run) -> list[str]:
    lines = []
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
    return lines


def _serve(run: Run, prefix: str) -> list[str]:
    """Start the app server in the background and wait until /health answers."""
    argv = run.server.argv("python", Path("manage.py"), PORT)
    return [
        f"{prefix}{shlex.join(argv)} & server=$!",
        "trap 'kill $server 2>/dev/null || true' EXIT",
        f"for i in $(seq 30); do curl -fsS {_host(run)}-o /dev/null "
        f"http://127.0.0.1:{PORT}/health && break; sleep 1; done",
    ]


def _host(run: Run) -> str:
    # the Host ALLOWED_HOSTS accepts, as the steps sent it
    return f"-H {shlex.quote('Host: ' + run.host)} " if run.host else ""


def _masked(name: str, value: str) -> str:
    if "PASSWORD" in name.upper() and value:
        return "<password>"
    password = connection_spec(value)["password"] if "://" in value else ""
    if password:
        value = value.replace(f":{quote(password, safe='')}@", ":<password>@", 1)
        value = value.replace(f":{password}@", ":<password>@", 1)
    return value


def _database_down(run: Run) -> list[str]:
    """Step 6: the server started with the database on a closed port (user and password as
    the run had them, the password a placeholder)."""
    db = run.env.database
    given = run.review_url or run.database_url
    if not given:
        return []
    shown: dict[str, str] = {}
    for name, value in verify_env.unreachable_database(db, given).items():
        if "PASSWORD" in name.upper() and value:
            value = "<password>"
        elif db.kind == "url":
            password = connection_spec(value)["password"]
            if password:
                value = value.replace(f":{quote(password, safe='')}@", ":<password>@", 1)
                value = value.replace(f":{password}@", ":<password>@", 1)
        shown[name] = value
    # every other alias the run gave a server database goes down with it
    for name, value in verify_aliases.unreachable_aliases(run.env, given).items():
        shown.setdefault(name, _masked(name, value))
    if run.env.probes:
        shown.update(STARTUP_CHECKS="true", STARTUP_CHECK_TIMEOUT="2")
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in shown.items())
    argv = run.server.argv("python", Path("manage.py"), PORT)
    return [
        "# step 6: with the database unreachable, the start fails within 30 s, naming the "
        "database and its variable, and shows no password",
        f'{prefix} timeout 30 {shlex.join(argv)}; echo "exit status $?"',
    ]


def _collectstatic(run: Run) -> list[str]:
    found = verify_env.collectstatic_line(run.project)
    if found is None:
        return []
    where, command, stage_env = found
    keep = {k: v for k, v in stage_env.items() if k not in ("PATH", "HOME", "VIRTUAL_ENV")}
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in keep.items())
    return [
        f"# step 7: the collectstatic line of {where}, with only the Dockerfile's ENV and ARG",
        f'env -i PATH="$PATH" HOME="$HOME" {assignments + " " if assignments else ""}'
        f"sh -c {shlex.quote(command.text)}",
    ]


def reviewer_commands(run: Run, steps: list[Step]) -> list[str]:
    """Shell commands that repeat every step of the run that ran, from the repository root,
    with the project's interpreter as `python` on PATH."""
    ran = {s.number for s in steps if s.status != "skipped"}
    lines: list[str] = []
    drop = ""
    served = ran & {3, 4, 5, 6}
    if run.review_url and served:
        create, drop = _database_commands(run.review_url)
        lines.append("# a new, empty database for the review (verify made one of its own)")
        lines.append(create)
        drops = [drop]
        for other in run.env.others:
            if other.network:
                create, drop = _database_commands(review_alias_url(run.review_url, other.alias))
                lines.append(f"# and one for DATABASES[{other.alias!r}]")
                lines.append(create)
                drops.append(drop)
        drop = "\n".join(drops)
    rel = run.cwd.relative_to(run.tree).as_posix() if run.cwd != run.tree else ""
    if rel:
        lines.append(f"cd {shlex.quote(rel)}")
    lines.extend(_exports(run))
    manage = "python manage.py" if run.project.manage_py else "python -m django"
    probes_off = "STARTUP_CHECKS=false " if run.env.probes else ""
    extra, _ = serving_overrides(run)
    serving = " ".join(f"{k}={v}" for k, v in extra.items())
    serving = serving + " " if serving else ""
    host = _host(run)
    if 1 in ran:
        lines.append(f"{probes_off}{manage} check --deploy")
    if 2 in ran:
        lines.append(f"{probes_off}{manage} makemigrations --check --dry-run")
    if ran & {3, 5} and run.static_note.startswith("collectstatic"):
        # what the served steps ran first, as the image build does
        lines.append(f"# {run.static_note}")
        lines.append(f"{probes_off}{manage} collectstatic --noinput")
        if "compress ran" in run.static_note:
            lines.append(f"{probes_off}{manage} compress --force")
    if 3 in ran and run.server.server:
        lines.extend(_serve(run, serving))
        lines.append(f"curl -fsS {host}http://127.0.0.1:{PORT}/health")
        lines.append(f"curl -fsS {host}http://127.0.0.1:{PORT}/common/health")
        lines.append("kill $server")
    if 4 in ran:
        lines.append(f"{serving}{manage} migrate --noinput")
    if 5 in ran and run.server.server and run.page_urls:
        step = next(s for s in steps if s.number == 5)
        lines.append(f"# step 5 ({step.name}): every page answers below 500")
        lines.extend(_serve(run, serving))
        urls = " ".join(shlex.quote(u) for u in run.page_urls)
        lines.append(
            f"for url in {urls}; do curl -sS {host}-H 'X-Forwarded-Proto: https' -o /dev/null "
            f'-w "%{{http_code}} $url\\n" "http://127.0.0.1:{PORT}$url"; done'
        )
        lines.append("kill $server")
    if 6 in ran and run.server.server:
        lines.extend(_database_down(run))
    if 7 in ran:
        lines.extend(_collectstatic(run))
    if 8 in ran:
        lines.append("# step 8: the images, built from the repository root")
        root = "/".join([".."] * len(rel.split("/"))) if rel else "."
        lines.extend(review_builds(run, root))
    if drop:
        lines.extend(drop.split("\n"))
    return lines
