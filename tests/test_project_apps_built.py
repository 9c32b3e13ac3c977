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
