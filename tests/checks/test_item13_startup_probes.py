from __future__ import annotations

from fixer.checks import item13_startup_probes as item13
from fixer.discovery import discover
from tests.conftest import PROJECTS, findings_of

EXAMPLES = PROJECTS.parent.parent / "examples"

SETTINGS = """\
import environ

env = environ.Env()
INSTALLED_APPS = ["django.contrib.auth", "shop"]
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://shop:pw@db:5432/shop")}
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("REDIS_URL", default="redis://redis:6379/0"),
    }
}
"""
PROBE = """\
from django.conf import settings
from django.db import connections


def run_startup_probes():
    if not getattr(settings, "STARTUP_CHECKS", True):
        return
    for alias in connections:
        connections[alias].ensure_connection()
    import redis

    redis.Redis.from_url(settings.CACHES["default"]["LOCATION"]).ping()
"""


def project(make_project, settings: str = SETTINGS, **files: str):
    return make_project({"mysite/settings.py": settings, "shop/__init__.py": "", **files})


def run(make_project, settings: str = SETTINGS, **files: str):
    return findings_of(item13, project(make_project, settings, **files))


# -- nothing to report ---------------------------------------------------------------------------


def test_sqlite_and_local_memory_cache_need_no_probe(make_project):
    settings = """\
        INSTALLED_APPS = ["shop"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    """
    assert not item13.applies(project(make_project, settings))


def test_probe_module_covers_every_service(make_project):
    assert item13.applies(project(make_project))
    assert run(make_project, **{"shop/startup.py": PROBE}) == []


def test_probe_in_apps_py(make_project):
    apps = (
        "from django.apps import AppConfig\n\n"
        + PROBE
        + (
            "\n\nclass ShopConfig(AppConfig):\n"
            '    name = "shop"\n\n'
            "    def ready(self):\n"
            "        run_startup_probes()\n"
        )
    )
    assert run(make_project, **{"shop/apps.py": apps}) == []


def test_probe_in_checks_py_of_an_app_config_entry(make_project):
    settings = SETTINGS.replace('"shop"]', '"shop.apps.ShopConfig"]')
    apps = """\
        from django.apps import AppConfig


        class ShopConfig(AppConfig):
            name = "shop"
    """
    files = {"shop/apps.py": apps, "shop/checks.py": PROBE}
    assert run(make_project, settings, **files) == []


# -- DJ130 startup-probes-missing ----------------------------------------------------------------


def test_no_probe(make_project):
    findings = run(make_project)
    assert [(f.code, f.path, f.line) for f in findings] == [("DJ130", "mysite/settings.py", 5)]
    message = findings[0].message
    assert "postgresql (DATABASES['default'], postgres://***@db:5432/shop)" in message
    assert "redis (CACHES['default'], redis://redis:6379/0)" in message
    assert "pw" not in message
    assert "STARTUP_CHECKS" in message


def test_module_without_the_switch_is_not_a_probe(make_project):
    probe = PROBE.replace('getattr(settings, "STARTUP_CHECKS", True)', "True")
    assert [f.code for f in run(make_project, **{"shop/startup.py": probe})] == ["DJ130"]


def test_probe_outside_a_local_app_is_not_found(make_project):
    findings = run(make_project, **{"tools/startup.py": PROBE})
    assert [f.code for f in findings] == ["DJ130"]


def test_service_from_env_without_default_is_listed_by_variable(make_project):
    settings = 'INSTALLED_APPS = ["shop"]\nimport os\nCELERY_BROKER_URL = os.environ["BROKER"]\n'
    findings = run(make_project, settings)
    assert [f.code for f in findings] == ["DJ130"]
    assert "broker (CELERY_BROKER_URL, from $BROKER)" in findings[0].message


# -- DJ131 startup-probe-incomplete --------------------------------------------------------------


def test_probe_misses_broker_and_search(make_project):
    settings = SETTINGS + (
        'CELERY_BROKER_URL = "amqp://guest:secret@rabbit:5672//"\n'
        'ELASTICSEARCH_URL = env("ELASTICSEARCH_URL", default="http://es:9200")\n'
    )
    findings = run(make_project, settings, **{"shop/startup.py": PROBE})
    assert [(f.code, f.path, f.line) for f in findings] == [("DJ131", "shop/startup.py", 6)]
    message = findings[0].message
    assert "rabbitmq (CELERY_BROKER_URL, amqp://***@rabbit:5672//)" in message
    assert "elasticsearch (ELASTICSEARCH_URL, http://es:9200)" in message
    assert "secret" not in message
    assert "postgresql" not in message and "redis (" not in message


def test_probe_covers_broker_through_kombu(make_project):
    settings = SETTINGS + 'CELERY_BROKER_URL = "amqp://rabbit:5672//"\n'
    probe = PROBE + "\n\ndef probe_broker():\n    import kombu\n"
    assert run(make_project, settings, **{"shop/startup.py": probe}) == []


def test_probe_without_database_check(make_project):
    probe = """\
        import redis
        from django.conf import settings


        def run_startup_probes():
            if settings.STARTUP_CHECKS:
                redis.Redis.from_url(settings.CACHES["default"]["LOCATION"]).ping()
    """
    findings = run(make_project, **{"shop/probes.py": probe})
    assert [f.code for f in findings] == ["DJ131"]
    assert "does not check postgresql (DATABASES['default']" in findings[0].message


# -- the test projects ---------------------------------------------------------------------------


def codes_of(name: str, root=PROJECTS) -> list[tuple[str, str, int | None]]:
    project = discover(root / name)
    return [(f.code, f.path, f.line) for f in findings_of(item13, project)]


def test_deploy_ready_is_clean():
    assert item13.applies(discover(PROJECTS / "deploy_ready"))
    assert codes_of("deploy_ready") == []


def test_celery_services_lists_every_service():
    project = discover(PROJECTS / "celery_services")
    findings = findings_of(item13, project)
    assert [(f.code, f.path, f.line) for f in findings] == [("DJ130", "svc/settings.py", 54)]
    message = findings[0].message
    for part in (
        "postgresql (DATABASES['default']",
        "redis (CACHES['default']",
        "rabbitmq (CELERY_BROKER_URL, amqp://***@127.0.0.1:5672//)",
        "redis (CELERY_RESULT_BACKEND",
        "elasticsearch (ELASTICSEARCH_URL",
    ):
        assert part in message
    assert "guest" not in message


def test_other_projects_without_probes():
    assert codes_of("legacy_single") == [("DJ130", "legacy/settings.py", 59)]
    assert codes_of("split_settings") == [("DJ130", "config/settings/base.py", 55)]
    assert codes_of("asgi_channels") == [("DJ130", "chat/settings.py", 58)]
    assert codes_of("manage_subfolder") == [("DJ130", "app/mysite/settings.py", 56)]
    assert [c for c, _, _ in codes_of("legacy_project", EXAMPLES)] == ["DJ130"]
