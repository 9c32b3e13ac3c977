"""A self-hosted app's settings: DATABASES is computed by a function of its own, which parses
DATABASE_URL with its own pattern (server URLs only) and falls back to SQLite when it is unset;
ALLOWED_HOSTS comes from a helper of its own; the site frames its own pages (SAMEORIGIN);
dicts keyed by actions named like secrets; a public demo key as a default."""
import os
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("SECRET_KEY")

DEBUG = bool(int(os.getenv("DEBUG", "0")))

# the public demo key of the nutrition API: it works, rate-limited, while no key is set
NUTRITION_API_KEY = os.getenv("NUTRITION_API_KEY", "DEMO_KEY")


def extract_comma_list(env_key, default=None):
    if os.getenv(env_key):
        return [item.strip() for item in os.getenv(env_key).split(",")]
    return [default] if default else []


ALLOWED_HOSTS = extract_comma_list("ALLOWED_HOSTS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
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

ROOT_URLCONF = "pantry.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pantry" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "pantry.wsgi.application"

DATABASE_URL = os.getenv("DATABASE_URL", None)


def setup_database():
    if DATABASE_URL:
        match = re.match(
            r"(?P<schema>\w+)://(?:(?P<user>[\w-]+)(?::(?P<password>[^@]+))?@)?"
            r"(?P<host>[^:/]+)(?::(?P<port>\d+))?/(?P<database>[\w.-]+)",
            DATABASE_URL,
        )
        found = match.groupdict()
        return {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": found["host"],
                "PORT": found["port"],
                "USER": found["user"],
                "PASSWORD": found["password"],
                "NAME": found["database"],
                "CONN_MAX_AGE": 60,
            }
        }
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(BASE_DIR, "db.sqlite3"),
            "CONN_MAX_AGE": 60,
        }
    }


DATABASES = setup_database()

X_FRAME_OPTIONS = "SAMEORIGIN"

# forms and rate limits per action: `reset_password` names the action, not a password
ACCOUNT_FORMS = {"reset_password": "pantry.forms.ResetPasswordForm"}
ACCOUNT_RATE_LIMITS = {"change_password": "1/m/user", "reset_password": "1/m/ip,1/m/key"}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
