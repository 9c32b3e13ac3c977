"""Answers the health check paths before any other middleware runs.

Load balancers and orchestrators probe over plain HTTP, by IP address, with a
Host header that is not in ALLOWED_HOSTS. Answering here, first in MIDDLEWARE and
before anything calls request.get_host(), keeps host validation and
SECURE_SSL_REDIRECT out of the way for these paths only; every other request
goes through the whole stack.
"""

try:
    from django.utils.deprecation import MiddlewareMixin
except ImportError:  # Django < 1.10: MIDDLEWARE_CLASSES takes plain classes
    MiddlewareMixin = object

from . import views

HEALTH_PATHS = frozenset(["/health", "/health/", "/common/health", "/common/health/"])


class HealthCheckMiddleware(MiddlewareMixin):
    def process_request(self, request):
        if request.path_info in HEALTH_PATHS:
            return views.health(request)
        return None
