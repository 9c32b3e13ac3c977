from __future__ import annotations

from textwrap import dedent

import pytest

from codemods import conn_max_age
from fixer.checks import item11_db_connections as item11
from tests.conftest import ENV_HEAD, assert_fix_silences, findings_of

HEADER = "import os\n\nimport dj_database_url\n\n"
ENV = "import environ\n\nenv = environ.Env()\n\n"


def codes(make_project, settings: str, django: str = "Django==5.2.1") -> list[str]:
    project = make_project({"mysite/settings.py": HEADER + settings, "requirements.txt": django})
    return [f.code for f in findings_of(item11, project)]


def shape(make_project, settings: str, django: str = "Django==5.2.1"):
    project = make_project({"mysite/settings.py": settings, "requirements.txt": django})
    return [(f.code, f.path, f.line) for f in findings_of(item11, project)]


# -- nothing to report ---------------------------------------------------------------------------


def test_no_databases_does_not_apply(make_project):
    project = make_project({"mysite/settings.py": 'SECRET_KEY = "x"\n'})
    assert not item11.applies(project)
    assert findings_of(item11, project) == []


def test_persistent_and_health_checked(make_project):
    settings = (
        'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x",'
        ' "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}}\n'
    )
    assert codes(make_project, settings) == []


def test_conn_max_age_from_the_environment_with_a_default(make_project):
    for age in ('env.int("CONN_MAX_AGE", default=60)', 'int(os.getenv("CONN_MAX_AGE", "60"))'):
        settings = ENV + (
            'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",'
            f' "CONN_MAX_AGE": {age}, "CONN_HEALTH_CHECKS": True}}}}\n'
        )
        assert codes(make_project, settings) == [], age


def test_keys_set_after_the_dict(make_project):
    settings = ENV + (
        'DATABASES = {"default": env.db("DATABASE_URL")}\n'
        'DATABASES["default"]["CONN_MAX_AGE"] = 600\n'
        'DATABASES["default"]["CONN_HEALTH_CHECKS"] = True\n'
    )
    assert codes(make_project, settings) == []


def test_health_checks_not_asked_before_django_4_1(make_project):
    settings = 'DATABASES = {"default": {"ENGINE": "x", "CONN_MAX_AGE": 60}}\n'
    assert codes(make_project, settings, "Django==4.0.10") == []


def test_connection_pool_needs_no_conn_max_age(make_project):
    settings = (
        'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x",'
        ' "OPTIONS": {"pool": {"min_size": 2}}}}\n'
    )
    assert codes(make_project, settings) == []


def test_dj_database_url_conn_max_age_satisfies_item_11(make_project):
    for settings in (
        'DATABASES = {"default": dj_database_url.config(conn_max_age=600)}\n',
        'DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"],'
        " conn_max_age=600)}\n",
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}\n'
        'DATABASES["default"].update(dj_database_url.config(conn_max_age=500))\n',
    ):
        # before Django 4.1 there are no health checks to ask for
        assert codes(make_project, settings, "Django==4.0.10") == [], settings
        assert "DJ110" not in codes(make_project, settings), settings


# -- DJ110 conn-max-age-missing / DJ111 conn-health-checks-missing -------------------------------


def test_entry_without_either_key(make_project):
    settings = 'DATABASES = {\n    "default": {"ENGINE": "django.db.backends.postgresql"},\n}\n'
    assert shape(make_project, settings) == [
        ("DJ110", "mysite/settings.py", 2),
        ("DJ111", "mysite/settings.py", 2),
    ]
    assert shape(make_project, settings, "Django==4.0.10") == [("DJ110", "mysite/settings.py", 2)]


def test_conn_max_age_that_turns_persistence_off(make_project):
    for age in ("0", "None", 'env.int("CONN_MAX_AGE", default=0)'):
        settings = ENV + (
            f'DATABASES = {{"default": {{"ENGINE": "x", "CONN_MAX_AGE": {age},'
            ' "CONN_HEALTH_CHECKS": True}}\n'
        )
        assert codes(make_project, settings) == ["DJ110"], age


def test_dj_database_url_conn_max_age_from_a_name_with_a_default(make_project):
    settings = (
        'DB_CONN_MAX_AGE = int(os.environ.get("DB_CONN_MAX_AGE", 600))\n'
        'DATABASES = {"default": dj_database_url.config(conn_max_age=DB_CONN_MAX_AGE,'
        " conn_health_checks=True)}\n"
    )
    assert codes(make_project, settings) == []


def test_dj_database_url_conn_max_age_from_a_name_that_defaults_to_zero(make_project):
    # set, from a module-level read whose default is the author's 0: said so, and no fix
    settings = HEADER + (
        'DB_CONN_MAX_AGE = int(os.environ.get("DB_CONN_MAX_AGE", 0))\n'
        "DATABASES = {\n"
        '    "default": dj_database_url.config(\n'
        '        env=dj_database_url.DEFAULT_ENV, default="postgres://localhost/shop",\n'
        "        conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True,\n"
        "    )\n"
        "}\n"
    )
    project = make_project({"mysite/settings.py": settings, "requirements.txt": "Django==5.2"})
    (found,) = findings_of(item11, project)
    assert (found.code, found.path, found.line) == ("DJ110", "mysite/settings.py", 7)
    assert found.message == (
        "DATABASES['default']['CONN_MAX_AGE'] is read from DB_CONN_MAX_AGE "
        "(mysite/settings.py:5), which defaults to 0 when DB_CONN_MAX_AGE is unset, so every "
        "request opens a new database connection: set DB_CONN_MAX_AGE (60) where the app is "
        "deployed, or give the read a default of some seconds (60)"
    )
    assert found.effective_fix.safety.value == "none"
    assert "djfix does not change it" in found.effective_fix.reason


def test_dj_database_url_conn_max_age_of_zero_is_said_to_be_set(make_project):
    settings = 'DATABASES = {"default": dj_database_url.config(conn_max_age=0)}\n'
    project = make_project(
        {"mysite/settings.py": HEADER + settings, "requirements.txt": "Django==5.2"}
    )
    found = findings_of(item11, project)
    assert [f.code for f in found] == ["DJ110", "DJ111"]
    assert found[0].message.startswith("DATABASES['default'] sets CONN_MAX_AGE to 0, so")
    assert found[0].effective_fix.safety.value == "safe"


def test_health_checks_turned_off(make_project):
    settings = (
        'DATABASES = {"default": {"ENGINE": "x", "CONN_MAX_AGE": 60,'
        ' "CONN_HEALTH_CHECKS": False}}\n'
    )
    assert codes(make_project, settings) == ["DJ111"]


def test_database_url_without_conn_max_age(make_project):
    settings = ENV + 'DATABASES = {"default": env.db("DATABASE_URL")}\n'
    assert codes(make_project, settings) == ["DJ110", "DJ111"]


def test_each_alias_reported_at_its_line(make_project):
    settings = (
        "DATABASES = {\n"
        '    "default": {"ENGINE": "x", "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True},\n'
        '    "replica": {"ENGINE": "x"},\n'
        "}\n"
    )
    assert shape(make_project, settings) == [
        ("DJ110", "mysite/settings.py", 3),
        ("DJ111", "mysite/settings.py", 3),
    ]


def test_pool_turned_off_still_needs_conn_max_age(make_project):
    settings = 'DATABASES = {"default": {"ENGINE": "x", "OPTIONS": {"pool": False}}}\n'
    assert codes(make_project, settings) == ["DJ110", "DJ111"]


def test_update_from_dj_database_url_fixed_after_the_update(make_project):
    settings = (
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}\n'
        "db_from_env = dj_database_url.config(conn_max_age=500)\n"
        'DATABASES["default"].update(db_from_env)\n'
    )
    assert codes(make_project, settings) == ["DJ111"]
    fixed = conn_max_age.transform(HEADER + settings).code
    assert fixed.endswith('DATABASES["default"]["CONN_HEALTH_CHECKS"] = True\n')
    assert codes(make_project, fixed[len(HEADER) :]) == []


def test_settings_written_through_globals_are_not_n_a(make_project):
    settings = (
        "class Base:\n"
        '    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}\n\n\n'
        "globals().update(vars(Base))\n"
    )
    project = make_project({"mysite/settings.py": settings, "requirements.txt": "Django==5.2"})
    found = findings_of(item11, project)
    assert [f.code for f in found] == ["DJ110"]
    assert found[0].effective_fix.safety.value == "none"
    assert "cannot read or rewrite DATABASES" in found[0].effective_fix.reason


def test_databases_from_an_unknown_helper_are_not_n_a(make_project):
    project = make_project({"mysite/settings.py": "DATABASES = make_databases()\n"})
    found = findings_of(item11, project)
    assert [f.code for f in found] == ["DJ110"]
    assert found[0].effective_fix.safety.value == "none"


def test_databases_from_a_configuration_module_are_not_n_a(make_project):
    # DATABASES = getattr(configuration, "DATABASES", ...): there is a database, djfix cannot
    # read it, and the checklist must say so rather than "n/a"
    settings = (
        "from mysite import configuration\n\n"
        "DATABASES = getattr(configuration, 'DATABASES', {'default': None})\n"
    )
    project = make_project({"mysite/settings.py": settings})  # each installation writes it
    found = findings_of(item11, project)
    assert [(f.code, f.path, f.line) for f in found] == [("DJ110", "mysite/settings.py", 3)]
    assert found[0].effective_fix.reason.startswith(
        "mysite/settings.py line 3: DATABASES is computed ("
    )


# -- the fix: conn_max_age -----------------------------------------------------------------------

CONN_MAX_AGE_CASES = {
    "dict-entry": """\
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "HOST": "db",
            }
        }
        """,
    "env-db-call": """\
        DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
        """,
    "zero-and-two-aliases": """\
        DATABASES = {
            "default": env.db("DATABASE_URL"),
            "replica": {**env.db("REPLICA_DATABASE_URL"), "CONN_MAX_AGE": 0},
        }
        """,
    "dj-database-url-zero": """\
        DATABASES = {
            "default": dj_database_url.config(
                default="postgres://localhost/shop",
                conn_max_age=0,
            ),
        }
        """,
    "later-assignment": """\
        DATABASES = {}
        DATABASES["default"] = env.db("DATABASE_URL")
        DATABASES["default"]["CONN_MAX_AGE"] = None
        """,
}


@pytest.mark.parametrize("case", CONN_MAX_AGE_CASES)
def test_conn_max_age_output_is_clean_for_item11(make_project, case: str) -> None:
    assert_fix_silences(
        make_project,
        item11,
        lambda source: conn_max_age.transform(source).code,
        ENV_HEAD + dedent(CONN_MAX_AGE_CASES[case]),
        {"DJ110", "DJ111"},
    )
