"""Every verify run has a database of its own on the --database-url server (slow: real runs
against PostgreSQL on 127.0.0.1:5432 and MariaDB on 127.0.0.1:3306).

Each test makes its own given database (and user, where it needs one) and removes them after.
What the runs do is watched from outside, through `on_step` (called before each step): which
scratch databases exist at that moment, and how many tables they hold."""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fixer import verify
from fixer.apply_verify import plan_verified
from fixer.checks import Selection
from fixer.config import effective_options
from fixer.discovery import discover
from fixer.verify import render_json, render_table, verify_project
from tests.conftest import PROJECTS
from tests.test_apply_verify import half_ready_repo

pytestmark = pytest.mark.slow

PASSWORD = "pw-never-shown-4"


class Postgres:
    engine = "postgres"

    def __init__(self) -> None:
        try:
            import psycopg2
        except ImportError:
            pytest.skip("no psycopg2")
        try:
            self.admin = psycopg2.connect(
                host="127.0.0.1", user="postgres", dbname="postgres", connect_timeout=3
            )
        except psycopg2.OperationalError:
            pytest.skip("no PostgreSQL on 127.0.0.1:5432")
        self.admin.autocommit = True
        self.connect = psycopg2.connect

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.admin.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def url(self, name: str, user: str = "postgres") -> str:
        return f"postgres://{user}:{PASSWORD}@127.0.0.1:5432/{name}"

    def create(self, name: str) -> None:
        self.execute(f'CREATE DATABASE "{name}"')

    def drop(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def scratch(self, given: str) -> list[str]:
        rows = self.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1",
            (given + r"\_djfix\_%",),
        )
        return [r[0] for r in rows]

    def tables(self, name: str) -> int:
        conn = self.connect(host="127.0.0.1", user="postgres", dbname=name)
        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                )
                return cursor.fetchone()[0]
        finally:
            conn.close()

    def user_without_createdb(self, name: str, database: str) -> None:
        self.execute(f"CREATE ROLE \"{name}\" LOGIN NOCREATEDB PASSWORD '{PASSWORD}'")
        self.execute(f'ALTER DATABASE "{database}" OWNER TO "{name}"')

    def drop_user(self, name: str) -> None:
        self.execute(f'DROP ROLE IF EXISTS "{name}"')

    def close(self) -> None:
        self.admin.close()


class MariaDB:
    engine = "mysql"

    def __init__(self) -> None:
        try:
            import MySQLdb
        except ImportError:
            pytest.skip("no MySQL driver")
        try:
            self.admin = MySQLdb.connect(
                host="127.0.0.1", user="root", port=3306, connect_timeout=3
            )
        except MySQLdb.OperationalError:
            pytest.skip("no MariaDB on 127.0.0.1:3306")

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        cursor = self.admin.cursor()
        try:
            cursor.execute(sql, params or None)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def url(self, name: str, user: str = "root") -> str:
        password = f":{PASSWORD}" if user != "root" else ""
        return f"mysql://{user}{password}@127.0.0.1:3306/{name}"

    def create(self, name: str) -> None:
        self.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")

    def drop(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS `{name}`")

    def scratch(self, given: str) -> list[str]:
        rows = self.execute(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE %s "
            "ORDER BY 1",
            (given + r"\_djfix\_%",),
        )
        return [r[0] for r in rows]

    def tables(self, name: str) -> int:
        rows = self.execute(
            "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s", (name,)
        )
        return rows[0][0]

    def collation(self, name: str) -> str:
        rows = self.execute(
            "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
            (name,),
        )
        return rows[0][0]

    def user_without_createdb(self, name: str, database: str) -> None:
        for host in ("%", "localhost"):
            self.execute(f"CREATE USER '{name}'@'{host}' IDENTIFIED BY '{PASSWORD}'")
            self.execute(f"GRANT ALL ON `{database}`.* TO '{name}'@'{host}'")

    def drop_user(self, name: str) -> None:
        for host in ("%", "localhost"):
            self.execute(f"DROP USER IF EXISTS '{name}'@'{host}'")

    def close(self) -> None:
        self.admin.close()


@pytest.fixture(params=[Postgres, MariaDB], ids=["postgres", "mariadb"])
def server(request):
    found = request.param()
    yield found
    found.close()


@contextmanager
def given_database(server) -> Iterator[str]:
    """A new, empty database named `djfix_<12 hex>`; it and anything left beside it are
    removed after the test (the tests assert first that nothing is left)."""
    name = f"djfix_{uuid.uuid4().hex[:12]}"
    server.create(name)
    try:
        yield name
    finally:
        for left in server.scratch(name):
            server.drop(left)
        server.drop(name)


@pytest.fixture
def given(server):
    with given_database(server) as name:
        yield name


@pytest.fixture
def postgres():
    found = Postgres()
    yield found
    found.close()


@pytest.fixture
def pg_given(postgres):
    with given_database(postgres) as name:
        yield name


@pytest.fixture
def mariadb():
    found = MariaDB()
    yield found
    found.close()


@pytest.fixture
def my_given(mariadb):
    with given_database(mariadb) as name:
        yield name


def deploy_ready(tmp_path: Path) -> Path:
    repo = tmp_path / "deploy_ready"
    shutil.copytree(PROJECTS / "deploy_ready", repo)
    return repo


def watcher(server, name: str, seen: list[tuple[int, list[str], list[int]]]):
    """An on_step that notes, before each step, the scratch databases and their tables."""

    def on_step(number: int, _step: str) -> None:
        found = server.scratch(name)
        seen.append((number, found, [server.tables(db) for db in found]))

    return on_step


# ---------------------------------------------------------------------------------------------
# djfix verify
# ---------------------------------------------------------------------------------------------


def test_verify_runs_on_a_new_empty_database_and_drops_it(server, given, tmp_path):
    seen: list[tuple[int, list[str], list[int]]] = []
    report = verify_project(
        deploy_ready(tmp_path),
        python=sys.executable,
        database_url=server.url(given),
        only={1, 3, 4, 6},
        on_step=watcher(server, given, seen),
    )
    table = render_table(report)
    assert report.ok(), table
    assert [number for number, _, _ in seen] == [1, 3, 4, 6]
    scratch = seen[0][1]
    assert len(scratch) == 1 and scratch[0].startswith(given + "_djfix_")
    assert all(found == scratch for _, found, _ in seen)  # one database for the whole run
    # empty when the server boots (step 3), migrated by step 4
    assert [tables[0] for _, _, tables in seen[:3]] == [0, 0, 0]
    assert seen[3][2][0] > 0
    assert (
        f"the run used a new, empty database {scratch[0]} on 127.0.0.1:"
        f"{5432 if server.engine == 'postgres' else 3306}, dropped at its end"
    ) in report.notes
    assert server.scratch(given) == []
    assert server.tables(given) == 0  # the given database is never written
    assert PASSWORD not in table + render_json(report)


def test_mysql_scratch_database_takes_the_given_collation(mariadb, my_given, tmp_path):
    collations: list[str] = []

    def on_step(_number: int, _name: str) -> None:
        collations.extend(mariadb.collation(db) for db in mariadb.scratch(my_given))

    verify_project(
        deploy_ready(tmp_path),
        python=sys.executable,
        database_url=mariadb.url(my_given),
        only={1},
        on_step=on_step,
    )
    assert collations == ["utf8mb4_bin"]


def test_no_scratch_database_is_left_when_a_step_fails(server, given, tmp_path):
    repo = deploy_ready(tmp_path)
    dockerfile = repo / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    dockerfile.write_text(
        text.replace('"shipit.wsgi:application"', '"shipit.wsgi_prod:application"', 1),
        encoding="utf-8",
    )
    seen: list[tuple[int, list[str], list[int]]] = []
    report = verify_project(
        repo,
        python=sys.executable,
        database_url=server.url(given),
        only={3},
        on_step=watcher(server, given, seen),
    )
    assert report.step(3).status == "fail", render_table(report)
    assert len(seen[0][1]) == 1
    assert server.scratch(given) == []


def test_no_scratch_database_is_left_on_ctrl_c_with_a_session_open(pg_given, postgres, tmp_path):
    """A session left open in the scratch database (as a worker that did not stop would
    leave it) does not keep it from being dropped when the run is interrupted."""
    sessions = []

    def on_step(number: int, _name: str) -> None:
        (scratch,) = postgres.scratch(pg_given)
        sessions.append(postgres.connect(host="127.0.0.1", user="postgres", dbname=scratch))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        verify_project(
            deploy_ready(tmp_path),
            python=sys.executable,
            database_url=postgres.url(pg_given),
            only={1, 3},
            on_step=on_step,
        )
    assert len(sessions) == 1
    assert postgres.scratch(pg_given) == []
    sessions[0].close()


def test_postgres_scratch_database_gets_the_given_extensions(postgres, pg_given, tmp_path):
    """A user who may create databases but is no superuser: the trusted extension of the
    given database (citext) is added to the new one, the one it may not add (file_fdw) is
    named in the note."""
    user = f"djfix_c_{uuid.uuid4().hex[:8]}"
    postgres.execute(f"CREATE ROLE \"{user}\" LOGIN CREATEDB PASSWORD '{PASSWORD}'")
    postgres.execute(f'ALTER DATABASE "{pg_given}" OWNER TO "{user}"')
    admin = postgres.connect(host="127.0.0.1", user="postgres", dbname=pg_given)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("CREATE EXTENSION citext")
        cursor.execute("CREATE EXTENSION file_fdw")
    admin.close()
    found: list[list[str]] = []

    def on_step(_number: int, _name: str) -> None:
        for scratch in postgres.scratch(pg_given):
            conn = postgres.connect(host="127.0.0.1", user="postgres", dbname=scratch)
            with conn.cursor() as cursor:
                cursor.execute("SELECT extname FROM pg_extension ORDER BY 1")
                found.append([r[0] for r in cursor.fetchall()])
            conn.close()

    try:
        report = verify_project(
            deploy_ready(tmp_path),
            python=sys.executable,
            database_url=postgres.url(pg_given, user=user),
            only={1},
            on_step=on_step,
        )
        left = postgres.scratch(pg_given)
    finally:
        for name in [*postgres.scratch(pg_given), pg_given]:
            postgres.drop(name)
        postgres.drop_user(user)
    assert found == [["citext", "plpgsql"]]
    assert left == []
    note = report.notes[-1]
    assert note.startswith("the run used a new, empty database "), note
    assert note.endswith(
        ", dropped at its end (without extensions of the given database: file_fdw: permission "
        'denied to create extension "file_fdw")'
    ), note


def test_without_the_right_to_create_the_run_reuses_the_given_database_and_says_so(
    server, given, tmp_path
):
    user = f"djfix_u_{uuid.uuid4().hex[:8]}"
    server.user_without_createdb(user, given)
    try:
        report = verify_project(
            deploy_ready(tmp_path),
            python=sys.executable,
            database_url=server.url(given, user=user),
            only={1, 4},
        )
        migrated = server.tables(given)
    finally:
        server.drop(given)  # first: the user owns it (PostgreSQL)
        server.drop_user(user)
    table = render_table(report)
    port = 5432 if server.engine == "postgres" else 3306
    assert (
        f"  note: the run reuses the database {given} on 127.0.0.1:{port} as it is (it may not "
        "be empty): it could not create a scratch database there (permission denied)\n"
    ) in table
    assert report.database_reused == "permission denied"
    assert report.step(4).status == "pass", table
    assert migrated > 0  # today's behaviour: the given database is migrated
    assert PASSWORD not in table + render_json(report)


def test_an_sqlite_url_leaves_the_given_file_alone(tmp_path):
    given = tmp_path / "given.sqlite3"
    given.write_bytes(b"")
    report = verify_project(
        deploy_ready(tmp_path),
        python=sys.executable,
        database_url=f"sqlite:///{given}",
        only={1, 4},
    )
    assert report.step(4).status == "pass", render_table(report)
    assert given.read_bytes() == b""
    assert report.notes[-1].startswith("the SQLite database of --database-url is not used")


# ---------------------------------------------------------------------------------------------
# djfix apply
# ---------------------------------------------------------------------------------------------


def test_apply_gives_every_run_a_new_empty_database(pg_given, postgres, tmp_path, monkeypatch):
    """The original's run, the change's, and any re-verification: each starts on a database
    of its own, empty, that is gone before the next run begins."""
    seen: list[tuple[int, list[str], list[int]]] = []
    real = verify.verify_project

    def watched(root, **kwargs):
        return real(root, on_step=watcher(postgres, pg_given, seen), **kwargs)

    monkeypatch.setattr(verify, "verify_project", watched)
    root = half_ready_repo(tmp_path)
    result = plan_verified(
        discover(root),
        Selection(),
        effective_options(None),
        python=sys.executable,
        database_url=postgres.url(pg_given),
    )
    verification = result.verification
    assert verification.ran, verification.summary()
    firsts = [(found, tables) for number, found, tables in seen if number == 1]
    assert len(firsts) == 2 + verification.runs
    for found, tables in firsts:
        assert len(found) == 1 and tables == [0]  # one database, this run's, empty
    assert len({found[0] for found, _ in firsts}) == len(firsts)
    boots = [tables for number, _, tables in seen if number == 3]
    assert boots and all(tables == [0] for tables in boots)  # step 3 boots on an empty one
    assert verification.after.step(3).status == "pass", verification.table()
    assert "database" not in verification.summary()
    assert postgres.scratch(pg_given) == []
    assert postgres.tables(pg_given) == 0
