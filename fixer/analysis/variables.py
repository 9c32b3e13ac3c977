"""The environment of the generated collectstatic (and compilemessages) stage: a build-only
value for every variable the production settings require at import, whatever it is named
(`DJANGO_SECRET_KEY`, `DATABASE_URL`, ...), with DEBUG off ("0" where a read parses it as a
number) and a throwaway SQLite database; a cache or broker URL the settings leave None when unset
gets a URL of its kind (code that makes its client at import fails on None). Nothing here is a
real secret; nothing of it reaches the api image.
"""

from __future__ import annotations

import re
from typing import Any

from fixer.analysis.required_settings import required_variables
from fixer.project import ProjectModel, settings_chain
from fixer.settings_values import EnvDict, EnvRef

#: a throwaway SQLite database: collectstatic never connects, the settings only parse the URL
BUILD_DATABASE_URL = "sqlite:////tmp/build-only.sqlite3"
_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "KEY", "DSN")
#: the variable django-environ's `env.db()` (and friends) read when given no name
_URL_CAST_DEFAULT_VARS = {"db": "DATABASE_URL", "cache": "CACHE_URL", "email": "EMAIL_URL"}


def placeholder(name: str, cast: str | None) -> str:
    """A build-only value for a variable the settings require at import: the right shape for
    its cast and name, never a real secret, DEBUG off, and a throwaway SQLite database."""
    upper = name.upper()
    if cast == "db" or upper.endswith("DATABASE_URL") or upper == "DB_URL":
        return BUILD_DATABASE_URL
    if cast == "cache" or upper.endswith("CACHE_URL"):
        return "locmemcache://"
    if cast == "email" or upper.endswith("EMAIL_URL"):
        return "consolemail://"
    if cast == "bool" or upper.endswith("DEBUG"):
        return "False"
    if cast in ("int", "float"):
        return "0"
    if cast in ("list", "tuple") or upper.endswith(("HOSTS", "ORIGINS")):
        return "localhost"
    if cast in ("json", "dict"):
        return "{}"
    if cast == "path":
        return "/tmp"
    if "BROKER" in upper:
        return "memory://"
    if "REDIS" in upper and upper.endswith(("_URL", "_LOCATION")):
        return "redis://localhost:6379/0"
    if cast == "url" or upper.endswith(("_URL", "_URI")):
        return "http://localhost"
    if any(word in upper for word in _SECRET_WORDS):
        return "build-only-not-secret"
    if upper.endswith(("_PORT", "_TIMEOUT", "_AGE", "_SECONDS")):
        return "0"
    return "build-only"


def _env_refs(value: Any, out: list[EnvRef], depth: int = 0) -> None:
    if depth > 20:
        return
    if isinstance(value, EnvRef):
        out.append(value)
    elif isinstance(value, EnvDict):
        out.append(value.ref)
        for item in value.values():
            _env_refs(item, out, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            _env_refs(item, out, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _env_refs(item, out, depth + 1)


def _ref_var(ref: EnvRef) -> str | None:
    return ref.var or _URL_CAST_DEFAULT_VARS.get(ref.cast or "")


def parses_number(ref: EnvRef) -> bool:
    """The read's text must be a number: `int(...)`, `float(...)`, `int(...) == 1`."""
    return ref.cast in ("int", "float") or ref.kwarg("parse") in ("int", "float")


def numeric_variables(project: ProjectModel) -> set[str]:
    """The variables some read of the production settings parses as a number, a read in a
    module they star-import included: its line runs at import even where a later module
    overrides the setting (`DEBUG = int(os.environ.get("DEBUG", 0))` in base.py), so a false
    value written for them is "0", never "False"."""
    out: set[str] = set()
    for dotted in sorted(settings_chain(project)):
        module = project.settings_modules.get(dotted)
        for assignment in list(module.names.values() if module else [])[:2000]:
            refs: list[EnvRef] = []
            _env_refs(assignment.value, refs)
            out.update(v for ref in refs if parses_number(ref) and (v := _ref_var(ref)))
    return out


def _subscript_read(project: ProjectModel, path: str, line: int, column: int) -> bool:
    """True when the read at (line, column) is `os.environ[...]`, which raises when unset."""
    text = project.cache.text(project.root / path).text
    if text is None:
        return False
    lines = text.split("\n")
    if not 0 < line <= len(lines):
        return False
    return bool(re.match(r"os\.environ\s*\[", lines[line - 1][column:]))


def build_environment(project: ProjectModel) -> dict[str, str]:
    """{variable: build-only value} for every variable the production settings need at import
    (read with no default, or tested by a guard that raises when it is unset), whatever its
    name, and the one DEBUG is read from (set off)."""
    settings = project.settings
    refs: list[EnvRef] = []
    for assignment in settings.names.values():
        _env_refs(assignment.value, refs)
    out: dict[str, str] = {}
    # read only where it is set (`if "X" in os.environ: STATIC_ROOT = os.environ["X"]`): the
    # build leaves it unset, so the branch does not run (a value would become STATIC_ROOT)
    unguarded = {
        use.var
        for use in settings.env_uses
        if use.var and not use.guarded and not (use.ref is not None and use.ref.has_default)
    }
    # (a URL read so keeps its build value: the branch it chooses then runs on SQLite)
    guarded = {
        use.var
        for use in settings.env_uses
        if use.var and use.guarded and (use.ref is None or use.ref.cast in (None, "str", "path"))
    } - unguarded
    for ref in refs:
        var = ref.var or _URL_CAST_DEFAULT_VARS.get(ref.cast or "")
        if var and not ref.has_default and var not in guarded:
            out.setdefault(var, placeholder(var, ref.cast))
    numeric = numeric_variables(project)
    debug = settings.get("DEBUG")
    if isinstance(debug, EnvRef) and debug.var:
        false = debug.helper.false_spelling if debug.helper is not None else None
        out[debug.var] = (
            false
            if false is not None
            else "0"
            if debug.var in numeric
            else placeholder(debug.var, debug.cast or "bool")
        )
    known = {ref.var for ref in refs}
    for use in settings.env_uses:
        if use.var and use.var not in known and use.var not in out and use.var not in guarded:
            if use.setting == "DEBUG":
                out[use.var] = "0" if use.var in numeric else "False"
            elif _subscript_read(project, use.path, use.line, use.column):
                out[use.var] = placeholder(use.var, None)
            elif use.ref is not None and not use.ref.has_default:
                # a read whose setting a later line replaces (`if A: DATABASES = url(A) else:
                # DATABASES = {"ENGINE": env("B")}`, then a DATABASE_URL override): the value
                # is gone, the read still runs at import and raises when B is unset
                out[use.var] = placeholder(use.var, use.ref.cast)
    # `HOSTS = os.environ.get("HOSTS")` then `if not HOSTS: raise ...` (in the settings or in an
    # app's code): a default in the read, and still required (the build sets DEBUG off, where
    # such a check usually runs)
    for var in required_variables(project):
        out.setdefault(var, placeholder(var, None))
    # a cache, broker or channel layer's URL the settings leave None when unset: project code
    # that makes its client at import (`redis.Redis.from_url(settings.REDIS_URL)` in
    # celery.py) fails on None; a URL of its kind makes no connection until used
    by_var = {_ref_var(ref): ref for ref in refs}
    for service in project.services:
        ref = by_var.get(service.env_var)
        if service.role == "database" or service.env_var is None or ref is None:
            continue
        if service.env_var not in out and ref.has_default and ref.default is None:
            out[service.env_var] = placeholder(service.env_var, ref.cast)
    out.pop("DJANGO_SETTINGS_MODULE", None)
    return out
