"""The services the settings name (databases, caches, brokers, result backends, channel layers,
search): their kind, role and masked location, for probes, compose files and messages."""

from __future__ import annotations

from typing import Any

from fixer import redaction
from fixer.project import ProjectModel, Service
from fixer.settings_values import EnvDict, EnvRef

_DB_KINDS = (
    ("postgis", "postgresql"),
    ("postgres", "postgresql"),
    ("psycopg", "postgresql"),
    ("mysql", "mysql"),
    ("mariadb", "mysql"),
    ("sqlite", "sqlite"),
    ("oracle", "oracle"),
    ("mssql", "mssql"),
    ("sql_server", "mssql"),
    ("cockroach", "postgresql"),
)
_URL_KINDS = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "postgis": "postgresql",
    "pgsql": "postgresql",
    "mysql": "mysql",
    "mysql2": "mysql",
    "mysqlgis": "mysql",
    "sqlite": "sqlite",
    "spatialite": "sqlite",
    "oracle": "oracle",
    "redis": "redis",
    "rediss": "redis",
    "unix": "redis",
    "amqp": "rabbitmq",
    "amqps": "rabbitmq",
    "pyamqp": "rabbitmq",
    "librabbitmq": "rabbitmq",
    "sqs": "sqs",
    "mongodb": "mongodb",
    "memcache": "memcached",
    "pymemcache": "memcached",
    "kafka": "kafka",
    "nats": "nats",
    "mqtt": "mqtt",
}


def mask_url(url: str) -> str:
    """The URL with any user and password replaced, safe to print (a password with raw
    `/ ? # @ :` in it included)."""
    return redaction.mask_url(url)


def url_kind(url: str) -> str | None:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    scheme = scheme.split("+")[0]
    return _URL_KINDS.get(scheme)


def cache_kind(backend: Any) -> str | None:
    if not isinstance(backend, str):
        return None
    low = backend.lower()
    if "redis" in low:
        return "redis"
    if low.endswith("locmemcache"):  # before the memcache test: "locmemcache" contains it
        return "locmem"
    if "memcache" in low:
        return "memcached"
    if low.endswith("databasecache"):
        return "database"
    if low.endswith("locmemcache"):
        return "locmem"
    if low.endswith("filebasedcache"):
        return "file"
    if low.endswith("dummycache"):
        return "dummy"
    return None


#: the variable a URL read given no name takes (`env.db()`, `env.cache()`,
#: `dj_database_url.config()`)
_UNNAMED_URL_VARS = {"db": "DATABASE_URL", "cache": "CACHE_URL"}


def _unnamed_var(ref: EnvRef) -> str | None:
    if ref.api not in ("django-environ", "dj-database-url"):
        return None
    return _UNNAMED_URL_VARS.get(ref.cast or ("db" if ref.api == "dj-database-url" else ""))


def _location(value: Any) -> tuple[str | None, str | None]:
    """(masked location, env var) of a setting value that names a service."""
    if isinstance(value, EnvRef):
        default = value.default if value.has_default and isinstance(value.default, str) else None
        return (mask_url(default) if default else None), value.var or _unnamed_var(value)
    if isinstance(value, str):
        return mask_url(value), None
    if isinstance(value, (list, tuple)) and value:
        return _location(value[0])
    return None, None


def read_services(model: ProjectModel) -> None:
    s = model.settings
    out: list[Service] = []

    def add(kind: str, role: str, setting: str, value: Any, name: str) -> None:
        where = s.where(name)
        location, env_var = _location(value)
        out.append(
            Service(
                kind,
                role,
                setting,
                env_var,
                location,
                where.path if where else None,
                where.line if where else None,
            )
        )

    databases = s.get("DATABASES")
    if isinstance(databases, (EnvRef, EnvDict)):
        databases = {"default": databases}
    if isinstance(databases, dict):
        for alias, conf in databases.items():
            kind = None
            value: Any = None
            if isinstance(conf, EnvDict) and not isinstance(conf.get("ENGINE"), str):
                conf = conf.ref
            if isinstance(conf, dict):
                engine = conf.get("ENGINE")
                if isinstance(engine, str):
                    low = engine.lower()
                    kind = next((k for key, k in _DB_KINDS if key in low), "other")
                elif isinstance(engine, EnvRef):
                    # the environment picks the engine (SQLite by default, a server in
                    # production): a networked database as far as probes and messages go
                    kind = "unknown"
                host = conf.get("HOST")
                port = conf.get("PORT")
                if isinstance(host, str) and host:
                    value = f"{host}:{port}" if isinstance(port, (str, int)) and port else host
                elif isinstance(host, EnvRef):
                    value = host
                if kind == "sqlite":
                    value = None
            elif isinstance(conf, EnvRef):
                value = conf
                default = conf.default if conf.has_default else None
                kind = url_kind(default) if isinstance(default, str) else None
                kind = kind or "unknown"
            if kind:
                add(kind, "database", f"DATABASES[{alias!r}]", value, "DATABASES")
    caches = s.get("CACHES")
    if isinstance(caches, dict):
        for alias, conf in caches.items():
            if isinstance(conf, dict):
                kind = cache_kind(conf.get("BACKEND"))
                if kind in ("redis", "memcached"):
                    add(kind, "cache", f"CACHES[{alias!r}]", conf.get("LOCATION"), "CACHES")
            elif isinstance(conf, (EnvRef, EnvDict)):
                conf = conf.ref if isinstance(conf, EnvDict) else conf
                default = conf.default if conf.has_default else None
                kind = url_kind(default) if isinstance(default, str) else None
                if kind in ("redis", "memcached"):
                    add(kind, "cache", f"CACHES[{alias!r}]", conf, "CACHES")
    named: set[str] = set()
    for name in ("CELERY_BROKER_URL", "BROKER_URL", "CELERY_BROKER"):
        value = s.get(name)
        if value is not None:
            named.add(name)
            loc = value.default if isinstance(value, EnvRef) and value.has_default else value
            kind = url_kind(loc) if isinstance(loc, str) else None
            add(kind or "broker", "broker", name, value, name)
            break
    for name in ("CELERY_RESULT_BACKEND", "RESULT_BACKEND"):
        value = s.get(name)
        if value is not None:
            named.add(name)
            loc = value.default if isinstance(value, EnvRef) and value.has_default else value
            kind = url_kind(loc) if isinstance(loc, str) else None
            if kind in ("redis", "rabbitmq", "mongodb", "memcached"):
                add(kind, "result-backend", name, value, name)
    layers = s.get("CHANNEL_LAYERS")
    if isinstance(layers, dict):
        for alias, conf in layers.items():
            if isinstance(conf, dict) and "redis" in str(conf.get("BACKEND", "")).lower():
                hosts = (
                    (conf.get("CONFIG") or {}).get("hosts")
                    if isinstance(conf.get("CONFIG"), dict)
                    else None
                )
                value = hosts[0] if isinstance(hosts, list) and hosts else None
                if isinstance(value, tuple):
                    value = ":".join(map(str, value))
                add("redis", "channel-layer", f"CHANNEL_LAYERS[{alias!r}]", value, "CHANNEL_LAYERS")
    es = s.get("ELASTICSEARCH_DSL")
    if isinstance(es, dict):
        named.add("ELASTICSEARCH_DSL")
        conf = es.get("default", {})
        hosts = conf.get("hosts") if isinstance(conf, dict) else None
        add("elasticsearch", "search", "ELASTICSEARCH_DSL['default']", hosts, "ELASTICSEARCH_DSL")
    haystack = s.get("HAYSTACK_CONNECTIONS")
    if isinstance(haystack, dict):
        named.add("HAYSTACK_CONNECTIONS")
        for alias, conf in haystack.items():
            if isinstance(conf, dict) and "elasticsearch" in str(conf.get("ENGINE", "")).lower():
                add(
                    "elasticsearch",
                    "search",
                    f"HAYSTACK_CONNECTIONS[{alias!r}]",
                    conf.get("URL"),
                    "HAYSTACK_CONNECTIONS",
                )
    for name, a in sorted(s.names.items()):
        if not name.isupper() or name in named or name in ("DATABASES", "CACHES", "CHANNEL_LAYERS"):
            continue
        value = a.value
        loc = value.default if isinstance(value, EnvRef) and value.has_default else value
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
            loc = value[0]
        if "ELASTIC" in name or "OPENSEARCH" in name:
            if name.endswith(("_URL", "_HOST", "_HOSTS", "_URLS")):
                named.add(name)
                add("elasticsearch", "search", name, value, name)
            continue
        if not isinstance(loc, str) or "://" not in loc:
            continue
        kind = url_kind(loc)
        env_var = _location(value)[1]
        if env_var is not None and any(service.env_var == env_var for service in out):
            # the value a setting above is built from (DEFAULT_DATABASE = config("DATABASE_URL",
            # ...); DATABASES = {"default": DEFAULT_DATABASE}): the same service, not another
            continue
        if kind and kind not in ("sqlite",):
            role = {"redis": "other", "rabbitmq": "broker"}.get(kind, "other")
            add(kind, role, name, value, name)
    model.services = out
