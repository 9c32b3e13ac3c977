"""The "How to verify" commands: every step verify ran, on a database of the review's own, never
the database the user gave. Built from a discovered test project, without running it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fixer import verify_env
from fixer.discovery import discover
from fixer.verify_review import review_url, reviewer_commands
from fixer.verify_run import STEP_NAMES, Run, Step, pages_name

PROJECT = Path(__file__).parent / "projects" / "deploy_ready"
GIVEN = "postgres://postgres@127.0.0.1:5432/postgres"
SCRATCH = "postgres://postgres@127.0.0.1:5432/postgres_djfix_0123abcd"


def make_run(tmp_path: Path, given: str | None, scratch: str | None) -> Run:
    project = discover(PROJECT)
    shown = review_url(given)
    env = verify_env.build_env(project, tmp_path / "verify.sqlite3", scratch, shown)
    run = Run(
        project,
        sys.executable,
        PROJECT,
        tmp_path,
        env,
        {},
        PROJECT,
        [sys.executable, "manage.py"],
        verify_env.server_command(project),
        scratch,
    )
    run.review_url = shown
    run.page_urls = ["/", "/catalog/"]
    return run


def steps(run: Run, *numbers: int) -> list[Step]:
    names = {**STEP_NAMES, 5: pages_name(run.env.down)}
    return [Step(n, names[n], "pass" if n in numbers else "skipped") for n in range(1, 9)]


def test_the_review_runs_on_a_database_of_its_own(tmp_path):
    run = make_run(tmp_path, GIVEN, SCRATCH)
    lines = reviewer_commands(run, steps(run, 1, 2, 3, 4, 5, 6, 7))
    assert lines[:2] == [
        "# a new, empty database for the review (verify made one of its own)",
        "createdb -h 127.0.0.1 -p 5432 -U postgres djfix_review",
    ]
    assert "export DATABASE_URL=postgres://postgres@127.0.0.1:5432/djfix_review" in lines
    assert lines[-1] == "dropdb -h 127.0.0.1 -p 5432 -U postgres djfix_review"
    # neither the given database (migrate would fill it) nor the run's scratch one
    assert not any("5432/postgres" in line for line in lines), lines


def test_every_step_that_ran_is_listed(tmp_path):
    run = make_run(tmp_path, GIVEN, SCRATCH)
    lines = reviewer_commands(run, steps(run, 1, 2, 3, 4, 5, 6, 7))
    serve = "STARTUP_CHECKS=true python -m gunicorn shipit.wsgi:application --bind 127.0.0.1:8000"
    start = lines.index("STARTUP_CHECKS=true python manage.py migrate --noinput") + 1
    assert lines[start:-1] == [
        "# step 5 (pages with Redis down): every page answers below 500",
        f"{serve} & server=$!",
        "trap 'kill $server 2>/dev/null || true' EXIT",
        "for i in $(seq 30); do curl -fsS -o /dev/null http://127.0.0.1:8000/health && break; "
        "sleep 1; done",
        "for url in / /catalog/; do curl -sS -H 'X-Forwarded-Proto: https' -o /dev/null "
        '-w "%{http_code} $url\\n" "http://127.0.0.1:8000$url"; done',
        "kill $server",
        "# step 6: with the database unreachable, the start fails within 30 s, naming the "
        "database and its variable, and shows no password",
        "DATABASE_URL='postgres://postgres:<password>@127.0.0.1:1/djfix_review' "
        "STARTUP_CHECKS=true STARTUP_CHECK_TIMEOUT=2 timeout 30 python -m gunicorn "
        'shipit.wsgi:application --bind 127.0.0.1:8000; echo "exit status $?"',
        "# step 7: the collectstatic line of Dockerfile:27, with only the Dockerfile's ENV and ARG",
        'env -i PATH="$PATH" HOME="$HOME" PYTHON_IMAGE=python:3.12-slim-bookworm '
        "NGINX_IMAGE=nginx:1.27-alpine PIP_DISABLE_PIP_VERSION_CHECK=1 "
        "PYTHONDONTWRITEBYTECODE=1 sh -c 'SECRET_KEY=build-only-not-secret STARTUP_CHECKS=false "
        "python manage.py collectstatic --noinput'",
    ]


def test_only_the_steps_that_ran(tmp_path):
    run = make_run(tmp_path, GIVEN, SCRATCH)
    lines = reviewer_commands(run, steps(run, 1, 2))
    assert not any(line.startswith(("createdb", "dropdb", "# step")) for line in lines), lines
    assert lines[-1] == "STARTUP_CHECKS=false python manage.py makemigrations --check --dry-run"


def test_without_a_server_the_review_gets_a_new_sqlite_file(tmp_path):
    run = make_run(tmp_path, None, None)
    lines = reviewer_commands(run, steps(run, 1, 2, 3, 4))
    assert 'export DATABASE_URL="sqlite:///$(mktemp -d)/verify.sqlite3"' in lines
    assert not any(line.startswith(("createdb", "dropdb")) for line in lines)


def test_a_password_is_asked_for_never_written(tmp_path):
    given = "postgres://shop:s3cret@127.0.0.1:5432/shop"
    run = make_run(tmp_path, given, "postgres://shop:s3cret@127.0.0.1:5432/shop_djfix_0a0b0c0d")
    lines = reviewer_commands(run, steps(run, 1, 2, 3, 4, 6))
    assert lines[1] == "createdb -h 127.0.0.1 -p 5432 -U shop -W djfix_review"
    assert "export DATABASE_URL='postgres://shop:<password>@127.0.0.1:5432/djfix_review'" in lines
    assert not any("s3cret" in line for line in lines), lines


@pytest.mark.parametrize(
    "given, expected",
    [
        (GIVEN, "postgres://postgres@127.0.0.1:5432/djfix_review"),
        (
            "mysql://root@127.0.0.1:3306/mysql?charset=utf8",
            "mysql://root@127.0.0.1:3306/djfix_review?charset=utf8",
        ),
        ("sqlite:///tmp/db.sqlite3", None),
        (None, None),
    ],
)
def test_review_url(given, expected):
    assert review_url(given) == expected


@pytest.mark.parametrize(
    "down, name",
    [
        ([], "pages"),
        (["redis"], "pages with Redis down"),
        (["redis", "rabbitmq"], "pages with Redis and RabbitMQ down"),
        (["redis", "memcached", "rabbitmq"], "pages with Redis, Memcached and RabbitMQ down"),
    ],
)
def test_step_5_names_only_the_services_the_run_takes_down(down, name):
    assert pages_name(down) == name


@pytest.mark.parametrize(
    ("note", "commands"),
    [
        (
            "collectstatic ran first, as the image build does (the static storage needs its "
            "manifest)",
            ["STARTUP_CHECKS=false python manage.py collectstatic --noinput"],
        ),
        (
            "collectstatic and compress ran first, as the image build does (django-compressor "
            "compresses offline)",
            [
                "STARTUP_CHECKS=false python manage.py collectstatic --noinput",
                "STARTUP_CHECKS=false python manage.py compress --force",
            ],
        ),
    ],
)
def test_what_the_served_steps_ran_first_is_in_the_review(tmp_path, note, commands):
    run = make_run(tmp_path, GIVEN, SCRATCH)
    run.static_note = note
    lines = reviewer_commands(run, steps(run, 1, 2, 3, 5))
    start = lines.index(f"# {note}") + 1
    assert lines[start : start + len(commands)] == commands
    assert lines.index(f"# {note}") < lines.index("curl -fsS http://127.0.0.1:8000/health")
