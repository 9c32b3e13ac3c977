import contextlib
import logging

from django.db import connections
from django.http import JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def health(request):
    """200 {"status": "ok"} when every database answers SELECT 1, else 503
    naming the failing ones (names only: never addresses or credentials)."""
    failing = []
    for alias in connections:
        connection = connections[alias]
        if connection.settings_dict.get("ENGINE", "").endswith("dummy"):
            continue  # DATABASES is empty: there is nothing to check
        try:
            with connection.cursor() as cursor:
                suffix = getattr(connection.features, "bare_select_suffix", "")
                cursor.execute("SELECT 1" + suffix)
                cursor.fetchone()
        except Exception as exc:
            logger.warning("health check: database %r failed: %s", alias, exc)
            failing.append("database:" + alias)
            _close(connection)
    if failing:
        body = {"status": "unavailable", "failing": failing}
        response = JsonResponse(body, status=503)
        # The warning above is the log entry; skip Django's error-level record of
        # the 503 (and the mail to ADMINS it can send) on every probe.
        response._has_been_logged = True
    else:
        response = JsonResponse({"status": "ok"})
    # never_cache adds no-cache and no-store only from Django 1.9 on.
    patch_cache_control(response, no_cache=True, no_store=True, must_revalidate=True)
    return response


def _close(connection):
    # A broken connection would be reused by the next request: drop it.
    with contextlib.suppress(Exception):
        connection.close()
