"""The generated startup probes never print any part of a password, whatever the URL parser's
error says: a password may hold raw `/ ? # @ :`, so a parser splits the URL inside it and
names a piece of the password as the host, the port or the path."""

from __future__ import annotations

import urllib.parse

import pytest

from fixer.discovery import discover
from fixer.fixes import common_app
from tests.conftest import write_tree
from tests.reliability.conftest import MANAGE
from tests.test_common_app import load_module

PASSWORDS = ["r/ed?is#p@ss:w", "x@y/z", "p:a:s@s", "a?b#c/d@e"]
PASSWORD_URLS = [f"redis://user:{pw}@redis-host:6379/0" for pw in PASSWORDS]


def _pieces(password: str) -> set[str]:
    """Every run of four characters or more of the password: a piece a parser could cut out."""
    n = len(password)
    return {password[i:j] for i in range(n) for j in range(i + 4, n + 1)}


@pytest.fixture(scope="module")
def startup(tmp_path_factory):
    root = tmp_path_factory.mktemp("probes")
    write_tree(
        root,
        {
            "manage.py": MANAGE,
            "mysite/__init__.py": "",
            "requirements.txt": "Django==5.2\n",
            "mysite/settings.py": """\
                INSTALLED_APPS = []
                CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache",
                                      "LOCATION": "redis://127.0.0.1:6379/0"}}
                DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",
                                         "HOST": "db", "NAME": "x"}}
                """,
        },
    )
    text = common_app.app_files(discover(root), "common")["common/startup.py"]
    path = root / "generated_startup_reliability.py"
    path.write_text(text, encoding="utf-8")
    return load_module(path, "generated_startup_reliability")


@pytest.mark.parametrize("password", PASSWORDS)
def test_endpoint_never_shows_a_piece_of_the_password(startup, password):
    url = f"redis://user:{password}@redis-host:6379/0"
    shown = [startup._show(e) for e in startup._endpoints(url, 6379)]
    assert shown in ([], ["redis-host:6379"]), shown  # the host, or nothing: no piece of it


def _parser_errors(url: str) -> list[Exception]:
    errors: list[Exception] = []
    try:
        urllib.parse.urlsplit(url).port  # noqa: B018 - the parser's own error
    except ValueError as exc:
        errors.append(exc)
    try:
        import redis

        redis.Redis.from_url(url)  # parses only: no connection is made
    except Exception as exc:
        errors.append(exc)
    errors.append(ValueError(f"invalid URL {url!r}"))
    errors.append(OSError(f"could not connect to {url}: Connection refused"))
    return errors


@pytest.mark.parametrize("password", PASSWORDS)
def test_cause_never_shows_a_piece_of_the_password(startup, password):
    url = f"redis://user:{password}@redis-host:6379/0"
    for error in _parser_errors(url):
        cause = startup._cause(error, 1.0)
        assert not [p for p in _pieces(password) if p in cause], (repr(error), cause)
