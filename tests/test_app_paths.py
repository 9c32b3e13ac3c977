"""Where the app writes at run time, as paths in the generated image (fixer.analysis.app_paths)."""

from __future__ import annotations

import pytest

from fixer.analysis.app_paths import AppPath, data_paths, image_path, path_bases
from fixer.settings_values import EnvRef, Unknown


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (Unknown("BASE_DIR / 'mediafiles'"), "/app/mediafiles"),
        (Unknown("BASE_DIR / 'data' / 'db.sqlite3'"), "/app/data/db.sqlite3"),
        (Unknown("os.path.join(BASE_DIR, 'media', 'uploads/')"), "/app/media/uploads"),
        (Unknown("str(BASE_DIR / 'logs')"), "/app/logs"),
        (Unknown("BASE_DIR.joinpath('media')"), "/app/media"),
        (Unknown("f'{BASE_DIR}/media'"), "/app/media"),
        ("/var/www/media/", "/var/www/media"),
        (EnvRef("MEDIA_ROOT", "os.environ", default=Unknown("BASE_DIR / 'media'")), "/app/media"),
        # what djfix cannot place in the image
        (Unknown("BASE_DIR / '..' / 'media'"), None),
        (Unknown("ROOT_DIR / 'media'"), None),
        (Unknown("BASE_DIR / MEDIA_FOLDER"), None),
        (EnvRef("MEDIA_ROOT", "os.environ"), None),
        ("media", None),
        (None, None),
    ],
)
def test_image_path(value, path):
    assert image_path(value) == path


def test_what_the_settings_have_the_app_write(make_project):
    project = make_project(
        {
            "mysite/settings.py": """\
                import os
                from pathlib import Path

                BASE_DIR = Path(__file__).resolve().parent.parent
                INSTALLED_APPS = []
                STATIC_ROOT = BASE_DIR / "staticfiles"
                MEDIA_ROOT = BASE_DIR / "mediafiles"
                TEMPLATES = [{"DIRS": [BASE_DIR / "templates"]}]
                DATABASES = {
                    "default": {
                        "ENGINE": "django.db.backends.sqlite3",
                        "NAME": BASE_DIR / "data" / "db.sqlite3",
                    },
                    "reports": {"ENGINE": "django.db.backends.postgresql", "NAME": "reports"},
                }
                CACHES = {
                    "default": {
                        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                        "LOCATION": os.path.join(BASE_DIR, "cache"),
                    }
                }
                LOGGING = {"handlers": {"file": {"filename": BASE_DIR / "logs" / "app.log"}}}
                """,
        }
    )
    # STATIC_ROOT and the templates are the image's own, not what the app writes
    assert data_paths(project) == [
        AppPath("MEDIA_ROOT", "/app/mediafiles"),
        AppPath("DATABASES['default']['NAME']", "/app/data/db.sqlite3", is_file=True),
        AppPath("CACHES['default']['LOCATION']", "/app/cache"),
        AppPath("LOGGING['handlers']['file']['filename']", "/app/logs/app.log", is_file=True),
    ]


@pytest.mark.parametrize(
    "base",
    [
        "PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))",
        "PROJECT_DIR = Path(__file__).resolve().parent.parent",
        "PROJECT_DIR = Path(__file__).resolve().parents[1]",
    ],
)
def test_folders_named_after_another_base_of_the_code(make_project, base):
    # a settings package two levels down: PROJECT_DIR is the package's folder, BASE_DIR the
    # repository root that holds manage.py (so /app in the image)
    project = make_project(
        {
            "shop/settings/__init__.py": "",
            "shop/settings/base.py": f"""\
                import os
                from pathlib import Path

                {base}
                BASE_DIR = os.path.dirname(PROJECT_DIR)
                INSTALLED_APPS = []
                STATIC_ROOT = os.path.join(PROJECT_DIR, "collect_static")
                MEDIA_ROOT = f"{{PROJECT_DIR}}/media"
                LOG = {{"filename": os.path.join(BASE_DIR, "app.log")}}
                LOGGING = {{"handlers": {{"file": LOG}}}}
                """,
        },
        settings="shop.settings.base",
    )
    bases = path_bases(project)
    assert (bases["PROJECT_DIR"], bases["BASE_DIR"]) == ("/app/shop", "/app")
    assert image_path(project.settings.get("STATIC_ROOT"), bases) == "/app/shop/collect_static"
    assert data_paths(project) == [
        AppPath("MEDIA_ROOT", "/app/shop/media"),
        AppPath("LOGGING['handlers']['file']['filename']", "/app/app.log", is_file=True),
    ]


@pytest.mark.parametrize(
    ("target", "holds"),
    [
        ("/app/data", True),  # the database's folder
        ("/app/data/db.sqlite3", True),  # the file itself
        ("/app", False),  # the code folder is never the database's volume
        ("/app/database", False),
    ],
)
def test_volume_holds_a_file_the_app_writes(target, holds):
    assert AppPath("NAME", "/app/data/db.sqlite3", is_file=True).holds(target) is holds
