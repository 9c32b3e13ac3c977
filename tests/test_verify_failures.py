"""Each step of `djfix verify` fails on the shape it exists to catch: deploy_ready (which passes
every step) with one thing broken, the way real projects break after a careless change."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from fixer.verify import render_table, verify_project
from tests import test_runtime_projects
from tests.conftest import PROJECTS

pytestmark = pytest.mark.slow

fresh_database = test_runtime_projects.fresh_database


def broken(tmp_path: Path, rel: str, old: str, new: str) -> Path:
    repo = tmp_path / "deploy_ready"
    if not repo.exists():
        shutil.copytree(PROJECTS / "deploy_ready", repo)
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return repo


def run(repo: Path, only: set[int], database_url: str | None = None):
    report = verify_project(repo, python=sys.executable, only=only, database_url=database_url)
    return report, render_table(report)


def test_settings_that_do_not_load_stop_the_run(tmp_path):
    # a name used before it is defined, as a careless split of settings leaves it
    repo = broken(tmp_path, "shipit/settings.py", 'ROOT_URLCONF = "shipit.urls"', "X = Y")
    report, table = run(repo, {1, 2, 3})
    assert report.step(1).status == "fail", table
    assert report.step(1).reason == "the settings do not load: NameError: name 'Y' is not defined"
    assert [report.step(n).reason for n in (2, 3)] == ["the settings do not load (step 1)"] * 2


def test_a_check_that_reaches_the_database_is_not_taken_for_settings_that_do_not_load(tmp_path):
    # Django's own model checks ask a PostgreSQL server its version (a GeneratedField) and
    # a project's checks may query: the settings loaded, so the steps after 1 still run
    repo = broken(
        tmp_path,
        "catalog/apps.py",
        '    name = "catalog"\n',
        '    name = "catalog"\n\n'
        "    def ready(self):\n"
        "        from django.core import checks\n"
        "        from django.db.utils import OperationalError\n\n"
        "        @checks.register\n"
        "        def ask_server(app_configs, **kwargs):\n"
        '            raise OperationalError("connection failed: the server is unreachable")\n',
    )
    report, table = run(repo, {1, 2})
    assert report.step(1).reason == (
        "a system check connected to the database, which failed: "
        "django.db.utils.OperationalError: connection failed: the server is unreachable"
    ), table
    assert report.step(2).reason != "the settings do not load (step 1)", table


def test_an_app_that_refuses_to_start_is_named_not_the_settings(tmp_path):
    # the settings import; an app's ready() checks a variable of its own (a signing key it
    # needs when DEBUG is off) and raises: the reason points at that ready(), not the settings
    repo = broken(
        tmp_path,
        "common/apps.py",
        "        from . import startup\n",
        "        import os\n\n        from django.core.exceptions import ImproperlyConfigured\n\n"
        "        if not os.environ.get('SIGNING_KEY'):\n"
        "            raise ImproperlyConfigured('SIGNING_KEY is not provided')\n"
        "        from . import startup\n",
    )
    report, table = run(repo, {1, 2})
    assert report.step(1).status == "fail", table
    why = "the settings load, but an app's ready() (common/apps.py:17) stops the start"
    assert report.step(1).reason == (
        why + ": django.core.exceptions.ImproperlyConfigured: SIGNING_KEY is not provided"
    ), table
    assert report.step(2).reason == why + " (step 1)", table


def test_a_deploy_warning_fails_step_1(tmp_path):
    repo = broken(tmp_path, "shipit/settings.py", "default=31536000", "default=0")
    report, table = run(repo, {1})
    assert report.step(1).status == "fail"
    assert report.step(1).reason == "1 issue(s): security.W004", table


def test_a_model_change_without_migration_fails_step_2(tmp_path):
    repo = broken(
        tmp_path,
        "catalog/models.py",
        "class Category(models.Model):\n",
        "class Category(models.Model):\n    note = models.TextField(default='')\n",
    )
    report, table = run(repo, {2})
    assert report.step(2).status == "fail", table
    assert report.step(2).reason == "models changed with no migration: catalog"


def test_a_server_command_naming_a_missing_module_fails_step_3(tmp_path):
    repo = broken(
        tmp_path, "Dockerfile", '"shipit.wsgi:application"', '"shipit.wsgi_prod:application"'
    )
    report, table = run(repo, {3})
    assert report.step(3).status == "fail", table
    assert report.step(3).reason.startswith("the server exited with status"), table
    assert "shipit.wsgi_prod" in report.step(3).output


def test_a_query_in_ready_fails_on_the_empty_database(tmp_path):
    # the app cannot start before migrate, and migrate cannot run: the deploy deadlocks
    repo = broken(
        tmp_path,
        "common/apps.py",
        "        from . import startup\n",
        "        from . import startup\n        from catalog.models import Category\n\n"
        "        Category.objects.get_or_create(slug='hardware')\n",
    )
    report, table = run(repo, {3, 4})
    assert report.step(3).status == "fail", table
    assert "no such table" in report.step(3).output, table
    assert report.step(4).status == "fail", table


def test_a_page_that_needs_redis_fails_step_5(tmp_path):
    repo = broken(
        tmp_path, "shipit/settings.py", '"IGNORE_EXCEPTIONS": True', '"IGNORE_EXCEPTIONS": False'
    )
    broken(
        tmp_path,
        "catalog/urls.py",
        "urlpatterns = [\n",
        'urlpatterns = [\n    path("", views.category_items, {"slug": "hardware"}),\n',
    )
    report, table = run(repo, {4, 5})
    assert report.step(5).status == "fail", table
    assert report.step(5).reason.startswith("1 of 5 URLs: /catalog/ answered 500"), table


def test_a_page_routed_to_show_its_own_error_status_is_no_failure(tmp_path):
    # `path("500", error_500_view)`: the project's own error page, routed so it can be seen,
    # answers 500 on purpose; a page at another path answering 500 still fails
    repo = broken(
        tmp_path,
        "catalog/urls.py",
        "urlpatterns = [\n",
        "from django.http import HttpResponse\n\n"
        "urlpatterns = [\n"
        '    path("500", lambda request: HttpResponse("oops", status=500)),\n'
        '    path("errors/503/", lambda request: HttpResponse("down", status=503)),\n'
        '    path("broken", lambda request: HttpResponse("no", status=502)),\n',
    )
    report, table = run(repo, {4, 5})
    assert report.step(5).status == "fail", table
    assert "/catalog/broken answered 502" in report.step(5).reason, table
    assert "/catalog/500" not in report.step(5).reason, table
    assert "/catalog/errors/503/" not in report.step(5).reason, table


def test_a_collectstatic_line_missing_a_variable_fails_step_7(tmp_path):
    repo = broken(tmp_path, "Dockerfile", "RUN SECRET_KEY=build-only-not-secret ", "RUN ")
    report, table = run(repo, {7})
    assert report.step(7).status == "fail", table
    assert "SECRET_KEY" in report.step(7).reason, table


def _url(database: str) -> str:
    return f"postgres://postgres:pw-never-shown@127.0.0.1:5432/{database.split(':')[0]}"


def test_no_startup_probe_fails_step_6(tmp_path, fresh_database):
    repo = broken(tmp_path, "common/apps.py", "startup.run_startup_probes()", "startup")
    report, table = run(repo, {6}, _url(fresh_database))
    assert report.step(6).status == "fail", table
    assert report.step(6).reason == "the server is still serving with the database unreachable"


def test_a_probe_that_prints_the_password_fails_step_6(tmp_path, fresh_database):
    repo = broken(
        tmp_path,
        "common/startup.py",
        "        try:\n            wrapper.ensure_connection()",
        "        print('connecting with', settings_dict)\n"
        "        try:\n            wrapper.ensure_connection()",
    )
    report, table = run(repo, {6}, _url(fresh_database))
    assert report.step(6).status == "fail", table
    assert "a credential appears in the output" in report.step(6).reason
    assert "pw-never-shown" not in report.step(6).output + table


def test_two_apps_labelled_common_stop_the_settings(tmp_path):
    repo = broken(
        tmp_path, "shipit/settings.py", '    "common",\n', '    "common",\n    "extras.common",\n'
    )
    (repo / "extras" / "common").mkdir(parents=True)
    (repo / "extras" / "__init__.py").write_text("")
    (repo / "extras" / "common" / "__init__.py").write_text("")
    report, table = run(repo, {1, 3})
    assert report.step(1).reason == (
        "the settings do not load: django.core.exceptions.ImproperlyConfigured: Application "
        "labels aren't unique, duplicates: common"
    ), table
    assert report.step(3).status == "skipped"


def test_a_value_read_with_the_wrong_type_fails_step_1(tmp_path):
    # DEBUG read as a string: "False" is true, so production runs with DEBUG on
    repo = broken(
        tmp_path,
        "shipit/settings.py",
        'env.bool("DEBUG", default=False)',
        'env("DEBUG", default="False")',
    )
    report, table = run(repo, {1})
    assert report.step(1).reason == "1 issue(s): security.W018", table


def test_an_absolute_static_root_is_never_written(tmp_path):
    outside = tmp_path / "outside" / "static"
    repo = broken(tmp_path, "shipit/settings.py", 'BASE_DIR / "staticfiles"', repr(str(outside)))
    report, table = run(repo, {7})
    assert report.step(7).status == "pass", table
    assert report.step(7).note.endswith(f"STATIC_ROOT ({outside}) moved to a temporary folder")
    assert not outside.exists()


def test_a_manifest_static_storage_gets_its_manifest_before_pages_are_served(tmp_path):
    # ManifestStaticFilesStorage (and whitenoise's compressed one) make every page that uses
    # {% static %} answer 500 until collectstatic has written the manifest: the image build runs
    # it, so verify runs it first too, and the pages must then answer
    repo = broken(
        tmp_path,
        "shipit/settings.py",
        'STATIC_ROOT = BASE_DIR / "staticfiles"\n',
        'STATIC_ROOT = BASE_DIR / "staticfiles"\n'
        "STATICFILES_DIRS = [BASE_DIR / 'assets']\n"
        "STORAGES = {\n"
        '    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},\n'
        '    "staticfiles": {\n'
        '        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"\n'
        "    },\n"
        "}\n",
    )
    (repo / "assets").mkdir()
    (repo / "assets" / "site.css").write_text("body { margin: 0 }\n", encoding="utf-8")
    broken(
        tmp_path,
        "shipit/urls.py",
        "urlpatterns = [\n",
        "from django.http import HttpResponse\n"
        "from django.template import engines\n\n\n"
        "def home(request):\n"
        "    page = engines['django'].from_string(\"{% load static %}{% static 'site.css' %}\")\n"
        "    return HttpResponse(page.render())\n\n\n"
        "urlpatterns = [\n    path('', home),\n",
    )
    report, table = run(repo, {3, 4, 5})
    assert report.step(5).status == "pass", table
    assert "collectstatic ran first" in report.step(5).note, table
    assert not (repo / "staticfiles").exists()  # the user's tree is never written


#: a stand-in for django-compressor, as much of it as offline compression shows: the pages
#: render from the manifest `manage.py compress` writes, and fail without it
_COMPRESSOR = {
    "compressor/__init__.py": "",
    "compressor/conf.py": (
        "from django.conf import settings as _django\n\n\n"
        "class _Settings:\n"
        "    def __getattr__(self, name):\n"
        "        defaults = {'COMPRESS_ENABLED': not _django.DEBUG, 'COMPRESS_OFFLINE': False}\n"
        "        return getattr(_django, name, defaults.get(name))\n\n\n"
        "settings = _Settings()\n"
    ),
    "compressor/management/__init__.py": "",
    "compressor/management/commands/__init__.py": "",
    "compressor/management/commands/compress.py": (
        "from pathlib import Path\n\n"
        "from django.conf import settings\n"
        "from django.core.management.base import BaseCommand\n\n\n"
        "class Command(BaseCommand):\n"
        "    def add_arguments(self, parser):\n"
        "        parser.add_argument('--force', action='store_true')\n\n"
        "    def handle(self, *args, **options):\n"
        "        out = Path(settings.STATIC_ROOT) / 'CACHE'\n"
        "        out.mkdir(parents=True, exist_ok=True)\n"
        "        (out / 'manifest.json').write_text('{}')\n"
    ),
}


def test_offline_compression_runs_before_pages_are_served(tmp_path):
    # django-compressor with COMPRESS_OFFLINE renders {% compress %} from the manifest that
    # `manage.py compress` writes at build time: verify runs it first too, into its copy
    repo = broken(
        tmp_path,
        "shipit/settings.py",
        '    "catalog",\n]\n',
        '    "catalog",\n    "compressor",\n]\nCOMPRESS_OFFLINE = True\n',
    )
    for rel, text in _COMPRESSOR.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    broken(
        tmp_path,
        "shipit/urls.py",
        "urlpatterns = [\n",
        "from pathlib import Path\n\n"
        "from django.conf import settings\n"
        "from django.http import HttpResponse\n\n\n"
        "def home(request):\n"
        "    manifest = Path(settings.STATIC_ROOT) / 'CACHE' / 'manifest.json'\n"
        "    return HttpResponse(manifest.read_text())  # OfflineGenerationError without it\n\n\n"
        "urlpatterns = [\n    path('', home),\n",
    )
    report, table = run(repo, {3, 4, 5})
    assert report.step(5).status == "pass", table
    assert "collectstatic and compress ran first" in report.step(5).note, table
    assert not (repo / "staticfiles").exists()  # the user's tree is never written


@pytest.mark.parametrize(
    ("static_root", "status"), [('BASE_DIR / "staticfiles"', "pass"), ('BASE_DIR / "out"', "fail")]
)
def test_the_static_stage_copies_what_collectstatic_wrote(tmp_path, static_root, status):
    # djfix's own Dockerfile: its static stage copies /app/staticfiles, so collectstatic must
    # write there, or the nginx image is built empty
    repo = broken(
        tmp_path,
        "Dockerfile",
        "# syntax=docker/dockerfile:1\n",
        "# syntax=docker/dockerfile:1\n# Generated by djfix for this project.\n",
    )
    broken(
        tmp_path,
        "shipit/settings.py",
        'STATIC_ROOT = BASE_DIR / "staticfiles"',
        f"STATIC_ROOT = {static_root}",
    )
    report, table = run(repo, {7})
    step = report.step(7)
    assert step.status == status, table
    if status == "pass":
        assert step.note.endswith("; the static stage copies them from /app/staticfiles"), table
    else:
        assert step.reason.endswith(
            "files, but not to /app/staticfiles, the folder the Dockerfile's static stage "
            "copies: the static image would serve none"
        ), table


def test_settings_that_take_database_url_apart_run_on_verifys_own_database(
    tmp_path, fresh_database
):
    # shynet's shape: a Heroku-era urlparse of DATABASE_URL into a written DATABASES
    repo = broken(
        tmp_path,
        "shipit/settings.py",
        'DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}',
        "import os\nfrom urllib.parse import urlparse\n"
        'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"}}\n'
        'if "DATABASE_URL" in os.environ:\n'
        '    url = urlparse(os.environ["DATABASE_URL"])\n'
        '    DATABASES["default"].update({"NAME": url.path[1:], "USER": url.username, '
        '"PASSWORD": url.password, "HOST": url.hostname, "PORT": url.port})',
    )
    report, table = run(repo, {4, 6}, _url(fresh_database))
    assert report.step(4).status == "pass", table
    assert report.step(6).status == "pass", table
    assert "DATABASE_URL='postgres://postgres:<password>@127.0.0.1:1/" in report.step(6).command
    assert "pw-never-shown" not in table + report.step(6).output
