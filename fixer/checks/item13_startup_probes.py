"""Item 13: at startup, every configured service is probed.

## What it checks
The networked services the production settings configure (databases other than SQLite, Redis
and Memcached caches, Celery brokers and result backends, Redis channel layers, Elasticsearch
and other settings whose value is a service URL) are checked when the process starts, and a
failure stops the start with one message per service:

- `startup-probes-missing` (DJ130): there is at least one networked service and no startup
  probe;
- `startup-probe-incomplete` (DJ131): a probe exists but does not cover every service.

A startup probe is recognised by its text, without running it. djfix looks at each local app
(an app of `INSTALLED_APPS` that lives in the repository) and reads at most these modules in its
folder: `apps.py`, `startup.py`, `probes.py` and `checks.py`. A module whose text contains
`STARTUP_CHECKS` (the setting or environment variable that turns probes off for build steps
such as `collectstatic`, as djfix's own probes use it) is a probe module. A service is covered
when the text of some probe module mentions it, case-insensitively:

| service | words |
| --- | --- |
| a database | `database`, `connection` |
| Redis | `redis` |
| Memcached | `memcache` |
| RabbitMQ, SQS or another broker | `amqp`, `kombu`, `broker`, `rabbit` (SQS also `sqs`) |
| Elasticsearch / OpenSearch | `elasticsearch`, `opensearch`, `search` |
| MongoDB, Kafka, NATS, MQTT | `mongo`, `kafka`, `nats`, `mqtt` |
| a cache, result backend, channel layer | also `caches`, `result_backend`, `channel_layer` |
| anything else | the setting's name |

SQLite databases and in-process caches (local memory, files, database, dummy) need no probe;
the item applies only when at least one networked service is configured. The messages list each
service by kind, setting and location; passwords in locations are masked.

## Why it matters
When the database, Redis or the broker is unreachable, a Django process that starts anyway
serves errors: the first requests fail one by one with tracebacks that point nowhere near the
cause, health checks may still pass, and an orchestrator keeps routing traffic to it. A probe
that runs at startup turns this into one clear line per dependency ("redis: connection refused
at redis:6379") and a failed start, which deploy tools notice and roll back.

## Example
```diff
 # common/apps.py
 class CommonConfig(AppConfig):
     name = "common"
+
+    def ready(self):
+        from . import startup
+
+        startup.run_startup_probes()  # honours STARTUP_CHECKS; probes database and redis
```

## Fix safety
No automatic fix yet: a probe module has to fit how the project starts (which processes probe,
which services they need).

## Options
None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fixer import rule_codes
from fixer.analysis.services import networked
from fixer.checks import rule
from fixer.findings import Finding, Severity
from fixer.project import ProjectModel, Service
from fixer.sources import is_file

ITEM = 13
TITLE = "Startup dependency probes"

PROBES_MISSING = rule(
    __name__,
    rule_codes.STARTUP_PROBES_MISSING,
    "startup-probes-missing",
    ITEM,
    Severity.WARNING,
    "No startup probe checks that the configured services are reachable.",
)
PROBE_INCOMPLETE = rule(
    __name__,
    rule_codes.STARTUP_PROBE_INCOMPLETE,
    "startup-probe-incomplete",
    ITEM,
    Severity.WARNING,
    "The startup probe does not cover every configured service.",
)
RULES = [PROBES_MISSING, PROBE_INCOMPLETE]
OPTIONS: dict = {}

MARKER = "STARTUP_CHECKS"
PROBE_FILES = ("apps.py", "startup.py", "probes.py", "checks.py")
MAX_FILE_SIZE = 512_000  # a probe module is small; do not read generated giants

_KIND_WORDS = {
    "redis": ("redis",),
    "memcached": ("memcache",),
    "rabbitmq": ("amqp", "kombu", "broker", "rabbit"),
    "sqs": ("sqs", "kombu", "broker"),
    "broker": ("amqp", "kombu", "broker"),
    "elasticsearch": ("elasticsearch", "opensearch", "search"),
    "mongodb": ("mongo",),
    "kafka": ("kafka",),
    "nats": ("nats",),
    "mqtt": ("mqtt",),
}
_ROLE_WORDS = {
    "database": ("database", "connection"),
    "cache": ("caches",),
    "broker": ("broker",),
    "result-backend": ("result_backend",),
    "channel-layer": ("channel_layer",),
    "search": ("search",),
}


def applies(project: ProjectModel) -> bool:
    return bool(networked(project))


def _probe_modules(project: ProjectModel) -> list[tuple[str, str]]:
    """(rel, text) of every local app module that holds a startup probe."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for app in project.apps[:200]:
        for name in PROBE_FILES:
            path = app.path / name
            try:
                if not is_file(path):
                    continue  # (a file a plan creates counts: the re-check after apply)
                if path.is_file() and path.stat().st_size > MAX_FILE_SIZE:
                    continue
            except OSError:
                continue
            f = project.cache.text(path)
            if f.text is None or f.rel in seen or MARKER not in f.text:
                continue
            seen.add(f.rel)
            out.append((f.rel, f.text))
    return out


def _words(service: Service) -> tuple[str, ...]:
    words = _KIND_WORDS.get(service.kind, ()) + _ROLE_WORDS.get(service.role, ())
    if not words or service.kind in ("unknown", "other"):
        words += (service.setting.split("[")[0].lower(),)
    return words


def _covered(service: Service, text: str) -> bool:
    return any(word in text for word in _words(service))


_USERINFO = re.compile(r"(//|^)[^/@\s]*@")


def describe(service: Service) -> str:
    """The service for a message, e.g. `redis (CACHES['default'], redis://redis:6379/0)`;
    never with credentials."""
    if service.location:
        where = _USERINFO.sub(lambda m: f"{m.group(1)}***@", service.location)
    elif service.env_var:
        where = f"from ${service.env_var}"
    else:
        where = "location not known"
    return f"{service.kind} ({service.setting}, {where})"


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    services = networked(project)
    if not services:
        return
    probes = _probe_modules(project)
    first = services[0]
    if not probes:
        listed = "; ".join(describe(s) for s in services)
        yield Finding(
            PROBES_MISSING,
            f"nothing checks at startup that the configured services are reachable ({listed}): "
            f"add a probe module to a local app (e.g. startup.py, run from AppConfig.ready() "
            f"and switched off with {MARKER}) that stops the start with one message per service",
            first.rel,
            first.line,
        )
        return
    text = "\n".join(t for _, t in probes).lower()
    missing = [s for s in services if not _covered(s, text)]
    if missing:
        rel = probes[0][0]
        line = next((i for i, ln in enumerate(probes[0][1].splitlines(), 1) if MARKER in ln), None)
        listed = "; ".join(describe(s) for s in missing)
        yield Finding(
            PROBE_INCOMPLETE,
            f"the startup probe in {rel} does not check {listed}: add a probe for "
            f"{'it' if len(missing) == 1 else 'each'} that fails the start with one "
            "human-readable message",
            rel,
            line,
        )
