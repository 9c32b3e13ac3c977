"""
Startup probes.

A process that is about to serve traffic or migrate the schema should stop at
once, with one clear message, when a backing service is unreachable, instead
of booting and answering 500s. The probes are registered below with @probe and
run from CommonConfig.ready(), but only

* when the STARTUP_CHECKS setting is true (it defaults to true; build steps
  such as collectstatic set STARTUP_CHECKS=false), and
* in a gunicorn process or for the runserver and migrate commands.

Redis is only the cache (IGNORE_EXCEPTIONS in the settings): the site works
without it, slower, so an unreachable Redis is logged and the start goes on.

They never use the ORM or Django's shared connections: the database is reached
through a separate connection that is closed straight away, so nothing opened
here is inherited by forked workers or reused by requests.
"""

import copy
import logging
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.utils import load_backend

DATABASE_CONNECT_TIMEOUT = 2  # seconds
REDIS_CONNECT_TIMEOUT = 0.25  # seconds, as the cache's SOCKET_CONNECT_TIMEOUT

PROBED_COMMANDS = frozenset({"runserver", "migrate"})

logger = logging.getLogger(__name__)

_probes = []


def probe(name, required=True):
    """Register a startup probe. It raises an exception when `name` is down;
    the start stops then, unless the service is not `required`."""

    def register(func):
        _probes.append((name, required, func))
        return func

    return register


def is_probed_process(argv=None):
    """True for gunicorn and for `manage.py runserver|migrate`."""
    argv = sys.argv if argv is None else argv
    if not argv:
        return False
    program = Path(argv[0])
    # `gunicorn ...` runs the console script, `python -m gunicorn ...` runs
    # gunicorn/__main__.py.
    if program.name == "gunicorn" or program.parent.name == "gunicorn":
        return True
    return len(argv) > 1 and argv[1] in PROBED_COMMANDS


@probe("database")
def probe_database():
    for alias in connections:
        settings_dict = copy.deepcopy(connections.settings[alias])
        backend = load_backend(settings_dict["ENGINE"])
        if backend.DatabaseWrapper.vendor in {"postgresql", "mysql"}:
            settings_dict["OPTIONS"].setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
        wrapper = backend.DatabaseWrapper(settings_dict, alias)
        try:
            wrapper.ensure_connection()
        finally:
            wrapper.close()


@probe("redis", required=False)
def probe_redis():
    cache = settings.CACHES.get("default", {})
    if "redis" not in cache.get("BACKEND", "").lower():
        return
    location = cache.get("LOCATION", "")
    if isinstance(location, (list, tuple)):
        location = location[0]
    url = urlsplit(location.split(",")[0].strip())
    if url.scheme == "unix":
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(REDIS_CONNECT_TIMEOUT)
            sock.connect(url.path)
        return
    address = (url.hostname or "127.0.0.1", url.port or 6379)
    with socket.create_connection(address, timeout=REDIS_CONNECT_TIMEOUT):
        pass


def run_probes():
    """Run every probe; raise ImproperlyConfigured naming each failing required
    one. Optional ones are only logged."""
    failures = []
    for name, required, func in _probes:
        try:
            func()
        except Exception as exc:  # any failure means the service is unusable
            detail = " ".join(str(exc).split()) or type(exc).__name__
            if required:
                failures.append(f"{name}: {detail}")
            else:
                logger.warning("startup probe: %s: %s; starting anyway", name, detail)
    if failures:
        raise ImproperlyConfigured(
            "Startup probes failed:\n  - "
            + "\n  - ".join(failures)
            + "\nCheck DATABASE_URL, or set STARTUP_CHECKS=false "
            "for steps that need no database."
        )


def run_startup_probes(argv=None):
    if getattr(settings, "STARTUP_CHECKS", True) and is_probed_process(argv):
        run_probes()
