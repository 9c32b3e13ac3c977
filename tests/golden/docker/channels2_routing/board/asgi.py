"""ASGI entry point (written by djfix).

ASGI_APPLICATION names the Channels routing, which imports consumers and models: Django is set up
here first, then the routing's application is served.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "board.settings")
django.setup()

from board.routing import application  # noqa: E402
