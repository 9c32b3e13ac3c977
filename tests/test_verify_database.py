"""A database of its own for every verify run (`fixer.verify_database`), fast: the name of the
scratch database, the URL that names it, the pieces given to the interpreter, masking, and the
create / drop sequence with a stand-in interpreter (a shell script that answers as the real one
does). The runs against the real PostgreSQL and MariaDB are in test_verify_database_runs.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fixer import verify_database, verify_env
from fixer.apply_verify import Verification
from fixer.verify import VerifyReport, render_table
from fixer.verify_database import (
    NAME_LIMIT,
    connection_spec,
    engine_of,
    run_database,
    scratch_name,
    server_label,
    with_database,
)
from fixer.verify_run import Step
from tests.test_verify import ENVIRON_SETTINGS, PIECEWISE

TOKEN = "0a1b2c3d"


# ---------------------------------------------------------------------------------------------
# names and URLs
# ---------------------------------------------------------------------------------------------


def test_scratch_name_is_the_given_name_the_mark_and_the_token():
    assert scratch_name("shop", TOKEN) == "shop_djfix_0a1b2c3d"


def test_scratch_name_keeps_letters_digits_and_underscores_in_lower_case():
    assert scratch_name("My-Shop.2024", TOKEN) == "my_shop_2024_djfix_0a1b2c3d"


def test_scratch_name_of_no_name():
    assert scratch_name("", TOKEN) == "djfix_0a1b2c3d"
    assert scratch_name("---", TOKEN) == "djfix_0a1b2c3d"


def test_scratch_name_of_a_long_name_is_cut_to_the_limit():
    name = scratch_name("a" * 80, TOKEN)
    assert name == "a" * 48 + "_djfix_0a1b2c3d"
    assert len(name) == NAME_LIMIT


def test_scratch_name_of_a_non_ascii_name_stays_ascii():
    name = scratch_name("bücher" * 20, TOKEN)
    assert name.isascii() and len(name.encode()) <= NAME_LIMIT
    assert name.endswith("_djfix_0a1b2c3d")


def test_with_database_keeps_credentials_host_port_and_query():
    url = "postgres://app:pw-1@127.0.0.1:5432/shop?sslmode=disable"
    assert with_database(url, "shop_djfix_0a1b2c3d") == (
        "postgres://app:pw-1@127.0.0.1:5432/shop_djfix_0a1b2c3d?sslmode=disable"
    )


def test_with_database_keeps_a_password_holding_url_characters():
    url = "mysql://root:p/w?#@x@127.0.0.1:3306/shop"
    assert with_database(url, "shop_djfix_0a1b2c3d") == (
        "mysql://root:p/w?#@x@127.0.0.1:3306/shop_djfix_0a1b2c3d"
    )


def test_with_database_of_a_url_without_user_or_database():
    assert with_database("postgres://127.0.0.1", "djfix_0a1b2c3d") == (
        "postgres://127.0.0.1/djfix_0a1b2c3d"
    )


def test_connection_spec_decodes_the_pieces():
    assert connection_spec("postgresql://app%40x:p%2Fw@127.0.0.1:5433/my%20db") == {
        "engine": "postgresql",
        "user": "app@x",
        "password": "p/w",
        "host": "127.0.0.1",
        "port": "5433",
        "given": "my db",
    }


def test_connection_spec_of_an_ipv6_host_without_port():
    spec = connection_spec("mysql://root@[::1]/shop")
    assert (spec["engine"], spec["host"], spec["port"], spec["password"]) == (
        "mysql",
        "::1",
        "",
        "",
    )


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("postgres://h/d", "postgresql"),
        ("postgresql://h/d", "postgresql"),
        ("pgsql://h/d", "postgresql"),
        ("mysql://h/d", "mysql"),
        ("mysql2://h/d", "mysql"),
        ("sqlite:///tmp/x.db", "sqlite"),
    ],
)
def test_engine_of(url, engine):
    assert engine_of(url) == engine


def test_server_label_names_no_credential():
    assert server_label("postgres://app:pw-secret-1@127.0.0.1:5432/shop") == (
        "shop on 127.0.0.1:5432"
    )


# ---------------------------------------------------------------------------------------------
# the run's database, with a stand-in interpreter
# ---------------------------------------------------------------------------------------------

URL = "postgres://app:pw-never-shown-7@127.0.0.1:5432/shop"


def stand_in(tmp_path: Path, create: str, drop: str = "echo 'DJFIX-DATABASE ok'") -> Path:
    """An "interpreter" that logs each request (action and name) and answers `create` or
    `drop` (shell lines) as the real script does."""
    script = tmp_path / "python"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$DJFIX_DATABASE" >> {tmp_path / "log"}\n'
        'case "$DJFIX_DATABASE" in\n'
        f'  *\'"action": "create"\'*) {create} ;;\n'
        f"  *) {drop} ;;\n"
        "esac\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def requests(tmp_path: Path) -> list[tuple[str, str]]:
    log = tmp_path / "log"
    if not log.exists():
        return []
    specs = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return [(s["action"], s["name"]) for s in specs]


def env() -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "mysite.settings"}


def test_no_url_asks_nothing(tmp_path):
    python = stand_in(tmp_path, "exit 1")
    with run_database(None, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        assert (db.url, db.note, db.reused) == (None, "", "")
    assert requests(tmp_path) == []


def test_an_sqlite_url_gives_way_to_the_runs_own_file(tmp_path):
    python = stand_in(tmp_path, "exit 1")
    url = "sqlite:////home/me/shop.sqlite3"
    with run_database(url, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        assert db.url is None
        assert db.note == (
            "the SQLite database of --database-url is not used: the run has a new SQLite file "
            "in its temporary folder"
        )
    assert requests(tmp_path) == []


def test_a_url_the_settings_do_not_take_creates_nothing(tmp_path):
    python = stand_in(tmp_path, "exit 1")
    with run_database(URL, used=False, python=str(python), cwd=tmp_path, env=env()) as db:
        assert (db.url, db.created, db.note) == (URL, "", "")
    assert requests(tmp_path) == []


def test_the_run_gets_a_new_database_dropped_at_its_end(tmp_path):
    python = stand_in(tmp_path, "echo 'DJFIX-DATABASE ok'")
    with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        name = db.created
        assert name.startswith("shop_djfix_") and len(name) == len("shop_djfix_") + 8
        assert db.url == f"postgres://app:pw-never-shown-7@127.0.0.1:5432/{name}"
        assert requests(tmp_path) == [("create", name)]
    assert requests(tmp_path) == [("create", name), ("drop", name)]
    assert db.note == (
        f"the run used a new, empty database {name} on 127.0.0.1:5432, dropped at its end"
    )
    assert db.reused == ""


def test_each_run_has_a_database_of_its_own(tmp_path):
    python = stand_in(tmp_path, "echo 'DJFIX-DATABASE ok'")
    names = []
    for _ in range(2):
        with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
            names.append(db.created)
    assert names[0] != names[1]


def test_the_database_is_dropped_when_the_run_is_interrupted(tmp_path):
    python = stand_in(tmp_path, "echo 'DJFIX-DATABASE ok'")
    with (
        pytest.raises(KeyboardInterrupt),
        run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db,
    ):
        raise KeyboardInterrupt
    assert requests(tmp_path) == [("create", db.created), ("drop", db.created)]


def test_the_settings_module_and_the_password_stay_off_the_command_line(tmp_path):
    python = tmp_path / "python"
    python.write_text(
        "#!/bin/sh\n"
        f'echo "$DJANGO_SETTINGS_MODULE|$*" > {tmp_path / "seen"}\n'
        "echo 'DJFIX-DATABASE ok'\n",
        encoding="utf-8",
    )
    python.chmod(0o755)
    with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()):
        seen = (tmp_path / "seen").read_text(encoding="utf-8")
    assert seen.startswith("|-c ")  # settings.configure(), not the project's settings
    assert "pw-never-shown-7" not in seen


def test_no_right_to_create_reuses_the_given_database_and_says_so(tmp_path):
    python = stand_in(
        tmp_path,
        "echo 'DJFIX-DATABASE-ERROR permission permission denied to create database'; exit 1",
    )
    with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        assert db.url == URL and db.created == ""
    assert db.reused == "permission denied"
    assert db.note == (
        "the run reuses the database shop on 127.0.0.1:5432 as it is (it may not be empty): "
        "it could not create a scratch database there (permission denied)"
    )
    assert [action for action, _ in requests(tmp_path)] == ["create"]  # nothing dropped


def test_no_driver_for_the_server_runs_on_sqlite_and_says_so(tmp_path):
    # a project on SQLite whose dependencies hold no PostgreSQL driver (etesync): a run given
    # the server could not load the database backend, before a change or after it
    python = stand_in(
        tmp_path,
        "echo 'DJFIX-DATABASE-ERROR error Error loading psycopg2 or psycopg module'; exit 1",
    )
    with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        assert db.url is None and db.created == ""
    assert db.note == (
        "--database-url is not used: the interpreter has no postgresql driver for shop on "
        "127.0.0.1:5432 (Error loading psycopg2 or psycopg module); the run uses a new SQLite "
        "file in its temporary folder (install the driver to run on the server)"
    )
    assert [action for action, _ in requests(tmp_path)] == ["create"]  # nothing dropped


def test_an_error_quoting_the_password_is_masked(tmp_path):
    python = stand_in(
        tmp_path,
        "echo 'DJFIX-DATABASE-ERROR connect could not log in with pw-never-shown-7'; exit 1",
    )
    with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        pass
    assert db.reused == "could not log in with ***"
    assert "pw-never-shown-7" not in db.note


def test_an_interpreter_that_crashes_reuses_the_given_database(tmp_path):
    python = stand_in(tmp_path, "echo 'Fatal Python error: Segmentation fault'; exit 1")
    with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        pass
    assert db.reused == "Fatal Python error: Segmentation fault"


def test_an_extension_the_new_database_could_not_get_is_named(tmp_path):
    python = stand_in(
        tmp_path,
        "echo 'DJFIX-DATABASE-NOTE postgis: permission denied to create extension'; "
        "echo 'DJFIX-DATABASE ok'",
    )
    with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        pass
    assert db.note == (
        f"the run used a new, empty database {db.created} on 127.0.0.1:5432, dropped at its end "
        "(without extensions of the given database: postgis: permission denied to create "
        "extension)"
    )


def test_a_crash_quoting_the_password_is_masked(tmp_path):
    python = stand_in(tmp_path, "echo 'Traceback: pw-never-shown-7 is wrong'; exit 1")
    with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        pass
    assert db.reused == "Traceback: *** is wrong"


def test_a_create_without_answer_is_followed_by_a_drop_of_its_name(tmp_path, monkeypatch):
    monkeypatch.setattr(verify_database, "SERVER_TIMEOUT", 1)
    python = stand_in(tmp_path, "sleep 30")
    with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        assert db.url == URL
    assert db.reused == "no answer within 1 s"
    (create, name), (drop, dropped) = requests(tmp_path)
    assert (create, drop, dropped) == ("create", "drop", name)


def test_a_database_that_cannot_be_dropped_is_named(tmp_path):
    python = stand_in(
        tmp_path,
        "echo 'DJFIX-DATABASE ok'",
        drop="echo 'DJFIX-DATABASE-ERROR drop database is being accessed'; exit 1",
    )
    with run_database(URL, used=True, python=str(python), cwd=tmp_path, env=env()) as db:
        pass
    assert db.note == (
        f"the run used a new database {db.created} on 127.0.0.1:5432 and could not drop it "
        "(database is being accessed): drop it by hand"
    )


# ---------------------------------------------------------------------------------------------
# what the run and apply show
# ---------------------------------------------------------------------------------------------


def test_the_commands_show_the_given_database_the_run_uses_the_scratch_one(make_project, tmp_path):
    project = make_project({"mysite/settings.py": ENVIRON_SETTINGS})
    scratch = with_database(URL, "shop_djfix_0a1b2c3d")
    env = verify_env.build_env(project, tmp_path / "v.sqlite3", scratch, shown_url=URL)
    assert env.values["DATABASE_URL"] == scratch
    assert env.shown["DATABASE_URL"] == "'postgres://app:<password>@127.0.0.1:5432/shop'"


def test_piecewise_commands_show_the_given_name(make_project, tmp_path):
    project = make_project({"mysite/settings.py": PIECEWISE})
    scratch = with_database(URL, "shop_djfix_0a1b2c3d")
    env = verify_env.build_env(project, tmp_path / "v.sqlite3", scratch, shown_url=URL)
    assert env.values["DB_NAME"] == "shop_djfix_0a1b2c3d"
    assert env.shown["DB_NAME"] == "shop"
    assert env.shown["DB_PASSWORD"] == "'<password>'"


def test_a_url_the_settings_take_is_used(make_project):
    project = make_project({"mysite/settings.py": ENVIRON_SETTINGS})
    assert verify_env.database_url_used(project, URL)


def test_fixed_databases_do_not_take_the_url(make_project):
    project = make_project(
        {
            "mysite/settings.py": (
                "SECRET_KEY = 'x'\n"
                "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', "
                "'NAME': 'db.sqlite3'}}\n"
            )
        }
    )
    assert not verify_env.database_url_used(project, URL)


def report(reused: str = "") -> VerifyReport:
    return VerifyReport(
        root="/repo",
        python="/venv/bin/python",
        steps=[Step(1, "check --deploy", "pass")],
        env_names=[],
        commands=[],
        notes=["the run reuses the database shop on 127.0.0.1:5432 as it is"] if reused else [],
        database_reused=reused,
    )


def test_verify_prints_the_database_note():
    assert "  note: the run reuses the database shop on 127.0.0.1:5432 as it is\n" in (
        render_table(report("permission denied"))
    )


def test_apply_says_when_the_runs_share_the_given_database():
    verification = Verification("/venv/bin/python", before=report("x"), after=report("x"))
    verification.before.database_reused = "permission denied"
    verification.after.database_reused = "permission denied"
    assert verification.summary() == (
        "Every step that ran passes with the change. The runs used the --database-url database "
        "as it is, one after the other: djfix could not create a scratch database there "
        "(permission denied), so the run of the change started on what the run of the original "
        "left in it."
    )


def test_apply_says_nothing_of_the_database_when_each_run_had_its_own():
    verification = Verification("/venv/bin/python", before=report(), after=report())
    assert verification.summary() == "Every step that ran passes with the change."
