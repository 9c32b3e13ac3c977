"""Finding the DATABASES aliases besides 'default' that a verify run gives a database of its own
(fixer.verify_aliases), and the variables it sets for them. The runs themselves are in
tests/test_verify_aliases_runs.py (slow)."""

from __future__ import annotations

from pathlib import Path

from fixer import verify_env
from fixer.verify_aliases import (
    MAX_ALIASES,
    add_aliases,
    movable,
    other_databases,
    server_aliases,
    unreachable_aliases,
)
from fixer.verify_review import review_alias_url

SERVER = "postgres://postgres:pw-secret-1@127.0.0.1:5432/shop"

HEAD = """\
import os
import environ
import dj_database_url

env = environ.Env()
SECRET_KEY = os.environ["SECRET_KEY"]
"""


def settings(databases: str) -> dict[str, str]:
    return {"mysite/settings.py": HEAD + databases}


def aliases_of(make_project, databases: str):
    return other_databases(make_project(settings(databases)))


def summary(aliases) -> list[tuple]:
    return [
        (a.name, a.database.kind, a.database.variable, a.database.parts, bool(a.problem))
        for a in aliases
    ]


# ---------------------------------------------------------------------------------------------
# Nothing to give
# ---------------------------------------------------------------------------------------------


def test_only_a_default_database(make_project):
    assert aliases_of(make_project, 'DATABASES = {"default": env.db("DATABASE_URL")}\n') == []


def test_a_fixed_sqlite_alias_is_reachable_in_the_copy(make_project):
    databases = """\
DATABASES = {
    "default": env.db("DATABASE_URL"),
    "cache": {"ENGINE": "django.db.backends.sqlite3", "NAME": "cache.sqlite3"},
}
"""
    assert aliases_of(make_project, databases) == []


def test_an_alias_fixed_to_a_server_is_named(make_project):
    databases = """\
DATABASES = {
    "default": env.db("DATABASE_URL"),
    "trac": {"ENGINE": "django.db.backends.postgresql", "NAME": "code.djangoproject"},
}
"""
    [trac] = aliases_of(make_project, databases)
    assert trac.database.kind == "fixed"
    assert trac.problem == (
        "DATABASES['trac'] is fixed in the settings (no variable sets its NAME): the run "
        "reaches it as written"
    )


def test_an_alias_reading_the_default_name_is_named(make_project):
    databases = """\
DATABASES = {
    "default": {"ENGINE": "django.db.backends.postgresql", "NAME": env("DB_NAME")},
    "replica": {"ENGINE": "django.db.backends.postgresql", "NAME": env("DB_NAME"),
                "HOST": env("REPLICA_HOST")},
}
"""
    [replica] = aliases_of(make_project, databases)
    assert replica.database.kind == "fixed"
    assert "reads the same database as DATABASES['default'] (DB_NAME)" in replica.problem


# ---------------------------------------------------------------------------------------------
# Aliases a variable points
# ---------------------------------------------------------------------------------------------


def test_url_aliases_of_django_environ_and_dj_database_url(make_project):
    databases = """\
DATABASES = {
    "default": env.db("DATABASE_URL"),
    "legacy": env.db("LEGACY_DATABASE_URL"),
    "other": dj_database_url.config(env="OTHER_DATABASE_URL"),
}
"""
    project = make_project(settings(databases))
    assert summary(other_databases(project)) == [
        ("legacy", "url", "LEGACY_DATABASE_URL", {}, False),
        ("other", "url", "OTHER_DATABASE_URL", {}, False),
    ]
    # and 'default' is still DATABASE_URL, not the other aliases' URL variables
    default = verify_env.database_of(project, verify_env.settings_variables(project))
    assert (default.kind, default.variable) == ("url", "DATABASE_URL")


def test_a_piecewise_alias_beside_a_piecewise_default(make_project):
    databases = """\
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DB_NAME", "shop"),
        "HOST": os.environ.get("DB_HOST", "localhost"),
    },
    "legacy": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("LEGACY_DB_NAME", "legacy"),
        "USER": os.environ.get("LEGACY_DB_USER", "legacy"),
        "HOST": os.environ.get("LEGACY_DB_HOST", "localhost"),
        "PORT": os.environ.get("LEGACY_DB_PORT", "5432"),
    },
}
"""
    project = make_project(settings(databases))
    [legacy] = other_databases(project)
    assert summary([legacy]) == [
        (
            "legacy",
            "piecewise",
            None,
            {
                "NAME": "LEGACY_DB_NAME",
                "USER": "LEGACY_DB_USER",
                "HOST": "LEGACY_DB_HOST",
                "PORT": "LEGACY_DB_PORT",
            },
            False,
        )
    ]
    assert legacy.database.engine == "postgresql"
    assert legacy.written == []
    default = verify_env.database_of(project, verify_env.settings_variables(project))
    assert set(default.parts.values()) == {"DB_NAME", "DB_HOST"}


def test_the_name_from_its_own_variable_and_the_rest_written(make_project):
    # djangoproject.com's trac alias: NAME from TRAC_DB_NAME, the rest fixed
    databases = """\
DATABASES = {
    "default": env.db("DATABASE_URL"),
    "trac": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": env("TRAC_DB_NAME", default="code.djangoproject"),
        "USER": "code.djangoproject",
        "HOST": "",
    },
}
"""
    [trac] = aliases_of(make_project, databases)
    assert summary([trac]) == [("trac", "piecewise", None, {"NAME": "TRAC_DB_NAME"}, False)]
    assert trac.written == ["USER", "HOST"]


# ---------------------------------------------------------------------------------------------
# Which ones a server run makes databases for
# ---------------------------------------------------------------------------------------------

MANY = """\
DATABASES = {
    "default": env.db("DATABASE_URL"),
    "a": env.db("A_URL"),
    "b": env.db("B_URL"),
    "c": env.db("C_URL"),
    "d": env.db("D_URL"),
    "e": env.db("E_URL"),
    "lite": {"ENGINE": "django.db.backends.sqlite3", "NAME": env("LITE_PATH")},
    "maria": {"ENGINE": "django.db.backends.mysql", "NAME": env("MARIA_NAME")},
}
"""


def test_a_server_run_makes_databases_for_a_bounded_number_of_aliases(make_project):
    aliases = aliases_of(make_project, MANY)
    assert [a.name for a in server_aliases(aliases, SERVER)] == ["a", "b", "c", "d"]
    assert len(server_aliases(aliases, SERVER)) == MAX_ALIASES


def test_no_server_no_databases(make_project):
    aliases = aliases_of(make_project, MANY)
    assert server_aliases(aliases, None) == []
    assert server_aliases(aliases, "sqlite:////tmp/x.sqlite3") == []


def test_an_alias_written_for_another_engine_gets_no_server_database(make_project):
    databases = """\
DATABASES = {
    "default": env.db("DATABASE_URL"),
    "lite": {"ENGINE": "django.db.backends.sqlite3", "NAME": env("LITE_PATH")},
    "maria": {"ENGINE": "django.db.backends.mysql", "NAME": env("MARIA_NAME")},
}
"""
    aliases = aliases_of(make_project, databases)
    assert server_aliases(aliases, SERVER) == []
    assert [a.name for a in server_aliases(aliases, "mysql://root@127.0.0.1/x")] == ["maria"]


# ---------------------------------------------------------------------------------------------
# The variables of the run
# ---------------------------------------------------------------------------------------------

MIXED = """\
DATABASES = {
    "default": env.db("DATABASE_URL"),
    "legacy": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": env("LEGACY_DB_NAME"),
        "USER": env("LEGACY_DB_USER"),
        "PASSWORD": env("LEGACY_DB_PASSWORD"),
        "HOST": env("LEGACY_DB_HOST"),
        "PORT": env("LEGACY_DB_PORT"),
    },
    "reports": env.db("REPORTS_URL"),
    "trac": {"ENGINE": "django.db.backends.postgresql", "NAME": "code.djangoproject"},
}
"""


def run_env(project, tmp_path: Path, url: str | None) -> verify_env.RunEnv:
    return verify_env.build_env(project, tmp_path / "verify.sqlite3", url)


def test_a_server_run_points_each_alias_at_its_new_database(make_project, tmp_path):
    project = make_project(settings(MIXED))
    aliases = other_databases(project)
    env = run_env(project, tmp_path, SERVER)
    urls = {
        "legacy": "postgres://postgres:pw-secret-1@127.0.0.1:5432/shop_legacy_djfix_00000001",
        "reports": "postgres://postgres:pw-secret-1@127.0.0.1:5432/shop_reports_djfix_00000002",
    }
    review = "postgres://postgres:pw-secret-1@127.0.0.1:5432/djfix_review"
    shown = {alias: review_alias_url(review, alias) for alias in urls}
    add_aliases(env, aliases, tmp_path, urls, server=SERVER, shown_urls=shown)
    assert {k: v for k, v in env.values.items() if k.startswith("LEGACY")} == {
        "LEGACY_DB_NAME": "shop_legacy_djfix_00000001",
        "LEGACY_DB_USER": "postgres",
        "LEGACY_DB_PASSWORD": "pw-secret-1",
        "LEGACY_DB_HOST": "127.0.0.1",
        "LEGACY_DB_PORT": "5432",
    }
    assert env.values["REPORTS_URL"] == urls["reports"]
    assert "pw-secret-1" in env.secrets
    assert "pw-secret-1" not in env.shown["REPORTS_URL"]
    assert "pw-secret-1" not in env.shown["LEGACY_DB_PASSWORD"]
    # the reviewer's commands name databases of the review's own (the run's are dropped)
    assert env.shown["LEGACY_DB_NAME"] == "djfix_review_legacy"
    assert env.shown["REPORTS_URL"] == (
        "'postgres://postgres:<password>@127.0.0.1:5432/djfix_review_reports'"
    )
    assert (
        "DATABASES['trac'] is fixed in the settings (no variable sets its NAME): the run "
        "reaches it as written"
    ) in env.notes
    # step 6: both moved to the closed port
    assert [d.alias for d in movable(env)] == ["legacy", "reports"]
    down = unreachable_aliases(env, SERVER)
    assert down["LEGACY_DB_HOST"] == verify_env.CLOSED_HOST
    assert down["LEGACY_DB_PORT"] == str(verify_env.CLOSED_PORT)
    assert down["REPORTS_URL"].startswith("postgres://postgres:pw-secret-1@127.0.0.1:1/")


def test_an_sqlite_run_gives_a_url_alias_its_own_file(make_project, tmp_path):
    project = make_project(settings(MIXED))
    env = run_env(project, tmp_path, None)
    add_aliases(env, other_databases(project), tmp_path, {}, server=None)
    assert env.values["REPORTS_URL"] == f"sqlite:///{tmp_path / 'verify-reports.sqlite3'}"
    assert env.values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'verify.sqlite3'}"
    assert env.shown["REPORTS_URL"] == '"sqlite:///$(mktemp -d)/verify-reports.sqlite3"'
    assert any(
        n.startswith("DATABASES['legacy'] is made for postgresql (its ENGINE is written")
        for n in env.notes
    ), env.notes
    assert env.values["LEGACY_DB_NAME"] == "verify-placeholder"  # left as the settings read it
    assert movable(env) == []  # nothing on a server: step 6 skips as for 'default'


def test_an_sqlite_run_gives_an_engine_variable_sqlite(make_project, tmp_path):
    databases = """\
DATABASES = {
    "default": env.db("DATABASE_URL"),
    "legacy": {"ENGINE": env("LEGACY_ENGINE"), "NAME": env("LEGACY_NAME")},
}
"""
    project = make_project(settings(databases))
    env = run_env(project, tmp_path, None)
    add_aliases(env, other_databases(project), tmp_path, {}, server=None)
    assert env.values["LEGACY_ENGINE"] == "django.db.backends.sqlite3"
    assert env.values["LEGACY_NAME"] == str(tmp_path / "verify-legacy.sqlite3")


def test_written_pieces_of_a_server_alias_are_named(make_project, tmp_path):
    databases = """\
DATABASES = {
    "default": env.db("DATABASE_URL"),
    "trac": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": env("TRAC_DB_NAME", default="code.djangoproject"),
        "USER": "code.djangoproject",
        "HOST": "",
    },
}
"""
    project = make_project(settings(databases))
    env = run_env(project, tmp_path, SERVER)
    url = "postgres://postgres:pw-secret-1@127.0.0.1:5432/shop_trac_djfix_00000003"
    add_aliases(env, other_databases(project), tmp_path, {"trac": url}, server=SERVER)
    assert env.values["TRAC_DB_NAME"] == "shop_trac_djfix_00000003"
    assert (
        "DATABASES['trac'] has USER, HOST written in the settings: the run reaches its new "
        "database with them as written"
    ) in env.notes
    assert movable(env) == []  # no HOST or PORT variable: step 6 cannot take it down


SPREAD = """\
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["trac"] = {**DATABASES["default"], "NAME": env("TRAC_DB_NAME", default="trac")}
"""


def test_default_spread_with_a_name_of_its_own(make_project, tmp_path):
    # 'default''s URL with the NAME replaced: the alias is on 'default''s server, with a
    # database of its own once TRAC_DB_NAME names one
    project = make_project(settings(SPREAD))
    [trac] = other_databases(project)
    assert summary([trac]) == [
        ("trac", "piecewise", "DATABASE_URL", {"NAME": "TRAC_DB_NAME"}, False)
    ]
    assert server_aliases([trac], SERVER) == [trac]
    env = run_env(project, tmp_path, SERVER)
    url = "postgres://postgres:pw-secret-1@127.0.0.1:5432/shop_trac_djfix_00000004"
    add_aliases(env, [trac], tmp_path, {"trac": url}, server=SERVER)
    assert env.values["TRAC_DB_NAME"] == "shop_trac_djfix_00000004"
    assert env.values["DATABASE_URL"] == SERVER  # 'default''s, as build_env gave it
    assert movable(env) == [trac.database]  # down with 'default''s URL in step 6
    # on an SQLite run the ENGINE is 'default''s SQLite: a file of its own
    env = run_env(project, tmp_path, None)
    add_aliases(env, other_databases(project), tmp_path, {}, server=None)
    assert env.values["TRAC_DB_NAME"] == str(tmp_path / "verify-trac.sqlite3")


def test_a_fixed_default_and_an_alias_that_takes_the_server(make_project, tmp_path):
    databases = """\
DATABASES = {
    "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop", "HOST": "db"},
    "legacy": env.db("LEGACY_DATABASE_URL"),
}
"""
    project = make_project(settings(databases))
    env = run_env(project, tmp_path, SERVER)
    url = "postgres://postgres:pw-secret-1@127.0.0.1:5432/shop_legacy_djfix_00000005"
    add_aliases(env, other_databases(project), tmp_path, {"legacy": url}, server=SERVER)
    assert env.values["LEGACY_DATABASE_URL"] == url
    assert not any(n.startswith("--database-url is not used") for n in env.notes), env.notes
    assert any(n.startswith("--database-url is used only for the other aliases") for n in env.notes)
