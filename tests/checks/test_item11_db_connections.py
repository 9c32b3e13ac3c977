from __future__ import annotations

from codemods import conn_max_age
from fixer.checks import item11_db_connections as item11
from tests.conftest import findings_of

HEADER = "import os\n\nimport dj_database_url\n\n"


def codes(make_project, settings: str, django: str = "Django==5.2.1") -> list[str]:
    project = make_project({"mysite/settings.py": HEADER + settings, "requirements.txt": django})
    return [f.code for f in findings_of(item11, project)]


# -- nothing to report ---------------------------------------------------------------------------


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


# -- findings ------------------------------------------------------------------------------------


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
