"""One run of `djfix verify`: the names and results of its steps, what every step shares (the
copy, the interpreter, the environment, the server command) and the STARTUP_CHECKS setting of the
steps that serve. Below the steps and the image step, which both build on it."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from fixer import verify_env
from fixer.project import ProjectModel

STEP_NAMES = {
    1: "check --deploy",
    2: "migrations",
    3: "boot on empty database",
    4: "migrate",
    5: "pages",  # "pages with Redis down" where the run takes a service down (`pages_name`)
    6: "database down",
    7: "collectstatic",
    8: "image",
}
#: seconds a management command may take
COMMAND_TIMEOUT = 180
#: and `migrate` more for each of the project's migrations: a project with a hundred of them
#: (each a transaction, some with data) takes minutes on an empty database, more on a busy
#: machine, and a timeout is not the project failing
SECONDS_PER_MIGRATION = 3


def migrate_timeout(project: ProjectModel) -> float:
    """Seconds `manage.py migrate` may take on an empty database: the command's allowance and
    a share for each migration of the project's own apps."""
    count = sum(len(app.migrations) for app in project.apps)
    return COMMAND_TIMEOUT + SECONDS_PER_MIGRATION * count


#: seconds a server may take to listen, and a failing start to stop
START_TIMEOUT = 30
#: the longest wait for a server to listen, however slow step 1 was to load the project
MAX_START_TIMEOUT = 180
#: seconds the first request to a new server may take: a worker imports the URLconf (and the
#: views, an API schema...) on it, which took a large project over 10 s on two busy cores
FIRST_REQUEST_TIMEOUT = 30.0
#: ... and every later one
REQUEST_TIMEOUT = 10.0
TAIL_LINES = 15


#: how the steps name a service they take down
SERVICE_NAMES = {
    "redis": "Redis",
    "rabbitmq": "RabbitMQ",
    "memcached": "Memcached",
    "elasticsearch": "Elasticsearch",
    "mongodb": "MongoDB",
    "kafka": "Kafka",
}


def start_timeout(load_seconds: float) -> int:
    """How long a server may take to listen: START_TIMEOUT, or three times what loading the
    project took in step 1 (`load_seconds`) where that is longer (a large app's workers import
    its whole URLconf and schema before they accept, several at once on shared cores), at most
    MAX_START_TIMEOUT."""
    return max(START_TIMEOUT, min(MAX_START_TIMEOUT, round(3 * load_seconds)))


def pages_name(down: list[str]) -> str:
    """Step 5's name: "pages", with the services the run takes down ("pages with Redis
    down"): a project without Redis is not said to have it down."""
    names = list(dict.fromkeys(SERVICE_NAMES.get(kind, kind) for kind in down))
    if not names:
        return STEP_NAMES[5]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
    return f"{STEP_NAMES[5]} with {listed} down"


@dataclass
class Step:
    number: int
    name: str
    status: str  # "pass" | "fail" | "skipped"
    command: str = ""
    output: str = ""
    reason: str = ""
    note: str = ""  # how the step ran, when that is worth saying (the server it chose...)
    seconds: float = 0.0


@dataclass
class Run:
    project: ProjectModel  # discovered on the copy
    python: str
    tree: Path
    work: Path
    env: verify_env.RunEnv
    base: dict[str, str]
    cwd: Path
    manage: list[str]  # argv prefix of a management command
    server: verify_env.ServerCommand
    database_url: str | None
    build_args: dict[str, str] = field(default_factory=dict)
    settings_load: bool = True  # step 1 found the settings import (checks ran)
    #: how long step 1 took to load the project (settings, apps, URLconf): what a server's
    #: workers need to start, at least
    load_seconds: float = 0.0
    #: what stopped Django loading in step 1: the settings, or an app's ready()
    load_failure: str = "the settings do not load"
    static_note: str = ""  # what was done so the served pages find the static manifest
    #: why the database the settings name at run time is not the run's own ("": it is; None:
    #: not asked yet): asked once, when discovery could not tell which database a fixed
    #: DATABASES names
    foreign_database: str | None = None
    #: the project's ALLOWED_HOSTS as its settings evaluate them (None: not read, or the
    #: settings did not load) and the Host header the served steps send ("": 127.0.0.1:port)
    allowed_hosts: list[str] | None = None
    host: str = ""
    #: another new, empty database on the run's server while the block runs (None: the run has
    #: no server database of its own, only its SQLite file or the given database as it is)
    fresh_database: Callable[[], AbstractContextManager[str]] | None = None
    #: the URLs step 5 requested (the reviewer's commands request them too)
    page_urls: list[str] = field(default_factory=list)
    #: the database URL the reviewer's commands name: the given server with a database of the
    #: review's own (`verify_review.REVIEW_DATABASE`), never the given database; None when
    #: the run has no server database
    review_url: str | None = None
    #: why the --database-url given is not used (no driver for its server), "" otherwise
    url_unused: str = ""

    @property
    def start_timeout(self) -> int:
        return start_timeout(self.load_seconds)

    def environ(self, **overrides: str) -> dict[str, str]:
        env = dict(self.base)
        env.update(self.env.values)
        if self.env.probes:
            env.setdefault("STARTUP_CHECK_TIMEOUT", "2")
        env.update(overrides)
        return env

    def mask(self, text: str) -> str:
        return verify_env.mask_secret(text, self.env.secrets)

    def tail(self, text: str) -> str:
        lines = [ln for ln in self.mask(text).rstrip().splitlines()]
        return "\n".join(lines[-TAIL_LINES:])

    def shown(self, argv: list[str], **env: str) -> str:
        words = [shlex.quote(a) for a in argv]
        if words and argv[0] == self.python:
            words[0] = "python"
        words = [w.replace(str(self.cwd) + "/", "") for w in words]
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        return (prefix + " " if prefix else "") + " ".join(words)


#: what Django logs when it refuses a request's Host (not logged at all with DEBUG off and the
#: default LOGGING, so a 400 is judged by ALLOWED_HOSTS too, see `host_refused`)
_HOST_REFUSED = re.compile(r"Invalid HTTP_HOST header|DisallowedHost")


def _matches(host: str, pattern: str) -> bool:
    """Django's own rule (validate_host / is_same_domain), ports left aside."""
    pattern = pattern.lower()
    return (
        pattern == "*"
        or host == pattern
        or (pattern.startswith(".") and (host.endswith(pattern) or host == pattern[1:]))
    )


def choose_host(allowed: list[str] | None) -> str | None:
    """The Host header a request must carry for ALLOWED_HOSTS to accept it: "" when the
    default (127.0.0.1:port) is accepted or the hosts are unknown, a name the list accepts
    (`.example.com` -> `example.com`), or None when no name can be sent."""
    if allowed is None or any(_matches("127.0.0.1", p) for p in allowed):
        return ""
    if any(_matches("localhost", p) for p in allowed):
        return "localhost"
    for pattern in allowed:
        name = pattern.strip().lower()
        if name.startswith("."):
            name = name[1:]
        if name.startswith("[") and name.endswith("]"):
            return name
        if name and re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", name):
            return name
    return None


def host_refused(run: Run, statuses: list[int], output: str) -> str:
    """Why the answers `statuses` are the Host being refused, not the pages ("" when not):
    some answered 400 and Django said so, or ALLOWED_HOSTS accepts no name verify can send."""
    if 400 not in statuses:
        return ""
    if not _HOST_REFUSED.search(output) and not (
        run.allowed_hosts is not None and choose_host(run.allowed_hosts) is None
    ):
        return ""
    sent = run.host or "127.0.0.1"
    hosts = "unknown" if run.allowed_hosts is None else repr(run.allowed_hosts)
    if len(hosts) > 160:
        hosts = hosts[:157] + "..."
    return run.mask(
        f"the host was refused: {statuses.count(400)} request(s) answered 400 with Host: "
        f"{sent} (DisallowedHost; ALLOWED_HOSTS = {hosts})"
    )


def serving_overrides(run: Run) -> tuple[dict[str, str], str]:
    """STARTUP_CHECKS for the steps that serve (3, 4, 5): on, unless a service the probes
    would require (a broker, a result backend, a search engine, a channel layer) is down by
    design in this run; a Redis used only as the cache is optional in the probes."""
    if not run.env.probes:
        return {}, ""
    others = [s for s in run.project.services if s.role not in ("database", "cache")]
    if others:
        # a service read from a variable is on a closed port in this run; one built in the
        # settings (an f-string of RABBITMQ_HOST...) stays where they point, reachable or not
        moved = {s.setting for s in others if s.env_var and s.env_var in run.env.values}
        kept = {s.setting for s in others} - moved
        said = []
        if moved:
            verb = "is" if len(moved) == 1 else "are"
            said.append(f"{', '.join(sorted(moved))} {verb} down by design in this run")
        if kept:
            verb, them = ("is", "it") if len(kept) == 1 else ("are", "them")
            said.append(
                f"{', '.join(sorted(kept))} {verb} where the settings point (verify cannot move "
                f"{them}), reachable or not"
            )
        return (
            {"STARTUP_CHECKS": "false"},
            f"STARTUP_CHECKS=false: {'; '.join(said)} (step 6 runs the probes)",
        )
    return {"STARTUP_CHECKS": "true"}, ""
