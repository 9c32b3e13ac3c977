"""The generated `common` app: golden files, the label, and the rendered code run for real (the
health endpoint with Django's test client, the startup probes against real services on the
loopback interface)."""

from __future__ import annotations

import ast
import contextlib
import errno
import http.server
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from codemods import installed_apps
from fixer.checks import (
    item07_health,
    item10_startup_queries,
    item13_startup_probes,
)
from fixer.config import Config
from fixer.discovery import discover
from fixer.errors import UsageError
from fixer.fixes import common_app
from fixer.project import ProjectModel
from tests.conftest import MINIMAL_MANAGE, PROJECTS, findings_of, write_tree

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "common_app"
REGENERATE = os.environ.get("DJFIX_REGENERATE_GOLDEN") == "1"
GOLDEN_PROJECTS = {
    **{p.name: p for p in sorted(PROJECTS.iterdir()) if (p / ".gitignore").exists()},
    "legacy_project": ROOT / "examples" / "legacy_project",
}
SUBPROCESS_TIMEOUT = 60

#: a project whose settings name one service of every probe kind, each read from the environment
ALL_SERVICES_SETTINGS = """\
import environ

env = environ.Env()

SECRET_KEY = "not-a-secret"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "common"]
ROOT_URLCONF = "mysite.urls"
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://app:db-pw@db:5432/app")}
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("REDIS_URL", default="redis://:cache-pw@redis:6379/0"),
    }
}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="amqp://guest:broker-pw@rabbit:5672//")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="redis://redis:6379/1")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [env("CHANNELS_REDIS_URL", default="redis://redis:6379/2")]},
    }
}
ELASTICSEARCH_DSL = {"default": {"hosts": env("ELASTICSEARCH_URL", default="http://es:9200")}}
MONGO_URL = env("MONGO_URL", default="mongodb://mongo:27017/app")
"""
ROOT_URLS_PATH = """\
from django.urls import include, path

from common import views

urlpatterns = [
    path("health", views.health),
    path("common/", include("common.urls")),
]
"""
ROOT_URLS_URL = """\
from django.conf.urls import include, url

from common import views

urlpatterns = [
    url(r"^health/?$", views.health),
    url(r"^common/", include("common.urls")),
]
"""


def discovered(name: str) -> ProjectModel:
    return discover(GOLDEN_PROJECTS[name])


def rendered(project: ProjectModel) -> dict[str, str]:
    return common_app.app_files(project, common_app.choose_label(project))


def write_app(project: ProjectModel, label: str = "common") -> dict[str, str]:
    files = common_app.app_files(project, label)
    write_tree(project.root, {rel: text for rel, text in files.items()})
    return files


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def all_services(make_project) -> ProjectModel:
    return make_project(
        {
            "requirements.txt": "Django==5.2\ndjango-environ==0.12\n",
            "mysite/settings.py": ALL_SERVICES_SETTINGS,
            "mysite/urls.py": ROOT_URLS_PATH,
        }
    )


# -- golden files ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOLDEN_PROJECTS))
def test_golden_files(name):
    files = rendered(discovered(name))
    folder = GOLDEN / name
    if REGENERATE:
        shutil.rmtree(folder, ignore_errors=True)
        write_tree(folder, files)
    on_disk = {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    assert sorted(on_disk) == sorted(files), "regenerate with DJFIX_REGENERATE_GOLDEN=1"
    for rel, text in files.items():
        assert text == on_disk[rel], (
            f"{name}/{rel} differs; regenerate with DJFIX_REGENERATE_GOLDEN=1"
        )


def test_golden_labels_and_places():
    # deploy_ready has its own `common` app: the generated one takes the next free name
    assert sorted(rendered(discovered("deploy_ready"))) == [
        f"djfix_common/{m}.py" for m in sorted(common_app.MODULES)
    ]
    # the Django project lives in app/: so does the generated app
    assert sorted(rendered(discovered("manage_subfolder"))) == [
        f"app/common/{m}.py" for m in sorted(common_app.MODULES)
    ]


# -- what gets rendered ------------------------------------------------------------------------


def every_variant(all_services: ProjectModel) -> Iterator[tuple[str, str, str]]:
    for name in sorted(GOLDEN_PROJECTS):
        for rel, text in rendered(discovered(name)).items():
            yield name, rel, text
    for rel, text in common_app.app_files(all_services, "common").items():
        yield "all_services", rel, text


def test_every_file_parses(all_services):
    count = 0
    for name, rel, text in every_variant(all_services):
        compile(ast.parse(text, filename=rel), f"{name}/{rel}", "exec")
        # the projects' own Pythons may be old: no f-strings, no variable annotations
        ast.parse(text, filename=rel, feature_version=(3, 5))
        count += 1
    assert count == 6 * (len(GOLDEN_PROJECTS) + 1)


def test_every_file_is_lint_clean(all_services, tmp_path):
    """pyflakes and pycodestyle on every template branch: an undefined name in a branch that
    only some projects render would otherwise surface in their production start."""
    for name, rel, text in every_variant(all_services):
        target = tmp_path / name / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    lint = subprocess.run(
        [
            *(sys.executable, "-m", "ruff", "check", "--isolated", "--output-format", "concise"),
            *("--select", "E,F,W,B", "--target-version", "py37", "--line-length", "88", "."),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_no_address_or_credential_is_rendered(all_services):
    files = common_app.app_files(all_services, "common")
    text = "\n".join(files.values())
    for secret in ("db-pw", "cache-pw", "broker-pw", "guest", "rabbit:5672", "redis:6379"):
        assert secret not in text
    celery = "\n".join(rendered(discovered("celery_services")).values())
    assert "guest" not in celery and "127.0.0.1" not in celery


def test_services_become_data(all_services):
    startup = common_app.app_files(all_services, "common")["common/startup.py"]
    assert 'DATABASE_ENV = {\n    "default": "DATABASE_URL",\n}' in startup
    assert (
        textwrap.indent(
            textwrap.dedent(
                """\
            {
                "name": "redis (CACHES['default'])",
                "probe": "redis",
                "setting": ("CACHES", "default", "LOCATION"),
                "env": "REDIS_URL",
                "required": False,
                "backend": "redis",
                "port": 6379,
            },
            """
            ),
            "    ",
        )
        in startup
    )
    by_name = {p.name: p for p in common_app.probes(all_services)}
    assert sorted(by_name) == [
        "elasticsearch (ELASTICSEARCH_DSL['default'])",
        "mongodb (MONGO_URL)",
        "rabbitmq (CELERY_BROKER_URL)",
        "redis (CACHES['default'])",
        "redis (CELERY_RESULT_BACKEND)",
        "redis (CHANNEL_LAYERS['default'])",
    ]
    channels = by_name["redis (CHANNEL_LAYERS['default'])"]
    assert channels.setting == ("CHANNEL_LAYERS", "default", "CONFIG", "hosts")
    assert (channels.env, channels.required, channels.backend) == (
        "CHANNELS_REDIS_URL",
        True,
        "redis",
    )
    assert by_name["rabbitmq (CELERY_BROKER_URL)"].probe == "amqp"
    assert by_name["mongodb (MONGO_URL)"].probe == "tcp"
    assert by_name["mongodb (MONGO_URL)"].port == 27017
    search = by_name["elasticsearch (ELASTICSEARCH_DSL['default'])"]
    assert (search.setting, search.backend) == (("ELASTICSEARCH_DSL", "default", "hosts"), None)


def test_database_only_project_renders_no_other_probe():
    startup = rendered(discovered("split_settings"))["common/startup.py"]
    assert "SERVICES = []" in startup
    for word in ("redis", "kombu", "amqp", "broker", "elasticsearch", "urlsplit", "PROBES"):
        assert word not in startup


def test_plain_setting_that_feeds_the_cache_is_probed_once(make_project):
    project = make_project(
        {
            "mysite/settings.py": """\
                import os
                REDIS_URL = os.environ.get("REDIS_URL", "redis://redis:6379/0")
                CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache",
                                      "LOCATION": os.environ.get("REDIS_URL", "redis://redis:6379/0")}}
                INSTALLED_APPS = []
            """,
        }
    )
    assert [(p.name, p.required) for p in common_app.probes(project)] == [
        ("redis (CACHES['default'])", False)
    ]


def test_old_and_unknown_django_route_with_url_and_keep_default_app_config(make_project):
    legacy = rendered(discovered("legacy_single"))  # Django 1.11
    assert 'url(r"^health/?$", views.health, name="health")' in legacy["common/urls.py"]
    assert 'default_app_config = "common.apps.CommonConfig"' in legacy["common/__init__.py"]
    # no version anywhere (celery_services' requirements.in has none, but the requirements.txt
    # it is compiled to, which the image installs, pins Django 5.2.1)
    unknown = rendered(
        make_project(
            {"requirements.txt": "django\n", "mysite/settings.py": "INSTALLED_APPS = []\n"}
        )
    )
    assert "from django.conf.urls import url" in unknown["common/urls.py"]
    assert "default_app_config" in unknown["common/__init__.py"]
    modern = rendered(discovered("asgi_channels"))  # Django 4.2
    assert 'path("health", views.health, name="health")' in modern["common/urls.py"]
    assert "default_app_config" not in modern["common/__init__.py"]
    bridge = rendered(discovered("legacy_project"))  # Django 3.2: path(), no default_app_config
    assert "from django.urls import path" in bridge["common/urls.py"]
    assert "default_app_config" not in bridge["common/__init__.py"]


def test_entry_points():
    assert common_app.app_config_path("common") == "common.apps.CommonConfig"
    assert common_app.middleware_path("djfix_common") == (
        "djfix_common.middleware.HealthCheckMiddleware"
    )
    assert common_app.urls_module("common") == "common.urls"
    assert common_app.health_view("common") == "common.views.health"


def test_literal_reads_back():
    for value in ("plain", 'quo"te', "back\\slash", "new\nline", "ünï", None, True, 6379, ("a",)):
        assert ast.literal_eval(common_app.literal(value)) == value
    assert common_app.literal(("CACHES", "default")) == '("CACHES", "default")'


# -- the label -----------------------------------------------------------------------------------


def test_label_free(make_project):
    project = make_project(
        {"mysite/settings.py": 'INSTALLED_APPS = ["shop"]\n', "shop/__init__.py": ""}
    )
    assert common_app.choose_label(project) == "common"


def test_label_taken_by_a_local_app(make_project):
    project = make_project(
        {"mysite/settings.py": 'INSTALLED_APPS = ["common"]\n', "common/__init__.py": ""}
    )
    assert common_app.choose_label(project) == "djfix_common"


def test_label_taken_by_a_module_file(make_project):
    project = make_project({"mysite/settings.py": "INSTALLED_APPS = []\n", "common.py": "X = 1\n"})
    assert common_app.choose_label(project) == "djfix_common"


def test_label_taken_by_an_installed_package_app(make_project):
    project = make_project({"mysite/settings.py": 'INSTALLED_APPS = ["vendor.common"]\n'})
    assert common_app.choose_label(project) == "djfix_common"


def test_label_taken_twice(make_project):
    project = make_project(
        {
            "mysite/settings.py": "INSTALLED_APPS = []\n",
            "common/__init__.py": "",
            "djfix_common/__init__.py": "",
        }
    )
    assert common_app.choose_label(project) == "djfix_common2"


def test_label_wanted_and_standard_library(make_project):
    project = make_project({"mysite/settings.py": "INSTALLED_APPS = []\n"})
    assert common_app.choose_label(project, "platform_core") == "platform_core"
    assert common_app.choose_label(project, "email") == "djfix_email"


def test_label_taken_by_an_explicit_label(make_project):
    project = make_project(
        {
            "mysite/settings.py": 'INSTALLED_APPS = ["portal.shared"]\n',
            "portal/__init__.py": "",
            "portal/shared/__init__.py": "",
            "portal/shared/apps.py": (
                "from django.apps import AppConfig\n\n\n"
                "class SharedConfig(AppConfig):\n"
                '    name = "portal.shared"\n'
                '    label = "common"\n'
            ),
        }
    )
    assert common_app.choose_label(project) == "djfix_common"


def test_label_taken_by_an_app_installed_at_run_time(make_project):
    # INSTALLED_APPS lists what a function finds on disk: every AppConfig of the repository counts
    project = make_project(
        {
            "mysite/settings.py": (
                "from .apps_on_disk import found\n\n"
                'INSTALLED_APPS = ["django.contrib.auth"] + found()\n'
            ),
            "mysite/apps_on_disk.py": "def found():\n    return []\n",
            "modules/__init__.py": "",
            "modules/common/__init__.py": "",
            "modules/common/apps.py": (
                "from django.apps import AppConfig\n\n\n"
                "class CommonConfig(AppConfig):\n"
                '    name = "modules.common"\n'
            ),
        }
    )
    assert "common" in common_app.taken_labels(project)
    assert common_app.choose_label(project) == "djfix_common"


def test_label_taken_by_a_name_the_settings_spell_when_the_list_is_computed(make_project):
    project = make_project(
        {
            "mysite/settings.py": (
                'EXTRA = ["vendor.common"]\n'
                'INSTALLED_APPS, MIDDLEWARE = configure(["django.contrib.auth"] + EXTRA, [])\n'
            ),
        }
    )
    assert common_app.choose_label(project) == "djfix_common"


TWO_CONFIGS = {
    "legacy/__init__.py": "",
    "legacy/core/__init__.py": 'default_app_config = "legacy.core.apps.SharedConfig"\n',
    "legacy/core/apps.py": (
        "from django.apps import AppConfig\n\n\n"
        "class SharedConfig(AppConfig):\n"
        '    name = "legacy.core"\n'
        '    label = "common"\n\n\n'
        "class AdminConfig(AppConfig):\n"
        '    name = "legacy.core"\n'
        '    label = "core_admin"\n'
    ),
}


@pytest.mark.parametrize(
    ("django", "labels"),
    [
        # before 4.1 Django follows default_app_config; from 3.2 on apps.py may also decide
        ("Django==3.1", {"core", "common"}),
        ("Django==4.0", {"core", "common"}),
        # 4.1 ignores default_app_config, and two configs without `default` choose none
        ("Django==4.2", {"core"}),
        (None, {"core", "common"}),
    ],
)
def test_entry_labels_follow_the_django_version(make_project, django, labels):
    files = {"mysite/settings.py": 'INSTALLED_APPS = ["legacy.core"]\n', **TWO_CONFIGS}
    if django:
        files["requirements.txt"] = django + "\n"
    project = make_project(files)
    assert common_app.entry_labels(project, "legacy.core") == labels


@pytest.mark.parametrize(
    ("entry", "labels"),
    [
        ("legacy.core.apps.AdminConfig", {"core_admin"}),
        ("legacy.core.apps.SharedConfig", {"common"}),
        ("django.contrib.auth", {"auth"}),
        ("vendor.shop.apps.ShopConfig", {"ShopConfig"}),
    ],
)
def test_entry_labels_of_configs_and_packages(make_project, entry, labels):
    project = make_project({"mysite/settings.py": "INSTALLED_APPS = []\n", **TWO_CONFIGS})
    assert common_app.entry_labels(project, entry) == labels


def test_default_config_marked_in_apps_py(make_project):
    files = {
        "requirements.txt": "Django==4.2\n",
        "mysite/settings.py": 'INSTALLED_APPS = ["legacy.core"]\n',
        **TWO_CONFIGS,
    }
    files["legacy/core/apps.py"] = files["legacy/core/apps.py"].replace(
        '    label = "core_admin"\n', '    label = "core_admin"\n    default = True\n'
    )
    project = make_project(files)
    assert common_app.entry_labels(project, "legacy.core") == {"core", "core_admin"}


@pytest.mark.parametrize("bad", ["", "2common", "my-app", "class", "café"])
def test_label_must_name_a_package(make_project, bad):
    project = make_project({"mysite/settings.py": "INSTALLED_APPS = []\n"})
    with pytest.raises(UsageError, match="not a valid Python package name"):
        common_app.choose_label(project, bad)


# -- apply: the app djfix generated, and a project's own app of the same shape ---------------------

OWN_HEALTH_SETTINGS = """\
import environ

env = environ.Env()

SECRET_KEY = env("SECRET_KEY")
INSTALLED_APPS = ["django.contrib.contenttypes", "common"]
MIDDLEWARE = ["common.middleware.HealthCheckMiddleware"]
ROOT_URLCONF = "mysite.urls"
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://db/app")}
"""
OWN_STARTUP = "# the project's own startup code, no probes\n"


def planned(project: ProjectModel) -> dict[str, str]:
    from fixer.apply import plan
    from fixer.checks import Selection
    from fixer.config import effective_options

    result = plan(project, Selection(select={"DJ130"}), effective_options(Config()))
    return {c.rel: c.new for c in result.changeset.changes()}


def test_own_app_with_a_health_middleware_is_not_taken_for_djfix(make_project):
    # the project's `common` app has a HealthCheckMiddleware of its own, but no probes: djfix adds
    # its app under the next free name and never rewrites the project's modules
    project = make_project(
        {
            "mysite/settings.py": OWN_HEALTH_SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "common/__init__.py": "",
            "common/middleware.py": "class HealthCheckMiddleware:\n    pass\n",
            "common/startup.py": OWN_STARTUP,
        }
    )
    changed = planned(project)
    assert "djfix_common/startup.py" in changed
    assert not any(rel.startswith("common/") for rel in changed)


def test_health_routed_through_an_include_is_not_shadowed(make_project):
    # /health and /common/health already resolve through core.urls: the generated app (for the
    # probes) adds no route in front of the project's own view
    project = make_project(
        {
            "mysite/settings.py": OWN_HEALTH_SETTINGS.replace('"common"]', '"core"]'),
            "mysite/urls.py": (
                "from django.urls import include, path\n\n"
                'urlpatterns = [path("", include("core.urls"))]\n'
            ),
            "core/__init__.py": "",
            "core/urls.py": (
                "from django.urls import path\n\nfrom .views import health\n\n"
                'urlpatterns = [path("health", health), path("common/health", health)]\n'
            ),
            "core/views.py": "def health(request):\n    pass\n",
        }
    )
    changed = planned(project)
    assert "common/startup.py" in changed
    assert "mysite/urls.py" not in changed


def test_app_djfix_generated_is_found_again(make_project, tmp_path):
    # a second apply finds the generated app by its package docstring and middleware: its
    # startup module is generated again (a service may have been added), no second app appears
    settings = OWN_HEALTH_SETTINGS.replace('"common"]', '"common.apps.CommonConfig"]')
    project = make_project({"mysite/settings.py": settings, "common/startup.py": OWN_STARTUP})
    generated = common_app.app_files(project, "common")
    write_tree(
        tmp_path, {rel: text for rel, text in generated.items() if rel != "common/startup.py"}
    )
    changed = planned(discover(tmp_path))
    assert not any(rel.startswith("djfix_common/") for rel in changed)
    assert changed["common/startup.py"] == generated["common/startup.py"]


def plan_of(project: ProjectModel):
    from fixer.apply import plan
    from fixer.checks import Selection
    from fixer.config import effective_options

    return plan(project, Selection(select={"DJ070", "DJ130"}), effective_options(Config()))


def test_app_is_not_written_where_installed_apps_cannot_be_wired(make_project):
    settings = OWN_HEALTH_SETTINGS.replace(
        'INSTALLED_APPS = ["django.contrib.contenttypes", "common"]\n',
        'if env.bool("DEMO", default=False):\n'
        '    INSTALLED_APPS = ["django.contrib.contenttypes", "demo"]\n'
        "else:\n"
        '    INSTALLED_APPS = ["django.contrib.contenttypes"]\n',
    ).replace('MIDDLEWARE = ["common.middleware.HealthCheckMiddleware"]', "MIDDLEWARE = []")
    project = make_project({"mysite/settings.py": settings, "mysite/urls.py": "urlpatterns = []\n"})
    result = plan_of(project)
    changed = {c.rel for c in result.changeset.changes()}
    assert not any(rel.startswith("common/") for rel in changed)
    assert "mysite/settings.py" not in changed and "mysite/urls.py" not in changed
    reasons = {(left.item, left.rel, left.reason) for left in result.context.left}
    because = (
        "INSTALLED_APPS (mysite/settings.py): INSTALLED_APPS is set inside a block (if/try/with): "
        "djfix does not rewrite conditional settings"
    )
    assert {(7, None, because), (13, None, because)} <= reasons


def test_app_is_not_written_where_middleware_cannot_be_wired(make_project):
    settings = OWN_HEALTH_SETTINGS.replace('"common"]', '"shop"]').replace(
        'MIDDLEWARE = ["common.middleware.HealthCheckMiddleware"]',
        "try:\n    MIDDLEWARE = load_middleware()\nexcept ImportError:\n    MIDDLEWARE = []",
    )
    project = make_project({"mysite/settings.py": settings, "mysite/urls.py": "urlpatterns = []\n"})
    result = plan_of(project)
    changed = {c.rel for c in result.changeset.changes()}
    assert not any(rel.startswith("common/") for rel in changed)
    assert {left.item for left in result.context.left if "MIDDLEWARE" in left.reason} == {7, 13}


def test_lists_the_production_module_only_extends_are_wired_where_they_are_defined(
    make_project,
):
    base = OWN_HEALTH_SETTINGS.replace('"common"]', '"shop"]').replace(
        'MIDDLEWARE = ["common.middleware.HealthCheckMiddleware"]',
        'MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]',
    )
    prod = (
        "from .base import *  # noqa: F403\n\n"
        'INSTALLED_APPS = INSTALLED_APPS + ["storages"]\n'
        'MIDDLEWARE += ["shop.middleware.Audit"]\n'
    )
    project = make_project(
        {
            "manage.py": MINIMAL_MANAGE.replace("mysite.settings", "mysite.prod"),
            "mysite/base.py": base,
            "mysite/prod.py": prod,
            "mysite/urls.py": "urlpatterns = []\n",
            "shop/__init__.py": "",
        }
    )
    assert project.production_module == "mysite.prod"
    result = plan_of(project)
    changes = {c.rel: c.new for c in result.changeset.changes()}
    assert "mysite/prod.py" not in changes
    assert (
        'INSTALLED_APPS = ["common.apps.CommonConfig", "django.contrib.contenttypes", "shop"]\n'
        'MIDDLEWARE = ["common.middleware.HealthCheckMiddleware", '
        '"django.middleware.security.SecurityMiddleware"]\n'
    ) in changes["mysite/base.py"]
    assert "common/startup.py" in changes
    assert not [left for left in result.context.left if "comes from another" in left.reason]


def test_middleware_is_listed_once_when_production_builds_it_from_the_inherited_list(
    make_project,
):
    """`MIDDLEWARE = [cache] + MIDDLEWARE + [...]` in production: the middleware goes first
    there, and not also into the inherited list, which would put it in production's twice."""
    base = OWN_HEALTH_SETTINGS.replace('"common"]', '"shop"]').replace(
        'MIDDLEWARE = ["common.middleware.HealthCheckMiddleware"]',
        'MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]',
    )
    prod = (
        "from .base import *  # noqa: F403\n\n"
        'MIDDLEWARE = ["django.middleware.cache.UpdateCacheMiddleware"] + MIDDLEWARE\n'
    )
    project = make_project(
        {
            "manage.py": MINIMAL_MANAGE.replace("mysite.settings", "mysite.prod"),
            "mysite/base.py": base,
            "mysite/prod.py": prod,
            "mysite/urls.py": "urlpatterns = []\n",
            "shop/__init__.py": "",
        }
    )
    result = plan_of(project)
    changes = {c.rel: c.new for c in result.changeset.changes()}
    assert (
        'MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]\n'
        in changes["mysite/base.py"]
    )
    assert changes["mysite/prod.py"] == (
        "from .base import *  # noqa: F403\n\n"
        'MIDDLEWARE = ["common.middleware.HealthCheckMiddleware", '
        '"django.middleware.cache.UpdateCacheMiddleware"] + MIDDLEWARE\n'
    )


def test_generated_app_is_found_where_installed_apps_does_not_list_it(make_project, tmp_path):
    # an earlier run generated common/ but INSTALLED_APPS, computed, names no app djfix can
    # see: the app is found by its marker and wired, and no second app appears
    settings = OWN_HEALTH_SETTINGS.replace(
        'INSTALLED_APPS = ["django.contrib.contenttypes", "common"]\n',
        'INSTALLED_APPS = ["django.contrib.contenttypes"]\n'
        "INSTALLED_APPS, MIDDLEWARE = extend(INSTALLED_APPS, [])\n",
    ).replace('MIDDLEWARE = ["common.middleware.HealthCheckMiddleware"]\n', "")
    project = make_project({"mysite/settings.py": settings, "mysite/urls.py": "urlpatterns = []\n"})
    write_tree(tmp_path, common_app.app_files(project, "common"))
    result = plan_of(discover(tmp_path))
    changes = {c.rel: c.new for c in result.changeset.changes()}
    assert not any(rel.startswith("djfix_common/") for rel in changes)
    assert changes["mysite/settings.py"].endswith(
        "INSTALLED_APPS, MIDDLEWARE = extend(INSTALLED_APPS, [])\n"
        "\n"
        "# Health checks and startup probes first, once the lists are computed above\n"
        'INSTALLED_APPS = ["common.apps.CommonConfig", *INSTALLED_APPS]\n'
        'MIDDLEWARE = ["common.middleware.HealthCheckMiddleware", *MIDDLEWARE]\n'
        'ROOT_URLCONF = "mysite.urls"\n'
        'DATABASES = {"default": env.db("DATABASE_URL", default="postgres://db/app")}\n'
    )


# -- djfix's own detectors accept the generated app -------------------------------------------


@pytest.mark.parametrize(
    ("django", "urls"), [("Django==5.2", ROOT_URLS_PATH), ("Django==1.11.29", ROOT_URLS_URL)]
)
def test_detectors_find_health_routes_and_probes(make_project, django, urls):
    files = {
        "requirements.txt": f"{django}\ndjango-environ==0.12\n",
        "mysite/settings.py": ALL_SERVICES_SETTINGS,
        "mysite/urls.py": urls,
    }
    project = make_project(files)
    write_app(project)
    project = discover(project.root)
    assert project.local_app("common") is not None
    assert findings_of(item07_health, project) == []
    assert findings_of(item13_startup_probes, project) == []
    assert [
        f for f in findings_of(item10_startup_queries, project) if "common/" in (f.path or "")
    ] == []


def test_detectors_find_probes_for_every_test_project(tmp_path):
    for name, source in GOLDEN_PROJECTS.items():
        repo = tmp_path / name
        shutil.copytree(source, repo)
        project = discover(repo)
        label = common_app.choose_label(project)
        write_app(project, label)
        where = project.settings.where("INSTALLED_APPS")
        assert where is not None
        settings = project.root / where.path
        result = installed_apps.transform(
            settings.read_text(encoding="utf-8"), app=common_app.app_config_path(label)
        )
        assert "INSTALLED_APPS" in result.present, (name, result.left)
        settings.write_text(result.code, encoding="utf-8")
        assert findings_of(item13_startup_probes, discover(repo)) == [], name


# -- the process decision in apps.py -------------------------------------------------------------


@pytest.fixture(scope="module")
def apps_module(tmp_path_factory) -> ModuleType:
    text = rendered(discovered("legacy_single"))["common/apps.py"]
    path = tmp_path_factory.mktemp("apps") / "generated_apps.py"
    path.write_text(text, encoding="utf-8")
    return load_module(path, "generated_apps")


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        (["/usr/local/bin/gunicorn", "shop.wsgi:application", "-b", "0.0.0.0:8000"], {}, True),
        (["/venv/lib/python3.12/site-packages/gunicorn/__main__.py", "shop.wsgi"], {}, True),
        (["uvicorn", "shop.asgi:application"], {}, True),
        (["/usr/bin/daphne", "-b", "0.0.0.0", "chat.asgi:application"], {}, True),
        (["hypercorn", "shop.asgi:application"], {}, True),
        (["manage.py", "migrate"], {}, True),
        (["manage.py", "migrate", "--noinput"], {}, True),
        (["/usr/local/bin/django-admin", "migrate"], {}, True),
        (["/venv/lib/python3.12/site-packages/django/__main__.py", "migrate"], {}, True),
        (["manage.py", "runserver", "0.0.0.0:8000", "--noreload"], {}, True),
        (["manage.py", "runserver"], {"RUN_MAIN": "true"}, True),
        # the autoreloader's watcher: Django hides errors raised there; its child probes
        (["manage.py", "runserver", "0.0.0.0:8000"], {}, False),
        (["manage.py", "collectstatic", "--noinput"], {}, False),
        (["manage.py", "compilemessages"], {}, False),
        (["manage.py", "check", "--deploy"], {}, False),
        (["manage.py", "makemigrations", "--check"], {}, False),
        (["manage.py", "shell"], {}, False),
        (["manage.py", "test"], {}, False),
        (["manage.py"], {}, False),
        (["/venv/bin/celery", "-A", "svc", "worker"], {}, False),
        (["/venv/bin/pytest"], {}, False),
        (["-c"], {}, False),
        ([], {}, False),
    ],
)
def test_should_run_startup_checks(apps_module, argv, environ, expected):
    assert apps_module.should_run_startup_checks(argv, environ) is expected


# -- the address parser in startup.py ------------------------------------------------------------


@pytest.fixture(scope="module")
def startup_module(tmp_path_factory) -> ModuleType:
    project_root = tmp_path_factory.mktemp("all_services")
    write_tree(
        project_root,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "requirements.txt": "Django==5.2\n",
            "mysite/settings.py": ALL_SERVICES_SETTINGS,
        },
    )
    text = common_app.app_files(discover(project_root), "common")["common/startup.py"]
    path = project_root / "generated_startup.py"
    path.write_text(text, encoding="utf-8")
    return load_module(path, "generated_startup")


@pytest.mark.parametrize(
    ("value", "port", "shown"),
    [
        ("redis://:pw-secret@cache.internal:6380/0", 6379, ["cache.internal:6380"]),
        ("redis://cache.internal/1", 6379, ["cache.internal:6379"]),
        ("cache.internal:6390", 6379, ["cache.internal:6390"]),
        (("127.0.0.1", 6379), 6379, ["127.0.0.1:6379"]),
        ([("10.1.1.1", 7000), "redis://b:7001"], 6379, ["10.1.1.1:7000", "b:7001"]),
        ({"address": "redis://u:pw-secret@r:6379/0", "password": "x"}, 6379, ["r:6379"]),
        ({"sentinels": [("s1", 26380)], "master_name": "m"}, 6379, ["s1:26380"]),
        ({"host": "es", "port": 9201, "scheme": "https"}, 9200, ["es:9201"]),
        ("https://u:pw-secret@es.example.com", 9200, ["es.example.com:443"]),
        ("http://es.example.com", 9200, ["es.example.com:9200"]),
        ("amqp://a:pw-secret@r1:5672//;amqp://r2//", 5672, ["r1:5672", "r2:5672"]),
        ("redis://[::1]:6379/0", 6379, ["[::1]:6379"]),
        ("unix:///run/redis.sock?db=1", 6379, ["/run/redis.sock"]),
        ("unix:/run/memcached.sock", 11211, ["/run/memcached.sock"]),
        ("mongodb+srv://u:pw@cluster.example.net/db", 27017, []),
        ("redis://r:notaport/0", 6379, []),
    ],
)
def test_endpoints(startup_module, value, port, shown):
    endpoints = startup_module._endpoints(value, port)
    assert [startup_module._show(e) for e in endpoints] == shown


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (TimeoutError("timed out"), "timed out after 2 s"),
        (socket.gaierror(-2, "Name or service not known"), "host name not found"),
        (
            Exception('connection to server at "db" (10.0.0.5), port 5432 failed: timeout expired'),
            "timed out after 2 s",
        ),
        (
            Exception('FATAL:  password authentication failed for user "shop"'),
            "authentication failed",
        ),
        (Exception("(0, 0): (403) ACCESS_REFUSED - Login was refused"), "authentication failed"),
        (
            Exception('could not translate host name "db" to address'),
            "host name not found",
        ),
        (
            Exception("cannot use amqp://guest:pw-secret@rabbit:5672// here"),
            "Exception: cannot use amqp://***@rabbit:5672// here",
        ),
        # MySQL and MariaDB clients: the system error number at the end says what happened
        (
            Exception(f"(2002, \"Can't connect to server on 'db' ({errno.ECONNREFUSED})\")"),
            "connection refused",
        ),
        (
            Exception(f"(2002, \"Can't connect to server on 'db' ({errno.ETIMEDOUT})\")"),
            "timed out after 2 s",
        ),
        (
            Exception(
                "(2013, \"Lost connection to server at 'handshake: reading initial "
                f"communication packet', system error: {errno.ETIMEDOUT}\")"
            ),
            "timed out after 2 s",
        ),
        (
            Exception(f"(2002, \"Can't connect to server on 'db' ({errno.EINPROGRESS})\")"),
            "connection refused or host unreachable",
        ),
        (
            Exception("(1045, \"Access denied for user 'shop'@'10.0.0.9' (using password: YES)\")"),
            "authentication failed",
        ),
    ],
)
def test_cause_in_plain_words(startup_module, error, cause):
    assert startup_module._cause(error, 2.0) == cause


def test_cause_follows_the_chain(startup_module):
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except OSError as exc:
            raise RuntimeError("[Errno 111] see above") from exc
    except RuntimeError as outer:
        assert startup_module._cause(outer, 0.5) == "connection refused"


def test_probes_run_in_a_worker_thread_inside_an_event_loop(startup_module):
    import asyncio
    import threading

    def where():
        return threading.current_thread().name

    def fails():
        raise ConnectionRefusedError(111, "Connection refused")

    async def in_loop(function):
        return startup_module._outside_event_loop(function)

    # outside a loop (gunicorn, migrate): here; inside one (uvicorn workers): in a thread
    assert startup_module._outside_event_loop(where) == threading.current_thread().name
    assert asyncio.run(in_loop(where)) == "startup-checks"
    with pytest.raises(ConnectionRefusedError):
        asyncio.run(in_loop(fails))


def test_failed_probes_are_written_to_stderr_first(startup_module, monkeypatch, capsys):
    monkeypatch.setattr(startup_module, "_enabled", lambda: True)
    monkeypatch.setattr(startup_module, "_probe_all", lambda: ["database:default at db:5432 (x)"])
    with pytest.raises(startup_module.ImproperlyConfigured) as raised:
        startup_module.run()
    written = capsys.readouterr().err
    assert written == str(raised.value) + "\n"
    assert written.startswith(
        "Startup checks failed, 1 service(s) cannot be reached:\n  - database:default at db:5432"
    )


# -- the health endpoint, for real (Django 5.2) ---------------------------------------------------

HEALTH_SCRIPT = """\
import json
import os
import sys

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="s" * 50,
    ALLOWED_HOSTS=["example.com"],
    SECURE_SSL_REDIRECT=True,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "common"],
    MIDDLEWARE=[
        "common.middleware.HealthCheckMiddleware",
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    ],
    ROOT_URLCONF="root_urls",
    DATABASES=json.loads(os.environ["TEST_DATABASES"]),
    LOGGING_CONFIG=None,
)
django.setup()
from django.test import Client
from django.urls import reverse

client = Client()
out = {"reverse": reverse("common:health")}
for method, path, host in json.loads(os.environ["TEST_REQUESTS"]):
    response = getattr(client, method)(path, HTTP_HOST=host)
    out["{} {} {}".format(method, path, host)] = {
        "status": response.status_code,
        "body": response.content.decode(),
        "type": response.get("Content-Type", ""),
        "cache": response.get("Cache-Control", ""),
        "location": response.get("Location", ""),
    }
print(json.dumps(out))
"""
PROBE_HOST = "10.0.0.7"  # an orchestrator probing by IP: not in ALLOWED_HOSTS
HEALTH_PATHS = ["/health", "/health/", "/common/health", "/common/health/"]


def run_script(python: str, cwd: Path, script: str, env: dict[str, str]) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "STARTUP_CHECK"))}
    base.update(PYTHONPATH=str(cwd), PYTHONDONTWRITEBYTECODE="1", **env)
    (cwd / "scenario.py").write_text(script, encoding="utf-8")
    proc = subprocess.run(
        [python, "scenario.py"],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        check=False,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def health_site(tmp_path: Path, project_name: str, root_urls: str) -> Path:
    site = tmp_path / "site"
    files = rendered(discovered(project_name))
    write_tree(site, {"/".join(rel.split("/")[-2:]): text for rel, text in files.items()})
    (site / "root_urls.py").write_text(root_urls, encoding="utf-8")
    return site


def health_requests() -> list[list[str]]:
    requests = [["get", path, PROBE_HOST] for path in HEALTH_PATHS]
    requests += [["head", "/health", PROBE_HOST], ["post", "/health", PROBE_HOST]]
    requests += [["get", "/elsewhere", PROBE_HOST], ["get", "/elsewhere", "example.com"]]
    return requests


def assert_healthy(out: dict) -> None:
    assert out["reverse"] == "/common/health"
    for path in HEALTH_PATHS:
        got = out[f"get {path} {PROBE_HOST}"]
        assert got["status"] == 200, (path, got)
        assert json.loads(got["body"]) == {"status": "ok"}
        assert got["type"] == "application/json"
        assert "no-cache" in got["cache"] and "no-store" in got["cache"]
    head = out[f"head /health {PROBE_HOST}"]
    assert (head["status"], head["body"]) == (200, "")
    post = out[f"post /health {PROBE_HOST}"]
    assert post["status"] == 405 and "no-cache" in post["cache"]
    # the same host is refused everywhere else, and a known host is sent to HTTPS
    assert out[f"get /elsewhere {PROBE_HOST}"]["status"] == 400
    secure = out["get /elsewhere example.com"]
    assert (secure["status"], secure["location"]) == (301, "https://example.com/elsewhere")


@pytest.mark.slow
def test_health_answers_probes_by_ip_before_host_checks(tmp_path):
    site = health_site(tmp_path, "asgi_channels", ROOT_URLS_PATH)  # Django 4.2 rendering
    databases = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")},
        "other": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "o.sqlite3")},
    }
    env = {"TEST_DATABASES": json.dumps(databases), "TEST_REQUESTS": json.dumps(health_requests())}
    assert_healthy(run_script(sys.executable, site, HEALTH_SCRIPT, env))


@pytest.mark.slow
def test_health_names_the_database_that_cannot_connect(tmp_path):
    site = health_site(tmp_path, "asgi_channels", ROOT_URLS_PATH)
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    databases = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(missing)},
        "other": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "o.sqlite3")},
    }
    requests = [["get", p, PROBE_HOST] for p in HEALTH_PATHS] + [["head", "/health", PROBE_HOST]]
    env = {"TEST_DATABASES": json.dumps(databases), "TEST_REQUESTS": json.dumps(requests)}
    out = run_script(sys.executable, site, HEALTH_SCRIPT, env)
    for path in HEALTH_PATHS:
        got = out[f"get {path} {PROBE_HOST}"]
        assert got["status"] == 503
        assert json.loads(got["body"]) == {"status": "unavailable", "failing": ["database:default"]}
        assert "no-such-folder" not in got["body"]
        assert "no-cache" in got["cache"]
    assert out[f"head /health {PROBE_HOST}"]["status"] == 503


@pytest.mark.slow
def test_health_with_the_url_routes_of_old_djangos(tmp_path):
    """The url()/re_path() rendering (Django < 2.0 or unknown) runs on Django 5.2 too."""
    site = health_site(tmp_path, "legacy_single", ROOT_URLS_PATH)
    assert "re_path as url" in (site / "common" / "urls.py").read_text(encoding="utf-8")
    databases = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    }
    env = {"TEST_DATABASES": json.dumps(databases), "TEST_REQUESTS": json.dumps(health_requests())}
    assert_healthy(run_script(sys.executable, site, HEALTH_SCRIPT, env))


OLD_DJANGO = "Django>=3.2,<3.3"


@pytest.fixture(scope="session")
def old_django_python(tmp_path_factory) -> str:
    venv = tmp_path_factory.mktemp("venv-django32")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", OLD_DJANGO], check=True, timeout=600)
    return python


@pytest.mark.slow
def test_health_on_django_3_2(tmp_path, old_django_python):
    """The rendering for old or unknown Djangos (url() routes, default_app_config, the bare
    app name in INSTALLED_APPS) on the oldest Django that runs on this Python."""
    site = health_site(tmp_path, "legacy_single", ROOT_URLS_URL)
    databases = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    }
    env = {"TEST_DATABASES": json.dumps(databases), "TEST_REQUESTS": json.dumps(health_requests())}
    assert_healthy(run_script(old_django_python, site, HEALTH_SCRIPT, env))


# -- the startup probes, against real services -------------------------------------------------

PROBE_SCRIPT = """\
import json
import logging
import os
import sys
import time

if os.environ.get("TEST_HIDE_KOMBU"):
    sys.modules["kombu"] = None  # import kombu raises ImportError

import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

settings.configure(
    INSTALLED_APPS=["common.apps.CommonConfig"],
    LOGGING_CONFIG=None,
    **json.loads(os.environ["TEST_SETTINGS"])
)
django.setup()

from common import startup

logs = []


class Collect(logging.Handler):
    def emit(self, record):
        logs.append("{} {}".format(record.levelname, record.getMessage()))


logging.getLogger("common.startup").addHandler(Collect())
logging.getLogger("common.startup").setLevel(logging.INFO)
started = time.monotonic()
try:
    startup.run()
    error = None
except ImproperlyConfigured as exc:
    error = str(exc)
print(json.dumps({"error": error, "logs": logs, "seconds": time.monotonic() - started}))
"""
CLOSED = "127.0.0.1:1"  # nothing listens on port 1


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def require(port: int, what: str) -> None:
    if not listening(port):
        pytest.skip(f"{what} is not listening on 127.0.0.1:{port}")


class _Search(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        body = json.dumps({"tagline": "You Know, for Search"}).encode()
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def search_server() -> Iterator[http.server.ThreadingHTTPServer]:
    """A stand-in for Elasticsearch: answers GET / with JSON and `server.status`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Search)
    server.status = 200  # type: ignore[attr-defined]
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture
def probe_site(tmp_path, all_services) -> Path:
    pytest.importorskip("psycopg2")
    pytest.importorskip("kombu")
    require(5432, "PostgreSQL")
    require(6379, "Redis")
    require(5672, "RabbitMQ")
    site = tmp_path / "probe_site"
    files = common_app.app_files(all_services, "common")
    write_tree(site, files)
    return site


def up_settings(search_port: int, mongo_port: int) -> dict:
    """Every service of the all-services project, reachable on the loopback interface."""
    return {
        "DATABASES": {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "PORT": "5432",
                "NAME": "test",
                "USER": "postgres",
            },
            "local": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        },
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/0",
            }
        },
        "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/1",
        "CHANNEL_LAYERS": {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [("127.0.0.1", 6379)]},
            }
        },
        "ELASTICSEARCH_DSL": {"default": {"hosts": f"http://127.0.0.1:{search_port}"}},
        "MONGO_URL": f"mongodb://127.0.0.1:{mongo_port}/app",
    }


def down_settings() -> dict:
    """The same services, each at a closed port, with a password in every URL."""
    return {
        "DATABASES": {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "PORT": "1",
                "NAME": "x",
                "USER": "u",
                "PASSWORD": "pw-secret",
            }
        },
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://:pw-secret@{CLOSED}/0",
            }
        },
        "CELERY_BROKER_URL": f"amqp://u:pw-secret@{CLOSED}//",
        "CELERY_RESULT_BACKEND": f"redis://:pw-secret@{CLOSED}/1",
        "CHANNEL_LAYERS": {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [f"redis://:pw-secret@{CLOSED}/2"]},
            }
        },
        "ELASTICSEARCH_DSL": {"default": {"hosts": f"http://u:pw-secret@{CLOSED}"}},
        "MONGO_URL": f"mongodb://u:pw-secret@{CLOSED}/app",
    }


def probe(site: Path, settings: dict, **env: str) -> dict:
    return run_script(
        sys.executable, site, PROBE_SCRIPT, {"TEST_SETTINGS": json.dumps(settings), **env}
    )


@pytest.fixture
def mongo_port(search_server) -> int:
    """A listening port standing in for MongoDB (its probe only connects)."""
    return search_server.server_address[1]


@pytest.mark.slow
def test_probes_pass_when_every_service_answers(probe_site, search_server, mongo_port):
    out = probe(probe_site, up_settings(search_server.server_address[1], mongo_port))
    assert out["error"] is None, out
    assert out["logs"] == ["INFO startup checks passed"]
    assert search_server.requests == ["/"]  # type: ignore[attr-defined]


@pytest.mark.slow
def test_probes_list_every_failure_without_credentials(probe_site):
    out = probe(probe_site, down_settings())
    error = out["error"]
    assert error is not None
    lines = [line for line in error.splitlines() if line.startswith("  - ")]
    assert lines == [
        "  - database:default at 127.0.0.1:1 (environment variable DATABASE_URL): "
        "connection refused",
        "  - rabbitmq (CELERY_BROKER_URL) at 127.0.0.1:1 "
        "(environment variable CELERY_BROKER_URL): connection refused",
        "  - redis (CELERY_RESULT_BACKEND) at 127.0.0.1:1 "
        "(environment variable CELERY_RESULT_BACKEND): connection refused",
        "  - redis (CHANNEL_LAYERS['default']) at 127.0.0.1:1 "
        "(environment variable CHANNELS_REDIS_URL): connection refused",
        "  - elasticsearch (ELASTICSEARCH_DSL['default']) at 127.0.0.1:1 "
        "(environment variable ELASTICSEARCH_URL): connection refused",
        "  - mongodb (MONGO_URL) at 127.0.0.1:1 (environment variable MONGO_URL): "
        "connection refused",
    ]
    assert error.startswith("Startup checks failed, 6 service(s) cannot be reached:")
    assert "STARTUP_CHECKS=false" in error
    # the Redis cache is optional: a warning, not a failure
    assert out["logs"] == [
        "WARNING startup check: redis (CACHES['default']) at 127.0.0.1:1 "
        "(environment variable REDIS_URL): connection refused; starting anyway"
    ]
    assert "pw-secret" not in json.dumps(out)
    assert out["seconds"] < 5


@pytest.mark.slow
def test_cache_only_failure_is_a_warning(probe_site, search_server, mongo_port):
    settings = up_settings(search_server.server_address[1], mongo_port)
    settings["CACHES"]["default"]["LOCATION"] = f"redis://{CLOSED}/0"
    out = probe(probe_site, settings)
    assert out["error"] is None
    assert out["logs"][0].startswith(
        "WARNING startup check: redis (CACHES['default']) at 127.0.0.1:1"
    )
    assert out["logs"][1:] == ["INFO startup checks passed"]


@pytest.mark.slow
def test_local_memory_cache_is_not_probed(probe_site, search_server, mongo_port):
    settings = up_settings(search_server.server_address[1], mongo_port)
    settings["CACHES"] = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "unique-snowflake",
        }
    }
    assert probe(probe_site, settings)["logs"] == ["INFO startup checks passed"]


@pytest.mark.slow
def test_startup_checks_false_skips_every_probe(probe_site):
    for value in ("false", "0", "no", "OFF"):
        out = probe(probe_site, down_settings(), STARTUP_CHECKS=value)
        assert out["error"] is None
        assert out["logs"] == ["INFO startup checks skipped: STARTUP_CHECKS is off"]


@pytest.mark.slow
def test_timeouts_and_search_errors_in_plain_words(
    probe_site, search_server, mongo_port, silent_server
):
    settings = up_settings(search_server.server_address[1], mongo_port)
    settings["CELERY_RESULT_BACKEND"] = f"redis://127.0.0.1:{silent_server}/1"
    search_server.status = 503  # type: ignore[attr-defined]
    out = probe(probe_site, settings, STARTUP_CHECK_TIMEOUT="0.5")
    assert out["error"].splitlines()[1:3] == [
        f"  - redis (CELERY_RESULT_BACKEND) at 127.0.0.1:{silent_server} "
        "(environment variable CELERY_RESULT_BACKEND): timed out after 0.5 s",
        f"  - elasticsearch (ELASTICSEARCH_DSL['default']) at 127.0.0.1:"
        f"{search_server.server_address[1]} (environment variable ELASTICSEARCH_URL): "
        "answered HTTP 503",
    ]
    assert out["seconds"] < 3


@pytest.mark.slow
def test_search_that_asks_for_credentials_is_up(probe_site, search_server, mongo_port):
    search_server.status = 401  # type: ignore[attr-defined]
    out = probe(probe_site, up_settings(search_server.server_address[1], mongo_port))
    assert out["error"] is None


@pytest.mark.slow
def test_broker_with_a_wrong_password(probe_site, search_server, mongo_port):
    settings = up_settings(search_server.server_address[1], mongo_port)
    settings["CELERY_BROKER_URL"] = "amqp://guest:pw-secret@127.0.0.1:5672//"
    out = probe(probe_site, settings)
    assert out["error"].splitlines()[1] == (
        "  - rabbitmq (CELERY_BROKER_URL) at 127.0.0.1:5672 "
        "(environment variable CELERY_BROKER_URL): authentication failed"
    )
    assert "pw-secret" not in out["error"]


@pytest.mark.slow
def test_broker_without_kombu_is_reached_over_tcp(probe_site, search_server, mongo_port):
    settings = up_settings(search_server.server_address[1], mongo_port)
    assert probe(probe_site, settings, TEST_HIDE_KOMBU="1")["error"] is None
    settings["CELERY_BROKER_URL"] = f"amqp://guest:guest@{CLOSED}//"
    out = probe(probe_site, settings, TEST_HIDE_KOMBU="1")
    assert out["error"].splitlines()[1] == (
        "  - rabbitmq (CELERY_BROKER_URL) at 127.0.0.1:1 "
        "(environment variable CELERY_BROKER_URL): connection refused"
    )


def test_probe_names_a_database_url_read_in_a_branch(make_project):
    # the settings' last DATABASES is a CI branch written out in full; the deployment's
    # database comes from DATABASE_URL in the first one: the probe message names it
    project = make_project(
        {
            "mysite/settings.py": """\
                import environ
                env = environ.Env()
                INSTALLED_APPS = []
                DATABASES = {"default": {**env.db("DATABASE_URL"), "CONN_MAX_AGE": 60}}
                if env("GITHUB_WORKFLOW", default=None):
                    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",
                                             "NAME": "ci", "HOST": "127.0.0.1"}}
            """
        }
    )
    assert common_app.database_env(project) == {"default": "DATABASE_URL"}


def test_probe_names_both_ways_a_database_is_configured(make_project):
    # `if env("DATABASE_URL"): <URL> else: <DB_HOST & co>`: a deployment sets one or the other
    project = make_project(
        {
            "mysite/settings.py": """\
                import os
                import dj_database_url
                INSTALLED_APPS = []
                if os.environ.get("DATABASE_URL"):
                    DATABASES = {"default": dj_database_url.config()}
                else:
                    DATABASES = {"default": {
                        "ENGINE": "django.db.backends.postgresql",
                        "NAME": os.environ.get("DB_NAME", "app"),
                        "HOST": os.environ.get("DB_HOST", "db"),
                    }}
            """
        }
    )
    assert common_app.database_env(project) == {"default": "DATABASE_URL or DB_HOST"}
