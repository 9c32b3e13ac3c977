"""Request ids for the logs of every service."""

import time
import uuid


def install(apps, middleware):
    """The settings' apps and middleware with request tracing added. The tracing
    middleware goes first, so that it times the whole stack."""
    return (
        (*apps, "django.contrib.humanize"),
        ("board.observability.RequestIdMiddleware", *middleware),
    )


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        started = time.monotonic()
        response = self.get_response(request)
        response["X-Request-Id"] = request.request_id
        response["Server-Timing"] = "app;dur={:.1f}".format(
            (time.monotonic() - started) * 1000
        )
        return response
