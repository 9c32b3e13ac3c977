"""Startup probes: a server or `migrate` stops at once, with one line per
unreachable service, instead of starting and failing request after request.

apps.py calls run() in the processes that serve requests or migrate. It probes
every database of DATABASES and every service of SERVICES (found in the settings
when this module was generated). Addresses are read from the settings at run
time, so the probes follow the environment; no address or credential is stored
here, and the messages show host:port only.

The probes run before any other app's ready() (the app is first in INSTALLED_APPS).
A failure is written to stderr directly as well as raised: a project's LOGGING
with disable_existing_loggers silences the server's own logger, which would
otherwise be the only one to report why the worker stopped.

Environment:
    STARTUP_CHECKS=false (or 0, no, off) skips the probes, e.g. for build steps;
        a STARTUP_CHECKS setting works too.
    STARTUP_CHECK_TIMEOUT is the timeout of each probe in seconds (default 2).
"""

import asyncio
import errno
import functools
import logging
import math
import os
import re
import socket
import sys
import threading
import warnings

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.utils import load_backend

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.0
OFF = frozenset(["false", "0", "no", "off"])

# The environment variable that configures each database alias, for the messages.
DATABASE_ENV = {}

# The services besides the databases: how to probe each one, where its address
# is in the settings, the environment variable that configures it, whether the
# start stops when it is down (Redis used only as a cache is optional), the word
# its BACKEND must contain for the address to be the service's, and the port to
# use when the address names none.
SERVICES = []


class ProbeError(Exception):
    """A probe failed; the message is the cause in plain words."""


def run():
    """Probe every service; raise ImproperlyConfigured with one line per required
    service that cannot be reached. Optional ones are only logged."""
    if not _enabled():
        logger.info("startup checks skipped: STARTUP_CHECKS is off")
        return
    failures = _outside_event_loop(_probe_all)
    if failures:
        message = (
            "Startup checks failed, {} service(s) cannot be reached:\n  - {}\n"
            "Check the environment variables and settings named above, or set "
            "STARTUP_CHECKS=false for steps that need none of these services.".format(
                len(failures), "\n  - ".join(failures)
            )
        )
        _tell(message)
        raise ImproperlyConfigured(message)
    logger.info("startup checks passed")


def _probe_all():
    """One line per required service that cannot be reached."""
    timeout = _timeout()
    failures = []
    for name, where, env, required, probe in _checks(timeout):
        try:
            probe()
        except Exception as exc:
            line = "{} at {} ({}): {}".format(
                name, where, _configured_by(env), _cause(exc, timeout)
            )
            if required:
                failures.append(line)
            else:
                logger.warning("startup check: %s; starting anyway", line)
    return failures


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
    except AttributeError:  # Python 3.6
        return asyncio._get_running_loop()


def _outside_event_loop(function):
    """function() in a worker thread when this thread runs an event loop, else
    here. ASGI servers (uvicorn) import the application inside their loop, where
    Django refuses synchronous database calls (SynchronousOnlyOperation)."""
    if _running_loop() is None:
        return function()
    outcome = {}

    def call():
        try:
            outcome["value"] = function()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=call, name="startup-checks", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _tell(message):
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except Exception:
        pass  # no usable stderr: the exception still carries the message


def _enabled():
    value = os.environ.get("STARTUP_CHECKS")
    if value is None:
        value = getattr(settings, "STARTUP_CHECKS", True)
    return str(value).strip().lower() not in OFF


def _timeout():
    try:
        timeout = float(os.environ.get("STARTUP_CHECK_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return timeout if 0 < timeout <= 300 else DEFAULT_TIMEOUT


def _configured_by(env):
    return "environment variable " + env if env else "set in the settings"


# (words in the error's text, cause in plain words) for errors no exception type
# describes (database drivers, message queue clients); the first match wins.
_CAUSES = [
    ("authentication failed", "authentication failed"),
    ("access denied", "authentication failed"),
    ("access_refused", "authentication failed"),
    ("login was refused", "authentication failed"),
    ("password", "authentication failed"),
    ("noauth", "authentication failed"),
    ("not authorized", "authentication failed"),
    ("unauthorized", "authentication failed"),
    ("timed out", "timed out"),
    ("timeout", "timed out"),
    ("refused", "connection refused"),
    ("could not translate host name", "host name not found"),
    ("name or service not known", "host name not found"),
    ("nodename nor servname", "host name not found"),
    ("name resolution", "host name not found"),
    ("unknown mysql server host", "host name not found"),
    ("getaddrinfo", "host name not found"),
]

# MySQL and MariaDB clients end their messages with the system error number:
# "Can't connect to server on 'db' (111)", "Lost connection ..., system error: 110".
_SYSTEM_ERROR = re.compile(r"(?:\((\d+)\)|system error: (\d+))\W*$")
_ERRNO_CAUSES = {
    errno.ECONNREFUSED: "connection refused",
    errno.ETIMEDOUT: "timed out",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ECONNRESET: "the server closed the connection",
    # MariaDB's client reports the errno of its non-blocking connect() when the
    # connection fails at once, whatever the reason
    errno.EINPROGRESS: "connection refused or host unreachable",
}


def _cause(exc, timeout):
    """What went wrong, in plain words, without credentials."""
    error, depth = exc, 0
    while error is not None and depth < 5:  # through "raise from" and URLError
        if isinstance(error, ProbeError):
            return str(error)
        if isinstance(error, (socket.timeout, TimeoutError)):
            return "timed out after {:g} s".format(timeout)
        if isinstance(error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(error, socket.gaierror):
            return "host name not found"
        if isinstance(error, (ConnectionResetError, BrokenPipeError)):
            return "the server closed the connection"
        reason = getattr(error, "reason", None)
        if isinstance(reason, BaseException):
            error = reason
        else:
            error = error.__cause__ or error.__context__
        depth += 1
    text = " ".join(str(exc).split())
    found = _SYSTEM_ERROR.search(text)
    cause = _ERRNO_CAUSES.get(int(found.group(1) or found.group(2))) if found else None
    if cause is None:
        cause = next((c for words, c in _CAUSES if words in text.lower()), None)
    if cause == "timed out":
        return "timed out after {:g} s".format(timeout)
    if cause is not None:
        return cause
    # Keep the driver's words, minus any user:password@ in a URL.
    text = re.sub(r"//\S*@", "//***@", text)
    return "{}: {}".format(type(exc).__name__, text[:200] or "no details")


def _checks(timeout):
    """(name, where, environment variable, required, probe) of each service."""
    for alias in connections:
        settings_dict = connections[alias].settings_dict
        engine = settings_dict.get("ENGINE") or ""
        if not engine or any(w in engine for w in ("sqlite", "spatialite", "dummy")):
            continue  # in-process or none: nothing to reach
        where = settings_dict.get("HOST") or "localhost"
        if settings_dict.get("PORT"):
            where = "{}:{}".format(where, settings_dict["PORT"])
        probe = functools.partial(_probe_database, alias, timeout)
        yield "database:" + alias, where, DATABASE_ENV.get(alias), True, probe


def _probe_database(alias, timeout):
    # A throwaway connection, so that nothing opened here is shared with requests
    # or inherited by forked workers; the copied OPTIONS add a connect timeout.
    settings_dict = dict(connections[alias].settings_dict)
    options = dict(settings_dict.get("OPTIONS") or {})
    options.pop("pool", None)  # one connection needs no pool (Django 5.1+)
    backend = load_backend(settings_dict["ENGINE"])
    if backend.DatabaseWrapper.vendor in ("postgresql", "mysql"):
        options["connect_timeout"] = max(1, int(math.ceil(timeout)))
    settings_dict["OPTIONS"] = options
    connection = backend.DatabaseWrapper(settings_dict, alias)
    try:
        with warnings.catch_warnings():
            # Django 5.0+ warns about queries before the apps are ready; the ones
            # a backend runs to set a new connection up are this probe's own
            warnings.filterwarnings(
                "ignore",
                "Accessing the database during app initialization",
                RuntimeWarning,
            )
            connection.ensure_connection()
    finally:
        connection.close()
