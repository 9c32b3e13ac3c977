"""Production settings."""

import os

from .common import *  # noqa

DEBUG = int(os.environ.get("DEBUG", 0)) == 1
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
