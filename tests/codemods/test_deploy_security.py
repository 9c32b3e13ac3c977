from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import tokenize
from collections import Counter
from pathlib import Path
from textwrap import dedent

import libcst as cst
import pytest
from django.core.management.utils import get_random_secret_key

from codemods.deploy_security import Result, transform


def comments(source: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


def check(before: str, after: str, **options: object) -> Result:
    """`before` becomes exactly `after`; the output parses, keeps every comment, and a second run
    changes nothing."""
    before, after = dedent(before), dedent(after)
    result = transform(before, **options)  # type: ignore[arg-type]
    assert result.code == after
    cst.parse_module(result.code)
    ast.parse(result.code)
    assert not comments(before) - comments(result.code)
    again = transform(result.code, **options)  # type: ignore[arg-type]
    assert again.code == result.code
    assert again.rewritten == []
    return result


def unchanged(source: str, **options: object) -> Result:
    source = dedent(source)
    result = transform(source, **options)  # type: ignore[arg-type]
    assert result.code == source
    assert result.rewritten == []
    return result


MIDDLEWARE = """\
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
"""

BLOCK = """\
# Security for production: every value can be overridden from the environment.
# SECURE_PROXY_SSL_HEADER trusts X-Forwarded-Proto: the TLS proxy in front must set it.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/?$", r"^common/health/?$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
X_FRAME_OPTIONS = "DENY"
"""


# -- nothing to change ---------------------------------------------------------------------------


def test_already_deploy_ready() -> None:
    result = unchanged('DEBUG = env.bool("DEBUG", default=False)\n\n' + MIDDLEWARE + "\n" + BLOCK)
    assert result.left == []


def test_secure_literals_and_environment_values_kept() -> None:
    result = unchanged(
        MIDDLEWARE
        + dedent(
            """\
            DEBUG = False
            SECURE_SSL_REDIRECT = True
            SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[])
            SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTOCOL", "https")
            SECURE_HSTS_SECONDS = 3600  # an hour while trying HSTS out
            SECURE_HSTS_INCLUDE_SUBDOMAINS = True
            SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
            SESSION_COOKIE_SECURE = not DEBUG
            CSRF_COOKIE_SECURE = True
            CSRF_TRUSTED_ORIGINS = ["https://shop.example.com"]
            X_FRAME_OPTIONS = "DENY"
            """
        )
    )
    assert result.left == []


def without(block: str, *names: str) -> str:
    """The block without the lines that set `names`."""
    return "".join(line for line in block.splitlines(True) if line.split(" =")[0] not in names)


def test_environment_reads_with_an_insecure_default_get_a_safe_one() -> None:
    # production gets the default whenever the variable is unset: the default changes, the
    # author's variable names and the reads that production must set stay
    result = check(
        MIDDLEWARE
        + dedent(
            """\
            DEBUG = env.bool("DEBUG", default=False)
            SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=False)
            CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", False)  # proxy
            SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT")
            SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=0)
            """
        ),
        MIDDLEWARE
        + dedent(
            """\
            DEBUG = env.bool("DEBUG", default=False)
            SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
            CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)  # proxy
            SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT")
            SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=0 if DEBUG else 31536000)

            """
        )
        + without(
            BLOCK,
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
        ),
        debug_defined=True,
    )
    assert sorted((name, line) for name, line in result.rewritten if line) == [
        ("CSRF_COOKIE_SECURE", 12),
        ("SECURE_HSTS_SECONDS", 14),
        ("SESSION_COOKIE_SECURE", 11),
    ]
    assert sorted(result.new_defaults) == [
        "CSRF_COOKIE_SECURE",
        "DJANGO_SESSION_COOKIE_SECURE",
        "HSTS_SECONDS",
    ]


def test_conditional_settings_are_the_authors() -> None:
    result = unchanged(
        MIDDLEWARE
        + BLOCK.replace(
            'CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)\n',
            "if DEBUG:\n    CSRF_COOKIE_SECURE = False\n",
        )
    )
    assert result.left == [
        (
            "CSRF_COOKIE_SECURE",
            20,
            "it is set inside a block (if/try/with): djfix does not rewrite conditional settings",
        )
    ]


def test_middleware_not_a_literal_is_left() -> None:
    result = unchanged(
        """\
        MIDDLEWARE = BASE_MIDDLEWARE + ["shop.middleware.TimingMiddleware"]
        """,
        settings_block=False,
    )
    assert result.left == [
        (
            "MIDDLEWARE",
            1,
            'it is the expression `BASE_MIDDLEWARE + ["shop.middleware.T...`, not a list '
            "literal: add SecurityMiddleware, CsrfViewMiddleware and XFrameOptionsMiddleware by "
            "hand",
        )
    ]


def test_middleware_added_elsewhere_counts() -> None:
    unchanged(
        """\
        MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
        MIDDLEWARE += ["django.middleware.csrf.CsrfViewMiddleware"]
        MIDDLEWARE.insert(0, "django.middleware.security.SecurityMiddleware")
        MIDDLEWARE += ["django.middleware.clickjacking.XFrameOptionsMiddleware"]
        """,
        settings_block=False,
    )


def test_a_list_that_extends_itself_holds_the_entries_added_above() -> None:
    check(
        """\
        MIDDLEWARE = [
            "django.middleware.common.CommonMiddleware",
        ]
        MIDDLEWARE = ["shop.middleware.TimingMiddleware", *MIDDLEWARE]
        """,
        """\
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ]
        MIDDLEWARE = ["shop.middleware.TimingMiddleware", *MIDDLEWARE]
        """,
        settings_block=False,
    )


def test_middleware_added_elsewhere_in_any_spelling_counts() -> None:
    # the literals are read from the text, an escape or a prefix as the parser reads it;
    # a name only inside an f-string's expression is one the text alone cannot show
    unchanged(
        """\
        MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
        MIDDLEWARE += ["django.middleware.csrf.CsrfViewMiddleware"]
        MIDDLEWARE.insert(0, u'django.middleware.security.Security\\x4diddleware')
        NAME = f"{'django.middleware.clickjacking.XFrameOptionsMiddleware'}"
        MIDDLEWARE += [NAME]
        """,
        settings_block=False,
    )
    result = transform(
        'MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]\n'
        'NOTE = b"django.middleware.security.SecurityMiddleware"\n',
        debug_defined=True,
        settings_block=False,
    )
    assert "SecurityMiddleware" in result.code.split("NOTE")[0]


def test_unparsable_source_is_left() -> None:
    result = unchanged("DEBUG = (\n")
    assert [(setting, line) for setting, line, _ in result.left] == [("<module>", 1)]


# -- rewrites ------------------------------------------------------------------------------------


def test_missing_settings_appended_as_one_block() -> None:
    result = check(
        """\
        DEBUG = env.bool('DEBUG', default=False)

        MIDDLEWARE = [
            'django.contrib.sessions.middleware.SessionMiddleware',  # sessions first
            'django.middleware.common.CommonMiddleware',
        ]

        STATIC_URL = '/static/'
        """,
        """\
        DEBUG = env.bool('DEBUG', default=False)

        MIDDLEWARE = [
            'django.middleware.security.SecurityMiddleware',
            'django.contrib.sessions.middleware.SessionMiddleware',  # sessions first
            'django.middleware.common.CommonMiddleware',
            'django.middleware.csrf.CsrfViewMiddleware',
            'django.middleware.clickjacking.XFrameOptionsMiddleware',
        ]

        STATIC_URL = '/static/'

        # Security for production: every value can be overridden from the environment.
        # SECURE_PROXY_SSL_HEADER trusts X-Forwarded-Proto: the TLS proxy in front must set it.
        SECURE_SSL_REDIRECT = env.bool('SECURE_SSL_REDIRECT', default=not DEBUG)
        SECURE_REDIRECT_EXEMPT = [r'^health/?$', r'^common/health/?$']
        SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')
        SECURE_HSTS_SECONDS = env.int('SECURE_HSTS_SECONDS', default=0 if DEBUG else 31536000)
        SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool('SECURE_HSTS_INCLUDE_SUBDOMAINS', default=not DEBUG)
        SECURE_HSTS_PRELOAD = env.bool('SECURE_HSTS_PRELOAD', default=not DEBUG)
        SESSION_COOKIE_SECURE = env.bool('SESSION_COOKIE_SECURE', default=not DEBUG)
        CSRF_COOKIE_SECURE = env.bool('CSRF_COOKIE_SECURE', default=not DEBUG)
        CSRF_TRUSTED_ORIGINS = env.list('CSRF_TRUSTED_ORIGINS', default=[])
        X_FRAME_OPTIONS = 'DENY'
        """,  # noqa: E501
    )
    assert result.rewritten[0] == ("MIDDLEWARE", 3)
    assert result.rewritten[1:] == [
        (name, 0)
        for name in (
            "SECURE_SSL_REDIRECT",
            "SECURE_REDIRECT_EXEMPT",
            "SECURE_PROXY_SSL_HEADER",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_HSTS_PRELOAD",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "CSRF_TRUSTED_ORIGINS",
            "X_FRAME_OPTIONS",
        )
    ]
    assert result.left == []


def test_without_debug_the_defaults_are_production_values() -> None:
    check(
        """\
        from .base import *  # noqa: F403
        """,
        """\
        from .base import *  # noqa: F403

        # Security for production: every value can be overridden from the environment.
        # SECURE_PROXY_SSL_HEADER trusts X-Forwarded-Proto: the TLS proxy in front must set it.
        SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
        SECURE_REDIRECT_EXEMPT = [r"^health/?$", r"^common/health/?$"]
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
        SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
        SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
        SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
        CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
        CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
        X_FRAME_OPTIONS = "DENY"
        """,
        debug_defined=False,
    )


def test_insecure_literals_rewritten_in_place() -> None:
    result = check(
        """\
        DEBUG = True
        # cookies over plain HTTP while developing
        SESSION_COOKIE_SECURE = False
        CSRF_COOKIE_SECURE = False  # see above
        SECURE_HSTS_SECONDS = 0
        X_FRAME_OPTIONS = "SAMEORIGIN"
        SECURE_PROXY_SSL_HEADER = None
        SECURE_CONTENT_TYPE_NOSNIFF = False
        SECURE_REFERRER_POLICY = None
        """,
        """\
        DEBUG = True
        # cookies over plain HTTP while developing
        SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
        CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)  # see above
        SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
        X_FRAME_OPTIONS = "DENY"
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        SECURE_CONTENT_TYPE_NOSNIFF = True
        SECURE_REFERRER_POLICY = "same-origin"

        # Security for production: every value can be overridden from the environment.
        SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
        SECURE_REDIRECT_EXEMPT = [r"^health/?$", r"^common/health/?$"]
        SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
        SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
        CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
        """,  # noqa: E501
    )
    assert sorted(line for _, line in result.rewritten if line) == [3, 4, 5, 6, 7, 8, 9]


FRAMES = "the site frames its own pages (shop/templates/label.html:3)"


def test_x_frame_options_the_caller_keeps_is_left_with_its_reason() -> None:
    result = unchanged(
        'DEBUG = env.bool("DEBUG", default=False)\n\n'
        + MIDDLEWARE
        + "\n"
        + BLOCK.replace('X_FRAME_OPTIONS = "DENY"', 'X_FRAME_OPTIONS = "SAMEORIGIN"'),
        keep={"X_FRAME_OPTIONS": FRAMES},
    )
    assert result.left == [("X_FRAME_OPTIONS", 24, FRAMES)]


def test_clickjacking_middleware_not_added_for_a_site_that_frames_its_own_pages() -> None:
    middleware = MIDDLEWARE.replace(
        '    "django.middleware.clickjacking.XFrameOptionsMiddleware",\n', ""
    )
    result = unchanged(
        'DEBUG = env.bool("DEBUG", default=False)\n\n'
        + middleware
        + "\n"
        + BLOCK.replace('X_FRAME_OPTIONS = "DENY"\n', ""),
        keep={"X_FRAME_OPTIONS": FRAMES},
    )
    assert result.left == [("MIDDLEWARE", 3, FRAMES)]


def test_redirect_exempt_gets_the_health_paths() -> None:
    check(
        BLOCK.replace(
            'SECURE_REDIRECT_EXEMPT = [r"^health/?$", r"^common/health/?$"]',
            'SECURE_REDIRECT_EXEMPT = [\n    r"^ping/$",  # uptime robot\n]',
        ),
        BLOCK.replace(
            'SECURE_REDIRECT_EXEMPT = [r"^health/?$", r"^common/health/?$"]',
            'SECURE_REDIRECT_EXEMPT = [\n    r"^ping/$",  # uptime robot\n'
            '    r"^health/?$",\n    r"^common/health/?$",\n]',
        ),
        settings_block=True,
    )


def test_old_middleware_classes_tuple_on_one_line() -> None:
    check(
        """\
        MIDDLEWARE_CLASSES = ('django.middleware.common.CommonMiddleware',)  # Django 1.8
        """,
        """\
        MIDDLEWARE_CLASSES = ('django.middleware.security.SecurityMiddleware', 'django.middleware.common.CommonMiddleware', 'django.middleware.csrf.CsrfViewMiddleware', 'django.middleware.clickjacking.XFrameOptionsMiddleware',)  # Django 1.8
        """,  # noqa: E501
        settings_block=False,
    )


def test_setting_above_debug_moves_into_the_block() -> None:
    check(
        """\
        # HTTPS is handled by the proxy
        SECURE_SSL_REDIRECT = False  # for now
        DEBUG = env.bool("DEBUG", default=False)
        """,
        """\
        # HTTPS is handled by the proxy
        DEBUG = env.bool("DEBUG", default=False)

        # Security for production: every value can be overridden from the environment.
        # SECURE_PROXY_SSL_HEADER trusts X-Forwarded-Proto: the TLS proxy in front must set it.
        SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)  # for now
        SECURE_REDIRECT_EXEMPT = [r"^health/?$", r"^common/health/?$"]
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
        SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
        SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
        SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
        CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
        CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
        X_FRAME_OPTIONS = "DENY"
        """,  # noqa: E501
    )


@pytest.mark.parametrize(
    "local_override",
    [
        "\ntry:\n    from .local_settings import *  # noqa: F403\nexcept ImportError:\n    pass\n",
        '\nif (BASE_DIR / "local_settings.py").exists():\n    from .local_settings import *\n',
    ],
)
def test_block_goes_before_local_overrides(local_override: str) -> None:
    check(
        'DEBUG = env.bool("DEBUG", default=False)\n' + local_override,
        'DEBUG = env.bool("DEBUG", default=False)\n\n' + BLOCK + local_override,
    )


# -- the result passes Django's own deploy checks ------------------------------------------------

LEGACY_SETTINGS = """\
import environ

env = environ.Env()

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = ["shop.example.com", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "shop.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
X_FRAME_OPTIONS = "SAMEORIGIN"  # admin popups
SESSION_COOKIE_SECURE = False
"""

SCRIPT = """\
import django
from django.conf import settings
from django.core.management import call_command

django.setup()
print("redirect", settings.SECURE_SSL_REDIRECT, "hsts", settings.SECURE_HSTS_SECONDS)
print("secure cookies", settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)
call_command("check", deploy={deploy}, fail_level="WARNING")
"""


def run_settings(tmp_path: Path, *, debug: bool, deploy: bool) -> subprocess.CompletedProcess[str]:
    """Load the rewritten settings in a fresh interpreter and run `manage.py check`."""
    result = transform(LEGACY_SETTINGS)
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "urls.py").write_text("urlpatterns = []\n", encoding="utf-8")
    (package / "settings.py").write_text(result.code, encoding="utf-8")
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(tmp_path),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        # django-environ reads a value starting with "$" as a reference to another variable
        "SECRET_KEY": "k" + get_random_secret_key()[1:],
        "DEBUG": str(debug),
    }
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(deploy=deploy)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_rewritten_settings_pass_check_deploy(tmp_path: Path) -> None:
    process = run_settings(tmp_path, debug=False, deploy=True)
    assert process.returncode == 0, process.stderr
    assert "redirect True hsts 31536000" in process.stdout
    assert "secure cookies True True" in process.stdout
    assert "System check identified no issues" in process.stdout


def test_local_development_keeps_plain_http(tmp_path: Path) -> None:
    process = run_settings(tmp_path, debug=True, deploy=False)
    assert process.returncode == 0, process.stderr
    assert "redirect False hsts 0" in process.stdout
    assert "secure cookies False False" in process.stdout
    assert "System check identified no issues" in process.stdout


def test_health_middleware_stays_first() -> None:
    source = dedent(
        """\
        MIDDLEWARE = [
            "common.middleware.HealthCheckMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ]
        """
    )
    result = transform(source, settings_block=False)
    assert result.code == dedent(
        """\
        MIDDLEWARE = [
            "common.middleware.HealthCheckMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ]
        """
    )


# -- headers an older Django asks for ------------------------------------------------------------


def test_old_django_headers_are_not_added_for_a_new_django() -> None:
    unchanged('DEBUG = env.bool("DEBUG", default=False)\n\n' + MIDDLEWARE + "\n" + BLOCK)


def test_old_django_gets_nosniff_and_the_xss_filter() -> None:
    before = 'DEBUG = env.bool("DEBUG", default=False)\n\n' + MIDDLEWARE + "\n" + BLOCK
    result = check(
        before,
        before
        + "\n# Headers Django before 3.0 sends only when asked (check --deploy W006, W007).\n"
        + "SECURE_CONTENT_TYPE_NOSNIFF = True\nSECURE_BROWSER_XSS_FILTER = True\n",
        old_headers=True,
    )
    assert result.rewritten == [
        ("SECURE_CONTENT_TYPE_NOSNIFF", 0),
        ("SECURE_BROWSER_XSS_FILTER", 0),
    ]


def test_django_before_1_11_gets_an_httponly_csrf_cookie() -> None:
    before = 'DEBUG = env.bool("DEBUG", default=False)\n\n' + MIDDLEWARE + "\n" + BLOCK
    result = check(
        before,
        before
        + "\n# Settings Django before 1.11 leaves off and check --deploy asks for (W006, W007, "
        + "W017).\n"
        + "SECURE_CONTENT_TYPE_NOSNIFF = True\nSECURE_BROWSER_XSS_FILTER = True\n"
        + "CSRF_COOKIE_HTTPONLY = True\n",
        old_headers=True,
        old_csrf=True,
    )
    assert result.rewritten == [
        ("SECURE_CONTENT_TYPE_NOSNIFF", 0),
        ("SECURE_BROWSER_XSS_FILTER", 0),
        ("CSRF_COOKIE_HTTPONLY", 0),
    ]


def test_an_httponly_csrf_cookie_turned_off_is_turned_on_before_django_1_11() -> None:
    headers = "SECURE_CONTENT_TYPE_NOSNIFF = True\nSECURE_BROWSER_XSS_FILTER = True\n"
    before = (
        'DEBUG = env.bool("DEBUG", default=False)\n\n'
        + MIDDLEWARE
        + "CSRF_COOKIE_HTTPONLY = False  # the page script reads it\n"
        + headers
        + "\n"
        + BLOCK
    )
    result = check(
        before,
        before.replace("CSRF_COOKIE_HTTPONLY = False", "CSRF_COOKIE_HTTPONLY = True"),
        old_headers=True,
        old_csrf=True,
    )
    assert result.rewritten == [("CSRF_COOKIE_HTTPONLY", 12)]
    # Django 1.11 and later do not ask for it: left as the author wrote it
    unchanged(before, old_headers=True)


def test_old_django_insecure_header_literal_is_rewritten() -> None:
    before = (
        'DEBUG = env.bool("DEBUG", default=False)\n\n'
        + MIDDLEWARE
        + "SECURE_BROWSER_XSS_FILTER = False  # off while testing\n\n"
        + BLOCK
    )
    after = (
        'DEBUG = env.bool("DEBUG", default=False)\n\n'
        + MIDDLEWARE
        + "SECURE_BROWSER_XSS_FILTER = True  # off while testing\n\n"
        + BLOCK
        + "\n# Headers Django before 3.0 sends only when asked (check --deploy W006, W007).\n"
        + "SECURE_CONTENT_TYPE_NOSNIFF = True\n"
    )
    result = check(before, after, old_headers=True)
    assert result.rewritten == [
        ("SECURE_BROWSER_XSS_FILTER", 12),
        ("SECURE_CONTENT_TYPE_NOSNIFF", 0),
    ]
