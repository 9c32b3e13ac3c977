from __future__ import annotations

import pytest

from fixer.discovery import discover
from fixer.discovery.dependencies import lowest_version
from fixer.discovery.services import mask_url
from fixer.errors import UsageError
from tests.conftest import PROJECTS, write_tree

SETTINGS = """\
    SECRET_KEY = "x"
    INSTALLED_APPS = ["django.contrib.auth", "shop"]
    ROOT_URLCONF = "mysite.urls"
    WSGI_APPLICATION = "mysite.wsgi.application"
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db",
                             "PORT": 5432, "PASSWORD": "hunter2"}}
"""


def test_single_settings_project(make_project):
    project = make_project(
        {
            "mysite/settings.py": SETTINGS,
            "shop/__init__.py": "",
            "shop/apps.py": """\
                from django.apps import AppConfig

                class ShopConfig(AppConfig):
                    name = "shop"
                    label = "store"
            """,
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": """\
                from django.db import migrations

                class Migration(migrations.Migration):
                    initial = True
                    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
                    operations = []
            """,
            "requirements.txt": "Django==4.2.11  # pinned\npsycopg2-binary>=2.9\n-e .\n",
        }
    )
    assert project.manage_py == "manage.py"
    assert project.settings_module == "mysite.settings"
    assert project.settings_origin == "manage.py"
    assert project.production_module == "mysite.settings"
    assert project.root_urlconf == "mysite.urls"
    assert project.wsgi_application == "mysite.wsgi.application"
    [app] = project.apps
    assert (app.name, app.label, app.config_class) == ("shop", "store", "shop.apps.ShopConfig")
    [migration] = app.migrations
    assert migration.dependencies == [("auth", "0012_alter_user_first_name_max_length")]
    assert migration.initial is True
    assert project.django_version == (4, 2)
    assert project.dependency_source.kind == "requirements"
    assert project.packages["psycopg2-binary"].spec == ">=2.9"
    [db] = project.services
    assert (db.kind, db.role, db.location, db.env_var) == (
        "postgresql",
        "database",
        "db:5432",
        None,
    )


def test_manage_in_subfolder_and_production_sibling(tmp_path):
    write_tree(
        tmp_path,
        {
            "app/manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
            '"conf.settings.dev")\n',
            "app/conf/__init__.py": "",
            "app/conf/settings/__init__.py": "",
            "app/conf/settings/base.py": "INSTALLED_APPS = []\nDEBUG = False\n",
            "app/conf/settings/dev.py": "from .base import *\nDEBUG = True\n",
            "app/conf/settings/production.py": "from .base import *\nALLOWED_HOSTS = ['x']\n",
        },
    )
    project = discover(tmp_path)
    assert project.manage_py == "app/manage.py"
    assert project.source_root == tmp_path.resolve() / "app"
    assert project.settings_module == "conf.settings.dev"
    assert project.production_module == "conf.settings.production"
    assert project.base_module == "conf.settings.base"
    assert project.settings.get("DEBUG") is False
    assert set(project.settings_modules) == {
        "conf.settings.production",
        "conf.settings.base",
        "conf.settings.dev",
    }
    assert any("production settings: conf.settings.production" in n for n in project.notes)


def test_wsgi_default_names_production(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "s.local")\n',
            "s/__init__.py": "",
            "s/local.py": "INSTALLED_APPS = []\nDEBUG = True\n",
            "s/live_site.py": "INSTALLED_APPS = []\nDEBUG = False\n",
            "s/wsgi.py": (
                'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "s.live_site")\n'
            ),
        },
    )
    project = discover(tmp_path)
    assert project.production_module == "s.live_site"


DEFAULT = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "{}")\n'


def test_a_second_projects_wsgi_is_not_production(tmp_path):
    # the app's own wsgi.py serves manage.py's settings; worker/wsgi.py belongs to a worker
    # project with its own settings
    write_tree(
        tmp_path,
        {
            "manage.py": DEFAULT.format("site.settings"),
            "site/__init__.py": "",
            "site/settings.py": "INSTALLED_APPS = []\nDEBUG = False\n",
            "site/wsgi.py": DEFAULT.format("site.settings"),
            "worker/__init__.py": "",
            "worker/settings.py": "from site.settings import *\nINSTALLED_APPS = []\n",
            "worker/asgi.py": DEFAULT.format("worker.settings"),
        },
    )
    project = discover(tmp_path)
    assert project.production_module == "site.settings"


def test_settings_guessed_when_manage_has_no_default(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": "import sys\n",
            "proj/__init__.py": "",
            "proj/settings.py": "INSTALLED_APPS = []\n",
        },
    )
    project = discover(tmp_path)
    assert project.settings_module == "proj.settings"
    assert project.settings_origin == "guessed"
    assert any("guessed" in n for n in project.notes)


def test_settings_option_wins(make_project):
    project = make_project(
        {"mysite/settings.py": SETTINGS, "mysite/other.py": "INSTALLED_APPS = []\n"},
        settings="mysite.other",
    )
    assert project.production_module == "mysite.other"
    assert project.settings_origin == "given"


def test_two_manage_py_at_same_depth_is_an_error(tmp_path):
    write_tree(tmp_path, {"a/manage.py": "", "b/manage.py": ""})
    with pytest.raises(UsageError) as err:
        discover(tmp_path)
    assert "a/manage.py" in str(err.value) and "b/manage.py" in str(err.value)
    assert "--manage" in str(err.value)


def test_sample_manage_py_is_not_the_project(make_project):
    project = make_project(
        {"mysite/settings.py": SETTINGS, "docs/example/manage.py": "", "tests/proj/manage.py": ""}
    )
    assert project.manage_py == "manage.py"


def test_not_a_django_project(tmp_path):
    write_tree(tmp_path, {"README.md": "hello\n", "lib/code.py": "X = 1\n"})
    with pytest.raises(UsageError, match="is not a Django project"):
        discover(tmp_path)


def test_empty_directory(tmp_path):
    with pytest.raises(UsageError, match="is empty"):
        discover(tmp_path)


def test_missing_path(tmp_path):
    with pytest.raises(UsageError, match="no such file or directory"):
        discover(tmp_path / "nope")


def test_settings_module_that_does_not_exist(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": (
                'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "gone.settings")\n'
            )
        },
    )
    with pytest.raises(UsageError, match=r"gone\.settings"):
        discover(tmp_path)


def test_virtualenvs_and_node_modules_are_not_walked(make_project):
    project = make_project(
        {
            "mysite/settings.py": SETTINGS,
            ".venv/pyvenv.cfg": "home = /usr\n",
            ".venv/lib/manage.py": "",
            "node_modules/x/manage.py": "",
            "myenv/pyvenv.cfg": "",
            "myenv/manage.py": "",
        }
    )
    assert project.manage_py == "manage.py"


def test_symlink_loop_in_tree_is_survived(make_project, tmp_path):
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "self").symlink_to(tmp_path / "loop")
    project = make_project({"mysite/settings.py": SETTINGS})
    assert project.manage_py == "manage.py"


@pytest.mark.parametrize(
    ("files", "kind"),
    [
        (
            {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.10"\ndjango = "^4.2"\n'},
            "poetry",
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "x"\ndependencies = ["django>=5.0"]\n',
                "uv.lock": "version = 1\n",
            },
            "uv",
        ),
        ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["Django~=3.2"]\n'}, "pep621"),
        (
            {"Pipfile": '[packages]\ndjango = "~=4.1"\n[requires]\npython_version = "3.9"\n'},
            "pipfile",
        ),
        (
            {"requirements.in": "django<5\ndjango>=3.0\n", "requirements.txt": "django==4.0.1\n"},
            "pip-tools",
        ),
        (
            {"setup.py": "from setuptools import setup\nsetup(install_requires=['Django>=2.2'])\n"},
            "setup.py",
        ),
        ({"setup.cfg": "[options]\ninstall_requires =\n    django>=1.11\n"}, "setup.cfg"),
    ],
)
def test_dependency_sources(make_project, files, kind):
    project = make_project({"mysite/settings.py": SETTINGS, **files})
    assert project.dependency_source.kind == kind
    assert "django" in project.packages


def test_python_version_sources(make_project):
    project = make_project({"mysite/settings.py": SETTINGS, "runtime.txt": "python-3.9.18\n"})
    assert (project.python_version, project.python_version_source) == ("3.9", "runtime.txt")


def test_django_version_from_lock_file(make_project):
    project = make_project(
        {
            "mysite/settings.py": SETTINGS,
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["django>=4"]\n',
            "uv.lock": 'version = 1\n\n[[package]]\nname = "django"\nversion = "5.1.4"\n',
        }
    )
    assert project.django_version == (5, 1)
    assert project.django_version_source == "uv.lock"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("==1.11.29", (1, 11)),
        ("~=4.2", (4, 2)),
        (">=3.2,<4", (3, 2)),
        ("^5.0", (5, 0)),
        ("<5", None),
        ("*", None),
        ("4.2.*", (4, 2)),
    ],
)
def test_lowest_version(spec, expected):
    assert lowest_version(spec) == expected


def test_services_from_env_and_literals(make_project):
    project = make_project(
        {
            "mysite/settings.py": """\
                import environ
                env = environ.Env()
                INSTALLED_APPS = []
                DATABASES = {"default": env.db("DATABASE_URL", default="postgres://u:pw@db/app")}
                CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache",
                                      "LOCATION": env("REDIS_URL")}}
                CELERY_BROKER_URL = "amqp://guest:guest@rabbit:5672//"
                ELASTICSEARCH_DSL = {"default": {"hosts": "http://es:9200"}}
                CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                              "CONFIG": {"hosts": [("redis", 6379)]}}}
                MONGO_URL = "mongodb://m:27017/x"
            """
        }
    )
    got = [(s.kind, s.role, s.setting, s.env_var, s.location) for s in project.services]
    assert got == [
        ("postgresql", "database", "DATABASES['default']", "DATABASE_URL", "postgres://***@db/app"),
        ("redis", "cache", "CACHES['default']", "REDIS_URL", None),
        ("rabbitmq", "broker", "CELERY_BROKER_URL", None, "amqp://***@rabbit:5672//"),
        ("redis", "channel-layer", "CHANNEL_LAYERS['default']", None, "redis:6379"),
        ("elasticsearch", "search", "ELASTICSEARCH_DSL['default']", None, "http://es:9200"),
        ("mongodb", "other", "MONGO_URL", None, "mongodb://m:27017/x"),
    ]


def test_the_variable_a_database_setting_is_built_from_is_the_same_service(make_project):
    # the URL is read into a helper variable, adjusted, then put in DATABASES: one database,
    # not a second service (verify would take it down as an "other" service in step 3)
    project = make_project(
        {
            "mysite/settings.py": """\
                import dj_database_url
                from decouple import config
                INSTALLED_APPS = []
                DEFAULT_DATABASE = config(
                    "DATABASE_URL",
                    default="postgres://shop@localhost:5432/shop",
                    cast=dj_database_url.parse,
                )
                if "mysql" in DEFAULT_DATABASE["ENGINE"]:
                    DEFAULT_DATABASE.update({"CONN_MAX_AGE": 60})
                DATABASES = {"default": DEFAULT_DATABASE}
            """
        }
    )
    got = [(s.kind, s.role, s.setting, s.env_var) for s in project.services]
    assert got == [("postgresql", "database", "DATABASES['default']", "DATABASE_URL")]


def test_a_database_read_without_a_name_is_read_from_database_url(make_project):
    # `env.db()` reads DATABASE_URL: the probes and verify's step 6 name that variable, not
    # "set in the settings"
    project = make_project(
        {
            "mysite/settings.py": """\
                import environ
                env = environ.Env()
                INSTALLED_APPS = []
                DATABASES = {"default": env.db()}
            """
        }
    )
    got = [(s.role, s.setting, s.env_var) for s in project.services]
    assert got == [("database", "DATABASES['default']", "DATABASE_URL")]


def test_database_engine_from_the_environment_is_a_networked_database(make_project):
    # ENGINE, HOST, ... read piece by piece, SQLite by default: production names a server
    project = make_project(
        {
            "mysite/settings.py": """\
                import os
                INSTALLED_APPS = []
                DATABASES = {"default": {
                    "ENGINE": os.environ.get("SQL_ENGINE", "django.db.backends.sqlite3"),
                    "NAME": os.environ.get("SQL_DATABASE", "db.sqlite3"),
                    "HOST": os.environ.get("SQL_HOST", "localhost"),
                    "PORT": os.environ.get("SQL_PORT", "5432"),
                }}
            """
        }
    )
    got = [(s.kind, s.role, s.setting, s.env_var) for s in project.services]
    assert got == [("unknown", "database", "DATABASES['default']", "SQL_HOST")]


def test_mask_url_never_shows_credentials():
    assert mask_url("redis://:secret@host:6379/0") == "redis://***@host:6379/0"
    assert mask_url("postgres://user:pw@db:5432/x") == "postgres://***@db:5432/x"
    assert mask_url("http://es:9200") == "http://es:9200"
    # a database user alone is a name to run the command with; elsewhere it may be a token
    assert mask_url("postgres://app@127.0.0.1/x") == "postgres://app@127.0.0.1/x"
    assert mask_url("https://ghp_token@github.com/o/r") == "https://***@github.com/o/r"


def test_python2_manage_py_is_a_note_not_a_crash(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": 'print "hi"\n',
            "proj/__init__.py": "",
            "proj/settings.py": "INSTALLED_APPS = []\n",
        },
    )
    project = discover(tmp_path)
    assert project.settings_module == "proj.settings"
    assert any("Python 2" in n for n in project.notes)


def test_to_json_is_serialisable(make_project):
    import json

    project = make_project({"mysite/settings.py": SETTINGS})
    data = json.loads(json.dumps(project.to_json()))
    assert data["settings"]["module"] == "mysite.settings"
    assert "hunter2" not in json.dumps(data)


@pytest.mark.parametrize(
    ("name", "manage", "production"),
    [
        ("legacy_single", "manage.py", "legacy.settings"),
        ("split_settings", "manage.py", "config.settings.prod"),
        ("deploy_ready", "manage.py", "shipit.settings"),
    ],
)
def test_shipped_test_projects(name, manage, production):
    project = discover(PROJECTS / name)
    assert project.manage_py == manage
    assert project.production_module == production
    assert project.apps, "every test project has local apps"


def test_a_manage_py_linked_from_the_root_runs_from_its_own_folder(tmp_path):
    # `python manage.py` at the root runs src/manage.py with src/ first on sys.path
    write_tree(
        tmp_path,
        {
            "src/manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
            '"settings")\n',
            "src/settings/__init__.py": "INSTALLED_APPS = []\nDEBUG = False\n",
        },
    )
    (tmp_path / "manage.py").symlink_to("src/manage.py")
    project = discover(tmp_path)
    assert project.manage_py == "src/manage.py"
    assert project.source_root == tmp_path.resolve() / "src"
    assert project.settings_module == "settings"


def test_a_root_manage_py_naming_settings_only_a_deeper_one_holds(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": 'import os, sys\nsys.path.insert(0, "app")\n'
            'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.settings")\n',
            "app/manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", '
            '"conf.settings")\n',
            "app/conf/__init__.py": "",
            "app/conf/settings.py": "INSTALLED_APPS = []\nDEBUG = False\n",
        },
    )
    project = discover(tmp_path)
    assert project.manage_py == "app/manage.py"
    assert project.settings_module == "conf.settings"
    assert any("the project is app/manage.py" in n for n in project.notes)


def test_a_root_manage_py_naming_missing_settings_is_still_an_error(tmp_path):
    write_tree(
        tmp_path,
        {"manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "nowhere")\n'},
    )
    with pytest.raises(UsageError, match="is not a file below"):
        discover(tmp_path)


def test_production_is_what_the_app_server_is_started_with(tmp_path):
    # pinry's shape: manage.py defaults to development, the image's start script runs gunicorn
    # with the docker settings; a development compose file's gunicorn names development
    write_tree(
        tmp_path,
        {
            "manage.py": DEFAULT.format("site.settings.development"),
            "site/__init__.py": "",
            "site/settings/__init__.py": "",
            "site/settings/base.py": "INSTALLED_APPS = []\n",
            "site/settings/development.py": "from .base import *\nDEBUG = True\n",
            "site/settings/docker.py": "from .base import *\nDEBUG = False\n",
            "docker/scripts/start_gunicorn.sh": (
                "#!/bin/bash\ngunicorn site.wsgi -b 0.0.0.0:8000 \\\n"
                "    --env DJANGO_SETTINGS_MODULE=site.settings.docker\n"
            ),
            "docker-compose.yml": (
                "services:\n  web:\n    build: .\n    command: gunicorn site.wsgi\n"
                "    environment:\n      - DJANGO_SETTINGS_MODULE=site.settings.development\n"
            ),
        },
    )
    project = discover(tmp_path)
    assert project.production_module == "site.settings.docker"
    assert any(
        "the settings docker/scripts/start_gunicorn.sh starts the app server with" in n
        for n in project.notes
    )


def test_two_served_settings_are_no_evidence(tmp_path):
    write_tree(
        tmp_path,
        {
            "manage.py": DEFAULT.format("site.settings.development"),
            "site/__init__.py": "",
            "site/settings/__init__.py": "",
            "site/settings/development.py": "INSTALLED_APPS = []\n",
            "site/settings/docker.py": "INSTALLED_APPS = []\n",
            "site/settings/heroku.py": "INSTALLED_APPS = []\n",
            "Procfile": "web: DJANGO_SETTINGS_MODULE=site.settings.heroku gunicorn site.wsgi\n",
            "start.sh": "export DJANGO_SETTINGS_MODULE=site.settings.docker\nexec gunicorn x\n",
        },
    )
    assert discover(tmp_path).production_module == "site.settings.development"
