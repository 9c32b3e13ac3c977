"""Production settings."""

import os

from .common import *  # noqa

DEBUG = int(os.environ.get("DEBUG", 0)) == 1
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# errors also go to a file under the code, in a folder made at start
LOG_DIR = os.path.join(BASE_DIR, "logs")  # noqa: F405
if not os.path.exists(LOG_DIR):
    os.makedirs(LOG_DIR)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": os.path.join(BASE_DIR, "logs", "desk-error.log"),  # noqa: F405
            "maxBytes": 1048576,
            "backupCount": 3,
            "level": "ERROR",
        },
    },
    "root": {"handlers": ["console", "file"], "level": "INFO"},
}
