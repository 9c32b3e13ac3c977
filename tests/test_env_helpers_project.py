"""The env_helpers test project: settings that read the environment through the project's own
functions (`envbool("DEBUG", "True")`, `envint(...)`, `envsecret(...)`), the shape of a real
project's settings. djfix reads those calls as environment reads: DEBUG's production value is
known and fixed by its default alone, the functions and their calls stay (not rewritten into
django-environ), every variable is in `.env.example`, and a verify run sets them."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from fixer import verify_env
from fixer.apply import plan
from fixer.checks import Selection
from fixer.cli import app
from fixer.config import Config, effective_options
from fixer.discovery import discover
from tests.test_apply_projects import copy_into_git

SETTINGS = "pulse/settings.py"
HELPERS = """\
def envbool(s: str, default: str) -> bool:
    v = os.getenv(s, default=default)
    if v not in ("", "True", "False"):
        msg = f"{v} is an invalid value for {s}, expected True or False"
        raise ImproperlyConfigured(msg)
    return v == "True"


def envint(s: str, default: str) -> int | None:
    v = os.getenv(s, default)
    if v == "None":
        return None
    return int(v)


@overload
def envsecret(s: str) -> str | None: ...


@overload
def envsecret(s: str, default: str) -> str: ...


def envsecret(s: str, default: str | None = None) -> str | None:
    if path := os.getenv(s + "_FILE"):
        return Path(path).read_text().strip()
    return os.getenv(s, default)
"""


def planned(tmp_path: Path):
    repo = copy_into_git("env_helpers", tmp_path)
    return repo, plan(discover(repo), Selection(), effective_options(Config()))


def test_the_calls_are_environment_reads(tmp_path):
    _, result = planned(tmp_path)
    found = [
        (f.code, f.line, f.effective_fix.safety.value)
        for f in result.before.findings
        if f.item in (5, 9, 11)
    ]
    # os.getenv() reads are item 5's (DJ052); the own readers' calls are not
    assert found == [
        ("DJ050", 43, "none"),
        ("DJ052", 45, "safe"),
        ("DJ052", 46, "safe"),
        ("DJ052", 91, "safe"),
        ("DJ052", 96, "safe"),
        ("DJ052", 98, "safe"),
        ("DJ093", None, "safe"),
        ("DJ094", None, "safe"),
        ("DJ095", None, "safe"),
        ("DJ096", None, "safe"),
        ("DJ091", 43, "none"),
        ("DJ090", 44, "unsafe"),
        ("DJ110", 89, "none"),
        ("DJ111", 89, "safe"),
    ]
    messages = {f.code: f.message for f in result.before.findings}
    assert messages["DJ090"] == (
        "DEBUG defaults to True in pulse/settings.py when DEBUG is unset (security.W018): pass "
        'envbool() the default "False", the spelling it reads as False'
    )
    assert messages["DJ110"] == (
        "DATABASES['default']['CONN_MAX_AGE'] is read from DB_CONN_MAX_AGE (pulse/settings.py:92), "
        "which defaults to '0' when DB_CONN_MAX_AGE is unset, so every request opens a new "
        "database connection: pass envint() a default of some seconds (60)"
    )
    assert "---" not in messages["DJ050"] + messages["DJ091"]  # never the value


def test_apply_changes_only_debug_default_and_keeps_the_functions(tmp_path):
    repo, result = planned(tmp_path)
    before = (repo / SETTINGS).read_text()
    after = result.changeset.read(SETTINGS)
    assert after is not None
    assert HELPERS in before and HELPERS in after  # the functions' own reads stay
    calls = re.findall(r"^\w+ = env(?:bool|int|secret)\(.*$", after, re.M)
    assert calls == [
        'SECRET_KEY = envsecret("SECRET_KEY", "---")',
        'DEBUG = envbool("DEBUG", "False")',
        'REGISTRATION_OPEN = envbool("REGISTRATION_OPEN", "True")',
        'PING_BODY_LIMIT = envint("PING_BODY_LIMIT", "10000")',
        'EMAIL_PORT = envint("EMAIL_PORT", "587")',
        'EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")',
        'EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "True")',
    ]
    assert '        "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", "0"),\n' in after
    assert not result.bugs
    left = [(f.code, f.effective_fix.reason) for f in result.after.findings if f.item in (5, 9, 11)]
    reason = (
        "the value is read by the project's own envsecret() (pulse/settings.py:46), which djfix "
        "does not rewrite: drop the default by hand where the function can do without one, and "
        "set the variable in every deployment"
    )
    assert left == [
        ("DJ050", reason),
        ("DJ091", reason),
        (
            "DJ110",
            "the value is read by the project's own envint() (pulse/settings.py:31), which djfix "
            "does not rewrite: change it by hand",
        ),
    ]
    assert (
        'pulse/settings.py: DEBUG now defaults to "False", the spelling envbool() reads as '
        "False, so production runs with DEBUG off unless DEBUG turns it on"
    ) in result.context.notes


def test_every_read_is_in_the_example_with_its_own_spelling(tmp_path):
    _, result = planned(tmp_path)
    example = result.changeset.read(".env.example") or ""
    blocks = re.findall(r"^# (.*)\n(#? ?[A-Z_]+=.*)$", example, re.M)
    own = {
        "SECRET_KEY",
        "DEBUG",
        "REGISTRATION_OPEN",
        "PING_BODY_LIMIT",
        "DB_CONN_MAX_AGE",
        "EMAIL_PORT",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
    }
    assert [(c, line) for c, line in blocks if re.split("[ =]", line.lstrip("# "))[0] in own] == [
        ("Debug mode: True only on a developer's machine.", "DEBUG=False"),
        (
            "Django's secret key: a long random string, different in every environment; do not "
            "start it with $ (django-environ reads such a value as the name of another "
            "variable).",
            "SECRET_KEY=change-me-to-a-long-random-string",
        ),
        ("REGISTRATION_OPEN.", "REGISTRATION_OPEN=True"),
        ("PING_BODY_LIMIT.", "PING_BODY_LIMIT=10000"),
        ("DB_CONN_MAX_AGE.", "DB_CONN_MAX_AGE=0"),
        ("EMAIL_PORT.", "EMAIL_PORT=587"),
        ("EMAIL_HOST_PASSWORD.", "# EMAIL_HOST_PASSWORD="),
        ("EMAIL_USE_TLS.", "EMAIL_USE_TLS=True"),
    ]
    assert "---" not in example
    # item 11 only added CONN_HEALTH_CHECKS: the settings read DB_CONN_MAX_AGE, not CONN_MAX_AGE
    assert "CONN_MAX_AGE=" not in example.replace("DB_CONN_MAX_AGE=", "")
    # the developer's old default goes to the untracked .env
    assert (result.changeset.read(".env") or "").endswith("\nDEBUG=True\n")


def test_verify_sets_debug_off_and_a_generated_key(tmp_path):
    repo = copy_into_git("env_helpers", tmp_path)
    applied = CliRunner().invoke(
        app, ["apply", "--no-branch", "--no-verify", str(repo)], catch_exceptions=False
    )
    assert applied.exit_code in (0, 1), applied.output
    env = verify_env.build_env(discover(repo), tmp_path / "v.sqlite3")
    assert env.values["DEBUG"] == "False"
    assert len(env.values["SECRET_KEY"]) >= 50 and env.values["SECRET_KEY"] in env.secrets
    assert env.shown["SECRET_KEY"] == (
        "\"$(python -c 'import secrets; print(secrets.token_urlsafe(50))')\""
    )
    # reads with a default keep it: that is the production value
    for name in ("REGISTRATION_OPEN", "PING_BODY_LIMIT", "EMAIL_PORT", "EMAIL_USE_TLS"):
        assert name not in env.values, name
    assert env.variables["DEBUG"].false_text == "False"


RAW_DEFAULT_SETTINGS = """\
import os


def flag(name, fallback):
    value = os.environ.get(name)
    if value is None:
        return fallback
    return value.lower() in ("true", "1")


SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = flag("DEBUG", True)
ALLOWED_HOSTS = ["example.com"]
"""


def test_a_reader_that_returns_its_default_as_passed_gets_false(make_project):
    # `if value is None: return fallback`: the default is returned unparsed; DJ090 asks for
    # False (not the text "False", which is true), and the fix passes False
    project = make_project({"mysite/settings.py": RAW_DEFAULT_SETTINGS})
    result = plan(project, Selection(), effective_options(Config()))
    before = [f for f in result.before.findings if f.code == "DJ090"]
    assert [f.message for f in before] == [
        "DEBUG defaults to True in mysite/settings.py when DEBUG is unset (security.W018): "
        "pass flag() the default False"
    ]
    after = result.changeset.read("mysite/settings.py")
    assert after is not None and 'DEBUG = flag("DEBUG", False)\n' in after
    assert not [f for f in result.after.findings if f.code == "DJ090"]
    assert (
        "mysite/settings.py: DEBUG now defaults to False, so production runs with DEBUG off "
        "unless DEBUG turns it on"
    ) in result.context.notes


REQUIRED_SETTINGS = """\
import os

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = os.environ.get("DEBUG", "False") == "True"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "").split(",")
CLIENT_HOSTS = os.environ.get("CLIENT_HOSTS")
if not CLIENT_HOSTS:
    raise ImproperlyConfigured("CLIENT_HOSTS must be set")
"""


def test_the_pr_bodys_deploy_check_sets_what_the_settings_raise_without(make_project):
    # CLIENT_HOSTS has an empty default and the settings raise without it: the body's
    # `check --deploy` command sets it, or the reviewer's copy of it stops in the settings
    from fixer import pr_body

    project = make_project({"mysite/settings.py": REQUIRED_SETTINGS})
    result = plan(project, Selection(), effective_options(Config()))
    body = pr_body.render_body(result)
    command = body[body.index("DJANGO_SETTINGS_MODULE=") : body.index("manage.py check --deploy")]
    assert "CLIENT_HOSTS='<CLIENT_HOSTS>' \\\n" in command, command
