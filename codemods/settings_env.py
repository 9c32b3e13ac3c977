"""Settings to django-environ: literal secrets and configuration, `os.environ`, `os.getenv`,
python-decouple and environs reads become `env(...)` calls of one `environ.Env()`.

Pure source -> source. `transform(source, plan)` returns the new source and what it did: the
environment variables the module now reads (for `.env.example` and the untracked `.env`), and
the settings it left alone with the reason.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from codemods.module_level import ModuleLevelCommand, normalised_imports, quote_counts
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
ENGINE_SCHEMES = {
    "django.db.backends.postgresql": "postgres",
    "django.db.backends.postgresql_psycopg2": "postgres",
    "django.contrib.gis.db.backends.postgis": "postgis",
    "django.db.backends.mysql": "mysql",
    "django.contrib.gis.db.backends.mysql": "mysqlgis",
    "django.db.backends.sqlite3": "sqlite",
    "django.contrib.gis.db.backends.spatialite": "spatialite",
    "django.db.backends.oracle": "oracle",
    "django.contrib.gis.db.backends.oracle": "oraclegis",
}
DB_URL_KEYS = {"ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT"}
TRUTHY = {"true", "on", "ok", "y", "yes", "1"}
#: the methods of django-environ's Env (and the environs names djfix renames to them)
ENV_METHODS = {
    "str",
    "bool",
    "int",
    "float",
    "json",
    "list",
    "tuple",
    "dict",
    "url",
    "path",
    "bytes",
    "db",
    "db_url",
    "cache",
    "cache_url",
    "email",
    "email_url",
    "search_url",
    "read_env",
    "dj_db_url",
    "dj_cache_url",
    "dj_email_url",
}
SECRET_KEY_COMMENT = (
    "Django's secret key: a long random string, different in every environment; do not start "
    "it with $ (django-environ reads such a value as the name of another variable)."
)


def is_secret_name(name: str) -> bool:
    if name in NOT_SECRET:
        return False
    return bool(SECRET_NAME.search(name)) or redaction.is_secret_name(name)


def is_secret_value(name: str, value: object) -> bool:
    """A secret by its name, or by its look (a token of a known format)."""
    return is_secret_name(name) or (isinstance(value, str) and redaction.looks_like_token(value))


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


@dataclass
class EnvVariable:
    """One environment variable the rewritten settings read."""

    name: str
    comment: str
    example: str  # a safe placeholder for .env.example: never a real secret
    dev_value: str | None = None  # the old value, for the untracked .env only
    secret: bool = False
    required: bool = False
    # where a secret value was written: the setting's path (`DATABASES['default']['PASSWORD']`)
    # and the line of its assignment (0: not known)
    setting: str | None = field(default=None, compare=False)
    setting_line: int = field(default=0, compare=False)


@dataclass
class Plan:
    """How one settings module is rewritten.

    env_source: "create" (this module creates `env`), "inherited" (a star import brings it),
    "import:<module>" (add `from <module> import env`).
    config: also move non-secret configuration (DEBUG, ALLOWED_HOSTS, DATABASES, service URLs);
    False for development-only modules, whose secrets alone are moved.
    dotenv_parents: how many folders up from the settings file the repository root is.
    """

    env_source: str = "create"
    config: bool = True
    dotenv_parents: int = 1
    convert: bool = True  # False: only make `env` available (see `ensure_env`)
    # names the module gets through its star imports (`config` -> "decouple.config")
    inherited_aliases: dict[str, str] = field(default_factory=dict)
    # another module star-imports this one and may use its imports: remove none
    keep_imports: bool = False
    # rewrite only these settings (their reads included), e.g. DEBUG and SECRET_KEY for item 9
    only: frozenset[str] | None = None


@dataclass
class Result:
    code: str
    variables: list[EnvVariable] = field(default_factory=list)
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (setting, line)
    left: list[tuple[str, int, str]] = field(default_factory=list)  # (setting, line, reason)
    notes: list[str] = field(default_factory=list)  # what the user should know about a rewrite


def _literal(node: cst.BaseExpression) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(cst.Module([]).code_for_node(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


_QUOTE = ['"']  # the quote the module being rewritten uses most; set per transform


def _py(value: Any) -> str:
    """Python source for a literal, with the module's preferred quote for strings."""
    if isinstance(value, str):
        quote = _QUOTE[0]
        if quote == '"' and '"' not in value and "\\" not in value and "\n" not in value:
            return f'"{value}"'
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_py(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def _expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


def _env_call(method: str | None, var: str, default: Any = ..., default_node=None) -> cst.Call:
    func = "env" if method is None else f"env.{method}"
    args = [_py(var)]
    call = _expr(f"{func}({', '.join(args)})")
    assert isinstance(call, cst.Call)
    if default_node is not None:
        return call.with_changes(
            args=[
                *call.args,
                cst.Arg(
                    value=default_node,
                    keyword=cst.Name("default"),
                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                ),
            ]
        )
    if default is not ...:
        return call.with_changes(
            args=[
                *call.args,
                cst.Arg(
                    value=_expr(_py(default)),
                    keyword=cst.Name("default"),
                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                ),
            ]
        )
    return call


def _env_parts(call: cst.Call) -> tuple[str | None, str | None, cst.BaseExpression | None] | None:
    """(method, var, default node) of a call `env(...)` / `env.method(...)` made by djfix or the
    author; None for anything else."""
    func = call.func
    if m.matches(func, m.Name("env")):
        method = None
    elif m.matches(func, m.Attribute(value=m.Name("env"), attr=m.Name())):
        method = func.attr.value  # type: ignore[union-attr]
    else:
        return None
    var = None
    default = None
    for i, arg in enumerate(call.args):
        if arg.keyword is None and i == 0:
            ok, value = _literal(arg.value)
            var = value if ok and isinstance(value, str) else None
        elif arg.keyword is not None and arg.keyword.value == "default":
            default = arg.value
        elif arg.keyword is None and i == 1 and method in (None, "str", "bool", "int", "float"):
            default = arg.value
    return method, var, default


_CAST_METHOD = {"bool": "bool", "int": "int", "float": "float", "str": "str"}


def _is_path_expression(node: cst.BaseExpression) -> bool:
    """`BASE_DIR / "db.sqlite3"`, `Path(...)`: a default that is a path object, not a string."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
        return True
    if isinstance(node, cst.Call):
        func = cst.Module([]).code_for_node(node.func)
        return func.split(".")[-1] in ("Path", "PurePath", "PosixPath")
    return False


def _typed_default(default_node: cst.BaseExpression) -> tuple[str | None, cst.BaseExpression]:
    """The Env method that reads a variable whose `os.environ.get` default is `default_node`,
    and the default to pass it.

    django-environ casts a plain `env("X", default=d)` to `type(d)`: a default of 0 turns
    DEBUG=False into int("False"), a Path default turns a database NAME into a PosixPath. So a
    literal number or bool default gets the method of its own type, and any other default that
    is not a string or None gets `env.str` (the value read stays a string, as it was), a path
    default becoming its string."""
    ok, value = _literal(default_node)
    if ok:
        if value is None or isinstance(value, str):
            return None, default_node
        if isinstance(value, bool):
            return "bool", default_node
        if isinstance(value, int):
            return "int", default_node
        if isinstance(value, float):
            return "float", default_node
        return "str", default_node
    if _is_path_expression(default_node):
        return "str", cst.Call(cst.Name("str"), [cst.Arg(default_node)])
    return "str", default_node


def _cast_literal(value: Any, cast: str) -> tuple[bool, Any]:
    """Cast a literal default the way decouple / the author's wrapper would at run time."""
    if value is None:
        return True, None
    try:
        if cast == "bool":
            if isinstance(value, str):
                return True, value.strip().lower() in TRUTHY
            return True, bool(value)
        if cast == "int":
            return True, int(value)
        if cast == "float":
            return True, float(value)
        if cast == "list":
            if isinstance(value, str):
                return True, [v.strip() for v in value.split(",") if v.strip()]
            if isinstance(value, (list, tuple)):
                return True, list(value)
        if cast == "str":
            return True, str(value)
    except (TypeError, ValueError):
        return False, None
    return False, None


class SettingsToEnv(ModuleLevelCommand):
    DESCRIPTION = "Read settings from the environment through django-environ."

    def __init__(self, context: CodemodContext, plan: Plan) -> None:
        super().__init__(context)
        self.plan = plan
        self.result = Result("")
        self._depth = 0
        self._target_depth = 0
        self._uses_env = False
        self._aliases: dict[str, str] = dict(plan.inherited_aliases)
        self._has_env_binding = "env" in plan.inherited_aliases
        self._block_depth = 0
        self._blocked: str | None = None  # why this module must not be converted
        self._environs_env = False
        self._removed_statements: set[int] = set()
        # the module's own `env = environ.Env(...)`: True with a scheme, False without, None
        # when env comes from elsewhere
        self._env_scheme: bool | None = None
        self._guards: list[str] = []  # the tests of the `if` blocks around the node
        self._top_lines: list[int] = []  # the line of each top-level statement
        self._current: str | None = None  # the setting whose assignment is being visited
        # the setting being assigned and the dict keys inside it, to name where a secret was
        self._setting_name: str | None = None
        self._setting_line = 0
        self._keys: list[str] = []

    def visit_If(self, node: cst.If) -> bool:
        self._block_depth += 1
        self._guards.append(cst.Module([]).code_for_node(node.test))
        return True

    def leave_If(self, original, updated):
        self._block_depth -= 1
        self._guards.pop()
        return updated

    def visit_Try(self, node: cst.Try) -> bool:
        self._block_depth += 1
        return True

    def leave_Try(self, original, updated):
        self._block_depth -= 1
        return updated

    def visit_With(self, node: cst.With) -> bool:
        self._block_depth += 1
        return True

    def leave_With(self, original, updated):
        self._block_depth -= 1
        return updated

    def visit_For(self, node: cst.For) -> bool:
        self._block_depth += 1
        return True

    def leave_For(self, original, updated):
        self._block_depth -= 1
        return updated

    def leave_AugAssign(self, original: cst.AugAssign, updated: cst.AugAssign):
        # `os.environ["PATH"] += ...` writes the environment: its target stays as it was
        return updated.with_changes(target=original.target)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        self._setting_name = None
        return True

    def visit_DictElement(self, node: cst.DictElement) -> bool:
        ok, key = _literal(node.key)
        self._keys.append(f"[{key!r}]" if ok else "[...]")
        return True

    def leave_DictElement(self, original, updated):
        self._keys.pop()
        return updated

    def _place(self) -> str | None:
        """`DATABASES['default']['PASSWORD']`: where the value being read is assigned."""
        return self._setting_name + "".join(self._keys) if self._setting_name else None

    def visit_Del(self, node: cst.Del) -> bool:
        return False  # `del os.environ["X"]` writes the environment too

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        self._target_depth += 1
        return True

    def leave_AssignTarget(self, original, updated):
        self._target_depth -= 1
        return updated

    # -- what the module imports ----------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> bool:
        # the author's quote, docstrings included
        quotes = quote_counts(node, self.source)
        singles = quotes.single + quotes.triple_single
        doubles = quotes.double + quotes.triple_double
        _QUOTE[0] = "'" if singles > doubles else '"'
        for stmt in node.body:
            for small in (
                getattr(stmt, "body", []) if isinstance(stmt, cst.SimpleStatementLine) else []
            ):
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        name = cst.Module([]).code_for_node(alias.name)
                        local = alias.asname.name.value if alias.asname else name.split(".")[0]  # type: ignore[union-attr]
                        self._aliases[local] = name if alias.asname else name.split(".")[0]
                elif isinstance(small, cst.ImportFrom) and not isinstance(
                    small.names, cst.ImportStar
                ):
                    module = cst.Module([]).code_for_node(small.module) if small.module else ""
                    for alias in small.names:
                        name = alias.name.value  # type: ignore[union-attr]
                        local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
                        self._aliases[local] = f"{module}.{name}"
                        if local == "env":
                            # the project's own env object (e.g. `from proj.env import env`)
                            self._has_env_binding = True
                elif isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = small.targets[0].target
                    if m.matches(target, m.Name("env")):
                        callee = small.value
                        qualified = (
                            self._qualify(callee.func) if isinstance(callee, cst.Call) else ""
                        )
                        if qualified in ("environ.Env", "environ.environ.Env"):
                            self._has_env_binding = True
                            self._env_scheme = bool(callee.args)  # type: ignore[union-attr]
                        elif qualified == "environs.Env":
                            self._environs_env = True
                        else:
                            self._blocked = "the module already uses the name `env` for a value"
        if self._environs_env:
            methods = {
                call.func.attr.value  # type: ignore[union-attr]
                for call in m.findall(node, m.Call(func=m.Attribute(value=m.Name("env"))))
            }
            unknown = sorted(methods - ENV_METHODS)
            if unknown:
                self._blocked = "environs methods django-environ lacks: " + ", ".join(unknown)
        if self._environs_env and self.plan.only is not None:
            self._blocked = "environs is converted with the whole module (item 5), not in part"
        if self._blocked:
            self.result.left.append(("<module>", 1, self._blocked))
            self.plan = Plan(**{**self.plan.__dict__, "convert": False})
            self._environs_env = False
        return True

    def _qualify(self, node: cst.BaseExpression) -> str:
        code = cst.Module([]).code_for_node(node)
        head, _, rest = code.partition(".")
        base = self._aliases.get(head, head if head in ("os",) else None)
        if base is None:
            return code
        return f"{base}.{rest}" if rest else base

    # -- environment reads ------------------------------------------------------------------------
    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript):
        if not self.plan.convert or self._depth or self._target_depth or self._outside_only():
            return updated
        if self._qualify(updated.value) != "os.environ" or len(updated.slice) != 1:
            return updated
        index = updated.slice[0].slice
        if not isinstance(index, cst.Index):
            return updated
        ok, var = _literal(index.value)
        if not ok or not isinstance(var, str):
            return updated
        self._uses_env = True
        self._read(var)
        return _env_call(None, var)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.plan.convert or self._depth or self._outside_only():
            return updated
        qualified = self._qualify(updated.func)
        if qualified in ("os.environ.get", "os.getenv"):
            return self._from_os(updated)
        if qualified == "decouple.config":
            return self._from_decouple(updated)
        if self._environs_env:
            converted = self._from_environs(updated)
            if converted is not None:
                return converted
        name = updated.func.value if isinstance(updated.func, cst.Name) else None
        # bool(os.environ.get(X)) asks "is X set": env.bool would parse it instead
        if name in ("int", "float") and len(updated.args) == 1:
            inner = updated.args[0].value
            if isinstance(inner, cst.Call):
                parts = _env_parts(inner)
                if parts and parts[0] == name and parts[1]:
                    return inner  # int(env.int(...)): the read already casts
                if parts and parts[0] in (None, "str") and parts[1]:
                    return self._recast(parts[1], parts[2], name) or updated
        if m.matches(updated.func, m.Attribute(attr=m.Name("split"))) and isinstance(
            updated.func.value,
            cst.Call,  # type: ignore[union-attr]
        ):
            inner = updated.func.value  # type: ignore[union-attr]
            parts = _env_parts(inner)
            sep_ok = bool(updated.args) and _literal(updated.args[0].value) == (True, ",")
            if parts and parts[0] in (None, "str") and parts[1] and sep_ok:
                return self._recast(parts[1], parts[2], "list") or updated
            if parts and parts[0] in (None, "str") and parts[1] and parts[2] is not None:
                return self._split_unset(updated, inner, parts[1], parts[2])
        return updated

    def _split_unset(self, call: cst.Call, inner: cst.Call, var: str, default) -> cst.Call:
        """`env(X, default=None).split(" ")` fails when X is unset: read "" instead, and split
        on whitespace as the author did (env.list would split on commas)."""
        if _literal(default) != (True, None):
            return call
        sep = _literal(call.args[0].value) if call.args else (True, None)
        read = _env_call("str", var, "")
        args: list[cst.Arg] = [] if sep in ((True, None), (True, " ")) else list(call.args)
        return call.with_changes(func=call.func.with_changes(value=read), args=args)  # type: ignore[union-attr]

    def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison):
        if not self.plan.convert or self._depth or len(updated.comparisons) != 1:
            return updated
        if self._outside_only():
            return updated
        left = updated.left
        if m.matches(left, m.Call(func=m.Attribute(attr=m.Name("lower")))):
            left = left.func.value  # type: ignore[union-attr]
        if not isinstance(left, cst.Call):
            return updated
        parts = _env_parts(left)
        if not parts or parts[0] not in (None, "str") or not parts[1]:
            return updated
        target = updated.comparisons[0]
        ok, lit = _literal(target.comparator)
        if not ok:
            return updated
        lowered = left is not updated.left  # `.lower()` was called before comparing
        values = lit if isinstance(lit, (list, tuple, set)) else [lit]
        wanted = {str(v) for v in values}
        if (
            not isinstance(target.operator, (cst.Equal, cst.In))
            or not {w.lower() for w in wanted} <= TRUTHY
        ):
            return updated
        default_ok, default = (True, None) if parts[2] is None else _literal(parts[2])
        if not default_ok:
            return updated
        # the default gives the same answer as the comparison did, case included
        text = None if default is None else str(default)
        if text is not None and lowered:
            text = text.lower()
        default_bool = text is not None and text in wanted
        self._retype(parts[1], "bool", default_bool)
        return _env_call("bool", parts[1], default_bool)

    def _read(
        self, var: str, default: Any = ..., default_node=None, cast: str | None = None
    ) -> None:
        """Record a variable the settings now read, for .env.example."""
        if var == "SECRET_KEY":
            self._add(
                EnvVariable(
                    var,
                    SECRET_KEY_COMMENT,
                    "change-me-to-a-long-random-string",
                    None,
                    True,
                    True,
                )
            )
            return
        secret = is_secret_name(var)
        example = ""
        if default_node is not None:
            ok, value = _literal(default_node)
            default = value if ok else ...
        # `if "X" in os.environ: ... os.environ["X"]` reads X only when it is set
        guarded = any(re.search(rf"\b{re.escape(var)}\b", test) for test in self._guards)
        required = default is ... and default_node is None and not guarded
        if default is ... or default is None:
            # a placeholder that parses with the read's cast: an empty value crashes int()
            example = {"int": "0", "float": "0", "bool": "False"}.get(cast or "", "")
        if default is not ... and default is not None and not secret:
            if isinstance(default, bool):
                # for a string read, "False" in a .env would be a non-empty, truthy string
                example = str(default) if cast == "bool" else ""
            elif isinstance(default, (list, tuple)):
                example = ",".join(map(str, default))
            else:
                example = str(default)
                if has_credentials(example):
                    example = strip_credentials(example)
        self._add(
            EnvVariable(
                var, f"{var}{' (secret)' if secret else ''}.", example, None, secret, required
            )
        )

    def _safe_default(self, var: str, default_node):
        """A default that may be committed: a secret default (or a URL's credentials) moves to
        the untracked .env, and the code keeps none (SECRET_KEY) or an empty / credential-free
        one. Returns (default node or None, keep_default)."""
        ok, value = _literal(default_node)
        if not ok or not isinstance(value, str) or not value:
            return default_node, True
        if var == "SECRET_KEY" or is_secret_name(var):
            self._add(
                EnvVariable(
                    var,
                    f"{var} (secret).",
                    "",
                    value,
                    True,
                    var == "SECRET_KEY",
                    setting=self._place(),
                    setting_line=self._setting_line,
                )
            )
            if var == "SECRET_KEY":
                return None, False
            return _expr('""'), True
        if has_credentials(value):
            safe = strip_credentials(value)
            self._add(
                EnvVariable(
                    var,
                    f"{var} (its credentials are a secret).",
                    safe,
                    value,
                    True,
                    setting=self._place(),
                    setting_line=self._setting_line,
                )
            )
            return _expr(_py(safe)), True
        return default_node, True

    def _recast(self, var: str, default_node, cast: str) -> cst.Call | None:
        method = {"int": "int", "float": "float", "bool": "bool", "list": "list"}[cast]
        if default_node is None:
            self._retype(var, cast, None)
            return _env_call(method, var)
        ok, value = _literal(default_node)
        if not ok:
            return None
        ok, casted = _cast_literal(value, cast)
        if not ok:
            return None
        self._retype(var, cast, casted)
        return _env_call(method, var, casted)

    def _retype(self, var: str, cast: str, default: Any) -> None:
        """The .env.example value of a read that now casts: one the cast parses."""
        for variable in self.result.variables:
            if variable.name != var or variable.secret:
                continue
            if cast == "bool":
                variable.example = str(bool(default))
            elif cast in ("int", "float"):
                variable.example = "0" if default is None else str(default)
            elif cast == "list":
                variable.example = ",".join(map(str, default or []))

    def _from_os(self, call: cst.Call) -> cst.BaseExpression:
        if not call.args:
            return call
        ok, var = _literal(call.args[0].value)
        if not ok or not isinstance(var, str):
            return call
        self._uses_env = True
        default = call.args[1].value if len(call.args) > 1 else None
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "default":
                default = arg.value
        if default is None:
            self._read(var, None)
            return _env_call(None, var, None)
        default, keep = self._safe_default(var, default)
        if not keep:
            self._read(var)
            return _env_call(None, var)
        method, default = _typed_default(default)
        self._read(var, default_node=default, cast=method)
        return _env_call(method, var, default_node=default)

    def _from_decouple(self, call: cst.Call) -> cst.BaseExpression:
        if not call.args:
            return call
        ok, var = _literal(call.args[0].value)
        if not ok or not isinstance(var, str):
            return call
        default_node = None
        cast = None
        for i, arg in enumerate(call.args):
            positional_default = arg.keyword is None and i == 1
            if positional_default or (arg.keyword is not None and arg.keyword.value == "default"):
                default_node = arg.value
            elif arg.keyword is not None and arg.keyword.value == "cast":
                cast_code = cst.Module([]).code_for_node(arg.value)
                if cast_code in ("bool", "int", "float", "str"):
                    cast = cast_code
                elif re.fullmatch(r"(decouple\.)?Csv\(\)", cast_code):
                    cast = "list"
                else:
                    return call  # a cast djfix cannot translate: leave it, it stays a finding
        self._uses_env = True
        method = None if cast in (None, "str") else cast
        if default_node is not None:
            self._read(var, default_node=default_node, cast=cast)
        else:
            self._read(var, cast=cast)
        if default_node is None:
            return _env_call(method, var)
        if cast is None:
            default_node, keep = self._safe_default(var, default_node)
            if not keep:
                return _env_call(None, var)
            return _env_call(None, var, default_node=default_node)
        ok, value = _literal(default_node)
        if not ok:
            return call
        ok, casted = _cast_literal(value, cast)
        if not ok:
            return call
        return _env_call(method, var, casted)

    _ENVIRONS_RENAMES: ClassVar[dict[str, str]] = {
        "dj_db_url": "db",
        "dj_cache_url": "cache",
        "dj_email_url": "email_url",
    }

    def _from_environs(self, call: cst.Call) -> cst.Call | None:
        if not m.matches(call.func, m.Attribute(value=m.Name("env"), attr=m.Name())):
            return None
        attr = call.func.attr.value  # type: ignore[union-attr]
        new_attr = self._ENVIRONS_RENAMES.get(attr, attr)
        args = list(call.args)
        if new_attr in ("list", "dict", "tuple") and len(args) >= 2 and args[1].keyword is None:
            # environs takes the default second; django-environ takes a cast there
            args[1] = args[1].with_changes(
                keyword=cst.Name("default"),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            )
        self._uses_env = True
        parts = _env_parts(call)
        if parts and parts[1]:
            self._read(parts[1], default_node=parts[2])
        return call.with_changes(
            func=call.func.with_changes(attr=cst.Name(new_attr)),  # type: ignore[union-attr]
            args=args,
        )

    # -- settings assignments ---------------------------------------------------------------------
    def leave_SimpleStatementLine(self, original, updated):
        if not self.plan.convert or self._depth or self.plan.only is not None:
            return updated
        if self._environs_env and len(updated.body) == 1:
            small = updated.body[0]
            # environs' own .env reading: djfix writes django-environ's instead
            if m.matches(
                small,
                m.Expr(m.Call(func=m.Attribute(value=m.Name("env"), attr=m.Name("read_env")))),
            ):
                return cst.RemoveFromParent()
            if m.matches(small, m.Assign(targets=[m.AssignTarget(m.Name("env"))])):
                return cst.RemoveFromParent()
        return updated

    def visit_Assign(self, node: cst.Assign) -> bool:
        target = node.targets[0].target if len(node.targets) == 1 else None
        # where a secret being read is assigned, for "Secrets to rotate"
        self._setting_name = target.value if isinstance(target, cst.Name) else None
        self._setting_line = self._line(node)
        if not self._depth and isinstance(target, cst.Name):
            self._current = target.value
        return True

    def _outside_only(self) -> bool:
        """Plan.only names the settings to rewrite, and the code is not part of one of them."""
        return self.plan.only is not None and self._current not in self.plan.only

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign):
        current, self._current = self._current, None
        if not self.plan.convert or self._depth or len(updated.targets) != 1:
            return updated
        if self.plan.only is not None and current not in self.plan.only:
            return updated
        target = updated.targets[0].target
        if not isinstance(target, cst.Name) or not target.value.isupper():
            return updated
        name = target.value
        line = self._line(original)
        if name == "SECRET_KEY":
            updated = self._required_secret_key(updated)
        if self._block_depth:
            # a setting chosen by a condition (CI, a feature flag): the author's choice per
            # case; its environment reads were converted, its literals are left alone
            ok, literal = _literal(updated.value)
            if ok and (name == "SECRET_KEY" or is_secret_name(name)) and literal:
                self.result.left.append(
                    (
                        name,
                        line,
                        "it is set inside a block (if/try/with/for): djfix does not "
                        "rewrite conditional settings",
                    )
                )
            return updated
        if name == "DEBUG" and self.plan.config:
            debug = self._debug_read(original.value, updated.value)
            if debug is None and isinstance(original.value, cst.Comparison):
                parts = _env_parts(updated.value) if isinstance(updated.value, cst.Call) else None
                if parts and parts[0] == "bool" and parts[1]:
                    old_code = cst.Module([]).code_for_node(original.value)
                    self.result.notes.append(
                        f"DEBUG (line {line}) was read as `{old_code}`, which recognises only "
                        f'the spellings it lists; it is now env.bool("{parts[1]}", '
                        "default=False): off unless the environment says True"
                    )
            if debug is not None:
                var, truthy_default, bug = debug
                # production must not depend on remembering DEBUG=False: the default is off,
                # and a developer's True moves to the untracked .env
                self._add(
                    EnvVariable(
                        var,
                        "Debug mode: True only on a developer's machine.",
                        "False",
                        "True" if truthy_default else None,
                    )
                )
                for variable in self.result.variables:
                    if variable.name == var:
                        variable.example = "False"  # a value env.bool parses, and off
                if bug:
                    old_code = cst.Module([]).code_for_node(original.value)
                    self.result.notes.append(
                        f"DEBUG (line {line}) was read as `{old_code}`, {bug}; it is now "
                        f'env.bool("{var}", default=False): off unless the environment says '
                        "True"
                    )
                self.result.rewritten.append((name, line))
                return updated.with_changes(value=_env_call("bool", var, False))
        new_value = self._setting_value(name, updated.value, line)
        if new_value is None:
            return updated
        self._uses_env = True
        self.result.rewritten.append((name, line))
        return updated.with_changes(value=new_value)

    _BOOL_WORDS: ClassVar[set[str]] = TRUTHY | {"false", "off", "n", "no", "0", ""}
    _STRING_METHODS: ClassVar[set[str]] = {"lower", "upper", "strip", "casefold", "title"}

    def _debug_read(
        self, original: cst.BaseExpression, node: cst.BaseExpression
    ) -> tuple[str, bool, str] | None:
        """(variable, old default was on, what was wrong) when DEBUG reads one variable in a
        form other than `env.bool(X, default=False)`; None when it is that, or not a read of a
        debug flag (`env("ENVIRONMENT") == "dev"` reads another thing)."""
        kind = "plain"
        while True:
            if isinstance(node, cst.Call) and _env_parts(node) is not None:
                break
            if (
                isinstance(node, cst.Call)
                and m.matches(node.func, m.Name("bool") | m.Name("int") | m.Name("str"))
                and len(node.args) == 1
                and node.args[0].keyword is None
            ):
                kind = {"bool": "truthy", "int": "int", "str": kind}[node.func.value]  # type: ignore[union-attr]
                if kind == "int" and isinstance(node.args[0].value, cst.Call):
                    inner = _env_parts(node.args[0].value)
                    kind = "int" if inner and inner[0] in (None, "str", "int") else kind
                node = node.args[0].value
                continue
            if (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in self._STRING_METHODS
                and not node.args
            ):
                node = node.func.value
                continue
            if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
                ok, lit = _literal(node.comparisons[0].comparator)
                values = lit if isinstance(lit, (list, tuple, set)) else [lit]
                if not ok or not all(
                    isinstance(v, (str, int)) and str(v).lower() in self._BOOL_WORDS for v in values
                ):
                    return None
                negated = isinstance(node.comparisons[0].operator, (cst.NotEqual, cst.NotIn))
                kind = "negated" if negated else "compared"
                node = node.left
                continue
            return None
        parts = _env_parts(node)
        assert parts is not None
        method, var, default = parts
        if not var or method not in (None, "str", "int", "bool"):
            return None
        truthy_default = False
        if default is not None:
            ok, value = _literal(default)
            truthy_default = ok and _cast_literal(value, "bool") == (True, True)
        if kind == "plain" and method == "bool" and not truthy_default:
            return None  # already env.bool with production off
        if kind == "plain" and method is None and not truthy_default:
            # the author's own env("DEBUG") may be cast by a scheme (environ.Env(DEBUG=...));
            # a read djfix converted, or one of an Env() without a scheme, is a plain string
            converted = not (isinstance(original, cst.Call) and _env_parts(original))
            if not converted and self._env_scheme is not False:
                return None
        if kind == "int" or (kind == "plain" and method == "int"):
            bug = 'which stops the start on DEBUG=False (int("False") fails)'
        elif kind == "compared":
            bug = "which recognises only the spellings it lists"
        elif kind == "plain" and method == "bool":
            bug = "which turns debug on in production when DEBUG is not set"
        else:
            bug = 'which is a bug: any non-empty string, "False" included, counted as on'
        return var, truthy_default, bug

    def _required_secret_key(self, updated: cst.Assign) -> cst.Assign:
        """SECRET_KEY = env(X, default=None / "") -> env(X): a missing key fails at start,
        not later with an empty key (Django refuses it) or warning W009."""
        value = updated.value
        if not isinstance(value, cst.Call):
            return updated
        parts = _env_parts(value)
        if parts is None or parts[0] not in (None, "str") or not parts[1] or parts[2] is None:
            return updated
        ok, default = _literal(parts[2])
        if not ok or default not in (None, ""):
            return updated
        var = parts[1]
        args = [a for a in value.args if a.value is not parts[2]]
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        self._add(EnvVariable(var, SECRET_KEY_COMMENT, "", None, True, True))
        for variable in self.result.variables:
            if variable.name == var:
                variable.comment = SECRET_KEY_COMMENT
                variable.example = "change-me-to-a-long-random-string"
                variable.required = True
        self._uses_env = True
        return updated.with_changes(value=value.with_changes(args=args))

    def _setting_value(self, name: str, value: cst.BaseExpression, line: int):
        ok, literal = _literal(value)
        if name == "SECRET_KEY":
            if ok and isinstance(literal, str) and literal:
                self._add(
                    EnvVariable(
                        "SECRET_KEY",
                        SECRET_KEY_COMMENT,
                        "change-me-to-a-long-random-string",
                        literal,
                        True,
                        True,
                        setting=name,
                        setting_line=line,
                    )
                )
                return _env_call(None, "SECRET_KEY")
            return None
        if is_secret_value(name, literal if ok else None):
            if ok and isinstance(literal, str) and literal:
                example = strip_credentials(literal) if has_credentials(literal) else ""
                self._add(
                    EnvVariable(
                        name,
                        f"{name} (secret).",
                        example or "",
                        literal,
                        True,
                        setting=name,
                        setting_line=line,
                    )
                )
                return _env_call(None, name, example)
            return None
        if ok and isinstance(literal, str) and "://" in literal and has_credentials(literal):
            safe = strip_credentials(literal)
            self._add(
                EnvVariable(
                    name,
                    f"{name} (its credentials are a secret).",
                    safe,
                    literal,
                    True,
                    setting=name,
                    setting_line=line,
                )
            )
            return _env_call(None, name, safe)
        if not self.plan.config:
            return None
        if name == "DEBUG" and ok and isinstance(literal, bool):
            self._add(
                EnvVariable(
                    "DEBUG",
                    "Debug mode: True only on a developer's machine.",
                    "False",
                    "True" if literal else None,
                )
            )
            return _env_call("bool", "DEBUG", False)
        if name == "ALLOWED_HOSTS" and ok and isinstance(literal, (list, tuple)):
            if all(isinstance(h, str) for h in literal):
                self._add(
                    EnvVariable(
                        "ALLOWED_HOSTS",
                        "Host names this site serves, comma-separated.",
                        "example.com,www.example.com",
                        ",".join(literal) or None,
                    )
                )
                return _env_call("list", "ALLOWED_HOSTS", list(literal))
            return None
        if name == "DATABASES" and isinstance(value, cst.Dict):
            return self._databases(value, line)
        if name == "CACHES" and isinstance(value, cst.Dict):
            return self._caches(value, line)
        if ok and isinstance(literal, str) and is_service_url(literal, name):
            self._add(EnvVariable(name, f"{name}: the service's URL.", literal, None))
            return _env_call(None, name, literal)
        return None

    def _add(self, variable: EnvVariable) -> None:
        for existing in self.result.variables:
            if existing.name == variable.name:
                if existing.dev_value is None and variable.dev_value is not None:
                    existing.dev_value = variable.dev_value
                existing.secret = existing.secret or variable.secret
                existing.required = existing.required or variable.required
                if not existing.setting and variable.setting:
                    existing.setting = variable.setting
                    existing.setting_line = variable.setting_line
                if variable.example and not existing.example:
                    existing.example = variable.example
                return
        self.result.variables.append(variable)

    def _databases(self, node: cst.Dict, line: int) -> cst.Dict | None:
        # (only reached for unconditional module-level assignments)
        changed = False
        elements = []
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                elements.append(element)
                continue
            ok, alias = _literal(element.key)
            if not ok or not isinstance(alias, str) or not isinstance(element.value, cst.Dict):
                elements.append(element)
                continue
            new_value = self._database_entry(alias, element.value, line)
            if new_value is None:
                elements.append(element)
                continue
            changed = True
            elements.append(element.with_changes(value=new_value))
        return node.with_changes(elements=elements) if changed else None

    def _database_entry(self, alias: str, entry: cst.Dict, line: int):
        values: dict[str, cst.BaseExpression] = {}
        others: list[cst.BaseDictElement] = []
        for element in entry.elements:
            if isinstance(element, cst.DictElement):
                ok, key = _literal(element.key)
                if ok and key in DB_URL_KEYS:
                    values[key] = element.value
                    continue
            others.append(element)
        prefix = "" if alias == "default" else f"{alias.upper()}_"
        var = f"{prefix}DATABASE_URL"
        ok, engine = _literal(values["ENGINE"]) if "ENGINE" in values else (False, None)
        scheme = ENGINE_SCHEMES.get(engine) if ok else None
        if scheme is None:
            self.result.left.append(
                (
                    f"DATABASES[{alias!r}]",
                    line,
                    f"its ENGINE {engine!r} has no database URL scheme"
                    if ok
                    else "its ENGINE is not a literal",
                )
            )
            return None
        literal: dict[str, Any] = {}
        for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT"):
            if key in values:
                ok, value = _literal(values[key])
                if not ok or not isinstance(value, (str, int)):
                    if scheme in ("sqlite", "spatialite") and key == "NAME":
                        literal[key] = values[key]  # a path expression: kept as an expression
                        continue
                    self.result.left.append(
                        (
                            f"DATABASES[{alias!r}]",
                            line,
                            f"its {key} is computed, so it cannot become one URL",
                        )
                    )
                    return None
                literal[key] = str(value)
        if scheme in ("sqlite", "spatialite"):
            name = literal.get("NAME", "")
            if isinstance(name, cst.BaseExpression):
                code = cst.Module([]).code_for_node(name)
                # concatenation, not an f-string: any Python the project runs reads it
                default_node: cst.BaseExpression = _expr(f"{_py(scheme + ':///')} + str({code})")
                example = f"{scheme}:///db.sqlite3"
            else:
                default_node = _expr(_py(f"{scheme}:///{name}"))
                example = f"{scheme}:///{name}"
            dev_value = None
        else:
            user = quote(literal.get("USER", ""), safe="")
            host = literal.get("HOST", "")
            port = literal.get("PORT", "")
            netloc_host = f"{host}:{port}" if port else host
            path = "/" + quote(literal.get("NAME", ""), safe="")
            auth = f"{user}@" if user else ""
            default_url = f"{scheme}://{auth}{netloc_host}{path}"
            default_node = _expr(_py(default_url))
            example = default_url
            dev_value = None
            if literal.get("PASSWORD"):
                password = quote(literal["PASSWORD"], safe="")
                dev_value = f"{scheme}://{user}:{password}@{netloc_host}{path}"
                example = f"{scheme}://{user or 'user'}:password@{netloc_host}{path}"
        self._add(
            EnvVariable(
                var,
                f"Database '{alias}' as a URL (scheme://user:password@host:port/name).",
                example,
                dev_value,
                secret=dev_value is not None,
                setting=f"DATABASES[{alias!r}][{'PASSWORD'!r}]" if dev_value else None,
                setting_line=line,
            )
        )
        call = _env_call("db", var, default_node=default_node)
        if not others:
            return call
        # the spread takes the place (and the comma with its line break) of the first key
        first = entry.elements[0]
        spread = cst.StarredDictElement(value=call, comma=first.comma)
        return entry.with_changes(elements=[spread, *others])

    def _caches(self, node: cst.Dict, line: int = 0) -> cst.Dict | None:
        changed = False
        elements = []
        for element in node.elements:
            new = element
            if isinstance(element, cst.DictElement) and isinstance(element.value, cst.Dict):
                ok, alias = _literal(element.key)
                conf = element.value
                backend = next(
                    (
                        _literal(e.value)[1]
                        for e in conf.elements
                        if isinstance(e, cst.DictElement) and _literal(e.key) == (True, "BACKEND")
                    ),
                    None,
                )
                if ok and isinstance(backend, str) and "redis" in backend.lower():
                    var = "REDIS_URL" if alias == "default" else f"{str(alias).upper()}_REDIS_URL"
                    new_conf = self._location_from_env(conf, var, f"CACHES[{alias!r}]", line)
                    if new_conf is not None:
                        changed = True
                        new = element.with_changes(value=new_conf)
            elements.append(new)
        return node.with_changes(elements=elements) if changed else None

    def _location_from_env(
        self, conf: cst.Dict, var: str, label: str, line: int = 0
    ) -> cst.Dict | None:
        out = []
        changed = False
        for e in conf.elements:
            if isinstance(e, cst.DictElement) and _literal(e.key) == (True, "LOCATION"):
                ok, location = _literal(e.value)
                if ok and isinstance(location, str):
                    safe = strip_credentials(location)
                    secret = safe != location
                    self._add(
                        EnvVariable(
                            var,
                            "Redis used as the cache (redis://host:port/db).",
                            safe,
                            location if secret else None,
                            secret,
                            setting=f"{label}['LOCATION']" if secret else None,
                            setting_line=line,
                        )
                    )
                    e = e.with_changes(value=_env_call(None, var, safe))
                    changed = True
            out.append(e)
        return conf.with_changes(elements=out) if changed else None

    # -- making `env` available -----------------------------------------------------------------
    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        self.result.code = ""
        if self.plan.convert and self.plan.config and self.plan.only is None:
            self._top_lines = [self._line(stmt) for stmt in original.body]
            updated = self._database_url_precedence(updated)
        if not self._uses_env and not self._environs_env:
            return updated
        if not self.plan.keep_imports:
            if self._environs_env:
                RemoveImportsVisitor.remove_unused_import(self.context, "environs", "Env")
            if self._aliases.get("config") == "decouple.config":
                RemoveImportsVisitor.remove_unused_import(self.context, "decouple", "config")
                RemoveImportsVisitor.remove_unused_import(self.context, "decouple", "Csv")
            RemoveImportsVisitor.remove_unused_import(self.context, "os")
            RemoveImportsVisitor.remove_unused_import(self.context, "os", "environ")
            RemoveImportsVisitor.remove_unused_import(self.context, "os", "getenv")
            RemoveImportsVisitor.remove_unused_import(self.context, "decouple")
        if self._has_env_binding:
            return updated
        source = self.plan.env_source
        if source == "inherited":
            return updated
        if source.startswith("import:"):
            module = source.split(":", 1)[1]
            stmt = cst.parse_statement(f"from {module} import env\n")
            return self._insert_after_imports(updated, [stmt])
        parents = self.plan.dotenv_parents
        block = cst.parse_module(
            "env = environ.Env()\n"
            "# A local .env (never committed) is read when there is one; in production the\n"
            "# settings come from real environment variables.\n"
            "_parents = Path(__file__).resolve().parents\n"
            f'_env_file = _parents[min({parents}, len(_parents) - 1)] / ".env"\n'
            "if _env_file.is_file():\n"
            "    environ.Env.read_env(str(_env_file))\n"
        ).body
        imports = _env_imports(updated)
        if imports is None:
            AddImportsVisitor.add_needed_import(self.context, "environ")
            AddImportsVisitor.add_needed_import(self.context, "pathlib", "Path")
            imports = []
        return self._insert_after_imports(updated, list(block), imports)

    def _database_url_precedence(self, module: cst.Module) -> cst.Module:
        """DATABASES chosen by `if X: ... else: ...` (DEBUG, a flag, sys.argv): whatever branch
        runs, DATABASE_URL names the database when it is set, as the image, the PR's commands
        and the startup probes say. Each alias a branch assigns gets the override after the
        `if` statement, unless a branch already reads a database URL."""
        if re.search(r"DATABASE_URL|\benv\.db\(|dj_database_url", module.code):
            return module  # the module reads a database URL already
        body = list(module.body)
        lines_of = dict(enumerate(self._top_lines)) if len(self._top_lines) == len(body) else {}
        out: list[cst.BaseStatement] = []
        for index, stmt in enumerate(body):
            out.append(stmt)
            if not isinstance(stmt, cst.If):
                continue
            assigns = m.findall(
                stmt, m.Assign(targets=[m.AssignTarget(m.Name("DATABASES"))], value=m.Dict())
            )
            if not assigns:
                continue
            aliases: list[str] = []
            for assign in assigns:
                for element in assign.value.elements:  # type: ignore[union-attr]
                    if isinstance(element, cst.DictElement):
                        ok, alias = _literal(element.key)
                        if ok and isinstance(alias, str) and alias not in aliases:
                            aliases.append(alias)
            if not aliases:
                continue
            lines = []
            for alias in aliases:
                var = "DATABASE_URL" if alias == "default" else f"{alias.upper()}_DATABASE_URL"
                lines.append(
                    f'if env.str({_py(var)}, default=""):\n'
                    f"    DATABASES[{_py(alias)}] = env.db({_py(var)})\n"
                )
                self._add(
                    EnvVariable(
                        var,
                        f"Database '{alias}' as a URL (scheme://user:password@host:port/name); "
                        "when set, it overrides the DATABASES chosen in the settings.",
                        "",
                    )
                )
                self.result.rewritten.append((f"DATABASES[{alias!r}]", lines_of.get(index, 0)))
            block = cst.parse_module("".join(lines)).body
            comment = "# DATABASE_URL, when it is set, names the database whichever branch ran"
            first = block[0].with_changes(
                leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(comment))]
            )
            out.extend([first, *block[1:]])
            self._uses_env = True
        return module.with_changes(body=out) if len(out) != len(body) else module

    @staticmethod
    def _insert_after_imports(
        module: cst.Module, statements: list, imports: Sequence[cst.BaseStatement] = ()
    ) -> cst.Module:
        """`statements` after the module's imports (and docstring), a blank line around them;
        `imports` go right after the module's own, as LibCST's AddImportsVisitor puts them."""
        body = list(module.body)
        index = 0
        for i, stmt in enumerate(body):
            if isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
            ):
                index = i + 1
            elif i == 0 and m.matches(stmt, m.SimpleStatementLine([m.Expr(m.SimpleString())])):
                index = 1  # module docstring
            else:
                break
        first = statements[0]
        statements[0] = first.with_changes(
            leading_lines=[cst.EmptyLine(), *getattr(first, "leading_lines", [])]
        )
        if index < len(body):
            nxt = body[index]
            if not getattr(nxt, "leading_lines", None):
                body[index] = nxt.with_changes(leading_lines=[cst.EmptyLine()])
        return module.with_changes(body=[*body[:index], *imports, *statements, *body[index:]])


def _env_imports(module: cst.Module) -> list[cst.BaseStatement] | None:
    """`import environ` and `from pathlib import Path`, those of the two the module lacks, made
    as LibCST's AddImportsVisitor makes them, for the place `_insert_after_imports` chooses:
    its full pass over the module is saved. None where that visitor would do something else
    (merge Path into another `from pathlib import`, or find the end of the imports elsewhere):
    it is asked to do it then."""
    present: set[str] = set()
    pathlib_from = False
    body = module.body
    start = 0
    if body and m.matches(body[0], m.SimpleStatementLine([m.Expr(m.SimpleString())])):
        start = 1
    elif body and m.matches(
        body[0], m.SimpleStatementLine([m.Assign([m.AssignTarget(m.Name("__strict__"))])])
    ):
        return None  # AddImportsVisitor keeps its imports below a __strict__ flag
    leading = True
    for stmt in body[start:]:
        if not (
            isinstance(stmt, cst.SimpleStatementLine)
            and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
        ):
            leading = False
            continue
        if leading and len(stmt.body) != 1:
            return None  # `import a; import b` ends its import block, not the codemod's
        for small in stmt.body:
            if isinstance(small, cst.ImportFrom) and small.module is not None:
                pathlib_from |= cst.Module([]).code_for_node(small.module).endswith("pathlib")
            if isinstance(small, cst.Import) or not isinstance(small.names, cst.ImportStar):
                present.update(normalised_imports(small))
    imports: list[cst.BaseStatement] = []
    config = module.config_for_parsing
    if "import environ" not in present:
        imports.append(cst.parse_statement("import environ", config=config))
    if "from pathlib import Path" not in present:
        if pathlib_from:
            return None  # AddImportsVisitor adds Path to that statement
        imports.append(cst.parse_statement("from pathlib import Path", config=config))
    return imports


def import_aliases(source: str) -> dict[str, str]:
    """The names a module binds with its top-level imports, and what they are, plus `env` when
    the module binds it: what `from module import *` hands to the modules that import it."""
    command = SettingsToEnv(CodemodContext(), Plan())
    command.source = source
    command.visit_Module(cst.parse_module(source))
    aliases = {k: v for k, v in command._aliases.items() if not k.startswith("_")}
    if command._has_env_binding:
        aliases["env"] = "environ.Env()"
    return aliases


def env_scheme(source: str) -> bool:
    """True when the module binds `env = environ.Env(...)` with a scheme (casts by name)."""
    command = SettingsToEnv(CodemodContext(), Plan())
    command.source = source
    command.visit_Module(cst.parse_module(source))
    return bool(command._env_scheme)


# the imports `ensure_env` may remove once `env` reads replaced their uses (see leave_Module)
_CLEANUP_MODULES = frozenset({"os", "decouple", "environs"})
_ENV_CLASSES = ("environ.Env", "environ.environ.Env")
_ENSURED: dict[tuple[str, str, bool, int], str] = {}  # ensure_env's answers, by input
_ENSURED_MAX = 8  # a run asks about one module a few times in a row
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def ensure_env(source: str, plan: Plan) -> str:
    """Create or import `env` in a module whose code uses it without binding it (after other
    codemods added `env.int(...)` and the like); nothing else changes."""
    key = (source, plan.env_source, plan.config, plan.dotenv_parents)
    code = _ENSURED.get(key)
    if code is None:
        code = _ensure_env(source, plan)
        if len(_ENSURED) >= _ENSURED_MAX:
            _ENSURED.pop(next(iter(_ENSURED)))
        _ENSURED[key] = code
    return code


def _ensure_env(source: str, plan: Plan) -> str:
    if re.search(r"\benv\b", source) is None:
        return source  # no name `env` at all
    if _nothing_to_ensure(source, plan.env_source == "inherited"):
        return source
    module = cst.parse_module(source)
    if not m.findall(module, m.Name("env")):
        return source
    command = SettingsToEnv(
        CodemodContext(), Plan(plan.env_source, plan.config, plan.dotenv_parents, convert=False)
    )
    command.source = source
    command._uses_env = True
    return command.transform_module(module).code


def _nothing_to_ensure(source: str, inherited: bool) -> bool:
    """True when a scan of the module's top level shows `ensure_env` would return it unchanged:
    `env` is bound there the way `SettingsToEnv.visit_Module` recognises (or a star import
    brings it), and no import of os, decouple or environs has lost its last use, so no import
    is removed. False whenever the scan cannot tell: the full pass decides then."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    aliases: dict[str, str] = {}
    bound = inherited
    cleanup: list[str] = []  # the names the imports the pass may remove bind
    rest: list[str] = []  # the top-level statements other than imports
    lines = _LINES.findall(source)  # numbered as the parser numbers them (not at form feeds)
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                head = alias.name.split(".")[0]
                local = alias.asname or head
                aliases[local] = alias.name if alias.asname else head
                if head in _CLEANUP_MODULES:
                    cleanup.append(local)
            continue
        if isinstance(stmt, ast.ImportFrom):
            module = stmt.module or ""
            for alias in stmt.names:
                if alias.name == "*":
                    return False  # what it binds is not known here
                local = alias.asname or alias.name
                aliases[local] = f"{module}.{alias.name}"
                if local == "env":
                    bound = True
                if module.split(".")[0] in _CLEANUP_MODULES:
                    cleanup.append(local)
            continue
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == "env"
            and isinstance(stmt.value, ast.Call)
        ):
            dotted = _dotted(stmt.value.func)
            if dotted is None or ast.get_source_segment(source, stmt.value.func) != dotted:
                return False
            head, _, tail = dotted.partition(".")
            base = aliases.get(head, head if head == "os" else None)
            qualified = dotted if base is None else (f"{base}.{tail}" if tail else base)
            if qualified in _ENV_CLASSES:
                bound = True
        rest.append("".join(lines[stmt.lineno - 1 : stmt.end_lineno]))
    if not bound:
        return False
    code = "".join(rest)
    return all(re.search(rf"(?<![\w.]){re.escape(name)}\b", code) for name in cleanup)


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of attributes on a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def transform(source: str, plan: Plan) -> Result:
    """Rewrite one settings module. Raises libcst.ParserSyntaxError on unparsable input."""
    command = SettingsToEnv(CodemodContext(), plan)
    command.source = source
    new_module = command.transform_module(cst.parse_module(source))
    command.result.code = new_module.code
    return command.result
