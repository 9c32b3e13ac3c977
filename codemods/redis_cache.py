"""Redis as a cache that cannot take the site down: django-redis with short socket timeouts and
`IGNORE_EXCEPTIONS`, the server URL from the environment, and sessions that survive a Redis
outage (`cached_db` instead of `cache`).

Pure source -> source. `transform(source)` returns the new source, the aliases and settings it
changed, the ones it left alone with the reason, and `variables`: (name, old value) for each
LOCATION that carried credentials, for the untracked `.env` (never for the code). It runs after
`settings_env`, so `env` (django-environ) is available in the module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from codemods.command import Context
from codemods.cst_tools import (
    AnyAssign,
    append_element,
    assigned_name,
    block_dict,
    code_of,
    deeper,
    describe,
    explode_dict,
    is_multiline,
    is_name,
    literal,
    module_statements,
    parse_module,
    separator,
    string_code,
)
from codemods.module_level import ModuleLevelCommand, module_code, preferred_quote
from codemods.secret_values import strip_credentials

DJANGO_REDIS = "django_redis.cache.RedisCache"
DJANGO_BUILTIN_REDIS = "django.core.cache.backends.redis.RedisCache"
#: backends that cannot ignore connection errors, and become django-redis
REPLACED_BACKENDS = {
    DJANGO_BUILTIN_REDIS: "Django's built-in RedisCache",
    "redis_cache.RedisCache": "django-redis-cache",
    "redis_cache.cache.RedisCache": "django-redis-cache",
}
#: OPTIONS keys django-redis reads
DJANGO_REDIS_OPTIONS = {
    "CLIENT_CLASS",
    "CLOSE_CONNECTION",
    "COMPRESSOR",
    "CONNECTION_FACTORY",
    "CONNECTION_POOL_CLASS",
    "CONNECTION_POOL_KWARGS",
    "IGNORE_EXCEPTIONS",
    "LOG_IGNORED_EXCEPTIONS",
    "PARSER_CLASS",
    "PASSWORD",
    "PICKLE_VERSION",
    "REDIS_CLIENT_CLASS",
    "REDIS_CLIENT_KWARGS",
    "REPLICA_READ_ONLY",
    "SENTINELS",
    "SENTINEL_KWARGS",
    "SERIALIZER",
    "SOCKET_CONNECT_TIMEOUT",
    "SOCKET_TIMEOUT",
    "USERNAME",
}
#: what to do instead, for options of the replaced backends that django-redis does not read
OPTION_ADVICE = {
    "db": "put the database number at the end of LOCATION (redis://host:6379/<db>)",
    "DB": "put the database number at the end of LOCATION (redis://host:6379/<db>)",
    "pool_class": "django-redis takes the pool class as CONNECTION_POOL_CLASS",
    "parser_class": "django-redis takes the parser class as PARSER_CLASS",
    "MAX_CONNECTIONS": 'django-redis takes it as CONNECTION_POOL_KWARGS {"max_connections": ...}',
}
#: calls that return a CACHES alias from a cache URL
CACHE_URL_CALLS = {
    "env.cache",
    "env.cache_url",
    "environ.Env.cache_url",
    "django_cache_url.config",
    "django_cache_url.parse",
}
SESSIONS_IN_CACHE = "django.contrib.sessions.backends.cache"
SESSIONS_CACHED_DB = "django.contrib.sessions.backends.cached_db"
LOG_SETTING = "DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS"
TIMEOUT_KEYS = ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT")
#: a timeout above this many seconds makes every request wait when Redis is unreachable
MAX_TIMEOUT = 1


@dataclass
class Result:
    code: str
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (setting, line)
    left: list[tuple[str, int, str]] = field(default_factory=list)  # (setting, line, reason)
    variables: list[tuple[str, str]] = field(default_factory=list)  # (name, old value) for .env
    # the setting and line where each variable's old value (with its credentials) was written
    places: dict[str, tuple[str, int]] = field(default_factory=dict)


def _is_redis_url(url: str) -> bool:
    return url.split("://", 1)[0].lower().startswith(("redis", "valkey"))


def _url_call_kind(call: cst.Call) -> str:
    """ "redis", "other" or "unknown" for a cache-URL call such as env.cache("REDIS_URL")."""
    func = code_of(call.func)
    if func not in CACHE_URL_CALLS:
        return "unknown"
    var: Any = None
    url: Any = None
    for i, arg in enumerate(call.args):
        keyword = arg.keyword.value if arg.keyword is not None else None
        ok, value = literal(arg.value)
        if not ok:
            continue
        if keyword == "backend" and isinstance(value, str):
            return "redis" if value.startswith("django_redis.") else "unknown"
        if func == "django_cache_url.parse" and (keyword == "url" or (keyword is None and i == 0)):
            url = value
        elif keyword in ("var", "env") or (keyword is None and i == 0):
            var = value
        elif keyword == "default" or (keyword is None and i == 1):
            url = value
    if isinstance(url, str) and "://" in url:
        return "redis" if _is_redis_url(url) else "other"
    if isinstance(var, str) and "REDIS" in var.upper():
        return "redis"
    return "unknown"


def _string_key(element: cst.BaseDictElement) -> str | None:
    if not isinstance(element, cst.DictElement):
        return None
    ok, key = literal(element.key)
    return key if ok and isinstance(key, str) else None


def _entry_kind(entry: cst.BaseExpression) -> tuple[str, str]:
    """(kind, why) of one CACHES alias: kind is "redis", "other" or "unknown"."""
    if isinstance(entry, cst.Call):
        kind = _url_call_kind(entry)
        return kind, f"it is {describe(entry)}: djfix cannot tell whether that cache is Redis"
    if not isinstance(entry, cst.Dict):
        return "unknown", f"it is {describe(entry)}, not a dict literal or a cache URL call"
    spread_kind = "unknown"
    for element in entry.elements:
        if _string_key(element) == "BACKEND":
            assert isinstance(element, cst.DictElement)
            ok, backend = literal(element.value)
            if not ok or not isinstance(backend, str):
                return "unknown", (
                    f"its BACKEND is {describe(element.value)}: djfix cannot tell whether it is "
                    "Redis"
                )
            return ("redis" if "redis" in backend.lower() else "other"), ""
        if isinstance(element, cst.StarredDictElement) and isinstance(element.value, cst.Call):
            spread_kind = _url_call_kind(element.value)
    return spread_kind, "it has no literal BACKEND: djfix cannot tell whether it is Redis"


def _without_credentials(url: str) -> str | None:
    """url without user and password; None when it is not a valid URL."""
    try:
        return strip_credentials(url)
    except ValueError:
        return None


def _var_for(alias: Any) -> str:
    if alias == "default":
        return "REDIS_URL"
    prefix = re.sub(r"[^A-Z0-9]+", "_", str(alias).upper()).strip("_")
    return f"{prefix}_REDIS_URL" if prefix else "REDIS_URL"


class RedisCacheResilience(ModuleLevelCommand):
    DESCRIPTION = "Make a Redis cache fail fast and quietly, and keep sessions in the database."

    def __init__(
        self,
        context: Context,
        *,
        socket_timeout: float,
        cache_is_default_redis: bool | None,
    ) -> None:
        super().__init__(context)
        self.socket_timeout = socket_timeout
        self.default_is_redis = cache_is_default_redis
        self.result = Result("")
        self.depth = 0
        self._quote = '"'
        self._unit = "    "
        self._has_log_setting = False
        self._caches_index: int | None = None  # top-level statement holding CACHES
        self._caches_line = 0
        self._redis_aliases = 0

    # -- what the module holds ---------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> bool:
        self._quote = preferred_quote(node, self.source)
        self._unit = node.default_indent
        session_alias: Any = "default"
        caches: cst.BaseExpression | None = None
        for small, index, _ in module_statements(node):
            name = assigned_name(small)
            if name == LOG_SETTING:
                self._has_log_setting = True
            elif name == "SESSION_CACHE_ALIAS":
                ok, value = literal(small.value)  # type: ignore[attr-defined]
                session_alias = value if ok else None
            elif name == "CACHES":
                caches = small.value  # type: ignore[attr-defined]
                self._caches_index = index
        if self.default_is_redis is None:
            self.default_is_redis = self._alias_is_redis(caches, session_alias)
        return True

    @staticmethod
    def _alias_is_redis(caches: cst.BaseExpression | None, alias: Any) -> bool | None:
        if not isinstance(caches, cst.Dict) or alias is None:
            return None
        for element in caches.elements:
            if isinstance(element, cst.DictElement) and literal(element.key) == (True, alias):
                kind, _ = _entry_kind(element.value)
                return {"redis": True, "other": False}.get(kind)
        return None

    # -- helpers -----------------------------------------------------------------------------------
    def _str(self, value: str) -> cst.BaseExpression:
        return cst.parse_expression(string_code(value, self._quote))

    @staticmethod
    def _same_quotes(original: cst.BaseExpression, value: str) -> cst.BaseExpression:
        """A string literal for value, quoted like the literal it replaces."""
        quote = "'" if isinstance(original, cst.SimpleString) and original.quote == "'" else '"'
        return cst.parse_expression(string_code(value, quote))

    def _timeout(self) -> cst.BaseExpression:
        return cst.parse_expression(repr(self.socket_timeout))

    def _wanted_options(self) -> list[tuple[str, cst.BaseExpression]]:
        return [
            ("SOCKET_CONNECT_TIMEOUT", self._timeout()),
            ("SOCKET_TIMEOUT", self._timeout()),
            ("IGNORE_EXCEPTIONS", cst.Name("True")),
        ]

    # -- OPTIONS -----------------------------------------------------------------------------------
    def _merge_options(
        self, options: cst.Dict, label: str, line: int, replaced: str | None
    ) -> cst.Dict | None:
        present: set[str] = set()
        changed = False
        elements: list[cst.BaseDictElement] = []
        for element in options.elements:
            key = _string_key(element)
            if key is not None:
                assert isinstance(element, cst.DictElement)
                present.add(key)
                ok, value = literal(element.value)
                if key in TIMEOUT_KEYS and ok:
                    number = isinstance(value, int | float) and not isinstance(value, bool)
                    if value is None or (number and value > MAX_TIMEOUT):
                        element = element.with_changes(value=self._timeout())
                        changed = True
                elif key == "IGNORE_EXCEPTIONS" and ok and value is not True:
                    element = element.with_changes(value=cst.Name("True"))
                    changed = True
                elif replaced is not None and key not in DJANGO_REDIS_OPTIONS:
                    advice = OPTION_ADVICE.get(key, "django-redis does not read it")
                    self.result.left.append(
                        (
                            f"{label}['OPTIONS'][{key!r}]",
                            line,
                            f"an option of {replaced}: {advice}",
                        )
                    )
            elements.append(element)
        new = options.with_changes(elements=elements)
        for key, value in self._wanted_options():
            if key not in present:
                new = append_element(new, cst.DictElement(self._str(key), value))
                changed = True
        return new if changed else None

    def _new_options(self, entry: cst.Dict) -> cst.Dict:
        """OPTIONS for an alias that has none, laid out like the alias dict."""
        elements = [cst.DictElement(self._str(k), v) for k, v in self._wanted_options()]
        between = separator(entry).whitespace_after
        if isinstance(between, cst.ParenthesizedWhitespace):
            indent = between.last_line.value
            return block_dict(
                elements, indent=indent + self._unit, closing=indent, indent_flag=between.indent
            )
        new = cst.Dict([])
        for element in elements:
            new = append_element(new, element)
        return new

    # -- LOCATION ----------------------------------------------------------------------------------
    def _location(
        self, value: cst.BaseExpression, alias: Any, label: str, line: int
    ) -> cst.BaseExpression | None:
        ok, location = literal(value)
        if ok and isinstance(location, list | tuple):
            if any(isinstance(url, str) and _without_credentials(url) != url for url in location):
                self.result.left.append(
                    (f"{label}['LOCATION']", line, "a list of servers with credentials in the code")
                )
            return None
        if not ok or not isinstance(location, str):
            return None
        safe = _without_credentials(location)
        if safe is None:
            self.result.left.append((f"{label}['LOCATION']", line, "it is not a valid URL"))
            return None
        var = _var_for(alias)
        if safe != location:
            self.result.variables.append((var, location))
            self.result.places[var] = (f"{label}['LOCATION']", line)
        quote = "'" if isinstance(value, cst.SimpleString) and value.quote == "'" else self._quote
        return cst.parse_expression(
            f"env({string_code(var, quote)}, default={string_code(safe, quote)})"
        )

    # -- one alias ---------------------------------------------------------------------------------
    def _redis_dict(self, alias: Any, entry: cst.Dict, label: str, line: int) -> cst.Dict | None:
        replaced: str | None = None
        changed = False
        has_options = False
        elements: list[cst.BaseDictElement] = []
        for element in entry.elements:
            key = _string_key(element)
            if key == "BACKEND":
                assert isinstance(element, cst.DictElement)
                _, backend = literal(element.value)
                if backend in REPLACED_BACKENDS:
                    replaced = REPLACED_BACKENDS[backend]
                    element = element.with_changes(
                        value=self._same_quotes(element.value, DJANGO_REDIS)
                    )
                    changed = True
                elif not str(backend).startswith("django_redis."):
                    self.result.left.append(
                        (
                            label,
                            line,
                            f"its BACKEND {backend!r} is not django-redis: djfix does not know "
                            "whether it can ignore connection errors",
                        )
                    )
                    return None
            elements.append(element)
        for i, element in enumerate(elements):
            key = _string_key(element)
            if key == "OPTIONS":
                assert isinstance(element, cst.DictElement)
                has_options = True
                if not isinstance(element.value, cst.Dict):
                    self.result.left.append(
                        (
                            f"{label}['OPTIONS']",
                            line,
                            f"it is {describe(element.value)}, not a dict literal",
                        )
                    )
                    continue
                options = self._merge_options(element.value, label, line, replaced)
                if options is not None:
                    elements[i] = element.with_changes(value=options)
                    changed = True
            elif key == "LOCATION":
                assert isinstance(element, cst.DictElement)
                location = self._location(element.value, alias, label, line)
                if location is not None:
                    elements[i] = element.with_changes(value=location)
                    changed = True
        new = entry.with_changes(elements=elements)
        if not has_options:
            new = append_element(
                new, cst.DictElement(self._str("OPTIONS"), self._new_options(entry))
            )
            changed = True
        self._redis_aliases += 1
        return new if changed else None

    def _call_to_dict(self, call: cst.Call, indent: str, closing: str, flag: bool) -> cst.Dict:
        options = block_dict(
            [cst.DictElement(self._str(k), v) for k, v in self._wanted_options()],
            indent=indent + self._unit,
            closing=indent,
            indent_flag=flag,
        )
        self._redis_aliases += 1
        return block_dict(
            [
                cst.StarredDictElement(deeper(call, self._unit)),
                cst.DictElement(self._str("OPTIONS"), options),
            ],
            indent=indent,
            closing=closing,
            indent_flag=flag,
        )

    # -- settings ----------------------------------------------------------------------------------
    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if self.depth or len(updated.targets) != 1:
            return updated
        target = updated.targets[0].target
        if is_name(target, "CACHES"):
            return self._caches(original, updated)
        if is_name(target, "SESSION_ENGINE"):
            return self._session_engine(original, updated)
        return updated

    def _session_engine(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if literal(updated.value) != (True, SESSIONS_IN_CACHE):
            return updated
        line = self.line_of(original)
        if self.default_is_redis is None:
            self.result.left.append(
                (
                    "SESSION_ENGINE",
                    line,
                    "sessions live only in the cache, and djfix cannot tell whether it is Redis",
                )
            )
            return updated
        if not self.default_is_redis:
            return updated
        self.result.rewritten.append(("SESSION_ENGINE", line))
        return updated.with_changes(value=self._same_quotes(updated.value, SESSIONS_CACHED_DB))

    def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> cst.AnnAssign:
        if self.depth or updated.value is None:
            return updated
        if is_name(updated.target, "CACHES"):
            return self._caches(original, updated)
        return updated

    def _caches(self, original: AnyAssign, updated: AnyAssign) -> AnyAssign:
        line = self.line_of(original)
        self._caches_line = line
        outer = updated.value
        if not isinstance(outer, cst.Dict) or not isinstance(original.value, cst.Dict):
            self.result.left.append(
                ("CACHES", line, f"it is {describe(outer)}, not a dict literal")
            )
            return updated
        originals = list(original.value.elements)
        single_line = not is_multiline(outer) and not isinstance(
            outer.rbrace.whitespace_before, cst.ParenthesizedWhitespace
        )
        new_values: dict[int, cst.BaseExpression] = {}
        needs_block = False
        for i, element in enumerate(outer.elements):
            entry_line = self.line_of(originals[i])
            if isinstance(element, cst.StarredDictElement):
                self.result.left.append(
                    (
                        "CACHES",
                        entry_line,
                        f"it unpacks {describe(element.value)}: those aliases are not visible here",
                    )
                )
                continue
            ok, alias = literal(element.key)
            label = f"CACHES[{alias!r}]" if ok else f"CACHES[{code_of(element.key)}]"
            kind, why = _entry_kind(element.value)
            if kind == "other":
                continue
            if kind == "unknown":
                self.result.left.append((label, entry_line, why))
                continue
            new: cst.BaseExpression | None
            if isinstance(element.value, cst.Dict):
                new = self._redis_dict(alias, element.value, label, entry_line)
            else:
                assert isinstance(element.value, cst.Call)
                if single_line:
                    indent, closing, flag = self._unit * 2, self._unit, True
                else:
                    column = self.column_of(originals[i]) or 0
                    indent, closing, flag = " " * column + self._unit, " " * column, False
                new = self._call_to_dict(element.value, indent, closing, flag)
                needs_block = True
            if new is not None:
                new_values[i] = new
                self.result.rewritten.append((label, entry_line))
        if not new_values:
            return updated
        elements = [
            e.with_changes(value=new_values[i]) if i in new_values else e
            for i, e in enumerate(outer.elements)
        ]
        outer = outer.with_changes(elements=elements)
        if single_line and needs_block:
            outer = explode_dict(outer, self._unit)
        return updated.with_changes(value=outer)

    # -- DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS -------------------------------------------------------
    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self._has_log_setting or not self._redis_aliases or self._caches_index is None:
            return updated
        statement = cst.parse_statement(f"{LOG_SETTING} = True\n")
        index = self._caches_index + 1
        self.result.rewritten.append((LOG_SETTING, self._caches_line))
        return updated.with_changes(body=[*updated.body[:index], statement, *updated.body[index:]])


def transform(
    source: str, *, socket_timeout: float = 0.25, cache_is_default_redis: bool | None = None
) -> Result:
    """Make every Redis alias of CACHES django-redis with `socket_timeout`-second socket timeouts
    and IGNORE_EXCEPTIONS, log the ignored errors, read the server URL from the environment, and
    keep sessions in the database too when they were kept only in a Redis cache.

    cache_is_default_redis: whether the cache sessions use is Redis; None decides from this
    module's CACHES. Never raises on odd input: unparsable source comes back unchanged with a
    `left` entry."""
    try:
        module = parse_module(source)
    except cst.ParserSyntaxError as error:
        return Result(
            source, left=[("<module>", error.raw_line, f"not valid Python: {error.message}")]
        )
    command = RedisCacheResilience(
        Context(),
        socket_timeout=socket_timeout,
        cache_is_default_redis=cache_is_default_redis,
    )
    command.source = source
    new_module = command.transform_module(module)
    command.result.code = module_code(new_module, module)
    return command.result
