from __future__ import annotations

from fixer.checks import item12_initial_data as item12
from fixer.discovery import discover
from tests.conftest import PROJECTS, findings_of

EXAMPLES = PROJECTS.parent.parent / "examples"

SETTINGS = """\
SECRET_KEY = "x"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "shop"]
"""
MODELS = """\
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=10)
"""
APPS_HEAD = """\
from django.apps import AppConfig
from django.db.models.signals import post_migrate


"""


def project_with(make_project, files: dict[str, str]):
    tree = {
        "mysite/settings.py": SETTINGS,
        "shop/__init__.py": "",
        "shop/models.py": MODELS,
        "shop/migrations/__init__.py": "",
        "shop/fixtures/categories.json": "[]",
    }
    tree.update(files)
    return make_project(tree)


def shape(findings) -> list[tuple[str, str, int | None]]:
    return [(f.code, f.path, f.line) for f in findings]


# -- nothing to report ---------------------------------------------------------------------------


def test_no_local_app_does_not_apply(make_project):
    project = make_project({"mysite/settings.py": 'INSTALLED_APPS = ["django.contrib.auth"]\n'})
    assert not item12.applies(project)


def test_data_migration_is_the_right_place(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/0001_initial.py": """\
                from django.db import migrations


                def seed(apps, schema_editor):
                    Category = apps.get_model("shop", "Category")
                    Category.objects.get_or_create(name="misc")


                class Migration(migrations.Migration):
                    dependencies = []
                    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
            """,
            "shop/views.py": """\
                from shop.models import Category


                def index(request):
                    Category.objects.get_or_create(name=request.GET["name"])
            """,
            "scripts/deploy.sh": "python manage.py migrate\nexec gunicorn mysite.wsgi\n",
        },
    )
    assert findings_of(item12, project) == []


def test_post_migrate_handler_that_creates_nothing(make_project):
    project = project_with(
        make_project,
        {
            "shop/apps.py": APPS_HEAD
            + """\
def log_done(sender, **kwargs):
    print("migrated", sender)


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self):
        post_migrate.connect(log_done, sender=self)
""",
        },
    )
    assert findings_of(item12, project) == []


def test_a_row_for_each_model_of_the_migrated_app_is_no_initial_data(make_project):
    # like Django's content types: one row per model, created or updated after each migrate,
    # follows the models; a data migration would miss every model added later
    project = project_with(
        make_project,
        {
            "shop/apps.py": APPS_HEAD
            + """\
def sync_model_rows(sender, **kwargs):
    from shop.models import Category

    for model in sender.get_models():
        row, _ = Category.objects.get_or_create(name=model._meta.model_name[:10])
        row.save()


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self):
        post_migrate.connect(sync_model_rows, sender=self)
""",
        },
    )
    assert findings_of(item12, project) == []


def test_creation_in_a_nested_function_of_ready(make_project):
    project = project_with(
        make_project,
        {
            "shop/apps.py": """\
                from django.apps import AppConfig


                class ShopConfig(AppConfig):
                    name = "shop"

                    def ready(self):
                        def later():
                            from shop.models import Category
                            Category.objects.create(name="x")

                        self.later = later
            """,
        },
    )
    assert findings_of(item12, project) == []


def test_other_fixture_names_are_not_initial_data(make_project):
    project = project_with(
        make_project,
        {"shop/fixtures/initial_data_backup.json": "[]", "shop/fixtures/initial.json": "[]"},
    )
    assert findings_of(item12, project) == []


# -- DJ120 -------------------------------------------------------------------------------------


def test_get_or_create_in_ready(make_project):
    project = project_with(
        make_project,
        {
            "shop/apps.py": """\
                from django.apps import AppConfig


                class ShopConfig(AppConfig):
                    name = "shop"

                    def ready(self):
                        from shop.models import Category

                        Category.objects.get_or_create(name="misc")
                        seed()


                def seed():
                    from shop.models import Category

                    Category(name="other").save()
            """,
        },
    )
    found = findings_of(item12, project)
    assert shape(found) == [("DJ120", "shop/apps.py", 10), ("DJ120", "shop/apps.py", 11)]
    assert "ShopConfig.ready() creates data with `Category.objects.get_or_create" in (
        found[0].message
    )
    assert "RunPython data migration of app 'shop'" in found[0].message
    assert "calls seed(), which creates data with `Category(name='other').save()` (line 17)" in (
        found[1].message
    )


# -- DJ121 -------------------------------------------------------------------------------------


def test_post_migrate_connect_in_ready(make_project):
    project = project_with(
        make_project,
        {
            "shop/apps.py": APPS_HEAD
            + """\
def create_defaults(sender, **kwargs):
    from shop.models import Category

    Category.objects.bulk_create([Category(name="a")])


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self):
        post_migrate.connect(create_defaults, sender=self)
""",
        },
    )
    [finding] = findings_of(item12, project)
    assert shape([finding]) == [("DJ121", "shop/apps.py", 5)]
    assert "post_migrate handler create_defaults() (connected at shop/apps.py:15)" in (
        finding.message
    )
    assert "`Category.objects.bulk_create([Category(name='a')])` (line 8)" in finding.message


def test_receiver_decorator_and_imported_handler(make_project):
    project = project_with(
        make_project,
        {
            "shop/signals.py": """\
                from django.db.models.signals import post_migrate, post_save
                from django.dispatch import receiver


                @receiver([post_save, post_migrate])
                def ensure_rows(sender, **kwargs):
                    from django.core.management import call_command

                    call_command("loaddata", "categories")


                def make_groups(sender, **kwargs):
                    from django.contrib.auth.models import Group

                    Group.objects.update_or_create(name="staff")
            """,
            "shop/apps.py": APPS_HEAD
            + """\
class ShopConfig(AppConfig):
    name = "shop"

    def ready(self):
        from .signals import make_groups

        post_migrate.connect(receiver=make_groups)
""",
        },
    )
    found = findings_of(item12, project)
    assert shape(found) == [("DJ121", "shop/signals.py", 6), ("DJ121", "shop/signals.py", 12)]
    assert "decorated with @receiver(post_migrate)" in found[0].message
    assert "connected at shop/apps.py:11" in found[1].message


def test_lambda_connected_to_post_migrate(make_project):
    project = project_with(
        make_project,
        {
            "shop/signals.py": """\
                from django.contrib.auth.models import Group
                from django.db.models.signals import post_migrate

                post_migrate.connect(lambda sender, **kw: Group.objects.get_or_create(name="a"))
            """,
        },
    )
    [finding] = findings_of(item12, project)
    assert shape([finding]) == [("DJ121", "shop/signals.py", 4)]
    assert "post_migrate handler lambda (connected at shop/signals.py:4)" in finding.message


# -- DJ122 -------------------------------------------------------------------------------------


def test_loaddata_in_every_kind_of_deploy_file(make_project):
    project = project_with(
        make_project,
        {
            "entrypoint.sh": "#!/bin/sh\npython manage.py migrate && "
            "python manage.py loaddata categories --database default\n",
            "Makefile": "seed:\n\tpython manage.py loaddata categories\n",
            "Procfile": "release: python manage.py loaddata other.json\n",
            "docker-compose.yml": """\
                services:
                  web:
                    image: shop
                    command: sh -c "django-admin loaddata categories && gunicorn mysite.wsgi"
            """,
            "Dockerfile": "FROM python:3.12-slim\nRUN python manage.py loaddata categories\n",
            ".github/workflows/ci.yml": """\
                jobs:
                  test:
                    steps:
                      - run: python manage.py loaddata categories
            """,
        },
    )
    found = findings_of(item12, project)
    assert shape(found) == [
        ("DJ122", "entrypoint.sh", 2),
        ("DJ122", "Makefile", 2),
        ("DJ122", "Procfile", 1),
        ("DJ122", "docker-compose.yml", 4),
        ("DJ122", ".github/workflows/ci.yml", 4),
        ("DJ122", "Dockerfile", 2),
    ]
    assert "`loaddata categories`" in found[0].message
    assert "RunPython data migration of app 'shop'" in found[0].message
    assert "`loaddata other.json`" in found[2].message
    assert "the app that owns the data" in found[2].message


def test_loaddata_called_from_python_tasks_and_commands(make_project):
    # an invoke tasks.py in the package beside the apps and a management command load the
    # fixtures from Python: a database made by migrate alone lacks the rows; the calls in a
    # test and in ready() (DJ120's) are not these findings
    tasks = (
        "from django.core.management import call_command\n\n\n"
        "def bootstrap(context):\n"
        '    call_command("migrate")\n'
        '    call_command("loaddata", "categories.json")\n'
        '    call_command("loaddata", "other.json")\n'
    )
    command = (
        "from django.core.management import call_command\n"
        "from django.core.management.base import BaseCommand\n\n\n"
        "class Command(BaseCommand):\n"
        "    def handle(self, *args, **options):\n"
        '        call_command("loaddata", "categories")\n'
    )
    ready = (
        APPS_HEAD + "class ShopConfig(AppConfig):\n"
        '    name = "shop"\n\n'
        "    def ready(self):\n"
        "        from django.core.management import call_command\n\n"
        '        call_command("loaddata", "categories")\n'
    )
    project = project_with(
        make_project,
        {
            "tasks.py": tasks,
            "shop/apps.py": ready,
            "shop/management/__init__.py": "",
            "shop/management/commands/__init__.py": "",
            "shop/management/commands/seed.py": command,
            "shop/tests.py": (
                'from django.core.management import call_command\ncall_command("loaddata", "x")\n'
            ),
        },
    )
    found = [f for f in findings_of(item12, project) if f.code == "DJ122"]
    assert shape(found) == [
        ("DJ122", "shop/management/commands/seed.py", 7),
        ("DJ122", "tasks.py", 6),
    ]
    assert found[1].message == (
        "tasks.py runs `loaddata categories.json and other.json` from Python (call_command, "
        "lines 6, 7), so a database made by `migrate` alone lacks those rows until someone runs "
        "it: move the data into a RunPython data migration of app 'shop'"
    )
    assert found[1].effective_fix.safety.value == "none"


# -- DJ123 -------------------------------------------------------------------------------------


def test_initial_data_fixture(make_project):
    project = project_with(
        make_project,
        {"shop/fixtures/initial_data.json": "[]", "shop/fixtures/initial_data.yaml.gz": "x"},
    )
    found = findings_of(item12, project)
    assert shape(found) == [
        ("DJ123", "shop/fixtures/initial_data.json", 1),
        ("DJ123", "shop/fixtures/initial_data.yaml.gz", 1),
    ]
    assert "is never loaded" in found[0].message
    assert "1.9" in found[0].message
    assert "RunPython data migration of app 'shop'" in found[0].message


def test_initial_data_of_an_app_without_migrations_on_django_1_8(make_project):
    project = make_project(
        {
            "mysite/settings.py": SETTINGS,
            "requirements.txt": "Django==1.8.19\n",
            "shop/__init__.py": "",
            "shop/fixtures/initial_data.xml": "<django-objects/>",
        }
    )
    [finding] = findings_of(item12, project)
    assert (finding.code, finding.path) == ("DJ123", "shop/fixtures/initial_data.xml")
    assert "is loaded only while the app has no migrations" in finding.message


# -- test projects -----------------------------------------------------------------------------


def test_deploy_ready_project_is_clean():
    assert findings_of(item12, discover(PROJECTS / "deploy_ready")) == []


def test_legacy_single_creates_data_in_ready_and_loads_a_fixture():
    found = findings_of(item12, discover(PROJECTS / "legacy_single"))
    assert shape(found) == [("DJ120", "shop/apps.py", 19), ("DJ122", "entrypoint.sh", 4)]
    assert "`loaddata initial_categories`" in found[1].message
    assert "app 'shop'" in found[1].message


def test_celery_services_post_migrate_handler_and_makefile():
    found = findings_of(item12, discover(PROJECTS / "celery_services"))
    assert shape(found) == [("DJ121", "orders/apps.py", 14), ("DJ122", "Makefile", 10)]
    assert "connected at orders/apps.py:29" in found[0].message
    assert "`loaddata statuses`" in found[1].message
    assert "app 'orders'" in found[1].message


def test_examples_legacy_project():
    found = findings_of(item12, discover(EXAMPLES / "legacy_project"))
    assert shape(found) == [("DJ120", "books/apps.py", 14), ("DJ122", "entrypoint.sh", 5)]


def test_projects_without_initial_data():
    for name in ("split_settings", "asgi_channels", "manage_subfolder"):
        assert findings_of(item12, discover(PROJECTS / name)) == [], name
