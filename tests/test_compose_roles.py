"""Which compose files are for development only, and which is the production one
(fixer.analysis.compose)."""

from __future__ import annotations

import pytest

from fixer.analysis.compose import ComposeRole, compose_roles, production_compose

#: the development stack of a project whose code is in app/: runserver on the mounted code
RUNSERVER_MOUNTED = """\
services:
  web:
    build: ./app
    command: python manage.py runserver 0.0.0.0:8000
    volumes:
      - ./app/:/usr/src/app/
    ports:
      - 8000:8000
"""
GUNICORN = """\
services:
  web:
    build:
      context: ./app
      dockerfile: Dockerfile.prod
    command: gunicorn mysite.wsgi:application --bind 0.0.0.0:8000
"""
APP = {
    "manage.py": None,
    "mysite/__init__.py": None,
    "app/manage.py": "import django\n",
    "app/mysite/__init__.py": "",
    "app/mysite/settings.py": "INSTALLED_APPS = []\n",
}


def roles(make_project, files: dict[str, str | None]) -> dict[str, ComposeRole]:
    return compose_roles(make_project({**APP, **files}))


# -- deployment files first ---------------------------------------------------------------------


def test_lone_compose_file_running_runserver_on_the_mounted_code_is_the_deployment_file(
    make_project,
):
    # how many projects deploy: the file djfix is there to fix
    assert roles(make_project, {"docker-compose.yml": RUNSERVER_MOUNTED}) == {
        "docker-compose.yml": ComposeRole()
    }


def test_runserver_files_with_no_production_file_beside_them_are_all_deployment_files(
    make_project,
):
    found = roles(
        make_project,
        {"docker-compose.yml": RUNSERVER_MOUNTED, "docker-compose.server.yml": RUNSERVER_MOUNTED},
    )
    assert {rel: role.development for rel, role in found.items()} == {
        "docker-compose.yml": (),
        "docker-compose.server.yml": (),
    }


@pytest.mark.parametrize(
    "volume",
    [
        "media:/usr/src/app/media",  # a named volume
        "./media:/usr/src/app/media",  # a data folder, not the code
        "/srv/shared:/srv/shared",  # a host folder outside the repository
    ],
)
def test_runserver_without_the_code_mounted_is_no_development_mark(make_project, volume):
    text = RUNSERVER_MOUNTED.replace("./app/:/usr/src/app/", volume)
    found = roles(
        make_project,
        {"docker-compose.yml": text, "docker-compose.prod.yml": GUNICORN, "media/a.txt": ""},
    )
    assert found["docker-compose.yml"].development == ()


def test_file_named_for_production_is_never_development_by_what_it_holds(make_project):
    text = RUNSERVER_MOUNTED + "    env_file: ./.env.dev\n"
    project = make_project({**APP, "docker-compose.prod.yml": text, "compose.yaml": GUNICORN})
    assert compose_roles(project)["docker-compose.prod.yml"].development == ()
    assert production_compose(project) == "docker-compose.prod.yml"


# -- development files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "head", "reason"),
    [
        ("docker-compose.dev.yml", "", "by its name"),
        ("compose.override.yaml", "", "by its name"),
        ("docker-compose.local.yml", "", "by its name"),
        ("docker-compose.test.yml", "", "by its name"),
        (
            "docker-compose.yml",
            "# Development only: live reload with the code mounted\n",
            "by its header comment",
        ),
    ],
)
def test_named_development_files(make_project, rel, head, reason):
    found = roles(make_project, {rel: head + "services:\n  web:\n    image: shop\n"})
    assert found[rel] == ComposeRole((reason,))


def test_runserver_on_the_mounted_code_beside_a_production_file(make_project):
    project = make_project(
        {**APP, "docker-compose.yml": RUNSERVER_MOUNTED, "docker-compose.prod.yml": GUNICORN}
    )
    assert compose_roles(project) == {
        "docker-compose.yml": ComposeRole(
            ("its service 'web' runs runserver with the code mounted from ./app/",),
            "docker-compose.prod.yml",
        ),
        "docker-compose.prod.yml": ComposeRole(),
    }
    assert production_compose(project) == "docker-compose.prod.yml"


@pytest.mark.parametrize("mount", [".:/code", "./app/mysite:/usr/src/app/mysite"])
def test_code_mounts_from_the_root_or_a_package(make_project, mount):
    text = RUNSERVER_MOUNTED.replace("./app/:/usr/src/app/", mount)
    found = roles(make_project, {"docker-compose.yml": text, "docker-compose.prod.yml": GUNICORN})
    assert found["docker-compose.yml"].development == (
        f"its service 'web' runs runserver with the code mounted from {mount.split(':')[0]}",
    )


def test_development_env_file_marks_a_lone_file(make_project):
    text = RUNSERVER_MOUNTED + "    env_file:\n      - ./.env.dev\n"
    found = roles(make_project, {"docker-compose.yml": text})
    # named so by its author: no production file is needed beside it to tell
    assert found == {
        "docker-compose.yml": ComposeRole(
            (
                "it reads the development env file ./.env.dev",
                "its service 'web' runs runserver with the code mounted from ./app/",
            ),
        )
    }


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (
            "build:\n      context: .\n      dockerfile: docker/local.Dockerfile",
            "its service 'web' builds the development Dockerfile docker/local.Dockerfile",
        ),
        (
            "build:\n      context: ./compose/local/django",
            "its service 'web' builds the development Dockerfile compose/local/django/Dockerfile",
        ),
        (
            "build:\n      context: .\n      target: dev",
            "its service 'web' builds the 'dev' target",
        ),
        (
            "build:\n      context: .\n      dockerfile: Dockerfile.dev",
            "its service 'web' builds the development Dockerfile Dockerfile.dev",
        ),
    ],
)
def test_development_dockerfile_or_target(make_project, build, reason):
    text = f"services:\n  web:\n    {build}\n    command: python manage.py runserver\n"
    project = make_project({**APP, "docker-compose.yml": text})
    assert compose_roles(project)["docker-compose.yml"].development == (reason,)
    assert production_compose(project) is None


def test_development_entrypoint_script_and_settings_mark_a_lone_file(make_project):
    """A lone file that starts its service with `docker-entrypoint.dev.sh` and runs settings
    made from the development ones (`docker.py` of `from .dev import *`) is for development,
    whatever it mounts."""
    text = (
        "services:\n"
        "  web:\n"
        "    build: .\n"
        "    entrypoint: ./docker-entrypoint.dev.sh\n"
        "    command: python manage.py runserver 0.0.0.0:8000\n"
        "    environment:\n"
        "      - DJANGO_SETTINGS_MODULE=mysite.settings.docker\n"
    )
    files = {
        "manage.py": (
            "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings.prod')\n"
        ),
        "mysite/__init__.py": "",
        "mysite/settings/__init__.py": "",
        "mysite/settings/common.py": "INSTALLED_APPS = []\n",
        "mysite/settings/dev.py": "from .common import *\nDEBUG = True\n",
        "mysite/settings/prod.py": "from .common import *\nDEBUG = False\n",
        "mysite/settings/docker.py": "from .dev import *\n",
        "docker-compose.yml": text,
    }
    project = make_project(files)
    assert compose_roles(project)["docker-compose.yml"].development == (
        "its service 'web' starts with the development script ./docker-entrypoint.dev.sh",
        "its service 'web' runs the development settings mysite.settings.docker",
    )
    assert production_compose(project) is None
    # the production settings themselves are no development mark
    prod = text.replace("mysite.settings.docker", "mysite.settings.prod").replace(
        "entrypoint: ./docker-entrypoint.dev.sh", "entrypoint: ./docker-entrypoint.sh"
    )
    project = make_project({**files, "docker-compose.yml": prod})
    assert compose_roles(project)["docker-compose.yml"].development == ()


def test_services_building_one_development_dockerfile_are_one_reason(make_project):
    build = "    build:\n      context: .\n      dockerfile: docker/local.Dockerfile\n"
    text = (
        "services:\n"
        f"  web:\n{build}    command: python manage.py runserver\n"
        f"  worker:\n{build}    command: celery -A mysite worker\n"
        f"  beat:\n{build}    command: celery -A mysite beat\n"
    )
    project = make_project({**APP, "docker-compose.yml": text})
    assert compose_roles(project)["docker-compose.yml"].development == (
        "its services 'web', 'worker' and 'beat' build the development Dockerfile "
        "docker/local.Dockerfile",
    )


def test_production_file_is_preferred_by_its_name(make_project):
    project = make_project(
        {
            **APP,
            "compose.yaml": GUNICORN,
            "docker-compose.prod.yml": GUNICORN,
            "docker-compose.dev.yml": RUNSERVER_MOUNTED,
        }
    )
    assert compose_roles(project)["docker-compose.dev.yml"] == ComposeRole(
        ("by its name", "its service 'web' runs runserver with the code mounted from ./app/"),
        "docker-compose.prod.yml",
    )
    assert production_compose(project) == "docker-compose.prod.yml"


# -- override files: merged over a base file, never run alone ----------------------------------

#: what an ssl or production override holds: the base's services, a few keys each
PARTIAL = """\
services:
  web:
    command: python manage.py runserver 0.0.0.0:8443
    volumes:
      - ./app/:/usr/src/app/
    ports:
      - "443:8443"
"""


@pytest.mark.parametrize("rel", ["docker-compose.ssl.yml", "docker-compose.prod.yml"])
def test_partial_file_is_an_override_of_the_file_that_defines_its_services(make_project, rel):
    project = make_project({**APP, "docker-compose.yml": RUNSERVER_MOUNTED, rel: PARTIAL})
    # the override's runserver on the mounted code makes neither file one for development: the
    # two are one stack, and the base is the production file, whatever the override's name
    assert compose_roles(project) == {
        "docker-compose.yml": ComposeRole(),
        rel: ComposeRole(production="docker-compose.yml", base="docker-compose.yml"),
    }
    assert production_compose(project) == "docker-compose.yml"


def test_override_that_adds_a_full_service_of_its_own(make_project):
    text = PARTIAL + "  proxy:\n    image: nginx:1.25\n"
    found = roles(make_project, {"compose.yaml": GUNICORN, "compose.ssl.yaml": text})
    assert found["compose.ssl.yaml"].base == "compose.yaml"


def test_base_is_the_file_compose_reads_by_default_first(make_project):
    found = roles(
        make_project,
        {
            "docker-compose.yml": GUNICORN,
            "docker-compose.full.yml": GUNICORN,
            "docker-compose.ssl.yml": PARTIAL,
        },
    )
    assert found["docker-compose.ssl.yml"].base == "docker-compose.yml"


@pytest.mark.parametrize(
    "text",
    [
        # full files with the same services are alternatives, not overrides
        GUNICORN,
        # a service that extends another one is defined in full
        "services:\n  web:\n    extends:\n      file: common.yml\n      service: web\n",
        # a partial service no other file defines: nothing to merge it over
        "services:\n  api:\n    command: gunicorn mysite.wsgi\n",
    ],
)
def test_no_override(make_project, text):
    found = roles(make_project, {"docker-compose.yml": GUNICORN, "docker-compose.other.yml": text})
    assert found["docker-compose.other.yml"].base is None


def test_override_in_another_folder_is_no_override(make_project):
    found = roles(
        make_project, {"docker-compose.yml": GUNICORN, "deploy/docker-compose.yml": PARTIAL}
    )
    assert found["deploy/docker-compose.yml"].base is None


def test_override_of_a_development_file_is_for_development(make_project):
    found = roles(
        make_project,
        {
            "docker-compose.yml": RUNSERVER_MOUNTED,
            "docker-compose.prod.yml": GUNICORN,
            "docker-compose.ssl.yml": PARTIAL,
        },
    )
    assert found["docker-compose.ssl.yml"] == ComposeRole(
        ("it overrides docker-compose.yml, a development compose file",),
        "docker-compose.prod.yml",
        "docker-compose.yml",
    )


def test_conventional_override_stays_development_and_names_its_base(make_project):
    # compose merges it over docker-compose.yml unasked; named for development, it stays so
    found = roles(
        make_project,
        {"docker-compose.yml": GUNICORN, "docker-compose.override.yml": GUNICORN},
    )
    assert found["docker-compose.override.yml"] == ComposeRole(
        ("by its name",), "docker-compose.yml", "docker-compose.yml"
    )
    assert found["docker-compose.yml"] == ComposeRole()
