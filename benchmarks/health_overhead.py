"""How much Python the generated /health adds beyond the database round trip.

    python benchmarks/health_overhead.py [--requests 5000]

Generates the common app for a small project, loads it in a real Django with an SQLite database,
and times, per request: (a) `SELECT 1` on a cursor alone, (b) a GET /health through the full WSGI
handler (every middleware of a startproject settings module, the health middleware first), and
(c) a GET of a trivial view through the same handler, for scale. The overhead of /health is
(b) - (a). Prints the medians of several rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(tmp: Path) -> str:
    from fixer.discovery import discover
    from fixer.fixes import common_app

    (tmp / "manage.py").write_text(
        'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")\n'
    )
    (tmp / "bench").mkdir()
    (tmp / "bench/__init__.py").write_text("")
    (tmp / "bench/settings.py").write_text(
        textwrap.dedent(
            f"""\
            SECRET_KEY = "benchmark-only-" + "x" * 40
            DEBUG = False
            ALLOWED_HOSTS = ["example.com"]
            INSTALLED_APPS = [
                "django.contrib.contenttypes",
                "django.contrib.auth",
                "django.contrib.sessions",
                "django.contrib.messages",
                "common.apps.CommonConfig",
            ]
            MIDDLEWARE = [
                "common.middleware.HealthCheckMiddleware",
                "django.middleware.security.SecurityMiddleware",
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware",
                "django.middleware.clickjacking.XFrameOptionsMiddleware",
            ]
            ROOT_URLCONF = "bench.urls"
            # persistent connections, as djfix's item 11 fix sets them: with CONN_MAX_AGE = 0
            # every request would also pay for opening a connection
            DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3",
                                      "NAME": "{tmp / "bench.sqlite3"}",
                                      "CONN_MAX_AGE": 60}}}}
            USE_TZ = True
            """
        )
    )
    (tmp / "bench/urls.py").write_text(
        "from django.http import HttpResponse\nfrom django.urls import path\n\n"
        'urlpatterns = [path("plain", lambda request: HttpResponse("ok"))]\n'
    )
    project = discover(tmp)
    for rel, text in common_app.app_files(project, "common").items():
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return "bench.settings"


def per_call(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        settings_module = build(tmp_path)
        sys.path.insert(0, tmp)
        import os

        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
        os.environ["STARTUP_CHECKS"] = "false"
        import django
        from django.core.handlers.wsgi import WSGIHandler
        from django.db import connection
        from django.test import RequestFactory

        django.setup()
        handler = WSGIHandler()
        factory = RequestFactory()

        def environ_for(path: str, host: str) -> dict:
            return factory.get(path, HTTP_HOST=host).environ

        def call(path: str, host: str):
            environ = environ_for(path, host)
            status = []
            body = handler(environ, lambda s, h: status.append(s))
            b"".join(body)
            return status[0]

        assert call("/health", "10.0.0.1").startswith("200"), call("/health", "10.0.0.1")
        assert call("/plain", "example.com").startswith("200")

        def select_one():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()

        rounds = {"select": [], "health": [], "plain": []}
        for _ in range(args.rounds):
            rounds["select"].append(per_call(select_one, args.requests))
            rounds["health"].append(per_call(lambda: call("/health", "10.0.0.1"), args.requests))
            rounds["plain"].append(per_call(lambda: call("/plain", "example.com"), args.requests))
        med = {k: statistics.median(v) * 1e6 for k, v in rounds.items()}
        print(
            f"SELECT 1 alone: {med['select']:.1f} us; GET /health through WSGI: "
            f"{med['health']:.1f} us; overhead beyond the database: "
            f"{med['health'] - med['select']:.1f} us; a trivial view through the full "
            f"middleware stack, for scale: {med['plain']:.1f} us "
            f"(median of {args.rounds} rounds x {args.requests} requests, Django "
            f"{django.get_version()}, SQLite)"
        )


if __name__ == "__main__":
    main()
