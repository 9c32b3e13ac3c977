"""The django-environ reads the settings codemods write and recognise (`env(...)`,
`env.int(...)`, ...), the literal defaults they pass, and the environment variables the
rewritten settings read (`EnvVariable`), for `.env.example` and the untracked `.env`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from codemods.cst_tools import (
    is_attribute,
    is_name,
    literal,
)

TRUTHY = {"true", "on", "ok", "y", "yes", "1"}
#: django-environ's Env: each method and the parameters it takes after the variable's name, in
#: order ("**": any keyword besides); "__call__" is `env(...)` itself
ENV_PARAMETERS: dict[str, tuple[str, ...]] = {
    "__call__": ("cast", "default", "parse_default"),
    "str": ("default", "multiline"),
    "bool": ("default",),
    "int": ("default",),
    "float": ("default",),
    "json": ("default",),
    "list": ("cast", "default"),
    "tuple": ("cast", "default"),
    "dict": ("cast", "default"),
    "url": ("default",),
    "path": ("default", "**"),
    "bytes": ("default", "encoding"),
    "db": ("default", "engine"),
    "db_url": ("default", "engine"),
    "cache": ("default", "backend"),
    "cache_url": ("default", "backend"),
    "email": ("default", "backend"),
    "email_url": ("default", "backend"),
    "search_url": ("default", "engine"),
    "read_env": ("env_file", "overwrite", "parse_comments", "encoding", "**"),
}
#: environs' names the settings rewrite turns into django-environ's (at module level)
ENVIRONS_RENAMES = {"dj_db_url": "db", "dj_cache_url": "cache", "dj_email_url": "email_url"}
#: environs methods whose django-environ namesake gives another value: environs' path is a
#: pathlib.Path, django-environ's an environ.Path, which has no `/`
ENVIRONS_OTHER_VALUE = frozenset({"path"})
#: methods whose second positional argument is a cast in django-environ and the default in
#: environs: the rewrite at module level makes it `default=`
DEFAULT_SECOND = frozenset({"list", "dict", "tuple"})


def call_env_lacks(call: cst.Call, *, environs: bool, renamed: bool) -> str | None:
    """How a call `env.<method>(...)` or `env(...)` is one django-environ's Env would reject or
    read differently, as the call would be written ("env.decimal()", "env.list(subcast=...)"),
    or None when Env takes it (and anything not called on `env`). environs: the call is written
    for environs' Env (its second positional argument is a default); renamed: the settings
    rewrite turns it into django-environ's spelling first (ENVIRONS_RENAMES, DEFAULT_SECOND)."""
    if is_name(call.func, "env"):
        method = "__call__"
    elif is_attribute(call.func, of="env"):
        method = call.func.attr.value  # type: ignore[union-attr]
    else:
        return None
    shown = "env" if method == "__call__" else f"env.{method}"
    if environs and method == "read_env":
        return None  # removed at module level; elsewhere it reads the file it names
    if environs and renamed:
        method = ENVIRONS_RENAMES.get(method, method)
    params = ENV_PARAMETERS.get(method)
    if params is None or (environs and method in ENVIRONS_OTHER_VALUE):
        return f"{shown}()"
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    for arg in call.args:
        if arg.star:
            return f"{shown}({arg.star}...)"
        if arg.keyword is not None and arg.keyword.value not in params and "**" not in params:
            return f"{shown}({arg.keyword.value}=...)"
    named = [p for p in params if p != "**"]
    most = 1 + len(named)
    if environs:
        # environs reads (name, default); django-environ's env(name, x) and a list's, dict's
        # or tuple's second argument left in place take x for a cast
        moved = renamed and method in DEFAULT_SECOND
        most = 2 if method != "__call__" and (moved or named[:1] == ["default"]) else 1
    if len(positional) > most:
        return f"{shown}() with {len(positional)} positional arguments"
    return None


SECRET_KEY_COMMENT = (
    "Django's secret key: a long random string, different in every environment; do not start "
    "it with $ (django-environ reads such a value as the name of another variable)."
)


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


def allowed_hosts_variable(dev_value: str | None) -> EnvVariable:
    """ALLOWED_HOSTS as the rewritten settings read it (`env.list("ALLOWED_HOSTS", ...)`)."""
    return EnvVariable(
        "ALLOWED_HOSTS",
        "Host names this site serves, comma-separated.",
        "example.com,www.example.com",
        dev_value,
    )


def py_literal(value: Any, quote: str) -> str:
    """Python source for a literal, strings in `quote` (the module's preferred quote) where
    they can be."""
    if isinstance(value, str):
        if quote == '"' and '"' not in value and "\\" not in value and "\n" not in value:
            return f'"{value}"'
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v, quote) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(v, quote) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def build_env_call(
    method: str | None, var: str, default: Any = ..., default_node=None, *, quote: str
) -> cst.Call:
    """`env(var)` / `env.method(var, default=...)`: default as a node or as a literal value."""
    func = "env" if method is None else f"env.{method}"
    call = _call_of(func, py_literal(var, quote))
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
                    value=cst.parse_expression(py_literal(default, quote)),
                    keyword=cst.Name("default"),
                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                ),
            ]
        )
    return call


def _call_of(func: str, argument: str) -> cst.Call:
    """`cst.parse_expression(f"{func}({argument})")` for a string literal `argument`: the call
    parsed once for `func`, its argument's literal put in (a parse costs about 90 us, and
    item 5 makes hundreds of these calls in a long settings module)."""
    template = _CALL_TEMPLATES.get(func)
    if template is None:
        template = cst.parse_expression(f'{func}("")')
        assert isinstance(template, cst.Call)
        _CALL_TEMPLATES[func] = template
    literal = cst.parse_expression(argument) if argument[:1] not in "'\"" else None
    value = literal if literal is not None else cst.SimpleString(argument)
    return template.with_changes(args=[template.args[0].with_changes(value=value)])


_CALL_TEMPLATES: dict[str, cst.Call] = {}


def env_parts(call: cst.Call) -> tuple[str | None, str | None, cst.BaseExpression | None] | None:
    """(method, var, default node) of a call `env(...)` / `env.method(...)` made by djfix or the
    author; None for anything else."""
    func = call.func
    if is_name(func, "env"):
        method = None
    elif is_attribute(func, of="env"):
        method = func.attr.value  # type: ignore[union-attr]
    else:
        return None
    var = None
    default = None
    for i, arg in enumerate(call.args):
        if arg.keyword is None and i == 0:
            ok, value = literal(arg.value)
            var = value if ok and isinstance(value, str) else None
        elif arg.keyword is not None and arg.keyword.value == "default":
            default = arg.value
        elif arg.keyword is None and i == 1 and method in (None, "str", "bool", "int", "float"):
            default = arg.value
    return method, var, default


def _is_path_expression(node: cst.BaseExpression) -> bool:
    """`BASE_DIR / "db.sqlite3"`, `Path(...)`: a default that is a path object, not a string."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
        return True
    if isinstance(node, cst.Call):
        func = cst.Module([]).code_for_node(node.func)
        return func.split(".")[-1] in ("Path", "PurePath", "PosixPath")
    return False


#: a variable named as an on/off switch (USE_S3, ENABLE_SIGNUP, SESSION_COOKIE_SECURE...)
_FLAG_NAME = re.compile(
    r"^(?:(?:USE|ENABLE|DISABLE|IS|HAS|ALLOW|SKIP|FORCE|NO)_\w+|\w*DEBUG|\w+_(?:ENABLED|"
    r"DISABLED|SECURE|HTTPONLY|REDIRECT|PRELOAD|SUBDOMAINS|USE_TLS|USE_SSL))$",
    re.I,
)


def is_flag_name(name: str) -> bool:
    """Whether a variable's name says it holds on/off (`USE_S3`), not text (`API_TOKEN`)."""
    return bool(_FLAG_NAME.match(name))


def typed_default(
    default_node: cst.BaseExpression, var: str | None = None
) -> tuple[str | None, cst.BaseExpression]:
    """The Env method that reads a variable whose `os.environ.get` default is `default_node`,
    and the default to pass it.

    django-environ casts a plain `env("X", default=d)` to `type(d)`: a default of 0 turns
    DEBUG=False into int("False"), a Path default turns a database NAME into a PosixPath. So a
    literal number default gets the method of its own type, a bool default `env.bool` where the
    variable `var` is named as a switch (USE_S3), and any other default that is not a string or
    None gets `env.str` (the value read stays a string, as it was), a path default becoming its
    string. A bool default of a variable named for text (`os.environ.get("API_TOKEN", False)`,
    False meaning "not set") is such a default: env.bool would read every token as False."""
    ok, value = literal(default_node)
    if ok:
        if value is None or isinstance(value, str):
            return None, default_node
        if isinstance(value, bool):
            return ("bool" if var is None or is_flag_name(var) else "str"), default_node
        if isinstance(value, int):
            return "int", default_node
        if isinstance(value, float):
            return "float", default_node
        return "str", default_node
    if _is_path_expression(default_node):
        return "str", cst.Call(cst.Name("str"), [cst.Arg(default_node)])
    return "str", default_node


def cast_literal(value: Any, cast: str) -> tuple[bool, Any]:
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


#: a module-level binding of the name `env`: an assignment, a def, a class, an import
_ENV_BINDING = re.compile(
    r"^(?:env\s*(?::[^=\n]*)?=(?!=)\s*(?P<value>[^\n]*)|(?:async\s+)?def\s+env\s*\("
    r"|class\s+env\b|(?:from\s+\S+\s+)?import\s+[^\n]*\benv\b[^\n]*)",
    re.M,
)
#: a binding that is django-environ's object
_ENVIRON_VALUE = re.compile(r"^(?:environ\.)?Env\s*\(")
_ENV_USE = re.compile(r"\benv(?:\.\w+)?\s*\(")


def env_reads(source: str) -> int:
    """How many calls through `env` (`env(...)`, `env.bool(...)`) the text holds."""
    return len(_ENV_USE.findall(source))


def _bindings(source: str) -> Iterator[tuple[re.Match[str], list[tuple[str, str]]]]:
    """The module-level bindings of the name `env` (assignments, `def`/`class env`, imports
    that bind it), each with the (name, alias) pairs of an import ([] for the others)."""
    for match in _ENV_BINDING.finditer(source):
        text = match.group(0)
        names: list[tuple[str, str]] = []
        if text.startswith(("from ", "import ")):
            names = re.findall(r"(\w+)(?:\s+as\s+(\w+))?", text.split("import", 1)[1])
            if "env" not in [alias or name for name, alias in names]:
                continue
        yield match, names


def binds_env(source: str) -> bool:
    """True when the module binds the name `env` at all (django-environ's or another)."""
    return next(_bindings(source), None) is not None


def foreign_env_line(source: str) -> int | None:
    """The line of a module-level binding of `env` to something other than django-environ's
    `Env()` (`env = os.environ`, `def env(...)`, `from os import environ as env`): djfix's
    `env` would shadow it or be shadowed by it. `from proj.env import env` (the project's own
    django-environ object) and `env = environ.Env(...)` are not foreign. None when none."""
    for match, names in _bindings(source):
        value = match.group("value")
        if value is not None and _ENVIRON_VALUE.match(value.strip()):
            continue
        if match.group(0).startswith("from ") and ("env", "") in names:
            continue  # `from proj.env import env`: the project's own django-environ object
        return source.count("\n", 0, match.start()) + 1
    return None
