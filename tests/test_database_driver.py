"""The database driver (item 1): the package the settings' database needs where the dependencies
name none, its pins, the generated image that installs it and `verify --install` that installs
the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codemods.dependencies.versions import packages_for
from fixer.analysis.database_driver import driver_package, missing_drivers
from fixer.apply import plan
from fixer.checks import Selection
from fixer.config import Config, effective_options
from fixer.discovery import discover
from fixer.fix_context import rediscover
from fixer.fixes import item01_dockerfile as container
from fixer.python_support import django_pythons
from tests.conftest import PROJECTS

POSTGRES = (
    "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'x'}}\n"
    "INSTALLED_APPS = []\n"
)
MYSQL = POSTGRES.replace("postgresql", "mysql")


def settings(databases: str) -> dict[str, str]:
    return {"mysite/settings.py": databases}


def options() -> dict:
    return effective_options(Config())


# -- which driver ------------------------------------------------------------------------------


def test_sqlite_needs_no_driver(make_project):
    project = make_project(
        {"requirements.txt": "Django==5.2\n", **settings(POSTGRES.replace("postgresql", "sqlite3"))}
    )
    assert missing_drivers(project) == []


def test_a_declared_driver_is_enough(make_project):
    for package in ("psycopg2==2.9.10", "psycopg[binary,pool]==3.2.3", "psycopg2-binary"):
        project = make_project(
            {"requirements.txt": f"Django==5.2\n{package}\n", **settings(POSTGRES)}
        )
        assert missing_drivers(project) == [], package


def test_an_engine_the_environment_picks_says_nothing(make_project):
    project = make_project(
        {
            "requirements.txt": "Django==5.2\n",
            "mysite/settings.py": "import os\nDATABASES = {'default': {'ENGINE': "
            "os.environ['DB_ENGINE'], 'NAME': 'x'}}\nINSTALLED_APPS = []\n",
        }
    )
    assert missing_drivers(project) == []


def test_a_backend_with_its_own_driver(make_project):
    project = make_project(
        {
            "requirements.txt": "Django==4.2\n",
            **settings(MYSQL.replace("django.db.backends.mysql", "mysql.connector.django")),
        }
    )
    assert missing_drivers(project) == []


def test_postgresql_engine_without_a_driver(make_project):
    project = make_project({"requirements.txt": "Django==5.2.1\n", **settings(POSTGRES)})
    (driver,) = missing_drivers(project)
    assert (driver.kind, driver.package, driver.label) == (
        "postgresql",
        "psycopg[binary]",
        "PostgreSQL",
    )
    assert driver.where == "DATABASES['default'], mysite/settings.py:1"


def test_database_url_default_scheme(make_project):
    project = make_project(
        {
            "requirements.txt": "Django==3.2.25\ndj-database-url==0.5.0\n",
            "mysite/settings.py": "import dj_database_url\nDATABASES = {'default': "
            "dj_database_url.config(default='mysql://app@localhost/app')}\nINSTALLED_APPS = []\n",
        }
    )
    assert [(d.kind, d.package) for d in missing_drivers(project)] == [("mysql", "mysqlclient")]


@pytest.mark.parametrize(
    ("django", "package"),
    [
        ((1, 11, 29), "psycopg2-binary"),
        ((4, 1), "psycopg2-binary"),
        ((4, 2), "psycopg[binary]"),  # Django supports psycopg 3 from 4.2 on
        ((6, 0), "psycopg[binary]"),
        (None, "psycopg[binary]"),  # a bare `django` installs the newest
    ],
)
def test_driver_package_by_django(django, package):
    assert driver_package("postgresql", django) == package
    assert driver_package("mysql", django) == "mysqlclient"
    assert driver_package("oracle", django) is None


# -- which version -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("django", "python", "pins"),
    [
        ((1, 11), "3.4", ["2.7.7", "1.4.6"]),
        ((1, 11), "3.6", ["2.8.6", "1.4.6"]),
        ((2, 2), None, ["2.8.6", "2.1.1"]),  # psycopg2 2.9 breaks Django < 3.1
        ((3, 0), "3.9", ["2.8.6", "2.2.7"]),
        ((3, 2), None, ["2.9.5", "2.1.1"]),  # Python 3.6: the last psycopg2 with its wheels
        ((3, 2), "3.7", ["2.9.9", "2.1.1"]),
        ((4, 1), None, ["2.9.10", "2.2.7"]),
        ((4, 1), "3.9", ["2.9.11", "2.2.7"]),
        ((5, 2), "3.12", ["2.9.11", "2.3.2"]),
    ],
)
def test_driver_pins(django, python, pins):
    packages = packages_for(
        ["psycopg2-binary", "mysqlclient"], django_version=django, python_version=python
    )
    assert [p.pin for p in packages] == pins


@pytest.mark.parametrize(
    ("python", "pin"), [(None, "3.2.13"), ("3.9", "3.2.13"), ("3.10", "3.3.9"), ("3.14", "3.3.9")]
)
def test_psycopg_pins(python, pin):
    (package,) = packages_for(["psycopg[binary]"], django_version=(4, 2), python_version=python)
    assert (package.name, package.pin) == ("psycopg[binary]", pin)


#: the CPython versions each pin has a manylinux wheel for (read from the index, see
#: codemods/dependencies/versions.py): without one, pip builds the sdist, which needs libpq's
#: headers and a compiler the slim image does not have
WHEELS = {
    ("psycopg2-binary", "2.7.7"): ((3, 4), (3, 7)),
    ("psycopg2-binary", "2.8.6"): ((3, 5), (3, 9)),
    ("psycopg2-binary", "2.9.5"): ((3, 6), (3, 11)),
    ("psycopg2-binary", "2.9.9"): ((3, 7), (3, 12)),
    ("psycopg2-binary", "2.9.10"): ((3, 8), (3, 13)),
    ("psycopg2-binary", "2.9.11"): ((3, 9), (3, 14)),
    ("psycopg[binary]", "3.2.13"): ((3, 8), (3, 14)),
    ("psycopg[binary]", "3.3.9"): ((3, 10), (3, 14)),
}
SERIES = [(1, 8), (1, 11), (2, 0), (2, 1), (2, 2), (3, 0), (3, 1), (3, 2), (4, 0), (4, 1)]
SERIES += [(4, 2), (5, 0), (5, 1), (5, 2), (6, 0)]


@pytest.mark.parametrize("django", SERIES)
def test_the_driver_pin_has_a_wheel_for_every_python_the_image_can_run(django):
    """Whatever Python the pin is chosen for (the verified one, else the oldest the Django
    supports), it has a wheel for every Python that Django supports from there on: the image
    may run a newer one (djfix's default) or the oldest slim image (3.7)."""
    supported = django_pythons(django)
    assert supported is not None and supported.newest is not None
    package = driver_package("postgresql", django)
    pythons = [(3, minor) for minor in range(2, 15) if (3, minor) in supported]
    for python in [None, *pythons]:
        (chosen,) = packages_for(
            [package], django_version=django, python_version=f"3.{python[1]}" if python else None
        )
        oldest, newest = WHEELS[(package, chosen.pin)]
        floor = max(python or supported.oldest, oldest)
        images = [p for p in pythons if p >= floor] + (
            [(3, 7)] if supported.newest < (3, 7) else []
        )
        assert images and all(oldest <= p <= newest for p in images), (python, chosen.pin)


# -- the generated image -----------------------------------------------------------------------


def copy_project(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(PROJECTS / name, target)
    return target


def test_the_driver_is_declared_for_the_image(tmp_path):
    """legacy_reads names the PostgreSQL engine and no driver: the image installed none, and its
    collectstatic stage failed to load the backend."""
    project = discover(copy_project(tmp_path, "legacy_reads"))
    result = plan(project, Selection(), options())
    assert result.changeset.read("requirements.txt") == (
        "Django==5.2.1\ndjango-environ==0.11.2\ngunicorn==23.0.0\npsycopg[binary]==3.3.9\n"
    )
    changes = {c.rel: c.items for c in result.changeset.changes()}
    assert changes["requirements.txt"] == {1}
    assert (
        "Dockerfile: the settings use PostgreSQL (DATABASES['default'], ledger/settings.py:63) "
        "but the dependencies name no driver for it (the machine the project ran on must have "
        "had one): psycopg[binary] is added to them, so the image has one, and `djfix verify "
        "--install` installs the same"
    ) in result.context.notes
    planned = rediscover(project, result.changeset)
    assert missing_drivers(planned) == []
    # wheels only: no build tools
    assert "libpq-dev" not in (result.changeset.read("Dockerfile") or "")
    assert not result.bugs


def test_mysql_driver_brings_its_build_packages(tmp_path, make_project):
    project = make_project(
        {
            "requirements.txt": "Django==4.2.16\ngunicorn==23.0.0\n",
            "mysite/settings.py": MYSQL,
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/wsgi.py": "application = None\n",
        }
    )
    result = plan(project, Selection(), options())
    assert "mysqlclient==2.2.7\n" in (result.changeset.read("requirements.txt") or "")
    dockerfile = result.changeset.read("Dockerfile") or ""
    for package in ("gcc", "pkg-config", "default-libmysqlclient-dev", "libmariadb3"):
        assert f"        {package} \\\n" in dockerfile, package
    planned = rediscover(project, result.changeset)
    assert container.render(planned)["Dockerfile"] == dockerfile


def test_old_django_gets_psycopg2_before_2_9(make_project):
    project = make_project(
        {
            "requirements.txt": "Django==2.2.28\n",
            "mysite/settings.py": POSTGRES,
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/wsgi.py": "application = None\n",
        }
    )
    result = plan(project, Selection(), options())
    text = result.changeset.read("requirements.txt") or ""
    assert "psycopg2-binary==2.8.6\n" in text
    assert "gunicorn==21.2.0\n" in text


def test_a_hash_pinned_file_gets_the_driver_in_the_image_step(make_project):
    project = make_project(
        {
            "requirements.txt": "django==5.2.1 \\\n    --hash=sha256:" + "a" * 64 + "\n"
            "gunicorn==23.0.0 \\\n    --hash=sha256:" + "b" * 64 + "\n",
            "mysite/settings.py": POSTGRES,
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/wsgi.py": "application = None\n",
        }
    )
    result = plan(project, Selection(), options())
    dockerfile = result.changeset.read("Dockerfile") or ""
    assert "RUN pip install --no-cache-dir 'psycopg[binary]==3.3.9' \\\n" in dockerfile
    assert result.context.image_installs == {"psycopg[binary]": "3.3.9"}


def test_a_kept_dockerfile_gets_no_driver(tmp_path):
    """deploy_ready's Dockerfile passes items 1-3, so djfix keeps it: how that image gets its
    driver is the author's, and nothing is declared for it."""
    root = copy_project(tmp_path, "deploy_ready")
    settings_py = root / "shipit" / "settings.py"
    text = settings_py.read_text(encoding="utf-8")
    settings_py.write_text(
        text.replace('default="sqlite:///db.sqlite3"', 'default="postgres://localhost/shipit"'),
        encoding="utf-8",
    )
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('    "psycopg[binary]>=3.1",\n', ""),
        encoding="utf-8",
    )
    project = discover(root)
    assert [d.package for d in missing_drivers(project)] == ["psycopg[binary]"]
    result = plan(project, Selection(), options())
    assert "Dockerfile" not in {c.rel for c in result.changeset.changes()}
    assert "psycopg" not in (result.changeset.read("pyproject.toml") or "")
    assert not [n for n in result.context.notes if "name no driver" in n]
