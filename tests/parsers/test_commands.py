from __future__ import annotations

from fixer.parsers.commands import manage_py_commands, server_invocations
from fixer.parsers.shell import ScriptCommand, split_shell


def _commands(*lines: str) -> list[ScriptCommand]:
    return [c for number, text in enumerate(lines, 1) for c in split_shell(text, number)]


def test_manage_py_commands_variety() -> None:
    commands = _commands(
        "python manage.py runserver 0.0.0.0:8000",
        "python3 ./src/manage.py loaddata a b",
        "django-admin migrate --settings=x",
        "./manage.py shell -c 'print(1)'",
        "python -u app/manage.py check --deploy",
        "python -m django collectstatic --noinput",
        "poetry run python manage.py createsuperuser --noinput",
        'sh -c "python manage.py migrate && python manage.py runserver"',
        "python -c 'import manage'",
        "python manage.py",
        "python manage.py --help",
        "python other.py migrate",
    )
    assert [(c.line, sub, args) for c, sub, args in manage_py_commands(commands)] == [
        (1, "runserver", ["0.0.0.0:8000"]),
        (2, "loaddata", ["a", "b"]),
        (3, "migrate", ["--settings=x"]),
        (4, "shell", ["-c", "print(1)"]),
        (5, "check", ["--deploy"]),
        (6, "collectstatic", ["--noinput"]),
        (7, "createsuperuser", ["--noinput"]),
        (8, "migrate", []),
        (8, "runserver", []),
    ]


def test_server_invocations_variety() -> None:
    commands = _commands(
        "python manage.py runserver 0.0.0.0:8000",
        "python -m gunicorn x.wsgi",
        "exec uvicorn app.asgi:application",
        "supervisord -n -c /etc/s.conf",
        "nginx -g 'daemon off;'",
        "daphne -b 0.0.0.0 app.asgi:application",
        "hypercorn app.asgi:application",
        "granian --interface asgi app.asgi:application",
        "uwsgi --ini uwsgi.ini",
        "celery -A proj worker -l info",
        "circusd circus.ini",
        "honcho start",
        "newrelic-admin run-program gunicorn app.wsgi",
        "python manage.py runserver_plus",
        "nginx -t",
        "nginx -s reload",
        "celery -A proj inspect ping",
        "gunicorn --version",
        "python manage.py migrate",
        "pip install gunicorn",
    )
    assert [(c.line, s) for c, s in server_invocations(commands)] == [
        (1, "runserver"),
        (2, "gunicorn"),
        (3, "uvicorn"),
        (4, "supervisord"),
        (5, "nginx"),
        (6, "daphne"),
        (7, "hypercorn"),
        (8, "granian"),
        (9, "uwsgi"),
        (10, "celery"),
        (11, "circus"),
        (12, "honcho"),
        (13, "gunicorn"),
        (14, "runserver"),
    ]
    nginx = commands[4]
    assert nginx.argv == ["nginx", "-g", "daemon off;"]
