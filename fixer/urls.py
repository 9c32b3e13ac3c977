"""Static reading of a Django URLconf: every route, where it is written, and whether it exists
only when DEBUG is True.

The reader starts at ``ROOT_URLCONF`` and follows ``include()`` into the repository's own modules,
never importing them. It understands the spellings of Django 1.8 to 6.x:

- ``urlpatterns = [...]``, ``urlpatterns += [...]``, ``.append()``, ``.extend()``, ``.insert()``,
  list concatenation and names bound to lists (``api_patterns = [...]``);
- ``path()``, ``re_path()``, ``url()`` and the very old ``patterns('prefix', url(...),
  (r'^x/$', 'view'))`` with string views and tuple entries;
- ``include("app.urls")``, ``include(("app.urls", "ns"))``, ``include(module)``,
  ``include([...])`` and a bare list or ``([...], "app")`` tuple as a view;
- ``i18n_patterns(...)`` (a language prefix, optional when ``prefix_default_language=False``);
- ``static(...)``, ``staticfiles_urlpatterns()`` and routes to ``django.views.static.serve``
  (collected in ``static_helpers``);
- ``if settings.DEBUG:`` blocks, their ``else`` branches, ``if not settings.DEBUG:`` and
  ``x if settings.DEBUG else []``: entries added there are marked ``debug_only``.

Any other condition (``if settings.SERVE_MEDIA:``) is read as "may run in production": both
branches count and nothing is marked DEBUG-only.

Matching (`UrlConf.matches`) follows Django's resolver: each include prefix consumes the start
of the path (regex prefixes with ``re.search``, like Django), a ``path()`` endpoint must match
the whole rest, a regex endpoint ending in ``$`` too, and a regex endpoint without ``$`` matches
any rest. Built-in converters use Django's regexes; a custom converter matches one segment.
Because ``APPEND_SLASH`` (on by default) redirects ``/health`` to ``/health/`` when only the
latter is routed, and probes accept the redirect, ``matches("/health")`` and
``matches("/health/")`` both try ``health`` and ``health/``.

Constructs the reader cannot follow (urlpatterns built at run time, includes of modules it
cannot find, files that do not parse) are listed in ``UrlConf.unknown``; `read_urlconf` never
raises.
"""

from __future__ import annotations

import ast
import functools
import re
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fixer.sources import is_dir, is_file

if TYPE_CHECKING:
    from fixer.project import ProjectModel

#: bounds that keep a pathological URLconf from costing more than a few milliseconds
MAX_DEPTH = 12
MAX_MODULES = 300
MAX_ROUTES = 20000
MAX_STATEMENTS = 5000
MAX_ELEMENTS = 5000

SERVE_VIEW = "django.views.static.serve"

_KNOWN_CALLS = frozenset(
    {
        "path",
        "re_path",
        "url",
        "include",
        "patterns",
        "static",
        "staticfiles_urlpatterns",
        "i18n_patterns",
        "format_suffix_patterns",
        "debug_toolbar_urls",
    }
)
_BUILTIN_LIST_CALLS = frozenset({"list", "tuple"})
_TRANSLATE_CALLS = frozenset(
    {"_", "gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "pgettext_lazy"}
)

#: third-party URLconfs whose routes are known, so a health package mounted at "health/"
#: counts without reading site-packages
KNOWN_EXTERNAL: dict[str, tuple[tuple[str, str], ...]] = {
    "health_check.urls": (("path", ""),),
    "watchman.urls": (
        ("regex", r"^$"),
        ("regex", r"^dashboard/$"),
        ("regex", r"^ping/$"),
        ("regex", r"^bare-status/$"),
    ),
}

_CONVERTERS = {
    "int": "[0-9]+",
    "str": "[^/]+",
    "slug": "[-a-zA-Z0-9_]+",
    "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "path": ".+",
}
_PATH_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")
_LANGUAGE = r"[a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]+)*/"


# ---------------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True)
class Part:
    """One level of a route: a path() route, a regex, or an i18n_patterns language prefix."""

    kind: str  # "path" | "regex" | "i18n"
    text: str
    optional: bool = False  # i18n prefix with prefix_default_language=False

    @property
    def display(self) -> str:
        if self.kind == "i18n":
            return "[<language>/]" if self.optional else "<language>/"
        if self.kind == "path":
            return self.text
        text = self.text[1:] if self.text.startswith("^") else self.text
        if text.endswith("$") and not text.endswith("\\$"):
            text = text[:-1]
        return re.sub(r"\\([^\w\s])", r"\1", text)

    def regex_body(self, endpoint: bool) -> str:
        """The part as regex text, for display of mixed path/regex routes."""
        if self.kind == "i18n":
            return f"(?:{_LANGUAGE})?" if self.optional else f"(?:{_LANGUAGE})"
        if self.kind == "path":
            return _route_regex(self.text)[1:] + ("$" if endpoint else "")
        text = self.text[1:] if self.text.startswith("^") else self.text
        if not endpoint and text.endswith("$") and not text.endswith("\\$"):
            text = text[:-1]
        return text


@dataclass(frozen=True)
class Route:
    """One endpoint with its full pattern (every include prefix concatenated)."""

    pattern_text: str
    kind: str  # "path" when every level is a path() route, else "regex"
    view: str  # the view expression as written (string views qualified by patterns' prefix)
    debug_only: bool
    rel: str
    line: int
    column: int = 1
    name: str | None = None
    view_target: str | None = None  # the dotted name the view resolves to, where known
    parts: tuple[Part, ...] = ()

    @property
    def url(self) -> str:
        """A readable URL shape: ``/common/health``, ``/media/(?P<path>.*)``."""
        return "/" + "".join(p.display for p in self.parts)

    def matches(self, url_path: str, *, literal: bool = False) -> bool:
        """True when a GET of `url_path` resolves to this route (with or without the trailing
        slash). With `literal`, only when every segment is written out in the pattern: a
        catch-all like ``<slug:slug>/`` answers ``/health/`` but is no health view."""
        for candidate in _candidates(url_path):
            captured = _match_parts(self.parts, candidate)
            if captured is None:
                continue
            if literal and (captured or not self._spells(candidate)):
                continue
            return True
        return False

    def _spells(self, candidate: str) -> bool:
        shown = self.url
        return all(seg in self.pattern_text or seg in shown for seg in candidate.split("/") if seg)


@dataclass(frozen=True)
class StaticHelper:
    """A place that makes Django serve files: static(), staticfiles_urlpatterns() or a route
    to django.views.static.serve."""

    kind: str  # "static" | "staticfiles_urlpatterns" | "serve"
    text: str  # the call as written, or the routed URL for "serve"
    debug_only: bool
    rel: str
    line: int
    column: int = 1


@dataclass(frozen=True)
class OpaqueInclude:
    """An included URLconf djfix does not read. `reason` is None for Django's own URLconfs
    (admin.site.urls, django.contrib.auth.urls), which route no application views."""

    target: str
    reason: str | None
    debug_only: bool
    rel: str
    line: int
    parts: tuple[Part, ...] = ()

    @property
    def url(self) -> str:
        return "/" + "".join(p.display for p in self.parts)

    def could_route(self, url_path: str) -> bool:
        """True when the include's prefix matches the start of `url_path`, so it may hold a
        route for it."""
        return any(
            _match_parts(self.parts, c, prefix_only=True) is not None for c in _candidates(url_path)
        )


Problem = tuple[str | None, int | None, str]


@dataclass
class UrlConf:
    root: str | None
    root_rel: str | None = None
    root_line: int | None = None  # the first line that assigns the root's urlpatterns
    routes: list[Route] = field(default_factory=list)
    static_helpers: list[StaticHelper] = field(default_factory=list)
    opaque: list[OpaqueInclude] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        """True when the root URLconf was found and parsed."""
        return self.root_rel is not None and self.root_rel in self.files

    @property
    def unknown(self) -> list[Problem]:
        """(rel, line, reason) of every construct djfix could not follow."""
        out = list(self.problems)
        out.extend((o.rel, o.line, o.reason) for o in self.opaque if o.reason)
        return out

    def matches(self, url_path: str, *, literal: bool = False) -> list[Route]:
        """The routes a GET of `url_path` (``/health``, ``/common/health``) reaches, trying it
        with and without the trailing slash; DEBUG-only routes included (filter on
        ``debug_only``)."""
        return [r for r in self.routes if r.matches(url_path, literal=literal)]

    def blind_spots(self, url_path: str) -> list[Problem]:
        """The unknowns that could hide a route for `url_path`: every problem, plus unread
        includes whose prefix matches the start of the path."""
        out = list(self.problems)
        out.extend(
            (o.rel, o.line, o.reason) for o in self.opaque if o.reason and o.could_route(url_path)
        )
        return out


# ---------------------------------------------------------------------------------------------
# matching


def _candidates(url_path: str) -> list[str]:
    path = url_path.split("?", 1)[0].split("#", 1)[0].strip().lstrip("/")
    base = path.rstrip("/")
    return [base, base + "/"] if base else [""]


def _route_regex(route: str) -> str:
    """Django's path() route as a regex: literal text escaped, converters as groups."""
    out = ["^"]
    index = 0
    for m in _PATH_PARAM.finditer(route):
        out.append(re.escape(route[index : m.start()]))
        index = m.end()
        converter = (m.group("converter") or "str").strip()
        out.append(f"({_CONVERTERS.get(converter, '[^/]+')})")
    out.append(re.escape(route[index:]))
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _compiled(kind: str, text: str, optional: bool) -> re.Pattern[str] | None:
    try:
        if kind == "regex":
            return re.compile(text)
        if kind == "path":
            return re.compile(_route_regex(text))
        return re.compile(f"^(?:{_LANGUAGE})" + ("?" if optional else ""))
    except (re.error, RecursionError, OverflowError, ValueError):
        return None


def _match_parts(parts: tuple[Part, ...], path: str, *, prefix_only: bool = False) -> bool | None:
    """None when `path` does not resolve through `parts`; else whether a group captured text.
    With `prefix_only`, every part is matched as an include prefix."""
    captured = False
    remaining = path
    last = len(parts) - 1
    for index, part in enumerate(parts):
        rx = _compiled(part.kind, part.text, part.optional)
        if rx is None:
            return None
        endpoint = index == last and not prefix_only
        try:
            if part.kind == "regex":
                whole = endpoint and part.text.endswith("$")
                m = rx.fullmatch(remaining) if whole else rx.search(remaining)
            elif part.kind == "path" and endpoint:
                m = rx.fullmatch(remaining)
            else:
                m = rx.match(remaining)
        except (RecursionError, re.error):
            return None
        if m is None:
            return None
        captured = captured or any(g for g in m.groups() if g)
        remaining = remaining[m.end() :]
    return captured


# ---------------------------------------------------------------------------------------------
# the entries of one module, before includes are followed


@dataclass(eq=False)
class _RouteEntry:
    part: Part
    view: str
    view_target: str | None
    name: str | None
    debug: bool
    rel: str
    line: int
    column: int


@dataclass(eq=False)
class _IncludeEntry:
    part: Part | None
    kind: str  # "module" | "inline" | "opaque"
    target: str  # dotted module / source text
    entries: list = field(default_factory=list)  # inline
    reason: str | None = None  # opaque
    debug: bool = False
    rel: str = ""
    line: int = 1


@dataclass(eq=False)
class _StaticEntry:
    kind: str
    text: str
    debug: bool
    rel: str
    line: int
    column: int


_Entry = _RouteEntry | _IncludeEntry | _StaticEntry


def _unparse(node: ast.AST, limit: int = 80) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # a malformed tree must not stop the reading
        return "<expression>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short_call(name: str, call: ast.Call) -> str:
    """`static(settings.STATIC_URL, ...)`: the call with its first argument only."""
    args = [*call.args, *(k.value for k in call.keywords)]
    if not args:
        return f"{name}()"
    more = ", ..." if len(args) > 1 else ""
    return f"{name}({_unparse(args[0], 50)}{more})"


def _debug_test(test: ast.expr) -> str | None:
    """ "debug" when the body runs only with DEBUG True, "nodebug" when only with DEBUG False
    (so the else branch is DEBUG-only), None for any other condition."""
    if isinstance(test, ast.Attribute) and test.attr == "DEBUG":
        return "debug"
    if isinstance(test, ast.Name) and test.id == "DEBUG":
        return "debug"
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Name)
        and test.func.id == "getattr"
        and len(test.args) >= 2
        and isinstance(test.args[1], ast.Constant)
        and test.args[1].value == "DEBUG"
    ):
        return "debug"
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _debug_test(test.operand)
        return {"debug": "nodebug", "nodebug": "debug"}.get(inner or "")
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        inner = _debug_test(test.left)
        right = test.comparators[0]
        if inner and isinstance(right, ast.Constant) and isinstance(right.value, bool):
            same = isinstance(test.ops[0], (ast.Is, ast.Eq))
            differ = isinstance(test.ops[0], (ast.IsNot, ast.NotEq))
            if not (same or differ):
                return None
            positive = right.value if same else not right.value
            if positive:
                return inner
            return {"debug": "nodebug", "nodebug": "debug"}[inner]
        return None
    # `DEBUG and X`: the body runs only with DEBUG (the else branch either way)
    if (
        isinstance(test, ast.BoolOp)
        and isinstance(test.op, ast.And)
        and any(_debug_test(v) == "debug" for v in test.values)
    ):
        return "debug"
    # `not DEBUG or X` is False only with DEBUG: the else branch is DEBUG-only
    if (
        isinstance(test, ast.BoolOp)
        and isinstance(test.op, ast.Or)
        and any(_debug_test(v) == "nodebug" for v in test.values)
    ):
        return "nodebug"
    return None


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


class _Module:
    """The urlpatterns (and other list variables) of one module, evaluated statement by
    statement."""

    def __init__(self, reader: _Reader, dotted: str, tree: ast.Module, rel: str, package: str):
        self.reader = reader
        self.dotted = dotted
        self.rel = rel
        self.package = package
        self.names: dict[str, str] = {}  # local name -> dotted name it was imported as
        self.stars: list[str] = []  # modules star-imported, whose lists are visible here
        self.env: dict[str, tuple[list[_Entry], list[Problem]]] = {}
        self.problems: list[Problem] = []
        self.first_line: int | None = None
        self._statements = 0
        self._block(tree.body, debug=False, conditional=False)
        if "urlpatterns" not in self.env:
            # `from .base_urls import *` alone makes the base's urlpatterns this module's
            inherited = self._star_lookup("urlpatterns")
            if inherited is not None:
                self.env["urlpatterns"] = inherited

    # -- statements --------------------------------------------------------------------------
    def _block(self, body: list[ast.stmt], debug: bool, conditional: bool) -> None:
        for stmt in body:
            self._statements += 1
            if self._statements > MAX_STATEMENTS:
                return
            self._stmt(stmt, debug, conditional)

    def _stmt(self, stmt: ast.stmt, debug: bool, conditional: bool) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.names[top] = top
        elif isinstance(stmt, ast.ImportFrom):
            self._import_from(stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if stmt.value is None:
                return
            for target in targets:
                if isinstance(target, ast.Name):
                    self._assign(target.id, stmt.value, stmt, debug, conditional)
                elif _mentions(target, "urlpatterns"):
                    self._problem(stmt, "urlpatterns is changed item by item")
        elif isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Name) and isinstance(stmt.op, ast.Add):
                name = stmt.target.id
                if (
                    name in self.env
                    or name == "urlpatterns"
                    or self._looks_like_patterns(stmt.value)
                ):
                    problems: list[Problem] = []
                    added = self._eval(stmt.value, debug, problems)
                    old, old_problems = self._lookup(name) or ([], [])
                    self.env[name] = (old + added, old_problems + problems)
                    if name == "urlpatterns":
                        self.problems.extend(problems)
                        self.first_line = self.first_line or stmt.lineno
            elif _mentions(stmt.target, "urlpatterns"):
                self._problem(stmt, "urlpatterns is changed in a way djfix cannot follow")
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self._method_call(stmt.value, debug)
        elif isinstance(stmt, ast.If):
            kind = _debug_test(stmt.test)
            self._block(stmt.body, debug or kind == "debug", True)
            self._block(stmt.orelse, debug or kind == "nodebug", True)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self._block(stmt.body, debug, True)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                self._block(handler.body, debug, True)
            self._block(stmt.orelse, debug, True)  # type: ignore[attr-defined]
            self._block(stmt.finalbody, debug, conditional)  # type: ignore[attr-defined]
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            self._block(stmt.body, debug, conditional)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return  # bodies run only when called; module-level code is what builds the URLs
        elif _mentions(stmt, "urlpatterns"):
            what = type(stmt).__name__.lower()
            self._problem(stmt, f"urlpatterns is changed inside a `{what}` statement")

    def _import_from(self, stmt: ast.ImportFrom) -> None:
        module = stmt.module or ""
        if stmt.level:
            base = self.package.split(".") if self.package else []
            if stmt.level > 1:
                base = base[: len(base) - (stmt.level - 1)] if stmt.level - 1 <= len(base) else []
            module = ".".join([*base, module] if module else base)
        for alias in stmt.names:
            if alias.name == "*":
                if module and len(self.stars) < 20:
                    self.stars.append(module)
                continue
            local = alias.asname or alias.name
            self.names[local] = f"{module}.{alias.name}" if module else alias.name

    def _assign(
        self, name: str, value: ast.expr, stmt: ast.stmt, debug: bool, conditional: bool
    ) -> None:
        if name != "urlpatterns" and not self._looks_like_patterns(value):
            self.env.pop(name, None)  # rebound to something that is not a URL list
            return
        problems: list[Problem] = []
        entries = self._eval(value, debug, problems)
        if conditional and name in self.env:
            # either branch may run: keep the old entries too (identity keeps them unique)
            old, old_problems = self.env[name]
            kept = {id(e) for e in entries}
            entries = entries + [e for e in old if id(e) not in kept]
            problems = old_problems + problems
        self.env[name] = (entries, problems)
        if name == "urlpatterns":
            self.problems.extend(problems)
            self.first_line = self.first_line or stmt.lineno

    def _looks_like_patterns(self, value: ast.expr) -> bool:
        """Whether a module-level value is worth evaluating as URL entries (it may be added to
        urlpatterns or included later)."""
        if isinstance(value, (ast.List, ast.Tuple)) and not value.elts:
            return True  # `extra = []`, filled by later statements
        for node in ast.walk(value):
            if isinstance(node, ast.Call) and self._callee(node.func) in _KNOWN_CALLS:
                return True
        return False

    def _method_call(self, call: ast.Call, debug: bool) -> None:
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            if _mentions(call, "urlpatterns"):
                self._problem(call, f"urlpatterns is passed to {_unparse(func)}()")
            return
        name = func.value.id
        if (
            name not in self.env
            and name != "urlpatterns"
            and not any(self._looks_like_patterns(a) for a in call.args)
        ):
            return
        old, old_problems = self._lookup(name) or ([], [])
        problems: list[Problem] = []
        if func.attr == "append" and len(call.args) == 1:
            new = old + self._elements([call.args[0]], debug, problems)
        elif func.attr == "extend" and len(call.args) == 1:
            new = old + self._eval(call.args[0], debug, problems)
        elif func.attr == "insert" and len(call.args) == 2:
            added = self._elements([call.args[1]], debug, problems)
            index = call.args[0]
            at = index.value if isinstance(index, ast.Constant) else None
            if isinstance(at, int) and not isinstance(at, bool):
                new = old[:at] + added + old[at:]
            else:
                new = old + added
        else:
            if name == "urlpatterns":
                self._problem(call, f"urlpatterns.{func.attr}() changes the list at run time")
            return
        self.env[name] = (new, old_problems + problems)
        if name == "urlpatterns":
            self.problems.extend(problems)
            self.first_line = self.first_line or call.lineno

    def _lookup(self, name: str) -> tuple[list[_Entry], list[Problem]] | None:
        """A list variable of this module, or one a star import brought in."""
        if name in self.env:
            return self.env[name]
        return self._star_lookup(name)

    def _star_lookup(self, name: str) -> tuple[list[_Entry], list[Problem]] | None:
        for module in reversed(self.stars):  # the last star import wins, as in Python
            found = self.reader.variable(module, name)
            if found is not None:
                return found
        return None

    def _problem(self, node: ast.AST, reason: str, into: list[Problem] | None = None) -> None:
        (self.problems if into is None else into).append(
            (self.rel, getattr(node, "lineno", None), reason)
        )

    # -- names -------------------------------------------------------------------------------
    def _qualify(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.names.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self._qualify(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def _callee(self, func: ast.AST) -> str | None:
        """The Django helper a call names (path, include, static, ...), or None."""
        qualified = self._qualify(func)
        if qualified is None:
            return None
        last = qualified.rpartition(".")[2]
        if isinstance(func, ast.Name) and func.id not in self.names:
            # star-imported (django.conf.urls.defaults) or a builtin
            if func.id in _KNOWN_CALLS or func.id in _BUILTIN_LIST_CALLS:
                return func.id
            return None
        if last in _KNOWN_CALLS and qualified.startswith(
            ("django.", "rest_framework.", "debug_toolbar.")
        ):
            return last
        return None

    # -- expressions -------------------------------------------------------------------------
    def _eval(self, node: ast.expr, debug: bool, problems: list[Problem]) -> list[_Entry]:
        """The URL entries a list expression holds; what cannot be read goes to `problems`."""
        if isinstance(node, (ast.List, ast.Tuple)):
            return self._elements(node.elts, debug, problems)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._eval(node.left, debug, problems) + self._eval(node.right, debug, problems)
        if isinstance(node, ast.IfExp):
            kind = _debug_test(node.test)
            return self._eval(node.body, debug or kind == "debug", problems) + self._eval(
                node.orelse, debug or kind == "nodebug", problems
            )
        if isinstance(node, ast.Name):
            return self._variable(node, problems)
        if isinstance(node, ast.Call):
            return self._eval_call(node, debug, problems)
        if isinstance(node, ast.Attribute):
            qualified = self._qualify(node) or ""
            module, _, attr = qualified.rpartition(".")
            if attr == "urlpatterns" and module:
                found = self.reader.variable(module, attr)
                if found is not None:
                    return list(found[0])
            reason = f"{_unparse(node)} is built at run time, so its routes are unknown"
            return [self._opaque(node, None, debug, reason)]
        if isinstance(node, ast.Constant) and node.value is None:
            return []
        what = {
            ast.ListComp: "a list comprehension",
            ast.GeneratorExp: "a generator",
        }.get(type(node), _unparse(node))
        self._problem(node, f"urlpatterns is built from {what}, which djfix cannot read", problems)
        return []

    def _variable(self, node: ast.Name, problems: list[Problem]) -> list[_Entry]:
        local = self.env.get(node.id) or (
            None if node.id in self.names else self._star_lookup(node.id)
        )
        if local is not None:
            entries, deferred = local
            problems.extend(deferred)
            return list(entries)
        qualified = self.names.get(node.id)
        if qualified and "." in qualified:
            module, _, attr = qualified.rpartition(".")
            found = self.reader.variable(module, attr)
            if found is not None:
                problems.extend(found[1])
                return list(found[0])
        self._problem(node, f"urlpatterns uses {node.id}, a list djfix cannot find", problems)
        return []

    def _eval_call(self, call: ast.Call, debug: bool, problems: list[Problem]) -> list[_Entry]:
        fn = self._callee(call.func)
        line, column = call.lineno, call.col_offset + 1
        if fn in ("static", "staticfiles_urlpatterns"):
            return [_StaticEntry(fn, _short_call(fn, call), debug, self.rel, line, column)]
        if fn == "i18n_patterns":
            optional = any(
                k.arg == "prefix_default_language"
                and isinstance(k.value, ast.Constant)
                and k.value.value is False
                for k in call.keywords
            )
            inner = self._elements(call.args, debug, problems)
            part = Part("i18n", "", optional)
            return [
                _IncludeEntry(part, "inline", "i18n_patterns", inner, None, debug, self.rel, line)
            ]
        if fn == "patterns":
            prefix = ""
            args = list(call.args)
            if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                prefix = args.pop(0).value
            return self._elements(args, debug, problems, view_prefix=prefix)
        if fn in ("format_suffix_patterns", *_BUILTIN_LIST_CALLS):
            return self._eval(call.args[0], debug, problems) if call.args else []
        if fn == "debug_toolbar_urls":
            part = Part("path", "__debug__/")
            return [
                _IncludeEntry(part, "opaque", "debug_toolbar.urls", [], None, debug, self.rel, line)
            ]
        self._problem(
            call,
            f"urlpatterns gets the result of {_unparse(call.func)}(), built at run time",
            problems,
        )
        return []

    def _elements(
        self,
        nodes: list[ast.expr],
        debug: bool,
        problems: list[Problem],
        view_prefix: str | None = None,
    ) -> list[_Entry]:
        out: list[_Entry] = []
        for elt in nodes[:MAX_ELEMENTS]:
            if isinstance(elt, ast.Starred):
                out.extend(self._eval(elt.value, debug, problems))
                continue
            entry = self._element(elt, debug, problems, view_prefix)
            if entry is not None:
                out.append(entry)
        return out

    def _element(
        self, elt: ast.expr, debug: bool, problems: list[Problem], view_prefix: str | None
    ) -> _Entry | None:
        if isinstance(elt, ast.Call):
            fn = self._callee(elt.func)
            if fn in ("path", "re_path", "url"):
                args = list(elt.args)
                kwargs = {k.arg: k.value for k in elt.keywords if k.arg}
                pattern = args[0] if args else kwargs.get("route", kwargs.get("regex"))
                view = args[1] if len(args) > 1 else kwargs.get("view")
                name_node = args[3] if len(args) > 3 else kwargs.get("name")
                kind = "path" if fn == "path" else "regex"
                return self._route(
                    elt, kind, pattern, view, name_node, debug, problems, view_prefix
                )
            if fn in ("static", "staticfiles_urlpatterns"):
                # a list nested in the list: Django rejects it, but the intent is clear
                return self._eval_call(elt, debug, problems)[0]
        if view_prefix is not None and isinstance(elt, (ast.Tuple, ast.List)) and elt.elts:
            # patterns('', (r'^x/$', 'view', {...}, 'name')): the pre-1.4 tuple form
            elts = elt.elts
            view = elts[1] if len(elts) > 1 else None
            name_node = elts[3] if len(elts) > 3 else None
            return self._route(elt, "regex", elts[0], view, name_node, debug, problems, view_prefix)
        self._problem(
            elt,
            f"the urlpatterns entry {_unparse(elt, 60)} is not path(), re_path() or url()",
            problems,
        )
        return None

    def _pattern_text(self, node: ast.AST | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _TRANSLATE_CALLS
            and node.args
        ):
            # translated patterns: the source string is the default language's URL
            return self._pattern_text(node.args[-1])
        return None

    def _route(
        self,
        call: ast.expr,
        kind: str,
        pattern_node: ast.AST | None,
        view: ast.AST | None,
        name_node: ast.AST | None,
        debug: bool,
        problems: list[Problem],
        view_prefix: str | None,
    ) -> _Entry | None:
        text = self._pattern_text(pattern_node)
        if text is None:
            shown = _unparse(pattern_node) if pattern_node is not None else "nothing"
            self._problem(call, f"a route's pattern is {shown}, not a string literal", problems)
            return None
        part = Part(kind, text)
        line, column = call.lineno, call.col_offset + 1
        if _compiled(part.kind, part.text, False) is None:
            self._problem(call, f"the pattern {text!r} is not a valid regular expression", problems)
        if view is None:
            self._problem(call, f"the route {text!r} names no view", problems)
            return None
        include = self._include_target(view, debug, problems)
        if include is not None:
            include.part = part
            include.line = line
            return include
        name = (
            name_node.value
            if isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)
            else None
        )
        if isinstance(view, ast.Constant) and isinstance(view.value, str):
            target = f"{view_prefix}.{view.value}" if view_prefix else view.value
            return _RouteEntry(part, target, target, name, debug, self.rel, line, column)
        target_node = view
        if (
            isinstance(view, ast.Call)
            and isinstance(view.func, ast.Attribute)
            and view.func.attr == "as_view"
        ):
            target_node = view.func.value
        target = self._qualify(target_node)
        return _RouteEntry(part, _unparse(view), target, name, debug, self.rel, line, column)

    def _include_target(
        self, view: ast.AST, debug: bool, problems: list[Problem]
    ) -> _IncludeEntry | None:
        """The include a view argument stands for (include(...), a list, a list variable,
        admin.site.urls), or None when it is a plain view."""
        if isinstance(view, ast.Call) and self._callee(view.func) == "include":
            arg: ast.AST | None = view.args[0] if view.args else None
            if arg is None:
                kw = next((k.value for k in view.keywords if k.arg == "arg"), None)
                arg = kw
            if arg is None:
                return self._opaque(view, None, debug, "include() names nothing")
            return self._include_arg(arg, view, debug, problems)
        if isinstance(view, ast.List):
            return self._inline(view, view, debug, problems)
        if (
            isinstance(view, ast.Tuple)
            and view.elts
            and isinstance(view.elts[0], (ast.List, ast.Name))
        ):
            return self._include_arg(view, view, debug, problems)
        if isinstance(view, ast.Name) and view.id in self.env:
            return self._inline(view, view, debug, problems)
        if isinstance(view, ast.Attribute) and view.attr == "urls":
            # admin.site.urls, router.urls, an imported urls module: a list used as the view
            return self._include_arg(view, view, debug, problems)
        return None

    def _include_arg(
        self, arg: ast.AST, call: ast.AST, debug: bool, problems: list[Problem]
    ) -> _IncludeEntry:
        if isinstance(arg, ast.Tuple) and arg.elts:
            arg = arg.elts[0]  # (module or patterns, app_name[, namespace])
        line = getattr(call, "lineno", 1)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return _IncludeEntry(None, "module", arg.value, [], None, debug, self.rel, line)
        if isinstance(arg, ast.List):
            return self._inline(arg, call, debug, problems)
        if isinstance(arg, ast.Name) and arg.id in self.env:
            return self._inline(arg, call, debug, problems)
        dotted = self._qualify(arg) if isinstance(arg, (ast.Name, ast.Attribute)) else None
        if dotted is not None:
            if dotted.endswith("site.urls"):
                return self._opaque(call, None, debug, None, target=_unparse(arg))
            first = arg
            while isinstance(first, ast.Attribute):
                first = first.value
            if isinstance(first, ast.Name) and first.id in self.names:
                # an imported module object, or a list imported from a module
                module, _, attr = dotted.rpartition(".")
                if module and self.reader.find(dotted) is None:
                    found = self.reader.variable(module, attr)
                    if found is not None:
                        problems.extend(found[1])
                        return _IncludeEntry(
                            None, "inline", dotted, list(found[0]), None, debug, self.rel, line
                        )
                return _IncludeEntry(None, "module", dotted, [], None, debug, self.rel, line)
        shown = _unparse(arg)
        return self._opaque(
            call,
            None,
            debug,
            f"{shown} is built at run time, so its routes are unknown",
            target=shown,
        )

    def _inline(
        self, node: ast.expr, call: ast.AST, debug: bool, problems: list[Problem]
    ) -> _IncludeEntry:
        entries = self._eval(node, debug, problems)
        line = getattr(call, "lineno", 1)
        return _IncludeEntry(
            None, "inline", _unparse(node, 40), entries, None, debug, self.rel, line
        )

    def _opaque(
        self,
        node: ast.AST,
        part: Part | None,
        debug: bool,
        reason: str | None,
        target: str | None = None,
    ) -> _IncludeEntry:
        return _IncludeEntry(
            part,
            "opaque",
            target or _unparse(node),
            [],
            reason,
            debug,
            self.rel,
            getattr(node, "lineno", 1),
        )


# ---------------------------------------------------------------------------------------------
# following includes


class _Reader:
    def __init__(self, project: ProjectModel) -> None:
        self.project = project
        self.modules: dict[str, _Module | None] = {}
        self.evaluating: set[str] = set()
        self.result = UrlConf(root=project.root_urlconf)
        self._problem_keys: set[Problem] = set()

    def find(self, dotted: str):
        try:
            return self.project.module_path(dotted)
        except (OSError, ValueError):
            return None

    def module(self, dotted: str) -> _Module | None:
        """The evaluated module, or None when it is not a parsable file of the repository
        (the reason is recorded by the caller or here)."""
        if dotted in self.modules:
            return self.modules[dotted]
        if dotted in self.evaluating or len(self.modules) >= MAX_MODULES:
            return None
        path = self.find(dotted)
        if path is None:
            self.modules[dotted] = None
            return None
        f = self.project.cache.python(path)
        tree = f.tree
        if tree is None:
            message = f.problem.message if f.problem else "cannot be read"
            line = f.problem.line if f.problem else None
            self.add_problem((f.rel, line, f"{f.rel} {message}"))
            self.modules[dotted] = None
            return None
        if f.rel not in self.result.files:
            self.result.files.append(f.rel)
        package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
        self.evaluating.add(dotted)
        try:
            mod = _Module(self, dotted, tree, f.rel, package)
        except RecursionError:
            self.add_problem((f.rel, None, f"{f.rel} is nested too deeply for djfix to read"))
            mod = None
        finally:
            self.evaluating.discard(dotted)
        self.modules[dotted] = mod
        return mod

    def variable(self, module: str, name: str) -> tuple[list[_Entry], list[Problem]] | None:
        mod = self.module(module)
        if mod is None:
            return None
        return mod.env.get(name)

    def add_problem(self, problem: Problem) -> None:
        if problem not in self._problem_keys:
            self._problem_keys.add(problem)
            self.result.problems.append(problem)

    def run(self) -> UrlConf:
        project = self.project
        dotted = project.root_urlconf
        where = project.settings.where("ROOT_URLCONF")
        settings_rel = where.path if where else project.settings.rel
        settings_line = where.line if where else None
        if dotted is None:
            if where is None:
                reason = "ROOT_URLCONF is not set in the production settings"
            else:
                reason = "ROOT_URLCONF is not a string djfix can read"
            self.add_problem((settings_rel, settings_line, reason))
            return self.result
        path = self.find(dotted)
        if path is None:
            self.add_problem(
                (
                    settings_rel,
                    settings_line,
                    f"ROOT_URLCONF {dotted!r} is not a module of this repository",
                )
            )
            return self.result
        self.result.root_rel = project.rel(path)
        mod = self.module(dotted)
        if mod is None:
            return self.result
        self.result.root_line = mod.first_line or 1
        self._follow_module(mod, (), False, 0, (dotted,))
        return self.result

    def _follow_module(
        self,
        mod: _Module,
        prefix: tuple[Part, ...],
        debug: bool,
        depth: int,
        stack: tuple[str, ...],
    ) -> None:
        for problem in mod.problems:
            self.add_problem(problem)
        if "urlpatterns" not in mod.env:
            self.add_problem((mod.rel, None, f"{mod.dotted} defines no urlpatterns djfix can read"))
            return
        entries, deferred = mod.env["urlpatterns"]
        for problem in deferred:
            self.add_problem(problem)
        self._follow(entries, prefix, debug, depth, stack)

    def _follow(
        self,
        entries: list[_Entry],
        prefix: tuple[Part, ...],
        debug: bool,
        depth: int,
        stack: tuple[str, ...],
    ) -> None:
        result = self.result
        for entry in entries:
            if len(result.routes) >= MAX_ROUTES:
                return
            d = debug or entry.debug
            if isinstance(entry, _RouteEntry):
                parts = (*prefix, entry.part)
                route = _make_route(
                    parts,
                    entry.view,
                    d,
                    entry.rel,
                    entry.line,
                    entry.column,
                    entry.name,
                    entry.view_target,
                )
                result.routes.append(route)
                if entry.view_target == SERVE_VIEW:
                    result.static_helpers.append(
                        StaticHelper("serve", route.url, d, entry.rel, entry.line, entry.column)
                    )
            elif isinstance(entry, _StaticEntry):
                result.static_helpers.append(
                    StaticHelper(entry.kind, entry.text, d, entry.rel, entry.line, entry.column)
                )
            else:
                self._follow_include(entry, prefix, d, depth, stack)

    def _follow_include(
        self,
        entry: _IncludeEntry,
        prefix: tuple[Part, ...],
        debug: bool,
        depth: int,
        stack: tuple[str, ...],
    ) -> None:
        parts = prefix
        if entry.part is not None and not (entry.part.kind == "path" and entry.part.text == ""):
            parts = (*prefix, entry.part)
        if depth >= MAX_DEPTH:
            self.add_problem(
                (
                    entry.rel,
                    entry.line,
                    f"includes nest deeper than {MAX_DEPTH} levels; djfix stops following them",
                )
            )
            return
        if entry.kind == "inline":
            self._follow(entry.entries, parts, debug, depth + 1, stack)
            return
        if entry.kind == "opaque":
            self.result.opaque.append(
                OpaqueInclude(entry.target, entry.reason, debug, entry.rel, entry.line, parts)
            )
            return
        dotted = entry.target
        if dotted in stack:
            chain = " -> ".join((*stack[stack.index(dotted) :], dotted))
            self.add_problem((entry.rel, entry.line, f"include cycle: {chain}"))
            return
        mod = self.module(dotted)
        if mod is not None:
            self._follow_module(mod, parts, debug, depth + 1, (*stack, dotted))
            return
        path = self.find(dotted)
        if path is not None:
            return  # exists but does not parse: recorded by module()
        if dotted in KNOWN_EXTERNAL:
            for kind, text in KNOWN_EXTERNAL[dotted]:
                self.result.routes.append(
                    _make_route(
                        (*parts, Part(kind, text)),
                        f"include({dotted!r})",
                        debug,
                        entry.rel,
                        entry.line,
                        1,
                        None,
                        dotted,
                    )
                )
            return
        reason: str | None
        if dotted.startswith("django."):
            reason = None  # Django's own URLconfs (auth, admindocs, i18n) route no app views
        elif self._is_local(dotted):
            reason = f"include({dotted!r}): no module {dotted} in this repository"
        else:
            reason = (
                f"include({dotted!r}) reads a URLconf outside this repository, "
                "which djfix does not read"
            )
        self.result.opaque.append(
            OpaqueInclude(dotted, reason, debug, entry.rel, entry.line, parts)
        )

    def _is_local(self, dotted: str) -> bool:
        top = dotted.split(".")[0]
        root = self.project.source_root
        try:
            return is_dir(root / top) or is_file(root / f"{top}.py")
        except OSError:
            return False


def _make_route(
    parts: tuple[Part, ...],
    view: str,
    debug: bool,
    rel: str,
    line: int,
    column: int,
    name: str | None,
    view_target: str | None,
) -> Route:
    if all(p.kind != "regex" for p in parts):
        kind = "path"
        text = "".join(p.display if p.kind == "i18n" else p.text for p in parts)
    else:
        kind = "regex"
        last = len(parts) - 1
        # anchored unless the first level is a regex without "^" (Django searches those)
        first = parts[0]
        anchor = "^" if first.kind != "regex" or first.text.startswith("^") else ""
        text = anchor + "".join(p.regex_body(i == last) for i, p in enumerate(parts))
    return Route(text, kind, view, debug, rel, line, column, name, view_target, parts)


# one reading per project: several checks ask for it
_CACHE: dict[int, tuple[weakref.ref, UrlConf]] = {}


def read_urlconf(project: ProjectModel) -> UrlConf:
    """Every route reachable from ROOT_URLCONF. Never raises: what cannot be read is listed
    in `unknown`."""
    key = id(project)
    cached = _CACHE.get(key)
    if cached is not None and cached[0]() is project:
        return cached[1]
    try:
        conf = _Reader(project).run()
    except Exception as exc:  # a reader bug must degrade to "could not follow", not a crash
        where = project.settings.where("ROOT_URLCONF")
        conf = UrlConf(root=project.root_urlconf)
        conf.problems.append(
            (
                where.path if where else None,
                where.line if where else None,
                f"djfix could not read the URLconf ({type(exc).__name__}: {exc})",
            )
        )
    try:
        ref = weakref.ref(project, lambda _ref, key=key: _CACHE.pop(key, None))
        _CACHE[key] = (ref, conf)
    except TypeError:
        pass
    return conf
