"""Item 4: static files are not served from the API container.

## What it checks
- whitenoise does not serve static files from the app (DJ040): no
  `whitenoise.middleware.WhiteNoiseMiddleware` in `MIDDLEWARE` (or `MIDDLEWARE_CLASSES`), no
  `WhiteNoise(...)` / `DjangoWhiteNoise(...)` wrapping the WSGI application, no whitenoise
  backend in `STATICFILES_STORAGE` or `STORAGES["staticfiles"]`. Each place is one finding.
- No URL routes to `django.views.static.serve` outside an `if settings.DEBUG:` block (DJ041).
  (`django.contrib.staticfiles.views.serve` refuses to serve without DEBUG and is not reported.)
- `static(...)` and `staticfiles_urlpatterns()` are used only inside an `if settings.DEBUG:`
  block (DJ042, info).
- The production settings set `STATIC_ROOT` (DJ043), unless `django.contrib.staticfiles` is
  known not to be installed or the static storage is remote (S3, Google Cloud, Azure, ...),
  which needs no local folder.
- When the repository has a root `Dockerfile`: some image serves the collected files (DJ044). A
  Dockerfile stage based on nginx, caddy, httpd, lighttpd or openresty that copies static files
  (`COPY --from=<stage>` or a COPY/ADD naming a static folder) counts, in the root Dockerfile or
  any other Dockerfile of the repository; so does a compose service running such an image with a
  volume holding the static files. A remote static storage or an absolute `STATIC_URL`
  (`https://cdn.example.com/static/`) counts too: the files are served elsewhere. Without a root
  Dockerfile, item 1 reports the missing Dockerfile and DJ044 stays silent unless the
  `static-image-without-dockerfile` option is on.

The URLconf is read statically from `ROOT_URLCONF` (see DJ070 for what is followed). Routes
inside `if settings.DEBUG:` (and `x if settings.DEBUG else []`) are DEBUG-only and not reported;
any other condition is assumed to hold in production. When `MIDDLEWARE` cannot be evaluated,
the production settings files are searched for the whitenoise middleware's name instead. A
`STATIC_ROOT` djfix cannot evaluate (`BASE_DIR / "staticfiles"`, an environment variable) counts
as set; when it is absent from settings djfix could read only in part, DJ043 is still reported
and says so.

## Why it matters
A Python worker that streams CSS and JavaScript is a worker not answering API requests, and the
API image then has to carry the collected files and be rebuilt for every front-end change.
Django's `serve` view is documented as "grossly inefficient and probably insecure". A small nginx
image holding the output of `collectstatic` serves the same files from memory, caches them and
scales on its own. `static()` and `staticfiles_urlpatterns()` return no routes when `DEBUG` is
False, so outside a DEBUG block they only hide that production serves nothing (hence info: the
call is harmless, and DJ044 reports the missing server). `collectstatic` refuses to run without
`STATIC_ROOT`, so the static image cannot be built.

## Example
```diff
 # settings.py
 MIDDLEWARE = [
     "django.middleware.security.SecurityMiddleware",
-    "whitenoise.middleware.WhiteNoiseMiddleware",
     ...
 ]
+STATIC_ROOT = BASE_DIR / "staticfiles"
```
```diff
 # urls.py
-urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
+if settings.DEBUG:
+    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
```
```diff
 # Dockerfile
+FROM builder AS collectstatic
+RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
+
+FROM nginx:1.27-alpine AS static
+COPY --from=collectstatic /app/staticfiles /usr/share/nginx/html/static
+
 FROM python:3.12-slim AS api
```

## Fix safety
DJ044 is safe when djfix generates the Dockerfile (item 1): its `static` stage is nginx holding only
the output of a collectstatic stage run with build-only settings. It copies the folder collectstatic
writes: a `STATIC_ROOT` computed where djfix cannot follow it (a paths helper of the project's own)
is asked of the project with apply's interpreter (its settings loaded in a temporary copy, under
the collectstatic stage's build-only variables); without an interpreter the stage copies
`/app/staticfiles` and the summary says how to check it. An existing Dockerfile that passes
items 1-3 is kept, and DJ044 stays for you. DJ043 is safe: djfix adds `STATIC_ROOT = BASE_DIR /
"staticfiles"` (or `os.path.join(BASE_DIR, "staticfiles")`) right after `STATIC_URL`, when both are
set at the top level of a settings module and BASE_DIR is a path. DJ040 to DJ042 have no automatic
fix: removing whitenoise and static routes changes the app. An existing compose file (at the
repository root, or in a subfolder building from the code) gains a `static` service built from the
`static` target and a one-shot `migrate` service the `api` waits for; its literal secrets become
`${VAR}` references whose values move to the untracked `.env`. The volumes of the services that now
run the `api` image follow the code: one mounted under the old image's WORKDIR moves to the same
place under `/app` where the settings have the app write (`MEDIA_ROOT`, a SQLite file, a log), one
on `STATIC_ROOT` goes (the `static` image holds the files), and each change is listed. An nginx
service that served the static files from that volume gets its static `location` forwarded to the
`static` service (`proxy_pass http://static:80;`, the rest of its configuration kept); where djfix
cannot change that configuration, the service is left as it is and the summary says what to change.
The `api` image makes the folders the app writes to its user's, so that a volume mounted on one is
writable; a volume (or host folder) that already holds files keeps the owner the old image gave
them, so where the old image ran as another user the summary line of the volume gives the one-time
`chown -R 10001:10001` to run on it. A service that built the app's old Dockerfile elsewhere
(`build: ./app`, `dockerfile: Dockerfile.prod`) builds the `api` target, its command or not.

The production compose file is the one rewritten, under whatever name (`docker-compose.prod.yml`
alone gets no `compose.yaml` beside it). One in a subfolder (`deploy/docker-compose.yml`) is
rewritten when a service builds from the code (a context of the repository root, `..`, or of the
folder of manage.py), with the paths relative to its folder (`context: ..`, `env_file: ../.env`);
the README's command gives it the root `.env` for its `${VAR}` references (`docker compose
--env-file .env -f deploy/docker-compose.yml`). A root file comes before one in a subfolder, and one
that builds no service from the code is left, saying so. A development compose file is left as it
is, and the finding on it says why and which file djfix treats as the production one. It is one
named so (`*dev*`, `*local*`, `*override*`, `*test*`, `*ci*`) or saying so in a comment on its first
lines; one that uses an env file, a Dockerfile or a build target named for development (`.env.dev`,
`.env.local`, `docker/local.Dockerfile`, `Dockerfile.dev`, `target: dev`); or one whose service runs
`runserver` on the bind-mounted code (`./app:/usr/src/app`) while another root compose file is the
production one (named so, or with none of these marks). A file named for production (`prod`,
`deploy`, `release`, `live`, `staging`) is never one by what it holds. A lone `docker-compose.yml`
that runs runserver on the mounted code is the deployment file, and is rewritten; a lone one that is
for development keeps its name to itself: djfix writes no `compose.yaml`, which `docker compose`
would read instead.

An override file, merged over another (`docker compose -f docker-compose.yml -f
docker-compose.ssl.yml up`), is one whose services have no `image:` or `build:` of their own and are
defined by another compose file of its folder, the base (`docker-compose.override.yml`, which
compose merges unasked, is one too, and stays a development file). It is rewritten as an override:
its literal secrets and its `.env` and settings mounts as in any file, and the services the base
runs on the `api` image lose what would undo that in the merge (a command that starts a server, a
`build:` of their own; an `image:` stays, as the name compose tags the build with); the `api`
build, `migrate` and `static` services are the base's alone.
A proxy that mounts the static files' volume there too stops mounting it where the base's
proxy now forwards to the `static` service, or has its own configuration changed the same way;
where djfix cannot change it, the mount stays, saying why, and the override declares the volume the
base no longer does. A service that serves the app there but that the base does not run on the
`api` image, and a command that starts no server djfix knows, are left, saying why (in the summary's
notes, as no finding is there to carry it). An override of a development file
is for development too; the base is the production file even where the override is named for
production. The README's command merges an override named for production (`-f docker-compose.yml
-f docker-compose.prod.yml`), names another one as a choice, and names the base with `-f` where
compose would merge `docker-compose.override.yml` over it. A literal secret whose name `.env` holds
with another value (the base's password, the settings') gets a name of its own
(`POSTGRES_PASSWORD_2`), and a service whose dropped command listened on another port than 8000
sets `PORT` to it.

## Options
- `static-image-without-dockerfile` (bool, default false): report DJ044 (with no file) also
  when the repository has no root Dockerfile and nothing else serves the static files.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator
from typing import Any

from fixer import rule_codes
from fixer.analysis.static import remote_storage, static_backend
from fixer.checks import Option, rule
from fixer.findings import Finding, FixSafety, Severity
from fixer.parsers.dockerfile import Dockerfile, Stage
from fixer.project import ProjectModel
from fixer.settings_values import EnvRef, Unknown
from fixer.urls import read_urlconf

ITEM = 4
TITLE = "Static files outside the API container"

WHITENOISE = rule(
    __name__,
    rule_codes.WHITENOISE_SERVES_STATIC,
    "whitenoise-serves-static",
    ITEM,
    Severity.WARNING,
    "whitenoise serves static files from the API process.",
)
SERVE_VIEW = rule(
    __name__,
    rule_codes.STATIC_SERVE_VIEW,
    "static-serve-view",
    ITEM,
    Severity.WARNING,
    "A URL routes to django.views.static.serve outside DEBUG.",
)
STATIC_URLPATTERNS = rule(
    __name__,
    rule_codes.STATIC_URLPATTERNS,
    "static-urlpatterns",
    ITEM,
    Severity.INFO,
    "static() or staticfiles_urlpatterns() outside an `if settings.DEBUG` block.",
)
STATIC_ROOT_MISSING = rule(
    __name__,
    rule_codes.STATIC_ROOT_MISSING,
    "static-root-missing",
    ITEM,
    Severity.WARNING,
    "The production settings set no STATIC_ROOT, so collectstatic cannot run.",
    FixSafety.SAFE,
)
STATIC_IMAGE_MISSING = rule(
    __name__,
    rule_codes.STATIC_IMAGE_MISSING,
    "static-image-missing",
    ITEM,
    Severity.WARNING,
    "No separate nginx (or caddy/httpd) image serves the collected static files.",
    FixSafety.SAFE,
)
RULES = [WHITENOISE, SERVE_VIEW, STATIC_URLPATTERNS, STATIC_ROOT_MISSING, STATIC_IMAGE_MISSING]
OPTIONS = {
    "static-image-without-dockerfile": Option(
        False, "report DJ044 also when the repository has no root Dockerfile"
    ),
}

STATIC_SERVER_IMAGES = ("nginx", "caddy", "httpd", "lighttpd", "openresty", "apache")
_CONFIG_FILE = re.compile(r"\.(conf|template|crt|key|pem|ya?ml|json|sh)$", re.I)
_MAX_TEXT_LINES = 20000


def applies(project: ProjectModel) -> bool:
    """Every project with static files: staticfiles installed, STATIC_URL/STATIC_ROOT set, or
    INSTALLED_APPS unreadable (then djfix cannot tell, and checks)."""
    if "django.contrib.staticfiles" in project.installed_apps:
        return True
    s = project.settings
    if any(s.get(name) is not None for name in ("STATIC_URL", "STATIC_ROOT", "STORAGES")):
        return True
    return not isinstance(s.get("INSTALLED_APPS"), (list, tuple))


# -- settings helpers ---------------------------------------------------------------------------


def _production_rels(project: ProjectModel) -> list[str]:
    """The files the production settings are made of: the module and what it star-imports."""
    out: list[str] = []
    todo = [project.settings]
    seen: set[str] = set()
    while todo and len(seen) < 50:
        module = todo.pop(0)
        if module.dotted in seen:
            continue
        seen.add(module.dotted)
        if module.rel:
            out.append(module.rel)
        for dotted in (*module.star_imports, *module.includes):
            other = project.settings_modules.get(dotted)
            if other is not None:
                todo.append(other)
    return out


def _text_line(project: ProjectModel, rels: list[str], needle: str) -> tuple[str, int] | None:
    """The first line holding `needle` (outside a comment) in one of `rels`."""
    for rel in rels:
        f = project.cache.python(project.root / rel)
        if not f.text or needle not in f.text:
            continue
        for number, line in enumerate(f.text.splitlines()[:_MAX_TEXT_LINES], 1):
            if needle in line.split("#", 1)[0]:
                return rel, number
    return None


def _value_line(project: ProjectModel, name: str, needle: str) -> tuple[str | None, int | None]:
    """Where setting `name` holds the string `needle`: the literal's own line when the
    assignment writes it, else the assignment, else a text search of the settings files."""
    where = project.settings.where(name)
    if where is not None and where.node is not None:
        for node in ast.walk(where.node):
            if isinstance(node, ast.Constant) and node.value == needle:
                return where.path, node.lineno
    rels = _production_rels(project)
    if where is not None:
        rels = [where.path, *[r for r in rels if r != where.path]]
    found = _text_line(project, rels, needle)
    if found is not None:
        return found
    if where is not None:
        return where.path, where.line
    return project.settings.rel, None


def _absolute_static_url(project: ProjectModel) -> bool:
    value = project.settings.get("STATIC_URL")
    if isinstance(value, EnvRef):
        value = value.default if value.has_default else None
    return isinstance(value, str) and value.startswith(("http://", "https://", "//"))


# -- DJ040 ---------------------------------------------------------------------------------------


def _whitenoise(project: ProjectModel) -> Iterator[Finding]:
    s = project.settings
    for name in ("MIDDLEWARE", "MIDDLEWARE_CLASSES"):
        value = s.get(name)
        entries: list[str] = []
        if isinstance(value, (list, tuple)):
            entries = [v for v in value if isinstance(v, str) and v.startswith("whitenoise.")]
            entries = [v for v in entries if v.rpartition(".")[2].endswith("Middleware")]
        elif value is not None:
            # MIDDLEWARE built in a way djfix cannot evaluate: look for the name in the files
            found = _text_line(project, _production_rels(project), "WhiteNoiseMiddleware")
            if found is not None:
                yield Finding(
                    WHITENOISE,
                    f"{name} appears to include whitenoise's WhiteNoiseMiddleware (djfix could "
                    f"not evaluate {name}), so the API process serves the static files: remove "
                    "it and serve the collected files from a separate nginx image",
                    found[0],
                    found[1],
                )
            continue
        for entry in dict.fromkeys(entries):  # an entry added twice is one finding
            path, line = _value_line(project, name, entry)
            yield Finding(
                WHITENOISE,
                f"{name} includes {entry}, so the API process serves the static files: remove "
                "it and serve the output of collectstatic from a separate nginx image",
                path,
                line,
            )
    yield from _wsgi_whitenoise(project)
    backend = static_backend(project)
    if backend is not None and "whitenoise" in backend[1].lower():
        setting, value = backend
        path, line = _value_line(project, setting.split("[")[0], value)
        yield Finding(
            WHITENOISE,
            f"{setting} uses whitenoise's {value.rpartition('.')[2]}, made for whitenoise "
            "serving the files from the app: use django.contrib.staticfiles.storage."
            "ManifestStaticFilesStorage and let the nginx image serve the collected files",
            path,
            line,
        )


def _wsgi_module(project: ProjectModel) -> str | None:
    if project.wsgi_application:
        return project.wsgi_application.rpartition(".")[0] or None
    package = project.settings_module.split(".")[0]
    return f"{package}.wsgi" if package else None


def _wsgi_whitenoise(project: ProjectModel) -> Iterator[Finding]:
    dotted = _wsgi_module(project)
    path = project.module_path(dotted) if dotted else None
    if path is None:
        return
    f = project.cache.python(path)
    if not f.text or "WhiteNoise" not in f.text or f.tree is None:
        return
    for node in ast.walk(f.tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("WhiteNoise", "DjangoWhiteNoise"):
            yield Finding(
                WHITENOISE,
                f"{f.rel} wraps the WSGI application in {name}(...), so the API process serves "
                "the static files: return get_wsgi_application() unwrapped and serve the "
                "collected files from a separate nginx image",
                f.rel,
                node.lineno,
                node.col_offset + 1,
            )


# -- DJ041, DJ042 ----------------------------------------------------------------------------------


def _debug_or_guard(project: ProjectModel, rel: str, line: int) -> str | None:
    """The test of the `if` around `line` of `rel` when it names DEBUG but holds without it
    (`if settings.GUNICORN_MEDIA or settings.DEBUG:`), as written; else None."""
    tree = project.cache.python(project.root / rel).tree
    if tree is None:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.If) or not (node.lineno < line <= (node.end_lineno or 0)):
            continue
        in_body = any(s.lineno <= line <= (s.end_lineno or s.lineno) for s in node.body)
        test = node.test
        if (
            in_body
            and isinstance(test, ast.BoolOp)
            and isinstance(test.op, ast.Or)
            and any("DEBUG" in ast.unparse(v) for v in test.values)
        ):
            text = ast.unparse(test)
            return text if len(text) <= 80 else text[:77] + "..."
    return None


def _url_helpers(project: ProjectModel) -> Iterator[Finding]:
    conf = read_urlconf(project)
    seen: set[tuple[str, int, str]] = set()
    for helper in conf.static_helpers:
        key = (helper.rel, helper.line, helper.kind)
        if helper.debug_only or key in seen:
            continue
        seen.add(key)
        # uploads are made at run time: no image can hold them
        where = (
            "a web server over the uploads' volume, or object storage"
            if "MEDIA" in helper.text.upper()  # settings.MEDIA_URL, or the /media/ route
            else "the nginx image"
        )
        if helper.kind == "serve":
            guard = _debug_or_guard(project, helper.rel, helper.line)
            place = (
                f"under `if {guard}:`, which holds with DEBUG off too"
                if guard
                else "outside `if settings.DEBUG:`"
            )
            yield Finding(
                SERVE_VIEW,
                f"{helper.text} is routed to django.views.static.serve {place}, so the API "
                "process serves these files itself: serve them "
                f"from {where}"
                + (" (or object storage)" if where == "the nginx image" else "")
                + " and keep serve() for DEBUG only",
                helper.rel,
                helper.line,
                helper.column,
            )
        else:
            yield Finding(
                STATIC_URLPATTERNS,
                f"{helper.text} is outside `if settings.DEBUG:` and adds no routes when DEBUG is "
                "False, so production serves these files only if something else does: move it "
                f"under `if settings.DEBUG:` and serve them from {where}",
                helper.rel,
                helper.line,
                helper.column,
            )


# -- DJ043 ---------------------------------------------------------------------------------------


def _static_root(project: ProjectModel) -> Iterator[Finding]:
    s = project.settings
    apps = s.get("INSTALLED_APPS")
    if (
        isinstance(apps, (list, tuple))
        and all(isinstance(a, str) for a in apps)
        and "django.contrib.staticfiles" not in apps
    ):
        return  # no collectstatic command, nothing to collect
    if remote_storage(project):
        return
    value = s.get("STATIC_ROOT")
    if isinstance(value, (EnvRef, Unknown)) or (value is not None and value != ""):
        return
    assigned = s.where("STATIC_ROOT")
    where = assigned or s.where("STATIC_URL")
    path = where.path if where else s.rel
    line = where.line if where else None
    unsure = ""
    if s.dynamic:
        rel, dyn_line, _ = s.dynamic[0]
        unsure = f" (djfix could not read all of the settings: see {rel}:{dyn_line})"
    state = "set STATIC_ROOT to an empty value" if assigned else "set no STATIC_ROOT"
    module = s.dotted
    yield Finding(
        STATIC_ROOT_MISSING,
        f"the production settings ({module}) {state}, so collectstatic cannot run{unsure}: "
        'set STATIC_ROOT = BASE_DIR / "staticfiles" and copy that folder into the nginx image',
        path,
        line,
    )


# -- DJ044 ---------------------------------------------------------------------------------------


def _image_name(base: str) -> str:
    name = base.strip().lower().split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def _stage_base(df: Dockerfile, stage: Stage) -> str:
    """The image a stage ultimately starts from, through `FROM <earlier stage>` chains."""
    current = stage
    seen: set[int] = set()
    while current.index not in seen:
        seen.add(current.index)
        parent = df.parent(current)
        if parent is None:
            return current.base
        current = parent
    return current.base


def _is_static_server(base: str) -> bool:
    name = _image_name(base)
    # nginx, nginx-unprivileged, bitnami/nginx, caddy:2-alpine, httpd:2.4, ...
    return name.startswith(STATIC_SERVER_IMAGES)


def _copies_static(stage: Stage) -> bool:
    for inst in stage.instructions:
        if inst.keyword not in ("COPY", "ADD"):
            continue
        words = inst.exec_form if inst.exec_form is not None else inst.value.split()
        sources = words[:-1] if len(words) > 1 else words
        if any("static" in w.lower() for w in words):
            return True
        if inst.flags.get("from") and not all(_CONFIG_FILE.search(w) for w in sources):
            return True
    return False


def _serving_stages(df: Dockerfile) -> tuple[list[Stage], list[Stage]]:
    """(static server stages that copy static files, static server stages that do not)."""
    good: list[Stage] = []
    bare: list[Stage] = []
    for stage in df.stages:
        if _is_static_server(_stage_base(df, stage)):
            (good if _copies_static(stage) else bare).append(stage)
    return good, bare


def _compose_serves(project: ProjectModel) -> tuple[bool, list[str]]:
    """(some compose service serves static files from a web server image, notes)."""
    notes: list[str] = []
    by_path = {d.path: d for d in project.dockerfiles}
    for cf in project.compose_files:
        for svc in cf.services:
            image = svc.image or ""
            volumes = [f"{src} {dst}".lower() for src, dst in svc.volumes]
            if image and _is_static_server(image):
                if any("static" in v for v in volumes):
                    return True, []
                notes.append(
                    f"compose service {svc.name!r} in {cf.path} runs {image} but mounts "
                    "no static files"
                )
                continue
            if svc.build is None:
                continue
            df = by_path.get(_compose_dockerfile(cf.path, svc))
            if df is None:
                continue
            stage = df.stage(svc.target) if svc.target else df.final_stage
            if (
                stage is not None
                and _is_static_server(_stage_base(df, stage))
                and (_copies_static(stage) or any("static" in v for v in volumes))
            ):
                return True, []
    return False, notes


def _compose_dockerfile(compose_rel: str, svc: Any) -> str:
    build = svc.build
    context = "."
    if isinstance(build, str):
        context = build
    elif isinstance(build, dict) and isinstance(build.get("context"), str):
        context = build["context"]
    base = posixpath.dirname(compose_rel)
    name = svc.dockerfile or "Dockerfile"
    return posixpath.normpath(posixpath.join(base, context, name))


def _static_image(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    root = project.root_dockerfile
    if root is None and not options.get("static-image-without-dockerfile", False):
        return  # item 1 reports the missing Dockerfile
    if remote_storage(project) or _absolute_static_url(project):
        return
    notes: list[str] = []
    for df in project.dockerfiles:
        good, bare = _serving_stages(df)
        if good:
            return
        for stage in bare:
            label = f"stage {stage.name!r}" if stage.name else f"the stage at line {stage.line}"
            notes.append(
                f"{label} of {df.path} is based on {stage.base} but copies no static files"
            )
    served, compose_notes = _compose_serves(project)
    if served:
        return
    notes.extend(compose_notes)
    if root is not None:
        final = root.final_stage
        for line, package in final.installed_system_packages() if final else []:
            if package.split("=")[0] in ("nginx", "nginx-full", "nginx-light", "apache2", "caddy"):
                notes.append(f"{root.path}:{line} installs {package} in the API image itself")
                break
    note = f" ({'; '.join(notes[:2])})" if notes else ""
    if root is None:
        yield Finding(
            STATIC_IMAGE_MISSING,
            "no Dockerfile builds a separate nginx image for the static files, so they can only "
            f"come from the API container{note}: add a Dockerfile with a collectstatic stage and "
            "a `FROM nginx` stage that copies its output",
        )
        return
    stage = root.final_stage
    yield Finding(
        STATIC_IMAGE_MISSING,
        f"{root.path} builds no separate nginx (or caddy/httpd) image for the static files, so "
        f"they can only come from the API container{note}: add a `FROM nginx:alpine AS static` "
        "stage that copies the collected files (COPY --from=<collectstatic stage> "
        "/app/staticfiles /usr/share/nginx/html/static)",
        root.path,
        stage.line if stage else 1,
    )


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    yield from _whitenoise(project)
    yield from _url_helpers(project)
    yield from _static_root(project)
    yield from _static_image(project, options)
