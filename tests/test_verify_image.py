"""Step 8 of `djfix verify --image`: the api and static images build, and the api image boots
on an empty database and answers /health and /common/health."""

from __future__ import annotations

import sys

import pytest

from fixer import verify_image
from fixer.verify import verify_project
from tests.conftest import PROJECTS
from tests.test_images import NGINX_BASE, PYTHON_BASE, missing_builder
from tests.test_verify_database_runs import Postgres, given_database


def test_no_builder_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert verify_image.builder() is None


def test_the_build_gets_the_builders_configuration_not_the_projects_variables():
    passed = [
        name
        for name in (
            "CONTAINERS_STORAGE_CONF",
            "BUILDAH_LAYERS",
            "DOCKER_HOST",
            "XDG_RUNTIME_DIR",
            "PATH",
            "SECRET_KEY",
            "DATABASE_URL",
            "AWS_SECRET_ACCESS_KEY",
        )
        if verify_image.builder_variable(name)
    ]
    assert passed == [
        "CONTAINERS_STORAGE_CONF",
        "BUILDAH_LAYERS",
        "DOCKER_HOST",
        "XDG_RUNTIME_DIR",
        "PATH",
    ]


def test_the_image_step_runs_only_when_asked():
    report = verify_project(PROJECTS / "deploy_ready", python=sys.executable, only={8})
    assert [(s.number, s.status, s.reason) for s in report.steps] == [
        (8, "skipped", "not requested (--image)")
    ]


@pytest.mark.slow
@pytest.mark.container
def test_deploy_ready_images_build_and_the_api_boots_on_an_empty_database(
    monkeypatch,
):
    """With --database-url the run has a database of its own, which steps 3-5 migrate: the
    api image boots on one more, new and empty (item 10 in the image), dropped after it."""
    why = missing_builder()
    if why:
        pytest.skip(why)
    monkeypatch.setenv("BUILDAH_ISOLATION", "chroot")
    postgres = Postgres()
    try:
        with given_database(postgres) as pg_given:
            report = verify_project(
                PROJECTS / "deploy_ready",
                python=sys.executable,
                image=True,
                only={8},
                database_url=postgres.url(pg_given),
                build_args={"PYTHON_IMAGE": PYTHON_BASE, "NGINX_IMAGE": NGINX_BASE},
            )
            step = report.step(8)
            assert (step.status, step.note) == (
                "pass",
                "buildah: api and static images built;"
                " the api image booted on a new, empty database",
            ), step.reason + "\n" + step.output
            assert (
                postgres.scratch(pg_given) == []
            )  # both the run's database and the image's dropped
    finally:
        postgres.close()


def test_a_base_image_out_of_reach_is_no_verdict_on_the_dockerfile():
    from fixer.verify_image import unpulled_base

    buildah = (
        "[1/4] STEP 1/7: FROM python:3.12-slim-bookworm AS builder\n"
        "Trying to pull docker.io/library/python:3.12-slim-bookworm...\n"
        "Error: creating build container: initializing source "
        "docker://python:3.12-slim-bookworm: pinging container registry registry-1.docker.io: "
        'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on '
        "10.0.0.53:53: no such host\n"
    )
    buildkit = (
        "ERROR: failed to solve: failed to resolve source metadata for "
        "docker.io/library/python:3.12-slim: failed to do request: i/o timeout\n"
    )
    assert unpulled_base(buildah) == "python:3.12-slim-bookworm"
    assert unpulled_base(buildkit) == "docker.io/library/python:3.12-slim"


def test_a_wrong_base_image_or_a_failing_step_is_the_dockerfiles_failure():
    from fixer.verify_image import unpulled_base

    assert (
        unpulled_base("ERROR: pull access denied for nosuchimage, repository does not exist\n")
        is None
    )
    assert (
        unpulled_base("RUN pip install -r requirements.txt\nERROR: No matching distribution\n")
        is None
    )
