"""Item 12's fix: initial data moves into RunPython data migrations
(fixer/fixes/item12_initial_data.py, called by the `fix` of fixer/checks/item12_initial_data.py)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixer import apply
from fixer.checks import Selection
from fixer.checks import item12_initial_data as item12
from fixer.cli import app as cli_app
from fixer.discovery import discover
from fixer.fixes import item12_initial_data as data_migrations
from tests import test_apply_projects, test_runtime_projects
from tests.test_apply_projects import copy_into_git, production_env
from tests.test_check_docs import before_and_after, example_diff

ITEM_12 = Selection({r.code for r in item12.RULES})

SETTINGS = """\
SECRET_KEY = "x"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "orders"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
"""
MODELS = """\
from django.db import models


class Status(models.Model):
    name = models.SlugField(max_length=30, unique=True)
    label = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
"""
INITIAL = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Status",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("name", models.SlugField(max_length=30, unique=True)),
                ("label", models.CharField(max_length=60)),
                ("position", models.PositiveSmallIntegerField(default=0)),
            ],
        ),
    ]
"""
STATUSES = json.dumps(
    [
        {
            "model": "orders.status",
            "pk": 1,
            "fields": {"name": "new", "label": "New", "position": 10},
        },
        {
            "model": "orders.status",
            "pk": 2,
            "fields": {"name": "paid", "label": "Paid", "position": 20},
        },
    ]
)
APPS_CONFIG = """\
from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
"""


def orders_project(make_project, files: dict[str, str]):
    tree = {
        "mysite/settings.py": SETTINGS,
        "orders/__init__.py": "",
        "orders/models.py": MODELS,
        "orders/apps.py": APPS_CONFIG,
        "orders/migrations/__init__.py": "",
        "orders/migrations/0001_initial.py": INITIAL,
        "orders/fixtures/statuses.json": STATUSES,
    }
    tree.update(files)
    return make_project(tree)


def planned(project):
    result = apply.plan(project, ITEM_12, {})
    return result, {c.rel: c.new for c in result.changeset.changes()}


def left_reasons(result) -> list[tuple[str | None, str]]:
    return [(left.rel, left.reason) for left in result.context.left if left.item == 12]


def assert_second_run_is_clean(project_root: Path, result) -> None:
    apply.write(result)
    again, changes = planned(discover(project_root))
    assert changes == {}
    assert [f for f in again.after.findings if f.item == 12] == []


# -- nothing to do -------------------------------------------------------------------------------


def test_no_initial_data_writes_nothing(make_project):
    result, changes = planned(orders_project(make_project, {}))
    assert changes == {}
    assert left_reasons(result) == []


def test_models_are_read_only_for_the_apps_rows_ask_about(make_project, monkeypatch):
    project = orders_project(make_project, {})
    read = []
    model_infos = data_migrations.model_infos
    monkeypatch.setattr(
        data_migrations, "model_infos", lambda app: read.append(app.label) or model_infos(app)
    )
    planned(project)
    assert read == []  # nothing to embed: no models module is parsed
    models = data_migrations.AppModels(project)
    assert list(models) == [a.label for a in project.apps]
    assert "status" in models["orders"] and models.get("nowhere", {}) == {}
    assert data_migrations.AppModels(project)["orders"] is models["orders"]  # once per run
    assert read == ["orders"]


def test_values_computed_at_run_time_are_left(make_project):
    project = orders_project(
        make_project,
        {
            "orders/apps.py": """\
                from django.apps import AppConfig


                class OrdersConfig(AppConfig):
                    name = "orders"

                    def ready(self):
                        from .models import Status

                        Status.objects.get_or_create(name=make_name())
            """
        },
    )
    result, changes = planned(project)
    assert changes == {}
    assert left_reasons(result) == [
        ("orders/apps.py", "line 10: a value djfix cannot read statically: `make_name()`")
    ]


def test_loaddata_with_an_unknown_option_is_left(make_project):
    project = orders_project(
        make_project, {"setup.sh": "python manage.py loaddata --database other statuses\n"}
    )
    result, changes = planned(project)
    assert changes == {}
    assert left_reasons(result) == [
        (
            "setup.sh",
            "line 1: `python manage.py loaddata --database other statuses` stays: loads with "
            "the option --database, which djfix does not understand",
        )
    ]


ADMIN_FIXTURE = """\
[{"model": "auth.user", "pk": 1, "fields": {"username": "admin", "is_superuser": true,
  "password": "pbkdf2_sha256$10000$salt$c2FtcGxlLWhhc2gtbm90LWEtcmVhbC1vbmU="}}]
"""


def test_a_fixture_of_user_accounts_is_not_embedded(make_project):
    """A sample admin with a known password, loaded by a development script: as a data
    migration it would exist in every database, production's included. The script keeps its
    loaddata, with the reason."""
    project = orders_project(
        make_project,
        {
            "orders/fixtures/initial_user.json": ADMIN_FIXTURE,
            "regenerate.sh": "python manage.py loaddata initial_user\n",
        },
    )
    result, changes = planned(project)
    assert changes == {}
    assert left_reasons(result) == [
        (
            "regenerate.sh",
            "orders/fixtures/initial_user.json: it holds user accounts with their passwords "
            "(auth.user): a data migration would create them in every database, production's "
            "included; create accounts with createsuperuser, or from variables in a migration of "
            "your own",
        ),
        (
            "regenerate.sh",
            "line 1: `python manage.py loaddata initial_user` stays: orders/fixtures/"
            "initial_user.json: it holds user accounts with their passwords (auth.user): a data "
            "migration would create them in every database, production's included; create "
            "accounts with createsuperuser, or from variables in a migration of your own",
        ),
    ]


def test_loaddata_after_or_is_left_and_not_embedded(make_project):
    project = orders_project(
        make_project, {"setup.sh": "true || python manage.py loaddata statuses\n"}
    )
    result, changes = planned(project)
    assert changes == {}
    assert left_reasons(result) == [
        (
            "setup.sh",
            "line 1: `python manage.py loaddata statuses` stays: runs after `||` or in a pipe: "
            "removing it changes what the line runs",
        )
    ]


def test_app_with_two_leaves_is_left(make_project):
    second = INITIAL.replace("initial = True\n    dependencies = []", "dependencies = []")
    project = orders_project(
        make_project,
        {
            "orders/migrations/0002_other.py": second.replace(
                "operations = [", "operations = []\n    _unused = ["
            ),
            "setup.sh": "python manage.py loaddata statuses\n",
        },
    )
    result, changes = planned(project)
    assert changes == {}
    assert (
        None,
        "app 'orders' has several leaf migrations (0001_initial, 0002_other): merge them first "
        "(item 6)",
    ) in left_reasons(result)


# -- reading the data ----------------------------------------------------------------------------


def test_rows_of_a_loop_over_a_module_constant():
    tree = ast.parse(
        textwrap.dedent(
            """\
            DEFAULTS = [("new", 10), ("paid", 20)]


            def handler(sender, **kwargs):
                from .models import Status

                for name, position in DEFAULTS:
                    Status.objects.get_or_create(name=name, defaults={"position": position})
            """
        )
    )
    func = tree.body[1]
    call = func.body[1].body[0].value
    rows, reason = data_migrations.rows_from_call(call, func, tree, {}, "orders", "handler()")
    assert reason is None
    assert [(r.app_label, r.model, r.values, r.lookup) for r in rows] == [
        ("orders", "Status", {"position": 10, "name": "new"}, ("name",)),
        ("orders", "Status", {"position": 20, "name": "paid"}, ("name",)),
    ]


def test_an_account_created_with_a_written_password_is_no_row():
    tree = ast.parse(
        textwrap.dedent(
            """\
            def handler(sender, **kwargs):
                from .models import Member

                Member.objects.get_or_create(username="admin", defaults={"password": "123123"})
            """
        )
    )
    func = tree.body[0]
    call = func.body[1].value
    rows, reason = data_migrations.rows_from_call(call, func, tree, {}, "orders", "handler()")
    assert rows == []
    assert reason == (
        "creates user accounts with their passwords: a data migration would create them in "
        "every database, production's included; create accounts with createsuperuser, or from "
        "variables in a migration of your own"
    )


def test_fixture_rows_keep_foreign_keys_as_ids(tmp_path):
    models = {
        "shop": {
            "product": data_migrations.ModelInfo("Product", relations={"category"}),
        }
    }
    objects = [{"model": "shop.product", "pk": 7, "fields": {"category": 3, "title": "Saw"}}]
    rows, reason = data_migrations.rows_from_fixture(objects, models, "shop/fixtures/p.json")
    assert reason is None
    assert [(r.model, r.pk, r.values) for r in rows] == [
        ("Product", 7, {"category_id": 3, "title": "Saw"})
    ]


def test_yaml_and_gzip_fixtures_are_read(tmp_path):
    import gzip

    (tmp_path / "a.yaml").write_text("- model: orders.status\n  pk: 1\n  fields: {name: new}\n")
    with gzip.open(tmp_path / "b.json.gz", "wt") as handle:
        handle.write('[{"model": "orders.status", "pk": 2, "fields": {"name": "paid"}}]')
    (tmp_path / "c.xml").write_text("<django-objects/>")
    assert data_migrations.read_fixture(tmp_path / "a.yaml") == (
        [{"model": "orders.status", "pk": 1, "fields": {"name": "new"}}],
        None,
    )
    assert data_migrations.read_fixture(tmp_path / "b.json.gz")[0][0]["pk"] == 2
    assert data_migrations.read_fixture(tmp_path / "c.xml") == (
        [],
        "c.xml: djfix embeds JSON and YAML fixtures only",
    )


# -- the fix -------------------------------------------------------------------------------------


def test_documented_example_is_what_the_fix_produces(make_project, tmp_path):
    _before, after = before_and_after(example_diff(item12))
    project = orders_project(
        make_project,
        {
            "Makefile": "seed:\n\tpython manage.py loaddata statuses\n",
            "orders/apps.py": """\
                from django.apps import AppConfig


                class OrdersConfig(AppConfig):
                    name = "orders"

                    def ready(self):
                        from .models import Status

                        Status.objects.get_or_create(name="new", defaults={"label": "New"})
            """,
        },
    )
    result, changes = planned(project)
    assert left_reasons(result) == []
    migration = changes["orders/migrations/0002_initial_status.py"]
    expected = after.split("# orders/migrations/0002_initial_status.py (new)\n")[1]
    assert migration == expected
    assert changes["Makefile"] == "seed:\n"
    assert changes["orders/apps.py"] == APPS_CONFIG
    assert [s.status for s in result.items if s.item == 12] == ["fixed"]
    assert result.bugs == []
    assert_second_run_is_clean(tmp_path, result)


def test_post_migrate_handler_filtered_on_its_sender(make_project, tmp_path):
    project = orders_project(
        make_project,
        {
            "orders/signals.py": """\
                from django.db.models.signals import post_migrate
                from django.dispatch import receiver


                @receiver(post_migrate)
                def create_statuses(sender, **kwargs):
                    from orders.models import Status

                    if sender.name == "orders":
                        for name in ("new", "paid"):
                            Status.objects.update_or_create(name=name, defaults={"label": name})
            """,
        },
    )
    result, changes = planned(project)
    assert left_reasons(result) == []
    assert changes["orders/signals.py"] == ""
    migration = changes["orders/migrations/0002_initial_status.py"]
    assert migration.splitlines()[:3] == [
        "# Initial data of app 'orders', embedded from:",
        "#   orders/signals.py (create_statuses())",
        "# The values are copied here, so later changes to the models cannot break this migration.",
    ]
    assert '    ("orders", "Status", {"name": "new"}, {"label": "new"}),\n' in migration
    assert '    ("orders", "Status", {"name": "paid"}, {"label": "paid"}),\n' in migration
    assert_second_run_is_clean(tmp_path, result)


def test_rows_of_an_app_outside_the_repository_depend_on_its_latest_migration(
    make_project, tmp_path
):
    groups = '[{"model": "auth.group", "pk": 1, "fields": {"name": "editors"}}]'
    project = orders_project(
        make_project,
        {
            "orders/fixtures/groups.json": groups,
            "deploy.sh": "python manage.py loaddata groups\n",
        },
    )
    result, changes = planned(project)
    assert left_reasons(result) == []
    migration = changes["orders/migrations/0002_initial_group.py"]
    assert '    ("auth", "group", {"pk": 1}, {"name": "editors"}),\n' in migration
    assert '        ("orders", "0001_initial"),\n        ("auth", "__latest__"),\n' in migration
    assert changes["deploy.sh"] == ""


def test_primary_keys_reset_the_sequences(make_project, tmp_path):
    project = orders_project(
        make_project,
        {
            "orders/models.py": MODELS.replace("unique=True", "db_index=True"),
            "setup.sh": "python manage.py migrate && python manage.py loaddata statuses\n",
        },
    )
    result, changes = planned(project)
    migration = changes["orders/migrations/0002_initial_status.py"]
    assert '("orders", "Status", {"pk": 1}, {"name": "new", "label": "New", "position": 10}),' in (
        migration
    )
    assert "connection.ops.sequence_reset_sql(no_style(), list(models))" in migration
    assert changes["setup.sh"] == "python manage.py migrate\n"
    assert_second_run_is_clean(tmp_path, result)


def test_initial_data_fixture_is_embedded_once(make_project, tmp_path):
    project = orders_project(make_project, {"orders/fixtures/initial_data.json": STATUSES})
    result, changes = planned(project)
    assert sorted(changes) == ["orders/migrations/0002_initial_status.py"]
    assert left_reasons(result) == [
        (
            "orders/fixtures/initial_data.json",
            "its rows are now in a data migration of app 'orders': delete the file (djfix "
            "does not delete files)",
        )
    ]
    apply.write(result)
    _again, changes = planned(discover(tmp_path))
    assert changes == {}


# -- proof with real Django ----------------------------------------------------------------------

old_django_python = test_apply_projects.old_django_python
old_django_server_python = test_runtime_projects.old_django_server_python


@pytest.fixture
def two_databases():
    """Two new, empty PostgreSQL databases, dropped afterwards."""
    if not test_runtime_projects._postgres_available():
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    import psycopg2

    names = [f"djfix_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    try:
        for name in names:
            admin.cursor().execute(f'CREATE DATABASE "{name}"')
        yield names
    finally:
        for name in names:
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def postgres_env(tmp_path: Path, settings_module: str, database: str) -> dict[str, str]:
    env = production_env(tmp_path, settings_module)
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        # the projects that read the database piece by piece
        DB_NAME=database,
        DB_USER="postgres",
        DB_PASSWORD="",
        DB_HOST="127.0.0.1",
        DB_PORT="5432",
    )
    return env


PROOF = {
    # project: (app, model, the fixture, what a script loaded before, rows expected after)
    "legacy_single": (
        "shop",
        "Category",
        "initial_categories",
        "slug",
        ["fasteners", "hand-tools", "power-tools", "uncategorized"],
    ),
    "celery_services": (
        "orders",
        "Status",
        "statuses",
        "name",
        ["cancelled", "delivered", "new", "paid", "shipped"],
    ),
}


def _manage(python, repo: Path, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        [str(python), "manage.py", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc.stdout


def _rows(python, repo, env, app_label, model, key) -> list[str]:
    script = (
        f"from {app_label}.models import {model}; "
        f"print(sorted({model}.objects.values_list('{key}', flat=True)))"
    )
    output = _manage(python, repo, env, "shell", "-c", script)
    return ast.literal_eval(output.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROOF))
def test_data_migration_runs_once_and_reverses(name, tmp_path, request, two_databases):
    app_label, model, fixture, key, expected = PROOF[name]
    repo = copy_into_git(name, tmp_path)
    result = CliRunner().invoke(
        cli_app, ["apply", "--no-branch", str(repo)], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    assert "djfix bug" not in result.output, result.output
    project = discover(repo)
    leftover = [
        p
        for p in ("entrypoint.sh", "Makefile")
        if (repo / p).exists() and "loaddata" in (repo / p).read_text()
    ]
    assert leftover == []
    python = (
        request.getfixturevalue("old_django_server_python")
        if name == "legacy_single"
        else (sys.executable)
    )
    migrations = sorted((repo / app_label / "migrations").glob("0*_initial_*.py"))
    data_migration = [m for m in migrations if "RunPython" in m.read_text()]
    assert len(data_migration) == 1, migrations
    previous = discover(repo).apps
    leaf = sorted(m.name for a in previous if a.label == app_label for m in a.migrations)[-2]

    # an empty database: the rows arrive once, a second migrate adds nothing
    env = postgres_env(tmp_path, project.production_module, two_databases[0])
    _manage(python, repo, env, "migrate", "--noinput")
    assert _rows(python, repo, env, app_label, model, key) == expected
    _manage(python, repo, env, "migrate", "--noinput")
    assert _rows(python, repo, env, app_label, model, key) == expected
    # back to zero (the reverse is a no-op, the tables go) and forward again
    _manage(python, repo, env, "migrate", app_label, "zero", "--noinput")
    plan = _manage(python, repo, env, "showmigrations", app_label)
    assert "[X]" not in plan, plan
    _manage(python, repo, env, "migrate", "--noinput")
    assert _rows(python, repo, env, app_label, model, key) == expected

    # a database the old scripts had filled: the migration adds no duplicate
    env = postgres_env(tmp_path, project.production_module, two_databases[1])
    _manage(python, repo, env, "migrate", app_label, leaf, "--noinput")
    _manage(python, repo, env, "loaddata", fixture)
    before = _rows(python, repo, env, app_label, model, key)
    _manage(python, repo, env, "migrate", "--noinput")
    after = _rows(python, repo, env, app_label, model, key)
    assert (before, after) == (sorted(set(before)), expected)
    assert len(after) == len(set(after))


@pytest.mark.slow
def test_rows_written_by_primary_key_move_the_sequence(make_project, tmp_path, two_databases):
    database = two_databases[0]
    settings = SETTINGS.replace(
        '{"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}',
        f'{{"ENGINE": "django.db.backends.postgresql", "NAME": "{database}", '
        '"USER": "postgres", "HOST": "127.0.0.1"}',
    )
    project = orders_project(
        make_project,
        {
            "mysite/settings.py": settings,
            "orders/models.py": MODELS.replace("unique=True", "db_index=True"),
            "setup.sh": "python manage.py migrate && python manage.py loaddata statuses\n",
        },
    )
    result, _changes = planned(project)
    apply.write(result)
    env = production_env(tmp_path, "mysite.settings")
    _manage(sys.executable, tmp_path, env, "migrate", "--noinput")
    _manage(sys.executable, tmp_path, env, "migrate", "--noinput")
    script = (
        "from orders.models import Status; "
        "s = Status.objects.create(name='late', label='Late'); "
        "print(sorted(Status.objects.values_list('pk', 'name')))"
    )
    output = _manage(sys.executable, tmp_path, env, "shell", "-c", script)
    assert output.strip().splitlines()[-1] == "[(1, 'new'), (2, 'paid'), (3, 'late')]"
    _manage(sys.executable, tmp_path, env, "migrate", "orders", "zero", "--noinput")
