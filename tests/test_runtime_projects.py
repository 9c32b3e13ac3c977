"""After `djfix apply`, each test project really starts and serves (checklist items 7, 8, 10, 13).

For every test project: the app server (gunicorn; daphne for the Channels project) starts on a
brand-new empty PostgreSQL database and /health and /common/health answer 200; after migrate, a
page that uses the cache answers 200 quickly with Redis unreachable; and with the database
unreachable the start fails within seconds with a message that names the database and
DATABASE_URL and shows no password. Real services on loopback; failures use closed ports.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from fixer.discovery import discover
from tests import test_apply_projects
from tests.conftest import PROJECTS
from tests.test_apply_projects import OLD_DJANGO, apply_argv, copy_into_git

pytestmark = pytest.mark.slow

# a page of each project that reads or writes the cache
CACHE_PAGES = {
    "legacy_single": "/",
    "celery_services": "/orders/",
    "deploy_ready": "/catalog/hardware/",
}
PROJECT_NAMES = sorted(
    p.name
    for p in PROJECTS.iterdir()
    if p.is_dir()
    and (p / ".gitignore").exists()
    and p.name not in test_apply_projects.REPORTED_NOT_FIXED
)
CLOSED = "127.0.0.1:1"  # nothing listens on port 1
# projects whose own apps read the database in ready(), by design: Django's warning about
# queries at app initialization is theirs there, not the probes'
READS_IN_READY = {"probe_first", "kept_results"}


def _postgres_available() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def search_stand_in():
    """A tiny HTTP server on loopback answering like an Elasticsearch node's root."""
    import http.server
    import threading

    class Ping(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"tagline": "You Know, for Search"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fresh_database():
    """A new, empty database of the same name on PostgreSQL and on MariaDB."""
    if not _postgres_available():
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    import psycopg2

    name = f"djfix_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    mysql = None
    try:
        import MySQLdb

        mysql = MySQLdb.connect(host="127.0.0.1", user="root", port=3306)
        mysql.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    except Exception:  # no MariaDB or no driver: the MySQL projects skip
        mysql = None
    try:
        yield name if mysql is not None else name + ":postgres-only"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        if mysql is not None:
            mysql.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
            mysql.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@functools.cache
def _uses_mysql(name: str) -> bool:
    return any(s.kind == "mysql" for s in discover(PROJECTS / name).services)


def uses_mysql(project) -> bool:
    """Whether the test project (as written, before djfix) runs on MySQL: the database the
    environment points at follows the project, not what discovery makes of the fixed settings."""
    return _uses_mysql(project.root.name)


# projects whose database is read from variables of their own names (SQL_HOST...): the
# environment below cannot point them at a database; `djfix verify` splits its database URL into
# those names and proves them (tests/test_verify_shapes.py)
OWN_DATABASE_VARIABLES = {"piecewise_engine"}


def environment(project, database: str, search_url: str, **overrides: str) -> dict[str, str]:
    if project.root.name in OWN_DATABASE_VARIABLES:
        pytest.skip("its database variables have names of its own: see test_verify_shapes.py")
    if database.endswith(":postgres-only"):
        if uses_mysql(project):
            pytest.skip("no MariaDB on 127.0.0.1:3306 or no MySQL driver")
        database = database.split(":")[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    mysql = uses_mysql(project)
    url = (
        f"mysql://root@127.0.0.1:3306/{database}"
        if mysql
        else f"postgres://postgres@127.0.0.1:5432/{database}"
    )
    env.update(
        SECRET_KEY="k" + secrets.token_urlsafe(60)[:49],
        DEBUG="False",
        ALLOWED_HOSTS="example.com",
        DJANGO_SETTINGS_MODULE=project.production_module,
        DATABASE_URL=url,
        # the projects that read the database piece by piece
        DB_NAME=database,
        DB_USER="root" if mysql else "postgres",
        DB_PASSWORD="",
        DB_HOST="127.0.0.1",
        DB_PORT="3306" if mysql else "5432",
        REDIS_URL="redis://127.0.0.1:6379/5",
        CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//",
        ELASTICSEARCH_URL=search_url,
        SECURE_SSL_REDIRECT="False",
        PYTHONDONTWRITEBYTECODE="1",
        STARTUP_CHECKS="true",
        STARTUP_CHECK_TIMEOUT="2",
    )
    env.update(test_apply_projects.project_env(project.root.name))
    env.update(overrides)
    return env


class Server:
    """One app server process, always stopped."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def output(self) -> str:
        self.stop()
        return self.proc.stdout.read() if self.proc.stdout else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def server_argv(python: Path, project, port: int) -> list[str]:
    if project.asgi_application and "daphne" in project.installed_apps:
        module = project.asgi_application.rpartition(".")[0]
        return [
            str(python),
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            f"{module}:application",
        ]
    module = (project.wsgi_application or "").rpartition(".")[0]
    return [
        str(python),
        "-m",
        "gunicorn",
        f"{module}:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--timeout",
        "30",
    ]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to look at, never a request to send: a test only ever talks
    to loopback (a redirect to https://example.com/ would leave it)."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def get(
    server: Server, port: int, path: str, host: str = "10.1.2.3", https: bool = False
) -> tuple[int, bytes, float]:
    """(status, body, seconds) of one request; the server's output when it answers none.
    `https` sends X-Forwarded-Proto as the TLS proxy in front of the app would."""
    headers = {"Host": host}
    if https:
        headers["X-Forwarded-Proto"] = "https"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    start = time.monotonic()
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.read(), time.monotonic() - start
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), time.monotonic() - start
    except OSError as exc:
        raise AssertionError(f"{path}: no answer ({exc!r}):\n{server.output()}") from exc


def wait_until_serving(server: Server, port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(f"the server exited early:\n{server.output()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the server did not listen within {seconds} s:\n{server.output()}")


# the Django 3.2 virtual environment legacy_single runs in (a fixture of that module)
old_django_python = test_apply_projects.old_django_python


@pytest.fixture(scope="session")
def old_django_server_python(old_django_python) -> Path:
    subprocess.run(
        [
            str(old_django_python),
            "-m",
            "pip",
            "install",
            "-q",
            "gunicorn==22.0.0",
            "psycopg2-binary",
        ],
        check=True,
    )
    return old_django_python


def applied(name: str, tmp_path: Path, request):
    """The project copied into git and `djfix apply`-ed; (project, python for it)."""
    repo = copy_into_git(name, tmp_path)
    result = CliRunner().invoke(app, apply_argv(name, repo), catch_exceptions=False)
    assert "djfix bug" not in result.output, result.output
    python = (
        request.getfixturevalue("old_django_server_python")
        if name in OLD_DJANGO
        else Path(sys.executable)
    )
    return discover(repo), python


@pytest.mark.parametrize("name", PROJECT_NAMES)
def test_starts_on_an_empty_database_and_answers_health(
    name, tmp_path, fresh_database, search_stand_in, request
):
    project, python = applied(name, tmp_path, request)
    env = environment(project, fresh_database, search_stand_in)
    port = free_port()
    server = Server(server_argv(python, project, port), project.source_root, env)
    try:
        wait_until_serving(server, port)
        # probed by IP address, as orchestrators do: no ALLOWED_HOSTS entry for it
        for path in ("/health", "/common/health", "/health/"):
            status, body, _ = get(server, port, path)
            assert status == 200, (path, body, server.output())
            assert json.loads(body)["status"] == "ok"
    finally:
        server.stop()
    # the probes' own connections do not count as queries at app initialization (Django 5.0+)
    if name not in READS_IN_READY:
        assert "Accessing the database during app initialization" not in server.output()


# the projects with a Redis cache: a page of each that uses it
@pytest.mark.parametrize("name", sorted(CACHE_PAGES))
def test_cache_pages_answer_quickly_with_redis_down(
    name, tmp_path, fresh_database, search_stand_in, request
):
    project, python = applied(name, tmp_path, request)
    env = environment(project, fresh_database, search_stand_in)
    migrate = subprocess.run(
        [str(python), "manage.py", "migrate", "--noinput"],
        cwd=project.source_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    page = CACHE_PAGES.get(name, "/")
    down = environment(
        project,
        fresh_database,
        search_stand_in,
        REDIS_URL=f"redis://{CLOSED}/0",
    )
    port = free_port()
    server = Server(server_argv(python, project, port), project.source_root, down)
    try:
        wait_until_serving(server, port)
        status, body, seconds = get(server, port, page, host="example.com", https=True)
        assert status == 200, (page, body[:500], server.output())
        # a bound on hanging (a retry loop, a connect without a timeout), not a speed figure:
        # a refused connection is immediate, and a busy machine took 1.4 s to render the page
        assert seconds < 10.0, f"{page} took {seconds:.2f} s with Redis down"
    finally:
        server.stop()


@pytest.mark.parametrize("name", PROJECT_NAMES)
def test_unreachable_database_stops_the_start_with_one_clear_message(
    name, tmp_path, fresh_database, search_stand_in, request
):
    project, python = applied(name, tmp_path, request)
    broken = environment(
        project,
        fresh_database,
        search_stand_in,
        # nothing listens on 127.0.0.2 (the whole 127/8 is loopback): refused at once, whatever
        # port the settings hard-code
        DATABASE_URL=("mysql" if uses_mysql(project) else "postgres")
        + "://app:pw-very-secret@127.0.0.2:1/shop",
        DB_HOST="127.0.0.2",
        DB_PORT="1",
        DB_PASSWORD="pw-very-secret",
    )
    port = free_port()
    start = time.monotonic()
    server = Server(server_argv(python, project, port), project.source_root, broken)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.proc.wait(timeout=30)
    elapsed = time.monotonic() - start
    output = server.output()
    assert server.proc.returncode not in (None, 0), output
    assert elapsed < 15, f"the failing start took {elapsed:.1f} s"
    assert "database" in output.lower(), output
    assert "DATABASE_URL" in output or "DB_HOST" in output, output
    assert "pw-very-secret" not in output
