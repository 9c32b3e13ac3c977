from __future__ import annotations

from fixer.checks import item06_migrations as item06
from fixer.discovery import discover
from tests.conftest import PROJECTS, findings_of

EXAMPLES = PROJECTS.parent.parent / "examples"


def settings(*apps: str, extra: str = "") -> str:
    installed = ["django.contrib.auth", "django.contrib.contenttypes", *apps]
    return f'SECRET_KEY = "x"\nINSTALLED_APPS = {installed!r}\n{extra}'


def migration(deps=(), replaces=(), body: str = "") -> str:
    lines = [
        "from django.db import migrations",
        "",
        "",
        "class Migration(migrations.Migration):",
        f"    dependencies = {list(deps)!r}",
    ]
    if replaces:
        lines.append(f"    replaces = {list(replaces)!r}")
    if body:
        lines.append(body)
    lines.append("    operations = []")
    return "\n".join(lines) + "\n"


MODELS = """\
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=10)
"""


def project_with(make_project, files: dict[str, str], apps=("shop",), extra: str = ""):
    tree: dict[str, str] = {"mysite/settings.py": settings(*apps, extra=extra)}
    for label in apps:
        tree[f"{label}/__init__.py"] = ""
    tree.update(files)
    return make_project(tree)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


# -- nothing to report ---------------------------------------------------------------------------


def test_no_local_app_does_not_apply(make_project):
    project = make_project({"mysite/settings.py": settings()})
    assert not item06.applies(project)


def test_linear_history_is_clean(make_project):
    project = project_with(
        make_project,
        {
            "shop/models.py": MODELS,
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration([("auth", "0012_x")]),
            "shop/migrations/0002_more.py": migration([("shop", "0001_initial")]),
        },
    )
    assert findings_of(item06, project) == []


def test_squashed_migration_with_replaced_files_still_present(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration(),
            "shop/migrations/0002_b.py": migration([("shop", "0001_initial")]),
            "shop/migrations/0001_squashed_0002_b.py": migration(
                replaces=[("shop", "0001_initial"), ("shop", "0002_b")]
            ),
            "shop/migrations/0003_c.py": migration([("shop", "0002_b")]),
        },
    )
    assert findings_of(item06, project) == []


def test_dependency_on_auth_is_not_checked(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration([("auth", "9999_does_not_exist")]),
        },
    )
    assert findings_of(item06, project) == []


def test_first_of_a_local_app(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration(
                [("blog", "__first__"), ("shop", "__first__")]
            ),
            "blog/migrations/__init__.py": "",
            "blog/migrations/0001_initial.py": migration(),
        },
        apps=("shop", "blog"),
    )
    assert findings_of(item06, project) == []


def test_merge_migration_is_clean(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration(),
            "shop/migrations/0002_a.py": migration([("shop", "0001_initial")]),
            "shop/migrations/0002_b.py": migration([("shop", "0001_initial")]),
            "shop/migrations/0003_merge.py": migration([("shop", "0002_a"), ("shop", "0002_b")]),
        },
    )
    assert findings_of(item06, project) == []


def test_app_without_models_needs_no_migrations(make_project):
    project = project_with(make_project, {"shop/views.py": "def index(request): pass\n"})
    assert findings_of(item06, project) == []


def test_abstract_proxy_and_unmanaged_models_need_no_table(make_project):
    project = project_with(
        make_project,
        {
            "shop/models.py": """\
                from django.contrib.auth.models import User
                from django.db import models


                class Base(models.Model):
                    class Meta:
                        abstract = True


                class Person(User):
                    class Meta:
                        proxy = True


                class Legacy(Base):
                    class Meta:
                        managed = False
                        db_table = "legacy"
            """,
        },
    )
    assert findings_of(item06, project) == []


def test_migrations_turned_off_in_settings(make_project):
    project = project_with(
        make_project,
        {"shop/models.py": MODELS},
        extra='MIGRATION_MODULES = {"shop": None}\n',
    )
    assert findings_of(item06, project) == []


def test_non_django_model_base_is_not_a_model(make_project):
    project = project_with(
        make_project,
        {
            "shop/models.py": """\
                from pydantic import BaseModel
                from peewee import Model


                class Payload(BaseModel):
                    x: int


                class Row(Model):
                    pass
            """,
        },
    )
    assert findings_of(item06, project) == []


# -- findings --------------------------------------------------------------------------------------


def test_two_leaves_are_a_conflict(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration(),
            "shop/migrations/0002_a.py": migration([("shop", "0001_initial")]),
            "shop/migrations/0002_b.py": migration([("shop", "0001_initial")]),
        },
    )
    [finding] = findings_of(item06, project)
    assert finding.code == "DJ060"
    assert (finding.path, finding.line) == ("shop/migrations/0002_b.py", 4)
    assert "0002_a, 0002_b" in finding.message
    assert "makemigrations --merge shop" in finding.message
    assert "resolves it" in finding.message


def test_missing_dependency_on_a_local_migration(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration(),
            "shop/migrations/0003_c.py": migration([("shop", "0002_gone")]),
        },
    )
    [finding] = findings_of(item06, project)
    assert finding.code == "DJ061"
    assert (finding.path, finding.line) == ("shop/migrations/0003_c.py", 5)
    assert "shop.0002_gone" in finding.message
    assert "NodeNotFoundError" in finding.message
    assert "latest migration is 0003_c" in finding.message


def test_missing_dependency_on_a_local_app_without_migrations(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration([("blog", "0001_initial")]),
        },
        apps=("shop", "blog"),
    )
    [finding] = findings_of(item06, project)
    assert finding.code == "DJ061"
    assert "app 'blog' has no migrations folder" in finding.message


def test_first_of_a_local_app_with_an_empty_migrations_package(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration([("blog", "__first__")]),
            "blog/migrations/__init__.py": "",
        },
        apps=("shop", "blog"),
    )
    [finding] = findings_of(item06, project)
    assert finding.code == "DJ061"
    assert "Dependency on app with no migrations" in finding.message
    assert "makemigrations blog" in finding.message


def test_squash_with_some_replaced_files_deleted(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0002_b.py": migration([("shop", "0001_initial")]),
            "shop/migrations/0001_squashed_0002_b.py": migration(
                replaces=[("shop", "0001_initial"), ("shop", "0002_b")]
            ),
        },
    )
    [finding] = findings_of(item06, project)
    assert finding.code == "DJ061"
    assert (finding.path, finding.line) == ("shop/migrations/0001_squashed_0002_b.py", 6)
    assert "0001_initial were deleted while 0002_b remain" in finding.message


def test_cycle_between_apps(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration([("blog", "0001_initial")]),
            "blog/migrations/__init__.py": "",
            "blog/migrations/0001_initial.py": migration([("shop", "0001_initial")]),
        },
        apps=("shop", "blog"),
    )
    [finding] = findings_of(item06, project)
    assert finding.code == "DJ062"
    assert (finding.path, finding.line) == ("blog/migrations/0001_initial.py", 5)
    assert "blog.0001_initial -> shop.0001_initial -> blog.0001_initial" in finding.message


def test_migrations_folder_without_init(make_project):
    project = project_with(
        make_project,
        {
            "shop/models.py": MODELS,
            "shop/migrations/0001_initial.py": migration(),
            "shop/migrations/0002_more.py": migration([("shop", "0001_initial")]),
        },
    )
    [finding] = findings_of(item06, project)
    assert finding.code == "DJ063"
    assert (finding.path, finding.line) == ("shop/migrations", None)
    assert "namespace package" in finding.message
    assert "none of its 2 migrations" in finding.message
    assert "add an empty __init__.py" in finding.message


def test_unparsable_migration(make_project):
    project = project_with(
        make_project,
        {
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": migration(),
            "shop/migrations/0002_broken.py": "from x import y\n\nclass Migration(:\n",
            "shop/migrations/0003_empty.py": "X = 1\n",
        },
    )
    found = findings_of(item06, project)
    assert [(f.code, f.path, f.line) for f in found] == [
        ("DJ064", "shop/migrations/0002_broken.py", 3),
        ("DJ064", "shop/migrations/0003_empty.py", 1),
    ]
    assert "syntax error" in found[0].message
    assert "defines no Migration class" in found[1].message
    assert "`migrate` stops" in found[1].message


def test_models_without_migrations_folder(make_project):
    project = project_with(make_project, {"shop/models.py": MODELS})
    [finding] = findings_of(item06, project)
    assert finding.code == "DJ065"
    assert (finding.path, finding.line) == ("shop/models.py", 4)
    assert "defines models (Product)" in finding.message
    assert "no migrations folder" in finding.message
    assert "makemigrations shop" in finding.message


def test_models_with_an_empty_migrations_package(make_project):
    project = project_with(
        make_project, {"shop/models.py": MODELS, "shop/migrations/__init__.py": ""}
    )
    [finding] = findings_of(item06, project)
    assert finding.code == "DJ065"
    assert "shop/migrations holds no migration" in finding.message


def test_models_package_with_subclass_of_a_local_base(make_project):
    project = project_with(
        make_project,
        {
            "shop/models/__init__.py": "from .base import Stamped\nfrom .order import Order\n",
            "shop/models/order.py": """\
                from .base import Stamped


                class Order(Stamped):
                    pass
            """,
            "shop/models/base.py": """\
                from django.db.models import Model


                class Stamped(Model):
                    class Meta:
                        abstract = True
            """,
        },
    )
    [finding] = findings_of(item06, project)
    assert finding.code == "DJ065"
    assert (finding.path, finding.line) == ("shop/models/order.py", 4)
    assert "(Order)" in finding.message


# -- test projects -----------------------------------------------------------------------------


def test_deploy_ready_project_is_clean():
    assert findings_of(item06, discover(PROJECTS / "deploy_ready")) == []


def test_split_settings_project_has_the_blog_conflict():
    found = findings_of(item06, discover(PROJECTS / "split_settings"))
    assert [(f.code, f.path, f.line) for f in found] == [
        ("DJ060", "blog/migrations/0002_post_slug.py", 6)
    ]
    assert "0002_comment_approved, 0002_post_slug" in found[0].message


def test_other_projects_have_valid_migrations():
    for name in ("legacy_single", "asgi_channels", "manage_subfolder", "celery_services"):
        assert findings_of(item06, discover(PROJECTS / name)) == [], name
    assert findings_of(item06, discover(EXAMPLES / "legacy_project")) == []
