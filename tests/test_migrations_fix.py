from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from fixer import django_runner
from fixer.apply import plan, write
from fixer.checks import Selection
from fixer.discovery import discover
from fixer.fixes.item06_migrations import plan_merge, python_option
from fixer.migration_graph import build_graph
from tests.conftest import PROJECTS, write_tree

ITEM6 = Selection(select={f"DJ06{n}" for n in range(8)})
PYTHON = {"python": sys.executable}

SETTINGS = """\
SECRET_KEY = "x"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "shop"]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "nowhere"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
"""
MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""
INITIAL = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Product",
            fields=[
                ("id", models.BigAutoField(
                    auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                )),
                ("name", models.CharField(max_length=10)),
            ],
        ),
    ]
"""


def branch(name: str, op: str) -> str:
    return (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        '    dependencies = [("shop", "0001_initial")]\n'
        f"    operations = [{op}]\n"
    )


def shop(tmp_path: Path, files: dict[str, str]) -> Path:
    tree = {
        "manage.py": MANAGE,
        "mysite/__init__.py": "",
        "mysite/settings.py": SETTINGS,
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": INITIAL,
    }
    tree.update(files)
    return write_tree(tmp_path, tree)


def django(root: Path, *args: str) -> django_runner.Outcome:
    """Run a manage.py command of the tree at `root` on a fresh sqlite database."""
    scratch = Path(tempfile.mkdtemp(prefix="test-django-"))
    try:
        env = django_runner.synthetic_env(scratch, "mysite.settings")
        return django_runner._run(sys.executable, ["manage.py", *args], root, env, 120)
    finally:
        shutil.rmtree(scratch)


def test_no_python_option_means_static_only():
    assert python_option({}) == (False, None)
    assert python_option({"python": None}) == (True, None)
    assert python_option({"python": "none"}) == (False, None)
    assert python_option({"python": "/usr/bin/python3"}) == (True, "/usr/bin/python3")


def test_same_model_in_both_branches_is_not_merged(tmp_path):
    root = shop(
        tmp_path,
        {
            "shop/migrations/0002_a.py": branch(
                "a", "migrations.AddField('product', 'price', models.IntegerField(default=0))"
            ),
            "shop/migrations/0002_b.py": branch(
                "b",
                "migrations.AlterField(model_name='product', name='name', "
                "field=models.CharField(max_length=20))",
            ),
        },
    )
    project = discover(root)
    merge = plan_merge(project, build_graph(project), "shop")
    assert merge.rel is None
    assert merge.clashes == [
        "branch 0002_a: 0002_a: AddField('product')",
        "branch 0002_b: 0002_b: AlterField(name='name', model_name='product')",
    ]
    result = plan(project, ITEM6, {})
    assert result.changeset.diff() == ""
    [finding] = result.before.findings
    assert finding.effective_fix.safety.value == "none"
    assert "change the same models (branch 0002_a: 0002_a: AddField('product')" in finding.message


def test_run_python_branch_is_not_merged(tmp_path):
    root = shop(
        tmp_path,
        {
            "shop/migrations/0002_a.py": branch("a", "migrations.RunPython(print)"),
            "shop/migrations/0002_b.py": branch("b", "migrations.CreateModel('Tag', [])"),
        },
    )
    project = discover(root)
    merge = plan_merge(project, build_graph(project), "shop")
    assert merge.rel is None
    assert merge.clashes == ["branch 0002_a: 0002_a: RunPython() (djfix cannot tell which models)"]


def test_relation_to_a_model_the_other_branch_deletes_is_not_merged(tmp_path):
    root = shop(
        tmp_path,
        {
            "shop/migrations/0002_a.py": branch("a", "migrations.DeleteModel('Product')"),
            "shop/migrations/0002_b.py": branch(
                "b",
                "migrations.CreateModel('Line', [('p', models.ForeignKey(to='shop.product', "
                "on_delete=models.CASCADE))])",
            ),
        },
    )
    project = discover(root)
    merge = plan_merge(project, build_graph(project), "shop")
    assert merge.clashes == [
        "branch 0002_a: 0002_a: DeleteModel('Product')",
        "branch 0002_b: 0002_b: CreateModel('Line')",
    ]


def test_missing_init_is_created_empty(tmp_path):
    root = shop(tmp_path, {})
    (root / "shop/migrations/__init__.py").unlink()
    project = discover(root)
    result = plan(project, ITEM6, {})
    [change] = result.changeset.changes()
    assert (change.rel, change.old, change.new) == ("shop/migrations/__init__.py", None, "")


def test_blog_conflict_is_merged_without_django(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(PROJECTS / "split_settings", root)
    result = plan(discover(root), ITEM6, {})
    [change] = result.changeset.changes()
    assert change.rel == "blog/migrations/0003_merge_0002_comment_approved_0002_post_slug.py"
    assert change.new.splitlines()[1:] == [
        "",
        "from django.db import migrations",
        "",
        "",
        "class Migration(migrations.Migration):",
        "",
        "    dependencies = [",
        "        ('blog', '0002_comment_approved'),",
        "        ('blog', '0002_post_slug'),",
        "    ]",
        "",
        "    operations = [",
        "    ]",
    ]
    assert not (root / change.rel).exists()


def _prove(root: Path, app: str) -> None:
    made = django(root, "makemigrations", "--check", "--dry-run")
    assert (made.returncode, made.output.strip()) == (0, "No changes detected")
    scratch = Path(tempfile.mkdtemp(prefix="test-django-"))
    try:
        env = django_runner.synthetic_env(scratch, _settings_of(root))
        run = django_runner._run
        forward = run(sys.executable, ["manage.py", "migrate", "--no-color"], root, env, 120)
        assert forward.returncode == 0, forward.output
        assert f"Applying {app}." in forward.output
        back = run(sys.executable, ["manage.py", "migrate", app, "zero"], root, env, 120)
        assert back.returncode == 0, back.output
        assert f"Unapplying {app}.0001" in back.output
    finally:
        shutil.rmtree(scratch)


def _settings_of(root: Path) -> str:
    return discover(root).settings_module


@pytest.mark.slow
def test_split_settings_conflict_end_to_end(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(PROJECTS / "split_settings", root)
    result = plan(discover(root), ITEM6, PYTHON)
    assert [c.rel for c in result.changeset.changes()] == [
        "blog/migrations/0003_merge_0002_comment_approved_0002_post_slug.py"
    ]
    write(result)
    after = plan(discover(root), ITEM6, PYTHON)
    assert after.before.findings == []
    made = django_runner.inspect(discover(root), sys.executable)
    assert (made.note, made.changes, made.plan_error) == (None, [], None)
    _prove_split(root)


def _prove_split(root: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="test-django-"))
    try:
        env = django_runner.synthetic_env(scratch, "config.settings.dev")
        run = django_runner._run
        check = run(sys.executable, ["manage.py", "makemigrations", "--check"], root, env, 120)
        assert (check.returncode, check.output.strip()) == (0, "No changes detected")
        forward = run(sys.executable, ["manage.py", "migrate", "--no-color"], root, env, 120)
        assert forward.returncode == 0, forward.output
        assert "Applying blog.0003_merge_0002_comment_approved_0002_post_slug... OK" in (
            forward.output
        )
        back = run(sys.executable, ["manage.py", "migrate", "blog", "zero"], root, env, 120)
        assert back.returncode == 0, back.output
        assert "Unapplying blog.0001_initial... OK" in back.output
    finally:
        shutil.rmtree(scratch)


@pytest.mark.slow
def test_missing_migration_is_written_end_to_end(tmp_path):
    models = (
        "from django.db import models\n\n\n"
        "class Product(models.Model):\n"
        "    name = models.CharField(max_length=10)\n"
        "    price = models.IntegerField(default=0)\n"
    )
    root = shop(tmp_path, {"shop/models.py": models})
    project = discover(root)
    result = plan(project, ITEM6, PYTHON)
    [finding] = result.before.findings
    assert finding.code == "DJ066"
    assert finding.path == "shop/models.py"
    assert "would write shop/migrations/0002_product_price.py: Add field price to product" in (
        finding.message
    )
    [change] = result.changeset.changes()
    assert change.rel == "shop/migrations/0002_product_price.py"
    assert "migrations.AddField(" in change.new
    assert not (root / change.rel).exists()  # nothing written before the change is
    write(result)
    assert plan(discover(root), ITEM6, PYTHON).before.findings == []
    _prove(root, "shop")


@pytest.mark.slow
def test_app_without_migrations_gets_its_initial_migration(tmp_path):
    models = (
        "from django.db import models\n\n\n"
        "class Product(models.Model):\n"
        "    name = models.CharField(max_length=10)\n"
    )
    root = shop(tmp_path, {"shop/models.py": models})
    shutil.rmtree(root / "shop/migrations")
    result = plan(discover(root), ITEM6, PYTHON)
    assert [f.code for f in result.before.findings] == ["DJ065"]
    assert sorted(c.rel for c in result.changeset.changes()) == [
        "shop/migrations/0001_initial.py",
        "shop/migrations/__init__.py",
    ]
    write(result)
    _prove(root, "shop")


@pytest.mark.slow
def test_django_that_cannot_run_leaves_static_findings(tmp_path):
    root = shop(tmp_path, {"mysite/settings.py": SETTINGS + "import not_a_module\n"})
    shutil.rmtree(root / "shop/migrations")
    write_tree(
        root,
        {"shop/models.py": "from django.db import models\n\n\nclass P(models.Model):\n    pass\n"},
    )
    project = discover(root)
    result = plan(project, ITEM6, PYTHON)
    [finding] = result.before.findings
    assert finding.code == "DJ065"
    note = (
        "Django could not load the settings (ModuleNotFoundError: No module named "
        "'not_a_module'); only the static "
        "migration checks ran"
    )
    assert project.notes.count(note) == 1
    assert result.changeset.diff() == ""
