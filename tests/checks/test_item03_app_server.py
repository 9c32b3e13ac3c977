from __future__ import annotations

import pytest

from fixer.checks import item03_app_server as item03
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
    COPY . .
    RUN pip install --no-cache-dir -r requirements.txt
    CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]
"""


def project_with(make_project, files: dict[str, str | None]):
    tree: dict[str, str | None] = {
        "mysite/settings.py": SETTINGS,
        "requirements.txt": REQUIREMENTS,
        "Dockerfile": GOOD,
    }
    tree.update(files)
    return make_project(tree)


def codes(findings) -> list[tuple[str, str | None, int | None]]:
    return [(f.code, f.path, f.line) for f in findings]


# -- nothing to report ----------------------------------------------------------------------------


def test_gunicorn_serves_the_app(make_project):
    assert findings_of(item03, project_with(make_project, {})) == []


def test_applies_without_a_dockerfile(make_project):
    assert item03.applies(project_with(make_project, {"Dockerfile": None})) is True


def test_nginx_in_its_own_compose_service_and_stage(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": GOOD
            + "\n    FROM nginx:1.27-alpine AS static\n"
            + "    COPY --from=0 /app/static /usr/share/nginx/html\n"
            + '    CMD ["nginx", "-g", "daemon off;"]\n',
            "docker-compose.yml": """\
                services:
                  web:
                    build: .
                    command: gunicorn mysite.wsgi -b 0.0.0.0:8000
                  proxy:
                    image: nginx:1.27
                    command: nginx -g "daemon off;"
                  static:
                    build:
                      context: .
                      target: static
            """,
        },
    )
    assert findings_of(item03, project) == []


def test_worker_migrate_and_release_processes_are_not_the_api(make_project):
    project = project_with(
        make_project,
        {
            "docker-compose.yml": """\
                services:
                  web:
                    build: .
                  worker:
                    build: .
                    command: celery -A mysite worker
                  migrate:
                    build: .
                    command: python manage.py migrate --noinput
            """,
            "Procfile": "web: gunicorn mysite.wsgi\nrelease: python manage.py migrate\n",
        },
    )
    assert findings_of(item03, project) == []


def test_development_helpers_nothing_runs(make_project):
    # Makefiles and helper scripts are for people at a terminal, not for the API container.
    project = project_with(
        make_project,
        {
            "Makefile": "run:\n\tpython manage.py runserver\n",
            "scripts/dev.sh": "#!/bin/sh\npython manage.py runserver\n",
        },
    )
    assert findings_of(item03, project) == []


def test_asgi_project_served_by_daphne(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": None,
            "requirements.txt": "Django==5.2\nchannels==4.1\ndaphne==4.1\n",
            "Procfile": "web: daphne mysite.asgi:application\n",
        },
    )
    assert findings_of(item03, project) == []


def test_nginx_only_tested_in_the_image_is_not_started(make_project):
    project = project_with(
        make_project,
        {"Dockerfile": GOOD.replace("RUN pip", "RUN nginx -t && pip")},
    )
    assert findings_of(item03, project) == []


# -- DJ030 runserver ------------------------------------------------------------------------------


def test_runserver_in_cmd(make_project):
    dockerfile = GOOD.replace(
        '["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]',
        "python manage.py runserver 0.0.0.0:8000",
    )
    findings = findings_of(item03, project_with(make_project, {"Dockerfile": dockerfile}))
    assert codes(findings) == [("DJ030", "Dockerfile", 5)]
    assert "the CMD runs Django's development server" in findings[0].message
    assert "gunicorn mysite.wsgi:application" in findings[0].message


def test_runserver_behind_an_exec_form_entrypoint(make_project):
    dockerfile = GOOD.replace(
        'CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]',
        'ENTRYPOINT ["python", "manage.py"]\n    CMD ["runserver_plus", "0.0.0.0:8000"]',
    )
    findings = findings_of(item03, project_with(make_project, {"Dockerfile": dockerfile}))
    assert codes(findings) == [("DJ030", "Dockerfile", 6)]


def test_runserver_in_the_entrypoint_script(make_project):
    dockerfile = GOOD.replace(
        'CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]',
        'ENTRYPOINT ["./docker/entrypoint.sh"]',
    )
    project = project_with(
        make_project,
        {
            "Dockerfile": dockerfile,
            "docker/entrypoint.sh": "#!/bin/sh\nset -e\npython manage.py migrate\n"
            "exec python manage.py runserver 0.0.0.0:8000\n",
        },
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ030", "docker/entrypoint.sh", 4)]
    assert "this script, which the image runs" in findings[0].message


def test_runserver_in_a_script_that_can_start_gunicorn_instead(make_project):
    # the script chooses a server by a variable: the finding says it is a choice, and asks
    # for the app server alone rather than for an app server the script already starts
    dockerfile = GOOD.replace(
        'CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]',
        'ENTRYPOINT ["./docker/entrypoint.sh"]',
    )
    script = (
        "#!/bin/bash\n"
        'if [[ "$USE_GUNICORN" == "True" ]]; then\n'
        "    gunicorn mysite.wsgi:application --bind 0.0.0.0:8000\n"
        "else\n"
        "    python manage.py runserver 0.0.0.0:8000\n"
        "fi\n"
    )
    project = project_with(make_project, {"Dockerfile": dockerfile, "docker/entrypoint.sh": script})
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ030", "docker/entrypoint.sh", 5)]
    assert findings[0].message.endswith(
        "runs Django's development server (`python manage.py runserver 0.0.0.0:8000`) unless "
        "it takes the branch that starts gunicorn (line 3): make gunicorn the only server it "
        "starts"
    )


def test_runserver_in_a_development_compose_file(make_project):
    project = project_with(
        make_project,
        {
            "docker-compose.dev.yml": """\
                services:
                  web:
                    build: .
                    ports:
                      - "8000:8000"
                    command: python manage.py runserver 0.0.0.0:8000
            """
        },
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ030", "docker-compose.dev.yml", 6)]
    assert "compose service 'web' (a development compose file)" in findings[0].message
    assert findings[0].rule.severity.value == "error"


def test_runserver_in_a_script_compose_runs(make_project):
    project = project_with(
        make_project,
        {
            "docker-compose.yml": """\
                services:
                  web:
                    image: mysite:latest
                    command: sh /code/bin/serve.sh
            """,
            "bin/serve.sh": "python manage.py runserver\n",
        },
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ030", "bin/serve.sh", 1)]


def test_runserver_in_the_procfile_web_process(make_project):
    project = project_with(
        make_project,
        {"Procfile": "release: python manage.py migrate\nweb: ./manage.py runserver\n"},
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ030", "Procfile", 2)]
    assert "the web process of Procfile" in findings[0].message


def test_runserver_in_a_start_script(make_project):
    project = project_with(
        make_project, {"start.sh": "#!/bin/bash\ncd /app && python manage.py runserver\n"}
    )
    assert codes(findings_of(item03, project)) == [("DJ030", "start.sh", 2)]


# -- DJ031 process managers, DJ032 nginx ----------------------------------------------------------


def test_supervisor_and_nginx_in_the_api_image(make_project):
    dockerfile = """\
        FROM python:3.12-slim
        RUN apt-get update \\
            && apt-get install -y nginx supervisor \\
            && rm -rf /var/lib/apt/lists/*
        COPY . /app
        RUN pip install --no-cache-dir -r /app/requirements.txt
        COPY deploy/supervisord.conf /etc/supervisor/conf.d/app.conf
        CMD ["supervisord", "-n"]
    """
    supervisord = (
        "[program:web]\ncommand=gunicorn mysite.wsgi\n\n"
        '[program:nginx]\ncommand=nginx -g "daemon off;"\n'
    )
    project = project_with(
        make_project, {"Dockerfile": dockerfile, "deploy/supervisord.conf": supervisord}
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [
        ("DJ031", "Dockerfile", 3),
        ("DJ031", "Dockerfile", 8),
        ("DJ032", "Dockerfile", 3),
        ("DJ032", "deploy/supervisord.conf", 5),
    ]
    assert "installs supervisor in the image that runs the app" in findings[0].message
    assert "the CMD starts supervisord" in findings[1].message
    assert "installs nginx" in findings[2].message
    assert "a program of this configuration starts nginx" in findings[3].message


def test_supervisor_configuration_named_on_the_command_line(make_project):
    dockerfile = GOOD.replace(
        'CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]',
        'CMD ["supervisord", "-c", "/app/conf/processes.ini"]',
    )
    project = project_with(
        make_project,
        {
            "Dockerfile": dockerfile,
            "conf/processes.ini": "[program:nginx]\ncommand = /usr/sbin/nginx\n",
        },
    )
    assert codes(findings_of(item03, project)) == [
        ("DJ031", "Dockerfile", 5),
        ("DJ032", "conf/processes.ini", 2),
    ]


def test_honcho_and_pip_installed_supervisor(make_project):
    dockerfile = GOOD.replace(
        "RUN pip install --no-cache-dir -r requirements.txt",
        "RUN pip install --no-cache-dir -r requirements.txt supervisor==4.2",
    ).replace(
        'CMD ["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]',
        "CMD honcho start",
    )
    findings = findings_of(item03, project_with(make_project, {"Dockerfile": dockerfile}))
    assert codes(findings) == [("DJ031", "Dockerfile", 4), ("DJ031", "Dockerfile", 5)]
    assert "installs supervisor" in findings[0].message
    assert "starts honcho" in findings[1].message


def test_nginx_started_by_the_entrypoint_script(make_project):
    dockerfile = GOOD.replace(
        'CMD ["gunicorn"', 'ENTRYPOINT ["/app/entrypoint.sh"]\n    CMD ["gunicorn"'
    )
    project = project_with(
        make_project,
        {"Dockerfile": dockerfile, "entrypoint.sh": '#!/bin/sh\nnginx\nexec "$@"\n'},
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ032", "entrypoint.sh", 2)]
    assert "this script, which the image runs, starts nginx" in findings[0].message


def test_nginx_in_the_compose_service_built_from_the_api_image(make_project):
    project = project_with(
        make_project,
        {
            "docker-compose.yml": """\
                services:
                  web:
                    build:
                      context: .
                    command: sh -c "nginx && gunicorn mysite.wsgi"
            """
        },
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ032", "docker-compose.yml", 5)]
    assert "the command of compose service 'web'" in findings[0].message


def test_process_manager_in_a_stage_the_api_is_built_from(make_project):
    dockerfile = """\
        FROM python:3.12-slim AS base
        RUN apt-get update && apt-get install -y supervisor

        FROM base AS api
        COPY . /app
        RUN pip install --no-cache-dir -r /app/requirements.txt
        CMD ["gunicorn", "mysite.wsgi"]
    """
    findings = findings_of(item03, project_with(make_project, {"Dockerfile": dockerfile}))
    assert codes(findings) == [("DJ031", "Dockerfile", 2)]


# -- DJ033 uwsgi, DJ034 no app server -------------------------------------------------------------


def test_uwsgi_serves_the_app(make_project):
    dockerfile = GOOD.replace(
        '["gunicorn", "mysite.wsgi:application", "--bind", "0.0.0.0:8000"]',
        '["uwsgi", "--http", ":8000", "--module", "mysite.wsgi"]',
    )
    project = project_with(
        make_project,
        {"Dockerfile": dockerfile, "requirements.txt": "Django==5.2\nuWSGI==2.0\n"},
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [
        ("DJ033", "Dockerfile", 5),
        ("DJ034", "requirements.txt", 1),
    ]
    assert "serves the app with uWSGI" in findings[0].message
    assert "uwsgi is declared" in findings[1].message


def test_no_app_server_declared(make_project):
    project = project_with(make_project, {"requirements.txt": "requests==2.32\nDjango==5.2\n"})
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ034", "requirements.txt", 2)]
    assert "add gunicorn (or uvicorn/daphne for ASGI) to requirements.txt" in findings[0].message


def test_no_app_server_for_a_channels_project(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": None,
            "mysite/settings.py": SETTINGS + '    ASGI_APPLICATION = "mysite.asgi.application"\n',
            "Pipfile": '[packages]\ndjango = "*"\nchannels = "*"\n',
            "requirements.txt": None,
        },
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ034", "Pipfile", 2)]
    assert "add daphne (ASGI_APPLICATION is set and channels is installed) to Pipfile" in (
        findings[0].message
    )


def test_no_app_server_names_the_dependency_file_by_its_path(make_project):
    project = project_with(
        make_project, {"requirements.txt": None, "requirements/base.txt": "Django==5.2\n"}
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ034", "requirements/base.txt", 1)]
    assert findings[0].message.endswith("to requirements/base.txt")


def test_app_server_only_in_a_dependency_group(make_project):
    # the group is installed only when asked for (`uv sync --group docker`): the finding says
    # where the server is, not that there is none
    pyproject = (
        '[project]\nname = "mysite"\ndependencies = [\n    "django~=6.0.7",\n]\n\n'
        '[dependency-groups]\ndocker = [\n    "gunicorn~=26.0.0",\n]\n'
    )
    project = project_with(
        make_project,
        {"Dockerfile": None, "requirements.txt": None, "pyproject.toml": pyproject},
    )
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ034", "pyproject.toml", 4)]
    assert findings[0].message == (
        "pyproject.toml declares gunicorn~=26.0.0 only in [dependency-groups] docker, which an "
        "install of the project's dependencies leaves out: add it to [project].dependencies"
    )


def test_no_dependency_file_at_all(make_project):
    project = project_with(make_project, {"Dockerfile": None, "requirements.txt": None})
    findings = findings_of(item03, project)
    assert codes(findings) == [("DJ034", None, None)]
    assert "no dependency file declares an app server" in findings[0].message


# -- test projects --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["deploy_ready", "split_settings", "asgi_channels", "celery_services"]
)
def test_projects_that_pass(name):
    assert findings_of(item03, discover(PROJECTS / name)) == []


def test_legacy_single():
    findings = findings_of(item03, discover(PROJECTS / "legacy_single"))
    assert codes(findings) == [
        ("DJ030", "Dockerfile", 17),
        ("DJ030", "entrypoint.sh", 4),
        ("DJ034", "requirements.txt", 1),
    ]
    assert "compose service 'web'" in findings[1].message


def test_manage_subfolder():
    findings = findings_of(item03, discover(PROJECTS / "manage_subfolder"))
    assert codes(findings) == [
        ("DJ031", "Dockerfile", 6),
        ("DJ031", "Dockerfile", 22),
        ("DJ032", "Dockerfile", 6),
        ("DJ032", "deploy/supervisord.conf", 12),
    ]


def test_example_project():
    project = discover(PROJECTS.parent.parent / "examples" / "legacy_project")
    findings = findings_of(item03, project)
    # the CMD runs through ENTRYPOINT entrypoint.sh, whose `exec "$@"` starts it
    assert codes(findings) == [("DJ030", "Dockerfile", 18)]
    assert "gunicorn bookshelf.wsgi:application" in findings[0].message
