from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import tokenize
from collections import Counter
from pathlib import Path
from textwrap import dedent

import libcst as cst
import pytest

from codemods.urlpatterns import Result, transform
from fixer.urls import read_urlconf

MODULES = {"view_module": "common.views", "urls_module": "common.urls"}


def comments(source: str) -> Counter[str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


def check(
    before: str, after: str, django: tuple[int, int] | None = (5, 2), **options: tuple[str, ...]
) -> Result:
    """`before` becomes exactly `after`; the output parses, keeps every comment, and a second run
    changes nothing."""
    before, after = dedent(before), dedent(after)
    result = transform(before, django_version=django, **MODULES, **options)
    assert result.code == after
    cst.parse_module(result.code)
    ast.parse(result.code)
    assert not comments(before) - comments(result.code)
    again = transform(result.code, django_version=django, **MODULES, **options)
    assert again.code == result.code
    assert again.rewritten == [] and again.left == []
    return result


def unchanged(
    source: str, django: tuple[int, int] | None = (5, 2), **options: tuple[str, ...]
) -> Result:
    source = dedent(source)
    result = transform(source, django_version=django, **MODULES, **options)
    assert result.code == source
    assert result.rewritten == []
    return result


# -- nothing to change ---------------------------------------------------------------------------


def test_routes_already_there() -> None:
    result = unchanged(
        """\
        from django.urls import include, path

        from common.views import health as djfix_health

        urlpatterns = [
            path("health", djfix_health),
            path("common/", include("common.urls")),
            path("", include("blog.urls")),
        ]
        """
    )
    assert result.left == []


def test_authors_health_route_and_common_health_route() -> None:
    # any view at /health counts, with or without the slash; /common/health spelled out too
    unchanged(
        """\
        from django.conf.urls import url

        from monitoring import views

        urlpatterns = [
            url(r"^health/$", views.health),
            url(r"^common/health/?$", views.health),
        ]
        """,
        django=(1, 11),
    )


def test_health_package_mounted_at_health_and_app_included_elsewhere() -> None:
    unchanged(
        """\
        from django.urls import include, path

        urlpatterns = [
            path("health/", include("health_check.urls")),
            path("shared/", include(("common.urls", "common"))),
        ]
        """
    )


def test_routes_inside_patterns_already_there() -> None:
    unchanged(
        """\
        from django.conf.urls import include, patterns, url

        urlpatterns = patterns('',
            (r'^health/?$', 'common.views.health'),
            url(r'^common/', include('common.urls')),
        )
        """,
        django=(1, 8),
    )


def test_routes_the_caller_found_elsewhere() -> None:
    # the caller read the whole URLconf: /health and /common/health resolve through modules
    # this one only includes, so nothing is added in front of them
    result = unchanged(
        """\
        from django.urls import include, path

        urlpatterns = [
            path("", include("core.urls")),
            path("common/", include("shared.urls")),
        ]
        """,
        routes=(),
    )
    assert result.left == []


def test_urlpatterns_from_another_module() -> None:
    result = unchanged(
        """\
        from .base_urls import *  # noqa: F403

        urlpatterns += [path("blog/", include("blog.urls"))]
        """
    )
    assert result.left == [
        (
            "urlpatterns",
            0,
            "urlpatterns comes from another module (this one only extends it): add the routes "
            "where it is defined",
        )
    ]


def test_urlpatterns_from_a_star_import_only() -> None:
    result = unchanged("from .base_urls import *  # noqa: F403\n")
    assert result.left == [
        (
            "urlpatterns",
            0,
            "this module defines no urlpatterns; `from .base_urls import *` may bring them: add "
            "the routes where they are defined",
        )
    ]


def test_urlpatterns_built_by_a_function() -> None:
    result = unchanged("from .routing import build\n\nurlpatterns = build()\n")
    assert result.left == [
        (
            "urlpatterns",
            3,
            "urlpatterns starts with the call `build()`, which djfix cannot prove is a list: add "
            "the routes by hand",
        )
    ]


def test_urlpatterns_set_inside_try() -> None:
    result = unchanged(
        """\
        try:
            from blog.urls import urlpatterns as blog
            urlpatterns = [path("blog/", include(blog))]
        except ImportError:
            urlpatterns = []
        """
    )
    assert [reason for _, _, reason in result.left] == [
        "urlpatterns is set inside a block (if/try/with): add the routes by hand"
    ]


def test_urlpatterns_replaced_in_a_block_that_runs_in_production() -> None:
    result = unchanged(
        """\
        urlpatterns = [path("", home)]
        if settings.MAINTENANCE:
            urlpatterns = [re_path(r"^", maintenance)]
        """
    )
    assert result.left == [
        (
            "urlpatterns",
            1,
            "urlpatterns is also replaced inside a block (if/try/with): add the routes by hand",
        )
    ]


def test_module_without_urlpatterns() -> None:
    result = unchanged("from django.urls import path\n")
    assert result.left == [("urlpatterns", 0, "this module defines no urlpatterns")]


def test_unparsable_urlconf() -> None:
    result = unchanged("urlpatterns = [\n")
    assert [(what, reason.split(":")[0]) for what, _, reason in result.left] == [
        ("<module>", "not valid Python")
    ]


# -- rewrites ------------------------------------------------------------------------------------

PATH_LIST = """\
from django.urls import path

from mysite import views

urlpatterns = [
    path("", views.home),
    path("about/", views.about),
]
"""
PATH_LIST_AFTER = """\
from django.urls import include, path

from mysite import views
from common.views import health as djfix_health

urlpatterns = [
    path("health", djfix_health),
    path("common/", include("common.urls")),
    path("", views.home),
    path("about/", views.about),
]
"""


def test_path_list() -> None:
    result = check(PATH_LIST, PATH_LIST_AFTER)
    assert result.rewritten == [("health", 5), ("common/", 5)]
    assert result.left == []


CATCH_ALL = """\
from django.urls import path, re_path

from mysite import views

urlpatterns = [
    path("", views.home),
    # every other page comes from the CMS
    re_path(r"^(?P<slug>.+)/$", views.page),
]
"""
CATCH_ALL_AFTER = """\
from django.urls import include, path, re_path

from mysite import views
from common.views import health as djfix_health

urlpatterns = [
    path("health", djfix_health),
    path("common/", include("common.urls")),
    path("", views.home),
    # every other page comes from the CMS
    re_path(r"^(?P<slug>.+)/$", views.page),
]
"""


def test_catch_all_route_does_not_count_and_stays_last() -> None:
    check(CATCH_ALL, CATCH_ALL_AFTER)


URL_LIST = """\
from django.conf.urls import include, url
from django.contrib import admin

urlpatterns = [
    url(r'^admin/', include(admin.site.urls)),
    url(r'^(?P<slug>[-\\w]+)/$', 'pages.views.page'),
]
"""
URL_LIST_AFTER = """\
from django.conf.urls import include, url
from django.contrib import admin
from common.views import health as djfix_health

urlpatterns = [
    url(r'^health/?$', djfix_health),
    url(r'^common/', include('common.urls')),
    url(r'^admin/', include(admin.site.urls)),
    url(r'^(?P<slug>[-\\w]+)/$', 'pages.views.page'),
]
"""


def test_url_list_before_django_2() -> None:
    check(URL_LIST, URL_LIST_AFTER, django=(1, 11))


def test_url_module_keeps_url_on_django_3() -> None:
    check(
        """\
        from django.conf.urls import url

        from mysite import views

        urlpatterns = [url(r"^$", views.home)]
        """,
        """\
        from django.conf.urls import include, url

        from mysite import views
        from common.views import health as djfix_health

        urlpatterns = [
            url(r"^health/?$", djfix_health),
            url(r"^common/", include("common.urls")),
            url(r"^$", views.home),
        ]
        """,
        django=(3, 2),
    )


def test_url_module_gets_path_from_django_4() -> None:
    # url() is gone from Django 4.0: the module needs fixing anyway, the new routes work
    check(
        """\
        from django.conf.urls import include, url

        urlpatterns = [url(r"^blog/", include("blog.urls"))]
        """,
        """\
        from django.conf.urls import include, url
        from common.views import health as djfix_health
        from django.urls import path

        urlpatterns = [
            path("health", djfix_health),
            path("common/", include("common.urls")),
            url(r"^blog/", include("blog.urls")),
        ]
        """,
        django=(4, 2),
    )


def test_unknown_version_follows_the_module() -> None:
    check(
        """\
        from django.conf.urls import *

        urlpatterns = [url(r'^$', home)]
        """,
        """\
        from django.conf.urls import *
        from common.views import health as djfix_health

        urlpatterns = [
            url(r'^health/?$', djfix_health),
            url(r'^common/', include('common.urls')),
            url(r'^$', home),
        ]
        """,
        django=None,
    )


PATTERNS = """\
from django.conf.urls import patterns, include, url
from django.contrib import admin

admin.autodiscover()

urlpatterns = patterns('',
    url(r'^admin/', include(admin.site.urls)),
    (r'^blog/$', 'blog.views.index'),
    (r'^(?P<slug>[-\\w]+)/$', 'pages.views.page'),
)
"""
PATTERNS_AFTER = """\
from django.conf.urls import patterns, include, url
from django.contrib import admin
from common.views import health as djfix_health

admin.autodiscover()

urlpatterns = patterns('',
    url(r'^health/?$', djfix_health),
    url(r'^common/', include('common.urls')),
    url(r'^admin/', include(admin.site.urls)),
    (r'^blog/$', 'blog.views.index'),
    (r'^(?P<slug>[-\\w]+)/$', 'pages.views.page'),
)
"""


def test_patterns_with_prefix_string() -> None:
    check(PATTERNS, PATTERNS_AFTER, django=(1, 8))


def test_patterns_from_star_import_with_view_prefix() -> None:
    check(
        """\
        from django.conf.urls.defaults import *

        urlpatterns = patterns('blog.views',
            (r'^$', 'index'),
        )
        urlpatterns += patterns('',
            (r'^about/$', 'pages.views.about'),
        )
        """,
        """\
        from django.conf.urls.defaults import *
        from common.views import health as djfix_health

        urlpatterns = patterns('blog.views',
            url(r'^health/?$', djfix_health),
            url(r'^common/', include('common.urls')),
            (r'^$', 'index'),
        )
        urlpatterns += patterns('',
            (r'^about/$', 'pages.views.about'),
        )
        """,
        django=None,
    )


I18N = """\
from django.conf.urls.i18n import i18n_patterns
from django.urls import path

from mysite import views

urlpatterns = i18n_patterns(
    path("about/", views.about),
    prefix_default_language=True,
)
"""
I18N_AFTER = """\
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from mysite import views
from common.views import health as djfix_health

urlpatterns = [
    path("health", djfix_health),
    path("common/", include("common.urls")),
] + i18n_patterns(
    path("about/", views.about),
    prefix_default_language=True,
)
"""


def test_i18n_patterns_get_a_plain_list_in_front() -> None:
    check(I18N, I18N_AFTER)


LIST_PLUS_I18N = """\
from django.conf.urls.i18n import i18n_patterns
from django.urls import (
    path,
    re_path,  # for the CMS
)

from mysite import views

urlpatterns = [
    path("", views.home),
] + i18n_patterns(
    re_path(r"^(?P<slug>.+)/$", views.page),
)
"""
LIST_PLUS_I18N_AFTER = """\
from django.conf.urls.i18n import i18n_patterns
from django.urls import (
    include,
    path,
    re_path,  # for the CMS
)

from mysite import views
from common.views import health as djfix_health

urlpatterns = [
    path("health", djfix_health),
    path("common/", include("common.urls")),
    path("", views.home),
] + i18n_patterns(
    re_path(r"^(?P<slug>.+)/$", views.page),
)
"""


def test_list_plus_i18n_patterns() -> None:
    check(LIST_PLUS_I18N, LIST_PLUS_I18N_AFTER)


AUGMENTED = """\
from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path

from mysite import views

urlpatterns = []
urlpatterns += [path("", views.home)]
urlpatterns.append(path("about/", views.about))
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if settings.DEBUG:
    urlpatterns = [path("__debug__/", include("debug_toolbar.urls"))] + urlpatterns
    urlpatterns += [path("health", views.debug_health)]
"""
AUGMENTED_AFTER = """\
from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path

from mysite import views
from common.views import health as djfix_health

urlpatterns = [path("health", djfix_health), path("common/", include("common.urls"))]
urlpatterns += [path("", views.home)]
urlpatterns.append(path("about/", views.about))
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if settings.DEBUG:
    urlpatterns = [path("__debug__/", include("debug_toolbar.urls"))] + urlpatterns
    urlpatterns += [path("health", views.debug_health)]
"""


def test_list_built_with_augmented_assignments_and_a_debug_block() -> None:
    # a /health route that exists only with DEBUG does not count; the DEBUG block is untouched
    result = check(AUGMENTED, AUGMENTED_AFTER)
    assert result.rewritten == [("health", 7), ("common/", 7)]


SELF_EXTENDED = """\
from django.urls import path

from mysite import views

urlpatterns = [
    path("", views.home),
]
urlpatterns = urlpatterns + [path("about/", views.about)]
"""
SELF_EXTENDED_AFTER = """\
from django.urls import include, path

from mysite import views
from common.views import health as djfix_health

urlpatterns = [
    path("health", djfix_health),
    path("common/", include("common.urls")),
    path("", views.home),
]
urlpatterns = urlpatterns + [path("about/", views.about)]
"""


def test_extension_by_assignment_leaves_the_front_where_it_was() -> None:
    check(SELF_EXTENDED, SELF_EXTENDED_AFTER)


def test_prepended_list_gets_the_routes() -> None:
    # the last assignment puts its list in front: the routes go first in it
    check(
        """\
        from django.urls import path

        urlpatterns = [path("", home)]
        urlpatterns = [
            path("<slug:slug>/", page),
        ] + urlpatterns
        """,
        """\
        from django.urls import include, path
        from common.views import health as djfix_health

        urlpatterns = [path("", home)]
        urlpatterns = [
            path("health", djfix_health),
            path("common/", include("common.urls")),
            path("<slug:slug>/", page),
        ] + urlpatterns
        """,
    )


def test_list_calls_and_names_get_a_plain_list_in_front() -> None:
    check(
        """\
        from django.urls import path
        from rest_framework.urlpatterns import format_suffix_patterns

        urlpatterns = format_suffix_patterns([path("items/", items)])
        """,
        """\
        from django.urls import include, path
        from rest_framework.urlpatterns import format_suffix_patterns
        from common.views import health as djfix_health

        urlpatterns = [
            path("health", djfix_health),
            path("common/", include("common.urls")),
        ] + format_suffix_patterns([path("items/", items)])
        """,
    )
    check(
        """\
        from django.urls import path

        api = [path("items/", items)]
        urlpatterns = api
        """,
        """\
        from django.urls import include, path
        from common.views import health as djfix_health

        api = [path("items/", items)]
        urlpatterns = [
            path("health", djfix_health),
            path("common/", include("common.urls")),
        ] + api
        """,
    )


def test_only_the_missing_route_is_added() -> None:
    result = check(
        """\
        from django.urls import path

        from monitoring.views import ping

        urlpatterns = [
            path("health/", ping),
        ]
        """,
        """\
        from django.urls import include, path

        from monitoring.views import ping

        urlpatterns = [
            path("common/", include("common.urls")),
            path("health/", ping),
        ]
        """,
    )
    assert result.rewritten == [("common/", 5)]


def test_only_the_routes_the_caller_asks_for() -> None:
    # the project's own app answers /common/health through its include: only /health is added
    result = check(
        """\
        from django.urls import include, path

        urlpatterns = [
            path("common/", include("shared.urls")),
        ]
        """,
        """\
        from django.urls import include, path
        from common.views import health as djfix_health

        urlpatterns = [
            path("health", djfix_health),
            path("common/", include("shared.urls")),
        ]
        """,
        routes=("health",),
    )
    assert result.rewritten == [("health", 3)]


def test_health_under_a_prefix_does_not_count() -> None:
    check(
        """\
        from django.urls import include, path

        urlpatterns = [path("api/", include([path("health", api_health)]))]
        """,
        """\
        from django.urls import include, path
        from common.views import health as djfix_health

        urlpatterns = [
            path("health", djfix_health),
            path("common/", include("common.urls")),
            path("api/", include([path("health", api_health)])),
        ]
        """,
    )


def test_existing_view_import_and_include_from_django_conf_urls_are_reused() -> None:
    check(
        """\
        from django.conf.urls import include
        from django.urls import path

        from common.views import health

        urlpatterns = [path("", include("blog.urls"))]
        """,
        """\
        from django.conf.urls import include
        from django.urls import path

        from common.views import health

        urlpatterns = [
            path("health", health),
            path("common/", include("common.urls")),
            path("", include("blog.urls")),
        ]
        """,
        django=(2, 2),
    )


def test_names_that_are_taken_get_other_names() -> None:
    check(
        """\
        from os import path

        from django.urls import re_path

        djfix_health = "taken"
        urlpatterns = [re_path(r"^$", home)]
        """,
        """\
        from os import path

        from django.urls import include, path as django_path, re_path
        from common.views import health as djfix_health_2

        djfix_health = "taken"
        urlpatterns = [
            django_path("health", djfix_health_2),
            django_path("common/", include("common.urls")),
            re_path(r"^$", home),
        ]
        """,
    )


def test_comment_lines_under_the_bracket_stay_with_their_route() -> None:
    check(
        """\
        from django.urls import include, path

        urlpatterns = [  # the site
            # Admin
            path("admin/", include("admin_urls")),
        ]
        """,
        """\
        from django.urls import include, path
        from common.views import health as djfix_health

        urlpatterns = [  # the site
            path("health", djfix_health),
            path("common/", include("common.urls")),
            # Admin
            path("admin/", include("admin_urls")),
        ]
        """,
    )


def test_empty_list_with_a_comment() -> None:
    check(
        """\
        from django.urls import path

        urlpatterns = [
            # routes come later
        ]
        """,
        """\
        from django.urls import include, path
        from common.views import health as djfix_health

        urlpatterns = [
            # routes come later
            path("health", djfix_health),
            path("common/", include("common.urls")),
        ]
        """,
    )


def test_tuple_urlpatterns_and_annotation() -> None:
    check(
        """\
        from django.urls import path

        urlpatterns: tuple = (
            path("", home),
        )
        """,
        """\
        from django.urls import include, path
        from common.views import health as djfix_health

        urlpatterns: tuple = (
            path("health", djfix_health),
            path("common/", include("common.urls")),
            path("", home),
        )
        """,
    )


# -- djfix's URL reader finds the routes ----------------------------------------------------------

SETTINGS = """\
SECRET_KEY = "test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["common.apps.CommonConfig"]
MIDDLEWARE = []
ROOT_URLCONF = "mysite.urls"
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "German")]
"""
COMMON_APP = {
    "common/__init__.py": "",
    "common/apps.py": (
        "from django.apps import AppConfig\n\n\n"
        "class CommonConfig(AppConfig):\n"
        '    name = "common"\n'
    ),
    "common/views.py": (
        "from django.http import HttpResponse\n\n\n"
        "def health(request):\n"
        '    return HttpResponse("ok")\n'
    ),
    "common/urls.py": (
        "from django.urls import path\n\n"
        "from common.views import health\n\n"
        'urlpatterns = [path("health", health)]\n'
    ),
}
SITE_VIEWS = """\
from django.http import HttpResponse


def home(request):
    return HttpResponse("home")


def about(request):
    return HttpResponse("about")


def page(request, slug):
    return HttpResponse(slug)


def debug_health(request):
    return HttpResponse("debug")
"""

STYLES = {
    "path": (PATH_LIST, (5, 2)),
    "catch_all": (CATCH_ALL, (5, 2)),
    "url": (URL_LIST, (1, 11)),
    "patterns": (PATTERNS, (1, 8)),
    "i18n": (I18N, (5, 2)),
    "list_plus_i18n": (LIST_PLUS_I18N, (5, 2)),
    "augmented_with_debug_block": (AUGMENTED, (5, 2)),
    "self_extended": (SELF_EXTENDED, (5, 2)),
}


def site_files(urls: str) -> dict[str, str]:
    return {
        "mysite/settings.py": SETTINGS,
        "mysite/views.py": SITE_VIEWS,
        "mysite/urls.py": urls,
        **COMMON_APP,
    }


@pytest.mark.parametrize("style", sorted(STYLES))
def test_url_reader_finds_both_routes(style: str, make_project) -> None:
    source, django = STYLES[style]
    result = transform(source, django_version=django, **MODULES)
    assert [route for route, _ in result.rewritten] == ["health", "common/"]
    conf = read_urlconf(make_project(site_files(result.code)))
    for url in ("/health", "/common/health"):
        assert conf.blind_spots(url) == []
        first = conf.matches(url)[0]  # the resolver takes the first route that matches
        assert first.view_target == "common.views.health", url
        assert not first.debug_only
        assert conf.matches(url, literal=True)[0] is first


# -- real Django resolves the routes ---------------------------------------------------------------

RESOLVE = """\
import sys

import django
from django.urls import resolve

django.setup()
for url in sys.argv[1:]:
    match = resolve(url)
    print(url, match.func.__module__ + "." + match.func.__name__)
"""


def resolve(root: Path, urls: str, paths: list[str], python: str = sys.executable) -> dict:
    for rel, text in site_files(urls).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "mysite/__init__.py").write_text("", encoding="utf-8")
    process = subprocess.run(
        [python, "-c", RESOLVE, *paths],
        cwd=root,
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(root),
            "PYTHONDONTWRITEBYTECODE": "1",
            "DJANGO_SETTINGS_MODULE": "mysite.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    return dict(line.split(" ", 1) for line in process.stdout.splitlines())


DJANGO_5_STYLES = {
    "path": (PATH_LIST, "/about/", "mysite.views.about"),
    "catch_all": (CATCH_ALL, "/about-us/", "mysite.views.page"),
    "i18n": (I18N, "/en/about/", "mysite.views.about"),
    "list_plus_i18n": (LIST_PLUS_I18N, "/en/about-us/", "mysite.views.page"),
    "augmented_with_debug_block": (AUGMENTED, "/about/", "mysite.views.about"),
    "self_extended": (SELF_EXTENDED, "/about/", "mysite.views.about"),
}


@pytest.mark.parametrize("style", sorted(DJANGO_5_STYLES))
def test_django_resolves_the_routes(style: str, tmp_path: Path) -> None:
    source, other, view = DJANGO_5_STYLES[style]
    result = transform(source, django_version=(5, 2), **MODULES)
    resolved = resolve(tmp_path, result.code, ["/health", "/common/health", other])
    assert resolved == {
        "/health": "common.views.health",
        "/common/health": "common.views.health",
        other: view,
    }


@pytest.mark.skipif(
    not os.environ.get("DJANGO32_PYTHON"),
    reason="set DJANGO32_PYTHON to a Python with Django 3.2 to load url() routes",
)
def test_django_3_2_resolves_url_routes(tmp_path: Path) -> None:
    source = """\
        from django.conf.urls import url

        from mysite import views

        urlpatterns = [url(r"^(?P<slug>[-\\w]+)/$", views.page)]
        """
    result = transform(dedent(source), django_version=(3, 2), **MODULES)
    assert 'url(r"^health/?$", djfix_health)' in result.code
    resolved = resolve(
        tmp_path,
        result.code,
        ["/health", "/health/", "/common/health", "/about-us/"],
        python=os.environ["DJANGO32_PYTHON"],
    )
    assert resolved == {
        "/health": "common.views.health",
        "/health/": "common.views.health",
        "/common/health": "common.views.health",
        "/about-us/": "mysite.views.page",
    }
