"""Discovery finds the apps of an INSTALLED_APPS built from other modules: a plugin list in a
configuration module, an app list kept apart, or a list changed at run time. A fast check must
be a complete one: item 10 scans what discovery finds, and finds nothing in an app it missed
(tests/checks/test_item10_startup_queries.py runs it on the plugin project)."""

from __future__ import annotations

from pathlib import Path

from fixer.discovery import discover
from tests.conftest import PROJECTS

PLUGIN_APPS = PROJECTS / "plugin_apps"
LOCAL = ["catalog", "orders", "loyalty"]
CONTRIB = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]


def test_plugins_from_a_configuration_module_and_an_app_list_module():
    project = discover(PLUGIN_APPS)
    assert project.installed_apps == [*CONTRIB, *LOCAL]
    assert [a.name for a in project.apps] == LOCAL
    assert not [n for n in project.notes if "INSTALLED_APPS" in n]
    assert project.settings.get("PLUGINS") == ["loyalty"]


def test_getattr_default_when_the_configuration_does_not_set_it(make_project):
    project = make_project(
        {
            "mysite/configuration.py": "DEBUG_TOOLBAR = False\n",
            "mysite/settings.py": """\
                from mysite import configuration
                PLUGINS = getattr(configuration, "PLUGINS", ["fallback"])
                INSTALLED_APPS = ["django.contrib.auth"] + PLUGINS
            """,
        }
    )
    assert project.installed_apps == ["django.contrib.auth", "fallback"]


def test_a_value_bound_in_the_settings_is_not_read_as_a_module(make_project):
    project = make_project(
        {
            "mysite/configuration.py": 'PLUGINS = ["never"]\n',
            "mysite/settings.py": """\
                from mysite import configuration
                configuration = load_configuration()
                PLUGINS = getattr(configuration, "PLUGINS", [])
                INSTALLED_APPS = ["django.contrib.auth"] + PLUGINS
            """,
        }
    )
    # the settings rebound the name: what it holds is known only at run time
    assert "never" not in project.installed_apps
    assert project.installed_apps == ["django.contrib.auth"]


def test_an_import_cycle_is_not_followed(make_project):
    project = make_project(
        {
            "mysite/configuration.py": "from mysite import settings\nPLUGINS = settings.X\n",
            "mysite/settings.py": """\
                from mysite import configuration
                X = ["loop"]
                INSTALLED_APPS = ["django.contrib.auth"] + configuration.PLUGINS
            """,
        }
    )
    assert project.installed_apps == ["django.contrib.auth"]


def test_a_list_changed_at_run_time_still_yields_the_apps_written_out(make_project):
    """The plugin loader shape: a literal list, extended in a loop over plugins loaded at run
    time, then de-duplicated. Its value is unknown; the apps written out are the project's."""
    project = make_project(
        {
            "mysite/settings.py": """\
                import importlib
                configuration = importlib.import_module(CONFIG_MODULE)
                PLUGINS = getattr(configuration, "PLUGINS", [])
                INSTALLED_APPS = [
                    "django.contrib.auth",
                    "billing",
                ]
                if DEBUG:
                    INSTALLED_APPS.append("devtools")
                INSTALLED_APPS += ["reports"]
                for plugin in PLUGINS:
                    INSTALLED_APPS.extend(load(plugin))
                    INSTALLED_APPS.remove("billing")
                INSTALLED_APPS = list(dict.fromkeys(INSTALLED_APPS))
            """,
            "billing/__init__.py": "",
            "billing/models.py": "",
            "reports/__init__.py": "",
            "devtools/__init__.py": "",
        }
    )
    assert project.installed_apps == ["django.contrib.auth", "billing", "devtools", "reports"]
    assert [a.name for a in project.apps] == ["billing", "devtools", "reports"]
    assert (
        "INSTALLED_APPS is built in a way djfix cannot read statically: djfix checks the 4 "
        "entries written out in the settings, and no app added at run time"
    ) in project.notes


def test_rediscovery_reads_and_parses_only_what_the_plan_changed(tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(PLUGIN_APPS, root)
    project = discover(root)
    store = project.cache.store
    reads, parses = store.reads, store.parses
    migrations = [m for a in project.apps for m in a.migrations]
    assert len(migrations) == 3
    # a migration's tree is dropped once its facts are read
    assert not any(project.cache.python(root / m.rel).has_tree for m in migrations)
    settings = (root / "shop/settings.py").read_text().replace("DEBUG = True", "DEBUG = False")
    listed = []
    glob = Path.glob
    monkeypatch.setattr(Path, "glob", lambda self, p: listed.append(self.name) or glob(self, p))
    planned = discover(root, overlay={"shop/settings.py": settings}, reuse=project.cache)
    assert "migrations" not in listed  # the migrations folders are listed once per run
    assert planned.settings.get("DEBUG") is False
    assert store.reads == reads  # nothing read from disk again
    assert store.parses == parses + 1  # only the changed settings module
    assert [m.name for a in planned.apps for m in a.migrations] == [m.name for m in migrations]


def test_rediscovery_evaluates_the_settings_again_only_when_what_they_read_changed(tmp_path):
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(PLUGIN_APPS, root)
    project = discover(root)
    # a plan that leaves the settings and the modules they read alone: the same evaluation
    untouched = discover(root, overlay={"catalog/forms.py": "X = 1\n"}, reuse=project.cache)
    assert untouched.settings is project.settings
    # a module the settings read a name from: evaluated again, and what it now says is seen
    config = {"shop/configuration.py": 'PLUGINS = ["loyalty", "catalog"]\n'}
    changed = discover(root, overlay=config, reuse=project.cache)
    assert changed.settings is not project.settings
    assert changed.settings.get("PLUGINS") == ["loyalty", "catalog"]
    # the same planned text again (a later stage): the evaluation made for it
    again = discover(root, overlay=config, reuse=untouched.cache)
    assert again.settings is changed.settings
    # and back to the files on disk
    assert discover(root, reuse=changed.cache).settings is project.settings


def test_a_planned_module_the_settings_import_is_evaluated(make_project, tmp_path):
    from fixer.sources import planned_files

    project = make_project(
        {
            "mysite/settings.py": """\
                from mysite.extra import *
                INSTALLED_APPS = ["django.contrib.auth"]
            """
        }
    )
    assert project.settings.get("FEATURE") is None
    extra = tmp_path / "mysite" / "extra.py"
    with planned_files({extra}):
        planned = discover(
            tmp_path, overlay={"mysite/extra.py": "FEATURE = True\n"}, reuse=project.cache
        )
    assert planned.settings.get("FEATURE") is True


def test_rediscovery_reads_a_migration_the_plan_changes_or_adds(tmp_path):
    import shutil

    from fixer.sources import planned_files

    root = tmp_path / "repo"
    shutil.copytree(PLUGIN_APPS, root)
    (root / "orders/migrations/0002_broken.py").write_text("class Migration(:\n")
    project = discover(root)
    broken = "orders/migrations/0002_broken.py"
    assert broken in {f.rel for f in project.cache.problems()}
    first = root / "catalog/migrations/0001_initial.py"
    text = first.read_text().replace("initial = True", "initial = False")
    added = root / "catalog/migrations/0002_more.py"
    more = (
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        '    dependencies = [("catalog", "0001_initial")]\n    operations = []\n'
    )
    overlay = {"catalog/migrations/0001_initial.py": text, "catalog/migrations/0002_more.py": more}
    with planned_files({added}):
        planned = discover(root, overlay=overlay, reuse=project.cache)
    catalog = next(a for a in planned.apps if a.name == "catalog")
    assert [m.name for m in catalog.migrations] == ["0001_initial", "0002_more"]
    assert catalog.migrations[0].initial is False
    assert catalog.migrations[1].dependencies == [("catalog", "0001_initial")]
    # the folders the plan left alone come from the first discovery, their problems included
    orders = next(a for a in planned.apps if a.name == "orders")
    assert orders.migrations == next(a for a in project.apps if a.name == "orders").migrations
    assert broken in {f.rel for f in planned.cache.problems()}
