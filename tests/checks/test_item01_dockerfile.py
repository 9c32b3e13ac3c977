from __future__ import annotations

import pytest

from fixer.analysis import app_server, compose, image
from fixer.checks import item01_dockerfile as item01
from fixer.discovery import discover
from tests.conftest import PROJECTS, findings_of

SETTINGS = """\
    SECRET_KEY = "x"
    INSTALLED_APPS = ["django.contrib.auth"]
    WSGI_APPLICATION = "mysite.wsgi.application"
"""
REQUIREMENTS = "Django==5.2\ngunicorn==23.0.0\n"
GOOD = """\
    FROM python:3.12-slim
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    COPY . .
    CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]
"""


def project_with(make_project, files: dict[str, str | None]):
    tree: dict[str, str | None] = {
        "mysite/settings.py": SETTINGS,
        "mysite/wsgi.py": "application = None\n",
        "requirements.txt": REQUIREMENTS,
    }
    tree.update(files)
    return make_project(tree)


def codes(findings) -> list[tuple[str, str | None, int | None]]:
    return [(f.code, f.path, f.line) for f in findings]


# -- nothing to report ----------------------------------------------------------------------------


def test_project_specific_dockerfile(make_project):
    project = project_with(make_project, {"Dockerfile": GOOD})
    assert findings_of(item01, project) == []


def test_applies_always(make_project):
    project = project_with(make_project, {})
    assert item01.applies(project) is True


def test_start_script_that_runs_the_module(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim
                WORKDIR /app
                COPY . /app
                RUN pip install --no-cache-dir -r requirements.txt
                ENTRYPOINT ["/app/docker/start.sh"]
            """,
            "docker/start.sh": "#!/bin/sh\nexec gunicorn mysite.wsgi:application\n",
        },
    )
    assert findings_of(item01, project) == []


def test_script_copied_under_another_name(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim
                COPY requirements.txt /tmp/
                RUN pip install --no-cache-dir -r /tmp/requirements.txt
                COPY deploy/run-web /usr/local/bin/run-web
                CMD ["/usr/local/bin/run-web"]
            """,
            "deploy/run-web": "#!/bin/sh\ngunicorn --chdir /app mysite.wsgi\n",
        },
    )
    assert findings_of(item01, project) == []


def test_manage_py_counts_as_starting_the_project(make_project):
    # runserver is item 3's business; item 1 only asks whether the image starts this project
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim
                COPY . /app
                RUN pip install --no-cache-dir -r /app/requirements.txt
                CMD python /app/manage.py runserver 0.0.0.0:8000
            """
        },
    )
    assert findings_of(item01, project) == []


def test_wheels_built_in_a_builder_stage(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim AS builder
                COPY requirements.txt .
                RUN pip wheel --wheel-dir /wheels -r requirements.txt

                FROM python:3.12-slim
                COPY --from=builder /wheels /wheels
                RUN pip install --no-cache-dir /wheels/*
                COPY . /app
                CMD ["gunicorn", "mysite.wsgi"]
            """
        },
    )
    assert findings_of(item01, project) == []


@pytest.mark.parametrize(
    "install",
    [
        "pip install --no-cache-dir .",
        "pip install -e .",
        "poetry install --only main",
        "uv sync --frozen --no-dev",
        "pipenv install --deploy --system",
        "python -m pip install --requirement=requirements.txt",
    ],
)
def test_every_installer_of_the_project(make_project, install):
    project = project_with(
        make_project,
        {
            "Dockerfile": f"""\
                FROM python:3.12-slim
                COPY . /app
                WORKDIR /app
                RUN {install}
                CMD ["gunicorn", "mysite.wsgi:application"]
            """
        },
    )
    assert findings_of(item01, project) == []


def test_supervisor_configuration_that_runs_the_module(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim
                COPY . /app
                RUN pip install --no-cache-dir -r /app/requirements.txt
                COPY deploy/supervisord.conf /etc/supervisor/conf.d/app.conf
                CMD ["supervisord", "-n"]
            """,
            "deploy/supervisord.conf": "[program:web]\ncommand=gunicorn mysite.wsgi\n",
        },
    )
    assert findings_of(item01, project) == []


def test_start_script_djfix_cannot_find_stays_silent(make_project):
    # The script comes from elsewhere (a package, a base image): djfix cannot say what it runs.
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim
                COPY . /app
                RUN pip install --no-cache-dir -r /app/requirements.txt
                CMD ["/usr/local/bin/start-app"]
            """
        },
    )
    assert findings_of(item01, project) == []


def test_cmd_inherited_from_the_parent_stage(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim AS base
                CMD ["gunicorn", "mysite.wsgi:application"]

                FROM base AS final
                COPY . /app
                RUN pip install --no-cache-dir -r /app/requirements.txt
            """
        },
    )
    assert findings_of(item01, project) == []


def test_trailing_static_stage_is_not_the_api_image(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim AS api
                COPY . /app
                RUN pip install --no-cache-dir -r /app/requirements.txt
                CMD ["gunicorn", "mysite.wsgi:application"]

                FROM nginx:1.27-alpine AS static
                COPY --from=api /app/staticfiles /usr/share/nginx/html/static
            """
        },
    )
    assert findings_of(item01, project) == []


def test_wsgi_module_found_without_wsgi_application(make_project):
    project = project_with(
        make_project,
        {
            "mysite/settings.py": 'SECRET_KEY = "x"\nINSTALLED_APPS = []\n',
            "Dockerfile": GOOD,
        },
    )
    assert app_server.app_modules(project) == ["mysite.wsgi"]
    assert findings_of(item01, project) == []


# -- findings -------------------------------------------------------------------------------------


def test_no_dockerfile(make_project):
    project = project_with(make_project, {})
    findings = findings_of(item01, project)
    assert codes(findings) == [("DJ010", None, None)]
    assert "no Dockerfile at the repository root" in findings[0].message


def test_dockerfile_only_in_a_subfolder(make_project):
    project = project_with(make_project, {"docker/Dockerfile": GOOD, "Dockerfile.prod": GOOD})
    findings = findings_of(item01, project)
    assert codes(findings) == [("DJ010", None, None)]
    assert "Dockerfile.prod, docker/Dockerfile" in findings[0].message
    assert "`docker build .`" in findings[0].message


def test_dockerfile_without_from(make_project):
    project = project_with(make_project, {"Dockerfile": "RUN echo hi\nCMD gunicorn x\n"})
    findings = findings_of(item01, project)
    assert codes(findings) == [("DJ012", "Dockerfile", None)]
    assert "has no FROM instruction" in findings[0].message


def test_dockerfile_that_cannot_be_decoded(make_project):
    project = project_with(make_project, {"Dockerfile": b"FROM python:3.12\n\xff\xfe\n"})
    findings = findings_of(item01, project)
    assert codes(findings) == [("DJ012", "Dockerfile", None)]
    assert "cannot be decoded" in findings[0].message


def test_never_installs_the_dependencies(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim
                RUN pip install --no-cache-dir gunicorn
                COPY . /app
                CMD ["gunicorn", "mysite.wsgi:application"]
            """
        },
    )
    findings = findings_of(item01, project)
    assert codes(findings) == [("DJ011", "Dockerfile", 1)]
    assert "never installs the project's dependencies (requirements.txt)" in findings[0].message
    assert "pip install --no-cache-dir -r requirements.txt" in findings[0].message


def test_no_cmd_runs_the_base_image_default(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim AS app
                COPY . /app
                RUN pip install --no-cache-dir -r /app/requirements.txt
            """
        },
    )
    findings = findings_of(item01, project)
    assert codes(findings) == [("DJ011", "Dockerfile", 1)]
    assert "has no CMD or ENTRYPOINT in stage 'app'" in findings[0].message
    assert '"mysite.wsgi:application"' in findings[0].message


def test_cmd_serves_another_project(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim
                COPY . /app
                RUN pip install --no-cache-dir -r /app/requirements.txt
                CMD gunicorn otherproject.wsgi:application
            """
        },
    )
    findings = findings_of(item01, project)
    assert codes(findings) == [("DJ011", "Dockerfile", 4)]
    assert "CMD starts gunicorn but not this project's" in findings[0].message
    assert "(mysite.wsgi)" in findings[0].message


def test_cmd_that_starts_nothing_of_the_project(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": """\
                FROM python:3.12-slim
                COPY . /app
                RUN pip install --no-cache-dir -r /app/requirements.txt
                CMD ["python3"]
            """
        },
    )
    findings = findings_of(item01, project)
    assert codes(findings) == [("DJ011", "Dockerfile", 4)]
    assert "CMD never starts this project" in findings[0].message


def test_template_dockerfile_fails_both_ways(make_project):
    project = project_with(
        make_project,
        {"Dockerfile": 'FROM python:3.12-slim\nCOPY . /app\nCMD ["python3", "app.py"]\n'},
    )
    assert codes(findings_of(item01, project)) == [
        ("DJ011", "Dockerfile", 1),
        ("DJ011", "Dockerfile", 3),
    ]


# -- helpers shared with items 2 and 3 ------------------------------------------------------------


def test_image_parts():
    assert image.image_parts("python:3.12-slim") == ("python", "python", "3.12-slim")
    assert image.image_parts("localhost:5000/team/python:3.12@sha256:ab") == (
        "localhost:5000/team/python",
        "python",
        "3.12",
    )
    assert image.image_parts("gcr.io/distroless/python3") == (
        "gcr.io/distroless/python3",
        "python3",
        "",
    )


def test_dev_compose_names():
    assert compose.is_dev_compose("docker-compose.dev.yml")
    assert compose.is_dev_compose("compose.override.yaml")
    assert compose.is_dev_compose("local.yml")
    assert not compose.is_dev_compose("docker-compose.yml")
    assert not compose.is_dev_compose("docker-compose.prod.yml")


# -- test projects --------------------------------------------------------------------------------


EXAMPLE = PROJECTS.parent.parent / "examples" / "legacy_project"


@pytest.mark.parametrize("name", ["deploy_ready", "legacy_single", "manage_subfolder"])
def test_projects_that_pass(name):
    assert findings_of(item01, discover(PROJECTS / name)) == []


def test_example_project_passes():
    # its CMD runs manage.py behind an entrypoint script that ends in `exec "$@"`
    assert findings_of(item01, discover(EXAMPLE)) == []


@pytest.mark.parametrize("name", ["split_settings", "asgi_channels", "celery_services"])
def test_projects_without_a_dockerfile(name):
    assert codes(findings_of(item01, discover(PROJECTS / name))) == [("DJ010", None, None)]
