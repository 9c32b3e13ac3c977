from __future__ import annotations

from fixer.analysis import startup_code
from fixer.checks import item10_startup_queries as item10
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


def apps_py(ready_body: str, header: str = "", extra: str = "") -> str:
    body = "\n".join("        " + line if line else "" for line in ready_body.splitlines())
    return (
        "from django.apps import AppConfig\n"
        f"{header}\n\n"
        f"{extra}\n\n"
        "class ShopConfig(AppConfig):\n"
        '    name = "shop"\n\n'
        "    def ready(self):\n"
        f"{body}\n"
    )


def project_with(make_project, files: dict[str, str], settings: str = SETTINGS):
    tree = {
        "mysite/settings.py": settings,
        "shop/__init__.py": "",
        "shop/models.py": MODELS,
        "shop/migrations/__init__.py": "",
    }
    tree.update(files)
    return make_project(tree)


def shape(findings) -> list[tuple[str, str, int]]:
    return [(f.code, f.path, f.line) for f in findings]


# -- nothing to report ---------------------------------------------------------------------------


def test_no_local_app_does_not_apply(make_project):
    project = make_project({"mysite/settings.py": 'INSTALLED_APPS = ["django.contrib.auth"]\n'})
    assert not item10.applies(project)


def test_lazy_querysets_are_not_evaluated(make_project):
    project = project_with(
        make_project,
        {
            "shop/forms.py": """\
                from django import forms

                from shop.models import Category

                RECENT = Category.objects.filter(name__startswith="a")[:5]


                class PickForm(forms.Form):
                    category = forms.ModelChoiceField(queryset=Category.objects.all())
                    default = forms.CharField(initial=Category.objects.first)


                class CategoryView:
                    queryset = Category.objects.order_by("name")
                    choices = lambda: [c.pk for c in Category.objects.all()]
            """
        },
    )
    assert findings_of(item10, project) == []


def test_query_inside_a_function_body(make_project):
    project = project_with(
        make_project,
        {
            "shop/views.py": """\
                from django.db import connection

                from shop.models import Category


                def index(request):
                    names = list(Category.objects.values_list("name", flat=True))
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT 1")
                    return names
            """
        },
    )
    assert findings_of(item10, project) == []


def test_query_inside_a_nested_function_in_ready(make_project):
    project = project_with(
        make_project,
        {
            "shop/apps.py": apps_py(
                "from django.db.models.signals import post_migrate\n"
                "\n"
                "def seed(sender, **kwargs):\n"
                "    from shop.models import Category\n"
                "    Category.objects.get_or_create(name='x')\n"
                "\n"
                "post_migrate.connect(seed, sender=self)\n"
                "post_migrate.connect(handler, sender=self)",
                extra="def handler(sender, **kwargs):\n"
                "    from shop.models import Category\n"
                "    Category.objects.count()\n",
            )
        },
    )
    assert findings_of(item10, project) == []


def test_tests_and_migrations_are_not_scanned(make_project):
    evaluated = "from shop.models import Category\nN = Category.objects.count()\n"
    project = project_with(
        make_project,
        {
            "shop/tests.py": evaluated,
            "shop/tests/test_views.py": evaluated,
            "shop/test_models.py": evaluated,
            "shop/migrations/0001_initial.py": evaluated,
        },
    )
    assert findings_of(item10, project) == []


def test_ready_not_run_before_django_3_2_without_default_app_config(make_project):
    project = project_with(
        make_project,
        {
            "requirements.txt": "Django==3.1.14\n",
            "shop/apps.py": apps_py("from shop.models import Category\nCategory.objects.count()"),
        },
    )
    assert findings_of(item10, project) == []


def test_ready_runs_before_django_3_2_with_default_app_config(make_project):
    project = project_with(
        make_project,
        {
            "requirements.txt": "Django==3.1.14\n",
            "shop/__init__.py": 'default_app_config = "shop.apps.ShopConfig"\n',
            "shop/apps.py": apps_py("from shop.models import Category\nCategory.objects.count()"),
        },
    )
    assert shape(findings_of(item10, project)) == [("DJ100", "shop/apps.py", 11)]


def test_ready_is_assumed_to_run_when_django_is_only_bounded_below(make_project):
    project = project_with(
        make_project,
        {
            "requirements.txt": "Django>=2.2\n",
            "shop/apps.py": apps_py("from shop.models import Category\nCategory.objects.count()"),
        },
    )
    assert shape(findings_of(item10, project)) == [("DJ100", "shop/apps.py", 11)]


def test_cache_delete_in_ready_is_not_a_query(make_project):
    project = project_with(
        make_project,
        {
            "shop/apps.py": apps_py(
                "from django.core.cache import cache\ncache.delete('menu')",
            )
        },
    )
    assert findings_of(item10, project) == []


# -- DJ100 -------------------------------------------------------------------------------------


def test_manager_call_in_ready(make_project):
    project = project_with(
        make_project,
        {
            "shop/apps.py": apps_py(
                "from shop.models import Category\n"
                "if Category.objects.filter(name='x').exists():\n"
                "    pass"
            )
        },
    )
    [finding] = findings_of(item10, project)
    assert shape([finding]) == [("DJ100", "shop/apps.py", 11)]
    assert finding.column == 12
    assert "ShopConfig.ready() runs `Category.objects.filter(name='x').exists()`" in (
        finding.message
    )
    assert "move it out of ready()" in finding.message


def test_guarded_read_in_ready_lets_the_app_start(make_project):
    project = project_with(
        make_project,
        {
            "shop/apps.py": apps_py(
                "from django.db import OperationalError\n"
                "from shop.models import Category\n"
                "try:\n"
                "    Category.objects.count()\n"
                "except OperationalError:\n"
                "    pass"
            )
        },
    )
    # the read is guarded against the missing table: the app starts before migrate
    assert findings_of(item10, project) == []


def test_connection_executor_and_call_command_in_ready(make_project):
    project = project_with(
        make_project,
        {
            "shop/apps.py": apps_py(
                "from django.core.management import call_command\n"
                "from django.db import connection, connections\n"
                "from django.db.migrations.executor import MigrationExecutor\n"
                "with connection.cursor() as cursor:\n"
                "    cursor.execute('SELECT 1')\n"
                "executor = MigrationExecutor(connections['default'])\n"
                "call_command('check')\n"
                "from django.contrib.auth import get_user_model\n"
                "get_user_model().objects.filter(is_superuser=True)\n"
                "from django.contrib.contenttypes.models import ContentType\n"
                "ContentType.objects.clear_cache()"
            )
        },
    )
    found = findings_of(item10, project)
    assert [(f.line, f.column) for f in found] == [
        (13, 14),
        (15, 20),
        (15, 38),
        (16, 9),
        (18, 9),
        (20, 9),
    ]
    assert {f.code for f in found} == {"DJ100"}


def test_helper_function_called_from_ready(make_project):
    project = project_with(
        make_project,
        {
            "shop/apps.py": apps_py(
                "warm_cache()\nself.check_rows()",
                extra="def warm_cache():\n"
                "    from shop.models import Category\n"
                "    return list(Category.objects.all())\n",
            ).replace(
                "    def ready(self):",
                "    def check_rows(self):\n"
                "        from shop.models import Category\n"
                "        Category.objects.latest('pk')\n\n"
                "    def ready(self):",
            )
        },
    )
    found = findings_of(item10, project)
    assert shape(found) == [("DJ100", "shop/apps.py", 17), ("DJ100", "shop/apps.py", 18)]
    assert "calls warm_cache(), which runs `Category.objects.all()` (line 6)" in found[0].message
    assert "calls check_rows(), which runs `Category.objects.latest('pk')`" in found[1].message


# -- DJ101 -------------------------------------------------------------------------------------


def test_choices_from_a_queryset_in_a_form(make_project):
    project = project_with(
        make_project,
        {
            "shop/forms.py": """\
                from django import forms

                from shop.models import Category


                class FilterForm(forms.Form):
                    category = forms.ChoiceField(
                        choices=[(c.pk, c.name) for c in Category.objects.all()]
                    )
            """
        },
    )
    [finding] = findings_of(item10, project)
    assert (finding.code, finding.path, finding.line, finding.column) == (
        "DJ101",
        "shop/forms.py",
        8,
        17,
    )
    assert "evaluates a query when the module is imported" in finding.message
    assert "make it lazy" in finding.message


def test_module_level_evaluations(make_project):
    project = project_with(
        make_project,
        {
            "shop/constants.py": """\
                from django.db import connection

                from shop.models import Category

                NAMES = list(Category.objects.values_list("name", flat=True))
                FIRST = Category.objects.all()[0]
                DEFAULT = Category.objects.get(pk=1)
                TOTAL = Category.objects.count()
                LOOKUP = dict((c.pk, c) for c in Category.objects.all())
                for category in Category.objects.all():
                    pass
                CURSOR = connection.cursor()
                HAS_ANY = bool(Category.objects.all())


                def handler(x=Category.objects.first()):
                    return Category.objects.count()
            """
        },
    )
    found = findings_of(item10, project)
    assert [(f.code, f.line) for f in found] == [
        ("DJ101", 5),
        ("DJ101", 6),
        ("DJ101", 7),
        ("DJ101", 8),
        ("DJ101", 9),
        ("DJ101", 10),
        ("DJ101", 12),
        ("DJ101", 13),
        ("DJ101", 16),
    ]
    assert "iterates over a query" in found[5].message


def test_class_attribute_of_a_model_evaluated(make_project):
    project = project_with(
        make_project,
        {
            "shop/models.py": MODELS
            + "\n\nclass Product(models.Model):\n"
            + "    KINDS = sorted(Category.objects.values_list('name', flat=True))\n",
        },
    )
    [finding] = findings_of(item10, project)
    assert (finding.code, finding.path, finding.line) == ("DJ101", "shop/models.py", 9)


def test_query_in_a_default_argument_of_a_multiline_signature(make_project):
    project = project_with(
        make_project,
        {
            "shop/utils.py": """\
                from shop.models import Category


                def pick(
                    default=Category.objects.first(),
                ):
                    return Category.objects.count()
            """
        },
    )
    assert shape(findings_of(item10, project)) == [("DJ101", "shop/utils.py", 5)]


def test_text_prefilter_skips_modules_that_query_only_in_functions():
    view = (
        "from shop.models import Category\n\n\n"
        "def index(request):  # a view\n"
        "    if request.GET:\n"
        "        return list(Category.objects.all())\n"
        "    with connection.cursor() as c:\n"
        "        pass\n\n\n"
        "class V:\n"
        "    def get(self) -> list:\n"
        "        return Category.objects.all()\n"
    )
    assert not item10._may_run_at_import(view)
    assert item10._may_run_at_import(view + "N = Category.objects.count()\n")
    assert item10._may_run_at_import(view + "class F:\n    x = Category.objects.first()\n")


def test_text_prefilter_reads_signatures_over_several_lines():
    # black's style: the parameters on their own lines, `):` or `) -> T:` at the def's indentation
    view = (
        "from shop.models import Category\n\n\n"
        "def index(\n"
        "    request,\n"
        "    slug: str,\n"
        ") -> list:\n"
        "    return list(Category.objects.all())\n\n\n"
        "class V:\n"
        "    async def get(\n"
        "        self, request\n"
        "    ):  # a method\n"
        "        return Category.objects.first()\n"
    )
    assert not item10._may_run_at_import(view)
    # a default value runs when the def runs, at import: not inside the function's body
    assert item10._may_run_at_import(
        "def index(\n    request,\n    first=Category.objects.first(),\n):\n    pass\n"
    )
    # the body of an `if` whose condition goes over several lines is not a function's
    assert item10._may_run_at_import(
        "def f(a): return a\nif f(\n    1\n):\n    N = Category.objects.count()\n"
    )
    # a `def` line that does not open a signature over several lines leaves the next `):` alone
    assert item10._may_run_at_import(
        "def f(\n    a,\n    b=g(\n    )):\n    pass\n"
        "if h(\n    2\n):\n    Category.objects.count()\n"
    )


# -- test projects -----------------------------------------------------------------------------


def test_deploy_ready_project_is_clean():
    assert findings_of(item10, discover(PROJECTS / "deploy_ready")) == []


def test_legacy_single_queries_in_ready_and_in_a_form():
    found = findings_of(item10, discover(PROJECTS / "legacy_single"))
    # line 17 is a read inside `try/except (OperationalError, ProgrammingError)`: not a finding
    assert shape(found) == [
        ("DJ100", "shop/apps.py", 19),
        ("DJ101", "shop/forms.py", 8),
    ]


def test_celery_services_evaluates_a_queryset_at_import():
    found = findings_of(item10, discover(PROJECTS / "celery_services"))
    assert shape(found) == [("DJ101", "orders/constants.py", 4)]


def test_examples_legacy_project():
    found = findings_of(item10, discover(EXAMPLES / "legacy_project"))
    assert shape(found) == [
        ("DJ100", "books/apps.py", 14),
        ("DJ101", "books/forms.py", 9),
        ("DJ101", "books/forms.py", 13),
    ]


def test_plugin_apps_every_app_discovery_finds_is_scanned():
    # INSTALLED_APPS built from a configuration module and an app list module
    project = discover(PROJECTS / "plugin_apps")
    scanned = sorted(
        p.relative_to(project.root).as_posix() for p in startup_code.app_python_files(project)
    )
    assert scanned == sorted(
        f"{app}/{name}.py"
        for app in ("catalog", "orders", "loyalty")
        for name in ("__init__", "apps", "forms", "models")
    )
    found = [(f.code, f.path, f.line) for f in findings_of(item10, project)]
    assert found == [("DJ101", f"{app}/forms.py", 7) for app in ("catalog", "orders", "loyalty")]


def test_app_modules_are_walked_once_per_run_and_a_linked_module_counts_once(tmp_path, monkeypatch):
    import os
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(PROJECTS / "plugin_apps", root)
    (root / "catalog/forms_link.py").symlink_to(root / "catalog/forms.py")
    (root / "catalog/extra.py").symlink_to(root / "orders/models.py")  # found first as catalog's
    project = discover(root)
    scanned = [p.relative_to(root).as_posix() for p in startup_code.app_python_files(project)]
    assert "catalog/extra.py" in scanned and "orders/models.py" not in scanned
    assert "catalog/forms.py" in scanned and "catalog/forms_link.py" not in scanned
    walks = []
    monkeypatch.setattr(startup_code.os, "walk", lambda *a, **k: walks.append(a) or os.walk(*a))
    planned = discover(root, overlay={"catalog/models.py": "X = 1\n"}, reuse=project.cache)
    assert [p.relative_to(root).as_posix() for p in startup_code.app_python_files(planned)] == (
        scanned
    )
    assert walks == []  # the rediscovery's apps are the same folders: the walk is reused


def test_projects_without_startup_queries():
    for name in ("split_settings", "asgi_channels", "manage_subfolder"):
        assert findings_of(item10, discover(PROJECTS / name)) == [], name
