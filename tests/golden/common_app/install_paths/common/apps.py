import os
import sys

from django.apps import AppConfig

# Programs that import the project to serve requests.
SERVERS = frozenset(["gunicorn", "uvicorn", "daphne", "hypercorn", "granian", "uwsgi"])


def should_run_startup_checks(argv, environ):
    """Whether this process is starting to serve requests or to migrate the schema.

    Build and maintenance commands (collectstatic, compilemessages, check,
    makemigrations, shell, test, ...) often run without the services, so they
    are not probed.
    """
    if not argv:
        return False
    program = os.path.basename(argv[0])
    if program.startswith("__main__."):
        # `python -m gunicorn ...`: argv[0] is .../gunicorn/__main__.py
        program = os.path.basename(os.path.dirname(argv[0]))
    if program.lower().endswith(".exe"):
        program = program[:-4]
    if program in SERVERS:
        return True
    command = argv[1] if len(argv) > 1 else ""
    if command == "runserver":
        # With the autoreloader, runserver sets the apps up twice: in a watcher
        # process (RUN_MAIN unset), which hides errors raised there, and in the
        # child it starts to serve (RUN_MAIN=true), which reports them. Probe in
        # the process that serves, once per start.
        return environ.get("RUN_MAIN") == "true" or "--noreload" in argv
    return command == "migrate"


class CommonConfig(AppConfig):
    name = "common"
    label = "common"
    verbose_name = "Health checks and startup probes"

    def ready(self):
        # Nothing here touches the database through the ORM or queries it: the
        # probes open their own connections and close them (see startup.py).
        if should_run_startup_checks(sys.argv, os.environ):
            from . import startup

            startup.run()
