"""The container images of every fixed test project build, serve, and hold no build tools
(items 1-4).

Every test project (tests/projects/ and tests/projects/containers/) is copied into git and
`djfix apply`-ed; the Dockerfile apply leaves at the root (generated, or the project's own where it
passes the checklist: deploy_ready's) is built with buildah, its final `api` stage and its `static`
stage, on locally made stand-in bases (the official images cannot be pulled here;
tests/container_base.sh makes the stand-ins: Python 3.11, nginx, node). `deploy_ready+generated`
is deploy_ready with the generator's Dockerfile in place of its own
(`fixer.fixes.item01_dockerfile.render`).
Then, for every project:

- the api image's own command (entrypoint + CMD, its user and working directory) runs on the host
  network and answers GET /health with 200 on a brand-new empty database (PostgreSQL, MariaDB for
  the MySQL project);
- the static image's own command (nginx) serves a collected file, byte for byte;

and for one project per shape of the final stage (FULL_CHECKS: wheels only, psycopg2 and
mysqlclient built from source, the Alpine/uvicorn image carried over):

- the image's HEALTHCHECK, run against the serving api, passes;
- the final stage has no compiler, no *-dev package and no pip cache, and runs as a numeric
  non-root user.

Every image is built on the stand-in Python 3.11, whatever Python the Dockerfile names, except
python:3.7 (an old Django's, legacy_single's), built on the stand-in Python 3.7 (pyenv's build of
this machine, tests/container_base.sh; skipped, saying so, where it is missing); a project that
cannot run there is in NOT_BUILT with the reason, and skipped saying so. A build costs
about 35 seconds on overlay storage, the static stage reusing the api build's cached builder
stage (--layers), and two to three minutes on vfs storage (2 cores), which copies the whole file
system at every step: tests/container_base.sh picks overlay where the kernel mounts it. On vfs, the
projects whose image has the shape of another one (SAME_SHAPE, each with what is its own) are
skipped saying so unless DJFIX_BUILD_ALL_IMAGES=1 (=0 skips them on overlay too).
Skipped, with the reason printed, when buildah, podman or a stand-in base is missing.
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

from tests import test_apply_projects, test_runtime_projects
from tests.conftest import PROJECTS
from tests.test_runtime_projects import environment, free_port

PYTHON_BASE = os.environ.get("STANDIN_PYTHON_IMAGE", "localhost/standin-python:3.11-slim")
#: stand-in bases for the Pythons a Dockerfile names that 3.11 cannot stand in for
PYTHON_BASES = {
    "3.7": os.environ.get("STANDIN_PYTHON37_IMAGE", "localhost/standin-python:3.7-slim"),
}
NGINX_BASE = os.environ.get("STANDIN_NGINX_IMAGE", "localhost/standin-nginx:bookworm")
NODE_BASE = os.environ.get("STANDIN_NODE_IMAGE", "localhost/standin-node:bookworm")
#: the tests' own container storage, made by tests/container_base.sh: its driver and folders
STORAGE_CONF = Path(os.environ.get("DJFIX_TEST_STORAGE", "/var/lib/djfix-tests")) / "storage.conf"


def storage_driver(conf: Path = STORAGE_CONF) -> str | None:
    try:
        text = conf.read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r'^driver\s*=\s*"([^"]+)"', text, flags=re.MULTILINE)
    return found[1] if found else None


#: buildah and podman (and djfix verify's image step) use that storage through the environment
#: variable the tests set (tests/conftest.py)
STORAGE: list[str] = []
#: overlay keeps a build step as the change it made: the builder stage cached by the api build is
#: reused by the static build and by the next project with the same steps (vfs copies the whole
#: file system for every cached step, which costs more than building the stage twice)
LAYERS = ["--layers"] if storage_driver() == "overlay" else []
RUN = ["buildah", *STORAGE, "run", "--isolation", "chroot"]
BUILD_TIMEOUT = 900  # seconds, per build
#: deploy_ready with the generator's Dockerfile (apply keeps the project's own)
GENERATED = "+generated"


def project_names() -> list[str]:
    """Every test project: the folders of tests/projects/ that are a repository's root, and the
    container shapes under tests/projects/containers/."""
    top = [p.name for p in PROJECTS.iterdir() if p.is_dir() and (p / ".gitignore").exists()]
    shapes = [f"containers/{p.name}" for p in (PROJECTS / "containers").iterdir() if p.is_dir()]
    return sorted(top + shapes)


CASES = sorted([*project_names(), "deploy_ready" + GENERATED])
#: projects whose images are not built here, with the reason (the shape it names)
NOT_BUILT: dict[str, str] = {
    "class_settings": (
        "settings djfix reports as not fixed (the class ATLAS_ENV names is copied into"
        " globals()): DATABASES stays SQLite at BASE_DIR/db.sqlite3, inside the image, where the"
        " image's non-root user cannot create the file, so /health answers 503 (its images"
        " build)"
    ),
}
#: projects not built on vfs storage unless DJFIX_BUILD_ALL_IMAGES=1 (there a project costs its
#: two builds, api and static, each redoing the builder stage, and removing its images: measured
#: 2.6 minutes for branch_databases on 2 busy cores; two builds at once took as long as one after
#: the other, and a shared pip cache cannot help, since the generated Dockerfile installs with
#: PIP_NO_CACHE_DIR): their images have the shape of one built in every run (gunicorn on a WSGI
#: module, wheels from requirements.txt, as piecewise_engine); what is their own is in
#: their settings or apps, which tests/test_runtime_projects.py proves under the same gunicorn.
#: On overlay storage (about 35 seconds a project) they are built like the others.
SAME_SHAPE: dict[str, str] = {
    "branch_databases": "DATABASES chosen by an if on sys.argv and USE_SQLITE",
    "computed_lists": "INSTALLED_APPS and MIDDLEWARE returned by a helper",
    "discovered_apps": "apps listed from the file system at run time",
    "env_helpers": "settings read through the project's own os.getenv wrappers",
    "half_ready": "settings already on django-environ, its single-stage Dockerfile replaced",
    "kept_results": "ready() keeps query results in attributes and globals",
    "legacy_reads": "os.environ reads of many shapes, some under DJANGO_ names",
    "plugin_apps": "INSTALLED_APPS built from other modules",
    "probe_first": "ready() opens a connection itself; loggers disabled",
    "install_paths": (
        "STATIC_ROOT computed by the project's own paths helper (public/static), which apply"
        " asks the project for: the static stage copies /app/public/static, where the"
        " collectstatic stage writes (verify's step 7 runs that command and looks in that"
        " folder: tests/test_static_root_computed.py)"
    ),
}
ALL_IMAGES = os.environ.get("DJFIX_BUILD_ALL_IMAGES", "1" if LAYERS else "0") == "1"
#: one project per shape of the final stage, with the runtime library its source-built
#: dependency needs (if any): these also run the HEALTHCHECK and look for build tools
FULL_CHECKS = {
    "deploy_ready" + GENERATED: None,
    "celery_services": "libpq5",
    # an Alpine image serving uvicorn: its packages under their Debian names, uvicorn kept
    "containers/uvicorn_alpine": "libpq5",
    # mysqlclient built from source in the builder, its client library alone in the final stage
    "manage_subfolder": "libmariadb3",
}
#: projects that commit collected files no app ships (STATIC_ROOT in git, with a front-end
#: build's output and the manifest): the page that links one, and the file
COMMITTED_STATIC = {"containers/committed_static": ("/", "ledger/css/app.54a10dd82aea.css")}
# the file served where a project collects it (every project with django.contrib.admin does)
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


def missing_builder(*bases: str) -> str | None:
    """Why the container tests cannot run here, or None: a tool or a stand-in base (the Python and
    nginx ones, and `bases`) is missing."""
    for tool in ("buildah", "podman"):
        if not shutil.which(tool):
            return f"{tool} is not installed (tests/container_base.sh installs it, as root)"
    for base in (PYTHON_BASE, NGINX_BASE, *bases):
        if not image_exists(base):
            how = " from pyenv's Python 3.7" if base == PYTHON_BASES["3.7"] else ""
            return f"stand-in base image {base} is missing (tests/container_base.sh builds it{how})"
    return None


def require_builder(*bases: str) -> None:
    reason = missing_builder(*bases)
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


def applied_project(name: str, workdir: Path) -> Path:
    """Copy the test project into a git repo under workdir and `djfix apply` it: its Dockerfile is
    the one apply leaves (generated, or the project's own where kept)."""
    from typer.testing import CliRunner

    from fixer.cli import app
    from tests.test_apply_projects import apply_argv, copy_into_git

    repo = copy_into_git(name, workdir)
    result = CliRunner().invoke(app, apply_argv(name, repo), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    assert (repo / "Dockerfile").is_file(), (
        f"djfix apply left no Dockerfile in {name}: list it in NOT_BUILT with the reason\n"
        + result.output
    )
    return repo


def prepare_project(name: str, workdir: Path) -> Path:
    """Copy the test project into a git repo under workdir, `djfix apply` it, and put the
    generator's files at its root (in place of a Dockerfile apply kept)."""
    repo = applied_project(name, workdir)
    for rel, text in generated_files(repo).items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    return repo


def case_project(case: str, workdir: Path) -> Path:
    """The repository a case builds: `NAME+generated` with the generator's files, else as
    applied."""
    if case.endswith(GENERATED):
        return prepare_project(case.removesuffix(GENERATED), workdir)
    return applied_project(case, workdir)


def build_args(repo: Path) -> dict[str, str]:
    """The stand-in bases for the base-image arguments the Dockerfile declares."""
    dockerfile = (repo / "Dockerfile").read_text()
    declared = re.findall(r"^ARG\s+(\w+)", dockerfile, flags=re.MULTILINE)
    named = re.search(r"^ARG\s+PYTHON_IMAGE=python:(\d+\.\d+)", dockerfile, flags=re.MULTILINE)
    python = PYTHON_BASES.get(named[1], PYTHON_BASE) if named else PYTHON_BASE
    bases = {"PYTHON_IMAGE": python, "NGINX_IMAGE": NGINX_BASE, "NODE_IMAGE": NODE_BASE}
    return {arg: base for arg, base in bases.items() if arg in declared}


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
    """Build the api (final) stage, then the static stage, with --layers on overlay storage (the
    static build reuses the builder stage; measured: 2 s instead of about 80). Not on vfs, where
    every cached step is a full copy of the file system, which costs more than building the
    builder stage twice (measured: a cached rebuild of a wheels-only api image took 185 s against
    24 s without --layers)."""
    slug = re.sub(r"[_/+]", "-", name)
    tag = f"localhost/djfix-test-{slug}-{uuid.uuid4().hex[:8]}"
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
        *LAYERS,
    ]
    for arg, base in build_args(repo).items():
        common += ["--build-arg", f"{arg}={base}"]
    try:
        for key, target in (("api", []), ("static", ["--target", "static"])):
            start = time.monotonic()
            buildah(*common, *target, "-t", getattr(built, key), str(repo), timeout=BUILD_TIMEOUT)
            built.seconds[key] = time.monotonic() - start
    except BaseException:
        remove_images(built)  # the api image of a failed static build is not left behind
        raise
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
def run_image(image: str, env: dict[str, str], volumes: tuple[Path, ...] = ()) -> Iterator[Running]:
    """Run the image's own entrypoint + CMD on the host network, with `volumes` mounted at their
    own paths; always stopped and removed."""
    config = image_config(image)
    argv = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    assert argv, f"{image} has no command"
    container = buildah("from", "--quiet", image).strip()
    try:
        flags = [f"-e={key}={value}" for key, value in env.items()]
        flags += [f"-v={path}:{path}" for path in volumes]
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


@contextlib.contextmanager
def mounted(image: str) -> Iterator[Path]:
    """The file system of `image`, mounted read-only on the host: no container is made."""
    mount = ["podman", *STORAGE, "image"]
    root = subprocess.run(
        [*mount, "mount", image], capture_output=True, text=True, timeout=120, check=True
    ).stdout.strip()
    try:
        yield Path(root)
    finally:
        subprocess.run([*mount, "unmount", image], capture_output=True, timeout=120, check=False)


def collected_file(built: Built) -> tuple[str, bytes] | None:
    """A file the static image serves under /static/ (COLLECTED where the project collects it),
    and its bytes as the api image holds it (Django's copy in the venv, or the project's own file
    in the app): None where the project collects no file."""
    with mounted(built.static) as root:
        served = root / "usr/share/nginx/html/static"
        files = sorted(p.relative_to(served).as_posix() for p in served.rglob("*") if p.is_file())
    if not files:
        return None
    rel = COLLECTED if COLLECTED in files else files[0]
    with mounted(built.api) as root:
        sources = [
            *root.glob(f"opt/venv/lib/python3*/site-packages/**/static/{rel}"),
            *root.glob(f"app/**/static/{rel}"),
        ]
        assert sources, f"{built.name}: no static/{rel} in the api image to compare with"
        return rel, sources[0].read_bytes()


#: seconds nginx in the static image may take to answer: as long as the api image gets, for a
#: machine busy with other builds
STATIC_START = 90


def port_free(port: int) -> bool:
    """Nothing listens on the port. Bound with SO_REUSEADDR, as nginx and gunicorn bind: the
    connections the previous project's server closed stay in TIME_WAIT for a minute, which a
    plain bind takes for a listener (seen as "port 80 taken" between two static images)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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


def skip_not_built(name: str) -> None:
    if name in NOT_BUILT:
        print(f"{name}: images not built: {NOT_BUILT[name]}")
        pytest.skip(NOT_BUILT[name])
    if name in SAME_SHAPE and not ALL_IMAGES:
        pytest.skip(
            f"wsgi + requirements.txt image, the shape piecewise_engine's is built in; its own"
            f" shape ({SAME_SHAPE[name]}) is proven by test_runtime_projects.py:"
            " DJFIX_BUILD_ALL_IMAGES=1 builds it"
        )


@pytest.mark.parametrize("name", CASES)
def test_dockerfile_stages_in_order(name, tmp_path):
    """After apply every project has a Dockerfile of the generated shape: base images as build
    arguments before the first FROM, and builder, collectstatic, static, api (the last) stages."""
    repo = case_project(name, tmp_path)
    dockerfile = (repo / "Dockerfile").read_text(encoding="utf-8")
    head = dockerfile.split("\nFROM ", 1)[0]
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.\d+-slim-bookworm$", head, re.MULTILINE)
    assert re.search(r"^ARG NGINX_IMAGE=nginx:\S+$", head, re.MULTILINE)
    stages = stage_names(dockerfile)
    assert stages[-1] == "api"
    assert {"builder", "collectstatic", "static"} <= set(stages)


@pytest.fixture(scope="module", autouse=True)
def _drop_build_cache() -> Iterator[None]:
    """The cached build steps (--layers) serve every project of this module; dropped after it
    (the stand-in bases are tagged and stay)."""
    yield
    if LAYERS and shutil.which("buildah"):
        buildah("rmi", "--prune", timeout=600, check=False)


@pytest.fixture(scope="module")
def built(request, tmp_path_factory) -> Iterator[Built]:
    """The api and static images of one case (the test's `built` parameter), built once for all
    the tests of that case and removed after them."""
    name = request.param
    skip_not_built(name)
    require_builder()
    repo = case_project(name, tmp_path_factory.mktemp(re.sub(r"[/+]", "-", name)))
    require_builder(*build_args(repo).values())
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


def own_variables(name: str, database: str) -> dict[str, str]:
    """What a project reads under names of its own, as its deployment sets them."""
    if name == "piecewise_engine":  # the database piece by piece (SQL_HOST...)
        return {
            "SQL_ENGINE": "django.db.backends.postgresql",
            "SQL_DATABASE": database.split(":")[0],
            "SQL_USER": "postgres",
            "SQL_PASSWORD": "",
            "SQL_HOST": "127.0.0.1",
            "SQL_PORT": "5432",
            "DJANGO_ALLOWED_HOSTS": "example.com",
        }
    if name == "containers/env_named":  # required at import, under the team's own names
        return {
            "DJANGO_SECRET_KEY": "k" + uuid.uuid4().hex * 2,
            "DJANGO_DEBUG": "False",
            "DJANGO_ALLOWED_HOSTS": "example.com",
            "SUPPORT_EMAIL": "support@example.com",
            "MAX_UPLOAD_MB": "10",
        }
    return {}


def api_environment(built: Built, database: str, search_url: str, monkeypatch) -> dict[str, str]:
    """The runtime suite's environment for the built project. Its MySQL lookup reads the test
    project by folder name: the shapes under containers/ are looked up at their own path. The
    variables a project reads under its own names are passed too (the runtime suite leaves
    piecewise_engine's database variables to tests/test_verify_shapes.py)."""
    from fixer.discovery import discover

    name = built.name.removesuffix(GENERATED)

    def uses_mysql(project) -> bool:
        return any(s.kind == "mysql" for s in discover(PROJECTS / name).services)

    monkeypatch.setattr(test_runtime_projects, "uses_mysql", uses_mysql)
    monkeypatch.setattr(test_runtime_projects, "OWN_DATABASE_VARIABLES", set())
    env = environment(discover(built.repo), database, search_url, ALLOWED_HOSTS="example.com")
    own = {**test_apply_projects.project_env(name), **own_variables(name, database)}
    return {key: env[key] for key in PASSED_ENV if key in env} | own


def database_driver(built: Built) -> str:
    """The database the api image can reach: "postgresql" or "mysql" where its venv has the
    driver, else "sqlite" (a project that declares no server database driver, as asgi_channels
    with its Pipfile: its settings default to SQLite)."""
    with mounted(built.api) as root:
        names = {
            p.name.lower()
            for site in root.glob("opt/venv/lib/python3*/site-packages")
            for p in site.iterdir()
        }
    if any(n.startswith("psycopg") for n in names):
        return "postgresql"
    if any(n.startswith(("mysqldb", "mysqlclient", "pymysql")) for n in names):
        return "mysql"
    return "sqlite"


def api_database(built: Built, env: dict[str, str], tmp_path: Path) -> tuple[Path, ...]:
    """Point the api at an empty SQLite file where its image has no server database driver:
    the folder is mounted into the container and writable by the image's own user. Returns the
    folders to mount."""
    if database_driver(built) != "sqlite":
        return ()
    folder = tmp_path / "database"
    folder.mkdir()
    folder.chmod(0o777)  # the image runs as its own non-root user
    env["DATABASE_URL"] = f"sqlite:///{folder}/empty.sqlite3"
    return (folder,)


def api_port(built: Built) -> tuple[int, dict[str, str]]:
    """The port the api will listen on, and the PORT to pass: a free one where the image reads
    PORT (the generated ones do), else the port it exposes (a project's own fixed --bind)."""
    config = image_config(built.api)
    if any(item.startswith("PORT=") for item in config.get("Env") or []):
        port = free_port()
        return port, {"PORT": str(port)}
    exposed = [int(p.split("/")[0]) for p in config.get("ExposedPorts") or {}]
    assert exposed, f"{built.name}: the api image neither reads PORT nor exposes a port"
    if not port_free(exposed[0]):
        pytest.fail(f"port {exposed[0]}, where the api image listens, is taken on this machine")
    return exposed[0], {}


@pytest.mark.container
@pytest.mark.parametrize("built", CASES, indirect=True)
def test_api_answers_health_on_empty_database(
    built, fresh_database, search_stand_in, monkeypatch, tmp_path
):
    xfail_if_probes_block_the_event_loop(built)
    port, wanted = api_port(built)
    wanted |= api_environment(built, fresh_database, search_stand_in, monkeypatch)
    volumes = api_database(built, wanted, tmp_path)
    with run_image(built.api, wanted, volumes) as running:
        status, body, headers = get(
            f"http://127.0.0.1:{port}/health", "example.com", running, time.monotonic() + 90
        )
        assert (status, json.loads(body)) == (200, {"status": "ok"}), running.output()
        assert "no-store" in headers.get("Cache-Control", "")


@pytest.mark.container
@pytest.mark.parametrize("built", sorted(FULL_CHECKS), indirect=True)
def test_api_healthcheck_probes_health_and_passes(
    built, fresh_database, search_stand_in, monkeypatch, tmp_path
):
    """The image's HEALTHCHECK command, run in the running api's network, exits 0."""
    check = image_healthcheck(built.api)
    assert check.get("Test", [""])[0] == "CMD" and "/health" in " ".join(check["Test"])
    xfail_if_probes_block_the_event_loop(built)
    port, wanted = api_port(built)
    wanted |= api_environment(built, fresh_database, search_stand_in, monkeypatch)
    volumes = api_database(built, wanted, tmp_path)
    with run_image(built.api, wanted, volumes) as running:
        get(f"http://127.0.0.1:{port}/health", "example.com", running, time.monotonic() + 90)
        probe = run_in_image(
            built.api, "env", f"PORT={port}", *check["Test"][1:], user=None, host_network=True
        )
        assert probe.returncode == 0, probe.stderr


@pytest.mark.container
@pytest.mark.parametrize("built", CASES, indirect=True)
def test_static_image_serves_a_collected_file(built):
    ports = [int(p.split("/")[0]) for p in image_config(built.static).get("ExposedPorts") or {}]
    port = ports[0] if ports else 80
    if not port_free(port):
        pytest.fail(f"port {port}, where the static image listens, is taken on this machine")
    collected = collected_file(built)
    if collected is None:
        # the image built (collectstatic ran with the build-only settings); nothing to serve
        pytest.skip("the project collects no static file (no app or folder ships one)")
    rel, expected = collected
    with run_image(built.static, {}) as running:
        status, body, headers = get(
            f"http://127.0.0.1:{port}/static/{rel}",
            "localhost",
            running,
            time.monotonic() + STATIC_START,
        )
    assert status == 200
    if rel.endswith(".css"):
        assert headers["Content-Type"].startswith("text/css")
    assert body == expected


@pytest.mark.container
@pytest.mark.parametrize("built", sorted(FULL_CHECKS), indirect=True)
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
    runtime = FULL_CHECKS[built.name]
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


@pytest.mark.container
@pytest.mark.parametrize("built", sorted(COMMITTED_STATIC), indirect=True)
def test_committed_static_output_reaches_both_images(
    built, fresh_database, search_stand_in, monkeypatch, tmp_path
):
    """Collected files only the repository holds (its STATIC_ROOT, committed with a front-end
    build's output) are in the build context: the api renders the page that links one (its
    manifest names the hashed file, no "Missing staticfiles manifest entry"), and the static
    image serves it as committed."""
    page, rel = COMMITTED_STATIC[built.name]
    committed = (PROJECTS / built.name / "static" / rel).read_bytes()
    port, wanted = api_port(built)
    wanted |= api_environment(built, fresh_database, search_stand_in, monkeypatch)
    volumes = api_database(built, wanted, tmp_path)
    with run_image(built.api, wanted, volumes) as running:
        status, body, _ = get(
            f"http://127.0.0.1:{port}{page}", "example.com", running, time.monotonic() + 90
        )
        assert status == 200, body.decode(errors="replace")[-2000:] + running.output()
        assert f'href="/static/{rel}"' in body.decode()
    with run_image(built.static, {}) as running:
        status, body, _ = get(
            f"http://127.0.0.1:80/static/{rel}",
            "localhost",
            running,
            time.monotonic() + STATIC_START,
        )
    assert (status, body) == (200, committed)
