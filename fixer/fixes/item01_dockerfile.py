"""The container files djfix generates for checklist items 1 to 4: a multi-stage `Dockerfile`
(builder venv, collectstatic, `static` nginx image, `api` last), `.dockerignore`, a compose file
for local runs and a README section on build, run and migrate.

What the old Dockerfile held is carried over or listed (fixer.fixes.item01_carry), existing
compose files are rewritten for the new images (fixer.fixes.item04_compose), and the
collectstatic stage gets a build-only value for every variable the settings require at import.

`render(project, options)` is pure: it reads the project model and returns {path: text}.
`ensure_container(ctx, item)` is the one fix plan items 1-4 share: the first plan that runs
generates the files, the others find them done.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import textwrap
from dataclasses import dataclass, field
from typing import Any

from codemods.dependencies.declare import add_packages
from codemods.dependencies.requirement import Package, base_name
from fixer import git, rule_codes
from fixer.analysis.app_paths import (
    IMAGE_APP_DIR,
    IMAGE_USER,
    AppPath,
    ImageLayout,
)
from fixer.analysis.compose import DEFAULT_COMPOSE_NAMES, production_compose
from fixer.analysis.database_driver import missing_drivers
from fixer.analysis.dockerignore import dockerignore_excludes, dockerignore_lets_in
from fixer.analysis.image import GENERATED_MARKER
from fixer.analysis.local_config import local_modules
from fixer.analysis.production_values import environ_schemes, read_setting
from fixer.analysis.static import MANIFEST, static_backend
from fixer.analysis.variables import build_environment, placeholder
from fixer.fix_context import FixContext, rediscover
from fixer.fixes import envfiles, item01_carry, item01_static_root
from fixer.fixes.item01_install import (
    install_steps,
    old_binary_driver,
    source_built,
    stale_lock_comment,
    stale_lock_packages,
)
from fixer.fixes.item01_python import choose_python
from fixer.fixes.item01_server import server_choice, server_command
from fixer.fixes.item01_static_root import data_paths_computed, static_paths
from fixer.fixes.item04_compose_plan import (
    GENERATED_STACK,
    ComposeStack,
    compose_stack,
    fix_compose_files,
)
from fixer.fixes.item06_migrations import python_option
from fixer.project import ProjectModel, database_url_reads, normalise_package
from fixer.templating import render as render_template

#: the first line of every generated Dockerfile: a later run recognises its own file
MARKER = GENERATED_MARKER
README_HEADING = "## Running in a container"
NGINX_IMAGE = "nginx:1.27-alpine"
NODE_IMAGE = "node:22-bookworm-slim"

#: compose's local services; passwords come from the host's environment with a local default,
#: so none is written in the file
_SERVICE_URLS = {
    "postgresql": "postgres://app:${POSTGRES_PASSWORD:-app}@db:5432/app",
    "mysql": "mysql://app:${MARIADB_PASSWORD:-app}@db:3306/app",
    "redis": "redis://redis:6379/0",
    "rabbitmq": "amqp://app:${RABBITMQ_PASSWORD:-app}@rabbitmq:5672//",
    "elasticsearch": "http://elasticsearch:9200",
    "memcached": "memcached:11211",
}


@dataclass
class ContainerSpec:
    """Everything the templates need, decided from the project model."""

    python: str
    manager: str
    #: files copied into the builder before the install (repository paths)
    dependency_files: list[str]
    install: list[str]
    builder_env: list[str]
    manage_dir: str
    settings_module: str
    app_module: str
    server: str
    cmd: list[str]
    static_root: str
    static_url: str
    build_packages: list[str] = field(default_factory=list)
    runtime_packages: list[str] = field(default_factory=list)
    build_env: dict[str, str] = field(default_factory=dict)
    #: packages the dependency file must declare for the chosen server
    server_packages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the static storage keeps a manifest the app reads at runtime
    manifest: bool = False
    #: STATIC_ROOT is committed (collected files no app ships, a front-end build's output): the
    #: build context keeps it, and collectstatic adds to it
    committed_static: bool = False
    #: ... with the manifest the static storage reads: the collected one keeps its entries
    committed_manifest: bool = False
    #: collectstatic exists (django.contrib.staticfiles installed, or djfix cannot tell)
    collects_static: bool = True
    #: project files the server choice needs ({repository path: text})
    files: dict[str, str] = field(default_factory=dict)
    #: the modules git ignores that each installation writes, holding its secrets (item 5's
    #: DJ057 configuration.py): kept out of the build context like .env
    local_files: list[str] = field(default_factory=list)
    #: front-end build commands of the old Dockerfile, run in the assets stage
    assets: list[str] = field(default_factory=list)
    #: the assets stage's base: a node image for front-end builds, else the Python image
    node_image: str = ""
    #: what the assets stage installs for the downloads it runs
    assets_packages: list[str] = field(default_factory=list)
    compilemessages: bool = False
    #: Python programs that compile front-end files (a Makefile's pysassc), run in the code
    #: stage before compilemessages and collectstatic
    python_assets: list[str] = field(default_factory=list)
    #: django-compressor compresses offline (COMPRESS_OFFLINE): `compress` runs after
    #: collectstatic, and the api stage holds the manifest of what it wrote (the page templates
    #: read it): that manifest's path, "" when there is none
    compress_manifest: str = ""
    #: plain ENV settings of the old image, carried to the api stage
    runtime_env: dict[str, str] = field(default_factory=dict)
    #: the venv's own installers, removed once the dependencies are in (setuptools stays when
    #: the project declares it: pkg_resources at run time)
    installers: list[str] = field(default_factory=list)
    #: packages the image needs that the hash-pinned requirements file it installs cannot take:
    #: installed pinned, in a step after the hash-checked install ("name==version")
    outside_hashes: list[str] = field(default_factory=list)
    #: that file, and the pip-tools input it is compiled from ("" when there is none)
    hashed_file: str = ""
    hashed_source: str = ""
    #: folders the app writes to (MEDIA_ROOT...), made in the api stage and owned by its user
    writable: list[AppPath] = field(default_factory=list)
    #: which dependency file the builder installs, where another one declares Django too
    dependency_choice: str = ""
    #: why the image has its Python, where the project's files do not say it (the one verify
    #: ran the project with)
    python_why: list[str] = field(default_factory=list)
    #: the note on a lock file that lacks the packages djfix adds ("" where it has them all)
    stale_lock: str = ""

    @property
    def python_comment(self) -> list[str]:
        return [line for why in self.python_why for line in _comment(why[0].upper() + why[1:])]

    @property
    def healthcheck_json(self) -> str:
        probe = (
            "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + "
            "os.environ.get('PORT', '8000') + '/health', timeout=4)"
        )
        return json.dumps(["python", "-c", probe])

    @property
    def code_stage(self) -> bool:
        """The code is prepared once (built assets, compiled messages) for both later stages."""
        return bool(self.assets) or self.compilemessages or bool(self.python_assets)

    @property
    def assets_heading(self) -> str:
        what = "the front-end build" if self.node_image else "the vendored asset downloads"
        return f"# --- assets: {what} ".ljust(81, "-")

    @property
    def assets_source(self) -> str:
        return f"/src/{self.manage_dir}/" if self.manage_dir else "/src/"

    @property
    def runtime_env_lines(self) -> list[str]:
        return [f"{name}={json.dumps(value)}" for name, value in self.runtime_env.items()]

    @property
    def install_commands(self) -> list[str]:
        """The install step's commands (the venv's installers out last, unless the step for the
        packages outside the hashes follows)."""
        if not self.installers or self.outside_hashes:
            return self.install
        return [*self.install, self.uninstall_installers]

    @property
    def outside_hashes_commands(self) -> list[str]:
        if not self.outside_hashes:
            return []
        # quoted: an extra's brackets (psycopg[binary]) are a shell pattern
        install = "pip install --no-cache-dir " + " ".join(map(shlex.quote, self.outside_hashes))
        return [install, self.uninstall_installers] if self.installers else [install]

    @property
    def dependency_comment(self) -> list[str]:
        if not self.dependency_choice:
            return []
        return _comment(
            f"the dependencies of {self.dependency_choice}; `djfix verify --install` installs "
            "the same file"
        )

    @property
    def stale_lock_comment(self) -> list[str]:
        return _comment(self.stale_lock) if self.stale_lock else []

    @property
    def outside_hashes_comment(self) -> list[str]:
        """Why the step exists and how to fold it into the hash-pinned file, as comment lines."""
        names = [pin.split("==")[0] for pin in self.outside_hashes]
        what = ", ".join(names)
        many = len(names) > 1
        them, they_are = ("them", "they are") if many else ("it", "it is")
        why = (
            f"{self.hashed_file} pins every package with --hash, and pip refuses such a file if "
            f"one line has none: {what}, which the image needs at run time, could not go into "
            f"it, so {they_are} installed here, pinned, without hash checking. To fold {them} in"
        )
        if self.hashed_source:
            declared = "are" if many else "is"
            why += f" ({what} {declared} declared in {self.hashed_source}), run:"
            command = f"pip-compile --generate-hashes {self.hashed_source}"
        else:
            why += f", add {them} to the file {self.hashed_file} is compiled from and run:"
            command = "pip-compile --generate-hashes"
        then = "then delete this step" + (
            "; the venv's own installers go out after it" if self.installers else ""
        )
        return [*_comment(why), f"#   {command}", *_comment(then)]

    @property
    def uninstall_installers(self) -> str:
        return "python -m pip uninstall -y " + " ".join(self.installers)

    @property
    def build_env_lines(self) -> list[str]:
        return [f"{name}={shlex.quote(value)}" for name, value in self.build_env.items()]

    @property
    def server_label(self) -> str:
        return {
            "gunicorn": "gunicorn",
            "gunicorn-uvicorn": "gunicorn with uvicorn workers",
            "uvicorn": "uvicorn",
            "daphne": "daphne",
        }[self.server]

    @property
    def static_ignore(self) -> str:
        """The local STATIC_ROOT, relative to the build context."""
        return static_folder(self.static_root, self.manage_dir)

    @property
    def manifest_path(self) -> str:
        return f"{self.static_root}/{MANIFEST}"

    @property
    def merge_manifest(self) -> str:
        """A command that puts the committed manifest's entries (saved at /tmp) that collectstatic
        did not write again into the collected manifest (as fixer.analysis.static's
        merged_manifest, which verify uses)."""
        code = (
            "import json, sys; old, new = (json.load(open(p)) for p in sys.argv[1:]);"
            ' new["paths"] = {**old.get("paths", {}), **new.get("paths", {})};'
            ' json.dump(new, open(sys.argv[2], "w"))'
        )
        return f"python -c {shlex.quote(code)} {COMMITTED_MANIFEST} {self.manifest_path}"

    @property
    def code_source(self) -> str:
        return f"{self.manage_dir}/" if self.manage_dir else "."

    @property
    def writable_dirs(self) -> list[str]:
        return list(dict.fromkeys(p.path for p in self.writable))

    @property
    def writable_comment(self) -> list[str]:
        settings = ", ".join(dict.fromkeys(p.setting for p in self.writable))
        return _comment(
            f"the folders the app writes to ({settings}) belong to the user it runs as: a "
            "volume mounted on one starts with the folder's owner"
        )

    @property
    def cmd_json(self) -> str:
        return json.dumps(self.cmd)


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, 98, initial_indent="# ", subsequent_indent="# ")


# -- decisions ------------------------------------------------------------------------------------


#: where the collectstatic stage keeps a committed manifest while collectstatic writes its own
COMMITTED_MANIFEST = "/tmp/committed-staticfiles.json"


def static_folder(static_root: str, manage_dir: str) -> str:
    """STATIC_ROOT in the image (/app/...) as a path of the build context."""
    folder = static_root[len("/app/") :] if static_root.startswith("/app/") else ""
    folder = folder or "staticfiles"
    return f"{manage_dir}/{folder}" if manage_dir else folder


def committed_static(project: ProjectModel, static_root: str) -> tuple[bool, bool]:
    """(the project commits files in STATIC_ROOT, it commits the manifest there): a front-end
    build whose output is committed only as collected files needs them in the image."""
    root = project.root
    folder = static_folder(static_root, manage_dir(project))
    if not (root / folder).is_dir() or not git.is_repository(root):
        return False, False
    if not git.is_tracked(root, folder):
        return False, False
    return True, git.is_tracked(root, f"{folder}/{MANIFEST}")


def manage_dir(project: ProjectModel) -> str:
    if not project.manage_py:
        return ""
    return posixpath.dirname(project.manage_py)


def spec(project: ProjectModel, options: dict[str, Any] | None = None) -> ContainerSpec:
    options = options or {}
    stale = stale_lock_packages(project, list(options.get("runtime-packages") or ()))
    adding = envfiles.packages_to_declare(project, stale, options) if stale else []
    manager, files, install, builder_env = install_steps(project, adding)
    chosen_python = choose_python(project, options.get("python"))
    python, python_notes = chosen_python.version, chosen_python.notes
    choice = server_choice(project)
    server, target, server_packages = choice.server, choice.target, choice.packages
    build, runtime = source_built(project, list(options.get("runtime-packages") or ()), files)
    carried = item01_carry.carry(project)
    static_root, static_url, notes = static_paths(project, options)
    for name in carried.build:
        if name not in build:
            build.append(name)
    for name in carried.runtime:
        if name not in runtime:
            runtime.append(name)
    if carried.compilemessages and "gettext" not in build:
        build.append("gettext")  # msgfmt, which compilemessages runs
    if build and "gcc" in build and "libc6-dev" not in build:
        build.append("libc6-dev")
    old = "the old Dockerfile" if carried.path == "Dockerfile" else f"the old {carried.path}"
    if carried.dropped:
        notes.append(
            f"{old} installed " + ", ".join(carried.dropped) + ", which the "
            "generated image leaves out: the app server runs alone, nginx serves the static files"
        )
    own_lines = [line for line, _ in carried.assets if line and line not in carried.make_lines]
    if carried.node and own_lines:
        lines = ", ".join(str(line) for line in own_lines)
        notes.append(
            f"the front-end build of {old} (lines {lines}) runs in the assets "
            "stage; the collectstatic and api stages use its output"
        )
    notes.extend(item01_carry.make_notes(carried))
    notes.extend(item01_carry.start_script_notes(project))
    if carried.downloads:
        lines = ", ".join(str(line) for line in carried.downloads)
        notes.append(
            f"the downloads of {old} (lines {lines}) run from the repository root "
            "(/src) in the assets stage, whose output the collectstatic and api stages use: "
            "check the paths they write to, or vendor the files"
        )
    if carried.compilemessages:
        notes.append("compilemessages runs in the code stage; the api stage copies its output")
    notes.extend(python_notes)
    old_driver = old_binary_driver(project, files)
    if old_driver:
        notes.append(
            f"{old_driver} publishes no wheel for arm64 (or for a Python newer than it): the "
            "builder stage has libpq's headers and a compiler to build it, the api stage libpq5; "
            "psycopg2-binary 2.9 or newer would install from a wheel"
        )
    notes.extend(choice.notes)
    notes.extend(carried.notes)
    compress_manifest = _compress_manifest(project, static_root, notes)
    if carried.compress and not compress_manifest:
        line, text = carried.compress
        notes.append(
            f"{carried.path}:{line} `{text}` was left out: the settings do not compress offline "
            "(COMPRESS_OFFLINE) as djfix reads them, so the pages compress at request time"
        )
    if manager == "none":
        notes.append("no dependency file was found: the builder installs nothing")
    stale_comment = stale_lock_comment(project, adding)
    if stale_comment:
        notes.append(stale_comment)
    choice_why = project.install_source.why if project.install_source else ""
    if choice_why:
        notes.append(f"the image installs the dependencies of {choice_why}")
    needed = [*server_packages, *(options.get("runtime-packages") or ())]
    committed = committed_static(project, static_root)
    hashed_file, outside = _outside_hashes(project, manager, files, needed, options)
    build_env = {
        "DJANGO_SETTINGS_MODULE": project.production_module or project.settings_module,
        "SECRET_KEY": "build-only-not-secret",
        "STARTUP_CHECKS": "false",
    }
    required = build_environment(project)
    for name in options.get("container-build-env") or ():
        required.setdefault(name, placeholder(name, None))
    for name, value in sorted(required.items()):
        build_env.setdefault(name, value)
    return ContainerSpec(
        python=python,
        manager=manager,
        dependency_files=files,
        install=install,
        builder_env=builder_env,
        manage_dir=manage_dir(project),
        settings_module=project.production_module or project.settings_module,
        app_module=target,
        server=server,
        cmd=server_command(server, target, choice.options),
        static_root=static_root,
        static_url=static_url,
        build_packages=sorted(build),
        runtime_packages=sorted(runtime),
        build_env=build_env,
        server_packages=server_packages,
        notes=notes,
        manifest=_manifest_storage(project),
        committed_static=committed[0],
        committed_manifest=committed[1] and _manifest_storage(project),
        collects_static=_collects_static(project),
        files=choice.files,
        local_files=[m.rel for m in local_modules(project, optional=True)],
        installers=_installers(project, manager, options),
        outside_hashes=[f"{p.name}=={p.pin}" for p in outside],
        hashed_file=hashed_file if outside else "",
        hashed_source=_compiled_from(project, hashed_file) if outside else "",
        dependency_choice=choice_why,
        python_why=python_notes if chosen_python.verified else [],
        assets=[text for _, text in carried.assets],
        node_image=(carried.node_image or NODE_IMAGE) if carried.node else "",
        assets_packages=_download_packages(carried.download_tools),
        compilemessages=carried.compilemessages,
        python_assets=[text for _, text in carried.python_assets],
        runtime_env=carried.env,
        compress_manifest=compress_manifest,
        writable=_writable_folders(data_paths_computed(project, options), static_root),
        stale_lock=stale_comment,
    )


def _writable_folders(paths: list[AppPath], static_root: str) -> list[AppPath]:
    """The folders under the code the app writes to: a folder setting (MEDIA_ROOT), and the
    folder of a file it writes (a log file in BASE_DIR/logs, which a logging handler opens at
    start and cannot create as the image's user). The code folder itself stays root's."""
    out: list[AppPath] = []
    for path in paths:
        folder = posixpath.dirname(path.path) if path.is_file else path.path
        if folder.startswith(IMAGE_APP_DIR + "/") and folder != static_root:
            out.append(AppPath(path.setting, folder))
    return out


def _outside_hashes(
    project: ProjectModel, manager: str, files: list[str], needed: list[str], options: dict
) -> tuple[str, list[Package]]:
    """(the requirements file the image installs, the packages of `needed` it lacks and cannot
    take): the same edit the dependency plan makes, tried on that file. A hash-pinned file
    takes only the packages whose hashes djfix knows; the image installs the others itself."""
    if manager not in ("requirements", "pip-tools") or not files or not needed:
        return "", []
    declared = {
        req.name
        for source in project.dependency_sources
        for req in source.packages
        if req.rel in files
    }
    missing = sorted({n for n in needed if normalise_package(base_name(n)) not in declared})
    if not missing:
        return "", []
    # the dependency plan writes into the file that names Django
    target = next(
        (
            req.rel
            for source in project.dependency_sources
            for req in source.packages
            if req.name == "django" and req.rel in files
        ),
        files[0],
    )
    text = project.cache.text(project.root / target).text
    if text is None:
        return "", []
    packages = envfiles.packages_to_declare(project, missing, options)
    result = add_packages("requirements", text, packages, path=target)
    return target, [n.package for n in result.not_added]


def _compiled_from(project: ProjectModel, rel: str) -> str:
    """The pip-tools input a compiled requirements file comes from, where the project has it."""
    source = rel[: -len(".txt")] + ".in" if rel.endswith(".txt") else ""
    return source if source and project.cache.text(project.root / source).text is not None else ""


def _download_packages(tools: list[str]) -> list[str]:
    if not tools:
        return []
    return sorted({*tools, "ca-certificates"})


def _installers(project: ProjectModel, manager: str, options: dict[str, Any]) -> list[str]:
    if manager == "uv":
        return []  # uv syncs into a venv made without pip
    keep = {n for n in ("setuptools", "wheel") if project.has_package(n)}
    if _gunicorn_major(project, options) in range(21):
        keep.add("setuptools")  # gunicorn before 21 imports pkg_resources when it starts
    return [n for n in ("pip", "setuptools", "wheel") if n not in keep]


def _gunicorn_major(project: ProjectModel, options: dict[str, Any]) -> int | None:
    """The major version of the gunicorn the image installs where the dependencies hold it to
    one (`==19.10.0`, `<20`), or the pin djfix declares; None when unknown or unbounded."""
    req = project.packages.get("gunicorn")
    if req is not None:
        pinned = re.search(r"==\s*(\d+)", req.spec)
        below = re.search(r"<\s*(\d+)", req.spec)
        if pinned:
            return int(pinned[1])
        return int(below[1]) - 1 if below else None
    if "gunicorn" in (options.get("runtime-packages") or ()):
        (package,) = envfiles.packages_to_declare(project, ["gunicorn"], options)
        return int(package.pin.split(".")[0])
    return None


def _collects_static(project: ProjectModel) -> bool:
    """False when INSTALLED_APPS is written out in full and has no django.contrib.staticfiles
    (an API-only project): `manage.py collectstatic` does not exist there. A list built at run
    time keeps the command (verify's step 7 runs it and says when it fails)."""
    apps = project.settings.get("INSTALLED_APPS")
    if not isinstance(apps, (list, tuple)) or not all(isinstance(a, str) for a in apps):
        return True
    return any(a.split(".apps.")[0] == "django.contrib.staticfiles" for a in apps)


def _compress_manifest(project: ProjectModel, static_root: str, notes: list[str]) -> str:
    """Where django-compressor's offline manifest lands in the image, when the settings
    compress offline: `{% compress %}` then renders from that manifest and fails without it.
    The compressed files go to the static image with the rest of STATIC_ROOT; the api stage
    copies only the manifest."""
    s = project.settings
    apps = s.get("INSTALLED_APPS")
    if not isinstance(apps, (list, tuple)) or "compressor" not in apps:
        return ""
    schemes = environ_schemes(project)
    offline = read_setting(project, "COMPRESS_OFFLINE", False, schemes)
    enabled = read_setting(project, "COMPRESS_ENABLED", None, schemes)
    if offline.state != "value" or offline.value is not True:
        return ""
    if enabled.state == "value" and enabled.value is False:
        return ""
    root = s.get("COMPRESS_ROOT")
    output = s.get("COMPRESS_OUTPUT_DIR", "CACHE")
    name = s.get("COMPRESS_OFFLINE_MANIFEST", "manifest.json")
    if root is not None or not isinstance(output, str) or not isinstance(name, str):
        notes.append(
            "django-compressor compresses offline, with COMPRESS_ROOT, COMPRESS_OUTPUT_DIR or "
            "COMPRESS_OFFLINE_MANIFEST set where djfix cannot follow: the api stage gets no "
            "offline manifest; copy it from the collectstatic stage"
        )
        return ""
    notes.append(
        "django-compressor compresses offline: `manage.py compress` runs after collectstatic "
        "and the api stage holds its manifest"
    )
    return posixpath.join(static_root, output.strip("/"), name)


def _manifest_storage(project: ProjectModel) -> bool:
    backend = static_backend(project)
    return backend is not None and "Manifest" in backend[1]


def _compose_services(project: ProjectModel) -> tuple[list[str], dict[str, str]]:
    """(compose services to run next to the api, environment of the api)."""
    services: list[str] = []
    environment: dict[str, str] = {}
    for service in project.services:
        kind = service.kind
        name = {"postgresql": "db", "mysql": "db"}.get(kind, kind)
        if kind not in _SERVICE_URLS:
            continue
        if name not in services:
            services.append(name)
        if service.env_var and service.env_var.endswith("_URL"):
            environment.setdefault(service.env_var, _SERVICE_URLS[kind])
    kinds = {s.kind for s in project.services}
    db_kind = "postgresql" if "postgresql" in kinds else "mysql" if "mysql" in kinds else None
    # the database chosen by a URL variable of another name (`if env("PS_DATABASE_URI"): ...
    # else: {"ENGINE": env("DB_ENGINE")}`): the api gets the db service through it, or the
    # other branch stops it for want of its own variables
    urls = database_url_reads(project)
    if db_kind and urls and not any(var in environment for var in urls):
        environment[urls[0]] = _SERVICE_URLS[db_kind]
    return services, {"db_kind": db_kind or "", **environment}


def computed_options(
    project: ProjectModel, options: dict[str, Any], overlay: dict[str, str] | None = None
) -> dict[str, Any]:
    """`options` with STATIC_ROOT as the project computes it (`fixer.fixes.item01_static_root`),
    where djfix cannot read it and the options name an interpreter (`python`, as apply's):
    asked in a copy of the tree with the `overlay` (planned files), under the variables of the
    collectstatic stage the spec gives."""
    run, python = python_option(options)
    if not run or not item01_static_root.needs_asking(project):
        return options
    s = spec(project, options)
    asked = item01_static_root.ask(project, python, overlay or {}, s.build_env, s.settings_module)
    return {**options, item01_static_root.OPTION: asked}


def render(project: ProjectModel, options: dict[str, Any] | None = None) -> dict[str, str]:
    """{repository path: text} of every generated container file."""
    s = spec(project, options)
    services, environment = _compose_services(project)
    db_kind = environment.pop("db_kind")
    context = {
        "spec": s,
        "marker": MARKER,
        "image_user": IMAGE_USER,
        "nginx_image": NGINX_IMAGE,
        "services": services,
        "db_kind": db_kind,
        "environment": environment,
        "readme_heading": README_HEADING,
        "committed_manifest": COMMITTED_MANIFEST,
        "compose": _compose_stack(project),
    }
    out = {
        "Dockerfile": render_template("docker/Dockerfile.jinja", **context),
        ".dockerignore": render_template("docker/dockerignore.jinja", **context),
        **s.files,
    }
    if not _root_compose(project):
        out["compose.yaml"] = render_template("docker/compose.yaml.jinja", **context)
    section = render_template("docker/README.section.md.jinja", **context)
    readme = _readme(project)
    if readme is None:
        out["README.md"] = section.lstrip("\n")
    else:
        rel, text = readme
        if README_HEADING not in text:
            out[rel] = text.rstrip("\n") + "\n\n" + section.lstrip("\n")
    return out


def _compose_stack(project: ProjectModel) -> ComposeStack | None:
    """How the README runs the images with compose: the generated compose.yaml, else the
    production compose file item 4 rewrites (`-f` where compose does not read it by default);
    None where compose would read a development file djfix leaves, or no service serves."""
    production = production_compose(project)
    if production is not None:
        return compose_stack(project, production)
    return GENERATED_STACK if _root_compose(project) is None else None


def _root_compose(project: ProjectModel) -> str | None:
    """The root compose file that stands in for a generated compose.yaml: the production one
    djfix rewrites for the images (`docker-compose.prod.yml` too), else a development one under
    a name `docker compose` reads by default, which a compose.yaml would take the place of."""
    production = production_compose(project)
    if production is not None:
        return production
    return next((n for n in DEFAULT_COMPOSE_NAMES if (project.root / n).is_file()), None)


def _readme(project: ProjectModel) -> tuple[str, str] | None:
    for name in ("README.md", "README.rst", "README.txt", "README"):
        path = project.root / name
        if path.is_file():
            try:
                return name, path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
    return None


# -- the shared fix plan --------------------------------------------------------------------------

#: Dockerfile rules whose findings mean the existing Dockerfile is replaced
REPLACED_BY = frozenset(
    {
        rule_codes.DOCKERFILE_MISSING,
        rule_codes.DOCKERFILE_GENERIC,
        rule_codes.DOCKERFILE_UNPARSABLE,
        rule_codes.DOCKERFILE_SINGLE_STAGE,
        rule_codes.IMAGE_BASE_NOT_SLIM,
        rule_codes.TOOLCHAIN_IN_FINAL_STAGE,
        rule_codes.PIP_CACHE_IN_IMAGE,
        rule_codes.DEV_DEPENDENCIES_IN_IMAGE,
        rule_codes.IMAGE_BUILD_MISSING,
    }
    | {
        rule_codes.RUNSERVER_IN_CONTAINER,
        rule_codes.PROCESS_MANAGER_IN_CONTAINER,
        rule_codes.NGINX_IN_API_IMAGE,
        rule_codes.UWSGI_SERVER,
    }
)


def _dockerfile_fails(ctx: FixContext) -> bool:
    for item in (1, 2, 3):
        for f in ctx.findings(item):
            if f.code in (
                rule_codes.DOCKERFILE_MISSING,
                rule_codes.DOCKERFILE_UNPARSABLE,
                rule_codes.IMAGE_BUILD_MISSING,
            ):
                return True
            if f.code in REPLACED_BY and f.path == "Dockerfile":
                return True
    return False


def ensure_container(ctx: FixContext, item: int) -> None:
    """Generate the container files once (for whichever of items 1-4 runs first), add the
    chosen app server to the dependencies, and say what was left."""
    # one plan for four items: the first to run sets the flag, the others find it set
    if ctx.shared_plan("container", item) is not None:
        return
    ctx.container_planned = True
    project = ctx.project
    server_missing = any(f.code == rule_codes.APP_SERVER_MISSING for f in ctx.findings(3))
    if any(f.code == rule_codes.STATIC_ROOT_MISSING for f in ctx.findings(4)):
        add_static_root(ctx)
    planned = rediscover(project, ctx.changeset)
    s = spec(planned, ctx.options)
    if server_missing:
        for name in s.server_packages:
            if not project.has_package(name):
                ctx.packages.add(name)
        ctx.fixed_items.add(3)
    fix_dockerignore(ctx)
    if not _dockerfile_fails(ctx):
        if ctx.findings(4) and any(
            f.code == rule_codes.STATIC_IMAGE_MISSING for f in ctx.findings(4)
        ):
            ctx.leave(
                4,
                "Dockerfile",
                "the Dockerfile passes items 1-3, so djfix keeps it: add a collectstatic "
                "stage and a `FROM nginx` stage that copies its output",
            )
        return
    for name in s.server_packages:
        # the image starts with this server: the dependencies must install it
        if not project.has_package(name):
            ctx.packages.add(name)
    add_database_driver(ctx, planned)
    options = dict(ctx.options)
    # the variable table: what the settings plans made required (planned settings show most)
    options["container-build-env"] = sorted(v.name for v in ctx.env_vars.values() if v.required)
    # what the plans declare for run time: a hash-pinned file that cannot take one of them
    # leaves it to a step of the image's own
    options["runtime-packages"] = sorted(ctx.packages)
    options = computed_options(planned, options, {c.rel: c.new for c in ctx.changeset.changes()})
    s = spec(planned, options)
    for pin in s.outside_hashes:
        name, version = pin.split("==", 1)
        ctx.image_installs[name] = version
    files = render(planned, options)
    let_committed_static_in(ctx, s)
    for rel, text in files.items():
        if rel == "Dockerfile" or ctx.changeset.read(rel) is None or rel.startswith("README"):
            ctx.write(rel, text, item)
    ctx.image_layout = ImageLayout(
        workdir=IMAGE_APP_DIR,
        static_root=s.static_root,
        static_url=s.static_url,
        data=tuple(data_paths_computed(planned, options)),
    )
    fix_compose_files(ctx)
    for note in s.notes:
        ctx.notes.append(f"Dockerfile: {note}")
    if s.manager == "none":
        # an image without Django cannot serve the app: not a fix to claim
        ctx.leave(
            1,
            "Dockerfile",
            "no dependency file declares Django (requirements.txt, pyproject.toml, Pipfile, "
            "setup.py): the image's builder installs nothing, so the image cannot run the app; "
            "add one and run djfix again",
        )
    for f in ctx.findings(3):
        if f.code == rule_codes.RUNSERVER_IN_CONTAINER and f.path not in (None, "Dockerfile"):
            ctx.leave(
                3,
                f.path,
                "the generated Dockerfile serves with an app server; this "
                "file is not part of the image: change it by hand",
            )


def add_database_driver(ctx: FixContext, planned: ProjectModel) -> None:
    """Declare the driver the settings' database needs where the dependencies name none (the
    machine the project ran on had one of its own): without it the image's collectstatic stage
    and its app fail to load Django's backend. Item 1's change: the image must work."""
    for driver in missing_drivers(ctx.project, planned):
        if driver.package in ctx.packages:
            continue
        ctx.packages.add(driver.package)
        ctx.package_items[driver.package] = 1
        ctx.notes.append(
            f"Dockerfile: the settings use {driver.label} ({driver.where}) but the dependencies "
            f"name no driver for it (the machine the project ran on must have had one): "
            f"{driver.package} is added to them, so the image has one, and `djfix verify "
            "--install` installs the same"
        )


DOCKERIGNORE_BLOCK = "# djfix: local secrets and the git history never go into an image\n"


def fix_dockerignore(ctx: FixContext) -> None:
    """DJ013: append what an existing .dockerignore lets into the image (.env, .git)."""
    text = ctx.changeset.read(".dockerignore")
    if text is None:
        return
    missing = dockerignore_lets_in(text)
    if not missing:
        return
    lines = []
    for path in missing:
        lines.append(path)
        if path == ".env":
            lines += [".env.*", "!.env.example"]
    _append_block(ctx, text, DOCKERIGNORE_BLOCK + "\n".join(lines) + "\n")


STATIC_BLOCK = (
    "# djfix: STATIC_ROOT is committed (collected files no app ships): collectstatic adds to it\n"
)


def let_committed_static_in(ctx: FixContext, spec: ContainerSpec) -> None:
    """An existing .dockerignore that keeps a committed STATIC_ROOT out of the generated image's
    build lets it back in: the collectstatic stage adds to its files."""
    text = ctx.changeset.read(".dockerignore")
    if text is None or not spec.committed_static:
        return
    folder = spec.static_ignore
    if dockerignore_excludes(text, folder):
        _append_block(ctx, text, STATIC_BLOCK + f"!{folder}\n!{folder}/**\n")


def _append_block(ctx: FixContext, text: str, block: str) -> None:
    separator = (
        "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    )
    ctx.write(".dockerignore", text + separator + block, 1)


def add_static_root(ctx: FixContext) -> None:
    """DJ043: `STATIC_ROOT = BASE_DIR / "staticfiles"` right after STATIC_URL, where BASE_DIR is
    a pathlib.Path (or `os.path.join(BASE_DIR, ...)` beside an os.path BASE_DIR)."""
    # positions in the files as the plans before this one left them
    settings = rediscover(ctx.project, ctx.changeset).settings
    where = settings.where("STATIC_URL")
    base = settings.where("BASE_DIR")
    if where is None or where.node is None or base is None or base.node is None:
        ctx.leave(4, None, "STATIC_URL or BASE_DIR is not set where djfix can add STATIC_ROOT")
        return
    text = ctx.changeset.read(where.path)
    base_text = ctx.changeset.read(base.path) or ""
    if text is None or where.node.col_offset != 0:
        ctx.leave(4, where.path, "STATIC_URL is set inside a block: add STATIC_ROOT by hand")
        return
    assigned = base_text.split("\n")[base.line - 1 : (base.node.end_lineno or base.line)]
    assigned_text = "\n".join(assigned)
    if "Path(" in assigned_text:
        line = 'STATIC_ROOT = BASE_DIR / "staticfiles"'
    elif "os.path" in assigned_text and re.search(r"^import os\b", text, re.M):
        line = 'STATIC_ROOT = os.path.join(BASE_DIR, "staticfiles")'
    else:
        ctx.leave(4, where.path, "BASE_DIR is neither a Path nor an os.path string here")
        return
    lines = text.split("\n")
    end = where.node.end_lineno or where.line
    lines.insert(end, line)
    ctx.write(where.path, "\n".join(lines), 4)


def fix(ctx: FixContext) -> None:
    """Item 1's plan: the generated container files (shared with items 2, 3 and 4)."""
    ensure_container(ctx, 1)
