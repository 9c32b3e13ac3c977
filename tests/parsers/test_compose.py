from __future__ import annotations

from fixer.parsers.commands import server_invocations
from fixer.parsers.compose import parse_compose
from fixer.parsers.shell import split_shell

COMPOSE = """\
version: "3.9"

x-django: &django
  build:
    context: .
    dockerfile: docker/Dockerfile
    target: prod
  env_file:
    - .env
    - path: .env.local
      required: false
  environment: &env
    DEBUG: "0"
    FLAG: yes
    WORKERS: 4
    EMPTY:

services:
  web:
    <<: *django
    command: ["gunicorn", "app.wsgi", "--bind", "0.0.0.0:8000"]
    volumes:
      - .:/app:cached
      - ./.env:/app/.env:ro
      - static:/app/static
      - /tmp/cache
      - ${DATA_DIR:-./data}:/data
      - type: bind
        source: ./media
        target: /app/media
      - type: tmpfs
        target: /run
    ports:
      - "8000:8000"
      - 22:22
      - target: 80
        published: 8080
        protocol: tcp
    depends_on:
      db:
        condition: service_healthy

  "worker":
    <<: *django
    command: celery -A app worker -l info
    entrypoint: /entrypoint.sh
    environment:
      - DJANGO_SETTINGS_MODULE=app.settings
      - SECRET_KEY
      - EQUALS=a=b
    depends_on: [db, web]

  db:
    image: postgres:16
    env_file: db.env

volumes:
  static:
"""


def test_compose_services() -> None:
    cf = parse_compose(COMPOSE, "docker-compose.yml")
    assert cf.problems == []
    assert [(s.name, s.line) for s in cf.services] == [("web", 19), ("worker", 43), ("db", 53)]
    web, worker, db = cf.services
    assert cf.service("db") is db

    assert web.build == {"context": ".", "dockerfile": "docker/Dockerfile", "target": "prod"}
    assert (web.dockerfile, web.target, web.image) == ("docker/Dockerfile", "prod", None)
    assert web.command == "gunicorn app.wsgi --bind 0.0.0.0:8000"
    assert web.entrypoint is None
    assert web.volumes == [
        (".", "/app"),
        ("./.env", "/app/.env"),
        ("static", "/app/static"),
        ("", "/tmp/cache"),
        ("${DATA_DIR:-./data}", "/data"),
        ("./media", "/app/media"),
        ("", "/run"),
    ]
    assert web.env_file == [".env", ".env.local"]
    assert web.environment == {"DEBUG": "0", "FLAG": "yes", "WORKERS": "4", "EMPTY": None}
    assert web.ports == ["8000:8000", "22:22", "8080:80/tcp"]
    assert web.depends_on == ["db"]

    assert worker.command == "celery -A app worker -l info"
    assert worker.entrypoint == "/entrypoint.sh"
    assert worker.environment == {
        "DJANGO_SETTINGS_MODULE": "app.settings",
        "SECRET_KEY": None,
        "EQUALS": "a=b",
    }
    assert worker.depends_on == ["db", "web"]
    assert worker.target == "prod"

    assert (db.image, db.build, db.dockerfile, db.env_file) == (
        "postgres:16",
        None,
        None,
        ["db.env"],
    )
    assert db.volumes == []


def test_compose_build_as_string_and_no_version() -> None:
    cf = parse_compose(
        "services:\n  app:\n    build: ./backend\n    command: python manage.py runserver\n",
        "compose.yaml",
    )
    assert cf.problems == []
    app = cf.services[0]
    assert (app.build, app.dockerfile, app.target, app.line) == ("./backend", None, None, 2)
    commands = split_shell(app.command or "")
    assert [s for _, s in server_invocations(commands)] == ["runserver"]


def test_compose_v1_top_level_services() -> None:
    cf = parse_compose("web:\n  image: app\n  links: [db]\ndb:\n  image: postgres\n", "fig.yml")
    assert cf.problems == []
    assert [(s.name, s.image, s.line) for s in cf.services] == [
        ("web", "app", 1),
        ("db", "postgres", 4),
    ]


def test_compose_malformed_yaml_is_a_problem() -> None:
    cf = parse_compose("services:\n  web:\n    image: [unclosed\n  db: {}\n", "compose.yml")
    assert cf.services == []
    assert len(cf.problems) == 1
    assert cf.problems[0].startswith("line 4: invalid YAML: ")


def test_compose_top_level_not_a_mapping() -> None:
    assert parse_compose("- web\n- db\n", "c.yml").problems == ["top level is list, not a mapping"]
    assert parse_compose("", "c.yml").problems == ["the file is empty"]
    assert parse_compose("volumes: {}\n", "c.yml").problems == ["no 'services' section"]
    assert parse_compose("services: [a]\n", "c.yml").problems == [
        "'services' is list, not a mapping"
    ]


def test_compose_bad_service_entries() -> None:
    cf = parse_compose(
        "services:\n"
        "  web: just-a-string\n"
        "  worker:\n"
        "    volumes: ./x:/x\n"
        "    environment: 3\n"
        "  empty:\n"
        "  tagged:\n"
        "    ports: !reset []\n"
        "    command: !override python manage.py migrate\n",
        "compose.yml",
    )
    assert cf.problems == [
        "line 2: service 'web' is not a mapping",
        "line 3: service 'worker': volumes should be a list",
        "line 3: service 'worker': environment should be a mapping or a list",
    ]
    assert [(s.name, s.line) for s in cf.services] == [("worker", 3), ("empty", 6), ("tagged", 7)]
    assert cf.services[2].ports == []
    assert cf.services[2].command == "python manage.py migrate"
