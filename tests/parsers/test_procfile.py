from __future__ import annotations

from fixer.parsers.procfile import parse_procfile


def test_procfile() -> None:
    entries, problems = parse_procfile(
        "# processes\n"
        "\n"
        "web: gunicorn app.wsgi --log-file -\r\n"
        "release:python manage.py migrate\n"
        "gunicorn app.wsgi\n"
        "worker:\n"
        "web: waitress-serve app.wsgi:application\n"
    )
    assert [(e.process, e.command, e.line) for e in entries] == [
        ("web", "gunicorn app.wsgi --log-file -", 3),
        ("release", "python manage.py migrate", 4),
        ("web", "waitress-serve app.wsgi:application", 7),
    ]
    assert problems == [
        "line 5: expected 'process: command', got 'gunicorn app.wsgi'",
        "line 6: process 'worker' has no command",
        "line 7: process 'web' is already defined on line 3",
    ]
