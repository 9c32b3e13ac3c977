"""The only entry point: the kiosk has always been served over ASGI."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiosk.settings")

application = get_asgi_application()
