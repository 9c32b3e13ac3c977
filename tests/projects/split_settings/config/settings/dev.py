from .base import *  # noqa: F401,F403

DEBUG = True

SECRET_KEY = "dev-only-3b9f0c1e7a5d4c2b8e6f1a0d9c7b5e3f"

ALLOWED_HOSTS = ["*"]

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
