"""What is a secret in a settings module: names that hold secrets, values that look like
tokens, credentials inside service URLs, and the URLs that name a service (a database, a
broker, a search cluster) rather than a page.
"""

from __future__ import annotations

import re

from fixer import redaction

SECRET_NAME = re.compile(
    r"(^|_)(SECRET|PASSWORD|PASSWD|PASS|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY|KEY|DSN|CREDENTIALS)$"
)
#: names that end like secrets but hold configuration
NOT_SECRET = {
    "CACHE_MIDDLEWARE_KEY_PREFIX",
    "SESSION_COOKIE_KEY",
    "DEFAULT_PRIMARY_KEY",
}

SERVICE_SCHEMES = {
    "redis",
    "rediss",
    "amqp",
    "amqps",
    "pyamqp",
    "postgres",
    "postgresql",
    "postgis",
    "mysql",
    "mongodb",
    "mongodb+srv",
    "memcache",
    "kafka",
    "nats",
    "mqtt",
    "sqs",
    "elasticsearch",
    "smtp",
}


def is_secret_name(name: str) -> bool:
    """A name that holds a secret, by the check's rule: names with a part that says otherwise
    (`LANGUAGE_SESSION_KEY`, `STRIPE_PUBLIC_KEY`: `redaction.NOT_SECRET`) are not, so the fix
    moves no value the check leaves unreported."""
    if name in NOT_SECRET or any(part in name.upper() for part in redaction.NOT_SECRET):
        return False
    return bool(SECRET_NAME.search(name)) or redaction.is_secret_name(name)


def is_secret_value(name: str, value: object) -> bool:
    """A secret by its name, or by its look (a token of a known format); a dotted import path
    under a secret's name (`PUSH_CREDENTIALS = "app.utils.credentials"`) names code, not a
    secret."""
    if isinstance(value, str) and redaction.is_code_path(name, value):
        return False
    return is_secret_name(name) or (isinstance(value, str) and redaction.looks_like_token(value))


def is_secret_default(name: str, value: str) -> bool:
    """A literal default of the variable `name` that is a secret: the detector's rule (a
    secret's name, unless the value is a switch, a file's path, a dotted path or the name of a
    variable, as `FDC_API_KEY` defaulting to the public "DEMO_KEY"), so the fix moves what the
    check reports and nothing else."""
    return is_secret_name(name) and not (
        redaction.holds_no_secret(name, value) or redaction.is_code_path(name, value)
    )


def strip_credentials(url: str) -> str:
    # the user-info runs to the last "@" before the host: a password may hold raw / ? # @ :
    parts = redaction.split_userinfo(url)
    if parts is None:
        return url
    scheme, _, rest = parts
    return scheme + rest[1:]


def has_credentials(url: str) -> bool:
    return "://" in url and redaction.url_password(url) is not None


#: settings whose http(s) URL names a service (a search cluster), not a page or an API
HTTP_SERVICE_NAMES = ("ELASTIC", "OPENSEARCH", "SOLR", "SEARCH", "MEILI", "TYPESENSE")


def is_service_url(value: str, name: str = "") -> bool:
    if "://" not in value:
        return False
    scheme = value.split("://", 1)[0].lower()
    if scheme in ("http", "https"):
        return any(part in name.upper() for part in HTTP_SERVICE_NAMES)
    return scheme in SERVICE_SCHEMES
