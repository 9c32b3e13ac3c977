"""Register an app in INSTALLED_APPS and, optionally, put its middleware first in MIDDLEWARE.

Pure source -> source. `transform(source, app=..., middleware=...)` returns the new source, the
settings it changed and the ones it left alone with the reason.

Where the app goes: FIRST, so that its ready() runs before any other app's. It goes at the
start of the list or tuple literal that starts INSTALLED_APPS in this module, in the literal's
own layout (one entry per line stays one entry per line, a trailing comma stays). When
INSTALLED_APPS is a sum (`DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS`), that is the literal
bound to the first part. When the module extends its own definition (`INSTALLED_APPS += [...]`,
`INSTALLED_APPS = INSTALLED_APPS + [...]`, `.append()`), the definition is edited, not the
extension. Nothing changes when the app, its package (`common` for
`common.apps.CommonConfig`) or another AppConfig of the package is already listed.

The middleware goes first, into the literal that starts MIDDLEWARE (or MIDDLEWARE_CLASSES, the
pre-1.10 name; into both when the module defines both). Nothing changes when it is listed.

When the module computes the final value in a way djfix does not follow (`INSTALLED_APPS,
MIDDLEWARE = configure(INSTALLED_APPS, MIDDLEWARE)`, a call, a list imported from elsewhere),
the entry goes first in a statement after the last one that touches the setting:
`INSTALLED_APPS = ["common.apps.CommonConfig", *INSTALLED_APPS]`.

Left alone, with the reason: a setting this module does not define (it only extends one that
comes from another module), one set, replaced or unpacked inside a block (`if`, `try`), and an
app listed only inside a block (adding it again would install it twice when the block runs).

Lines in `rewritten` and `left` are lines of the source (of the literal that was changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from codemods.command import Context
from codemods.cst_tools import (
    append_element,
    assigned_name,
    fill_empty,
    find_all,
    is_attribute,
    is_name,
    literal,
    module_statements,
    parse_module,
    prepend_element,
    string_code,
)
from codemods.module_level import ModuleLevelCommand, module_code, preferred_quote

INSTALLED_APPS = "INSTALLED_APPS"
MIDDLEWARE_SETTINGS = ("MIDDLEWARE", "MIDDLEWARE_CLASSES")
COMPUTED_COMMENT = "# Health checks and startup probes first, once the lists are computed above"
MAX_DEPTH = 20  # names bound to names bound to sums: more than any settings module needs


@dataclass
class Result:
    code: str
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (setting, line)
    left: list[tuple[str, int, str]] = field(default_factory=list)  # (setting, line, reason)
    #: the settings that list the entry once the new source runs (already or by this rewrite)
    present: set[str] = field(default_factory=set)
    #: the settings this module only extends (`INSTALLED_APPS += [...]` after a star import):
    #: the entry belongs in the module that defines them
    inherited: set[str] = field(default_factory=set)


def app_spellings(app: str) -> tuple[str, str]:
    """(app, package): "common.apps.CommonConfig" -> ("common.apps.CommonConfig", "common")."""
    package = app.split(".apps.", 1)[0] if ".apps." in app else app
    return app, package


def _installs(entry: str, app: str) -> bool:
    """Whether an INSTALLED_APPS entry installs the same app (same package, same label)."""
    app, package = app_spellings(app)
    return entry in (app, package) or entry.startswith(package + ".apps.")


@dataclass(eq=False)
class _Leaf:
    """One part of a setting's value: a list/tuple literal this module binds, or an expression
    djfix does not look into (`opaque`)."""

    node: cst.BaseExpression
    via: tuple[str, ...]  # the names followed to reach it, outermost first
    opaque: bool
    statement: cst.BaseSmallStatement  # the assignment it is part of


class _Statements:
    """The module-level statements of a settings module, indexed for name look-ups."""

    def __init__(self, module: cst.Module) -> None:
        self.all = list(module_statements(module))

    def top_assignments(self, name: str) -> list[tuple[int, cst.BaseSmallStatement]]:
        return [
            (index, small)
            for small, index, nested in self.all
            if not nested and assigned_name(small) == name
        ]

    def binding_before(self, name: str, index: int) -> tuple[int, cst.BaseSmallStatement] | None:
        """The last top-level `name = value` in a statement before `index`."""
        found = None
        for at, small in self.top_assignments(name):
            if at < index:
                found = (at, small)
        return found

    def touching(self, names: set[str]) -> Iterator[tuple[cst.BaseSmallStatement, bool]]:
        """(statement, nested) for every assignment, augmented assignment, unpacking and
        `.append/.extend/.insert` call on one of `names`."""
        for small, _index, nested in self.all:
            if _touched_name(small) in names or any(_unpacks(small, n) for n in names):
                yield small, nested

    def unpackings(self, name: str) -> list[tuple[int, cst.BaseSmallStatement, bool]]:
        return [
            (index, small, nested) for small, index, nested in self.all if _unpacks(small, name)
        ]

    def last_touch(self, name: str) -> int:
        """The index of the last top-level statement that touches `name`, inside it or not."""
        return max(
            index
            for small, index, _nested in self.all
            if _touched_name(small) == name or _unpacks(small, name)
        )


def _reads(small: cst.BaseSmallStatement, name: str) -> bool:
    """Whether an assignment's value reads `name` (`X = X + [...]` extends X, not replaces it)."""
    value = getattr(small, "value", None)
    return value is not None and bool(find_all(value, lambda n: is_name(n, name)))


_LIST_METHODS = ("append", "extend", "insert")


def _touched_name(small: cst.BaseSmallStatement) -> str | None:
    """NAME for `NAME = ...`, `NAME += ...` and `NAME.append/extend/insert(...)`."""
    name = assigned_name(small)
    if name is not None:
        return name
    if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
        return small.target.value
    value = small.value if isinstance(small, cst.Expr) else None
    if (
        isinstance(value, cst.Call)
        and is_attribute(value.func, _LIST_METHODS)
        and is_name(value.func.value)  # type: ignore[attr-defined]
    ):
        return small.value.func.value.value  # type: ignore[attr-defined]
    return None


def _unpacks(small: cst.BaseSmallStatement, name: str) -> bool:
    """Whether a statement binds `name` as one of several targets: `A, B = f(A, B)`,
    `A = B = value`."""
    if not isinstance(small, cst.Assign):
        return False
    for target in small.targets:
        node = target.target
        if isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                value = element.value
                if isinstance(value, cst.StarredElement):
                    value = value.value
                if is_name(value, name):
                    return True
        elif len(small.targets) > 1 and is_name(node, name):
            return True
    return False


@dataclass(frozen=True)
class _Computed:
    """A setting whose final value this module computes in a way djfix does not follow (a call,
    an unpacking, an imported list): an entry goes into a statement after the last one that
    touches the setting."""

    index: int  # the top-level statement after which the new statement goes
    line: int  # where the value is computed


def _leaves(
    statements: _Statements,
    statement: cst.BaseSmallStatement,
    index: int,
    node: cst.BaseExpression | None = None,
    via: tuple[str, ...] = (),
    depth: int = 0,
) -> list[_Leaf]:
    """The parts of an assignment's value, left to right: `A + [...] + B` with A and B followed
    to the literals they are bound to in this module."""
    if node is None:
        node = statement.value  # type: ignore[attr-defined]
        assert node is not None
    if depth > MAX_DEPTH:
        return [_Leaf(node, via, True, statement)]
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _leaves(statements, statement, index, node.left, via, depth + 1) + _leaves(
            statements, statement, index, node.right, via, depth + 1
        )
    if isinstance(node, cst.List) or (isinstance(node, cst.Tuple) and node.lpar):
        return [_Leaf(node, via, False, statement)]
    if isinstance(node, cst.Name):
        bound = statements.binding_before(node.value, index)
        if bound is not None:
            at, small = bound
            return _leaves(statements, small, at, None, (*via, node.value), depth + 1)
    return [_Leaf(node, via, True, statement)]


class _Strings(cst.CSTVisitor):
    def __init__(self) -> None:
        self.values: list[str] = []

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        ok, value = literal(node)
        if ok and isinstance(value, str):
            self.values.append(value)


def _strings(node: cst.CSTNode) -> list[str]:
    visitor = _Strings()
    node.visit(visitor)
    return visitor.values


def _first_string(node: cst.List | cst.Tuple) -> str | None:
    if not node.elements:
        return None
    ok, value = literal(node.elements[0].value)
    return value if ok and isinstance(value, str) else None


class InstallApp(ModuleLevelCommand):
    DESCRIPTION = "Add an app to INSTALLED_APPS and its middleware first in MIDDLEWARE."

    def __init__(self, context: Context, *, app: str | None, middleware: str | None):
        super().__init__(context)
        self.app = app
        self.middleware = middleware
        self.result = Result("")
        self._quote = '"'
        self._unit = "    "
        #: literal node -> ("append" | "prepend", value), applied when the literal is left
        self._edits: dict[cst.CSTNode, list[tuple[str, str]]] = {}
        #: top-level statement index -> (setting, value) to put first in a statement after it
        self._after: dict[int, list[tuple[str, str]]] = {}
        #: the statements holding the literals of `_edits`
        self._edited: list[cst.BaseSmallStatement] = []

    # -- planning ----------------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> bool:
        self._quote = preferred_quote(node, self.source)
        self._unit = node.default_indent
        statements = _Statements(node)
        if self.app:
            self._plan_app(statements)
        if self.middleware:
            defined = [name for name in MIDDLEWARE_SETTINGS if any(statements.touching({name}))]
            for name in defined or ["MIDDLEWARE"]:
                self._plan_middleware(statements, name)
        # the hooks change only the literals planned here (leave_Module adds the rest)
        self.only_visit(node, self._edited)
        return True

    def _definition(
        self, statements: _Statements, name: str
    ) -> tuple[list[_Leaf], cst.CSTNode] | _Computed | str:
        """The parts of the setting's final value and the statement that sets it, where the
        value is computed in a way djfix does not follow, or the reason djfix leaves the
        setting alone."""
        top = statements.top_assignments(name)
        unpacked = statements.unpackings(name)
        nested = [small for small, _, inside in statements.all if inside]
        replaced = [
            small for small in nested if assigned_name(small) == name and not _reads(small, name)
        ] + [small for _, small, inside in unpacked if inside]
        top_unpacked = [(index, small) for index, small, inside in unpacked if not inside]
        if top_unpacked and not replaced and (not top or top_unpacked[-1][0] >= top[-1][0]):
            return _Computed(statements.last_touch(name), self.line_of(top_unpacked[-1][1]))
        if not top:
            if replaced:
                return (
                    f"{name} is set inside a block (if/try/with): djfix does not rewrite "
                    "conditional settings"
                )
            if any(True for _ in statements.touching({name})):
                # `INSTALLED_APPS += [...]` after `from .base import *`
                self.result.inherited.add(name)
                return (
                    f"{name} comes from another module (this one only extends it): "
                    "add the entry where it is defined"
                )
            return f"{name} is not defined in this module"
        if replaced:
            return (
                f"{name} is also replaced inside a block (if/try/with): djfix does not rewrite "
                "conditional settings"
            )
        index, small = top[-1]
        return _leaves(statements, small, index), small

    def _plan_app(self, statements: _Statements) -> None:
        assert self.app is not None
        found = self._definition(statements, INSTALLED_APPS)
        if isinstance(found, str):
            self.result.left.append((INSTALLED_APPS, 0, found))
            return
        leaves = [] if isinstance(found, _Computed) else found[0]
        family = {INSTALLED_APPS, *(name for leaf in leaves for name in leaf.via)}
        everywhere = [
            (value, nested)
            for small, nested in statements.touching(family)
            for value in _strings(small)
        ]
        everywhere += [(value, False) for leaf in leaves for value in _strings(leaf.node)]
        listed = [nested for value, nested in everywhere if _installs(value, self.app)]
        if listed and not all(listed):
            self.result.present.add(INSTALLED_APPS)
            return  # already installed
        line = found.line if isinstance(found, _Computed) else self.line_of(found[1])
        if listed:
            self.result.left.append(
                (
                    INSTALLED_APPS,
                    line,
                    f"{app_spellings(self.app)[1]} is added to INSTALLED_APPS only inside a block "
                    "(if/try/with): adding it again would install it twice",
                )
            )
            return
        if isinstance(found, _Computed):
            self._plan_after(found, INSTALLED_APPS, self.app)
            return
        first = leaves[0]
        if first.opaque:
            if is_name(first.node, INSTALLED_APPS):
                self.result.inherited.add(INSTALLED_APPS)
                self.result.left.append(
                    (
                        INSTALLED_APPS,
                        line,
                        f"{INSTALLED_APPS} comes from another module (this one only extends "
                        "it): add the app where it is defined",
                    )
                )
                return
            # `get_apps()`, an imported list: first once the value is computed
            self._plan_after(
                _Computed(statements.last_touch(INSTALLED_APPS), line), INSTALLED_APPS, self.app
            )
            return
        # first, so that its ready() (the startup probes) runs before any other app's
        self._edits.setdefault(first.node, []).append(("prepend", self.app))
        self._edited.append(first.statement)
        self.result.rewritten.append((INSTALLED_APPS, self.line_of(first.statement)))
        self.result.present.add(INSTALLED_APPS)

    def _plan_after(self, computed: _Computed, name: str, value: str) -> None:
        self._after.setdefault(computed.index, []).append((name, value))
        self.result.rewritten.append((name, computed.line))
        self.result.present.add(name)

    def _plan_middleware(self, statements: _Statements, name: str) -> None:
        assert self.middleware is not None
        found = self._definition(statements, name)
        if isinstance(found, str):
            self.result.left.append((name, 0, found))
            return
        if isinstance(found, _Computed):
            strings = [
                value for small, _ in statements.touching({name}) for value in _strings(small)
            ]
            if self.middleware not in strings:
                self._plan_after(found, name, self.middleware)
            self.result.present.add(name)
            return
        leaves, statement = found
        family = {name, *(n for leaf in leaves for n in leaf.via)}
        strings = [value for small, _ in statements.touching(family) for value in _strings(small)]
        strings += [value for leaf in leaves for value in _strings(leaf.node)]
        line = self.line_of(statement)
        first = leaves[0]
        if self.middleware in strings:
            self.result.present.add(name)
            if not first.opaque and _first_string(first.node) != self.middleware:  # type: ignore[arg-type]
                self.result.left.append(
                    (
                        name,
                        line,
                        f"{self.middleware} is in {name} but not first: middleware before it "
                        "sees health probes first",
                    )
                )
            return
        if first.opaque:
            if is_name(first.node, name):
                reason = (
                    f"{name} comes from another module (this one only extends it): "
                    "add the middleware where it is defined"
                )
                self.result.inherited.add(name)
                self.result.left.append((name, line, reason))
                return
            # it starts with `BASE_MIDDLEWARE` or a call: first once the value is computed
            self._plan_after(_Computed(statements.last_touch(name), line), name, self.middleware)
            return
        edits = self._edits.setdefault(first.node, [])
        if ("prepend", self.middleware) not in edits:
            edits.append(("prepend", self.middleware))
        self._edited.append(first.statement)
        self.result.rewritten.append((name, self.line_of(first.statement)))
        self.result.present.add(name)

    # -- rewriting ---------------------------------------------------------------------------------
    def _apply(self, original: cst.List | cst.Tuple, updated: cst.List | cst.Tuple):
        for how, value in self._edits.get(original, []):
            element = cst.Element(cst.parse_expression(string_code(value, self._quote)))
            if not updated.elements:
                updated = fill_empty(updated, [element], self._unit)
            elif how == "append":
                updated = append_element(updated, element)
            else:
                updated = prepend_element(updated, element)
        return updated

    def leave_List(self, original: cst.List, updated: cst.List) -> cst.List:
        return self._apply(original, updated)

    def leave_Tuple(self, original: cst.Tuple, updated: cst.Tuple) -> cst.Tuple:
        return self._apply(original, updated)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self._after:
            return updated
        # one group, after the last statement that touches any of them
        at = max(self._after)
        added = [
            cst.parse_statement(f"{name} = [{string_code(value, self._quote)}, *{name}]\n")
            for entries in self._after.values()  # in the order planned: INSTALLED_APPS first
            for name, value in entries
        ]
        comment = cst.EmptyLine(comment=cst.Comment(COMPUTED_COMMENT))
        added[0] = added[0].with_changes(leading_lines=[cst.EmptyLine(), comment])
        body = list(updated.body)
        return updated.with_changes(body=[*body[: at + 1], *added, *body[at + 1 :]])


def transform(source: str, *, app: str | None, middleware: str | None = None) -> Result:
    """Add `app` ("common.apps.CommonConfig") at the end of INSTALLED_APPS and, when given,
    `middleware` first in MIDDLEWARE / MIDDLEWARE_CLASSES of one settings module. `app=None`
    only handles the middleware (a split settings module that defines MIDDLEWARE alone).
    Never raises on odd input: unparsable source comes back unchanged with a `left` entry."""
    try:
        module = parse_module(source)
    except cst.ParserSyntaxError as error:
        return Result(
            source, left=[("<module>", error.raw_line, f"not valid Python: {error.message}")]
        )
    command = InstallApp(Context(), app=app, middleware=middleware)
    command.source = source
    new_module = command.transform_module(module)
    command.result.code = module_code(new_module, module)
    return command.result
