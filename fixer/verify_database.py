"""A database of its own for every verify run.

With `--database-url` naming a PostgreSQL or MySQL/MariaDB server, each run (`djfix verify`, and
every run `apply` makes: the original, the planned change, each re-verification) creates a new,
empty database on that server, `<name>_djfix_<8 hex>` (at most 63 characters), runs its steps
against it and drops it at the end: also when a step fails, on a timeout and on Ctrl-C. So step
3 ("boot on empty database") really starts on an empty one, and nothing one run leaves (tables,
rows) reaches the next.

The database is created and dropped from the project's own interpreter, through Django's own
connection to the server (its `postgres` maintenance database, else the given one or
`template1`; no database for MySQL): the same driver the run uses (psycopg, psycopg2,
mysqlclient, or PyMySQL installed as MySQLdb), and no client program (psql, mysql) is needed.
PostgreSQL drops with `WITH (FORCE)` (13 and later; before, the run's leftover sessions are
ended first). A PostgreSQL database gets the extensions of the given one (hstore, pg_trgm,
postgis: migrations may need them, and the user may not have the right to add them; one it
cannot add is named in the note); a MySQL database gets its character set and collation.

When the database cannot be created (the user may not create databases, the server does not
answer, no driver), the run uses the given database as it is, and says so in one line of the
report: never silently. Only a database this run created is ever dropped. An SQLite URL is not
used: every run already has a new SQLite file in its temporary folder. The password of the URL
is never shown.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from fixer.redaction import mask_text, split_userinfo
from fixer.verify_process import Process

#: what marks a database verify made (`<name>_djfix_<8 hex>`)
SCRATCH_MARK = "_djfix_"
#: PostgreSQL's longest name (NAMEDATALEN - 1 bytes); MySQL allows 64 characters
NAME_LIMIT = 63
#: seconds the interpreter may take to create or drop the database
SERVER_TIMEOUT = 90

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_ENV = "DJFIX_DATABASE"

# Runs in the project's interpreter (any Python Django ran on, 2.7 included: no f-strings).
# The connection spec comes in the environment, never on the command line.
_SCRIPT = r"""
import json, os, re, sys, time

spec = json.loads(os.environ.pop("DJFIX_DATABASE"))
engine, name, given = spec["engine"], spec["name"], spec["given"]
if engine == "mysql":
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        try:
            import pymysql
            pymysql.install_as_MySQLdb()
        except ImportError:
            pass
from django.conf import settings


def config(database):
    return {
        "ENGINE": "django.db.backends." + engine,
        "NAME": database,
        "USER": spec["user"],
        "PASSWORD": spec["password"],
        "HOST": spec["host"],
        "PORT": spec["port"],
    }


names = ["postgres", given, "template1"] if engine == "postgresql" else [""]
names = [n for i, n in enumerate(names) if (n or engine == "mysql") and n not in names[:i]]
databases = dict(("maintenance%d" % i, config(n)) for i, n in enumerate(names))
databases["default"] = config(names[0])
if engine == "postgresql" and given:
    databases["given"] = config(given)  # its extensions, for the new database
databases["scratch"] = config(name)
settings.configure(DATABASES=databases)
from django.db import connections


def fail(kind, exc):
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    print("DJFIX-DATABASE-ERROR %s %s" % (kind, (lines[0] if lines else type(exc).__name__)[:300]))
    sys.exit(1)


def denied(exc):
    for error in (exc, getattr(exc, "__cause__", None)):
        if error is None:
            continue
        code = getattr(error, "pgcode", None) or getattr(error, "sqlstate", None)
        args = getattr(error, "args", ())
        if code == "42501" or (args and args[0] in (1044, 1227)):
            return True
    text = str(exc).lower()
    return "permission denied" in text or "access denied" in text


connection, first = None, None
for alias in sorted(a for a in databases if a.startswith("maintenance")):
    try:
        connections[alias].ensure_connection()
        connection = connections[alias]
        break
    except Exception as exc:
        first = first or exc
if connection is None:
    fail("connect", first)


def execute(sql, params=None, on=None):
    cursor = (on or connection).cursor()
    try:
        cursor.execute(sql, params)
    finally:
        cursor.close()


def query(sql, params=None, on=None):
    cursor = (on or connection).cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


quoted = connection.ops.quote_name(name)
if spec["action"] == "create":
    sql = "CREATE DATABASE " + quoted
    if engine == "mysql" and given:
        try:
            rows = query(
                "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                [given],
            )
        except Exception:
            rows = []
        if rows and all(re.match(r"^\w+$", v or "") for v in rows[0]):
            sql += " CHARACTER SET %s COLLATE %s" % tuple(rows[0])
    try:
        execute(sql)
    except Exception as exc:
        fail("permission" if denied(exc) else "create", exc)
    if "given" in databases:
        # the extensions someone added to the given database (hstore, pg_trgm, postgis):
        # migrations may need them and the user may not have the right to add them
        try:
            extensions = query(
                "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1",
                on=connections["given"],
            )
        except Exception:
            extensions = []
        for (extension,) in extensions:
            try:
                execute(
                    'CREATE EXTENSION IF NOT EXISTS "%s"' % extension.replace('"', '""'),
                    on=connections["scratch"],
                )
            except Exception as exc:
                lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
                print("DJFIX-DATABASE-NOTE %s: %s" % (extension, (lines or ["?"])[0][:200]))
        for alias in ("given", "scratch"):
            connections[alias].close()
else:
    for attempt in range(5):
        try:
            if engine == "postgresql":
                if int(query("SHOW server_version_num")[0][0]) >= 130000:
                    execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % quoted)
                else:
                    query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        [name],
                    )
                    execute("DROP DATABASE IF EXISTS " + quoted)
            else:
                execute("DROP DATABASE IF EXISTS " + quoted)
            break
        except Exception as exc:
            if attempt == 4:
                fail("drop", exc)
            time.sleep(1)
print("DJFIX-DATABASE ok")
"""


@dataclass
class RunDatabase:
    """The database one run uses."""

    url: str | None  # what the run's steps get (None: verify's own SQLite file)
    created: str = ""  # the database made for this run, dropped at its end
    reused: str = ""  # why the given database is used as it is ("" when it is not)
    note: str = ""  # the one line the report carries ("" when there is nothing to say)


def engine_of(url: str) -> str:
    """postgresql, mysql or sqlite: the kind of server a URL names."""
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith(("postgres", "pgsql", "psql")):
        return "postgresql"
    if scheme.startswith("mysql"):
        return "mysql"
    return "sqlite"


def _split(url: str) -> tuple[str, str, str, str, str]:
    """(scheme://, user-info, host[:port], /path, ?query#fragment); the user-info may hold
    raw `/ ? # @ :` (see fixer.redaction)."""
    parts = split_userinfo(url)
    if parts is not None:
        scheme, userinfo, rest = parts
        rest = rest[1:]  # the `@`
    else:
        found = _SCHEME.match(url)
        scheme = found.group(0) if found else ""
        userinfo, rest = "", url[len(scheme) :]
    host, path, tail = re.match(r"([^/?#]*)([^?#]*)(.*)", rest, re.S).groups()
    return scheme, userinfo, host, path, tail


def connection_spec(url: str) -> dict[str, str]:
    """The pieces of a server URL: engine, user, password, host, port, given (the database)."""
    _, userinfo, host, path, _ = _split(url)
    user, _, password = userinfo.partition(":")
    hostname, port = host, ""
    found = re.match(r"^(\[[^\]]*\]|[^:]*)(?::(\d*))?$", host)
    if found:
        hostname, port = found.group(1).strip("[]"), found.group(2) or ""
    return {
        "engine": engine_of(url),
        "user": unquote(user),
        "password": unquote(password),
        "host": hostname,
        "port": port,
        "given": unquote(path.lstrip("/")),
    }


def scratch_name(given: str, token: str) -> str:
    """`<given>_djfix_<token>`: lower case letters, digits and `_` only, at most NAME_LIMIT
    characters (the given name is cut, the mark and the token are kept)."""
    stem = re.sub(r"[^a-z0-9_]+", "_", given.lower()).strip("_")
    stem = stem[: NAME_LIMIT - len(SCRATCH_MARK) - len(token)].rstrip("_")
    return f"{stem}{SCRATCH_MARK}{token}" if stem else f"djfix_{token}"


def with_database(url: str, name: str) -> str:
    """`url` naming the database `name` instead: user-info, host, port and query kept as they
    are written."""
    scheme, userinfo, host, _, tail = _split(url)
    return f"{scheme}{userinfo + '@' if userinfo else ''}{host}/{quote(name, safe='')}{tail}"


def server_label(url: str) -> str:
    """`<database> on <host>:<port>`, without credentials."""
    spec = connection_spec(url)
    where = spec["host"] + (f":{spec['port']}" if spec["port"] else "")
    return f"{spec['given'] or '(no database)'} on {where}"


def _hide(text: str, password: str) -> str:
    if password:
        text = text.replace(password, "***").replace(quote(password, safe=""), "***")
    return mask_text(text)


def _server(
    action: str, url: str, name: str, python: str, cwd: Path, env: dict[str, str]
) -> tuple[bool, str, str]:
    """Create or drop `name` on the server of `url`: (done, kind of failure, message); when
    done, the message names the given database's extensions the new one could not get."""
    spec = connection_spec(url)
    spec.update(action=action, name=name)
    child_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
    child_env[_ENV] = json.dumps(spec)
    process = Process([python, "-c", _SCRIPT], cwd, child_env)
    try:
        code = process.wait(SERVER_TIMEOUT)
    finally:
        output = process.stop()  # a Ctrl-C while it runs leaves no child behind
    if code == 0 and "DJFIX-DATABASE ok" in output:
        missing = re.findall(r"^DJFIX-DATABASE-NOTE (.*)$", output, re.M)
        return True, "", _hide("; ".join(missing), spec["password"])
    found = re.search(r"^DJFIX-DATABASE-ERROR (\w+) (.*)$", output, re.M)
    if found:
        return False, found.group(1), _hide(found.group(2), spec["password"])
    if code is None:
        return False, "timeout", f"no answer within {SERVER_TIMEOUT} s"
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    last = lines[-1][:300] if lines else f"exit status {code}"
    return False, "error", _hide(last, spec["password"])


#: what Django says where the server's driver is not installed
_NO_DRIVER = re.compile(
    r"Error loading (?:psycopg|MySQLdb)|No module named '?(?:psycopg|MySQLdb|pymysql)"
    r"|Did you install mysqlclient"
)


def _no_driver(message: str) -> bool:
    return bool(_NO_DRIVER.search(message or ""))


def _why(kind: str, message: str) -> str:
    return "permission denied" if kind == "permission" else message


@contextmanager
def run_database(
    given: str | None,
    *,
    used: bool,
    python: str,
    cwd: Path,
    env: dict[str, str],
    stem: str | None = None,
) -> Iterator[RunDatabase]:
    """The database of one run: a new one on the server of `given` while the block runs,
    dropped when it ends (however it ends). `used`: the settings take the URL (when they fix
    DATABASES, nothing is created). `env` is the run's base environment (PATH, PYTHONPATH).
    `stem`: what the new database's name starts with (the given database's name when None;
    another alias's database names its alias)."""
    if not given:
        yield RunDatabase(None)
        return
    if engine_of(given) == "sqlite":
        yield RunDatabase(
            None,
            note="the SQLite database of --database-url is not used: the run has a new SQLite "
            "file in its temporary folder",
        )
        return
    if not used:
        yield RunDatabase(given)
        return
    label = server_label(given)
    name = scratch_name(stem or connection_spec(given)["given"], secrets.token_hex(4))
    try:
        done, kind, message = _server("create", given, name, python, cwd, env)
    except BaseException:
        # interrupted while it ran: the name is this run's own (a random suffix), so a
        # database of that name is one it created
        _server("drop", given, name, python, cwd, env)
        raise
    if not done and _no_driver(message):
        # the interpreter has no driver for the server: a run on it could not even load the
        # settings' database backend, so every run (before and after a change alike) uses the
        # SQLite file of its temporary folder
        yield RunDatabase(
            None,
            note=f"--database-url is not used: the interpreter has no {engine_of(given)} driver "
            f"for {label} ({message}); the run uses a new SQLite file in its temporary folder "
            "(install the driver to run on the server)",
        )
        return
    if not done:
        if kind == "timeout":
            # the server may still finish the CREATE it was asked for: a database of this
            # run's name is this run's
            _server("drop", given, name, python, cwd, env)
        why = _why(kind, message)
        yield RunDatabase(
            given,
            reused=why,
            note=f"the run reuses the database {label} as it is (it may not be empty): it "
            f"could not create a scratch database there ({why})",
        )
        return
    where = label.split(" on ", 1)[1]
    lacking = f" (without extensions of the given database: {message})" if message else ""
    database = RunDatabase(
        with_database(given, name),
        created=name,
        note=f"the run used a new, empty database {name} on {where}, dropped at its end" + lacking,
    )
    try:
        yield database
    finally:
        done, kind, message = _server("drop", given, name, python, cwd, env)
        if not done:
            database.note = (
                f"the run used a new database {name} on {where} and could not drop it "
                f"({_why(kind, message)}): drop it by hand"
            )
