from __future__ import annotations

import pytest

from fixer.checks import item02_image as item02
from fixer.discovery import discover
from tests.conftest import PROJECTS, findings_of

SETTINGS = """\
    SECRET_KEY = "x"
    INSTALLED_APPS = ["django.contrib.auth"]
    WSGI_APPLICATION = "mysite.wsgi.application"
"""
MULTI_STAGE = """\
    FROM python:3.12-slim AS builder
    RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev
    COPY requirements.txt .
    RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r requirements.txt

    FROM python:3.12-slim AS api
    RUN apt-get update && apt-get install -y --no-install-recommends libpq5
    COPY --from=builder /venv /venv
    COPY . /app
    CMD ["/venv/bin/gunicorn", "mysite.wsgi:application"]
"""


def project_with(make_project, dockerfile: str | bytes | None, **files: str):
    tree: dict[str, str | bytes | None] = {
        "mysite/settings.py": SETTINGS,
        "requirements.txt": "Django==5.2\ngunicorn==23.0.0\n",
        "Dockerfile": dockerfile,
    }
    tree.update({k.replace("__", "/"): v for k, v in files.items()})
    return make_project(tree)


def codes(findings) -> list[tuple[str, int | None]]:
    return [(f.code, f.line) for f in findings]


# -- nothing to report ----------------------------------------------------------------------------


def test_multi_stage_with_toolchain_only_in_the_builder(make_project):
    assert findings_of(item02, project_with(make_project, MULTI_STAGE)) == []


@pytest.mark.parametrize(
    "base",
    [
        "python:3.12-alpine",
        "python:3.12-slim-bookworm",
        "debian:bookworm-slim",
        "gcr.io/distroless/python3-debian12",
        "cgr.dev/chainguard/python:latest",
    ],
)
def test_minimal_bases(make_project, base):
    dockerfile = MULTI_STAGE.replace("FROM python:3.12-slim AS api", f"FROM {base} AS api")
    assert findings_of(item02, project_with(make_project, dockerfile)) == []


def test_base_from_an_arg_default(make_project):
    dockerfile = "ARG PYTHON_IMAGE=python:3.12-slim\n" + MULTI_STAGE.replace(
        "FROM python:3.12-slim AS api", "FROM ${PYTHON_IMAGE} AS api"
    )
    assert findings_of(item02, project_with(make_project, dockerfile)) == []


@pytest.mark.parametrize("base", ["registry.example.com/platform/django-base:7", "${BASE}"])
def test_base_djfix_does_not_know_is_not_judged(make_project, base):
    dockerfile = "ARG BASE\n" + MULTI_STAGE.replace(
        "FROM python:3.12-slim AS api", f"FROM {base} AS api"
    )
    assert findings_of(item02, project_with(make_project, dockerfile)) == []


def test_toolchain_purged_in_the_same_run(make_project):
    # Installed and removed in one RUN: the compiler never lands in a layer.
    dockerfile = """\
        FROM python:3.12-slim AS builder
        RUN echo build

        FROM python:3.12-slim
        COPY --from=builder /etc/hostname /tmp/
        COPY requirements.txt .
        RUN apt-get update \\
            && apt-get install -y --no-install-recommends gcc libpq-dev \\
            && pip install --no-cache-dir -r requirements.txt \\
            && apt-get purge -y --auto-remove gcc libpq-dev
        CMD ["gunicorn", "mysite.wsgi"]
    """
    assert findings_of(item02, project_with(make_project, dockerfile)) == []


def test_official_image_apt_mark_pattern(make_project):
    dockerfile = """\
        FROM python:3.12-slim AS builder
        RUN echo build

        FROM python:3.12-slim
        COPY --from=builder /etc/hostname /tmp/
        RUN savedAptMark="$(apt-mark showmanual)"; \\
            apt-get update; apt-get install -y --no-install-recommends gcc libpq-dev; \\
            pip install --no-cache-dir psycopg2; \\
            apt-mark auto '.*' > /dev/null; apt-mark manual $savedAptMark; \\
            apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false
    """
    assert findings_of(item02, project_with(make_project, dockerfile)) == []


def test_apk_virtual_package_deleted_in_the_same_run(make_project):
    dockerfile = """\
        FROM python:3.12-alpine AS builder
        RUN echo build

        FROM python:3.12-alpine
        COPY --from=builder /etc/hostname /tmp/
        ENV BUILD_DEPS="gcc musl-dev postgresql-dev"
        RUN apk add --no-cache --virtual .build-deps $BUILD_DEPS \\
            && pip install --no-cache-dir psycopg2 \\
            && apk del .build-deps
    """
    assert findings_of(item02, project_with(make_project, dockerfile)) == []


@pytest.mark.parametrize(
    "run",
    [
        "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt",
        "RUN PIP_NO_CACHE_DIR=1 pip install -r requirements.txt",
        "RUN pip install -r requirements.txt && rm -rf /root/.cache",
        "RUN uv pip install --system --no-cache -r requirements.txt",
    ],
)
def test_pip_cache_kept_out_of_the_image(make_project, run):
    dockerfile = MULTI_STAGE.replace("COPY . /app", f"COPY . /app\n    {run}")
    assert findings_of(item02, project_with(make_project, dockerfile)) == []


def test_pip_no_cache_dir_env(make_project):
    dockerfile = MULTI_STAGE.replace(
        "COPY . /app", "ENV PIP_NO_CACHE_DIR=1\n    COPY . /app\n    RUN pip install -r x.txt"
    )
    assert findings_of(item02, project_with(make_project, dockerfile)) == []


def test_dev_requirements_in_a_stage_the_image_does_not_use(make_project):
    dockerfile = MULTI_STAGE.replace(
        "FROM python:3.12-slim AS api",
        "FROM builder AS test\n    RUN pip install --no-cache-dir -r requirements-dev.txt\n\n"
        "    FROM python:3.12-slim AS api",
    )
    assert findings_of(item02, project_with(make_project, dockerfile)) == []


@pytest.mark.parametrize("install", ["poetry install --only main", "poetry install"])
def test_poetry_without_dev_dependencies(make_project, install):
    # Without dev groups, a plain `poetry install` installs only the main dependencies.
    dockerfile = MULTI_STAGE.replace(
        "/venv/bin/pip install --no-cache-dir -r requirements.txt", install
    )
    project = project_with(
        make_project,
        dockerfile,
        **{"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.12"\ndjango = "^5.2"\n'},
    )
    assert findings_of(item02, project) == []


# -- findings -------------------------------------------------------------------------------------


def test_no_dockerfile(make_project):
    findings = findings_of(item02, project_with(make_project, None))
    assert [(f.code, f.path, f.line) for f in findings] == [("DJ025", None, None)]
    assert "no Dockerfile at the repository root" in findings[0].message


def test_dockerfile_without_from(make_project):
    findings = findings_of(item02, project_with(make_project, "RUN echo\n"))
    assert [(f.code, f.path) for f in findings] == [("DJ025", "Dockerfile")]
    assert "cannot read the stages" in findings[0].message


def test_single_stage_full_image_with_toolchain(make_project):
    dockerfile = """\
        FROM python:3.12
        RUN apt-get update && apt-get install -y build-essential libpq-dev git
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        CMD ["gunicorn", "mysite.wsgi"]
    """
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ020", 1), ("DJ021", 1), ("DJ022", 2), ("DJ023", 4)]
    assert "single stage" in findings[0].message
    assert "python:3.12-slim" in findings[1].message
    assert "(build-essential, libpq-dev, git)" in findings[2].message
    assert "--no-cache-dir" in findings[3].message


def test_full_bookworm_base_suggests_the_slim_bookworm_tag(make_project):
    dockerfile = MULTI_STAGE.replace(
        "FROM python:3.12-slim AS api", "FROM python:3.11-bookworm AS api"
    )
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ021", 6)]
    assert "python:3.11-slim-bookworm" in findings[0].message


@pytest.mark.parametrize("base", ["ubuntu:24.04", "debian:bookworm", "python", "python:3"])
def test_full_distribution_bases(make_project, base):
    dockerfile = MULTI_STAGE.replace("FROM python:3.12-slim AS api", f"FROM {base} AS api")
    assert codes(findings_of(item02, project_with(make_project, dockerfile))) == [("DJ021", 6)]


def test_full_base_from_an_arg_default(make_project):
    dockerfile = "ARG PY=3.12\n" + MULTI_STAGE.replace(
        "FROM python:3.12-slim AS api", "FROM python:${PY} AS api"
    )
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ021", 7)]
    assert "python:${PY} resolves to python:3.12" in findings[0].message


def test_final_stage_built_from_the_builder(make_project):
    dockerfile = """\
        FROM python:3.12 AS builder
        RUN apt-get update && apt-get install -y gcc
        RUN pip install --no-cache-dir -r requirements.txt

        FROM builder AS final
        COPY . /app
        CMD ["gunicorn", "mysite.wsgi"]
    """
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ020", 5), ("DJ021", 1), ("DJ022", 2)]
    assert "is built FROM builder, so it keeps everything" in findings[0].message
    assert "which stage 'final' is built FROM" in findings[1].message
    assert "in stage builder, which stage 'final' is built FROM" in findings[2].message


def test_final_stage_copies_nothing_from_the_others(make_project):
    dockerfile = """\
        FROM node:20 AS assets
        RUN npm run build

        FROM python:3.12-slim
        RUN pip install --no-cache-dir -r requirements.txt
    """
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ020", 4)]
    assert "copies nothing from the other stages" in findings[0].message


def test_toolchain_on_a_continuation_line(make_project):
    dockerfile = MULTI_STAGE.replace(
        "libpq5",
        "\\\n        libpq5 \\\n        # compilers\n        gcc g++-12 python3-dev",
    )
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ022", 10)]
    assert "(gcc, g++-12, python3-dev)" in findings[0].message


def test_toolchain_removed_only_in_a_later_run(make_project):
    # The earlier layer still holds the compiler.
    dockerfile = MULTI_STAGE.replace("libpq5", "libpq5 gcc\n    RUN apt-get purge -y gcc")
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ022", 7)]


def test_rust_toolchain(make_project):
    dockerfile = MULTI_STAGE.replace(
        "COPY . /app", "RUN curl https://sh.rustup.rs -sSf | sh -s -- -y\n    COPY . /app"
    )
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ022", 9)]
    assert "rustup (cargo, rustc)" in findings[0].message


def test_pip_cache(make_project):
    dockerfile = MULTI_STAGE.replace(
        "COPY . /app", "COPY . /app\n    RUN python -m pip install gunicorn"
    )
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ023", 10)]
    assert "`python -m pip install gunicorn` keeps pip's download cache in stage 'api'" in (
        findings[0].message
    )


def test_uv_cache(make_project):
    dockerfile = MULTI_STAGE.replace(
        "COPY . /app", "COPY . /app\n    RUN uv pip install --system -r requirements.txt"
    )
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ023", 10)]
    assert "add --no-cache (or set ENV UV_NO_CACHE=1)" in findings[0].message


@pytest.mark.parametrize(
    ("install", "why"),
    [
        ("pip install --no-cache-dir -r requirements-dev.txt", "installs requirements-dev.txt"),
        ("pip install --no-cache-dir -r requirements/local.txt", "requirements/local.txt"),
        ('pip install --no-cache-dir -e ".[dev]"', "installs the extras .[dev]"),
        ("pipenv install --system --dev", "dev-packages"),
        ("uv sync --frozen --no-cache", "`uv sync` installs the dev dependency group"),
    ],
)
def test_dev_dependencies_in_the_final_stage(make_project, install, why):
    dockerfile = MULTI_STAGE.replace("COPY . /app", f"COPY . /app\n    RUN {install}")
    project = project_with(
        make_project,
        dockerfile,
        **{"pyproject.toml": '[dependency-groups]\ndev = ["pytest"]\n'},
    )
    findings = findings_of(item02, project)
    assert codes(findings) == [("DJ024", 10)]
    assert why in findings[0].message


def test_dev_dependencies_in_the_builder_the_image_copies(make_project):
    dockerfile = MULTI_STAGE.replace(
        "-r requirements.txt", "-r requirements.txt -r requirements-dev.txt"
    )
    findings = findings_of(item02, project_with(make_project, dockerfile))
    assert codes(findings) == [("DJ024", 4)]
    assert "in stage builder, which stage 'api' uses" in findings[0].message


def test_poetry_install_with_a_dev_group(make_project):
    dockerfile = MULTI_STAGE.replace(
        "/venv/bin/pip install --no-cache-dir -r requirements.txt", "poetry install --no-root"
    )
    pyproject = (
        '[tool.poetry.dependencies]\ndjango = "^5.2"\n\n'
        '[tool.poetry.group.dev.dependencies]\npytest = "*"\n'
    )
    project = project_with(make_project, dockerfile, **{"pyproject.toml": pyproject})
    findings = findings_of(item02, project)
    assert codes(findings) == [("DJ024", 4)]
    assert "every non-optional group" in findings[0].message


# -- test projects --------------------------------------------------------------------------------


def test_deploy_ready_passes():
    assert findings_of(item02, discover(PROJECTS / "deploy_ready")) == []


def test_legacy_single():
    findings = findings_of(item02, discover(PROJECTS / "legacy_single"))
    assert codes(findings) == [("DJ020", 1), ("DJ021", 1), ("DJ022", 5), ("DJ023", 11)]
    assert "(build-essential, libpq-dev)" in findings[2].message


def test_manage_subfolder():
    findings = findings_of(item02, discover(PROJECTS / "manage_subfolder"))
    assert codes(findings) == [("DJ020", 1), ("DJ021", 1), ("DJ022", 6)]
    assert "(default-libmysqlclient-dev, pkg-config)" in findings[2].message


def test_example_project():
    project = discover(PROJECTS.parent.parent / "examples" / "legacy_project")
    findings = findings_of(item02, project)
    assert codes(findings) == [("DJ020", 1), ("DJ021", 1), ("DJ022", 6), ("DJ023", 11)]
    assert "(gcc, libpq-dev)" in findings[2].message


@pytest.mark.parametrize("name", ["split_settings", "asgi_channels", "celery_services"])
def test_projects_without_a_dockerfile(name):
    assert codes(findings_of(item02, discover(PROJECTS / name))) == [("DJ025", None)]
