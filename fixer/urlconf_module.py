"""The entries of one URLconf module, before its includes are followed: its urlpatterns (and
other list variables) evaluated statement by statement, with DEBUG-only branches marked."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fixer.url_patterns import Part, Problem, compiled

#: bounds that keep a pathological module from costing more than a few milliseconds
MAX_STATEMENTS = 5000
MAX_ELEMENTS = 5000

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


@dataclass(eq=False)
class RouteEntry:
    part: Part
    view: str
    view_target: str | None
    name: str | None
    debug: bool
    rel: str
    line: int
    column: int


@dataclass(eq=False)
class IncludeEntry:
    part: Part | None
    kind: str  # "module" | "inline" | "opaque"
    target: str  # dotted module / source text
    entries: list = field(default_factory=list)  # inline
    reason: str | None = None  # opaque
    debug: bool = False
    rel: str = ""
    line: int = 1


@dataclass(eq=False)
class StaticEntry:
    kind: str
    text: str
    debug: bool
    rel: str
    line: int
    column: int


Entry = RouteEntry | IncludeEntry | StaticEntry


class ModuleLookup(Protocol):
    """What a module asks of the reader that follows the includes: where a dotted module is,
    and a list variable another module defines."""

    def find(self, dotted: str) -> Path | None: ...

    def variable(self, module: str, name: str) -> tuple[list[Entry], list[Problem]] | None: ...


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


class UrlModule:
    """The urlpatterns (and other list variables) of one module, evaluated statement by
    statement."""

    def __init__(self, reader: ModuleLookup, dotted: str, tree: ast.Module, rel: str, package: str):
        self.reader = reader
        self.dotted = dotted
        self.rel = rel
        self.package = package
        self.names: dict[str, str] = {}  # local name -> dotted name it was imported as
        self.stars: list[str] = []  # modules star-imported, whose lists are visible here
        self.env: dict[str, tuple[list[Entry], list[Problem]]] = {}
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

    def _lookup(self, name: str) -> tuple[list[Entry], list[Problem]] | None:
        """A list variable of this module, or one a star import brought in."""
        if name in self.env:
            return self.env[name]
        return self._star_lookup(name)

    def _star_lookup(self, name: str) -> tuple[list[Entry], list[Problem]] | None:
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
    def _eval(self, node: ast.expr, debug: bool, problems: list[Problem]) -> list[Entry]:
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

    def _variable(self, node: ast.Name, problems: list[Problem]) -> list[Entry]:
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

    def _eval_call(self, call: ast.Call, debug: bool, problems: list[Problem]) -> list[Entry]:
        fn = self._callee(call.func)
        line, column = call.lineno, call.col_offset + 1
        if fn in ("static", "staticfiles_urlpatterns"):
            return [StaticEntry(fn, _short_call(fn, call), debug, self.rel, line, column)]
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
                IncludeEntry(part, "inline", "i18n_patterns", inner, None, debug, self.rel, line)
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
                IncludeEntry(part, "opaque", "debug_toolbar.urls", [], None, debug, self.rel, line)
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
    ) -> list[Entry]:
        out: list[Entry] = []
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
    ) -> Entry | None:
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
    ) -> Entry | None:
        text = self._pattern_text(pattern_node)
        if text is None:
            shown = _unparse(pattern_node) if pattern_node is not None else "nothing"
            self._problem(call, f"a route's pattern is {shown}, not a string literal", problems)
            return None
        part = Part(kind, text)
        line, column = call.lineno, call.col_offset + 1
        if compiled(part.kind, part.text, False) is None:
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
            return RouteEntry(part, target, target, name, debug, self.rel, line, column)
        target_node = view
        if (
            isinstance(view, ast.Call)
            and isinstance(view.func, ast.Attribute)
            and view.func.attr == "as_view"
        ):
            target_node = view.func.value
        target = self._qualify(target_node)
        return RouteEntry(part, _unparse(view), target, name, debug, self.rel, line, column)

    def _include_target(
        self, view: ast.AST, debug: bool, problems: list[Problem]
    ) -> IncludeEntry | None:
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
    ) -> IncludeEntry:
        if isinstance(arg, ast.Tuple) and arg.elts:
            arg = arg.elts[0]  # (module or patterns, app_name[, namespace])
        line = getattr(call, "lineno", 1)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return IncludeEntry(None, "module", arg.value, [], None, debug, self.rel, line)
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
                        return IncludeEntry(
                            None, "inline", dotted, list(found[0]), None, debug, self.rel, line
                        )
                return IncludeEntry(None, "module", dotted, [], None, debug, self.rel, line)
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
    ) -> IncludeEntry:
        entries = self._eval(node, debug, problems)
        line = getattr(call, "lineno", 1)
        return IncludeEntry(
            None, "inline", _unparse(node, 40), entries, None, debug, self.rel, line
        )

    def _opaque(
        self,
        node: ast.AST,
        part: Part | None,
        debug: bool,
        reason: str | None,
        target: str | None = None,
    ) -> IncludeEntry:
        return IncludeEntry(
            part,
            "opaque",
            target or _unparse(node),
            [],
            reason,
            debug,
            self.rel,
            getattr(node, "lineno", 1),
        )
