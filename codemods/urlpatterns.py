"""Wire the health routes into a ROOT_URLCONF module: `health` to the health view and `common/`
to the app's URLconf, so `/health` and `/common/health` resolve by URL and `reverse()` finds
the view.

Pure source -> source. `transform(source, view_module=..., urls_module=..., django_version=...)`
returns the new source, the routes it added and the ones it left out with the reason.

The routes are written the way the project's Django and the module spell them:

- `path("health", djfix_health)` and `path("common/", include("common.urls"))` with
  `from django.urls import include, path` on Django 2.0 and later;
- `url(r"^health/?$", djfix_health)` and `url(r"^common/", include("common.urls"))` with
  `from django.conf.urls import include, url` before Django 2.0, and on 2.x/3.x (or an unknown
  version) when the module uses `url()` and not `path()` (`url()` is gone from Django 4.0 on);
- inside `patterns('prefix', ...)`, right after the prefix string, in projects that old.

The view is imported as `from common.views import health as djfix_health` (another free name
when that one is taken; an existing import of the view is reused), helpers the module already
has are reused whatever module they come from (`include` from `django.conf.urls` in old code,
star imports), and missing names are added to an existing `from django.urls import ...` in
its own layout.

Where the routes go: first in the list that starts urlpatterns, so a catch-all later in the
list (`re_path(r"^(?P<slug>.+)/$", page)`) cannot shadow `/health`. That is the list literal of
the last module-level `urlpatterns = ...` (followed back through `urlpatterns = ... +
urlpatterns`), which also covers modules that build the list with `+=`, `.append()` and
`.extend()`: those only add after it. When the value starts with a call that returns a list
(`i18n_patterns(...)`, `format_suffix_patterns(...)`, `static(...)`) or a name bound to a list,
the routes go into a new list in front of it, `urlpatterns = [...] + i18n_patterns(...)`, so
`/health` gets no language prefix. `if settings.DEBUG:` blocks are never changed.

Nothing is added for a route that is already there: a route that answers `/health` with
`health` spelled out in its pattern (any view, or an include mounted at `health/`), and for
`common/`, an include of the app's URLconf or a route spelled `common/health`. Routes inside
`if settings.DEBUG:` blocks and under a prefix do not count. A route served through another
module (`path("common/", include("common.urls"))` of the project's own app) is invisible here:
the caller, which reads the whole URLconf, passes `routes` without it.

Left out, with the reason (as `("urlpatterns", line, reason)`): a module that defines no
urlpatterns (or only extends one from another module), urlpatterns set or replaced inside a
block other than a DEBUG one, and a value whose start djfix cannot prove to be a list
(`urlpatterns = get_urls()`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import PositionProvider

from codemods.command import Command, Context, need_import
from codemods.cst_tools import (
    assigned_name,
    code_of,
    describe,
    fill_empty,
    find_all,
    is_attribute,
    is_name,
    line_break,
    literal,
    opening_whitespace,
    parse_module,
    prepend_element,
    string_code,
    with_bracket_whitespace,
)
from codemods.module_level import module_code, preferred_quote

URLPATTERNS = "urlpatterns"
HEALTH = "health"
COMMON = "common/"
VIEW_NAME = "djfix_health"

#: modules a URL helper may come from (star imports included)
HELPER_MODULES = {
    "path": ("django.urls",),
    "re_path": ("django.urls",),
    "include": ("django.urls", "django.conf.urls", "django.conf.urls.defaults"),
    "url": ("django.conf.urls", "django.conf.urls.defaults"),
    "patterns": ("django.conf.urls", "django.conf.urls.defaults"),
}
#: calls whose result is a list, so `[...] + call(...)` is a list too
LIST_CALLS = frozenset(
    {"i18n_patterns", "format_suffix_patterns", "static", "staticfiles_urlpatterns"}
)
ROUTE_CALLS = frozenset({"path", "re_path", "url"})
TRANSLATE_CALLS = frozenset(
    {"_", "gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "pgettext_lazy"}
)
_EOL = cst.TrailingWhitespace()
LINE_LENGTH = 88  # a one-line urlpatterns longer than this is laid out one route per line


@dataclass
class Result:
    code: str
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (route, line)
    left: list[tuple[str, int, str]] = field(default_factory=list)  # (what, line, reason)


# -- the module's statements, with the DEBUG blocks they sit in --------------------------------


@dataclass(frozen=True, eq=False)
class _Statement:
    small: cst.BaseSmallStatement
    index: int  # of its top-level statement
    nested: bool  # inside a block (if/try/with/for)
    debug: bool  # inside an `if settings.DEBUG:` branch (runs only when DEBUG is True)


def _mentions_debug(node: cst.CSTNode) -> bool:
    return bool(find_all(node, lambda n: is_name(n, "DEBUG") or is_attribute(n, "DEBUG")))


def _debug_branches(test: cst.BaseExpression) -> tuple[bool, bool]:
    """(body is DEBUG-only, else branch is DEBUG-only) for an `if` test."""
    if not _mentions_debug(test):
        return False, False
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return False, True
    return True, False


def _walk(node: cst.CSTNode, index: int, nested: bool, debug: bool) -> Iterator[_Statement]:
    if isinstance(node, cst.SimpleStatementLine | cst.SimpleStatementSuite):
        for small in node.body:
            yield _Statement(small, index, nested, debug)
        return
    if isinstance(node, cst.IndentedBlock):
        for inner in node.body:
            yield from _walk(inner, index, nested, debug)
        return
    if isinstance(node, cst.FunctionDef | cst.ClassDef):
        return  # their bodies do not run when the URLconf loads
    if isinstance(node, cst.If):
        body_debug, else_debug = _debug_branches(node.test)
        yield from _walk(node.body, index, True, debug or body_debug)
        if node.orelse is not None:
            yield from _walk(node.orelse, index, True, debug or else_debug)
        return
    for child in node.children:  # try/except/else/finally, with, for, while, match
        if not isinstance(child, cst.BaseExpression):
            yield from _walk(child, index, True, debug)


def _statements(module: cst.Module) -> list[_Statement]:
    out: list[_Statement] = []
    for index, statement in enumerate(module.body):
        out.extend(_walk(statement, index, False, False))
    return out


def _touches(small: cst.BaseSmallStatement) -> bool:
    """`urlpatterns += ...` or `urlpatterns.append/extend/insert(...)`."""
    if isinstance(small, cst.AugAssign):
        return is_name(small.target, URLPATTERNS)
    return (
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and is_attribute(small.value.func, of=URLPATTERNS)
    )


def _reads(small: cst.BaseSmallStatement, name: str) -> bool:
    value = getattr(small, "value", None)
    return value is not None and bool(find_all(value, lambda n: is_name(n, name)))


# -- names -------------------------------------------------------------------------------------


def _dotted(node: cst.BaseExpression | None) -> str:
    return code_of(node) if node is not None else ""


class _Names:
    """What the module's names stand for: imports (local -> dotted), star imports, and every
    name it binds at module level."""

    def __init__(self, module: cst.Module, statements: list[_Statement]) -> None:
        self.imports: dict[str, str] = {}
        self.stars: set[str] = set()
        self.bound: set[str] = set()
        for statement in statements:
            small = statement.small
            if isinstance(small, cst.Import):
                for alias in small.names:
                    dotted = _dotted(alias.name)
                    if alias.asname is not None:
                        local = code_of(alias.asname.name)
                        self.imports[local] = dotted
                    else:
                        local = dotted.split(".")[0]
                        self.imports[local] = local
                    self.bound.add(local)
            elif isinstance(small, cst.ImportFrom):
                source = "." * len(small.relative) + _dotted(small.module)
                if isinstance(small.names, cst.ImportStar):
                    self.stars.add(source)
                    continue
                for alias in small.names:
                    name = code_of(alias.name)
                    local = code_of(alias.asname.name) if alias.asname is not None else name
                    self.imports[local] = f"{source}.{name}"
                    self.bound.add(local)
            elif isinstance(small, cst.Assign):
                for target in small.targets:
                    self.bound.update(n.value for n in find_all(target.target, is_name))  # type: ignore[attr-defined]
            elif isinstance(small, cst.AnnAssign | cst.AugAssign) and isinstance(
                small.target, cst.Name
            ):
                self.bound.add(small.target.value)
        for statement in module.body:
            if isinstance(statement, cst.FunctionDef | cst.ClassDef):
                self.bound.add(statement.name.value)

    def qualify(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            return self.imports.get(node.value, node.value)
        if isinstance(node, cst.Attribute):
            base = self.qualify(node.value)
            return f"{base}.{node.attr.value}" if base else None
        return None

    def callee(self, func: cst.BaseExpression) -> str | None:
        """The last part of what a call names (`path`, `include`, `i18n_patterns`)."""
        qualified = self.qualify(func)
        return qualified.rpartition(".")[2] if qualified else None

    def local_for(self, dotted: str) -> str | None:
        """A local name already bound to `dotted` by an import."""
        for local, target in self.imports.items():
            if target == dotted:
                return local
        return None

    def free(self, wanted: str) -> str:
        if wanted not in self.bound:
            return wanted
        number = 2
        while f"{wanted}_{number}" in self.bound:
            number += 1
        return f"{wanted}_{number}"


# -- the routes the module already has ---------------------------------------------------------


def _string(node: cst.BaseExpression | None) -> str | None:
    ok, value = literal(node) if node is not None else (False, None)
    return value if ok and isinstance(value, str) else None


def _pattern_text(node: cst.BaseExpression | None) -> str | None:
    if (
        isinstance(node, cst.Call)
        and node.args
        and isinstance(node.func, cst.Name)
        and node.func.value in TRANSLATE_CALLS
    ):
        return _string(node.args[-1].value)  # _("health/"): the default language's URL
    return _string(node)


def _consumes(kind: str, text: str, url: str, *, endpoint: bool) -> bool:
    """Whether a route (`endpoint`) or an include prefix answers `url` the way Django's resolver
    matches it, with nothing captured: a regex endpoint ending in `$` must match all of it, one
    without `$` anywhere in it (Django searches), an include prefix must consume all of it."""
    if kind == "path":
        return "<" not in text and text == url
    try:
        regex = re.compile(text)
        found = regex.fullmatch(url) if endpoint and text.endswith("$") else regex.search(url)
    except (re.error, RecursionError, OverflowError, ValueError):
        return False
    if found is None or any(found.groups()):
        return False
    return endpoint or found.end() == len(url)


def _answers(kind: str, text: str, url: str, *, endpoint: bool) -> bool:
    """The route spells `url` ("health", "common/health") out and answers it with or without
    the trailing slash; a catch-all that happens to match does not count."""
    if not all(segment in text for segment in url.split("/")):
        return False
    return any(_consumes(kind, text, c, endpoint=endpoint) for c in (url, url + "/"))


class _Existing:
    """Which of the two routes the module's unconditional urlpatterns already hold."""

    def __init__(
        self,
        statements: list[_Statement],
        names: _Names,
        urls_module: str,
    ) -> None:
        self.names = names
        self.statements = statements
        self.urls_module = urls_module
        self.health = False
        self.common = False
        for statement in statements:
            if statement.debug:
                continue
            for entry in self._statement_entries(statement):
                self._check(entry)

    def _binding(self, name: str, index: int) -> tuple[int, cst.BaseExpression] | None:
        found = None
        for s in self.statements:
            if not s.nested and s.index < index and assigned_name(s.small) == name:
                found = (s.index, s.small.value)  # type: ignore[attr-defined]
        return found

    def _statement_entries(self, statement: _Statement) -> list[cst.BaseExpression]:
        small = statement.small
        if assigned_name(small) == URLPATTERNS or (
            isinstance(small, cst.AugAssign) and is_name(small.target, URLPATTERNS)
        ):
            return self._entries(small.value, statement.index, set())  # type: ignore[attr-defined]
        if (
            isinstance(small, cst.Expr)
            and isinstance(small.value, cst.Call)
            and is_attribute(small.value.func, of=URLPATTERNS)
        ):
            call = small.value
            method = call.func.attr.value  # type: ignore[attr-defined]
            args = [a.value for a in call.args]  # type: ignore[attr-defined]
            if method == "append" and args:
                return [args[0]]
            if method == "insert" and len(args) == 2:
                return [args[1]]
            if method == "extend" and args:
                return self._entries(args[0], statement.index, set())
        return []

    def _entries(
        self, node: cst.BaseExpression, index: int, seen: set[str]
    ) -> list[cst.BaseExpression]:
        if isinstance(node, cst.List | cst.Tuple):
            out: list[cst.BaseExpression] = []
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    out.extend(self._entries(element.value, index, seen))
                else:
                    out.append(element.value)
            return out
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self._entries(node.left, index, seen) + self._entries(node.right, index, seen)
        if isinstance(node, cst.Call):
            callee = self.names.callee(node.func)
            args = [a.value for a in node.args if a.keyword is None]
            if callee == "patterns":
                if args and _string(args[0]) is not None:
                    args = args[1:]
                return args
            if callee == "format_suffix_patterns" and args:
                return self._entries(args[0], index, seen)
            return []  # i18n_patterns: under a language prefix
        if isinstance(node, cst.Name) and node.value not in seen:
            bound = self._binding(node.value, index)
            if bound is not None:
                return self._entries(bound[1], bound[0], {*seen, node.value})
        return []

    def _check(self, entry: cst.BaseExpression) -> None:
        route = self._route(entry)
        if route is None:
            return
        kind, text, view = route
        include = self._include_target(view)
        if include is None:
            self.health = self.health or _answers(kind, text, HEALTH, endpoint=True)
            self.common = self.common or _answers(kind, text, COMMON + HEALTH, endpoint=True)
            return
        self.health = self.health or _answers(kind, text, HEALTH, endpoint=False)
        self.common = self.common or include == self.urls_module

    def _route(self, entry: cst.BaseExpression) -> tuple[str, str, cst.BaseExpression] | None:
        if isinstance(entry, cst.Call) and self.names.callee(entry.func) in ROUTE_CALLS:
            positional = [a.value for a in entry.args if a.keyword is None]
            keywords = {a.keyword.value: a.value for a in entry.args if a.keyword is not None}
            pattern = positional[0] if positional else keywords.get("route", keywords.get("regex"))
            view = positional[1] if len(positional) > 1 else keywords.get("view")
            kind = "path" if self.names.callee(entry.func) == "path" else "regex"
        elif isinstance(entry, cst.Tuple) and len(entry.elements) >= 2:
            # patterns('', (r'^x/$', 'app.views.x')): the pre-1.4 tuple form
            pattern, view, kind = entry.elements[0].value, entry.elements[1].value, "regex"
        else:
            return None
        text = _pattern_text(pattern)
        if text is None or view is None:
            return None
        return kind, text, view

    def _include_target(self, view: cst.BaseExpression) -> str | None:
        """The included URLconf's dotted name ("" when not a module name), or None for a
        view."""
        if isinstance(view, cst.Call) and self.names.callee(view.func) == "include":
            if not view.args:
                return ""
            arg = view.args[0].value
            if isinstance(arg, cst.Tuple) and arg.elements:
                arg = arg.elements[0].value
            text = _string(arg)
            if text is not None:
                return text
            return self.names.qualify(arg) or ""
        if isinstance(view, cst.List | cst.Tuple) or is_attribute(view, "urls"):
            return ""
        return None


# -- adding names to an existing `from module import ...` --------------------------------------


def _clean(ws: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return ws


def _import_separator(node: cst.ImportFrom) -> cst.Comma:
    names = node.names
    assert not isinstance(names, cst.ImportStar)
    if len(names) >= 2 and isinstance(names[0].comma, cst.Comma):
        return cst.Comma(whitespace_after=_clean(names[0].comma.whitespace_after))
    if node.lpar is not None and isinstance(
        node.lpar.whitespace_after, cst.ParenthesizedWhitespace
    ):
        return cst.Comma(whitespace_after=_clean(node.lpar.whitespace_after))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _alias_key(alias: cst.ImportAlias) -> str:
    return code_of(alias.name)


def add_import_names(node: cst.ImportFrom, new: list[cst.ImportAlias]) -> cst.ImportFrom:
    """`from m import a, c` + b -> `from m import a, b, c`: in alphabetical place when the
    names are sorted, else at the end; one name per line stays one per line, and a trailing
    comma or a comment after the last name stays where it is."""
    assert not isinstance(node.names, cst.ImportStar)
    for alias in new:
        names = list(node.names)  # type: ignore[arg-type]
        keys = [_alias_key(a) for a in names]
        at = len(names)
        if keys == sorted(keys):
            at = next((i for i, key in enumerate(keys) if key > _alias_key(alias)), len(names))
        separator = _import_separator(node)
        if at < len(names):
            names.insert(at, alias.with_changes(comma=separator))
            node = node.with_changes(names=names)
            continue
        last = names[-1]
        trailing = last.comma if isinstance(last.comma, cst.Comma) else None
        between = separator.whitespace_after
        if not isinstance(between, cst.ParenthesizedWhitespace):
            names[-1] = last.with_changes(comma=separator)
            names.append(alias.with_changes(comma=trailing or cst.MaybeSentinel.DEFAULT))
            node = node.with_changes(names=names)
            continue
        new_comma: cst.Comma | cst.MaybeSentinel = trailing or cst.MaybeSentinel.DEFAULT
        after_last = between
        if trailing is not None and isinstance(
            trailing.whitespace_after, cst.ParenthesizedWhitespace
        ):
            tail = trailing.whitespace_after
            new_comma = trailing.with_changes(whitespace_after=tail.with_changes(first_line=_EOL))
            after_last = between.with_changes(first_line=tail.first_line)
        elif node.rpar is not None and isinstance(
            node.rpar.whitespace_before, cst.ParenthesizedWhitespace
        ):
            tail = node.rpar.whitespace_before
            node = node.with_changes(
                rpar=node.rpar.with_changes(whitespace_before=tail.with_changes(first_line=_EOL))
            )
            after_last = between.with_changes(first_line=tail.first_line)
        names[-1] = last.with_changes(
            comma=(trailing or cst.Comma()).with_changes(whitespace_after=after_last)
        )
        names.append(alias.with_changes(comma=new_comma))
        node = node.with_changes(names=names)
    return node


def _alias(name: str, asname: str | None = None) -> cst.ImportAlias:
    return cst.ImportAlias(
        name=cst.Name(name),
        asname=cst.AsName(name=cst.Name(asname)) if asname and asname != name else None,
    )


# -- the transformation ------------------------------------------------------------------------


def one_per_line(node: cst.List | cst.Tuple, unit: str):
    """A one-line list/tuple literal laid out one element per line, with a trailing comma."""
    laid = [
        e.with_changes(comma=cst.Comma(whitespace_after=line_break(unit))) for e in node.elements
    ]
    laid[-1] = laid[-1].with_changes(comma=cst.Comma(whitespace_after=line_break("")))
    node = with_bracket_whitespace(node, line_break(unit), cst.SimpleWhitespace(""))
    return node.with_changes(elements=laid)


def routes_first(node: cst.List | cst.Tuple, elements: list[cst.Element], unit: str):
    """`elements` first in a list/tuple literal of a module-level statement, in its layout.
    Comment lines right under the opening bracket described the old first entry and stay above
    it; a one-line literal that grows too long is laid out one element per line."""
    one_line = "\n" not in code_of(node)
    if node.elements:
        updated = node
        for element in reversed(elements):
            updated = prepend_element(updated, element)
    else:
        updated = fill_empty(node, elements, unit)
    opening = opening_whitespace(updated)
    last_new = updated.elements[len(elements) - 1]
    comma = last_new.comma
    if (
        node.elements
        and isinstance(opening, cst.ParenthesizedWhitespace)
        and opening.empty_lines
        and isinstance(comma, cst.Comma)
        and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace)
    ):
        moved = comma.whitespace_after.with_changes(empty_lines=opening.empty_lines)
        laid = list(updated.elements)
        laid[len(elements) - 1] = last_new.with_changes(
            comma=comma.with_changes(whitespace_after=moved)
        )
        closing = (
            updated.rbracket.whitespace_before
            if isinstance(updated, cst.List)
            else updated.rpar[0].whitespace_before
        )
        updated = with_bracket_whitespace(
            updated.with_changes(elements=laid), opening.with_changes(empty_lines=[]), closing
        )
    if one_line and len(f"{URLPATTERNS} = {code_of(updated)}") > LINE_LENGTH:
        updated = one_per_line(updated, unit)
    return updated


@dataclass
class _Plan:
    how: str  # "prepend" (into a literal), "patterns" (into the call), "wrap" (a new list)
    node: cst.CSTNode  # the literal, the patterns() call, or the statement whose value is wrapped
    line: int


class WireHealthRoutes(Command):
    DESCRIPTION = "Route /health and common/ to the generated app, first in urlpatterns."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self,
        context: Context,
        *,
        view_module: str,
        urls_module: str,
        django_version: tuple[int, int] | None,
        routes: tuple[str, ...] = (HEALTH, COMMON),
    ) -> None:
        super().__init__(context)
        self.view_module = view_module
        self.urls_module = urls_module
        self.django_version = django_version
        self.routes = routes
        self.result = Result("")
        self._plan: _Plan | None = None
        self._routes: list[str] = []  # source of the new route entries, in order
        self._imports: dict[cst.CSTNode, list[cst.ImportAlias]] = {}
        self._quote = '"'
        self._unit = "    "
        self._all: list[_Statement] = []

    def _line(self, node: cst.CSTNode) -> int:
        position = self.get_metadata(PositionProvider, node, None)
        return position.start.line if position is not None else 0

    # -- planning ------------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> bool:
        self._quote = preferred_quote(node, self.source)
        self._unit = node.default_indent
        statements = _statements(node)
        self._all = statements
        names = _Names(node, statements)
        target = self._target(statements, names)
        if isinstance(target, str):
            line = next(
                (self._line(s.small) for s in statements if assigned_name(s.small) == URLPATTERNS),
                0,
            )
            self.result.left.append((URLPATTERNS, line, target))
            return False
        existing = _Existing(statements, names, self.urls_module)
        wanted = [
            r
            for r, there in ((HEALTH, existing.health), (COMMON, existing.common))
            if r in self.routes and not there
        ]
        if not wanted:
            return False
        self._plan = target
        style = self._style(names, target)
        needed: dict[str, list[tuple[str, str | None]]] = {}  # module -> [(name, asname)]
        helper = self._helper(names, "path" if style == "path" else "url", style, needed)
        include = self._helper(names, "include", style, needed) if COMMON in wanted else ""
        view = ""
        if HEALTH in wanted:
            view = names.local_for(f"{self.view_module}.{HEALTH}") or ""
            if not view:
                view = names.free(VIEW_NAME)
                needed.setdefault(self.view_module, []).append((HEALTH, view))
        for route in wanted:
            if route == HEALTH:
                pattern = self._s(HEALTH) if style == "path" else self._s("^health/?$", raw=True)
                self._routes.append(f"{helper}({pattern}, {view})")
            else:
                pattern = self._s(COMMON) if style == "path" else self._s("^common/", raw=True)
                self._routes.append(f"{helper}({pattern}, {include}({self._s(self.urls_module)}))")
            self.result.rewritten.append((route, target.line))
        self._plan_imports(node, needed)
        return True

    def _s(self, value: str, *, raw: bool = False) -> str:
        return string_code(value, self._quote, raw=raw)

    def _target(self, statements: list[_Statement], names: _Names) -> _Plan | str:
        top = [s for s in statements if not s.nested and assigned_name(s.small) == URLPATTERNS]
        replaced = [
            s
            for s in statements
            if s.nested
            and not s.debug
            and assigned_name(s.small) == URLPATTERNS
            and not _reads(s.small, URLPATTERNS)
        ]
        if not top:
            if replaced:
                return "urlpatterns is set inside a block (if/try/with): add the routes by hand"
            if any(_touches(s.small) for s in statements):
                # `urlpatterns += [...]` after `from .base_urls import *`
                return (
                    "urlpatterns comes from another module (this one only extends it): "
                    "add the routes where it is defined"
                )
            stars = sorted(star for star in names.stars if not star.startswith("django."))
            if stars:
                return (
                    f"this module defines no urlpatterns; `from {stars[-1]} import *` may bring "
                    "them: add the routes where they are defined"
                )
            return "this module defines no urlpatterns"
        if replaced:
            return (
                "urlpatterns is also replaced inside a block (if/try/with): add the routes by hand"
            )
        return self._front(top[-1], top, names)

    def _front(self, statement: _Statement, top: list[_Statement], names: _Names) -> _Plan | str:
        """Where the first entry of the statement's value comes from."""
        value = statement.small.value  # type: ignore[attr-defined]
        first = value
        while isinstance(first, cst.BinaryOperation) and isinstance(first.operator, cst.Add):
            first = first.left
        line = self._line(statement.small)
        if isinstance(first, cst.List) or (isinstance(first, cst.Tuple) and first.lpar):
            return _Plan("prepend", first, line)
        if isinstance(first, cst.Call):
            callee = names.callee(first.func)
            if callee == "patterns":
                return _Plan("patterns", first, line)
            if callee in LIST_CALLS:
                return _Plan("wrap", statement.small, line)
        if isinstance(first, cst.Name):
            earlier = [s for s in top if s.index < statement.index]
            if first.value == URLPATTERNS:
                if earlier:
                    return self._front(earlier[-1], top, names)
                return (
                    "urlpatterns comes from another module (this one only extends it): "
                    "add the routes where it is defined"
                )
            bound = [
                s
                for s in self._all
                if not s.nested
                and s.index < statement.index
                and assigned_name(s.small) == first.value
            ]
            if bound and isinstance(bound[-1].small.value, cst.List):  # type: ignore[attr-defined]
                return _Plan("wrap", statement.small, line)
        return (
            f"urlpatterns starts with {describe(first)}, which djfix cannot prove is a list: "
            "add the routes by hand"
        )

    def _style(self, names: _Names, target: _Plan) -> str:
        if target.how == "patterns":
            return "url"
        version = self.django_version
        if version is not None and version >= (4, 0):
            return "path"
        if version is not None and version < (2, 0):
            return "url"
        uses_path = any(names.local_for(f"django.urls.{h}") for h in ("path", "re_path")) or (
            "django.urls" in names.stars
        )
        uses_url = bool(names.local_for("django.conf.urls.url")) or bool(
            names.stars & {"django.conf.urls", "django.conf.urls.defaults"}
        )
        return "url" if uses_url and not uses_path else "path"

    def _helper(
        self,
        names: _Names,
        helper: str,
        style: str,
        needed: dict[str, list[tuple[str, str | None]]],
    ) -> str:
        """The local name to call `helper` by, importing it when the module lacks it."""
        modules = HELPER_MODULES[helper]
        for module in modules:
            local = names.local_for(f"{module}.{helper}")
            if local:
                return local
        if helper not in names.bound and names.stars & set(modules):
            return helper
        module = "django.urls" if style == "path" else "django.conf.urls"
        local = helper if helper not in names.bound else names.free(f"django_{helper}")
        pending = needed.setdefault(module, [])
        if (helper, local) not in pending:
            pending.append((helper, local))
        names.bound.add(local)
        names.imports[local] = f"{module}.{helper}"
        return local

    def _plan_imports(
        self, module: cst.Module, needed: dict[str, list[tuple[str, str | None]]]
    ) -> None:
        existing: dict[str, cst.ImportFrom] = {}
        for statement in module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if (
                    isinstance(small, cst.ImportFrom)
                    and not small.relative
                    and not isinstance(small.names, cst.ImportStar)
                ):
                    existing.setdefault(_dotted(small.module), small)
        for source, wanted in needed.items():
            aliases = [_alias(name, asname) for name, asname in wanted]
            if source in existing:
                self._imports.setdefault(existing[source], []).extend(aliases)
                continue
            for name, asname in wanted:
                need_import(self.context, source, name, asname if asname != name else None)

    # -- rewriting -----------------------------------------------------------------------------
    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        if original in self._imports:
            return add_import_names(updated, self._imports[original])
        return updated

    def _entries(self) -> list[cst.BaseExpression]:
        return [cst.parse_expression(code) for code in self._routes]

    def leave_List(self, original: cst.List, updated: cst.List) -> cst.List:
        return self._prepend(original, updated)

    def leave_Tuple(self, original: cst.Tuple, updated: cst.Tuple) -> cst.Tuple:
        return self._prepend(original, updated)

    def _prepend(self, original, updated):
        plan = self._plan
        if plan is None or plan.how != "prepend" or plan.node is not original:
            return updated
        return routes_first(updated, [cst.Element(e) for e in self._entries()], self._unit)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        plan = self._plan
        if plan is None or plan.how != "patterns" or plan.node is not original:
            return updated
        args = list(updated.args)
        at = 1 if args and _string(args[0].value) is not None else 0
        before, after = args[:at], args[at:]
        if before and isinstance(before[-1].comma, cst.Comma):
            separator = cst.Comma(whitespace_after=_clean(before[-1].comma.whitespace_after))
        elif len(after) >= 2 and isinstance(after[0].comma, cst.Comma):
            separator = cst.Comma(whitespace_after=_clean(after[0].comma.whitespace_after))
        else:
            separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        new = [cst.Arg(value=entry, comma=separator) for entry in self._entries()]
        if before:
            before[-1] = before[-1].with_changes(comma=separator)
        if not after:
            new[-1] = new[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(args=[*before, *new, *after])

    def _wrapped(self, value: cst.BaseExpression) -> cst.BaseExpression:
        unit = self._unit
        lines = "".join(f"{unit}{code},\n" for code in self._routes)
        new_list = cst.parse_expression(f"[\n{lines}]")
        return cst.BinaryOperation(
            left=new_list,
            operator=cst.Add(
                whitespace_before=cst.SimpleWhitespace(" "),
                whitespace_after=cst.SimpleWhitespace(" "),
            ),
            right=value,
        )

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        plan = self._plan
        if plan is None or plan.how != "wrap" or plan.node is not original:
            return updated
        return updated.with_changes(value=self._wrapped(updated.value))

    def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> cst.AnnAssign:
        plan = self._plan
        if plan is None or plan.how != "wrap" or plan.node is not original or updated.value is None:
            return updated
        return updated.with_changes(value=self._wrapped(updated.value))


def transform(
    source: str,
    *,
    view_module: str,
    urls_module: str,
    django_version: tuple[int, int] | None,
    routes: tuple[str, ...] = (HEALTH, COMMON),
) -> Result:
    """Add `health` -> `<view_module>.health` and `common/` -> include(`<urls_module>`) first
    in the urlpatterns of one ROOT_URLCONF module, in the spelling of the project's Django
    (`django_version`, None when unknown) and of the module. `routes` limits the additions to
    some of "health" and "common/" (the caller knows /common/health already resolves through
    another module, which this one cannot see). Never raises on odd input: unparsable source
    comes back unchanged with a `left` entry."""
    try:
        module = parse_module(source)
    except cst.ParserSyntaxError as error:
        return Result(
            source, left=[("<module>", error.raw_line, f"not valid Python: {error.message}")]
        )
    command = WireHealthRoutes(
        Context(),
        view_module=view_module,
        urls_module=urls_module,
        django_version=django_version,
        routes=routes,
    )
    command.source = source
    new_module = command.transform_module(module)
    command.result.code = module_code(new_module, module)
    return command.result
