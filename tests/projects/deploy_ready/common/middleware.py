"""Answers the health check paths before any other middleware runs.

Load balancers and orchestrators probe over plain HTTP, by IP address, with a
Host header that is not in ALLOWED_HOSTS: CommonMiddleware would answer them
400 (DisallowedHost) and SecurityMiddleware could redirect them to HTTPS. This
middleware is first in MIDDLEWARE and answers /health and /common/health
before anything calls request.get_host(); every other request goes through the
whole stack.
"""

from .views import health

HEALTH_PATHS = frozenset({"/health", "/health/", "/common/health", "/common/health/"})


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in HEALTH_PATHS:
            return health(request)
        return self.get_response(request)
