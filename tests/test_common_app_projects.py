"""The generated app on the test projects of its own shapes, run for real (checklist items 7,
10 and 13): labels computed as Django does, wiring after a computed INSTALLED_APPS, the app's
probes first, under uvicorn's event loop, and results of ready() kept on an empty database.

Each test applies djfix to a copy of a project in tests/projects/ and runs real Django, a real
gunicorn or uvicorn, on a fresh PostgreSQL database; "down" is a closed port on loopback.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from fixer.discovery import discover
from tests import test_runtime_projects
from tests.test_apply_projects import copy_into_git
from tests.test_runtime_projects import (
    Server,
    applied,
    environment,
    free_port,
    get,
    server_argv,
    wait_until_serving,
)

pytestmark = pytest.mark.slow

# a new, empty PostgreSQL database for each test (a fixture of that module)
fresh_database = test_runtime_projects.fresh_database

SEARCH = "http://127.0.0.1:1"  # none of these projects uses a search service
DOWN = "postgres://app:pw-very-secret@127.0.0.2:1/shop"  # nothing listens on 127.0.0.2


def django_says(python: Path, project, env: dict[str, str], code: str) -> str:
    """What `code` prints once Django is set up with the project's settings."""
    proc = subprocess.run(
        [str(python), "-c", f"import django\ndjango.setup()\n{code}"],
        cwd=project.source_root,
        env={**env, "STARTUP_CHECKS": "false"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts and "__pycache__" not in p.parts
    }


def apply_again(root: Path) -> None:
    result = CliRunner().invoke(app, ["apply", "--no-branch", str(root)], catch_exceptions=False)
    assert "djfix bug" not in result.output, result.output


def stopped(server: Server, seconds: float = 30) -> tuple[int | None, str]:
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.proc.wait(timeout=seconds)
    output = server.output()
    return server.proc.returncode, output


SHAPES = ["asgi_uvicorn", "computed_lists", "discovered_apps", "kept_results", "probe_first"]


@pytest.mark.parametrize("name", SHAPES)
def test_second_apply_changes_nothing(name, tmp_path, request):
    project, _ = applied(name, tmp_path, request)
    before = tree(project.root)
    apply_again(project.root)
    assert tree(project.root) == before
    generated = [p.parent.name for p in project.root.glob("*/middleware.py")]
    assert len(generated) == 1, generated


def test_label_of_an_app_found_at_run_time(tmp_path, fresh_database, request):
    # modules.common (label "common") is installed by a function that lists modules/ at run time
    project, python = applied("discovered_apps", tmp_path, request)
    root = project.root
    assert (root / "djfix_common" / "__init__.py").is_file()
    assert not (root / "common").exists()
    env = environment(project, fresh_database, SEARCH)
    labels = django_says(
        python,
        project,
        env,
        "from django.apps import apps\nprint(*[c.label for c in apps.get_app_configs()])",
    ).split()
    assert labels[0] == "djfix_common"
    assert "common" in labels and "notes" in labels


def test_lists_computed_by_a_helper_get_the_app_first(tmp_path, fresh_database, request):
    project, python = applied("computed_lists", tmp_path, request)
    env = environment(project, fresh_database, SEARCH)
    first = django_says(
        python,
        project,
        env,
        "from django.conf import settings\n"
        "print(settings.INSTALLED_APPS[0], settings.MIDDLEWARE[0], settings.MIDDLEWARE[1])",
    ).split()
    assert first == [
        "common.apps.CommonConfig",
        "common.middleware.HealthCheckMiddleware",
        "board.observability.RequestIdMiddleware",
    ]
    port = free_port()
    server = Server(server_argv(python, project, port), project.source_root, env)
    try:
        wait_until_serving(server, port)
        status, body, _ = get(server, port, "/health")
        assert status == 200, (body, server.output())
    finally:
        server.stop()


def test_probe_message_comes_first_with_the_database_down(tmp_path, fresh_database, request):
    # inventory's ready() connects to the database, unguarded; LOGGING disables the existing
    # loggers, gunicorn's own among them
    project, python = applied("probe_first", tmp_path, request)
    env = environment(project, fresh_database, SEARCH, DATABASE_URL=DOWN)
    start = time.monotonic()
    server = Server(server_argv(python, project, free_port()), project.source_root, env)
    code, output = stopped(server)
    assert code not in (None, 0), output
    assert time.monotonic() - start < 15
    assert (
        "Startup checks failed, 1 service(s) cannot be reached:\n"
        "  - database:default at 127.0.0.2:1 (environment variable DATABASE_URL): "
        "connection refused\n"
    ) in output
    assert "OperationalError" not in output  # no driver error from inventory's ready()
    assert "pw-very-secret" not in output


def uvicorn(python: Path, port: int, *extra: str) -> list[str]:
    return [
        str(python),
        "-m",
        "uvicorn",
        "newsroom.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "off",
        *extra,
    ]


def test_uvicorn_starts_with_the_probes_in_its_event_loop(tmp_path, fresh_database, request):
    pytest.importorskip("uvicorn")
    project, python = applied("asgi_uvicorn", tmp_path, request)
    env = environment(project, fresh_database, SEARCH)
    port = free_port()
    # each worker process imports the application inside its running event loop (a single
    # process does so too in uvicorn before 0.30), where Django refuses synchronous database
    # calls
    server = Server(uvicorn(python, port, "--workers", "2"), project.source_root, env)
    try:
        wait_until_serving(server, port)
        for path in ("/health", "/common/health", "/health"):
            status, body, _ = get(server, port, path)
            assert status == 200, (path, body, server.output())
            assert json.loads(body)["status"] == "ok"
    finally:
        server.stop()
    output = server.output()
    assert "SynchronousOnlyOperation" not in output
    assert "Startup checks failed" not in output
    assert "died" not in output

    down = environment(project, fresh_database, SEARCH, DATABASE_URL=DOWN)
    code, output = stopped(Server(uvicorn(python, free_port()), project.source_root, down))
    assert code not in (None, 0), output
    assert (
        "  - database:default at 127.0.0.2:1 (environment variable DATABASE_URL): "
        "connection refused\n"
    ) in output


def test_results_kept_in_ready_start_on_an_empty_database(tmp_path, fresh_database, request):
    # as written, the project cannot start before `migrate`
    original = copy_into_git("kept_results", tmp_path / "original")
    unfixed = discover(original)
    env = environment(unfixed, fresh_database, SEARCH, STARTUP_CHECKS="false")
    project, python = applied("kept_results", tmp_path, request)
    code, output = stopped(Server(server_argv(python, unfixed, free_port()), original, env))
    assert code not in (None, 0), output
    assert 'relation "menu_dish" does not exist' in output

    env = environment(project, fresh_database, SEARCH)
    port = free_port()
    server = Server(server_argv(python, project, port), project.source_root, env)
    try:
        wait_until_serving(server, port)
        status, body, _ = get(server, port, "/menu/", host="example.com", https=True)
        assert status == 200, (body, server.output())
        assert json.loads(body) == {"dishes": 0, "names": [], "sections": {}}
    finally:
        server.stop()
    assert "Skipped reading Dish and Section at startup" in server.output()

    # once migrated and filled, ready() reads the rows again
    manage = [str(python), "manage.py"]
    for args in (
        ["migrate", "--noinput"],
        [
            "shell",
            "-c",
            "from menu.models import Dish, Section\n"
            "s = Section.objects.create(slug='mains', title='Mains')\n"
            "Dish.objects.create(name='Stew', section=s)",
        ],
    ):
        proc = subprocess.run(
            manage + args,
            cwd=project.source_root,
            env={**env, "STARTUP_CHECKS": "false"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    port = free_port()
    server = Server(server_argv(python, project, port), project.source_root, env)
    try:
        wait_until_serving(server, port)
        status, body, _ = get(server, port, "/menu/", host="example.com", https=True)
        assert json.loads(body) == {"dishes": 1, "names": ["Stew"], "sections": {"mains": "Mains"}}
    finally:
        server.stop()
    assert "Skipped" not in server.output()
