"""Production security settings: what `manage.py check --deploy` asks for (HTTPS redirect, HSTS,
secure cookies, the security and clickjacking middleware), each read from the environment with a
default that is safe in production and still lets `runserver` work when DEBUG is True.

Pure source -> source. `transform(source)` returns the new source, the settings it changed and
the ones it left alone with the reason. The settings the module does not set are appended in one
block (before a trailing `from .local_settings import *`, which must keep the last word); one set
to an insecure literal, or read from the environment (`env.bool("VAR", default=False)`) with an
insecure default, is rewritten where it is (the read keeps its variable); one computed or set to a
secure value is left alone. It runs after `settings_env`, so `env` (django-environ) is
available in the module.

Lines in `rewritten` are the lines of the source; 0 means the setting was absent and is now in
the appended block.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from codemods.command import Context
from codemods.cst_tools import (
    append_element,
    assigned_name,
    code_of,
    describe,
    insert_element,
    literal,
    module_statements,
    parse_module,
    prepend_element,
    string_code,
)
from codemods.module_level import (
    ModuleLevelCommand,
    module_code,
    preferred_quote,
    string_tokens,
)

SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
XFRAME_MIDDLEWARE = "django.middleware.clickjacking.XFrameOptionsMiddleware"
CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
#: Django's default order has CsrfViewMiddleware after these (it reads the session when
#: CSRF_USE_SESSIONS is on, and CommonMiddleware's redirects need no token) ...
CSRF_AFTER = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
)
#: ... and before the authentication middleware, which may log a user in on a forged request
CSRF_BEFORE = (
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.RemoteUserMiddleware",
    "django.contrib.auth.middleware.PersistentRemoteUserMiddleware",
)
BLOCK_COMMENT = "# Security for production: every value can be overridden from the environment."
PROXY_COMMENT = (
    "# SECURE_PROXY_SSL_HEADER trusts X-Forwarded-Proto: the TLS proxy in front must set it."
)
HSTS_SECONDS = 31536000  # one year, what hstspreload.org asks for


def _is_true(value: Any) -> bool:
    return value is True


def _is_hsts(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_proxy_header(value: Any) -> bool:
    return (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(isinstance(part, str) for part in value)
    )


#: settings of the block, in its order, with the test a literal value must pass to be kept
BLOCK_SETTINGS: dict[str, Callable[[Any], bool]] = {
    "SECURE_SSL_REDIRECT": _is_true,
    "SECURE_REDIRECT_EXEMPT": lambda value: True,  # merged, see _redirect_exempt
    "SECURE_PROXY_SSL_HEADER": _is_proxy_header,
    "SECURE_HSTS_SECONDS": _is_hsts,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": _is_true,
    "SECURE_HSTS_PRELOAD": _is_true,
    "SESSION_COOKIE_SECURE": _is_true,
    "CSRF_COOKIE_SECURE": _is_true,
    "CSRF_TRUSTED_ORIGINS": lambda value: True,  # configuration: any value is the author's
    "X_FRAME_OPTIONS": lambda value: value == "DENY",
}
#: headers Django before 3.0 leaves off by default and `check --deploy` asks for (W006, W007)
OLD_DJANGO_HEADERS = ("SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_BROWSER_XSS_FILTER")
HEADERS_COMMENT = "# Headers Django before 3.0 sends only when asked (check --deploy W006, W007)."
#: what Django before 1.11 also asks for (W017): a CSRF cookie scripts cannot read
OLD_DJANGO_CSRF = ("CSRF_COOKIE_HTTPONLY",)
OLD_DJANGO_CODES = {
    "SECURE_CONTENT_TYPE_NOSNIFF": "W006",
    "SECURE_BROWSER_XSS_FILTER": "W007",
    "CSRF_COOKIE_HTTPONLY": "W017",
}
OLD_COMMENT = "# Settings Django before 1.11 leaves off and check --deploy asks for ({codes})."
#: settings whose value depends on DEBUG (when the module defines it)
READS_DEBUG = {
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
}
#: settings `check --deploy` reads whose Django default is safe: never appended, but an insecure
#: literal is rewritten to the default
DEFAULT_SAFE_SETTINGS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "SECURE_CONTENT_TYPE_NOSNIFF": (_is_true, "True"),
    "SESSION_COOKIE_HTTPONLY": (_is_true, "True"),
    "SECURE_REFERRER_POLICY": (lambda value: value is not None, "same-origin"),
}


@dataclass
class Result:
    code: str
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (setting, line)
    left: list[tuple[str, int, str]] = field(default_factory=list)  # (setting, line, reason)
    # the variables of environment reads whose default changed: a value like the old default
    # in .env.example would switch production back to it
    new_defaults: list[str] = field(default_factory=list)
    # setting -> the environment variable its read names, where it is not the setting's name
    variables: dict[str, str] = field(default_factory=dict)
    # (setting, line) set only inside a block (if/try/with) and left as the author wrote it
    conditional: list[tuple[str, int]] = field(default_factory=list)
    # the middleware added to MIDDLEWARE (or MIDDLEWARE_CLASSES), in the order of the list
    added_middleware: list[str] = field(default_factory=list)


def health_pattern(path: str) -> str:
    """SECURE_REDIRECT_EXEMPT pattern for a health path ("common/health" -> ^common/health/?$):
    load balancers probe over plain HTTP and must not be redirected."""
    return f"^{re.escape(path.strip('/'))}/?$"


class _Strings(cst.CSTVisitor):
    """The values of the module's string literals. It walks the whole module, so the visitor
    dispatch is cut to the one node type it reads (LibCST's looks up a no-op hook by name for
    every node and every attribute)."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        if type(node) is cst.SimpleString:
            ok, value = literal(node)
            if ok and isinstance(value, str):
                self.values.add(value)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        pass

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        pass

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass


#: the settings whose environment read djfix may give a safe default: the cast is the same
ENV_READ_METHODS = {
    "SECURE_SSL_REDIRECT": ("bool",),
    "SECURE_HSTS_SECONDS": ("int",),
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": ("bool",),
    "SECURE_HSTS_PRELOAD": ("bool",),
    "SESSION_COOKIE_SECURE": ("bool",),
    "CSRF_COOKIE_SECURE": ("bool",),
}


def _env_read(value: cst.BaseExpression, name: str) -> tuple[str, Any] | None:
    """(variable, default) of `env.bool("VAR", default=LITERAL)` (django-environ, the form
    item 5 writes) for a setting whose read djfix knows how to give a safe default; None for
    any other value, a read without a default (production must set it) or a computed default."""
    methods = ENV_READ_METHODS.get(name)
    if methods is None or not isinstance(value, cst.Call):
        return None
    func = value.func
    if not (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == "env"
        and func.attr.value in methods
    ):
        return None
    var: Any = None
    default: Any = ...
    for i, arg in enumerate(value.args):
        if arg.star:
            return None
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword is None and i in (0, 1):
            ok, found = literal(arg.value)
            if not ok:
                return None
            if i == 0:
                var = found
            else:
                default = found
        elif keyword == "default":
            ok, default = literal(arg.value)
            if not ok:
                return None
        else:
            return None
    if not isinstance(var, str) or default is ...:
        return None
    return var, default


def _is_star_import(statement: cst.BaseStatement) -> bool:
    """`from x import *`, or a try block or an `if` (with no else) of nothing else: the
    local-settings override (`if (BASE_DIR / "local_settings.py").exists(): from ... import *`)."""
    if isinstance(statement, cst.SimpleStatementLine):
        return all(
            isinstance(s, cst.ImportFrom) and isinstance(s.names, cst.ImportStar)
            for s in statement.body
        )
    if isinstance(statement, cst.Try | cst.If) and isinstance(statement.body, cst.IndentedBlock):
        if isinstance(statement, cst.If) and statement.orelse is not None:
            return False
        return all(_is_star_import(s) for s in statement.body.body)
    return False


def _is_import(statement: cst.BaseStatement) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        return all(isinstance(s, cst.Import | cst.ImportFrom) for s in statement.body)
    return _is_star_import(statement)


def _binds_debug(small: cst.BaseSmallStatement) -> bool:
    if assigned_name(small) == "DEBUG":
        return True
    if isinstance(small, cst.ImportFrom):
        if isinstance(small.names, cst.ImportStar):
            return True
        return any(
            (alias.asname.name if alias.asname else alias.name).value == "DEBUG"  # type: ignore[union-attr]
            for alias in small.names
        )
    return False


def _health_middleware_stays_first(value: cst.List | cst.Tuple) -> cst.List | cst.Tuple:
    """A health-check middleware must stay first (it answers before host validation): the new
    SecurityMiddleware goes right after it. Only the values swap; layout and commas stay."""
    elements = list(value.elements)
    if len(elements) < 2:
        return value
    ok, second = literal(elements[1].value)
    if not (ok and isinstance(second, str) and second.endswith(".HealthCheckMiddleware")):
        return value
    first = elements[0].value
    elements[0] = elements[0].with_changes(value=elements[1].value)
    elements[1] = elements[1].with_changes(value=first)
    return value.with_changes(elements=elements)


def _strings(value: cst.List | cst.Tuple) -> list[str | None]:
    """The middleware names of the list, None for an element that is not a string literal."""
    out: list[str | None] = []
    for element in value.elements:
        ok, text = literal(element.value) if isinstance(element, cst.Element) else (False, None)
        out.append(text if ok and isinstance(text, str) else None)
    return out


def _own_csrf_middleware(value: cst.List | cst.Tuple) -> str | None:
    """A middleware of the list named for CSRF (`shop.middleware.CsrfApiMiddleware`, a subclass
    of Django's or a replacement): Django's added beside it would check requests twice."""
    for text in _strings(value):
        if text is not None and "csrf" in text.rsplit(".", 1)[-1].lower():
            return text
    return None


def _csrf_index(value: cst.List | cst.Tuple) -> int:
    """Where CsrfViewMiddleware goes, as in Django's default list: right after the last of
    SessionMiddleware and CommonMiddleware, else before the authentication middleware, else
    after SecurityMiddleware (and a health check before it), else at the end."""
    names = _strings(value)
    after = [i for i, text in enumerate(names) if text in CSRF_AFTER]
    if after:
        return after[-1] + 1
    before = [i for i, text in enumerate(names) if text in CSRF_BEFORE]
    if before:
        return before[0]
    security = [i for i, text in enumerate(names) if text == SECURITY_MIDDLEWARE]
    return security[0] + 1 if security else len(names)


class DeploySecurity(ModuleLevelCommand):
    DESCRIPTION = "Production security settings that keep local development working."

    def __init__(
        self,
        context: Context,
        *,
        debug_defined: bool,
        health_paths: tuple[str, ...],
        settings_block: bool = True,
        inherited: frozenset[str] = frozenset(),
        old_headers: bool = False,
        old_csrf: bool = False,
        allowed_hosts: bool = False,
        keep: dict[str, str] | None = None,
    ) -> None:
        super().__init__(context)
        self.allowed_hosts = allowed_hosts
        #: setting -> why the caller has it left as it is (reported in `left` when insecure)
        self.keep = dict(keep or {})
        self.debug_defined = debug_defined
        self.old_headers = old_headers
        self.old_csrf = old_csrf
        self.settings_block = settings_block
        # set by a module this one star-imports: appending a default would override it
        self.inherited = inherited
        self.patterns = [health_pattern(path) for path in health_paths if path.strip("/")]
        self.result = Result("")
        self._quote = '"'
        self.depth = 0
        self._module: cst.Module | None = None  # the module visited, for `_has_string`
        self._middleware_name = "MIDDLEWARE"
        #: Assign/AnnAssign node -> new value, for in-place rewrites
        self._replace: dict[cst.CSTNode, cst.BaseExpression] = {}
        #: top-level statements whose settings move into the block: index -> setting names
        self._moved: dict[int, list[str]] = {}
        self._append: list[str] = []
        #: setting -> the variable the author's environment read names, where it is not the
        #: setting's own name
        self._vars: dict[str, str] = {}

    # -- what the module sets ----------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> bool:
        self._quote = preferred_quote(node, self.source)
        self._module = node
        top: dict[str, list[tuple[int, cst.BaseSmallStatement]]] = {}
        nested: dict[str, list[cst.BaseSmallStatement]] = {}
        debug_index: int | None = None
        names: set[str] = set()
        for small, index, in_block in module_statements(node):
            if _binds_debug(small) and debug_index is None:
                debug_index = index
            name = assigned_name(small)
            if name is None:
                continue
            names.add(name)
            if in_block:
                nested.setdefault(name, []).append(small)
            else:
                top.setdefault(name, []).append((index, small))
        if "MIDDLEWARE" not in names and "MIDDLEWARE_CLASSES" in names:
            self._middleware_name = "MIDDLEWARE_CLASSES"
        middleware = [small for _, small in top.get(self._middleware_name, [])]
        middleware += nested.get(self._middleware_name, [])
        if not self.settings_block:
            # only MIDDLEWARE: the production module overrides the rest
            self.only_visit(node, middleware)
            return True
        checks = {name: (test, None) for name, test in BLOCK_SETTINGS.items()}
        checks.update(DEFAULT_SAFE_SETTINGS)
        if self.old_headers:
            # their Django default is off: appended when absent, like the block's settings
            checks.update({name: (_is_true, None) for name in OLD_DJANGO_HEADERS})
        if self.old_csrf:
            checks.update({name: (_is_true, None) for name in OLD_DJANGO_CSRF})
        if self.allowed_hosts:
            # absent, Django's default [] answers every request with 400 once DEBUG is off: the
            # read gives that same default until the deployment names its hosts; a value that
            # is set is the author's (a literal is item 5's to move to the environment)
            checks["ALLOWED_HOSTS"] = (lambda value: True, None)
        for name, (test, safe_default) in checks.items():
            self._plan(
                name, test, safe_default, top.get(name, []), nested.get(name, []), debug_index
            )
        # the hooks rewrite the assignments planned here and MIDDLEWARE's (leave_Module moves
        # and appends the rest)
        self.only_visit(node, [*self._replace, *middleware])
        return True

    def _insecure(
        self, name: str, small: cst.BaseSmallStatement, test: Callable[[Any], bool]
    ) -> bool:
        value = small.value  # type: ignore[attr-defined]
        if name == "SECURE_REDIRECT_EXEMPT":
            return isinstance(value, cst.List | cst.Tuple) and bool(self._missing_patterns(value))
        ok, literal_value = literal(value)
        if ok:
            return not test(literal_value)
        read = _env_read(value, name)
        if read is None:
            return False
        var, default = read
        if test(default):
            return False
        # an environment read whose default is insecure: production gets the default whenever
        # the variable is unset, so the default changes and the variable keeps its name
        self._vars[name] = var
        self.result.new_defaults.append(var)
        self.result.variables[name] = var
        return True

    def _plan(
        self,
        name: str,
        test: Callable[[Any], bool],
        safe_default: str | None,
        top: list[tuple[int, cst.BaseSmallStatement]],
        nested: list[cst.BaseSmallStatement],
        debug_index: int | None,
    ) -> None:
        if name in self.keep:
            # absent, the setting keeps Django's default, which djfix does not change either
            written = [small for _, small in top] + nested
            if written:
                ok, value = literal(written[-1].value)  # type: ignore[attr-defined]
                if not (ok and test(value)):
                    self.result.left.append((name, self.line_of(written[-1]), self.keep[name]))
            return
        if nested:
            # set inside `if`/`try`: the author chose per case; an insecure literal is reported
            self.result.conditional.append((name, self.line_of(nested[0])))
            for small in [*nested, *(s for _, s in top)]:
                if self._insecure(name, small, test):
                    self.result.left.append(
                        (
                            name,
                            self.line_of(small),
                            "it is set inside a block (if/try/with): djfix does not rewrite "
                            "conditional settings",
                        )
                    )
                    return
            return
        if not top:
            if safe_default is None and name not in self.inherited:
                self._append.append(name)
            return
        index, small = top[-1]  # the one that wins
        if not self._insecure(name, small, test):
            return
        line = self.line_of(small)
        self.result.rewritten.append((name, line))
        if name == "SECURE_REDIRECT_EXEMPT":
            self._replace[small] = self._redirect_exempt(small.value)  # type: ignore[attr-defined]
        elif safe_default is not None:
            self._replace[small] = (
                cst.Name("True")
                if safe_default == "True"
                else cst.parse_expression(string_code(safe_default, self._quote))
            )
        elif (
            name in READS_DEBUG
            and self.debug_defined
            and debug_index is not None
            and index < debug_index
        ):
            # its new value reads DEBUG, which this module defines further down
            self._moved.setdefault(index, []).append(name)
        else:
            self._replace[small] = self._value(name)

    # -- values ------------------------------------------------------------------------------------
    def _s(self, value: str) -> str:
        return string_code(value, self._quote)

    def _value(self, name: str) -> cst.BaseExpression:
        not_debug = "not DEBUG" if self.debug_defined else "True"
        hsts = f"0 if DEBUG else {HSTS_SECONDS}" if self.debug_defined else str(HSTS_SECONDS)
        var = self._s(self._vars.get(name, name))
        code = {
            "SECURE_SSL_REDIRECT": f"env.bool({var}, default={not_debug})",
            "SECURE_REDIRECT_EXEMPT": "[{}]".format(
                ", ".join(string_code(p, self._quote, raw=True) for p in self.patterns)
            ),
            "SECURE_PROXY_SSL_HEADER": f"({self._s('HTTP_X_FORWARDED_PROTO')}, {self._s('https')})",
            "SECURE_HSTS_SECONDS": f"env.int({var}, default={hsts})",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": f"env.bool({var}, default={not_debug})",
            "SECURE_HSTS_PRELOAD": f"env.bool({var}, default={not_debug})",
            "SESSION_COOKIE_SECURE": f"env.bool({var}, default={not_debug})",
            "CSRF_COOKIE_SECURE": f"env.bool({var}, default={not_debug})",
            "CSRF_TRUSTED_ORIGINS": f"env.list({var}, default=[])",
            "ALLOWED_HOSTS": f"env.list({var}, default=[])",
            "X_FRAME_OPTIONS": self._s("DENY"),
            "SECURE_CONTENT_TYPE_NOSNIFF": "True",
            "SECURE_BROWSER_XSS_FILTER": "True",
            "CSRF_COOKIE_HTTPONLY": "True",
        }[name]
        return cst.parse_expression(code)

    def _missing_patterns(self, node: cst.List | cst.Tuple) -> list[str]:
        present = set()
        for element in node.elements:
            ok, value = literal(element.value)
            if ok:
                present.add(value)
        return [p for p in self.patterns if p not in present]

    def _redirect_exempt(self, node: cst.List | cst.Tuple) -> cst.List | cst.Tuple:
        for pattern in self._missing_patterns(node):
            code = string_code(pattern, self._quote, raw=True)
            node = append_element(node, cst.Element(cst.parse_expression(code)))
        return node

    # -- in-place rewrites and MIDDLEWARE ----------------------------------------------------------
    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if original in self._replace:
            return updated.with_changes(value=self._replace[original])
        if self.depth or assigned_name(original) != self._middleware_name:
            return updated
        return self._middleware(original, updated)

    def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> cst.AnnAssign:
        if original in self._replace:
            return updated.with_changes(value=self._replace[original])
        return updated

    def _middleware(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        name = self._middleware_name
        line = self.line_of(original)
        value = updated.value
        missing = [
            m
            for m in (SECURITY_MIDDLEWARE, CSRF_MIDDLEWARE, XFRAME_MIDDLEWARE)
            if not self._has_string(m)
        ]
        if not isinstance(value, cst.List | cst.Tuple) or (
            isinstance(value, cst.Tuple) and not value.lpar
        ):
            if missing:
                shorts = [m.rsplit(".", 1)[1] for m in missing]
                short = " and ".join([", ".join(shorts[:-1]), shorts[-1]] if shorts[1:] else shorts)
                self.result.left.append(
                    (
                        name,
                        line,
                        f"it is {describe(value)}, not a list literal: add {short} by hand",
                    )
                )
            return updated
        if not missing:
            return updated
        if self._extends_itself(value, name) and any(n == name for n, _ in self.result.rewritten):
            # `MIDDLEWARE = [..., *MIDDLEWARE]` holds the list rewritten above: adding the
            # entries again would run each middleware twice
            return updated
        own_csrf = _own_csrf_middleware(value) if CSRF_MIDDLEWARE in missing else None
        if own_csrf is not None:
            missing.remove(CSRF_MIDDLEWARE)
            self.result.left.append(
                (
                    name,
                    line,
                    f"it holds {own_csrf}, which looks like the project's own CSRF middleware: "
                    f"djfix does not add {CSRF_MIDDLEWARE} next to it",
                )
            )
            if not missing:
                return updated
        if SECURITY_MIDDLEWARE in missing:
            value = prepend_element(
                value, cst.Element(cst.parse_expression(self._s(SECURITY_MIDDLEWARE)))
            )
            value = _health_middleware_stays_first(value)
        if CSRF_MIDDLEWARE in missing:
            value = insert_element(
                value,
                _csrf_index(value),
                cst.Element(cst.parse_expression(self._s(CSRF_MIDDLEWARE))),
            )
        if XFRAME_MIDDLEWARE in missing and "X_FRAME_OPTIONS" in self.keep:
            # its DENY default would blank the frames the caller says the site shows
            missing.remove(XFRAME_MIDDLEWARE)
            self.result.left.append((name, line, self.keep["X_FRAME_OPTIONS"]))
            if not missing:
                return updated
        if XFRAME_MIDDLEWARE in missing:
            value = append_element(
                value, cst.Element(cst.parse_expression(self._s(XFRAME_MIDDLEWARE)))
            )
        self.result.rewritten.append((name, line))
        self.result.added_middleware.extend(missing)
        return updated.with_changes(value=value)

    @staticmethod
    def _extends_itself(value: cst.List | cst.Tuple, name: str) -> bool:
        return any(
            isinstance(e, cst.StarredElement)
            and isinstance(e.value, cst.Name)
            and e.value.value == name
            for e in value.elements
        )

    def _has_string(self, value: str) -> bool:
        """`value` is the value of a plain string literal somewhere in the module (the
        middleware may be named in another list). From the literals as the module's text writes
        them: one without a backslash has its text for value, so only a literal that holds
        `value` or an escape is read; a walk of the tree where the text cannot tell."""
        tokens = string_tokens(self.source, self._module) if self.source is not None else None
        if tokens is None:
            strings = _Strings()
            if self._module is not None:
                self._module.visit(strings)
            return value in strings.values
        for token in tokens:
            if value in token or "\\" in token:
                ok, found = literal(cst.SimpleString(token))
                if ok and found == value:
                    return True
        return False

    # -- the appended block ------------------------------------------------------------------------
    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body = list(updated.body)
        trailing_comments: dict[str, cst.TrailingWhitespace] = {}
        orphan_lines: list[cst.EmptyLine] = []  # comments above a moved last statement
        for index in sorted(self._moved, reverse=True):
            statement = body[index]
            assert isinstance(statement, cst.SimpleStatementLine)
            moved = self._moved[index]
            kept = [s for s in statement.body if assigned_name(s) not in moved]
            if kept:
                body[index] = statement.with_changes(
                    body=[*kept[:-1], kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]
                )
                continue
            trailing_comments[moved[-1]] = statement.trailing_whitespace
            del body[index]
            if index < len(body):  # its comments stay where they were
                following = body[index]
                body[index] = following.with_changes(
                    leading_lines=[*statement.leading_lines, *following.leading_lines]
                )
            else:
                orphan_lines = list(statement.leading_lines)
        moved_names = {name for names in self._moved.values() for name in names}
        names = [
            n
            for n in ("ALLOWED_HOSTS", *BLOCK_SETTINGS, *OLD_DJANGO_HEADERS, *OLD_DJANGO_CSRF)
            if n in self._append or n in moved_names
        ]
        if not names:
            return updated.with_changes(body=body)
        for name in names:
            if name in self._append:
                self.result.rewritten.append((name, 0))
        block: list[cst.SimpleStatementLine] = []
        for name in names:
            statement = cst.parse_statement(f"{name} = {code_of(self._value(name))}\n")
            assert isinstance(statement, cst.SimpleStatementLine)
            if name in trailing_comments:
                statement = statement.with_changes(trailing_whitespace=trailing_comments[name])
            block.append(statement)
        at = len(body)
        while at > 0 and _is_star_import(body[at - 1]):
            at -= 1
        if not any(not _is_import(statement) for statement in body[:at]):
            at = len(body)  # `from .base import *` on top of a split settings module
        previous = body[at - 1] if at else None
        blank = [cst.EmptyLine()] * (
            2 if isinstance(previous, cst.FunctionDef | cst.ClassDef) else 1
        )
        block[0] = block[0].with_changes(
            leading_lines=[
                *(orphan_lines or (blank if previous is not None or updated.header else [])),
                cst.EmptyLine(comment=cst.Comment(_block_comment(names))),
                *(
                    [cst.EmptyLine(comment=cst.Comment(PROXY_COMMENT))]
                    if "SECURE_PROXY_SSL_HEADER" in names
                    else []
                ),
            ]
        )
        if at < len(body) and not body[at].leading_lines:
            body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine()])
        return updated.with_changes(
            body=[*body[:at], *block, *body[at:]],
            has_trailing_newline=updated.has_trailing_newline or at == len(body),
        )


def _block_comment(names: list[str]) -> str:
    if set(names) - set(OLD_DJANGO_CODES):
        return BLOCK_COMMENT
    if set(names) <= set(OLD_DJANGO_HEADERS):
        return HEADERS_COMMENT
    return OLD_COMMENT.format(codes=", ".join(OLD_DJANGO_CODES[n] for n in names))


def transform(
    source: str,
    *,
    debug_defined: bool = True,
    health_paths: tuple[str, ...] = ("health", "common/health"),
    settings_block: bool = True,
    inherited: frozenset[str] = frozenset(),
    old_headers: bool = False,
    old_csrf: bool = False,
    allowed_hosts: bool = False,
    keep: dict[str, str] | None = None,
) -> Result:
    """Make one settings module pass `manage.py check --deploy` when DEBUG is False, while a
    developer's DEBUG=True keeps plain HTTP and non-secure cookies.

    debug_defined: DEBUG is a name in the module (defined or star-imported); when False the
    defaults are the production values. health_paths: URL paths exempt from the HTTPS redirect.
    settings_block: False for a module that is not the production settings module but holds
    MIDDLEWARE (a split settings base): only MIDDLEWARE is changed there.
    old_headers: the project runs Django older than 3.0, which sends neither nosniff nor the XSS
    filter header unless told to (security.W006, W007): both are set.
    old_csrf: the project runs Django older than 1.11, whose check --deploy also asks for
    CSRF_COOKIE_HTTPONLY = True (security.W017): it is set.
    allowed_hosts: the production settings set ALLOWED_HOSTS nowhere (security.W020): the block
    reads it, `env.list("ALLOWED_HOSTS", default=[])`, Django's own default while it is unset.
    keep: settings to leave as they are, with the reason (X_FRAME_OPTIONS for a site that
    frames its own pages): an insecure one is reported in `left`, and for X_FRAME_OPTIONS the
    clickjacking middleware (DENY by default) is not added either.
    Never raises on odd input: unparsable source comes back unchanged with a `left` entry."""
    try:
        module = parse_module(source)
    except cst.ParserSyntaxError as error:
        return Result(
            source, left=[("<module>", error.raw_line, f"not valid Python: {error.message}")]
        )
    command = DeploySecurity(
        Context(),
        debug_defined=debug_defined,
        health_paths=health_paths,
        settings_block=settings_block,
        inherited=inherited,
        old_headers=old_headers,
        old_csrf=old_csrf,
        allowed_hosts=allowed_hosts,
        keep=keep,
    )
    command.source = source
    new_module = command.transform_module(module)
    command.result.code = module_code(new_module, module)
    return command.result
