"""The other databases of a verify run: every DATABASES alias besides 'default'.

A project with a second alias (a legacy database read through a router, Trac's database beside
the site's) checks it at start once apply adds the startup probes, so a run that gives only
'default' a throwaway database fails to boot on the empty one for a reason that is not the
project's. Verify finds the aliases whose location a variable sets (one URL variable:
`env.db("LEGACY_DATABASE_URL")`, `dj_database_url.config(env=...)`; or NAME/HOST/... piece by
piece) in the production settings, and gives each one a database of its own:

- on a run with a database server (`--database-url`), a new, empty database on that server,
  made and dropped the way 'default''s is (`fixer.verify_database`), at most `MAX_ALIASES`;
- on an SQLite run, an SQLite file of its own in the run's folder, where its ENGINE allows it
  (a URL variable, an ENGINE variable, or an SQLite ENGINE); otherwise the alias is left as the
  settings give it, and a note says so.

An alias no variable points anywhere (NAME and ENGINE written in the settings), or one that
reads the same NAME as 'default', is named in a note: never left silently. Step 6 points every
alias it moved at the closed port too.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixer.project import ProjectModel
from fixer.settings_values import EnvDict, EnvRef
from fixer.verify_database import connection_spec, engine_of
from fixer.verify_env import (
    Database,
    RunEnv,
    Variable,
    database_of,
    mask_secret,
    settings_variables,
    unreachable_database,
)

#: the most aliases a run makes databases for (each one is a CREATE/DROP on the server)
MAX_ALIASES = 4

_DB_KEYS = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")
_SERVER_KINDS = ("postgresql", "mysql")
_ENGINES = {"postgresql": "django.db.backends.postgresql", "mysql": "django.db.backends.mysql"}


@dataclass
class Alias:
    """One alias besides 'default', and how a run reaches it."""

    database: Database  # kind url / piecewise / fixed, as for 'default'
    #: the pieces written in the settings, not read from a variable (USER, HOST...)
    written: list[str] = field(default_factory=list)
    #: why the run cannot give it a database of its own ("" when it can)
    problem: str = ""

    @property
    def name(self) -> str:
        return self.database.alias


def _alias_paths(variables: dict[str, Variable]) -> dict[str, list[tuple[Variable, tuple]]]:
    out: dict[str, list[tuple[Variable, tuple]]] = {}
    for var in variables.values():
        for path in var.settings:
            if len(path) >= 2 and path[0] == "DATABASES" and path[1] != "default":
                out.setdefault(path[1], []).append((var, path))
    return out


def _static_aliases(project: ProjectModel) -> dict[str, Any]:
    databases = project.settings.get("DATABASES")
    if not isinstance(databases, dict) or isinstance(databases, EnvDict):
        return {}
    return {str(k): v for k, v in databases.items() if k != "default"}


def _engine(project: ProjectModel, alias: str) -> str | None:
    setting = f"DATABASES[{alias!r}]"
    service = next((s for s in project.services if s.setting == setting), None)
    return service.kind if service else None


def other_databases(project: ProjectModel, default: Database | None = None) -> list[Alias]:
    """The aliases of the production settings' DATABASES besides 'default', in the order the
    settings write them; `default`: how the run reaches 'default' (its variables are not
    moved twice)."""
    variables = settings_variables(project)
    if default is None:
        default = database_of(project, variables)
    taken = set(default.parts.values()) | ({default.variable} if default.variable else set())
    read = _alias_paths(variables)
    written = _static_aliases(project)
    names = [*written, *(a for a in read if a not in written)]
    out: list[Alias] = []
    for alias in names:
        conf = written.get(alias)
        if isinstance(conf, EnvDict):
            conf = dict(conf.items())
        engine = _engine(project, alias)
        url_var = None
        parts: dict[str, str] = {}
        for var, path in read.get(alias, []):
            if len(path) == 2 and var.cast in ("db", None):
                url_var = url_var or var.name
            elif len(path) == 3 and path[2] in _DB_KEYS:
                parts[path[2]] = var.name
        label = f"DATABASES[{alias!r}]"
        if isinstance(conf, EnvRef) and conf.var and url_var is None:
            url_var = conf.var
        if url_var and url_var not in taken:
            out.append(Alias(Database("url", url_var, engine=engine, alias=alias)))
            continue
        pieces = ("NAME", "USER", "HOST", "PORT")
        literal = (
            [k for k in pieces if k in conf and k not in parts and isinstance(conf[k], str)]
            if isinstance(conf, dict)
            else []
        )
        if url_var and parts.get("NAME") and parts["NAME"] not in taken:
            # `{**DATABASES["default"], "NAME": env("TRAC_DB_NAME")}`: 'default''s server (its
            # URL variable, kept in `variable`), a NAME of its own
            db = Database("piecewise", url_var, parts, engine, alias=alias)
            out.append(Alias(db, literal))
            continue
        entry = Alias(Database("piecewise", None, parts, engine, alias=alias), literal)
        if url_var or (parts.get("NAME") and parts["NAME"] in taken):
            shared = url_var or parts["NAME"]
            entry.database.kind = "fixed"
            entry.problem = (
                f"{label} reads the same database as DATABASES['default'] ({shared}): the run "
                "gives both the same one"
            )
        elif "NAME" not in parts:
            entry.database.kind = "fixed"
            if engine in (None, "sqlite"):
                continue  # an SQLite file the settings name: in the run's copy, reachable
            entry.problem = (
                f"{label} is fixed in the settings (no variable sets its NAME): the run reaches "
                "it as written"
            )
        out.append(entry)
    return out


def server_aliases(aliases: list[Alias], database_url: str | None) -> list[Alias]:
    """The aliases a run on the server of `database_url` makes a new database for (at most
    MAX_ALIASES): URL variables, and NAME variables whose ENGINE suits the server."""
    if not database_url or engine_of(database_url) == "sqlite":
        return []
    server = engine_of(database_url)
    out = []
    for entry in aliases:
        db = entry.database
        if db.kind == "fixed":
            continue
        written_engine = "ENGINE" not in db.parts and not db.variable
        if db.kind == "piecewise" and written_engine and db.engine != server:
            continue  # written for another engine (SQLite, or MySQL on a PostgreSQL run)
        out.append(entry)
    return out[:MAX_ALIASES]


def _sqlite_values(db: Database, path: Path) -> dict[str, str] | None:
    if db.kind == "url" and db.variable:
        return {db.variable: f"sqlite:///{path}"}
    if "ENGINE" not in db.parts and db.engine != "sqlite" and not db.variable:
        return None  # (with `variable`, the ENGINE is 'default''s: SQLite in this run)
    values = {db.parts["NAME"]: str(path)}
    if "ENGINE" in db.parts:
        values[db.parts["ENGINE"]] = "django.db.backends.sqlite3"
    return values


def _server_values(db: Database, url: str) -> dict[str, str]:
    if db.kind == "url" and db.variable:
        return {db.variable: url}
    spec = connection_spec(url)
    pieces = {
        "ENGINE": _ENGINES.get(spec["engine"], "django.db.backends.postgresql"),
        "NAME": spec["given"],
        "USER": spec["user"],
        "PASSWORD": spec["password"],
        "HOST": spec["host"],
        "PORT": spec["port"],
    }
    return {var: pieces[key] for key, var in db.parts.items()}


def add_aliases(
    env: RunEnv,
    aliases: list[Alias],
    scratch: Path,
    urls: dict[str, str],
    *,
    server: str | None = None,
    shown_urls: dict[str, str] | None = None,
) -> None:
    """Give the run's environment the aliases' databases: `urls` {alias: URL of the new
    database made for it on the run's server}; the others an SQLite file in `scratch` where
    their ENGINE allows it. `server`: the run's --database-url (None: an SQLite run). Every
    alias left as written gets a note. `shown_urls` {alias: the URL the reviewer's commands
    name instead of the run's own database}."""
    env.others = []
    for entry in aliases:
        db = entry.database
        label = f"DATABASES[{db.alias!r}]"
        if entry.problem:
            env.notes.append(entry.problem)
            continue
        values: dict[str, str] | None
        shown: dict[str, str] = {}
        if db.alias in urls:
            values = _server_values(db, urls[db.alias])
            db.network = True
            if shown_urls and db.alias in shown_urls:
                shown = _server_values(db, shown_urls[db.alias])
        elif (
            server and engine_of(server) != "sqlite" and (db.engine in _SERVER_KINDS or db.variable)
        ):
            env.notes.append(
                f"{label} is left as the settings give it: the run makes new databases for at "
                f"most {MAX_ALIASES} aliases, or its ENGINE ({db.engine}) is not the server's"
            )
            continue
        else:
            values = _sqlite_values(db, scratch / f"verify-{db.alias}.sqlite3")
            # the reviewer's file: the run's folder is gone by then
            shown = _sqlite_values(db, Path("$(mktemp -d)") / f"verify-{db.alias}.sqlite3") or {}
            if values is None:
                engine = db.engine or "a database server"
                env.notes.append(
                    f"{label} is made for {engine} (its ENGINE is written in the settings) and "
                    "this run has no database server: it is left as the settings give it (pass "
                    "--database-url to give it a new database of its own)"
                )
                continue
        if entry.written and db.network:
            env.notes.append(
                f"{label} has {', '.join(entry.written)} written in the settings: the run reaches "
                "its new database with them as written"
            )
        password = connection_spec(urls[db.alias])["password"] if db.alias in urls else ""
        if password:
            env.secrets.append(password)
        default = env.database
        taken = {*default.parts.values(), *([default.variable] if default.variable else [])}
        for name, value in values.items():
            if name in taken:
                continue  # a variable 'default' reads too (DB_HOST): its value stands
            env.values[name] = value
            text = mask_secret(shown.get(name, value), env.secrets, "<password>")
            # a shell expansion the reviewer's shell makes (mktemp) is quoted to expand
            env.shown[name] = f'"{text}"' if "$(" in text else shlex.quote(text)
        env.others.append(db)
    if urls and env.database.kind == "fixed":
        # verify_env said the URL is not used: 'default' does not take it, the others do
        unused = "--database-url is not used: DATABASES is written"
        env.notes[:] = [
            "--database-url is used only for the other aliases: DATABASES['default'] is "
            "written in the production settings (no variable points it at another database)"
            if n.startswith(unused)
            else n
            for n in env.notes
        ]


def movable(env: RunEnv) -> list[Database]:
    """The aliases the run gave a server database whose address a variable sets (a URL, a
    HOST or PORT variable, 'default''s URL): the ones step 6 can take down."""
    return [
        db
        for db in env.others
        if db.network
        and (db.kind == "url" or db.variable or "HOST" in db.parts or "PORT" in db.parts)
    ]


def unreachable_aliases(env: RunEnv, database_url: str) -> dict[str, str]:
    """The variables that point every alias of `movable` at the closed loopback port."""
    values: dict[str, str] = {}
    for db in movable(env):
        values.update(unreachable_database(db, database_url))
    return values


def alias_variables(db: Database) -> list[str]:
    return [v for v in ([db.variable] if db.variable else list(db.parts.values())) if v]
