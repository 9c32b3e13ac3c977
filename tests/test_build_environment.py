"""The build-only environment of the generated collectstatic stage
(`fixer.analysis.variables.build_environment`): every variable the production settings need at
import gets a value, DEBUG off."""

from __future__ import annotations

from fixer.analysis.variables import build_environment

REQUIRED_BY_A_RAISE = """\
import os

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = os.environ.get("DEBUG", "True") == "True"
CLIENT_HOSTS = os.environ.get("CLIENT_HOSTS")
if not CLIENT_HOSTS:
    if DEBUG:
        CLIENT_HOSTS = "localhost"
    else:
        raise ImproperlyConfigured("CLIENT_HOSTS must be set when DEBUG is off")
SITE_NAME = os.environ.get("SITE_NAME")
if not SITE_NAME:
    SITE_NAME = "shop"
"""


def test_a_variable_the_settings_raise_without_gets_a_build_value(make_project):
    # CLIENT_HOSTS has a default (None) in its read, and the settings raise without it once
    # DEBUG is off, as the build runs them; SITE_NAME's check only falls back
    project = make_project({"mysite/settings.py": REQUIRED_BY_A_RAISE})
    env = build_environment(project)
    assert env == {
        "SECRET_KEY": "build-only-not-secret",
        "DEBUG": "False",
        "CLIENT_HOSTS": "localhost",
    }


APP_CONFIG = """\
from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self):
        if not settings.SIGNING_KEY:
            if not settings.DEBUG:
                raise ImproperlyConfigured("SIGNING_KEY is required when DEBUG is off")
        if not settings.BANNER:
            print("no banner")
"""


def test_a_variable_an_apps_code_raises_without_gets_a_build_value(make_project):
    # SIGNING_KEY's read has the default None; the app's ready() raises without it once DEBUG
    # is off; BANNER's check only prints
    settings = (
        "import os\n\n"
        'SECRET_KEY = os.environ["SECRET_KEY"]\n'
        'DEBUG = os.environ.get("DEBUG", "True") == "True"\n'
        'INSTALLED_APPS = ["shop"]\n'
        'SIGNING_KEY = os.environ.get("SHOP_SIGNING_KEY", None)\n'
        'BANNER = os.environ.get("BANNER", "")\n'
    )
    project = make_project(
        {"mysite/settings.py": settings, "shop/__init__.py": "", "shop/apps.py": APP_CONFIG}
    )
    env = build_environment(project)
    assert env == {
        "SECRET_KEY": "build-only-not-secret",
        "DEBUG": "False",
        "SHOP_SIGNING_KEY": "build-only-not-secret",
    }


DATABASE_CHOSEN_BY_A_VARIABLE = """\
import os

import environ

env = environ.Env()
SECRET_KEY = env("SECRET_KEY")
if os.environ.get("PRIMARY_DB_URI"):
    DATABASES = {"default": env.db_url("PRIMARY_DB_URI")}
else:
    DATABASES = {
        "default": {
            "ENGINE": env.str("DB_ENGINE"),
            "NAME": env.str("DB_NAME"),
            "HOST": env.str("DB_HOST", ""),
        }
    }
if env.str("DATABASE_URL", default=""):
    DATABASES["default"] = env.db("DATABASE_URL")
"""


def test_reads_of_a_replaced_database_setting_get_build_values(make_project):
    # the branch of DATABASES that runs when PRIMARY_DB_URI is unset reads DB_ENGINE and
    # DB_NAME with no default: the build must give them values although a later line replaces
    # the setting; DB_HOST has a default
    project = make_project({"mysite/settings.py": DATABASE_CHOSEN_BY_A_VARIABLE})
    env = build_environment(project)
    assert env["DB_ENGINE"] == "build-only"
    assert env["DB_NAME"] == "build-only"
    assert "DB_HOST" not in env
    assert env["PRIMARY_DB_URI"].startswith("sqlite:")


def test_a_variable_read_only_where_it_is_set_gets_no_build_value(make_project):
    # etesync's shape: STATIC_ROOT from the variable only where it is set; a build value would
    # become STATIC_ROOT ('build-only'), and the stage would collect there
    settings = (
        "import os\nfrom pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\n"
        'SECRET_KEY = os.environ["SECRET_KEY"]\nINSTALLED_APPS = []\n'
        'STATIC_ROOT = BASE_DIR / "static"\n'
        'if "DJANGO_STATIC_ROOT" in os.environ:\n'
        '    STATIC_ROOT = os.environ["DJANGO_STATIC_ROOT"]\n'
        'if os.getenv("MEDIA_DIR") and os.getenv("MEDIA_URL"):\n'
        '    MEDIA_ROOT = os.environ["MEDIA_DIR"]\n'
        'if os.getenv("STRICT") == "1":\n'
        '    API_TOKEN = os.environ["API_TOKEN"]\n'
    )
    project = make_project({"mysite/settings.py": settings})
    env = build_environment(project)
    assert "DJANGO_STATIC_ROOT" not in env and "MEDIA_DIR" not in env
    # read under another condition: it still needs a value where that condition holds
    assert "SECRET_KEY" in env and "API_TOKEN" in env
