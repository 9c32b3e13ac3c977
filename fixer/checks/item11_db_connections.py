"""Item 11: persistent database connections.

## What it checks
Every entry of `DATABASES` in the production settings sets `CONN_MAX_AGE` to a value other than
0, and, where the project's Django is 4.1 or newer, `CONN_HEALTH_CHECKS = True`. The keys count
however they are set: in the dict, by `DATABASES[alias][key] = ...`, or by the keyword arguments
of `dj_database_url.config()` / `.parse()` (`conn_max_age=600`), also through
`DATABASES[alias].update(...)`. An entry with a connection pool (`OPTIONS: {"pool": ...}`,
Django 5.1+ with psycopg 3) keeps its connections already and is not reported. Settings that are
set at run time (`globals()` written), and a `DATABASES` djfix cannot evaluate (read with
`getattr()` from a configuration module, built by a helper), are reported as not readable, not
as passing or "n/a".

## Why it matters
With the default `CONN_MAX_AGE = 0`, Django opens a new database connection for every request and
closes it at the end: a TCP and TLS handshake plus authentication on each page, which adds
latency and can exhaust the database's connection slots under load. Persistent connections reuse
one connection per worker thread. `CONN_HEALTH_CHECKS` (Django 4.1+) makes Django test a reused
connection before the request uses it, so a database restart costs one reconnect instead of
errors.

## Example
```diff
 DATABASES = {
     "default": {
         "ENGINE": "django.db.backends.postgresql",
         "NAME": "shop",
+        "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
+        "CONN_HEALTH_CHECKS": True,
     }
 }
```

## Fix safety
Safe: the keys are added to each entry; with `env.int("CONN_MAX_AGE")` operators can still turn
persistence off (0) without a code change. Nothing is added next to a pool (Django refuses
`CONN_MAX_AGE` there). After `DATABASES[alias].update(dj_database_url.config(...))`, a missing
key is set after the update, since dj-database-url 1.0+ writes `CONN_HEALTH_CHECKS=False` into
the dict it returns. A connection age read from the environment with a zero default (in the
dict, as `conn_max_age=`, or through a module-level name such as
`DB_CONN_MAX_AGE = int(os.environ.get("DB_CONN_MAX_AGE", 0))`), also through the project's own
reader function (`envint("DB_CONN_MAX_AGE", "0")`), is reported with no fix: djfix does not
change the defaults the author passes to it, except DEBUG's (item 9).

## Options
- `conn-max-age` (int, default 60): the default lifetime of a connection, in seconds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from fixer import rule_codes
from fixer.checks import Option, rule
from fixer.findings import Finding, Fix, FixSafety, Severity
from fixer.project import ProjectModel
from fixer.settings_helpers import default_left_reason
from fixer.settings_values import EnvDict, EnvRef, Unknown

ITEM = 11
TITLE = "Persistent DB connections"

CONN_MAX_AGE_MISSING = rule(
    __name__,
    rule_codes.CONN_MAX_AGE_MISSING,
    "conn-max-age-missing",
    ITEM,
    Severity.WARNING,
    "A DATABASES entry opens a new connection for every request (no CONN_MAX_AGE).",
    FixSafety.SAFE,
)
CONN_HEALTH_CHECKS_MISSING = rule(
    __name__,
    rule_codes.CONN_HEALTH_CHECKS_MISSING,
    "conn-health-checks-missing",
    ITEM,
    Severity.INFO,
    "Persistent connections are not health-checked before reuse (Django 4.1+).",
    FixSafety.SAFE,
)
RULES = [CONN_MAX_AGE_MISSING, CONN_HEALTH_CHECKS_MISSING]
OPTIONS = {
    "conn-max-age": Option(60, "default CONN_MAX_AGE, in seconds, written by the fix"),
}


def applies(project: ProjectModel) -> bool:
    if project.settings.dynamic and project.settings.where("DATABASES") is None:
        return True  # settings set at run time may hold DATABASES: not read is not "n/a"
    # a DATABASES djfix cannot evaluate (from a configuration module, a helper) is there: not
    # read is not "n/a"
    return isinstance(project.settings.get("DATABASES"), (dict, EnvRef, Unknown))


def _alias_line(project: ProjectModel, alias: str) -> tuple[str | None, int | None]:
    where = project.settings.where("DATABASES")
    if where is None:
        return None, None
    node = where.node
    value = getattr(node, "value", None)
    if isinstance(value, ast.Dict):
        for key in value.keys:
            if isinstance(key, ast.Constant) and key.value == alias:
                return where.path, key.lineno
    return where.path, where.line


def _disabled(value: Any) -> bool:
    """True when the value is known to turn persistence off."""
    if isinstance(value, EnvRef):
        return value.has_default and value.default in (0, "0", None)
    if isinstance(value, Unknown):
        return False
    return value in (0, None)


def _zero_default(alias: Any, age: EnvRef, path: str | None, line: int | None) -> Finding:
    """CONN_MAX_AGE read from the environment with a default of 0: reported without a fix."""
    read = f" ({age.path}:{age.line})" if age.path and age.line else ""
    var = age.var or "a variable"
    if age.helper is not None:
        advice = f"pass {age.helper.name}() a default of some seconds (60)"
        reason = default_left_reason(age.helper, "change it by hand")
    else:
        advice = (
            f"set {var} (60) where the app is deployed, or give the read a default of some "
            "seconds (60)"
        )
        reason = (
            f"the default 0 of {var} is the author's choice (development and tests may "
            f"rely on it): djfix does not change it; {advice}"
        )
    return Finding(
        CONN_MAX_AGE_MISSING,
        f"DATABASES[{alias!r}]['CONN_MAX_AGE'] is read from {var}{read}, which defaults "
        f"to {age.default!r} when {var} is unset, so every request opens a new database "
        f"connection: {advice}",
        path,
        line,
        fix=Fix(FixSafety.NONE, reason),
    )


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    if project.settings.dynamic and project.settings.where("DATABASES") is None:
        path, line, reason = project.settings.dynamic[0]
        why = f"{path} line {line}: {reason}, so djfix cannot read or rewrite DATABASES"
        yield Finding(
            CONN_MAX_AGE_MISSING,
            f"djfix cannot tell whether the databases keep their connections ({why}): set "
            'CONN_MAX_AGE from the environment (env.int("CONN_MAX_AGE", default=60)) by hand',
            path,
            line,
            fix=Fix(FixSafety.NONE, why),
        )
        return
    databases = project.settings.get("DATABASES")
    where = project.settings.where("DATABASES")
    if isinstance(databases, Unknown) and where is not None:
        why = f"{where.path} line {where.line}: DATABASES is computed ({databases.expr})"
        yield Finding(
            CONN_MAX_AGE_MISSING,
            f"djfix cannot tell whether the databases keep their connections ({why}): set "
            'CONN_MAX_AGE from the environment (env.int("CONN_MAX_AGE", default=60)) by hand',
            where.path,
            where.line,
            fix=Fix(FixSafety.NONE, f"{why}, so djfix cannot read or rewrite it"),
        )
        return
    if isinstance(databases, EnvRef):
        databases = {"default": EnvDict(databases)}
    if not isinstance(databases, dict):
        return
    wants_health_checks = project.django_version is None or project.django_version >= (4, 1)
    for alias, conf in databases.items():
        path, line = _alias_line(project, alias)
        if not isinstance(conf, dict):
            continue
        options = conf.get("OPTIONS")
        if isinstance(options, dict) and options.get("pool", False) not in (False, None):
            continue  # a connection pool keeps the connections; Django refuses CONN_MAX_AGE
        age = conf.get("CONN_MAX_AGE", 0)
        if _disabled(age) and isinstance(age, EnvRef) and "CONN_MAX_AGE" in conf:
            # set, from an environment read whose default is 0 (written in the dict, passed as
            # conn_max_age=, or through a module-level name): the author chose that default
            yield _zero_default(alias, age, path, line)
        elif _disabled(age):
            has = (
                f"sets CONN_MAX_AGE to {age!r}" if "CONN_MAX_AGE" in conf else "has no CONN_MAX_AGE"
            )
            yield Finding(
                CONN_MAX_AGE_MISSING,
                f"DATABASES[{alias!r}] {has}, so every request opens a new "
                "database connection: set CONN_MAX_AGE from the environment "
                '(env.int("CONN_MAX_AGE", default=60))',
                path,
                line,
            )
        if wants_health_checks and conf.get("CONN_HEALTH_CHECKS") is not True:
            yield Finding(
                CONN_HEALTH_CHECKS_MISSING,
                f"DATABASES[{alias!r}] reuses connections without CONN_HEALTH_CHECKS: set "
                "CONN_HEALTH_CHECKS = True so a restarted database costs a reconnect, not errors",
                path,
                line,
            )
