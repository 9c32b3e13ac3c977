from __future__ import annotations

from fixer.checks import item04_static_files as item04
from fixer.discovery import discover
from tests.conftest import PROJECTS, findings_of

SETTINGS = """\
    from pathlib import Path
    BASE_DIR = Path(__file__).resolve().parent.parent
    SECRET_KEY = "x"
    INSTALLED_APPS = ["django.contrib.staticfiles"]
    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    ]
    ROOT_URLCONF = "mysite.urls"
    WSGI_APPLICATION = "mysite.wsgi.application"
    STATIC_URL = "/static/"
    STATIC_ROOT = BASE_DIR / "staticfiles"
"""
URLS = """\
    from django.urls import path
    urlpatterns = [path("health", v)]
"""
WSGI = """\
    import os
    from django.core.wsgi import get_wsgi_application
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    application = get_wsgi_application()
"""
GOOD_DOCKERFILE = """\
    FROM python:3.12-slim AS builder
    WORKDIR /app
    COPY . .
    RUN python manage.py collectstatic --noinput

    FROM nginx:1.27-alpine AS static
    COPY --from=builder /app/staticfiles /usr/share/nginx/html/static

    FROM python:3.12-slim AS api
    COPY --from=builder /app /app
    CMD ["gunicorn", "mysite.wsgi:application"]
"""
API_ONLY_DOCKERFILE = """\
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    CMD ["gunicorn", "mysite.wsgi:application"]
"""


def project_with(make_project, files: dict[str, str | None]):
    tree: dict[str, str | None] = {
        "mysite/settings.py": SETTINGS,
        "mysite/urls.py": URLS,
        "mysite/wsgi.py": WSGI,
        "Dockerfile": GOOD_DOCKERFILE,
    }
    tree.update(files)
    return make_project(tree)


def codes(findings) -> list[tuple[str, str | None, int | None]]:
    return [(f.code, f.path, f.line) for f in findings]


# -- nothing to report ----------------------------------------------------------------------------


def test_nginx_stage_serves_collected_files(make_project):
    project = project_with(make_project, {})
    assert item04.applies(project) is True
    assert findings_of(item04, project) == []


def test_not_applicable_without_static_files(make_project):
    project = project_with(
        make_project,
        {"mysite/settings.py": 'INSTALLED_APPS = ["django.contrib.auth"]\nROOT_URLCONF = "x"\n'},
    )
    assert item04.applies(project) is False


def test_static_helpers_inside_debug_block(make_project):
    project = project_with(
        make_project,
        {
            "mysite/urls.py": """\
                from django.conf import settings
                from django.conf.urls.static import static
                from django.contrib.staticfiles.urls import staticfiles_urlpatterns
                from django.urls import path, re_path
                from django.views.static import serve

                urlpatterns = [path("health", v)]
                if settings.DEBUG:
                    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
                    urlpatterns += staticfiles_urlpatterns()
                    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve)]
                """,
        },
    )
    assert findings_of(item04, project) == []


def test_static_root_from_the_environment(make_project):
    settings = SETTINGS.replace(
        'STATIC_ROOT = BASE_DIR / "staticfiles"',
        'import os\n    STATIC_ROOT = os.environ["STATIC_ROOT"]',
    )
    project = project_with(make_project, {"mysite/settings.py": settings})
    assert findings_of(item04, project) == []


def test_remote_storage_needs_no_static_root_or_image(make_project):
    settings = SETTINGS.replace('STATIC_ROOT = BASE_DIR / "staticfiles"', "") + (
        '    STORAGES = {"staticfiles": {"BACKEND": "storages.backends.s3.S3Storage"}}\n'
    )
    project = project_with(
        make_project, {"mysite/settings.py": settings, "Dockerfile": API_ONLY_DOCKERFILE}
    )
    assert findings_of(item04, project) == []


def test_cdn_static_url_needs_no_static_image(make_project):
    settings = SETTINGS.replace('"/static/"', '"https://cdn.example.com/static/"')
    project = project_with(
        make_project, {"mysite/settings.py": settings, "Dockerfile": API_ONLY_DOCKERFILE}
    )
    assert findings_of(item04, project) == []


def test_no_staticfiles_app_needs_no_static_root(make_project):
    settings = SETTINGS.replace('"django.contrib.staticfiles"', '"django.contrib.auth"').replace(
        'STATIC_ROOT = BASE_DIR / "staticfiles"', ""
    )
    project = project_with(make_project, {"mysite/settings.py": settings})
    assert [f.code for f in findings_of(item04, project)] == []


def test_compose_nginx_service_with_static_volume(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": API_ONLY_DOCKERFILE,
            "docker-compose.yml": """\
                services:
                  api:
                    build: .
                  web:
                    image: nginx:1.27
                    volumes:
                      - static_volume:/usr/share/nginx/html/static
                volumes:
                  static_volume:
                """,
        },
    )
    assert findings_of(item04, project) == []


def test_separate_nginx_dockerfile(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": API_ONLY_DOCKERFILE,
            "nginx/Dockerfile": """\
                FROM nginx:alpine
                COPY staticfiles /usr/share/nginx/html/static
                """,
        },
    )
    assert findings_of(item04, project) == []


def test_no_root_dockerfile_leaves_the_image_to_item_1(make_project):
    project = project_with(make_project, {"Dockerfile": None})
    assert findings_of(item04, project) == []


# -- DJ040 whitenoise ----------------------------------------------------------------------------


def test_whitenoise_middleware(make_project):
    settings = SETTINGS.replace(
        '    "django.middleware.common.CommonMiddleware",\n',
        '    "whitenoise.middleware.WhiteNoiseMiddleware",\n'
        '    "django.middleware.common.CommonMiddleware",\n',
    )
    project = project_with(make_project, {"mysite/settings.py": settings})
    (finding,) = findings_of(item04, project)
    assert (finding.code, finding.path, finding.line) == ("DJ040", "mysite/settings.py", 7)
    assert finding.message.startswith(
        "MIDDLEWARE includes whitenoise.middleware.WhiteNoiseMiddleware"
    )
    assert "separate nginx image" in finding.message


def test_whitenoise_spliced_into_an_inherited_list_is_one_finding(make_project):
    # production settings put whitenoise right after the base list's first entry, twice over
    project = project_with(
        make_project,
        {
            "mysite/settings.py": SETTINGS
            + '    MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", '
            "*MIDDLEWARE[1:]]\n"
            '    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")\n'
        },
    )
    (finding,) = findings_of(item04, project)
    assert finding.code == "DJ040"
    assert finding.message.startswith(
        "MIDDLEWARE includes whitenoise.middleware.WhiteNoiseMiddleware"
    )


def test_whitenoise_in_old_middleware_classes(make_project):
    settings = """\
        SECRET_KEY = "x"
        INSTALLED_APPS = ["django.contrib.staticfiles"]
        ROOT_URLCONF = "mysite.urls"
        STATIC_URL = "/static/"
        STATIC_ROOT = "/srv/static"
        MIDDLEWARE_CLASSES = (
            "whitenoise.middleware.WhiteNoiseMiddleware",
        )
    """
    project = project_with(make_project, {"mysite/settings.py": settings})
    assert codes(findings_of(item04, project)) == [("DJ040", "mysite/settings.py", 7)]
    assert findings_of(item04, project)[0].message.startswith("MIDDLEWARE_CLASSES includes")


def test_whitenoise_wrapping_the_wsgi_application(make_project):
    wsgi = WSGI.replace(
        "application = get_wsgi_application()",
        "from whitenoise import WhiteNoise\n    application = WhiteNoise(get_wsgi_application())",
    )
    project = project_with(make_project, {"mysite/wsgi.py": wsgi})
    (finding,) = findings_of(item04, project)
    assert (finding.code, finding.path, finding.line, finding.column) == (
        "DJ040",
        "mysite/wsgi.py",
        5,
        15,
    )
    assert "WhiteNoise(...)" in finding.message


def test_whitenoise_storage(make_project):
    settings = SETTINGS + (
        '    STATICFILES_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"\n'
    )
    project = project_with(make_project, {"mysite/settings.py": settings})
    (finding,) = findings_of(item04, project)
    assert (finding.code, finding.path, finding.line) == ("DJ040", "mysite/settings.py", 13)
    assert "STATICFILES_STORAGE uses whitenoise's CompressedManifestStaticFilesStorage" in (
        finding.message
    )


def test_whitenoise_middleware_in_unreadable_middleware(make_project):
    settings = SETTINGS.replace(
        "MIDDLEWARE = [",
        'MIDDLEWARE = build_middleware("whitenoise.middleware.WhiteNoiseMiddleware") + [',
    )
    project = project_with(make_project, {"mysite/settings.py": settings})
    findings = findings_of(item04, project)
    assert codes(findings) == [("DJ040", "mysite/settings.py", 5)]
    assert "djfix could not evaluate MIDDLEWARE" in findings[0].message


# -- DJ041 / DJ042 URL helpers -------------------------------------------------------------------


def test_serve_view_routed_in_production(make_project):
    project = project_with(
        make_project,
        {
            "mysite/urls.py": """\
                from django.urls import re_path
                from django.views import static

                urlpatterns = [
                    re_path(r"^media/(?P<path>.*)$", static.serve, {"document_root": "/m"}),
                ]
                """,
        },
    )
    (finding,) = findings_of(item04, project)
    assert (finding.code, finding.path, finding.line, finding.column) == (
        "DJ041",
        "mysite/urls.py",
        5,
        5,
    )
    assert finding.message.startswith("/media/(?P<path>.*) is routed to django.views.static.serve")


def test_serve_view_under_an_opt_in_or_debug_says_where_it_is(make_project):
    # `if settings.SERVE_MEDIA or settings.DEBUG:` names DEBUG but holds without it: the
    # message says the condition, not "outside `if settings.DEBUG:`"
    project = project_with(
        make_project,
        {
            "mysite/urls.py": """\
                from django.conf import settings
                from django.urls import re_path
                from django.views.static import serve

                urlpatterns = []
                if settings.SERVE_MEDIA or settings.DEBUG:
                    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve)]
                """,
        },
    )
    (finding,) = findings_of(item04, project)
    assert finding.code == "DJ041"
    assert finding.message.startswith(
        "/media/(?P<path>.*) is routed to django.views.static.serve under "
        "`if settings.SERVE_MEDIA or settings.DEBUG:`, which holds with DEBUG off too, so the "
        "API process serves these files itself: serve them from a web server over the "
        "uploads' volume"
    )


def test_serve_view_in_included_urls(make_project):
    project = project_with(
        make_project,
        {
            "mysite/urls.py": """\
                from django.urls import include, path
                urlpatterns = [path("files/", include("files.urls"))]
                """,
            "files/__init__.py": "",
            "files/urls.py": """\
                from django.urls import path
                from django.views.static import serve
                urlpatterns = [path("<path:path>", serve)]
                """,
        },
    )
    assert codes(findings_of(item04, project)) == [("DJ041", "files/urls.py", 3)]
    assert "/files/<path:path>" in findings_of(item04, project)[0].message


def test_static_helpers_outside_debug(make_project):
    project = project_with(
        make_project,
        {
            "mysite/urls.py": """\
                from django.conf import settings
                from django.conf.urls.static import static
                from django.contrib.staticfiles.urls import staticfiles_urlpatterns
                from django.urls import path

                urlpatterns = [
                    path("health", v),
                ] + static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
                urlpatterns += staticfiles_urlpatterns()
                """,
        },
    )
    findings = findings_of(item04, project)
    assert codes(findings) == [
        ("DJ042", "mysite/urls.py", 8),
        ("DJ042", "mysite/urls.py", 9),
    ]
    assert findings[0].message.startswith("static(settings.STATIC_URL, ...) is outside")
    assert "adds no routes when DEBUG is False" in findings[0].message
    assert findings[1].message.startswith("staticfiles_urlpatterns() is outside")
    assert item04.STATIC_URLPATTERNS.severity.value == "info"


# -- DJ043 STATIC_ROOT ---------------------------------------------------------------------------


def test_static_root_missing(make_project):
    settings = SETTINGS.replace('STATIC_ROOT = BASE_DIR / "staticfiles"', "")
    project = project_with(make_project, {"mysite/settings.py": settings})
    (finding,) = findings_of(item04, project)
    assert (finding.code, finding.path, finding.line) == ("DJ043", "mysite/settings.py", 11)
    assert finding.message.startswith(
        "the production settings (mysite.settings) set no STATIC_ROOT, so collectstatic cannot run"
    )


def test_static_root_none(make_project):
    settings = SETTINGS.replace('BASE_DIR / "staticfiles"', "None")
    project = project_with(make_project, {"mysite/settings.py": settings})
    assert codes(findings_of(item04, project)) == [("DJ043", "mysite/settings.py", 12)]
    assert "set STATIC_ROOT to an empty value" in findings_of(item04, project)[0].message


def test_static_root_missing_with_unreadable_settings(make_project):
    settings = SETTINGS.replace('STATIC_ROOT = BASE_DIR / "staticfiles"', "") + (
        '    exec(open("extra.py").read())\n'
    )
    project = project_with(make_project, {"mysite/settings.py": settings})
    (finding,) = findings_of(item04, project)
    assert finding.code == "DJ043"
    assert (
        "(djfix could not read all of the settings: see mysite/settings.py:13)" in finding.message
    )


def test_static_root_in_split_settings_base(make_project):
    project = project_with(
        make_project,
        {
            "manage.py": None,
            "mysite/settings.py": None,
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": SETTINGS,
            "mysite/settings/prod.py": "from .base import *\nDEBUG = False\n",
            "mysite/wsgi.py": WSGI.replace("mysite.settings", "mysite.settings.prod"),
        },
    )
    assert project.settings.dotted == "mysite.settings.prod"
    assert findings_of(item04, project) == []


# -- DJ044 static image ----------------------------------------------------------------------------


def test_single_stage_api_image(make_project):
    project = project_with(make_project, {"Dockerfile": API_ONLY_DOCKERFILE})
    (finding,) = findings_of(item04, project)
    assert (finding.code, finding.path, finding.line) == ("DJ044", "Dockerfile", 1)
    assert finding.message.startswith(
        "Dockerfile builds no separate nginx (or caddy/httpd) image for the static files"
    )
    assert "FROM nginx:alpine AS static" in finding.message


def test_nginx_stage_that_copies_no_static_files(make_project):
    dockerfile = (
        API_ONLY_DOCKERFILE
        + "\n    FROM nginx:alpine AS proxy\n    COPY nginx.conf /etc/nginx/conf.d/default.conf\n"
    )
    project = project_with(make_project, {"Dockerfile": dockerfile})
    (finding,) = findings_of(item04, project)
    assert (finding.code, finding.line) == ("DJ044", 6)  # the final stage
    assert "stage 'proxy' of Dockerfile is based on nginx:alpine but copies no static files" in (
        finding.message
    )


def test_nginx_installed_in_the_api_image(make_project):
    dockerfile = API_ONLY_DOCKERFILE.replace(
        "WORKDIR /app", "RUN apt-get update && apt-get install -y nginx\n    WORKDIR /app"
    )
    project = project_with(make_project, {"Dockerfile": dockerfile})
    (finding,) = findings_of(item04, project)
    assert "Dockerfile:2 installs nginx in the API image itself" in finding.message


def test_compose_nginx_without_static_volume(make_project):
    project = project_with(
        make_project,
        {
            "Dockerfile": API_ONLY_DOCKERFILE,
            "docker-compose.yml": """\
                services:
                  api:
                    build: .
                  proxy:
                    image: nginx:1.27
                    volumes:
                      - ./nginx.conf:/etc/nginx/conf.d/default.conf
                """,
        },
    )
    (finding,) = findings_of(item04, project)
    assert finding.code == "DJ044"
    assert "compose service 'proxy' in docker-compose.yml runs nginx:1.27 but mounts no static" in (
        finding.message
    )


def test_no_root_dockerfile_with_option(make_project):
    project = project_with(make_project, {"Dockerfile": None})
    findings = findings_of(item04, project, {"static-image-without-dockerfile": True})
    assert codes(findings) == [("DJ044", None, None)]
    assert findings[0].message.startswith("no Dockerfile builds a separate nginx image")


# -- the test repositories -------------------------------------------------------------------------


def test_deploy_ready_is_clean():
    assert findings_of(item04, discover(PROJECTS / "deploy_ready")) == []


def test_legacy_single():
    findings = findings_of(item04, discover(PROJECTS / "legacy_single"))
    assert codes(findings) == [
        ("DJ041", "legacy/urls.py", 9),
        ("DJ042", "legacy/urls.py", 11),
        ("DJ043", "legacy/settings.py", 99),
        ("DJ044", "Dockerfile", 1),
    ]


def test_manage_subfolder():
    findings = findings_of(item04, discover(PROJECTS / "manage_subfolder"))
    assert codes(findings) == [
        ("DJ040", "app/mysite/settings.py", 27),
        ("DJ040", "app/mysite/settings.py", 86),
        ("DJ044", "Dockerfile", 1),
    ]
    assert "Dockerfile:5 installs nginx in the API image itself" in findings[2].message


def test_projects_without_static_root():
    for name, where in (
        ("asgi_channels", ("chat/settings.py", 86)),
        ("celery_services", ("svc/settings.py", 84)),
    ):
        findings = findings_of(item04, discover(PROJECTS / name))
        assert codes(findings) == [("DJ043", *where)], name


def test_split_settings_fails_only_for_the_missing_image():
    project = discover(PROJECTS / "split_settings")
    assert findings_of(item04, project) == []  # no root Dockerfile: item 1 reports it
    findings = findings_of(item04, project, {"static-image-without-dockerfile": True})
    assert codes(findings) == [("DJ044", None, None)]


def test_examples_legacy_project():
    findings = findings_of(item04, discover(PROJECTS.parent.parent / "examples" / "legacy_project"))
    assert codes(findings) == [
        ("DJ042", "bookshelf/urls.py", 11),
        ("DJ042", "bookshelf/urls.py", 12),
        ("DJ043", "bookshelf/settings.py", 106),
        ("DJ044", "Dockerfile", 1),
    ]
    assert findings[1].message.startswith("static(settings.MEDIA_URL, ...) is outside")
    # uploads come at run time: no image can hold them
    assert findings[1].message.endswith(
        "serve them from a web server over the uploads' volume, or object storage"
    )
    assert findings[0].message.endswith("serve them from the nginx image")
