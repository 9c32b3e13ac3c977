"""What `djfix verify` runs the project with: the environment its settings read, and the app
server command its Dockerfile names.

The environment holds ONLY the variables the production settings read (found statically by
discovery), filled from the project's `.env.example` where it has them, with these overrides:
a generated SECRET_KEY (whatever its variable is called), DEBUG off, ALLOWED_HOSTS naming
127.0.0.1 and localhost (each written the way the settings parse it: `0` for an int read, hosts
split on spaces for `.split(" ")`), a throwaway database (an SQLite file in the work folder, or
the URL of the database `fixer.verify_database` made for the run on the server the user named;
a note says when fixed settings leave the URL unused, or when the SQLite file stands in for the
server database the settings are made for; the other DATABASES aliases get theirs from
`fixer.verify_aliases`), and every
cache, broker, result backend or search service on a closed loopback port. A URL value that
names any other host is pointed at a closed loopback port too, so a run never contacts anything
but this machine. The user's `.env` is never read.
"""

from __future__ import annotations

import ast
import re
import secrets
import shlex
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from fixer.analysis.app_server import app_modules
from fixer.analysis.image import copy_words, final_workdir, is_web_server_image, stage_chain
from fixer.analysis.required_settings import required_variables
from fixer.analysis.variables import numeric_variables
from fixer.fixes.item01_server import server_choice
from fixer.parsers.commands import server_invocations
from fixer.parsers.dockerfile import Dockerfile, Instruction
from fixer.parsers.shell import ScriptCommand, split_shell
from fixer.project import ProjectModel, database_url_by_name, database_url_reads, settings_chain
from fixer.settings_values import EnvDict, EnvRef, Unknown

#: a loopback port nothing listens on (port 1, tcpmux, is never served here)
CLOSED_HOST = "127.0.0.1"
CLOSED_PORT = 1
#: the environment files verify reads placeholders from, first found wins
EXAMPLE_FILES = (".env.example", ".env.sample", ".env.template", ".env.dist", "env.example")
#: variables a startup-probe module reads from the environment (not through the settings)
CONTROL_VARIABLES = ("STARTUP_CHECKS", "STARTUP_CHECK_TIMEOUT")

_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|API_?KEY|DSN|CREDENTIAL", re.I)
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
_CLOSED_URLS = {
    "redis": "redis://127.0.0.1:1/0",
    "rabbitmq": "amqp://127.0.0.1:1//",
    "elasticsearch": "http://127.0.0.1:1",
    "memcached": "127.0.0.1:1",
}
_DB_KEYS = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")
_DEFAULT_DB_PORTS = {"postgresql": 5432, "mysql": 3306}
_URL_SCHEMES = {"postgresql": "postgres", "mysql": "mysql"}


@dataclass
class Variable:
    """One variable the settings read, with what discovery knows of it."""

    name: str
    settings: list[tuple[str, ...]] = field(default_factory=list)  # where its value lands
    cast: str | None = None
    has_default: bool = False
    #: what a list read splits the value on (`.split(" ")`, `.split()`): a run writes a list
    #: the same way; django-environ's, decouple's Csv and environs' lists take commas
    separator: str = ","
    #: what the project's own bool reader takes as False ("False" for `v == "True"`), if any
    false_text: str | None = None
    #: some read parses the text as a number (`int(...)`, `int(...) == 1`), also one a later
    #: module overrides (a base module's line still runs at import): a false value is "0"
    numeric: bool = False
    #: the settings raise when it is unset or empty (`if not HOSTS: raise ...`), default or not
    required: bool = False
    #: every read runs only where the variable is set (`if "X" in os.environ: X = ...`): a
    #: run leaves it unset, as a deployment that does not use it does
    only_where_set: bool = False
    #: every read lands as one item of a list (`ALLOWED_HOSTS = [env("HOST")]`): a run writes
    #: one value, not a list it would take whole as a single item
    one_item: bool = False


@dataclass
class Database:
    """How the run reaches the database, and whether verify can swap it."""

    kind: str  # "url" (one variable holds a URL), "piecewise" (DB_HOST & co), "fixed"
    variable: str | None = None  # the URL variable
    parts: dict[str, str] = field(default_factory=dict)  # DATABASES key -> variable
    engine: str | None = None  # discovery's service kind: postgresql, mysql, sqlite...
    runnable: bool = True  # can steps 3-5 get a throwaway database
    reason: str = ""  # why not
    network: bool = False  # a server database (step 6 can take it down)
    alias: str = "default"  # the DATABASES alias (`fixer.verify_aliases` finds the others)
    #: the URL variable is known by its name only (DATABASES is computed by code djfix does
    #: not follow, `DATABASES = setup_database()`): the run asks the settings whether they
    #: took it before it migrates or serves
    by_name: bool = False


@dataclass
class RunEnv:
    """The environment of a verify run."""

    values: dict[str, str]  # the project's variables (only what the settings read)
    variables: dict[str, Variable]
    database: Database
    secrets: list[str]  # values never shown
    shown: dict[str, str]  # name -> what `commands` export (placeholders for secrets)
    notes: list[str] = field(default_factory=list)
    probes: bool = False  # the project reads STARTUP_CHECKS
    # the services other than the database whose variables point at a closed port in this run
    # (their kinds: redis, rabbitmq...): what "pages with ... down" names
    down: list[str] = field(default_factory=list)
    #: set when an SQLite file stands in for the server database the settings are made for:
    #: the note that says so (what apply repeats beside steps failing before and after)
    stand_in: str = ""
    #: the aliases besides 'default' the run gave a database of its own (fixer.verify_aliases)
    others: list[Database] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# What the settings read
# ---------------------------------------------------------------------------------------------


def _walk(
    value: Any,
    path: tuple[str, ...],
    out: list[tuple[tuple[str, ...], EnvRef]],
    items: set[int] | None = None,
) -> None:
    """The reads in `value`, with the setting path each lands in; `items`: the indexes in
    `out` of the reads that land as one item of a list (`[env("HOST")]`), not the whole value."""
    if isinstance(value, EnvRef):
        out.append((path, value))
    elif isinstance(value, EnvDict):
        out.append((path, value.ref))
        for key, item in list(value.items())[:200]:
            _walk(item, (*path, str(key)), out, items)
    elif isinstance(value, dict):
        for key, item in list(value.items())[:200]:
            _walk(item, (*path, str(key)), out, items)
    elif isinstance(value, (list, tuple, set)):
        for item in list(value)[:200]:
            start = len(out)
            _walk(item, path, out, items)
            if items is not None and isinstance(item, EnvRef):
                items.update(range(start, len(out)))


def _ref_name(ref: EnvRef) -> str | None:
    if ref.var:
        return ref.var
    if ref.cast == "db" or ref.api.startswith("dj"):
        return "DATABASE_URL"  # dj_database_url.config() / env.db() without a name
    return None


def settings_variables(project: ProjectModel) -> dict[str, Variable]:
    """Every variable the production settings module (and what it star-imports) reads."""
    production = project.settings_modules.get(project.production_module) or project.settings
    seen = settings_chain(project)
    found: dict[str, Variable] = {}
    for name, assignment in production.names.items():
        refs: list[tuple[tuple[str, ...], EnvRef]] = []
        items: set[int] = set()
        _walk(assignment.value, (name,), refs, items)
        for index, (path, ref) in enumerate(refs):
            var = _ref_name(ref)
            if var is None:
                continue
            entry = found.setdefault(var, Variable(var))
            entry.one_item = (not entry.settings or entry.one_item) and index in items
            entry.settings.append(path)
            read = dict(ref.kwargs)
            # `bool(int(...))` parses the text as a number first: its value is written as one
            entry.cast = entry.cast or read.get("parse") or ref.cast
            entry.has_default = entry.has_default or ref.has_default
            if ref.helper is not None and ref.cast == "bool":
                entry.false_text = entry.false_text or ref.helper.false_spelling
            if "split" in read:
                entry.separator = read["split"] if read["split"] is not None else " "
    for var in numeric_variables(project):
        found.setdefault(var, Variable(var)).numeric = True
    guarded: dict[str, bool] = {}  # variable -> every read of it runs only where it is set
    for dotted in seen:
        module = project.settings_modules.get(dotted)
        for use in module.env_uses if module else []:
            if not use.var or use.var == "DJANGO_SETTINGS_MODULE":
                continue
            # a read inside an expression (`bool(strtobool(os.environ.get("DEBUG") or ...))`,
            # a helper's argument): its own cast and default still say what it accepts and
            # whether it is optional, and its setting what the run must give it
            entry = found.setdefault(use.var, Variable(use.var))
            if use.setting and not entry.settings:
                entry.settings.append((use.setting,))
                entry.one_item = use.one_item
            if use.ref is not None:
                entry.cast = entry.cast or use.ref.cast
                entry.has_default = entry.has_default or use.ref.has_default
            # a read with a default (the test `os.getenv("X")` itself) needs no value
            optional = use.guarded or (use.ref is not None and use.ref.has_default)
            guarded[use.var] = guarded.get(use.var, True) and optional
    for var, only in guarded.items():
        found[var].only_where_set = only
    for var in required_variables(project):
        found.setdefault(var, Variable(var)).required = True
    return found


def read_example(root: Path) -> dict[str, str]:
    """KEY=value pairs of the project's `.env.example` (never `.env`)."""
    for name in EXAMPLE_FILES:
        path = root / name
        if path.is_file() and not path.is_symlink():
            try:
                text = path.read_text(encoding="utf-8", errors="replace")[:200_000]
            except OSError:
                return {}
            return parse_env_text(text)
    return {}


def parse_env_text(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if not match:
            continue
        name, value = match.groups()
        quoted = re.match(r"""^(['"])(.*?)\1\s*(?:#.*)?$""", value)
        if quoted:  # `"direct" # a comment`, as dotenv files write it
            value = quoted.group(2)
        else:
            value = re.sub(r"\s+#.*$", "", value)
        out[name] = value
    return out


# ---------------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------------


def _database(project: ProjectModel, variables: dict[str, Variable]) -> Database:
    service = next((s for s in project.services if s.role == "database"), None)
    engine = service.kind if service else None
    url_var = None
    parts: dict[str, str] = {}
    for var in variables.values():
        for path in var.settings:
            # another alias's URL (DATABASES['legacy'] = env.db("LEGACY_DATABASE_URL")) or
            # pieces are its own: `fixer.verify_aliases`
            if path[:1] != ("DATABASES",) or (len(path) >= 2 and path[1] != "default"):
                continue
            if len(path) == 2 and var.cast in ("db", None):
                url_var = url_var or var.name
            elif len(path) == 3 and path[2] in _DB_KEYS:
                parts[path[2]] = var.name
    named = variables.get(service.env_var) if service and service.env_var else None
    if url_var is None and named is not None and named.cast == "db" and not parts:
        url_var = named.name
    if url_var is None:
        # a URL read in a branch the static value does not show (the settings' last
        # assignment is another branch's): setting it chooses that branch
        others = {
            v.name
            for v in variables.values()
            if all(
                p[:1] == ("DATABASES",) and len(p) >= 2 and p[1] != "default" for p in v.settings
            )
            and v.settings
        }
        url_var = next((v for v in database_url_reads(project) if v not in others), None)
    if url_var:
        return Database("url", url_var, engine=engine)
    if parts:
        db = Database("piecewise", None, parts, engine)
        if "ENGINE" not in parts and engine not in (None, "sqlite") and "NAME" in parts:
            db.runnable = False
            where = project.settings.where("DATABASES")
            chosen = (
                f"with the ENGINE a condition of the settings chooses ({engine} in the last branch)"
                if where is not None and where.conditional
                else f"with a fixed {engine} ENGINE"
            )
            db.reason = (
                f"the settings read the database piece by piece ({', '.join(parts.values())}) "
                f"{chosen}: pass --database-url {engine}://... (an empty database) to run this "
                "step"
            )
        return db
    by_name = database_url_by_name(project)
    if by_name is not None and by_name in variables:
        return Database("url", by_name, engine=engine, by_name=True)
    db = Database("fixed", None, engine=engine)
    if engine not in (None, "sqlite"):
        db.runnable = False
        db.reason = (
            "DATABASES is written in the settings (no variable): verify cannot give it a "
            "throwaway database"
        )
    return db


def database_of(project: ProjectModel, variables: dict[str, Variable]) -> Database:
    """How the run reaches DATABASES['default'] (see `_database`)."""
    return _database(project, variables)


def _refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return True
    return False


def _closed_host(port: int) -> str:
    """A loopback address where nothing listens on `port` (the whole of 127/8 is loopback)."""
    for last in range(2, 40):
        host = f"127.0.0.{last}"
        if _refused(host, port):
            return host
    return "127.0.0.2"


def _url_parts(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


def _engine_of(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme.startswith(("postgres", "pgsql", "psql")):
        return "django.db.backends.postgresql"
    if scheme.startswith("mysql"):
        return "django.db.backends.mysql"
    return "django.db.backends.sqlite3"


def fixed_sqlite(db: Database) -> bool:
    """Whether the production settings fix the default database's ENGINE to SQLite (no
    variable chooses another engine)."""
    return db.engine == "sqlite" and (
        db.kind == "fixed" or (db.kind == "piecewise" and "ENGINE" not in db.parts)
    )


def database_url_used(project: ProjectModel, database_url: str) -> bool:
    """Whether a run's settings take `database_url` (a URL variable, or DB_HOST & co); not when
    they fix DATABASES, or fix it to SQLite."""
    db = _database(project, settings_variables(project))
    return db.kind in ("url", "piecewise") and not (
        fixed_sqlite(db) and not database_url.lower().startswith("sqlite")
    )


def database_url_note(db: Database, database_url: str | None) -> str | None:
    """Why `--database-url` is not used, when it is not: never ignored silently."""
    if not database_url or db.kind == "url":
        return None
    if fixed_sqlite(db):
        return (
            "--database-url is not used: the production settings fix DATABASES['default'] "
            "to SQLite (its ENGINE is written in the settings, no variable chooses another): "
            "the run uses the SQLite database the settings name, in verify's copy of the "
            "project"
        )
    if db.kind == "fixed":
        return (
            "--database-url is not used: DATABASES is written in the production settings "
            "(no variable points it at another database)"
        )
    return None


def sqlite_stand_in_note(db: Database, database_url: str | None) -> str | None:
    """Said when the run gives an SQLite file to settings made for a database server: a step
    may fail on what SQLite lacks (a CharField without max_length is fields.E120 there, not on
    PostgreSQL), which the project's own database would pass."""
    if database_url or db.kind not in ("url", "piecewise") or not db.runnable:
        return None
    if db.engine not in _DEFAULT_DB_PORTS:
        return None
    return (
        f"the settings are made for {db.engine} and this run gives them an SQLite file: a "
        f"step may fail on what SQLite lacks; pass --database-url {_URL_SCHEMES[db.engine]}"
        "://... (an empty database on this machine) to run on the project's own engine"
    )


def database_values(
    db: Database, sqlite_path: Path, database_url: str | None
) -> tuple[dict[str, str], str | None]:
    """The variables that give the run its throwaway database; (values, why not runnable)."""
    if database_url and fixed_sqlite(db):
        database_url = None  # an SQLite ENGINE cannot take a server's URL pieces
    if db.kind == "url" and db.variable and db.by_name and not database_url:
        # the project parses the URL itself, maybe not an SQLite one: without a server's URL
        # the settings keep the database they compute (the run asks which it is)
        return {}, None
    if db.kind == "url" and db.variable:
        return {db.variable: database_url or f"sqlite:///{sqlite_path}"}, None
    if db.kind != "piecewise":
        return {}, (db.reason or None) if not db.runnable else None
    values: dict[str, str] = {}
    if database_url:
        pieces = _url_parts(database_url)
        pieces["ENGINE"] = _engine_of(database_url)
        for key, var in db.parts.items():
            values[var] = pieces.get(key, "")
        return values, None
    if db.runnable:
        for key, var in db.parts.items():
            if key == "ENGINE":
                values[var] = "django.db.backends.sqlite3"
            elif key == "NAME":
                values[var] = str(sqlite_path)
        return values, None
    for key, var in db.parts.items():
        values[var] = {"HOST": CLOSED_HOST, "PORT": str(CLOSED_PORT), "PASSWORD": ""}.get(
            key, "verify"
        )
    return values, db.reason


def unreachable_database(db: Database, database_url: str) -> dict[str, str]:
    """The variables that point the database at a closed loopback port, keeping the user and
    password of `database_url` (so step 6 can show they never leak)."""
    parts = urlsplit(database_url)
    user = parts.username or "verify"
    password = parts.password or ("pw-" + secrets.token_hex(12))
    if db.kind == "url" and db.variable:
        netloc = f"{user}:{password}@{CLOSED_HOST}:{CLOSED_PORT}"
        return {db.variable: urlunsplit(parts._replace(netloc=netloc))}
    values: dict[str, str] = {}
    port_var = db.parts.get("PORT")
    engine = (db.engine or "postgresql").split(".")[-1]
    default_port = _DEFAULT_DB_PORTS.get(engine, 5432)
    for key, var in db.parts.items():
        if key == "HOST":
            values[var] = CLOSED_HOST if port_var else _closed_host(default_port)
        elif key == "PORT":
            values[var] = str(CLOSED_PORT)
        elif key == "PASSWORD":
            values[var] = password
        elif key == "USER":
            values[var] = user
        elif key == "ENGINE":
            values[var] = _engine_of(database_url)
        elif key == "NAME":
            values[var] = _url_parts(database_url)["NAME"] or "verify"
    return values


# ---------------------------------------------------------------------------------------------
# The environment
# ---------------------------------------------------------------------------------------------


def _closed_url(value: str) -> str:
    """`value` with its host moved to the closed loopback port; credentials dropped."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return value
    if not parts.scheme or not parts.netloc:
        return value
    return urlunsplit(parts._replace(netloc=f"{CLOSED_HOST}:{CLOSED_PORT}"))


def _leaves_machine(value: str) -> bool:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    return bool(parts.scheme and host and host.lower() not in _LOOPBACK)


def _placeholder(var: Variable) -> str:
    if var.cast in ("int", "float") or (var.numeric and var.cast in (None, "bool")):
        return "0"
    if var.cast == "bool":
        return "False"
    if var.cast in ("list", "tuple", "dict"):
        return ""
    if var.cast == "json":
        return "null"
    return "verify-placeholder"


#: a variable a run must give a private key: the code loads it (PEM) to sign with
_PRIVATE_KEY_NAME = re.compile(r"(^|_)PRIVATE_KEY$", re.I)


def private_key_pem() -> str | None:
    """A new 2048-bit RSA private key in PEM, made for this run only (openssl); None where
    openssl is missing or fails."""
    try:
        done = subprocess.run(
            ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return text + "\n" if done.returncode == 0 and text.startswith("-----BEGIN") else None


def hosts_variable_by_name(project: ProjectModel, variables: dict[str, Variable]) -> str | None:
    """The variable a call of the project's own helper reads ALLOWED_HOSTS from, by the name it
    is passed (`ALLOWED_HOSTS = extract_comma_list("ALLOWED_HOSTS", "")`), when discovery
    cannot follow the helper and no variable it knows lands in ALLOWED_HOSTS; else None. The
    run reads the hosts back from the settings, so a wrong guess is seen, not trusted."""
    if any(_setting_of(var, "ALLOWED_HOSTS") for var in variables.values()):
        return None
    value = project.settings.get("ALLOWED_HOSTS")
    if not isinstance(value, Unknown):
        return None
    try:
        call = ast.parse(value.expr, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    if not isinstance(call, ast.Call):
        return None
    names = [
        arg.value
        for arg in call.args[:1]
        if isinstance(arg, ast.Constant)
        and isinstance(arg.value, str)
        and re.fullmatch(r"(?:[A-Z][A-Z0-9]*_)*ALLOWED_HOSTS|(?:[A-Z][A-Z0-9]*_)*HOSTS", arg.value)
    ]
    return names[0] if names else None


def _setting_of(var: Variable, name: str) -> bool:
    return any(path[:1] == (name,) for path in var.settings)


def mentions_probes(source_root: Path) -> bool:
    """Whether the project's code reads STARTUP_CHECKS (a startup-probe module)."""
    count = 0
    for path in sorted(source_root.rglob("*.py")):
        parts = set(path.relative_to(source_root).parts)
        if parts & {".venv", "venv", "node_modules", ".tox", "site-packages"}:
            continue
        count += 1
        if count > 3000:
            break
        try:
            if "STARTUP_CHECKS" in path.read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            continue
    return False


def build_env(
    project: ProjectModel,
    sqlite_path: Path,
    database_url: str | None = None,
    shown_url: str | None = None,
) -> RunEnv:
    """The project's variables for a verify run (see the module docstring). `shown_url` is
    the database URL the reviewer's commands name, when the run uses another (a scratch
    database made from it, `fixer.verify_database`)."""
    variables = settings_variables(project)
    example = read_example(project.root)
    db = _database(project, variables)
    values: dict[str, str] = {}
    shown: dict[str, str] = {}
    secret_values: list[str] = []
    notes: list[str] = []
    for var in variables.values():
        # a variable with a default in the settings keeps it: that is the production value,
        # where `.env.example` often holds a developer's (SESSION_COOKIE_SECURE=False)
        if (var.has_default or var.only_where_set) and not var.required:
            continue
        values[var.name] = example[var.name] if var.name in example else _placeholder(var)
        if values[var.name] == "verify-placeholder" and _PRIVATE_KEY_NAME.search(var.name):
            # a signing key the code loads at start (`load_pem_private_key`): text fails there
            pem = private_key_pem()
            if pem is not None:
                values[var.name] = pem
                secret_values.append(pem)
    for var in variables.values():
        if _setting_of(var, "SECRET_KEY"):
            key = secrets.token_urlsafe(50)
            values[var.name] = key
            secret_values.append(key)
            shown[var.name] = "\"$(python -c 'import secrets; print(secrets.token_urlsafe(50))')\""
        elif _setting_of(var, "DEBUG"):
            values[var.name] = (
                var.false_text
                if var.false_text is not None
                else "0"
                if var.cast == "int" or var.numeric
                else "False"
            )
        elif _setting_of(var, "ALLOWED_HOSTS"):
            # written the way the read takes it apart: `.split(" ")` needs spaces
            values[var.name] = (
                "127.0.0.1"
                if var.one_item and var.cast not in ("list", "tuple", "json")
                else '["127.0.0.1", "localhost"]'
                if var.cast == "json"
                else var.separator.join(["127.0.0.1", "localhost"])
            )
    hosts_var = hosts_variable_by_name(project, variables)
    if hosts_var is not None and hosts_var not in values:
        # one host: whatever the project's helper splits on, it is the whole list
        values[hosts_var] = "127.0.0.1"
    db_values, _ = database_values(db, sqlite_path, database_url)
    values.update(db_values)
    shown_db = database_values(db, sqlite_path, shown_url)[0] if shown_url else db_values
    stand_in = sqlite_stand_in_note(db, database_url)
    url_note = database_url_note(db, database_url) or stand_in
    if url_note:
        notes.append(url_note)
    db.network = bool(
        database_url and not database_url.lower().startswith("sqlite") and not fixed_sqlite(db)
    )
    for url in (database_url, shown_url):
        password = urlsplit(url).password if url else None
        if password:
            secret_values.append(password)
            secret_values.append(unquote(password))
    down: list[str] = []
    for service in project.services:
        if service.role == "database":
            continue
        if service.env_var and service.env_var in variables:
            closed = _CLOSED_URLS.get(service.kind)
            current = values.get(service.env_var) or closed or ""
            values[service.env_var] = closed or _closed_url(current)
            if service.kind not in down:
                down.append(service.kind)
        elif not service.env_var:
            # a literal location is written in the settings; without one the value is built
            # there (an f-string of RABBITMQ_HOST, RABBITMQ_PORT...), from no single variable
            how = (
                f"is written in the settings ({service.location})"
                if service.location
                else "is built in the settings, not read from one variable"
            )
            notes.append(f"{service.setting} {how}: verify cannot move it to a closed port")
    for name, value in list(values.items()):
        if name in db_values:
            continue
        if _leaves_machine(value):
            values[name] = _closed_url(value)
    for name, value in values.items():
        # a short placeholder ("none", "x") would mask ordinary words in the output
        if _SECRET_NAME.search(name) and len(value) >= 6 and name not in shown:
            secret_values.append(value)
    env = RunEnv(values, variables, db, [s for s in secret_values if s], shown, notes, down=down)
    env.stand_in = stand_in or ""
    env.probes = "STARTUP_CHECKS" in variables or mentions_probes(project.source_root)
    for name, value in values.items():
        if name in env.shown:
            continue
        # quoted like every value: a bare <...> would be a redirection to the shell
        if name in db_values and database_url and urlsplit(database_url).password:
            env.shown[name] = shlex.quote(
                mask_secret(shown_db.get(name, value), env.secrets, "<password>")
            )
        elif name in db_values and shown_url:
            env.shown[name] = shlex.quote(shown_db.get(name, value))
        elif _SECRET_NAME.search(name) and value and value in env.secrets:
            env.shown[name] = shlex.quote("<" + name.lower() + ">")
        else:
            env.shown[name] = shlex.quote(value)
    return env


def mask_secret(text: str, values: list[str], mask: str = "***") -> str:
    """`text` with every value of `values` replaced by `mask`, longest first."""
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        text = text.replace(value, mask)
    return text


# ---------------------------------------------------------------------------------------------
# The app server
# ---------------------------------------------------------------------------------------------

RUNNABLE_SERVERS = ("gunicorn", "uvicorn", "daphne", "hypercorn", "runserver")
_BIND_OPTIONS = {
    # options dropped (True: they take a value) before verify adds its own loopback bind
    "gunicorn": {"-b": True, "--bind": True, "--chdir": True, "-D": False, "--daemon": False},
    "uvicorn": {"--host": True, "--port": True, "--uds": True, "--fd": True},
    "daphne": {
        "-b": True,
        "--bind": True,
        "-p": True,
        "--port": True,
        "-u": True,
        "--unix-socket": True,
        "--fd": True,
        "-e": True,
        "--endpoint": True,
    },
    "hypercorn": {"-b": True, "--bind": True},
}


@dataclass
class ServerCommand:
    """The app server a step starts: as the project writes it, and as verify runs it."""

    server: str | None  # gunicorn, uvicorn, daphne, hypercorn, runserver; None: none found
    args: list[str]  # the server's own arguments as written (program name dropped)
    origin: str  # where it comes from, for the step's note
    problem: str = ""  # why verify cannot run it
    #: the installed gunicorn has no __main__ (before 20.1): `python -m gunicorn` cannot start
    #: it, its entry point can
    no_module_main: bool = False

    def argv(self, python: str, manage: Path | None, port: int) -> list[str]:
        """The command with the project's interpreter and a loopback bind on `port`."""
        if self.server == "runserver":
            kept = [a for a in self.args if a.startswith("-") and a != "--noreload"]
            target = [str(manage)] if manage else ["-m", "django"]
            return [python, *target, "runserver", "--noreload", *kept, f"127.0.0.1:{port}"]
        assert self.server is not None
        args = drop_options(self.args, _BIND_OPTIONS.get(self.server, {}))
        if self.server == "gunicorn" or self.server == "hypercorn":
            bind = ["--bind", f"127.0.0.1:{port}"]
        elif self.server == "uvicorn":
            bind = ["--host", "127.0.0.1", "--port", str(port)]
        else:
            bind = ["-b", "127.0.0.1", "-p", str(port)]
        if self.server == "gunicorn" and self.no_module_main:
            return [python, "-c", GUNICORN_ENTRY, *args, *bind]
        return [python, "-m", self.server, *args, *bind]


#: what gunicorn's console script (and its __main__, from 20.1 on) runs
GUNICORN_ENTRY = 'import sys; sys.argv[0] = "gunicorn"; from gunicorn.app.wsgiapp import run; run()'


def drop_options(args: list[str], options: dict[str, bool]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in options:
            skip = options[name] and "=" not in arg
            continue
        if any(arg.startswith(o) and len(o) == 2 and len(arg) > 2 for o in options if options[o]):
            continue  # -b0.0.0.0:8000
        out.append(arg)
    return out


def _expand(word: str, variables: dict[str, str]) -> str:
    def replace(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(4)
        value = variables.get(name)
        if m.group(2) in (":-", "-"):
            return value if value else (m.group(3) or "")
        return value if value is not None else ""

    return re.sub(
        r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)",
        replace,
        word,
    )


def _server_from(
    commands: list[ScriptCommand], variables: dict[str, str]
) -> tuple[str, list[str]] | None:
    """(server, args) of the app server `commands` start, looking through `sh -c` and
    launchers (`exec`, `tini --`, `poetry run`): the first one verify can run, else the first
    server of any kind. A script that starts nginx (which forks into the background) or a
    worker before `exec gunicorn` serves the app with gunicorn all the same."""
    found_any: tuple[str, list[str]] | None = None
    scopes = _script_scopes(commands, variables)
    for command, server in server_invocations(commands):
        found = _server_of_command(command, server, scopes.get(id(command), variables))
        if found is None:
            continue
        if found[0] in RUNNABLE_SERVERS:
            return found
        found_any = found_any or found
    return found_any


def _script_scopes(
    commands: list[ScriptCommand], variables: dict[str, str]
) -> dict[int, dict[str, str]]:
    """The variables each command of a script sees (by the command's id): `variables`, then
    what the script assigns before it (`WORKERS="${WORKERS:-3}"`, `export PORT=8000`), so
    `gunicorn --workers $WORKERS` gets the script's own default. Branches are read in order,
    as one path."""
    scope = dict(variables)
    scopes: dict[int, dict[str, str]] = {}
    for command in commands:
        scopes[id(command)] = dict(scope)
        assignments: list[tuple[str, str]] = []
        if not command.argv:
            assignments = list(command.env.items())
        elif command.argv[0] in ("export", "readonly", "declare", "typeset", "local"):
            for word in command.argv[1:]:
                name, eq, value = word.partition("=")
                if eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    assignments.append((name, value))
        for name, value in assignments:
            scope[name] = _expand(value, scope)
    return scopes


def _server_of_command(
    command: ScriptCommand, server: str, variables: dict[str, str]
) -> tuple[str, list[str]] | None:
    argv = command.argv
    if argv and argv[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash", "dash") and "-c" in argv:
        script = " ".join(argv[argv.index("-c") + 1 :])
        inner = _server_from(split_shell(script, command.line), variables)
        if inner is not None:
            return inner
    # the last word from which the server is still found is the program itself
    # (`tini -- gunicorn x`, `python -m gunicorn x`, `exec gunicorn x`)
    found = [
        i
        for i in range(len(argv))
        if server_invocations([ScriptCommand(command.line, command.text, argv[i:])])
    ]
    if not found:
        return None
    tail = argv[found[-1] :]
    if server == "runserver":
        args = tail[tail.index("runserver") + 1 :] if "runserver" in tail else []
    else:
        args = tail[1:]
    return server, [_expand(a, variables) for a in args]


def stage_environment(dockerfile: Dockerfile, stage_name: str | int) -> dict[str, str]:
    """ENV and ARG defaults a stage (and the stages it is built FROM) gives its commands."""
    stage = dockerfile.stage(stage_name)
    chain = []
    while stage is not None and len(chain) < 20:
        chain.append(stage)
        stage = dockerfile.parent(stage)
    variables: dict[str, str] = {k: v for k, v in dockerfile.global_args.items() if v is not None}
    for stage in reversed(chain):
        for inst in stage.instructions:
            if inst.keyword not in ("ENV", "ARG"):
                continue
            try:
                words = shlex.split(inst.value, posix=True)
            except ValueError:
                words = inst.value.split()
            if inst.keyword == "ENV" and words and "=" not in words[0]:
                name, _, rest = inst.value.partition(" ")
                variables[name] = _expand(rest.strip(), variables)
                continue
            for word in words:
                name, eq, value = word.partition("=")
                if eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    variables[name] = _expand(value, variables)
    return variables


def server_command(project: ProjectModel) -> ServerCommand:
    """The API's server command: the root Dockerfile's final stage (CMD, then ENTRYPOINT and
    the script it runs), else the Procfile's `web:` line, else gunicorn with the WSGI module."""
    dockerfile = project.root_dockerfile
    if dockerfile is not None and dockerfile.final_stage is not None:
        stage = dockerfile.final_stage
        variables = stage_environment(dockerfile, stage.index)
        for keyword in ("CMD", "ENTRYPOINT"):
            inst = dockerfile.cmd(stage) if keyword == "CMD" else dockerfile.entrypoint(stage)
            if inst is None:
                continue
            where = f"{dockerfile.path}:{inst.line} {keyword}"
            found = _server_from(_instruction_commands(inst), variables)
            if found is None:
                script = _script_for(project, inst.exec_form or shlex.split(inst.value or ""))
                if script is not None:
                    found, ran = _server_in_script(project, script, variables)
                    where = (
                        f"{ran} (the {keyword})"
                        if ran == script
                        else (f"{ran} (run by {script}, the {keyword})")
                    )
            if found is not None:
                return _checked(ServerCommand(found[0], found[1], where))
        return ServerCommand(
            None,
            [],
            f"{dockerfile.path}",
            f"the final stage of {dockerfile.path} starts no app server verify can run "
            f"({', '.join(RUNNABLE_SERVERS)})",
        )
    for rel, entries in sorted(project.procfiles.items()):
        for entry in entries:
            if entry.process == "web":
                found = _server_from(split_shell(entry.command, entry.line), {})
                if found is not None:
                    return _checked(ServerCommand(found[0], found[1], f"{rel} web"))
    if project.wsgi_application:
        module, _, name = project.wsgi_application.rpartition(".")
        if project.module_path(module) is not None:
            return ServerCommand(
                "gunicorn",
                [f"{module}:{name}"],
                "no Dockerfile: gunicorn with the project's WSGI application",
            )
        # WSGI_APPLICATION names a module that is not there (left from the project template
        # in an ASGI-only project): the server the generated image would start
        choice = server_choice(project)
        if not choice.files:
            server, args = _chosen_server(choice.server, choice.target)
            return ServerCommand(
                server,
                args,
                f"no Dockerfile: {project.wsgi_application} (WSGI_APPLICATION) is no module of "
                f"the project, so {choice.target} as the generated image serves it",
            )
    # no WSGI_APPLICATION (Django then serves get_wsgi_application()): the wsgi.py beside the
    # settings is the one `startproject` wrote and the project's own start commands serve
    module = next((m for m in app_modules(project) if m.rpartition(".")[2] == "wsgi"), None)
    if module is not None:
        return ServerCommand(
            "gunicorn",
            [f"{module}:application"],
            f"no Dockerfile: gunicorn with {module} (WSGI_APPLICATION is not set)",
        )
    return ServerCommand(None, [], "", "no Dockerfile and no WSGI application found")


def _chosen_server(server: str, target: str) -> tuple[str, list[str]]:
    """(server, arguments) verify runs for the generated image's choice (`server_choice`)."""
    if server == "gunicorn-uvicorn":
        return "gunicorn", [target, "--worker-class", "uvicorn.workers.UvicornWorker"]
    return server, [target]


def _instruction_commands(inst: Instruction) -> list[ScriptCommand]:
    if inst.exec_form is not None:
        return [ScriptCommand(inst.line, inst.shell_text(), list(inst.exec_form))]
    return split_shell(inst.value, inst.line)


def _checked(command: ServerCommand) -> ServerCommand:
    if command.server not in RUNNABLE_SERVERS:
        command.problem = (
            f"{command.origin} starts {command.server}, not an app server verify can run "
            f"({', '.join(RUNNABLE_SERVERS)})"
        )
    return command


def _server_in_script(
    project: ProjectModel, script: str, variables: dict[str, str]
) -> tuple[tuple[str, list[str]] | None, str]:
    """(server and its arguments, the script that starts it) of a start script, or of the
    scripts it runs (`./startup_checks.sh && exec ./webserver.sh`), in the order they are
    named, six scripts at most."""
    queue = [script]
    seen = {script}
    while queue and len(seen) <= 6:
        current = queue.pop(0)
        commands = project.scripts[current]
        found = _server_from(commands, variables)
        if found is not None:
            return found, current
        for command in commands:
            rel = _script_for(project, command.argv)
            if rel is not None and rel not in seen:
                seen.add(rel)
                queue.append(rel)
    return None, script


def _script_for(project: ProjectModel, argv: list[str]) -> str | None:
    for word in argv[:3]:
        name = word.rsplit("/", 1)[-1]
        for rel in project.scripts:
            if rel.rsplit("/", 1)[-1] == name:
                return rel
    return None


def static_stage_source(project: ProjectModel) -> tuple[str, str] | None:
    """(path, WORKDIR of the stage it comes from) of what the root Dockerfile's static
    web-server stage copies from another stage (`COPY --from=collectstatic /app/staticfiles
    /usr/share/nginx/html/static/`), or None."""
    df = project.root_dockerfile
    if df is None:
        return None
    by_name = {s.name.lower(): s for s in df.stages if s.name}
    for stage in df.stages:
        if not is_web_server_image(stage_chain(df, stage)[-1].base):
            continue
        for inst in stage.instructions:
            source = inst.flags.get("from") if inst.keyword == "COPY" else None
            origin = by_name.get(source.lower()) if source else None
            words = [w for w in copy_words(inst.value) if not w.startswith("--")]
            if origin is not None and len(words) == 2 and words[0].startswith("/"):
                return words[0], final_workdir(stage_chain(df, origin))
    return None


def _runs_collectstatic(command: ScriptCommand) -> bool:
    return "collectstatic" in command.argv and (
        any(w.endswith("manage.py") for w in command.argv)
        or "django" in command.argv
        or any(w.endswith("django-admin") for w in command.argv)
    )


def start_collectstatic(project: ProjectModel) -> str | None:
    """`script:line` of a collectstatic the container runs when it starts (the entrypoint
    script), not when the image is built; None when no script runs one."""
    for rel, commands in sorted(project.scripts.items()):
        for command in commands:
            if _runs_collectstatic(command):
                return f"{rel}:{command.line}"
    return None


def collectstatic_line(project: ProjectModel) -> tuple[str, ScriptCommand, dict[str, str]] | None:
    """(where, command, stage environment) of the root Dockerfile's collectstatic command."""
    dockerfile = project.root_dockerfile
    if dockerfile is None:
        return None
    for stage in dockerfile.stages:
        for line, text in stage.commands():
            for command in split_shell(text, line):
                if _runs_collectstatic(command):
                    where = f"{dockerfile.path}:{command.line}"
                    return where, command, stage_environment(dockerfile, stage.index)
    return None
