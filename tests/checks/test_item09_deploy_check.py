from __future__ import annotations

from textwrap import dedent

import pytest
from django.core.exceptions import ImproperlyConfigured

from codemods import deploy_security
from fixer.apply import plan
from fixer.checks import Selection, resolve_selection
from fixer.checks import item09_deploy_check as item09
from fixer.config import effective_options
from fixer.discovery import discover
from tests.conftest import (
    ENV_HEAD,
    MINIMAL_MANAGE,
    PROJECTS,
    SETTINGS_REQUIREMENTS,
    assert_fix_silences,
    findings_of,
    write_tree,
)

EXAMPLES = PROJECTS.parent.parent / "examples"

MIDDLEWARE = """\
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
"""
CLEAN = (
    """\
import environ

env = environ.Env()
SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.sessions"]
"""
    + MIDDLEWARE
    + """\
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
"""
)
# Before Django 3.0 the defaults were X_FRAME_OPTIONS = "SAMEORIGIN" and no nosniff header.
# Before Django 3.0 the XSS filter header (W007) was off by default and checked too.
OLD_CLEAN = (
    CLEAN
    + 'X_FRAME_OPTIONS = "DENY"\nSECURE_CONTENT_TYPE_NOSNIFF = True\n'
    + "SECURE_BROWSER_XSS_FILTER = True\n"
)
# Before Django 1.11 the CSRF cookie had to be HttpOnly too (W017).
OLDER_CLEAN = OLD_CLEAN + "CSRF_COOKIE_HTTPONLY = True\n"


def run(make_project, settings: str, django: str | None = "Django==5.2", **extra: str):
    files = {"mysite/settings.py": settings, **extra}
    if django:
        files["requirements.txt"] = django + "\n"
    return findings_of(item09, make_project(files))


def replace(settings: str, old: str, new: str) -> str:
    assert old in settings
    return settings.replace(old, new)


def shape(findings) -> list[tuple[str, int | None]]:
    return [(f.code, f.line) for f in findings]


# -- nothing to report ---------------------------------------------------------------------------


def test_settings_read_from_env_with_safe_defaults(make_project):
    assert run(make_project, CLEAN) == []


def test_env_without_default_is_provided_by_production(make_project):
    settings = replace(CLEAN, 'env.bool("DEBUG", default=False)', 'env.bool("DEBUG")')
    settings = replace(
        settings, "SESSION_COOKIE_SECURE = True", 'SESSION_COOKIE_SECURE = env.bool("S")'
    )
    settings = replace(settings, "default=31536000)", ")")
    assert run(make_project, settings) == []


def test_decouple_cast_bool_with_false_default(make_project):
    settings = replace(
        CLEAN,
        'DEBUG = env.bool("DEBUG", default=False)',
        'from decouple import config\nDEBUG = config("DEBUG", default=False, cast=bool)',
    )
    assert run(make_project, settings) == []


def test_environ_scheme_gives_the_cast_and_default(make_project):
    settings = replace(CLEAN, "env = environ.Env()", "env = environ.Env(DEBUG=(bool, False))")
    settings = replace(settings, 'env.bool("DEBUG", default=False)', 'env("DEBUG")')
    assert run(make_project, settings) == []


def test_comparison_with_the_environment_string(make_project):
    settings = replace(
        CLEAN,
        'DEBUG = env.bool("DEBUG", default=False)',
        'import os\nDEBUG = os.environ.get("DEBUG", "False").lower() in ("1", "true")',
    )
    assert run(make_project, settings) == []


def test_dev_module_debug_true_but_production_clean(make_project):
    project = make_project(
        {
            "manage.py": """\
                import os
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings.dev")
            """,
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": CLEAN,
            "mysite/settings/dev.py": """\
                from .base import *  # noqa
                DEBUG = True
                SECRET_KEY = "dev"
                ALLOWED_HOSTS = []
                SESSION_COOKIE_SECURE = False
            """,
            "mysite/settings/prod.py": "from .base import *  # noqa\n",
        }
    )
    assert project.production_module == "mysite.settings.prod"
    assert findings_of(item09, project) == []


def test_x_frame_options_defaults_to_deny_from_django_3(make_project):
    assert run(make_project, CLEAN, django="Django==3.2") == []


def test_csrf_use_sessions_makes_the_cookie_flag_moot(make_project):
    settings = replace(CLEAN, "CSRF_COOKIE_SECURE = True", "CSRF_USE_SESSIONS = True")
    assert run(make_project, settings) == []


def test_conditional_assignment_is_left_to_the_environment(make_project):
    settings = CLEAN + 'if env.bool("LOCAL", default=False):\n    DEBUG = True\n'
    assert run(make_project, settings) == []


def test_computed_middleware_is_not_judged(make_project):
    settings = replace(CLEAN, MIDDLEWARE, "MIDDLEWARE = [m for m in BASE_MIDDLEWARE]\n")
    assert run(make_project, settings) == []


def test_unparsable_settings_report_nothing(make_project):
    assert run(make_project, CLEAN + "DEBUG = (\n") == []


# -- DJ090 debug-enabled -------------------------------------------------------------------------


def test_debug_literal_true(make_project):
    settings = replace(CLEAN, 'env.bool("DEBUG", default=False)', "True")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ090", 5)]
    assert "DEBUG is True in mysite/settings.py (security.W018)" in findings[0].message


def test_debug_default_true(make_project):
    settings = replace(CLEAN, "default=False)", "default=True)")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ090", 5)]
    assert "defaults to True" in findings[0].message
    assert 'env.bool("DEBUG", default=False)' in findings[0].message


def test_debug_raw_environment_string_is_a_trap(make_project):
    settings = replace(
        CLEAN,
        'DEBUG = env.bool("DEBUG", default=False)',
        'import os\nDEBUG = os.environ.get("DJANGO_DEBUG", False)',
    )
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ090", 6)]
    assert "true whenever DJANGO_DEBUG is set, even to False" in findings[0].message


def test_debug_bool_of_getenv_is_a_trap(make_project):
    settings = replace(
        CLEAN,
        'DEBUG = env.bool("DEBUG", default=False)',
        'import os\nDEBUG = bool(os.getenv("DEBUG"))',
    )
    assert shape(run(make_project, settings)) == [("DJ090", 6)]


def test_strtobool_reads_give_their_default(make_project):
    # distutils' strtobool (or a project's own of that name) over an environment read
    settings = replace(
        CLEAN,
        'DEBUG = env.bool("DEBUG", default=False)',
        "import os\nfrom distutils.util import strtobool\n"
        'DEBUG = bool(strtobool(os.environ.get("DEBUG", "False")))',
    )
    settings = replace(
        settings,
        "SESSION_COOKIE_SECURE = True",
        'SESSION_COOKIE_SECURE = bool(strtobool(os.getenv("SESSION_COOKIE_SECURE") or "False"))',
    )
    # strtobool gives 1, not True: Django's `CSRF_COOKIE_SECURE is True` fails on it
    settings = replace(
        settings,
        "CSRF_COOKIE_SECURE = True",
        'CSRF_COOKIE_SECURE = strtobool(os.getenv("CSRF_COOKIE_SECURE", "yes"))',
    )
    assert shape(run(make_project, settings)) == [("DJ095", 20), ("DJ096", 21)]


TRUTHY = """\
def is_truthy(arg):
    if isinstance(arg, bool):
        return arg
    val = str(arg).lower()
    if val in ("y", "yes", "t", "true", "on", "1"):
        return True
    elif val in ("n", "no", "f", "false", "off", "0"):
        return False
    else:
        raise ValueError(arg)
"""


@pytest.mark.parametrize(("default", "expected"), [("False", []), ("yes", [("DJ090", 7)])])
def test_a_projects_own_text_to_bool_function_over_a_read(make_project, default, expected):
    # nautobot's shape: DEBUG = is_truthy(os.getenv("DEBUG", "False")), is_truthy imported
    # from a module of the project
    settings = replace(
        CLEAN,
        'DEBUG = env.bool("DEBUG", default=False)',
        f"import os\nfrom mysite.funcs import is_truthy as truthy\n"
        f'DEBUG = truthy(os.getenv("DEBUG", "{default}"))',
    )
    findings = run(make_project, settings, **{"mysite/funcs.py": TRUTHY})
    assert shape(findings) == expected
    if expected:
        assert "defaults to True" in findings[0].message


def test_debug_env_without_cast_or_scheme_is_a_trap(make_project):
    settings = replace(CLEAN, 'env.bool("DEBUG", default=False)', 'env("DEBUG")')
    assert shape(run(make_project, settings)) == [("DJ090", 5)]


def test_debug_computed_cannot_be_told(make_project):
    settings = replace(CLEAN, 'env.bool("DEBUG", default=False)', '"runserver" in sys.argv')
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ090", 5)]
    assert findings[0].message.startswith("djfix cannot tell whether DEBUG is off")


def test_debug_compared_to_a_non_production_name_defaults_on(make_project):
    settings = replace(
        CLEAN,
        'DEBUG = env.bool("DEBUG", default=False)',
        'import os\nDEBUG = os.environ.get("DJANGO_ENV") != "production"',
    )
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ090", 6)]
    assert "defaults to True" in findings[0].message


def debug_in_production(settings: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether real django-environ gives these settings a true DEBUG in production: with
    DEBUG=False in the environment, or with DEBUG unset (a read without a default then raises:
    production must set it)."""
    outcomes = []
    for value in ("False", None):
        if value is None:
            monkeypatch.delenv("DEBUG", raising=False)
        else:
            monkeypatch.setenv("DEBUG", value)
        monkeypatch.setenv("SECRET_KEY", "x" * 50)
        namespace: dict = {}
        try:
            exec(compile(settings, "settings.py", "exec"), namespace)
        except ImproperlyConfigured:
            continue
        outcomes.append(bool(namespace["DEBUG"]))
    return any(outcomes)


@pytest.mark.parametrize(
    "debug",
    [
        'env("DEBUG")',  # the raw text: "False" is true
        'env("DEBUG", default="False")',  # a str default casts to str
        'env("DEBUG", default=None)',
        'env.str("DEBUG", default="False")',
        # django-environ's smart cast reads the text as the default's type: False -> bool
        'env("DEBUG", default=False)',
        'env("DEBUG", cast=bool, default=True)',
        'env.bool("DEBUG", default=False)',
    ],
)
def test_debug_read_by_env_is_reported_as_django_environ_reads_it(
    make_project, monkeypatch: pytest.MonkeyPatch, debug: str
) -> None:
    settings = ENV_HEAD.replace('env.bool("DEBUG", default=False)', debug)
    found = run(make_project, settings, "Django==5.2\ndjango-environ==0.11")
    reported = [f.code for f in found if f.code == "DJ090"] == ["DJ090"]
    assert reported == debug_in_production(settings, monkeypatch)


def test_debug_read_by_env_without_cast_is_reported(make_project, monkeypatch) -> None:
    # with the smart cast off, env() returns the environment's text whatever the default:
    # DEBUG=False in the environment is "False", a true value
    settings = ENV_HEAD.replace(
        'env.bool("DEBUG", default=False)', 'env("DEBUG", default=False)'
    ).replace("env = environ.Env()\n", "env = environ.Env()\nenv.smart_cast = False\n")
    assert debug_in_production(settings, monkeypatch)
    found = run(make_project, settings, "Django==5.2\ndjango-environ==0.11")
    [debug] = [f for f in found if f.code == "DJ090"]
    assert "even to False" in debug.message


# -- DJ091 secret-key-weak -----------------------------------------------------------------------


def test_secret_key_django_insecure_literal(make_project):
    key = "django-insecure-" + "abcdefghij" * 5
    settings = replace(CLEAN, 'env("SECRET_KEY")', repr(key))
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ091", 4)]
    assert "django-insecure-" in findings[0].message
    assert key not in findings[0].message


def test_secret_key_short_default(make_project):
    settings = replace(CLEAN, 'env("SECRET_KEY")', 'env("SECRET_KEY", default="dev-key")')
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ091", 4)]
    assert "defaults to a weak key" in findings[0].message
    assert "7 characters" in findings[0].message
    assert "dev-key" not in findings[0].message


def test_secret_key_empty_default_is_reported(make_project):
    # Django takes the empty key without a word at start, and fails late (or warns W009)
    for default in ('""', "None"):
        settings = replace(CLEAN, 'env("SECRET_KEY")', f'env("SECRET_KEY", default={default})')
        findings = run(make_project, settings)
        assert shape(findings) == [("DJ091", 4)]
        assert "drop the default" in findings[0].message


def test_secret_key_repetitive(make_project):
    settings = replace(CLEAN, 'env("SECRET_KEY")', repr("ab" * 30))
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ091", 4)]
    assert "2 distinct characters" in findings[0].message


def test_secret_key_missing(make_project):
    settings = replace(CLEAN, 'SECRET_KEY = env("SECRET_KEY")\n', "")
    findings = run(make_project, settings)
    assert [(f.code, f.path, f.line) for f in findings] == [("DJ091", "mysite/settings.py", None)]


def test_secret_key_fallbacks(make_project):
    settings = CLEAN + 'SECRET_KEY_FALLBACKS = ["old"]\n'
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ091", 20)]
    assert "security.W025" in findings[0].message


# -- DJ092 allowed-hosts-empty -------------------------------------------------------------------


def test_allowed_hosts_literal_empty(make_project):
    settings = replace(CLEAN, 'env.list("ALLOWED_HOSTS", default=[])', "[]")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ092", 6)]
    assert "security.W020" in findings[0].message


def test_allowed_hosts_missing(make_project):
    settings = replace(CLEAN, 'ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])\n', "")
    assert shape(run(make_project, settings)) == [("DJ092", None)]


# -- DJ093 hsts-not-set --------------------------------------------------------------------------


def test_hsts_missing(make_project):
    settings = replace(
        CLEAN, 'SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)\n', ""
    )
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ093", None)]
    assert "SECURE_HSTS_SECONDS is not set" in findings[0].message


def test_hsts_default_zero(make_project):
    settings = replace(CLEAN, "default=31536000", "default=0")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ093", 15)]
    assert "defaults to 0" in findings[0].message


def test_hsts_on_without_subdomains_and_preload(make_project):
    settings = replace(CLEAN, "SECURE_HSTS_INCLUDE_SUBDOMAINS = True\n", "")
    settings = replace(settings, "SECURE_HSTS_PRELOAD = True", "SECURE_HSTS_PRELOAD = False")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ093", 15)]  # at SECURE_HSTS_SECONDS: the other is unset
    message = findings[0].message
    assert "SECURE_HSTS_INCLUDE_SUBDOMAINS (W005) and SECURE_HSTS_PRELOAD (W021)" in message


def test_hsts_preload_not_checked_before_django_1_11(make_project):
    settings = replace(OLDER_CLEAN, "SECURE_HSTS_PRELOAD = True\n", "")
    assert run(make_project, settings, django="Django==1.10.8") == []


# -- DJ094 .. DJ096 ------------------------------------------------------------------------------


def test_ssl_redirect_default_false(make_project):
    settings = replace(CLEAN, 'env.bool("SECURE_SSL_REDIRECT", default=True)', "False")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ094", 14)]
    assert "SECURE_SSL_REDIRECT is False" in findings[0].message


def test_session_cookie_not_secure(make_project):
    settings = replace(CLEAN, "SESSION_COOKIE_SECURE = True\n", "")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ095", None)]
    assert "security.W012" in findings[0].message


def test_session_cookie_secure_from_raw_environment_string(make_project):
    settings = replace(
        CLEAN,
        "SESSION_COOKIE_SECURE = True",
        'import os\nSESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", True)',
    )
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ095", 19)]
    assert "raw string of SESSION_COOKIE_SECURE, never the boolean True" in findings[0].message


def test_session_cookie_with_the_app_but_not_the_middleware(make_project):
    settings = replace(CLEAN, "SESSION_COOKIE_SECURE = True\n", "")
    settings = replace(
        settings, '    "django.contrib.sessions.middleware.SessionMiddleware",\n', ""
    )
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ095", None)]
    assert "security.W010" in findings[0].message


def test_session_cookie_httponly_off(make_project):
    findings = run(make_project, CLEAN + "SESSION_COOKIE_HTTPONLY = False\n")
    assert shape(findings) == [("DJ095", 20)]
    assert "security.W015" in findings[0].message


def test_csrf_cookie_not_secure(make_project):
    settings = replace(CLEAN, "CSRF_COOKIE_SECURE = True", "CSRF_COOKIE_SECURE = False")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ096", 19)]
    assert "security.W016" in findings[0].message


def test_csrf_middleware_missing(make_project):
    settings = replace(CLEAN, '    "django.middleware.csrf.CsrfViewMiddleware",\n', "")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ096", 8)]
    assert "security.W003" in findings[0].message


# -- DJ097 x-frame-options-not-deny --------------------------------------------------------------


def test_x_frame_options_sameorigin(make_project):
    findings = run(make_project, CLEAN + 'X_FRAME_OPTIONS = "SAMEORIGIN"\n')
    assert shape(findings) == [("DJ097", 20)]
    assert "security.W019" in findings[0].message


def test_x_frame_options_default_before_django_3(make_project):
    settings = CLEAN + "SECURE_CONTENT_TYPE_NOSNIFF = True\nSECURE_BROWSER_XSS_FILTER = True\n"
    findings = run(make_project, settings, django="Django==2.2.28")
    assert shape(findings) == [("DJ097", None)]
    assert "X_FRAME_OPTIONS is not set" in findings[0].message


def test_x_frame_middleware_missing(make_project):
    settings = replace(CLEAN, '    "django.middleware.clickjacking.XFrameOptionsMiddleware",\n', "")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ097", 8)]
    assert "security.W002" in findings[0].message


FRAMING_TEMPLATE = "<div>\n  <iframe src=\"{% url 'label-pdf' item.pk %}\"></iframe>\n</div>\n"


def test_x_frame_options_of_a_site_that_frames_its_own_pages_has_no_fix(make_project):
    # DENY would blank the site's own frames: the finding stays, with no fix and the frame
    findings = run(
        make_project,
        CLEAN + 'X_FRAME_OPTIONS = "SAMEORIGIN"\n',
        **{"shop/templates/shop/label.html": FRAMING_TEMPLATE},
    )
    assert shape(findings) == [("DJ097", 20)]
    assert findings[0].fix is not None and findings[0].fix.safety.value == "none"
    assert findings[0].fix.reason.startswith("DENY would blank the site's own frames")
    assert findings[0].message == (
        "X_FRAME_OPTIONS is 'SAMEORIGIN' in mysite/settings.py (security.W019): the site "
        'frames its own pages (shop/templates/shop/label.html:2, <iframe src="{% url '
        "'label-pdf' item.pk %}\">), which DENY would blank"
    )


def test_frames_of_other_sites_leave_the_fix(make_project):
    template = '<iframe src="https://www.youtube.com/embed/{{ video.key }}"></iframe>\n'
    findings = run(
        make_project,
        CLEAN + 'X_FRAME_OPTIONS = "SAMEORIGIN"\n',
        **{"shop/templates/shop/video.html": template},
    )
    assert shape(findings) == [("DJ097", 20)]
    assert findings[0].fix is None


# -- DJ098 security-middleware-missing -----------------------------------------------------------


def test_security_middleware_missing_hides_its_settings(make_project):
    settings = replace(CLEAN, '    "django.middleware.security.SecurityMiddleware",\n', "")
    settings = replace(settings, "SECURE_HSTS_PRELOAD = True\n", "")
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ098", 8)]
    assert "security.W001" in findings[0].message


def test_middleware_classes_on_old_django(make_project):
    settings = replace(OLDER_CLEAN, "MIDDLEWARE = [", "MIDDLEWARE_CLASSES = [")
    assert run(make_project, settings, django="Django==1.9.13") == []


def test_middleware_classes_ignored_from_django_2(make_project):
    settings = replace(OLD_CLEAN, "MIDDLEWARE = [", "MIDDLEWARE_CLASSES = [")
    findings = run(make_project, settings, django="Django==2.2")
    assert [f.code for f in findings] == ["DJ098", "DJ096", "DJ097"]
    assert "MIDDLEWARE_CLASSES, which Django 2.0 and newer ignore" in findings[0].message
    assert findings[0].line == 8


def test_csrf_cookie_httponly_checked_before_django_1_11(make_project):
    findings = run(make_project, OLD_CLEAN, django="Django==1.10.5")
    assert shape(findings) == [("DJ096", None)]
    assert findings[0].message == (
        "CSRF_COOKIE_HTTPONLY is not set in mysite/settings.py (security.W017, so scripts can "
        "read the CSRF cookie, which Django before 1.11 checks): set it to True "
        '(env.bool("CSRF_COOKIE_HTTPONLY", default=True))'
    )
    off = run(make_project, OLD_CLEAN + "CSRF_COOKIE_HTTPONLY = False\n", django="Django==1.8.19")
    assert shape(off) == [("DJ096", 23)]
    # Django 1.11 removed the check
    assert run(make_project, OLD_CLEAN, django="Django==1.11.29") == []


# -- DJ099 referrer-or-coop-disabled -------------------------------------------------------------


def test_referrer_policy_none(make_project):
    findings = run(make_project, CLEAN + "SECURE_REFERRER_POLICY = None\n")
    assert shape(findings) == [("DJ099", 20)]
    assert "security.W022" in findings[0].message


def test_referrer_policy_invalid(make_project):
    findings = run(make_project, CLEAN + 'SECURE_REFERRER_POLICY = "same-origin, nope"\n')
    assert shape(findings) == [("DJ099", 20)]
    assert "security.E023" in findings[0].message


def test_cross_origin_opener_policy_invalid(make_project):
    findings = run(make_project, CLEAN + 'SECURE_CROSS_ORIGIN_OPENER_POLICY = "open"\n')
    assert shape(findings) == [("DJ099", 20)]
    assert "security.E024" in findings[0].message


def test_content_type_nosniff_off(make_project):
    findings = run(make_project, CLEAN + "SECURE_CONTENT_TYPE_NOSNIFF = False\n")
    assert shape(findings) == [("DJ099", 20)]
    assert "security.W006" in findings[0].message


def test_nosniff_default_off_before_django_3(make_project):
    settings = CLEAN + 'X_FRAME_OPTIONS = "DENY"\nSECURE_BROWSER_XSS_FILTER = True\n'
    findings = run(make_project, settings, django="Django==2.2.28")
    assert shape(findings) == [("DJ099", None)]
    assert "SECURE_CONTENT_TYPE_NOSNIFF is not set" in findings[0].message


def test_xss_filter_checked_before_django_3(make_project):
    settings = CLEAN + 'X_FRAME_OPTIONS = "DENY"\nSECURE_CONTENT_TYPE_NOSNIFF = True\n'
    findings = run(make_project, settings, django="Django==2.2.28")
    assert shape(findings) == [("DJ099", None)]
    assert "SECURE_BROWSER_XSS_FILTER is not set" in findings[0].message
    assert "security.W007" in findings[0].message
    # Django 3.0 removed the setting and its check
    assert (
        run(
            make_project,
            CLEAN + 'SECURE_REFERRER_POLICY = "same-origin"\n',
            django="Django==3.0.14",
        )
        == []
    )


def test_settings_written_through_globals_are_not_fixable(make_project):
    settings = CLEAN.replace('SECRET_KEY = env("SECRET_KEY")\n', "") + (
        "class Base:\n    SECRET_KEY = env('SECRET_KEY')\n\n\n"
        "globals().update({k: v for k, v in vars(Base).items() if k.isupper()})\n"
    )
    findings = run(make_project, settings)
    assert shape(findings) == [("DJ091", None)]
    assert findings[0].effective_fix.safety.value == "none"
    assert "djfix cannot read or rewrite these settings" in findings[0].effective_fix.reason


def test_referrer_policy_default_none_on_django_3_0(make_project):
    findings = run(make_project, CLEAN, django="Django==3.0.14")
    assert shape(findings) == [("DJ099", None)]
    assert "is None (security.W022)" in findings[0].message


# -- the test projects ---------------------------------------------------------------------------


def codes_of(name: str, root=PROJECTS) -> list[tuple[str, str, int | None]]:
    project = discover(root / name)
    return [(f.code, f.path, f.line) for f in findings_of(item09, project)]


def test_deploy_ready_is_clean():
    assert codes_of("deploy_ready") == []


def test_legacy_single():
    # `check --deploy` on Django 1.11: W018, W020, W001, W012, W016, W002
    assert codes_of("legacy_single") == [
        ("DJ090", "legacy/settings.py", 15),
        ("DJ092", "legacy/settings.py", 17),
        ("DJ098", "legacy/settings.py", 30),
        ("DJ095", "legacy/settings.py", None),
        ("DJ096", "legacy/settings.py", None),
        ("DJ097", "legacy/settings.py", 30),
    ]


def test_split_settings_judges_prod():
    # W004, W012, W016; dev.py's DEBUG = True does not count
    assert codes_of("split_settings") == [
        ("DJ093", "config/settings/prod.py", None),
        ("DJ095", "config/settings/prod.py", None),
        ("DJ096", "config/settings/prod.py", None),
    ]


def test_celery_services():
    # W018, W009, W004, W008, W012, W016 with nothing in the environment
    assert codes_of("celery_services") == [
        ("DJ090", "svc/settings.py", 12),
        ("DJ091", "svc/settings.py", 11),
        ("DJ093", "svc/settings.py", None),
        ("DJ094", "svc/settings.py", None),
        ("DJ095", "svc/settings.py", None),
        ("DJ096", "svc/settings.py", None),
    ]


def test_asgi_channels_and_manage_subfolder():
    assert [c for c, _, _ in codes_of("asgi_channels")] == [
        "DJ090",
        "DJ091",
        "DJ093",
        "DJ094",
        "DJ095",
        "DJ096",
    ]
    assert [c for c, _, _ in codes_of("manage_subfolder")] == [
        "DJ091",
        "DJ093",
        "DJ094",
        "DJ095",
        "DJ096",
    ]


def test_examples_legacy_project():
    assert [c for c, _, _ in codes_of("legacy_project", EXAMPLES)] == [
        "DJ090",
        "DJ091",
        "DJ093",
        "DJ094",
        "DJ095",
        "DJ096",
    ]


def test_middleware_built_at_run_time_still_gets_the_secure_settings(make_project):
    # `INSTALLED_APPS, MIDDLEWARE = f(...)`: djfix cannot list the middleware, but a missing
    # SECURE_HSTS_SECONDS is still a W004 wherever SecurityMiddleware is (nearly always)
    settings = replace(
        CLEAN, 'SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)\n', ""
    )
    settings += "INSTALLED_APPS, MIDDLEWARE = tooling.setup(INSTALLED_APPS, MIDDLEWARE)\n"
    assert [f.code for f in run(make_project, settings)] == ["DJ093"]


# -- the fix: deploy_security -------------------------------------------------------------------

DEPLOY_HEAD = (
    ENV_HEAD
    + """\
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
"""
)

DEPLOY_SECURITY_CASES = {
    "old-middleware-list": (
        """\
        MIDDLEWARE = [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ]
        """,
        {"DJ095", "DJ096", "DJ097", "DJ098"},
    ),
    "insecure-literals": (
        """\
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ]
        SESSION_COOKIE_SECURE = False
        CSRF_COOKIE_SECURE = False  # plain HTTP
        SECURE_HSTS_SECONDS = 0
        SECURE_SSL_REDIRECT = False
        X_FRAME_OPTIONS = "SAMEORIGIN"
        """,
        {"DJ093", "DJ094", "DJ095", "DJ096", "DJ097"},
    ),
    "environment-reads-with-insecure-defaults": (
        """\
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ]
        SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
        CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", False)
        SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
        SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
        """,
        {"DJ093", "DJ094", "DJ095", "DJ096"},
    ),
    "partial-hsts-and-httponly-off": (
        """\
        MIDDLEWARE = [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ]
        SECURE_HSTS_SECONDS = 3600
        SECURE_HSTS_INCLUDE_SUBDOMAINS = False
        SESSION_COOKIE_HTTPONLY = False
        """,
        {"DJ093", "DJ094", "DJ095", "DJ096"},
    ),
}


# the rules judged on deploy_security's output (DEBUG and SECRET_KEY are settings_env's)
DEPLOY_SECURITY_CODES = {"DJ092", "DJ093", "DJ094", "DJ095", "DJ096", "DJ097", "DJ098"}


def deploy_security_fix(settings: str) -> str:
    return deploy_security.transform(settings).code


@pytest.mark.parametrize("case", DEPLOY_SECURITY_CASES)
def test_deploy_security_output_is_clean_for_item9(make_project, case: str) -> None:
    source, expected = DEPLOY_SECURITY_CASES[case]
    assert_fix_silences(
        make_project,
        item09,
        deploy_security_fix,
        DEPLOY_HEAD + dedent(source),
        expected,
        codes=DEPLOY_SECURITY_CODES,
    )


def test_deploy_security_adds_missing_csrf_middleware(make_project) -> None:
    before = DEPLOY_HEAD + dedent(
        """\
        MIDDLEWARE = [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",  # trailing slashes
            # who is logged in
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ]
        """
    )
    project = make_project(
        {"mysite/settings.py": before, "requirements.txt": SETTINGS_REQUIREMENTS}
    )
    [csrf] = [f for f in findings_of(item09, project) if f.code == "DJ096"]
    assert csrf.message.startswith("the CSRF middleware is missing: MIDDLEWARE in ")
    assert_fix_silences(
        make_project,
        item09,
        deploy_security_fix,
        before,
        {"DJ095", "DJ096", "DJ097", "DJ098"},
        codes=DEPLOY_SECURITY_CODES,
    )
    # Django's default order, the author's comments where they were
    result = deploy_security.transform(before)
    assert (
        dedent(
            """\
            MIDDLEWARE = [
                "django.middleware.security.SecurityMiddleware",
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.common.CommonMiddleware",  # trailing slashes
                "django.middleware.csrf.CsrfViewMiddleware",
                # who is logged in
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.middleware.clickjacking.XFrameOptionsMiddleware",
            ]
            """
        )
        in result.code
    )
    assert "django.middleware.csrf.CsrfViewMiddleware" in result.added_middleware


@pytest.mark.parametrize(
    ("middleware", "expected"),
    [
        # no session or common middleware: before the authentication middleware
        (
            "['a.B', 'django.contrib.auth.middleware.AuthenticationMiddleware']",
            "['django.middleware.security.SecurityMiddleware', 'a.B', "
            "'django.middleware.csrf.CsrfViewMiddleware', "
            "'django.contrib.auth.middleware.AuthenticationMiddleware', "
            "'django.middleware.clickjacking.XFrameOptionsMiddleware']",
        ),
        # neither: after SecurityMiddleware
        (
            "('a.B',)",
            "('django.middleware.security.SecurityMiddleware', "
            "'django.middleware.csrf.CsrfViewMiddleware', 'a.B', "
            "'django.middleware.clickjacking.XFrameOptionsMiddleware',)",
        ),
    ],
)
def test_csrf_middleware_place_without_session_middleware(middleware: str, expected: str) -> None:
    code = deploy_security.transform(f"MIDDLEWARE = {middleware}\n", settings_block=False).code
    assert code == f"MIDDLEWARE = {expected}\n"


def test_project_csrf_middleware_gets_no_second_one() -> None:
    before = 'MIDDLEWARE = ["shop.middleware.CsrfExemptApiMiddleware"]\n'
    result = deploy_security.transform(before, settings_block=False)
    assert "django.middleware.csrf.CsrfViewMiddleware" not in result.code
    assert result.left == [
        (
            "MIDDLEWARE",
            1,
            "it holds shop.middleware.CsrfExemptApiMiddleware, which looks like the project's own "
            "CSRF middleware: djfix does not add django.middleware.csrf.CsrfViewMiddleware next "
            "to it",
        )
    ]


def test_apply_gives_strtobool_cookie_reads_a_safe_default_and_no_unsafe_example(tmp_path):
    # the shape of many older settings: distutils' strtobool over os.environ, cookie flags off
    # unless the environment says otherwise; items 5 and 9 together
    settings = dedent(
        """\
        import os
        from distutils.util import strtobool

        SECRET_KEY = os.environ["SECRET_KEY"]
        DEBUG = bool(strtobool(os.environ.get("DEBUG", "False")))
        ALLOWED_HOSTS = ["example.com"]
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.sessions"]
        ROOT_URLCONF = "mysite.urls"
        SESSION_COOKIE_SECURE = bool(strtobool(os.environ.get("SESSION_COOKIE_SECURE", "False")))
        CSRF_COOKIE_SECURE = bool(strtobool(os.getenv("CSRF_COOKIE_SECURE") or "False"))
        if os.environ.get("BEHIND_PROXY"):
            SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        """
    )
    write_tree(
        tmp_path,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": settings + MIDDLEWARE,
            "mysite/urls.py": "urlpatterns = []\n",
            "requirements.txt": "Django==4.2.16\n",
        },
    )
    selection = Selection(select=resolve_selection(["5", "9"], "--select"))
    result = plan(discover(tmp_path), selection, effective_options(None))
    code = result.context.changeset.read("mysite/settings.py")
    assert code is not None and "strtobool" not in code
    assert 'DEBUG = env.bool("DEBUG", default=False)\n' in code
    assert 'SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)\n' in code
    assert 'CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)\n' in code
    example = result.context.changeset.read(".env.example") or ""
    # a "False" there, copied into production, would turn the flags off again
    assert "\n# SESSION_COOKIE_SECURE=\n" in example
    assert "\n# CSRF_COOKIE_SECURE=\n" in example
    assert "COOKIE_SECURE=False" not in example
    summary = {s.item: s for s in result.items}
    assert summary[9].status == "fixed"
    # what the new defaults change for a plain-HTTP deployment, and the proxy header's condition
    notes = [n for n in result.context.notes if "HTTP" in n]
    assert notes == [
        "mysite/settings.py: with DEBUG off, the site now redirects plain HTTP to HTTPS, sends "
        "the session cookie over HTTPS only, sends the CSRF cookie over HTTPS only and tells "
        "browsers to use only HTTPS for a year (HSTS); a deployment served over plain HTTP must "
        "set SECURE_SSL_REDIRECT=False, SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False "
        "and SECURE_HSTS_SECONDS=0 in its environment",
        # the line as the reviewer finds it in the original: later items move it
        "mysite/settings.py: SECURE_PROXY_SSL_HEADER is set only under a condition (line 12 "
        "before this change): behind a TLS proxy that condition must hold, or Django takes every "
        "request for plain HTTP and redirects it again",
    ]


# -- DEBUG and SECRET_KEY read by the project's own reader ---------------------------------------

ENVBOOL = """\
import os


def envbool(s, default):
    v = os.getenv(s, default=default)
    if v not in ("", "True", "False"):
        raise ValueError(s)
    return v == "True"


def envsecret(s, default=None):
    return os.getenv(s, default)


"""


def test_own_reader_with_an_off_default_is_clean(make_project):
    settings = ENVBOOL + replace(CLEAN, 'env.bool("DEBUG", default=False)', 'envbool("DEBUG", "")')
    assert run(make_project, settings) == []


def test_own_reader_defaulting_on_gets_the_spelling_it_reads_as_false(make_project):
    settings = ENVBOOL + replace(
        CLEAN, 'env.bool("DEBUG", default=False)', 'envbool("DEBUG", "True")'
    )
    findings = run(make_project, settings)
    assert [(f.code, f.line, f.message, f.effective_fix.safety.value) for f in findings] == [
        (
            "DJ090",
            19,
            "DEBUG defaults to True in mysite/settings.py when DEBUG is unset (security.W018): "
            'pass envbool() the default "False", the spelling it reads as False',
            "unsafe",
        )
    ]


def test_own_reader_with_its_default_in_its_body_is_not_fixed(make_project):
    settings = replace(
        CLEAN,
        'DEBUG = env.bool("DEBUG", default=False)',
        'import os\n\ndef debug_flag(name):\n    return os.getenv(name, "1") == "1"\n\n'
        'DEBUG = debug_flag("DEBUG")',
    )
    findings = run(make_project, settings)
    assert [(f.code, f.message, f.effective_fix.reason) for f in findings] == [
        (
            "DJ090",
            "DEBUG defaults to True in mysite/settings.py when DEBUG is unset (security.W018): "
            "make its default off by hand",
            "the default is written in debug_flag() itself, not passed to it",
        )
    ]


def test_own_reader_taking_any_text_as_true_is_not_fixed(make_project):
    settings = replace(
        CLEAN,
        'DEBUG = env.bool("DEBUG", default=False)',
        'import os\n\ndef flag(name, default=""):\n    return bool(os.getenv(name, default))\n\n'
        'DEBUG = flag("DEBUG")',
    )
    findings = run(make_project, settings)
    assert [(f.code, f.message, f.effective_fix.reason) for f in findings] == [
        (
            "DJ090",
            'DEBUG in mysite/settings.py is read by flag("DEBUG", ...), which takes any non-empty '
            "text, False included, as true (security.W018): make flag() parse the text as a "
            "boolean",
            "djfix does not rewrite the project's own flag()",
        )
    ]


def test_own_reader_of_a_weak_secret_key_is_reported_not_fixed(make_project):
    settings = ENVBOOL + replace(CLEAN, 'env("SECRET_KEY")', 'envsecret("SECRET_KEY", "---")')
    findings = run(make_project, settings)
    assert [(f.code, f.line, f.message, f.effective_fix.reason) for f in findings] == [
        (
            "DJ091",
            18,
            "SECRET_KEY in mysite/settings.py defaults to a weak key (it has 3 characters, fewer "
            "than 50; security.W009) when SECRET_KEY is unset: production must set SECRET_KEY",
            "the value is read by the project's own envsecret() (mysite/settings.py:11), which "
            "djfix does not rewrite: drop the default by hand where the function can do without "
            "one, and set the variable in every deployment",
        )
    ]


def test_own_reader_default_fix_silences_the_finding(make_project):
    from codemods import helper_default

    before = ENVBOOL + replace(
        CLEAN, 'env.bool("DEBUG", default=False)', 'envbool("DEBUG", "True")'
    )
    assert_fix_silences(
        make_project,
        item09,
        lambda source: helper_default.transform(
            source, "DEBUG", "envbool", helper_default.Parameter("default", 1), "False"
        ),
        before,
        {"DJ090"},
    )
