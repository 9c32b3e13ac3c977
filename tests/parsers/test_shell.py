from __future__ import annotations

from fixer.parsers.commands import manage_py_commands, server_invocations
from fixer.parsers.makefile import parse_makefile
from fixer.parsers.shell import parse_shell_script, split_shell

ENTRYPOINT = """\
#!/bin/sh
set -e
# wait for the database
until pg_isready -h "$DB_HOST"; do sleep 1; done

FOO=1 BAR="a b" python manage.py migrate --noinput
python manage.py collectstatic --noinput && \\
    python manage.py loaddata fixtures/a.json || echo "no fixtures; fine"
if [ "$DJANGO_DEBUG" = "1" ]; then
    exec python manage.py runserver 0.0.0.0:8000
fi
cat <<EOF > /tmp/conf
python manage.py flush
EOF
exec gunicorn app.wsgi:application --bind "0.0.0.0:${PORT:-8000}" 2>&1
"""


def test_shell_script_commands() -> None:
    commands, problems = parse_shell_script(ENTRYPOINT)
    assert problems == []
    assert [(c.line, c.text, c.argv) for c in commands] == [
        (2, "set -e", ["set", "-e"]),
        (4, 'until pg_isready -h "$DB_HOST"', ["pg_isready", "-h", "$DB_HOST"]),
        (4, "do sleep 1", ["sleep", "1"]),
        (
            6,
            'FOO=1 BAR="a b" python manage.py migrate --noinput',
            ["python", "manage.py", "migrate", "--noinput"],
        ),
        (
            7,
            "python manage.py collectstatic --noinput",
            ["python", "manage.py", "collectstatic", "--noinput"],
        ),
        (
            8,
            "python manage.py loaddata fixtures/a.json",
            ["python", "manage.py", "loaddata", "fixtures/a.json"],
        ),
        (8, 'echo "no fixtures; fine"', ["echo", "no fixtures; fine"]),
        (9, 'if [ "$DJANGO_DEBUG" = "1" ]', ["[", "$DJANGO_DEBUG", "=", "1", "]"]),
        (
            10,
            "exec python manage.py runserver 0.0.0.0:8000",
            ["python", "manage.py", "runserver", "0.0.0.0:8000"],
        ),
        (12, "cat <<EOF > /tmp/conf", ["cat"]),
        (
            15,
            'exec gunicorn app.wsgi:application --bind "0.0.0.0:${PORT:-8000}" 2>&1',
            ["gunicorn", "app.wsgi:application", "--bind", "0.0.0.0:${PORT:-8000}"],
        ),
    ]
    assert commands[3].env == {"FOO": "1", "BAR": "a b"}
    assert [(c.line, sub, args) for c, sub, args in manage_py_commands(commands)] == [
        (6, "migrate", ["--noinput"]),
        (7, "collectstatic", ["--noinput"]),
        (8, "loaddata", ["fixtures/a.json"]),
        (10, "runserver", ["0.0.0.0:8000"]),
    ]
    assert [(c.line, s) for c, s in server_invocations(commands)] == [
        (10, "runserver"),
        (15, "gunicorn"),
    ]


def test_shell_script_unclosed_quote_is_a_problem() -> None:
    commands, problems = parse_shell_script(
        "set -e\necho 'unclosed && python manage.py migrate\nexec uvicorn app.asgi:application\n"
    )
    assert problems == ["line 2: unclosed single quote"]
    assert [(c.line, c.text, c.argv) for c in commands] == [
        (1, "set -e", ["set", "-e"]),
        (2, "echo 'unclosed && python manage.py migrate", []),
        (3, "exec uvicorn app.asgi:application", ["uvicorn", "app.asgi:application"]),
    ]


def test_shell_script_crlf_bom_and_pipes() -> None:
    commands, problems = parse_shell_script(
        "\ufeff#!/bin/bash\r\nyes | sudo -E apt-get install gcc\r\n"
        'X="$(date +%s | cut -c1-3)" env -i A=1 python -m celery -A proj beat\r\n'
    )
    assert problems == []
    assert [c.argv for c in commands] == [
        ["yes"],
        ["apt-get", "install", "gcc"],
        ["python", "-m", "celery", "-A", "proj", "beat"],
    ]
    assert commands[2].env == {"X": "$(date +%s | cut -c1-3)", "A": "1"}
    assert [s for _, s in server_invocations(commands)] == ["celery"]


def test_split_shell_line_numbers_and_operators() -> None:
    commands = split_shell("a; b & c\n(cd src && make) | tee log\n\n  d \\\n  e", line=10)
    assert [(c.line, c.text) for c in commands] == [
        (10, "a"),
        (10, "b"),
        (10, "c"),
        (11, "cd src"),
        (11, "make"),
        (11, "tee log"),
        (13, "d e"),
    ]


def test_makefile_recipes() -> None:
    recipes = parse_makefile(
        "PYTHON ?= python3\n"
        "MANAGE := $(PYTHON) manage.py\n"
        "\n"
        ".PHONY: run migrate\n"
        "run: migrate\n"
        "\t@$(PYTHON) manage.py runserver 0.0.0.0:8000\n"
        "\n"
        "migrate seed:\n"
        "\t-python manage.py migrate && \\\n"
        "\t  python manage.py loaddata seed.json\n"
        "\t# a shell comment\n"
        "\tfor f in *.sql; do echo $$f; done\n"
        "ifdef CI\n"
        "\t$(MAKE) check\n"
        "endif\n"
        "deploy: ; ./manage.py check --deploy\n"
        "VAR = 1\n"
        "\techo orphan\n"
    )
    assert [(t, c.line, c.text) for t, c in recipes] == [
        ("run", 6, "$(PYTHON) manage.py runserver 0.0.0.0:8000"),
        ("migrate", 9, "python manage.py migrate"),
        ("migrate", 10, "python manage.py loaddata seed.json"),
        ("migrate", 12, "for f in *.sql"),
        ("migrate", 12, "do echo $f"),
        ("migrate", 14, "$(MAKE) check"),
        ("deploy", 16, "./manage.py check --deploy"),
    ]
    commands = [c for _, c in recipes]
    assert [(c.line, sub, args) for c, sub, args in manage_py_commands(commands)] == [
        (6, "runserver", ["0.0.0.0:8000"]),
        (9, "migrate", []),
        (10, "loaddata", ["seed.json"]),
        (16, "check", ["--deploy"]),
    ]
