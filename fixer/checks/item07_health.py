"""Item 7: GET /health (and /common/health) answers 200 when the app is fine.

## What it checks
- Some route of the URLconf answers `GET /health` (DJ070), or an installed middleware of the
  project's own writes the path out (djfix's health middleware, where the URLconf could not take
  the routes, answers it before any route is looked up).
- Some route, or such a middleware, answers `GET /common/health` (DJ071).
- A probe by IP address reaches the health view (DJ072): no middleware validates the Host
  header before one that answers the health paths. `CommonMiddleware` and `CurrentSiteMiddleware`
  call `request.get_host()` on every request, and `SecurityMiddleware` does when
  `SECURE_SSL_REDIRECT` is on and `SECURE_REDIRECT_EXEMPT` does not cover `health`; a Host
  header outside ALLOWED_HOSTS then gets 400 before the view runs. A middleware of the project
  that writes out a health path (`"/health"`) and comes first counts as answering it.
  Middleware djfix does not know are assumed to leave the Host header alone.

A health path the WSGI/ASGI entry module answers itself, before Django sees the request,
counts too (and needs no Host check): the module is read statically for a path literal compared
with the request's path (`scope["path"] == "/health"`, `environ["PATH_INFO"] in (...)`) or
passed to a wrapper whose name says health (`application = health_check(application,
"/health/")`). The path counts as written: a wrapper that answers `/health/` exactly leaves
`GET /health` to Django, where no redirect to it exists, so the finding stays and names the
entry's own endpoint; djfix's view then answers `/health` behind it.

The URLconf is read statically from `ROOT_URLCONF`, following `include()` into the repository's
own modules (`include("app.urls")`, `include(("app.urls", "ns"))`, an imported urls module,
inline lists), through `path()`, `re_path()`, `url()` and the old `patterns()`, with
`i18n_patterns()` language prefixes and `if settings.DEBUG:` blocks. A route counts when it
matches the path the way Django's resolver would, with or without the trailing slash (with
`APPEND_SLASH`, the default, `/health` redirects to a `health/` route, and probes accept the
redirect), and when it spells the path out: a catch-all such as `<slug:slug>/` also answers
`/health/`, but with the detail view of an object called "health", so it does not count.
Routes that exist only when `DEBUG` is True do not count either.

A view at another address (`/healthz/`, `/health-check/`, `/ping/`) does not count, but the
message names it so you can add the expected path next to it. When djfix cannot read the root
URLconf, or the URLconf includes something it cannot follow (a third-party package's URLconf,
a router's `.urls`, urlpatterns built at run time) at a prefix that could lead to the path, the
finding is still reported and says what djfix could not follow: silence always means that a
route was found.

## Why it matters
Load balancers, orchestrators (Kubernetes probes, ECS, Docker `HEALTHCHECK`) and djfix's own
image test probe `/health` to decide whether a container may take traffic and whether to
restart it. Without the endpoint a broken container keeps receiving requests, or a healthy one
is killed. `/common/health` is the same view mounted under the shared `common` app, the address
the platform's ingress checks.

## Example
```diff
 # common/views.py
+from django.db import connection
+from django.http import JsonResponse
+
+
+def health(request):
+    with connection.cursor() as cursor:
+        cursor.execute("SELECT 1")
+    return JsonResponse({"status": "ok"})
```
```diff
 # urls.py
 urlpatterns = [
+    path("health", health),
+    path("common/", include("common.urls")),  # common/urls.py: path("health", health)
     path("admin/", admin.site.urls),
 ]
```

## Fix safety
None: the health view is yours to write (what "fine" means depends on the app).

## Options
None.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from fixer import rule_codes
from fixer.analysis.app_server import entry_answers, entry_health_paths
from fixer.checks import Option, rule
from fixer.findings import Finding, Rule, Severity
from fixer.project import ProjectModel
from fixer.settings_values import EnvRef
from fixer.url_patterns import Route, UrlConf
from fixer.urls import read_urlconf

ITEM = 7
TITLE = "Health endpoint"

HEALTH_MISSING = rule(
    __name__,
    rule_codes.HEALTH_ENDPOINT_MISSING,
    "health-endpoint-missing",
    ITEM,
    Severity.WARNING,
    "No view answers GET /health.",
)
COMMON_HEALTH_MISSING = rule(
    __name__,
    rule_codes.COMMON_HEALTH_ENDPOINT_MISSING,
    "common-health-endpoint-missing",
    ITEM,
    Severity.WARNING,
    "No view answers GET /common/health.",
)
HEALTH_BEHIND_HOST_CHECK = rule(
    __name__,
    rule_codes.HEALTH_BEHIND_HOST_VALIDATION,
    "health-behind-host-validation",
    ITEM,
    Severity.WARNING,
    "A probe of /health by IP address gets 400: a middleware validates the Host header first.",
)
RULES = [HEALTH_MISSING, COMMON_HEALTH_MISSING, HEALTH_BEHIND_HOST_CHECK]
OPTIONS: dict[str, Any] = {
    "common-app-label": Option(
        "common",
        "label of the app djfix generates for /health and the startup probes (another free "
        "name is chosen when it is taken)",
    ),
}

#: segments that show a view meant as a health check, at an address probes do not use
_HEALTHISH = re.compile(
    r"health|^(ping|livez|readyz|alive|liveness|readiness|heartbeat|status)$", re.I
)
_MAX_MENTIONS = 2


def applies(project: ProjectModel) -> bool:
    return True


def _where(project: ProjectModel, conf: UrlConf) -> tuple[str | None, int | None]:
    """The root URLconf's urlpatterns, or the ROOT_URLCONF setting when it cannot be read."""
    if conf.root_rel is not None:
        return conf.root_rel, conf.root_line or 1
    where = project.settings.where("ROOT_URLCONF")
    if where is not None:
        return where.path, where.line
    return project.settings.rel, None


def _healthish(route: Route) -> bool:
    segments = [s for s in re.split(r"[/^$]+", route.url) if s]
    return any(_HEALTHISH.search(s) for s in segments)


def _notes(conf: UrlConf, url_path: str) -> list[str]:
    notes: list[str] = []
    debug = [r for r in conf.matches(url_path, literal=True) if r.debug_only]
    if debug:
        r = debug[0]
        notes.append(f"{r.url} is routed only when DEBUG is True, by {r.rel}:{r.line}")
    near = [
        r
        for r in conf.routes
        if not r.debug_only and _healthish(r) and not r.matches(url_path, literal=True)
    ]
    if near:
        # the views named once, then why they do not count: the probes ask for url_path
        routed = " and ".join(f"{r.url} by {r.rel}:{r.line}" for r in near[:_MAX_MENTIONS])
        views = "a view is" if len(near[:_MAX_MENTIONS]) == 1 else "views are"
        notes.append(
            f"{views} routed at {routed}; orchestrators and djfix's image probe {url_path}"
        )
    blind = conf.blind_spots(url_path)
    for rel, line, reason in blind[:_MAX_MENTIONS]:
        place = f"{rel}:{line}" if rel and line else (rel or "the settings")
        notes.append(f"djfix could not follow {place}: {reason}")
    if len(blind) > _MAX_MENTIONS:
        notes.append(f"and {len(blind) - _MAX_MENTIONS} more place(s) djfix could not follow")
    return notes


def _entry_notes(project: ProjectModel, url_path: str) -> list[str]:
    """The health paths the entry module answers itself, where they are not `url_path`: a
    wrapper that answers "/health/" exactly leaves GET /health to Django."""
    return [
        f"{e.rel}:{e.line} answers GET {e.path} itself, before Django, but not GET {url_path}, "
        "which reaches Django"
        for e in entry_health_paths(project)[:_MAX_MENTIONS]
        if e.path != url_path and (url_path == "/health" or e.path.rstrip("/") == url_path)
    ]


def _missing(
    project: ProjectModel, conf: UrlConf, url_path: str, which: Rule, advice: str
) -> Iterator[Finding]:
    if any(not r.debug_only for r in conf.matches(url_path, literal=True)):
        return
    if _middleware_answers(project, url_path):
        return  # a middleware of the project's own answers it before any route is looked up
    if entry_answers(project, url_path) is not None:
        return  # the WSGI/ASGI entry answers it before Django sees the request
    path, line = _where(project, conf)
    notes = _entry_notes(project, url_path) + _notes(conf, url_path)
    note = f" ({'; '.join(notes)})" if notes else ""
    source = f"ROOT_URLCONF {conf.root}" if conf.root else "the URLconf"
    yield Finding(
        which,
        f"no view in {source} answers GET {url_path}{note}: {advice}",
        path,
        line,
    )


def _spell(project: ProjectModel, route: str, view: str) -> str:
    """The route as the project's Django writes it: url() before 2.0, path() since."""
    if project.django_version is not None and project.django_version < (2, 0):
        return f'url(r"^{route}/?$", {view})'
    return f'path("{route}", {view})'


#: middleware that call request.get_host() on a plain-HTTP GET of /health: a Host header that is
#: not in ALLOWED_HOSTS (an orchestrator probing by IP address) gets 400 before the view runs
_HOST_CHECKING = {
    "django.middleware.common.CommonMiddleware": "calls request.get_host() on every request",
    "django.contrib.sites.middleware.CurrentSiteMiddleware": "looks the site up by the Host header",
}
_SECURITY = "django.middleware.security.SecurityMiddleware"
#: a path of the health endpoint written out in a middleware's module: the middleware answers it
_HEALTH_LITERAL = re.compile(r"""["']/(?:common/)?health/?["']""")


def _default(value: Any) -> Any:
    """An environment read stands for its default (production settings are judged by it)."""
    if isinstance(value, EnvRef):
        if not value.has_default:
            return None
        if value.cast == "bool" and isinstance(value.default, str):
            return value.default.strip().lower() not in ("", "0", "false", "no", "off", "n")
        return value.default
    return value


def _answers_health(
    project: ProjectModel, entry: str, literal: re.Pattern = _HEALTH_LITERAL
) -> bool:
    """The entry is a middleware of the project's own that writes out a health path (one that
    `literal` matches)."""
    module, _, cls = entry.rpartition(".")
    path = project.module_path(module) if module else None
    text = project.python(path).text if path is not None else None
    return bool(text) and f"class {cls}" in text and literal.search(text) is not None


def _middleware_answers(project: ProjectModel, url_path: str) -> bool:
    """A middleware of the project's own (djfix's health middleware, say, where the URLconf
    could not take the routes) writes out `url_path` and is installed."""
    name = "MIDDLEWARE" if project.settings.get("MIDDLEWARE") is not None else "MIDDLEWARE_CLASSES"
    chain = project.settings.get(name)
    if not isinstance(chain, (list, tuple)):
        return False
    literal = re.compile(rf"""["']{re.escape(url_path)}/?["']""")
    return any(isinstance(e, str) and _answers_health(project, e, literal) for e in chain)


def _host_check(project: ProjectModel, entry: str) -> str | None:
    """Why `entry` validates the Host header of GET /health over plain HTTP, or None."""
    if entry == _SECURITY:
        if not _default(project.settings.get("SECURE_SSL_REDIRECT")):
            return None
        exempt = _default(project.settings.get("SECURE_REDIRECT_EXEMPT")) or []
        patterns = [p for p in exempt if isinstance(p, str)] if isinstance(exempt, list) else []
        for pattern in patterns:
            with contextlib.suppress(re.error):
                if re.search(pattern, "health"):
                    return None
        return "redirects it to HTTPS, which calls request.get_host() (SECURE_SSL_REDIRECT)"
    return _HOST_CHECKING.get(entry)


def _behind_host_check(project: ProjectModel, conf: UrlConf) -> Iterator[Finding]:
    if entry_answers(project, "/health") is not None:
        return  # answered in the WSGI/ASGI entry, before any middleware
    if not any(not r.debug_only for r in conf.matches("/health", literal=True)):
        return  # DJ070 says what to do
    hosts = _default(project.settings.get("ALLOWED_HOSTS"))
    if isinstance(hosts, (list, tuple)) and "*" in hosts:
        return
    name = "MIDDLEWARE" if project.settings.get("MIDDLEWARE") is not None else "MIDDLEWARE_CLASSES"
    chain = project.settings.get(name)
    if not isinstance(chain, (list, tuple)):
        return
    for entry in chain:
        if not isinstance(entry, str):
            return
        if _answers_health(project, entry):
            return
        why = _host_check(project, entry)
        if why is not None:
            where = project.settings.where(name)
            yield Finding(
                HEALTH_BEHIND_HOST_CHECK,
                f"{entry} ({name}) {why} before /health is answered, so a probe by IP address "
                f"gets 400 unless ALLOWED_HOSTS lists that address: answer GET /health and "
                f"/common/health in a middleware placed first in {name}",
                where.path if where else project.settings.rel,
                where.line if where else None,
            )
            return


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    conf = read_urlconf(project)
    yield from _behind_host_check(project, conf)
    health = _spell(project, "health", "health")
    common = _spell(project, "common/", 'include("common.urls")').replace("/?$", "")
    yield from _missing(
        project,
        conf,
        "/health",
        HEALTH_MISSING,
        f"add a view that returns 200 when the app can serve requests (503 when, say, the "
        f"database is down) and route it with {health}",
    )
    has_health = any(not r.debug_only for r in conf.matches("/health", literal=True))
    where = f"{common} with {health} in common/urls.py"
    common_advice = (
        f"route the health view under common/ too: {where}"
        if has_health
        else f"route a health view that returns 200 when the app is fine at {where}"
    )
    yield from _missing(project, conf, "/common/health", COMMON_HEALTH_MISSING, common_advice)
