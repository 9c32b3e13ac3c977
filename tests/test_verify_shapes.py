"""Shapes found when verify ran real repositories after apply, each a small test project of our
own proved by `djfix verify` after `djfix apply`: every step that applies passes."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from fixer.cli import app
from fixer.verify import render_table, verify_project
from tests import config_module, test_runtime_projects
from tests.test_apply_projects import copy_into_git

pytestmark = pytest.mark.slow

fresh_database = test_runtime_projects.fresh_database


def test_database_read_piece_by_piece_is_named_by_its_variables(tmp_path, fresh_database):
    # ENGINE, NAME, HOST, ... from SQL_* variables, SQLite when unset: with the database down
    # the probe's message must name the variable that points at it, not "set in the settings"
    repo = copy_into_git("piecewise_engine", tmp_path)
    result = CliRunner().invoke(app, ["apply", "--no-branch", str(repo)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    name = fresh_database.split(":")[0]
    report = verify_project(
        repo,
        python=sys.executable,
        database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
        only={1, 2, 3, 4, 5, 6},
    )
    table = render_table(report)
    assert [s.status for s in report.steps] == ["pass"] * 6, table
    assert "SQL_HOST" in report.step(6).output, table


SPACE_SPLIT_SETTINGS = """\
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = bool(int(os.environ.get("DEBUG", "0")))
# a single string of hosts with a space between each
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS").split(" ")
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
"""


def test_space_separated_hosts_and_a_fixed_sqlite_database(tmp_path, fresh_database):
    # hosts split on spaces get "127.0.0.1 localhost" (a comma list answers 400), and the
    # --database-url a fixed SQLite ENGINE cannot use is said to be unused
    from tests.conftest import MINIMAL_MANAGE, write_tree

    repo = tmp_path / "repo"
    write_tree(
        repo,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": SPACE_SPLIT_SETTINGS,
            "mysite/urls.py": (
                "from django.http import HttpResponse\n"
                "from django.urls import path\n\n"
                "def ok(request):\n    return HttpResponse('ok')\n\n\n"
                'urlpatterns = [path("health", ok), path("common/health", ok)]\n'
            ),
            "mysite/wsgi.py": (
                "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\n"
                'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n'
                "application = get_wsgi_application()\n"
            ),
        },
    )
    name = fresh_database.split(":")[0]
    report = verify_project(
        repo,
        python=sys.executable,
        database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
        only={3, 4},
    )
    table = render_table(report)
    assert [s.status for s in report.steps if s.number in (3, 4)] == ["pass"] * 2, table
    assert "note: --database-url is not used: the production settings fix" in table, table


GUARDED_READERS_SETTINGS = """\
import os

from django.core.exceptions import ImproperlyConfigured
from django.core.validators import URLValidator


def bool_from_env(name, fallback):
    value = os.environ.get(name)
    if value is None:
        return fallback
    return value.lower() in ("true", "1")


def url_from_env(name, *, schemes=None):
    if name in os.environ:
        value = os.environ[name]
        URLValidator(schemes=schemes)(value)
        return value
    return None


SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = bool_from_env("DEBUG", False)
# optional: validated as a URL only when it is set
SITE_URL = url_from_env("SITE_URL", schemes=["http", "https"])
# no default, and required once DEBUG is off
CLIENT_HOSTS = os.environ.get("CLIENT_HOSTS")
if not CLIENT_HOSTS:
    if DEBUG:
        CLIENT_HOSTS = "localhost"
    else:
        raise ImproperlyConfigured("CLIENT_HOSTS must be set when DEBUG is off")
ALLOWED_HOSTS = os.environ["ALLOWED_HOSTS"].split(",")
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SILENCED_SYSTEM_CHECKS = ["security.W002", "security.W003", "security.W008"]
"""


def test_readers_guarded_by_presence_and_a_variable_required_by_a_raise(tmp_path):
    # `url_from_env` reads os.environ[name] only when it is set (unset is None: the run must not
    # give it a non-URL placeholder), `bool_from_env` compares the lower-cased text, and
    # CLIENT_HOSTS has no default and raises when unset: the run gives it a value
    from tests.conftest import MINIMAL_MANAGE, write_tree

    repo = tmp_path / "repo"
    write_tree(
        repo,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": GUARDED_READERS_SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/wsgi.py": (
                "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\n"
                'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n'
                "application = get_wsgi_application()\n"
            ),
        },
    )
    report = verify_project(repo, python=sys.executable, only={1, 2})
    table = render_table(report)
    assert [s.status for s in report.steps] == ["pass"] * 2, table


def test_committed_collected_files_keep_their_manifest_entries(tmp_path, fresh_database):
    # STATIC_ROOT is committed with a front-end build's output and the manifest: collectstatic
    # (run first for the manifest storage) lists only what the finders find, so the page that
    # links the built stylesheet answered 500 ("Missing staticfiles manifest entry") until the
    # committed entries were kept
    repo = copy_into_git("containers/committed_static", tmp_path)
    result = CliRunner().invoke(app, ["apply", "--no-branch", str(repo)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    name = fresh_database.split(":")[0]
    report = verify_project(
        repo,
        python=sys.executable,
        database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
        only={3, 5, 7},
    )
    table = render_table(report)
    assert [s.status for s in report.steps] == ["pass"] * 3, table
    assert '"GET / HTTP/1.1" 200' in report.step(5).output, table


# a project's own `migrate` that makes the first admin from a variable after Django's migrate:
# the deploy's `manage.py migrate` fails, the migrations do not
ADMIN_MIGRATE = """\
import os

from django.contrib.auth.models import User
from django.core.management.commands import migrate


class Command(migrate.Command):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        if not User.objects.exists():
            User.objects.create_superuser("admin", "", os.environ["ADMIN_PASSWORD"])
"""


def test_a_failing_migrate_override_is_named_not_the_migrations(tmp_path):
    from tests.test_django_runner_versions import _notes

    repo = _notes(
        tmp_path / "repo",
        **{
            "notes/management/__init__.py": "",
            "notes/management/commands/__init__.py": "",
            "notes/management/commands/migrate.py": ADMIN_MIGRATE,
        },
    )
    report = verify_project(repo, python=sys.executable, only={4})
    table = render_table(report)
    assert report.step(4).status == "fail", table
    assert report.step(4).reason == (
        "the project's own migrate command (notes/management/commands/migrate.py) fails where "
        "Django's migrate passes on the same database (the migrations apply): "
        "KeyError: 'ADMIN_PASSWORD'"
    ), table


def test_settings_read_through_the_projects_own_readers(tmp_path):
    # `DEBUG = envbool("DEBUG", "True")` and `SECRET_KEY = envsecret("SECRET_KEY", "---")`:
    # the run gives both (DEBUG off, a generated key), and apply turned DEBUG's default off,
    # so check --deploy is clean with the project's own functions kept
    repo = copy_into_git("env_helpers", tmp_path)
    result = CliRunner().invoke(
        app, ["apply", "--no-branch", "--no-verify", str(repo)], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    assert 'DEBUG = envbool("DEBUG", "False")\n' in (repo / "pulse/settings.py").read_text()
    report = verify_project(repo, python=sys.executable, only={1, 2, 3, 4, 5})
    table = render_table(report)
    assert [s.status for s in report.steps] == ["pass"] * 5, table


def test_monorepo_api_beside_a_front_end(tmp_path, fresh_database):
    # the api in a subfolder of a monorepo whose compose file builds a Node front end first;
    # a split settings package reading DEBUG as a number in both modules (int(...) and
    # int(...) == 1); a package __init__ that makes a Redis client from settings.REDIS_URL at
    # import. Before apply the settings load with verify's DEBUG (step 1 runs the checks); after
    # it every step passes, the collectstatic build included, and nothing of the Node image is
    # in the api image
    repo = copy_into_git("monorepo_api", tmp_path)
    name = fresh_database.split(":")[0]
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    before = verify_project(repo, python=sys.executable, database_url=url, only={1})
    assert "do not load" not in before.step(1).reason, render_table(before)
    assert "security.W004" in before.step(1).reason, render_table(before)
    result = CliRunner().invoke(
        app, ["apply", "--no-branch", "--no-verify", str(repo)], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    assert "NODE_ENV" not in (repo / "Dockerfile").read_text()
    report = verify_project(repo, python=sys.executable, database_url=url, only=set(range(1, 8)))
    table = render_table(report)
    assert [s.status for s in report.steps] == ["pass"] * 7, table


LOCAL_CONFIGURATION = """\
ALLOWED_HOSTS = ["*"]
SECRET_KEY = "a-local-key-of-more-than-fifty-characters-for-this-installation"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": "{}"}}}}
"""


def test_a_database_named_by_a_local_configuration_module_is_never_migrated(tmp_path):
    # the settings take DATABASES from the installation's configuration.py (git ignores it,
    # only its example is committed), which names the developer's own database: discovery
    # cannot read it, and verify must neither migrate it nor serve from it
    repo = config_module.make_repo(tmp_path)
    mine = tmp_path / "mine.sqlite3"
    (repo / "inventory/configuration.py").write_text(LOCAL_CONFIGURATION.format(mine))
    report = verify_project(repo, python=sys.executable, only={3, 4, 5})
    table = render_table(report)
    assert [s.status for s in report.steps] == ["skipped"] * 3, table
    assert report.step(4).reason == (
        f"DATABASES['default'] is the SQLite file {mine}, outside verify's copy, and no variable "
        "names another (DATABASES: inventory/settings.py:28): verify runs only on a database "
        "of its own"
    ), table
    assert not mine.exists(), table


def test_a_urlconf_slow_to_import_is_served_not_timed_out(tmp_path):
    # the worker imports the URLconf (views, an API schema) on the first request: a large
    # project took over 10 s there, and /health read "timed out" though the app was serving
    from tests.conftest import MINIMAL_MANAGE, write_tree

    repo = write_tree(
        tmp_path / "repo",
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": SPACE_SPLIT_SETTINGS,
            "mysite/urls.py": (
                "import time\n\n"
                "from django.http import HttpResponse\n"
                "from django.urls import path\n\n"
                "time.sleep(12)  # what building a large API schema costs\n\n\n"
                "def ok(request):\n    return HttpResponse('ok')\n\n\n"
                'urlpatterns = [path("health", ok), path("common/health", ok)]\n'
            ),
            "mysite/wsgi.py": (
                "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\n"
                'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n'
                "application = get_wsgi_application()\n"
            ),
        },
    )
    report = verify_project(repo, python=sys.executable, only={3})
    assert report.step(3).status == "pass", render_table(report)


def test_settings_from_a_template_load_after_apply(tmp_path):
    # `from .local_settings import *` of a module git ignores, with only its template committed:
    # a clone cannot load the settings, so verify proved nothing; after apply the committed
    # local_settings_env.py stands in and reads the environment verify sets
    repo = copy_into_git("local_config/template_import", tmp_path)
    before = verify_project(repo, python=sys.executable, only={1, 3})
    table = render_table(before)
    assert [s.status for s in before.steps] == ["fail", "skipped"], table
    assert before.step(3).reason == "the settings do not load (step 1)", table
    result = CliRunner().invoke(
        app, ["apply", "--no-branch", "--no-verify", str(repo)], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    assert (repo / "shop/local_settings_env.py").is_file()
    after = verify_project(repo, python=sys.executable, only={1, 3})
    table = render_table(after)
    assert after.step(1).status == "pass", table
    assert after.step(3).status == "pass", table


def test_the_run_of_the_change_goes_without_the_installations_own_file(tmp_path):
    # a developer's local_settings.py (git-ignored) is on disk: the run of the original needs it,
    # the run of the change goes without it, as a clone does, so it proves the stand-in
    repo = copy_into_git("local_config/template_import", tmp_path)
    (repo / "shop/local_settings.py").write_text(
        'ALLOWED_HOSTS = ["*"]\nSECRET_KEY = "a-local-key-of-more-than-fifty-characters-for-'
        'this-installation"\n'
    )
    result = CliRunner().invoke(
        app,
        [
            "apply",
            "--no-branch",
            "--dry-run",
            "--python",
            sys.executable,
            "--select",
            "5",
            str(repo),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 1), result.output
    words = " ".join(result.output.split())
    # the developer's file has no DATABASES; the stand-in reads DATABASE_URL, which verify sets
    assert "4 migrate fail pass" in words, result.output
    assert (
        "The run of the original used shop/local_settings.py, which git ignores; the run of the "
        "change went without it: its settings read the environment in its place, as a clone's "
        "do."
    ) in words, result.output


NAME_ONLY_SETTINGS = """\
import os

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-key-not-secret-0123456789-abcdefghij-klmnop")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"
# the server and the user are written here (or read from a secrets file): only the NAME varies
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.getenv("APP_DB_NAME", "app"),
        "USER": "postgres",
        "HOST": "127.0.0.1",
    }
}
"""


def test_a_database_whose_server_is_written_in_the_settings_is_not_taken_down(
    tmp_path, fresh_database
):
    # only NAME comes from a variable: step 6 cannot move the server, so it says so and skips
    # instead of failing with "the server is still serving with the database unreachable"
    from tests.conftest import MINIMAL_MANAGE, write_tree

    repo = tmp_path / "repo"
    write_tree(
        repo,
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": NAME_ONLY_SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/wsgi.py": (
                "from django.core.wsgi import get_wsgi_application\n"
                "application = get_wsgi_application()\n"
            ),
        },
    )
    name = fresh_database.split(":")[0]
    report = verify_project(
        repo,
        python=sys.executable,
        database_url=f"postgres://postgres@127.0.0.1:5432/{name}",
        only={6},
    )
    table = render_table(report)
    assert report.step(6).status == "skipped", table
    assert report.step(6).reason == (
        "the settings read only NAME of DATABASES['default'] from variables (APP_DB_NAME): its "
        "HOST and PORT are written in the settings, so verify cannot take the database down"
    ), table


ASGI_HEALTH_SETTINGS = """\
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "mysite.urls"
ASGI_APPLICATION = "mysite.asgi.application"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("DB", "x.db")}
}
"""
ASGI_HEALTH_ENTRY = """\
import os

from django.core.asgi import get_asgi_application

from .probes import answer_health

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
application = get_asgi_application()
application = answer_health(application, "/health/")
"""
ASGI_HEALTH_WRAPPER = """\
def answer_health(app, health_path):
    async def wrapper(scope, receive, send):
        if scope["type"] != "http" or scope["path"] != health_path:
            return await app(scope, receive, send)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return wrapper
"""
OLD_UVICORN_IMAGE = """\
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["uvicorn", "mysite.asgi:application", "--host", "0.0.0.0", "--port", "8000", \\
     "--workers", "2", "--lifespan", "off"]
"""


def test_an_asgi_entry_that_answers_health_with_a_slash_and_server_options(tmp_path):
    # the entry answers /health/ exactly, before Django: GET /health reaches Django, so apply
    # routes djfix's view there; the old CMD's lifespan stays in the new one (its workers do
    # not: uvicorn would outlive a worker that cannot start), and step 3 runs that command on
    # the ASGI entry, wrapper included
    from tests.conftest import MINIMAL_MANAGE, write_tree
    from tests.test_apply_projects import git

    repo = write_tree(
        tmp_path / "repo",
        {
            "manage.py": MINIMAL_MANAGE,
            "mysite/__init__.py": "",
            "mysite/settings.py": ASGI_HEALTH_SETTINGS,
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/asgi.py": ASGI_HEALTH_ENTRY,
            "mysite/probes.py": ASGI_HEALTH_WRAPPER,
            "requirements.txt": "Django==5.2\nuvicorn==0.34.0\n",
            "Dockerfile": OLD_UVICORN_IMAGE,
        },
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "initial")
    result = CliRunner().invoke(
        app, ["apply", "--no-branch", "--no-verify", str(repo)], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    dockerfile = (repo / "Dockerfile").read_text()
    assert "--proxy-headers --lifespan off" in dockerfile and "--workers" not in dockerfile
    assert 'path("health", ' in (repo / "mysite/urls.py").read_text()
    report = verify_project(repo, python=sys.executable, only={3})
    table = render_table(report)
    assert report.step(3).status == "pass", table
    assert "mysite.asgi:application" in report.step(3).command, table
    assert "--lifespan off" in report.step(3).command, table
