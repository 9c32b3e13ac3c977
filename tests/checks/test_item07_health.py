from __future__ import annotations

from fixer.checks import item07_health as item07
from fixer.discovery import discover
from tests.conftest import PROJECTS, findings_of

SETTINGS = """\
    SECRET_KEY = "x"
    INSTALLED_APPS = ["django.contrib.staticfiles", "common"]
    ROOT_URLCONF = "mysite.urls"
"""
COMMON_URLS = """\
    from django.urls import path
    from .views import health
    urlpatterns = [path("health", health)]
"""


def project_with(make_project, urls: str, files: dict[str, str | None] | None = None):
    tree: dict[str, str | None] = {
        "mysite/settings.py": SETTINGS,
        "mysite/urls.py": urls,
        "common/__init__.py": "",
        "common/urls.py": COMMON_URLS,
    }
    tree.update(files or {})
    return make_project(tree)


def codes(findings) -> list[tuple[str, str | None, int | None]]:
    return [(f.code, f.path, f.line) for f in findings]


# -- nothing to report ----------------------------------------------------------------------------


def test_health_and_common_health_routed(make_project):
    project = project_with(
        make_project,
        """\
        from django.urls import include, path
        from common.views import health
        urlpatterns = [
            path("health", health),
            path("common/", include("common.urls")),
        ]
        """,
    )
    assert item07.applies(project) is True
    assert findings_of(item07, project) == []


def test_a_health_middleware_answers_without_routes(make_project):
    # the URLconf could not take the routes (urlpatterns built by a call): the health
    # middleware placed first answers both paths, which is what a probe sees
    middleware = """\
        from . import views

        HEALTH_PATHS = frozenset(["/health", "/health/", "/common/health", "/common/health/"])


        class HealthCheckMiddleware:
            def __init__(self, get_response):
                self.get_response = get_response

            def __call__(self, request):
                if request.path in HEALTH_PATHS:
                    return views.health(request)
                return self.get_response(request)
    """
    settings = SETTINGS + '    MIDDLEWARE = ["djfix_common.middleware.HealthCheckMiddleware"]\n'
    urls = "from toolbar import urls_of\nurlpatterns = urls_of()\n"
    files = {
        "mysite/settings.py": settings,
        "djfix_common/__init__.py": "",
        "djfix_common/views.py": "def health(request):\n    pass\n",
        "djfix_common/middleware.py": middleware,
    }
    assert findings_of(item07, project_with(make_project, urls, files)) == []
    # only /health written out: /common/health is still missing
    files["djfix_common/middleware.py"] = middleware.replace(
        ', "/common/health", "/common/health/"', ""
    )
    found = findings_of(item07, project_with(make_project, urls, files))
    assert [f.code for f in found] == ["DJ071"]


def test_trailing_slash_routes_count(make_project):
    # APPEND_SLASH redirects /health to /health/, which probes follow
    project = project_with(
        make_project,
        """\
        from django.conf.urls import include, url
        from common.views import health
        urlpatterns = [
            url(r"^health/$", health),
            url(r"^common/health/?$", health),
        ]
        """,
    )
    assert findings_of(item07, project) == []


def test_health_in_old_patterns(make_project):
    project = project_with(
        make_project,
        """\
        from django.conf.urls import include, patterns, url
        urlpatterns = patterns("common.views",
            (r"^health$", "health"),
            url(r"^common/", include("common.urls")),
        )
        """,
    )
    assert findings_of(item07, project) == []


def test_health_package_mounted_at_health(make_project):
    project = project_with(
        make_project,
        """\
        from django.urls import include, path
        urlpatterns = [
            path("health/", include("health_check.urls")),
            path("common/health/", include("health_check.urls")),
        ]
        """,
    )
    assert findings_of(item07, project) == []


def test_i18n_without_default_prefix(make_project):
    project = project_with(
        make_project,
        """\
        from django.conf.urls.i18n import i18n_patterns
        from django.urls import include, path
        urlpatterns = i18n_patterns(
            path("health", v),
            path("common/", include("common.urls")),
            prefix_default_language=False,
        )
        """,
    )
    assert findings_of(item07, project) == []


# -- DJ070 / DJ071 -------------------------------------------------------------------------------


def test_no_health_route(make_project):
    project = project_with(
        make_project,
        """\
        from django.contrib import admin
        from django.urls import path

        urlpatterns = [
            path("admin/", admin.site.urls),
        ]
        """,
    )
    findings = findings_of(item07, project)
    assert codes(findings) == [("DJ070", "mysite/urls.py", 4), ("DJ071", "mysite/urls.py", 4)]
    assert findings[0].message.startswith(
        "no view in ROOT_URLCONF mysite.urls answers GET /health: add a view that returns 200"
    )
    assert 'path("health", health)' in findings[0].message
    assert findings[1].message.startswith(
        "no view in ROOT_URLCONF mysite.urls answers GET /common/health: route a health view"
    )
    assert 'path("common/", include("common.urls"))' in findings[1].message


def test_only_health_routed(make_project):
    project = project_with(
        make_project,
        'from django.urls import path\nurlpatterns = [path("health/", v)]\n',
    )
    (finding,) = findings_of(item07, project)
    assert (finding.code, finding.line) == ("DJ071", 2)
    assert "route the health view under common/ too" in finding.message
    assert "a view is routed at /health/ by mysite/urls.py:2" in finding.message


def test_healthz_does_not_count_but_is_named(make_project):
    project = project_with(
        make_project,
        """\
        from django.urls import path
        urlpatterns = [
            path("healthz/", v),
            path("api/health-check/", v),
            path("<slug:slug>/", v),
        ]
        """,
    )
    findings = findings_of(item07, project)
    assert [f.code for f in findings] == ["DJ070", "DJ071"]
    message = findings[0].message
    assert (
        "(views are routed at /healthz/ by mysite/urls.py:3 and /api/health-check/ by "
        "mysite/urls.py:4; orchestrators and djfix's image probe /health)"
    ) in message


def test_debug_only_health_does_not_count(make_project):
    project = project_with(
        make_project,
        """\
        from django.conf import settings
        from django.urls import include, path
        urlpatterns = []
        if settings.DEBUG:
            urlpatterns += [path("health", v), path("common/", include("common.urls"))]
        """,
    )
    findings = findings_of(item07, project)
    assert codes(findings) == [("DJ070", "mysite/urls.py", 3), ("DJ071", "mysite/urls.py", 3)]
    assert "/health is routed only when DEBUG is True, by mysite/urls.py:5" in findings[0].message
    assert "/common/health is routed only when DEBUG is True, by common/urls.py:3" in (
        findings[1].message
    )


def test_language_prefixed_health_does_not_count(make_project):
    project = project_with(
        make_project,
        """\
        from django.conf.urls.i18n import i18n_patterns
        from django.urls import include, path
        urlpatterns = [path("common/", include("common.urls"))]
        urlpatterns += i18n_patterns(path("health", v))
        """,
    )
    (finding,) = findings_of(item07, project)
    assert finding.code == "DJ070"
    assert " and /<language>/health by mysite/urls.py:4;" in finding.message


def test_unfollowed_include_is_named(make_project):
    project = project_with(
        make_project,
        """\
        from django.urls import include, path
        urlpatterns = [
            path("", include("thirdparty.urls")),
            path("api/", include(router.urls)),
            path("common/", include("common.urls")),
        ]
        """,
    )
    (finding,) = findings_of(item07, project)
    assert finding.code == "DJ070"
    assert (
        "djfix could not follow mysite/urls.py:3: include('thirdparty.urls') reads a URLconf "
        "outside this repository"
    ) in finding.message
    assert "router.urls" not in finding.message  # mounted at api/, it cannot route /health


def test_root_urlconf_missing(make_project):
    project = project_with(
        make_project,
        "",
        {"mysite/settings.py": 'SECRET_KEY = "x"\nROOT_URLCONF = "mysite.routes"\n'},
    )
    findings = findings_of(item07, project)
    assert codes(findings) == [
        ("DJ070", "mysite/settings.py", 2),
        ("DJ071", "mysite/settings.py", 2),
    ]
    assert (
        "djfix could not follow mysite/settings.py:2: ROOT_URLCONF 'mysite.routes' is not a "
        "module of this repository"
    ) in findings[0].message


def test_root_urlconf_does_not_parse(make_project):
    project = project_with(make_project, "urlpatterns = [\n")
    findings = findings_of(item07, project)
    assert codes(findings) == [("DJ070", "mysite/urls.py", 1), ("DJ071", "mysite/urls.py", 1)]
    assert "djfix could not follow mysite/urls.py:" in findings[0].message
    assert "syntax error" in findings[0].message


def test_old_django_gets_url_advice(make_project):
    project = project_with(
        make_project,
        "from django.conf.urls import url\nurlpatterns = [url(r'^$', v)]\n",
        {"requirements.txt": "Django==1.11.29\n"},
    )
    assert project.django_version == (1, 11)
    findings = findings_of(item07, project)
    assert 'url(r"^health/?$", health)' in findings[0].message
    assert 'url(r"^common/", include("common.urls"))' in findings[1].message


# -- the test repositories -------------------------------------------------------------------------


def test_deploy_ready_is_clean():
    assert findings_of(item07, discover(PROJECTS / "deploy_ready")) == []


def test_manage_subfolder_names_healthz():
    findings = findings_of(item07, discover(PROJECTS / "manage_subfolder"))
    assert codes(findings) == [
        ("DJ070", "app/mysite/urls.py", 6),
        ("DJ071", "app/mysite/urls.py", 6),
    ]
    assert "a view is routed at /healthz/ by app/mysite/urls.py:7" in findings[0].message
    assert "orchestrators and djfix's image probe /health" in findings[0].message


def test_projects_without_health_routes():
    for name, where in (
        ("legacy_single", ("legacy/urls.py", 7)),
        ("split_settings", ("config/urls.py", 4)),
        ("asgi_channels", ("chat/urls.py", 4)),
        ("celery_services", ("svc/urls.py", 4)),
    ):
        findings = findings_of(item07, discover(PROJECTS / name))
        assert codes(findings) == [("DJ070", *where), ("DJ071", *where)], name


def test_examples_legacy_project():
    findings = findings_of(item07, discover(PROJECTS.parent.parent / "examples" / "legacy_project"))
    assert codes(findings) == [
        ("DJ070", "bookshelf/urls.py", 6),
        ("DJ071", "bookshelf/urls.py", 6),
    ]


# -- probes by IP address (DJ072) ------------------------------------------------------------------

ROUTED = """\
    from django.urls import include, path
    from common.views import health
    urlpatterns = [path("health", health), path("common/", include("common.urls"))]
"""
HEALTH_MIDDLEWARE = """\
    from .views import health

    class HealthCheckMiddleware:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            if request.path_info in ("/health", "/common/health"):
                return health(request)
            return self.get_response(request)
"""


def middleware_project(make_project, middleware: str, extra: str = ""):
    return project_with(
        make_project,
        ROUTED,
        {
            "mysite/settings.py": SETTINGS + f"    MIDDLEWARE = {middleware}\n" + extra,
            "common/middleware.py": HEALTH_MIDDLEWARE,
        },
    )


def test_health_middleware_first(make_project):
    project = middleware_project(
        make_project,
        '["common.middleware.HealthCheckMiddleware", "django.middleware.common.CommonMiddleware"]',
    )
    assert findings_of(item07, project) == []


def test_no_middleware_validates_the_host(make_project):
    project = middleware_project(
        make_project, '["django.contrib.sessions.middleware.SessionMiddleware"]'
    )
    assert findings_of(item07, project) == []


def test_ssl_redirect_exempts_health(make_project):
    project = middleware_project(
        make_project,
        '["django.middleware.security.SecurityMiddleware"]',
        '    SECURE_SSL_REDIRECT = True\n    SECURE_REDIRECT_EXEMPT = [r"^health/?$"]\n',
    )
    assert findings_of(item07, project) == []


def test_common_middleware_before_the_health_middleware(make_project):
    project = middleware_project(
        make_project,
        '["django.middleware.common.CommonMiddleware", "common.middleware.HealthCheckMiddleware"]',
    )
    findings = findings_of(item07, project)
    assert codes(findings) == [("DJ072", "mysite/settings.py", 4)]
    assert "django.middleware.common.CommonMiddleware" in findings[0].message


def test_ssl_redirect_without_exemption(make_project):
    project = middleware_project(
        make_project,
        '["django.middleware.security.SecurityMiddleware"]',
        "    SECURE_SSL_REDIRECT = True\n",
    )
    assert [f.code for f in findings_of(item07, project)] == ["DJ072"]


# -- a health path the WSGI/ASGI entry answers itself ---------------------------------------------

NO_ROUTES = "from django.urls import path\nurlpatterns = []\n"
ASGI_ANSWERS = """\
    import os

    from django.core.asgi import get_asgi_application

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    django_app = get_asgi_application()


    async def application(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/health":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        await django_app(scope, receive, send)
"""
ASGI_WRAPPED = """\
    import os

    from django.core.asgi import get_asgi_application

    from .probes import answer_health

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    application = get_asgi_application()
    application = answer_health(application, "/health/")
"""
WSGI_ANSWERS = """\
    from django.core.wsgi import get_wsgi_application

    django_app = get_wsgi_application()


    def application(environ, start_response):
        if environ.get("PATH_INFO") in ("/health", "/health/"):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return django_app(environ, start_response)
"""


def test_health_answered_in_the_asgi_entry(make_project):
    project = project_with(make_project, NO_ROUTES, {"mysite/asgi.py": ASGI_ANSWERS})
    # /health is answered before Django (and before any Host check); /common/health is not
    assert [f.code for f in findings_of(item07, project)] == ["DJ071"]


def test_health_answered_in_the_wsgi_entry(make_project):
    project = project_with(make_project, NO_ROUTES, {"mysite/wsgi.py": WSGI_ANSWERS})
    assert [f.code for f in findings_of(item07, project)] == ["DJ071"]


def test_health_with_a_slash_answered_by_an_entry_wrapper_is_named(make_project):
    # the wrapper compares the path exactly: GET /health (what probes ask) reaches Django,
    # which has no route for it, so DJ070 stays, naming the entry's own endpoint
    files = {
        "mysite/asgi.py": ASGI_WRAPPED,
        "mysite/probes.py": "def answer_health(a, p):\n    return a\n",
    }
    found = findings_of(item07, project_with(make_project, NO_ROUTES, files))
    assert [f.code for f in found] == ["DJ070", "DJ071"]
    assert (
        "(mysite/asgi.py:9 answers GET /health/ itself, before Django, but not GET /health, "
        "which reaches Django):"
    ) in found[0].message
    assert "mysite/asgi.py" not in found[1].message


def test_a_path_literal_not_compared_with_the_request_path_does_not_count(make_project):
    asgi = ASGI_ANSWERS.replace('scope["path"] == "/health"', 'LOG_PREFIX == "/health"')
    project = project_with(make_project, NO_ROUTES, {"mysite/asgi.py": asgi})
    assert [f.code for f in findings_of(item07, project)] == ["DJ070", "DJ071"]
