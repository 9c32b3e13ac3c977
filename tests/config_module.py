"""A repository of the shape whose settings import the installation's own configuration module:
`inventory/configuration.py`, which git ignores (only `configuration_example.py` is committed) and
which holds every value the settings read with getattr(). Built in each test (not under
tests/projects/: its settings cannot load until a configuration.py is made, which every project
there must)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_tree
from tests.test_apply_projects import git

FILES = {
    ".gitignore": """\
__pycache__/
*.py[cod]
.venv/
*.sqlite3
.env
# the local configuration: copied from configuration_example.py on each install
/inventory/configuration.py
""",
    "inventory/__init__.py": "",
    "inventory/configuration_example.py": """\
# Copy this file to configuration.py and fill in the values for your installation.

# The names this installation answers to, e.g. ['inventory.example.com']
ALLOWED_HOSTS = []

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "inventory",
        "USER": "",
        "PASSWORD": "",
        "HOST": "localhost",
        "PORT": "",
    }
}

# At least 50 random characters
SECRET_KEY = ""

DEBUG = False
""",
    "inventory/settings.py": """\
import importlib
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# The installation's own configuration module: copy configuration_example.py to
# configuration.py and fill it in (or name another module in INVENTORY_CONFIGURATION).
config_name = os.environ.get("INVENTORY_CONFIGURATION", "inventory.configuration")
try:
    configuration = importlib.import_module(config_name)
except ModuleNotFoundError as e:
    if getattr(e, "name") == config_name:
        raise ImproperlyConfigured(
            f"Configuration module ({config_name}) not found: copy "
            "inventory/configuration_example.py to inventory/configuration.py"
        )
    raise

for parameter in ("ALLOWED_HOSTS", "SECRET_KEY", "DATABASES"):
    if not hasattr(configuration, parameter):
        raise ImproperlyConfigured(f"Required parameter {parameter} is missing from configuration.")

ALLOWED_HOSTS = getattr(configuration, "ALLOWED_HOSTS")
SECRET_KEY = getattr(configuration, "SECRET_KEY")
DATABASES = getattr(configuration, "DATABASES")
DEBUG = getattr(configuration, "DEBUG", False)
TIME_ZONE = getattr(configuration, "TIME_ZONE", "UTC")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "inventory.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.contrib.messages.context_processors.messages"]},
    }
]
WSGI_APPLICATION = "inventory.wsgi.application"
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
""",
    "inventory/urls.py": """\
from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse("inventory")


urlpatterns = [
    path("", index),
]
""",
    "inventory/wsgi.py": """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory.settings")

application = get_wsgi_application()
""",
    "manage.py": """\
#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
""",
    "requirements.txt": """\
Django==5.2.1
gunicorn==23.0.0
""",
}

#: what a developer writes into inventory/configuration.py (git ignores it)
LOCAL_EXAMPLE = """\
ALLOWED_HOSTS = ["*"]
SECRET_KEY = "a-local-key-of-more-than-fifty-characters-for-this-installation"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
"""


def make_repo(tmp_path: Path) -> Path:
    """The repository, committed (without configuration.py, as it is cloned)."""
    repo = tmp_path / "config_module"
    write_tree(repo, FILES)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "initial")
    return repo
