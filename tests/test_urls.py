"""The static URLconf reader: every URL style, includes, DEBUG blocks and what it cannot follow."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixer.discovery import discover
from fixer.urls import MAX_DEPTH, read_urlconf

PROJECTS = Path(__file__).parent / "projects"

SETTINGS = """\
SECRET_KEY = "x"
INSTALLED_APPS = ["django.contrib.staticfiles", "blog"]
ROOT_URLCONF = "mysite.urls"
STATIC_URL = "/static/"
"""


@pytest.fixture
def urlconf(make_project):
    """Read the URLconf of a project made of `files` (mysite/settings.py added unless given)."""

    def make(files: dict[str, str | bytes]):
        tree = {"mysite/settings.py": SETTINGS, "blog/__init__.py": ""}
        tree.update(files)
        return read_urlconf(make_project(tree))

    return make


def by_url(conf) -> dict[str, object]:
    return {r.url: r for r in conf.routes}


# -- path(), include() and prefixes ------------------------------------------------------------


def test_path_routes_with_include_prefix(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import include, path
                from . import views

                urlpatterns = [
                    path("", views.home, name="home"),
                    path("blog/", include("blog.urls")),
                ]
                """,
            "blog/urls.py": """\
                from django.urls import path
                from blog import views

                urlpatterns = [
                    path("posts/<int:pk>/", views.PostView.as_view(), name="post"),
                ]
                """,
        }
    )
    assert [(r.pattern_text, r.kind) for r in conf.routes] == [
        ("", "path"),
        ("blog/posts/<int:pk>/", "path"),
    ]
    post = conf.routes[1]
    assert (post.rel, post.line, post.column) == ("blog/urls.py", 5, 5)
    assert post.view == "views.PostView.as_view()"
    assert post.view_target == "blog.views.PostView"
    assert post.name == "post"
    assert conf.routes[0].view_target == "mysite.views.home"
    assert conf.root_rel == "mysite/urls.py" and conf.root_line == 4
    assert conf.files == ["mysite/urls.py", "blog/urls.py"]
    assert conf.readable and conf.unknown == []
    assert conf.matches("/blog/posts/12/") == [post]
    assert conf.matches("/blog/posts/12") == [post]  # APPEND_SLASH redirects
    assert conf.matches("/blog/posts/abc/") == []
    assert [r.url for r in conf.matches("/")] == ["/"]


def test_include_tuple_and_module_objects(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import include, path
                import shop.urls
                from blog import urls as blog_urls

                urlpatterns = [
                    path("a/", include(("blog.urls", "blog"), namespace="a")),
                    path("b/", include(blog_urls)),
                    path("c/", include(shop.urls)),
                    path("d/", include("blog.urls", namespace="d")),
                ]
                """,
            "blog/urls.py": 'from django.urls import path\nurlpatterns = [path("x", v)]\n',
            "shop/__init__.py": "",
            "shop/urls.py": 'from django.urls import path\nurlpatterns = [path("y", v)]\n',
        }
    )
    assert [r.pattern_text for r in conf.routes] == ["a/x", "b/x", "c/y", "d/x"]
    assert conf.unknown == []


def test_nested_includes_concatenate_prefixes(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import include, path
                urlpatterns = [path("api/", include("api.urls"))]
                """,
            "api/__init__.py": "",
            "api/urls.py": """\
                from django.urls import include, path
                urlpatterns = [path("v1/", include("api.v1.urls"))]
                """,
            "api/v1/__init__.py": "",
            "api/v1/urls.py": """\
                from django.urls import path
                from .views import health
                urlpatterns = [path("health", health)]
                """,
        }
    )
    (route,) = conf.routes
    assert route.pattern_text == "api/v1/health"
    assert route.view_target == "api.v1.views.health"
    assert route.rel == "api/v1/urls.py"
    assert conf.matches("/api/v1/health") == [route]
    assert conf.matches("/api/v1/health/") == [route]
    assert conf.matches("/health") == []


def test_inline_lists_and_list_variables(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import include, path
                from .api import urlpatterns as api_urls

                extra = [path("one", v)]
                extra += [path("two", v)]
                more = []
                more.append(path("three", v))

                urlpatterns = [
                    path("x/", include(extra)),
                    path("y/", include([path("inline", v)])),
                    path("z/", ([path("tuple", v)], "app")),
                    path("m/", more),
                    path("api/", include(api_urls)),
                ]
                """,
            "mysite/api.py": 'from django.urls import path\nurlpatterns = [path("ping", v)]\n',
        }
    )
    assert [r.pattern_text for r in conf.routes] == [
        "x/one",
        "x/two",
        "y/inline",
        "z/tuple",
        "m/three",
        "api/ping",
    ]
    assert conf.unknown == []


def test_translated_route_uses_the_source_string(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import path
                from django.utils.translation import gettext_lazy as _
                urlpatterns = [path(_("about/"), v)]
                """,
        }
    )
    assert [r.pattern_text for r in conf.routes] == ["about/"]


# -- regex styles --------------------------------------------------------------------------------


def test_re_path_prefix_with_path_endpoint_is_regex(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import include, path, re_path
                urlpatterns = [re_path(r"^api/", include("blog.urls"))]
                """,
            "blog/urls.py": 'from django.urls import path\nurlpatterns = [path("health", v)]\n',
        }
    )
    (route,) = conf.routes
    assert route.kind == "regex"
    assert route.pattern_text == "^api/health$"
    assert route.url == "/api/health"
    assert conf.matches("/api/health") == [route]
    assert conf.matches("/api/healthz") == []


def test_old_url_with_django_conf_urls(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.conf.urls import include, url
                from django.contrib import admin
                from blog import views

                urlpatterns = [
                    url(r'^admin/', admin.site.urls),
                    url(r'^health/$', views.health, name='health'),
                    url(r'^', include('blog.urls')),
                ]
                """,
            "blog/urls.py": """\
                from django.conf.urls import url
                from . import views
                urlpatterns = [
                    url(r'^$', views.index),
                    url(r'^p/(?P<slug>[\\w-]+)/$', views.detail),
                ]
                """,
        }
    )
    assert [(r.pattern_text, r.kind) for r in conf.routes] == [
        ("^health/$", "regex"),
        ("^$", "regex"),
        (r"^p/(?P<slug>[\w-]+)/$", "regex"),
    ]
    health = conf.routes[0]
    assert health.view_target == "blog.views.health" and health.name == "health"
    assert conf.matches("/health") == [health]  # APPEND_SLASH: /health -> /health/
    assert conf.matches("/health/") == [health]
    assert conf.matches("/") == [conf.routes[1]]
    assert [o.target for o in conf.opaque] == ["admin.site.urls"]
    assert conf.opaque[0].reason is None and conf.unknown == []


def test_regex_endpoint_without_dollar_matches_any_rest(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import re_path
                urlpatterns = [re_path(r"^health", v)]
                """,
        }
    )
    (route,) = conf.routes
    assert conf.matches("/health") == [route]
    assert conf.matches("/healthz") == [route]  # Django resolves it too
    assert conf.matches("/healthz", literal=True) == []
    assert conf.matches("/health", literal=True) == [route]


def test_very_old_patterns_with_string_views_and_tuples(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.conf.urls.defaults import *

                urlpatterns = patterns('',
                    url(r'^$', 'blog.views.index'),
                    (r'^about/$', 'blog.views.about', {}, 'about'),
                )
                urlpatterns += patterns('blog.views',
                    (r'^health/$', 'health'),
                )
                urlpatterns += patterns('django.views.static',
                    (r'^media/(?P<path>.*)$', 'serve', {'document_root': '/srv/media'}),
                )
                """,
        }
    )
    assert [(r.pattern_text, r.view) for r in conf.routes] == [
        ("^$", "blog.views.index"),
        ("^about/$", "blog.views.about"),
        ("^health/$", "blog.views.health"),
        ("^media/(?P<path>.*)$", "django.views.static.serve"),
    ]
    assert conf.routes[1].name == "about"
    assert [(h.kind, h.text, h.debug_only, h.line) for h in conf.static_helpers] == [
        ("serve", "/media/(?P<path>.*)", False, 11)
    ]
    assert conf.unknown == []


def test_converters(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import path
                urlpatterns = [
                    path("<int:pk>/", v),
                    path("<slug:slug>/", v),
                    path("y/<yyyy:year>/", v),
                    path("files/<path:rest>", v),
                ]
                """,
        }
    )
    assert [r.url for r in conf.matches("/health")] == ["/<slug:slug>/"]
    assert conf.matches("/health", literal=True) == []
    assert [r.url for r in conf.matches("/12/")] == ["/<int:pk>/", "/<slug:slug>/"]
    assert [r.url for r in conf.matches("/y/2024/")] == ["/y/<yyyy:year>/"]
    assert [r.url for r in conf.matches("/files/a/b/c")] == ["/files/<path:rest>"]


# -- urlpatterns changes, static helpers, i18n -------------------------------------------------


def test_urlpatterns_additions(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.conf import settings
                from django.conf.urls.static import static
                from django.contrib.staticfiles.urls import staticfiles_urlpatterns
                from django.urls import path

                urlpatterns = [path("a", v)]
                urlpatterns += [path("b", v)]
                urlpatterns.append(path("c", v))
                urlpatterns.extend([path("d", v)])
                urlpatterns.insert(0, path("first", v))
                urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
                urlpatterns += staticfiles_urlpatterns()
                urlpatterns = urlpatterns + [path("e", v)]
                """,
        }
    )
    assert [r.pattern_text for r in conf.routes] == ["first", "a", "b", "c", "d", "e"]
    assert [(h.kind, h.text, h.debug_only, h.line, h.column) for h in conf.static_helpers] == [
        ("static", "static(settings.MEDIA_URL, ...)", False, 11, 16),
        ("staticfiles_urlpatterns", "staticfiles_urlpatterns()", False, 12, 16),
    ]
    assert conf.root_line == 6
    assert conf.unknown == []


def test_i18n_patterns_prefix(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.conf.urls.i18n import i18n_patterns
                from django.urls import path

                urlpatterns = [path("health", v)]
                urlpatterns += i18n_patterns(path("about/", v), path("shop/", v))
                """,
        }
    )
    assert [r.pattern_text for r in conf.routes] == [
        "health",
        "<language>/about/",
        "<language>/shop/",
    ]
    about = conf.routes[1]
    assert about.url == "/<language>/about/"
    assert conf.matches("/en/about/") == [about]
    assert conf.matches("/pt-br/about/") == [about]
    assert conf.matches("/about/") == []


def test_i18n_patterns_assigned_and_without_default_prefix(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.conf.urls.i18n import i18n_patterns
                from django.urls import path

                urlpatterns = i18n_patterns(
                    path("about/", v), prefix_default_language=False
                ) + [path("x", v)]
                """,
        }
    )
    about = conf.routes[0]
    assert about.url == "/[<language>/]about/"
    assert conf.matches("/about/") == [about]
    assert conf.matches("/de/about/") == [about]
    assert [r.pattern_text for r in conf.routes][1] == "x"


# -- DEBUG blocks --------------------------------------------------------------------------------


def test_debug_blocks_mark_entries_debug_only(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.conf import settings
                from django.conf.urls.static import static
                from django.urls import include, path
                from django.views.static import serve

                urlpatterns = [path("health", v)]

                if settings.DEBUG:
                    import debug_toolbar
                    urlpatterns = [path("__debug__/", include(debug_toolbar.urls))] + urlpatterns
                    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
                    urlpatterns += [path("media/<path:path>", serve)]
                else:
                    urlpatterns += [path("prod-only", v)]

                if not settings.DEBUG:
                    pass
                else:
                    urlpatterns += [path("dev-else", v)]

                urlpatterns += [path("cond", v)] if settings.DEBUG else []
                """,
        }
    )
    flags = {r.pattern_text: r.debug_only for r in conf.routes}
    assert flags == {
        "health": False,
        "media/<path:path>": True,
        "prod-only": False,
        "dev-else": True,
        "cond": True,
    }
    assert [(h.kind, h.debug_only) for h in conf.static_helpers] == [
        ("static", True),
        ("serve", True),
    ]
    (toolbar,) = conf.opaque
    assert toolbar.debug_only and toolbar.url == "/__debug__/"
    assert "debug_toolbar.urls" in toolbar.reason


def test_debug_include_marks_included_routes(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.conf import settings
                from django.urls import include, path
                urlpatterns = []
                if settings.DEBUG is True and settings.SHOW:
                    urlpatterns += [path("dev/", include("blog.urls"))]
                """,
            "blog/urls.py": 'from django.urls import path\nurlpatterns = [path("health", v)]\n',
        }
    )
    (route,) = conf.matches("/dev/health")
    assert route.debug_only and route.rel == "blog/urls.py"


def test_other_conditions_count_as_production(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.conf import settings
                from django.conf.urls.static import static
                urlpatterns = []
                if settings.SERVE_MEDIA:
                    urlpatterns += static(settings.MEDIA_URL)
                """,
        }
    )
    assert [h.debug_only for h in conf.static_helpers] == [False]


# -- what cannot be followed -------------------------------------------------------------------


def test_include_cycle_is_reported_and_stops(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import include, path
                urlpatterns = [path("a/", include("blog.urls"))]
                """,
            "blog/urls.py": """\
                from django.urls import include, path
                urlpatterns = [path("x", v), path("again/", include("mysite.urls"))]
                """,
        }
    )
    assert [r.pattern_text for r in conf.routes] == ["a/x"]
    assert conf.unknown == [
        ("blog/urls.py", 2, "include cycle: mysite.urls -> blog.urls -> mysite.urls")
    ]


def test_missing_modules(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import include, path
                urlpatterns = [
                    path("accounts/", include("allauth.urls")),
                    path("", include("blog.missing")),
                    path("auth/", include("django.contrib.auth.urls")),
                    path("ht/", include("health_check.urls")),
                ]
                """,
        }
    )
    assert conf.unknown == [
        (
            "mysite/urls.py",
            3,
            "include('allauth.urls') reads a URLconf outside this repository, which djfix "
            "does not read",
        ),
        ("mysite/urls.py", 4, "include('blog.missing'): no module blog.missing in this repository"),
    ]
    assert [(o.target, o.url, o.reason is None) for o in conf.opaque] == [
        ("allauth.urls", "/accounts/", False),
        ("blog.missing", "/", False),
        ("django.contrib.auth.urls", "/auth/", True),
    ]
    # a known health package is expanded, so /ht/ counts as routed
    assert [r.url for r in conf.matches("/ht/", literal=True)] == ["/ht/"]
    # only the include mounted at the root could hide /health
    assert [line for _, line, _ in conf.blind_spots("/health")] == [4]
    assert [line for _, line, _ in conf.blind_spots("/accounts/health")] == [3, 4]


def test_syntax_error_in_included_urls(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import include, path
                urlpatterns = [path("ok", v), path("blog/", include("blog.urls"))]
                """,
            "blog/urls.py": "urlpatterns = [\n    path('x', v\n",
        }
    )
    assert [r.pattern_text for r in conf.routes] == ["ok"]
    ((rel, line, reason),) = conf.unknown
    assert rel == "blog/urls.py" and isinstance(line, int)
    assert "syntax error" in reason
    assert conf.readable


def test_syntax_error_in_root_urls(urlconf):
    conf = urlconf({"mysite/urls.py": "urlpatterns = [\n"})
    assert conf.routes == [] and not conf.readable
    assert conf.root_rel == "mysite/urls.py"
    ((rel, _, reason),) = conf.unknown
    assert rel == "mysite/urls.py" and "syntax error" in reason


def test_undecodable_urls(urlconf):
    conf = urlconf({"mysite/urls.py": b"# \xff\xfe\nurlpatterns = []\n"})
    ((rel, _, reason),) = conf.unknown
    assert rel == "mysite/urls.py" and "encoding" in reason


def test_root_urlconf_not_set(urlconf):
    conf = urlconf({"mysite/settings.py": 'SECRET_KEY = "x"\nINSTALLED_APPS = []\n'})
    assert conf.root is None and not conf.readable
    assert conf.unknown == [
        ("mysite/settings.py", None, "ROOT_URLCONF is not set in the production settings")
    ]


def test_root_urlconf_names_a_missing_module(urlconf):
    conf = urlconf({"mysite/settings.py": 'ROOT_URLCONF = "mysite.nourls"\nINSTALLED_APPS = []\n'})
    assert conf.unknown == [
        ("mysite/settings.py", 1, "ROOT_URLCONF 'mysite.nourls' is not a module of this repository")
    ]


def test_dynamic_urlpatterns(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import include, path
                from rest_framework import routers

                router = routers.DefaultRouter()
                urlpatterns = [path(p, v) for p in ("a", "b")]
                urlpatterns += [path("api/", include(router.urls)), path(NAME, v), helper()]
                urlpatterns += router.urls
                for extra in ("c",):
                    urlpatterns.append(path(extra, v))
                urlpatterns.remove(x)
                """,
        }
    )
    assert [(line, reason) for _, line, reason in conf.problems] == [
        (5, "urlpatterns is built from a list comprehension, which djfix cannot read"),
        (6, "a route's pattern is NAME, not a string literal"),
        (6, "the urlpatterns entry helper() is not path(), re_path() or url()"),
        (8, "urlpatterns is changed inside a `for` statement"),
        (10, "urlpatterns.remove() changes the list at run time"),
    ]
    assert [(o.target, o.url, o.reason) for o in conf.opaque] == [
        ("router.urls", "/api/", "router.urls is built at run time, so its routes are unknown"),
        ("router.urls", "/", "router.urls is built at run time, so its routes are unknown"),
    ]
    assert len(conf.unknown) == 7


def test_urls_attribute_as_the_view(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.contrib import admin
                from django.urls import path
                import blog.urls

                urlpatterns = [
                    path("admin/", admin.site.urls),
                    path("api/", router.urls),
                    path("blog/", blog.urls),
                ]
                """,
            "blog/urls.py": 'from django.urls import path\nurlpatterns = [path("x", v)]\n',
        }
    )
    assert [r.pattern_text for r in conf.routes] == ["blog/x"]
    assert [(o.target, o.url, o.reason is None) for o in conf.opaque] == [
        ("admin.site.urls", "/admin/", True),
        ("router.urls", "/api/", False),
    ]


BASE_URLS = """\
    from django.urls import path
    common = [path("common", v)]
    urlpatterns = [path("base", v)]
"""


def test_star_imported_urlpatterns_extended(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from .base_urls import *
                from django.urls import path

                urlpatterns += [path("extra", v)] + common
                """,
            "mysite/base_urls.py": BASE_URLS,
        }
    )
    assert [(r.pattern_text, r.rel) for r in conf.routes] == [
        ("base", "mysite/base_urls.py"),
        ("extra", "mysite/urls.py"),
        ("common", "mysite/base_urls.py"),
    ]
    assert conf.unknown == []


def test_star_import_alone(urlconf):
    conf = urlconf(
        {"mysite/urls.py": "from mysite.base_urls import *\n", "mysite/base_urls.py": BASE_URLS}
    )
    assert [r.pattern_text for r in conf.routes] == ["base"]
    assert conf.unknown == []


def test_module_without_urlpatterns(urlconf):
    conf = urlconf({"mysite/urls.py": "from django.urls import path\n"})
    assert conf.unknown == [
        ("mysite/urls.py", None, "mysite.urls defines no urlpatterns djfix can read")
    ]


def test_urlpatterns_not_a_list(urlconf):
    conf = urlconf({"mysite/urls.py": "urlpatterns = 5\n"})
    assert conf.unknown == [
        ("mysite/urls.py", 1, "urlpatterns is built from 5, which djfix cannot read")
    ]


def test_include_depth_is_bounded(urlconf):
    chain = (
        'from django.urls import include, path\nurlpatterns = [path("l/", include("blog.u{}"))]\n'
    )
    files = {f"blog/u{i}.py": chain.format(i + 1) for i in range(MAX_DEPTH + 5)}
    files["mysite/urls.py"] = chain.format(0)
    conf = urlconf(files)
    assert conf.routes == []
    assert any("nest deeper" in reason for _, _, reason in conf.unknown)


def test_never_raises_on_odd_code(urlconf):
    conf = urlconf(
        {
            "mysite/urls.py": """\
                from django.urls import path, include
                urlpatterns = [path(), path("x"), path("y/", include()), path("[", v)]
                urlpatterns += [re_path(r"(unclosed", v)]
                urlpatterns[0] = path("z", v)
                async def f():
                    urlpatterns.append(1)
                """,
        }
    )
    assert [r.pattern_text for r in conf.routes] == ["[", "(unclosed"]
    assert conf.matches("/(unclosed") == []  # an invalid regex matches nothing
    assert [(line, reason) for _, line, reason in conf.unknown] == [
        (2, "a route's pattern is nothing, not a string literal"),
        (2, "the route 'x' names no view"),
        (3, "the pattern '(unclosed' is not a valid regular expression"),
        (4, "urlpatterns is changed item by item"),
        (2, "include() names nothing"),
    ]


def test_reading_is_cached_per_project(make_project):
    project = make_project({"mysite/settings.py": SETTINGS, "mysite/urls.py": "urlpatterns = []\n"})
    assert read_urlconf(project) is read_urlconf(project)


# -- the test repositories ---------------------------------------------------------------------


def test_deploy_ready_routes():
    conf = read_urlconf(discover(PROJECTS / "deploy_ready"))
    assert [(r.url, r.rel, r.line) for r in conf.matches("/health", literal=True)] == [
        ("/health", "shipit/urls.py", 7)
    ]
    assert [(r.url, r.rel, r.line) for r in conf.matches("/common/health", literal=True)] == [
        ("/common/health", "common/urls.py", 8)
    ]
    assert conf.static_helpers == [] and conf.unknown == []


def test_legacy_single_routes():
    conf = read_urlconf(discover(PROJECTS / "legacy_single"))
    assert [(h.kind, h.rel, h.line, h.debug_only) for h in conf.static_helpers] == [
        ("serve", "legacy/urls.py", 9, False),
        ("static", "legacy/urls.py", 11, False),
    ]
    assert [r.pattern_text for r in conf.routes] == [
        "^media/(?P<path>.*)$",
        "^$",
        r"^p/(?P<sku>[\w-]+)/$",
    ]
    assert conf.matches("/health") == []


def test_manage_subfolder_routes():
    conf = read_urlconf(discover(PROJECTS / "manage_subfolder"))
    assert [r.url for r in conf.matches("/healthz", literal=True)] == ["/healthz/"]
    assert [r.url for r in conf.matches("/health")] == ["/<slug:slug>/"]  # the poll detail view
    assert conf.matches("/health", literal=True) == []
    assert conf.routes[0].rel == "app/mysite/urls.py"
