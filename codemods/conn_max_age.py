"""Persistent database connections: every alias of `DATABASES` gets `CONN_MAX_AGE` (read from
the environment) and, on Django 4.1 and later, `CONN_HEALTH_CHECKS = True`.

Pure source -> source. `transform(source)` returns the new source, the aliases it changed and
the ones it left alone with the reason. It runs after `settings_env`, so `env` (django-environ)
is available in the module.

The helpers in the first half of this module (`literal`, `string_code`,
`append_element`, `prepend_element`, `block_dict`, `module_statements`, ...) are shared with the
other settings codemods: they add elements to dict, list and tuple literals in the author's own
layout and find the statements that run when a settings module is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext

from codemods.module_level import ModuleLevelCommand, preferred_quote

CONN_MAX_AGE = "CONN_MAX_AGE"
CONN_HEALTH_CHECKS = "CONN_HEALTH_CHECKS"
#: keyword arguments of dj_database_url.config()/parse() that already set the two keys
CALL_KEYWORDS = {"conn_max_age": CONN_MAX_AGE, "conn_health_checks": CONN_HEALTH_CHECKS}


@dataclass
class Result:
    code: str
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (setting, line)
    left: list[tuple[str, int, str]] = field(default_factory=list)  # (setting, line, reason)


# -- shared helpers: literals, quotes, and adding elements in the author's layout ------------------

_EOL = cst.TrailingWhitespace()  # a line end without a comment
AnyAssign = TypeVar("AnyAssign", cst.Assign, cst.AnnAssign)
Container = TypeVar("Container", cst.Dict, cst.List, cst.Tuple, cst.Set)


def literal(node: cst.BaseExpression) -> tuple[bool, Any]:
    """(True, value) when node is a Python literal, else (False, None)."""
    try:
        return True, ast.literal_eval(cst.Module([]).code_for_node(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def code_of(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def string_code(value: str, quote: str, *, raw: bool = False) -> str:
    """Source of a string literal in the author's quote style."""
    plain = value.isprintable() and quote not in value
    if plain and raw and not value.endswith("\\"):
        return f"r{quote}{value}{quote}"
    if plain and "\\" not in value:
        return f"{quote}{value}{quote}"
    return repr(value)


def _open_whitespace(
    node: cst.Dict | cst.List | cst.Tuple | cst.Set,
) -> cst.BaseParenthesizableWhitespace | None:
    if isinstance(node, cst.Dict | cst.Set):
        return node.lbrace.whitespace_after
    if isinstance(node, cst.List):
        return node.lbracket.whitespace_after
    return node.lpar[0].whitespace_after if node.lpar else None


def _clean(ws: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """A copy of the whitespace between two elements without the comments it carries."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return ws


def separator(node: cst.Dict | cst.List | cst.Tuple | cst.Set) -> cst.Comma:
    """The comma (and line break) the author puts between two elements of this literal."""
    elements = node.elements
    if len(elements) >= 2 and isinstance(elements[0].comma, cst.Comma):
        return cst.Comma(whitespace_after=_clean(elements[0].comma.whitespace_after))
    ws = _open_whitespace(node)
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=_clean(ws))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def is_multiline(node: cst.Dict | cst.List | cst.Tuple | cst.Set) -> bool:
    return isinstance(separator(node).whitespace_after, cst.ParenthesizedWhitespace)


def _close_whitespace(
    node: cst.Dict | cst.List | cst.Tuple | cst.Set,
) -> cst.BaseParenthesizableWhitespace | None:
    if isinstance(node, cst.Dict | cst.Set):
        return node.rbrace.whitespace_before
    if isinstance(node, cst.List):
        return node.rbracket.whitespace_before
    return node.rpar[-1].whitespace_before if node.rpar else None


def _with_close_whitespace(node: Container, ws: cst.BaseParenthesizableWhitespace) -> Container:
    if isinstance(node, cst.Dict | cst.Set):
        return node.with_changes(rbrace=node.rbrace.with_changes(whitespace_before=ws))
    if isinstance(node, cst.List):
        return node.with_changes(rbracket=node.rbracket.with_changes(whitespace_before=ws))
    rpar = list(node.rpar)
    rpar[-1] = rpar[-1].with_changes(whitespace_before=ws)
    return node.with_changes(rpar=rpar)


def append_element(node: Container, element: Any) -> Container:
    """Add element at the end of a dict/list/tuple/set literal: on its own line with the same
    indent in a one-per-line literal, on the same line otherwise. A trailing comma stays a
    trailing comma, a comment at the end of the old last line stays on that line, and comment
    lines before the closing bracket stay before it."""
    elements = list(node.elements)
    if not elements:
        return node.with_changes(elements=[element.with_changes(comma=cst.MaybeSentinel.DEFAULT)])
    comma = separator(node)
    between = comma.whitespace_after
    last = elements[-1]
    trailing = last.comma if isinstance(last.comma, cst.Comma) else None
    new_comma: cst.Comma | cst.MaybeSentinel = trailing or cst.MaybeSentinel.DEFAULT
    if not isinstance(between, cst.ParenthesizedWhitespace):
        elements[-1] = last.with_changes(comma=comma)
        elements.append(element.with_changes(comma=new_comma))
        return node.with_changes(elements=elements)
    # one element per line: find the line break between the last element and the bracket
    close = _close_whitespace(node)
    tail = None
    if trailing is not None and isinstance(trailing.whitespace_after, cst.ParenthesizedWhitespace):
        tail = trailing.whitespace_after
        new_comma = trailing.with_changes(whitespace_after=tail.with_changes(first_line=_EOL))
    elif isinstance(close, cst.ParenthesizedWhitespace):
        tail = close
        node = _with_close_whitespace(node, close.with_changes(first_line=_EOL))
    after_old_last = between
    if tail is not None:
        after_old_last = between.with_changes(first_line=tail.first_line)
    old_comma = trailing or cst.Comma()
    elements[-1] = last.with_changes(comma=old_comma.with_changes(whitespace_after=after_old_last))
    elements.append(element.with_changes(comma=new_comma))
    return node.with_changes(elements=elements)


def prepend_element(node: Container, element: Any) -> Container:
    """Add element first in a dict/list/tuple/set literal, in the literal's layout."""
    if not node.elements:
        return append_element(node, element)
    first = element.with_changes(comma=separator(node))
    return node.with_changes(elements=[first, *node.elements])


def _line_break(indent: str, indent_flag: bool = True) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[],
        indent=indent_flag,
        last_line=cst.SimpleWhitespace(indent),
    )


def block_dict(
    elements: Sequence[cst.BaseDictElement], *, indent: str, closing: str, indent_flag: bool = True
) -> cst.Dict:
    """A dict literal with one element per line (trailing comma), elements at `indent` and the
    closing brace at `closing` (relative to the block when indent_flag, else absolute)."""
    inner = [
        e.with_changes(comma=cst.Comma(whitespace_after=_line_break(indent, indent_flag)))
        for e in elements[:-1]
    ]
    inner.append(
        elements[-1].with_changes(
            comma=cst.Comma(whitespace_after=_line_break(closing, indent_flag))
        )
    )
    return cst.Dict(
        elements=inner,
        lbrace=cst.LeftCurlyBrace(whitespace_after=_line_break(indent, indent_flag)),
        rbrace=cst.RightCurlyBrace(whitespace_before=cst.SimpleWhitespace("")),
    )


def explode_dict(node: cst.Dict, unit: str) -> cst.Dict:
    """A single-line dict laid out one element per line (a trailing comma when it has more than
    one element, as ruff and black write it)."""
    elements = list(node.elements)
    last_comma: cst.Comma | cst.MaybeSentinel = (
        cst.Comma(whitespace_after=_line_break(""))
        if len(elements) > 1
        else cst.MaybeSentinel.DEFAULT
    )
    laid = [
        e.with_changes(comma=cst.Comma(whitespace_after=_line_break(unit))) for e in elements[:-1]
    ]
    laid.append(elements[-1].with_changes(comma=last_comma))
    return node.with_changes(
        elements=laid,
        lbrace=cst.LeftCurlyBrace(whitespace_after=_line_break(unit)),
        rbrace=cst.RightCurlyBrace(
            whitespace_before=cst.SimpleWhitespace("") if len(elements) > 1 else _line_break("")
        ),
    )


class _Deeper(cst.CSTTransformer):
    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def leave_ParenthesizedWhitespace(
        self, original: cst.ParenthesizedWhitespace, updated: cst.ParenthesizedWhitespace
    ) -> cst.ParenthesizedWhitespace:
        lines = [
            line.with_changes(whitespace=cst.SimpleWhitespace(self.unit + line.whitespace.value))
            if line.comment is not None
            else line
            for line in updated.empty_lines
        ]
        return updated.with_changes(
            empty_lines=lines, last_line=cst.SimpleWhitespace(self.unit + updated.last_line.value)
        )


def deeper(node: cst.BaseExpression, unit: str) -> cst.BaseExpression:
    """node with its continuation lines one indent deeper (it moved into a nested literal)."""
    result = node.visit(_Deeper(unit))
    assert isinstance(result, cst.BaseExpression)
    return result


BLOCK_PARTS = (
    cst.If,
    cst.Else,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Finally,
    cst.MatchCase,
)


def _suites(node: cst.CSTNode) -> Iterator[cst.BaseSuite | cst.CSTNode]:
    for child in node.children:
        if isinstance(child, cst.BaseSuite):
            yield child
        elif isinstance(child, BLOCK_PARTS):
            yield child


def _walk(
    statement: cst.CSTNode, index: int, nested: bool
) -> Iterator[tuple[cst.BaseSmallStatement, int, bool]]:
    if isinstance(statement, cst.SimpleStatementLine | cst.SimpleStatementSuite):
        for small in statement.body:
            yield small, index, nested
        return
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        return  # their bodies do not run when the settings load
    for part in _suites(statement):
        if isinstance(part, cst.SimpleStatementSuite):
            yield from _walk(part, index, True)
        elif isinstance(part, cst.IndentedBlock):
            for inner in part.body:
                yield from _walk(inner, index, True)
        else:
            yield from _walk(part, index, True)


def module_statements(module: cst.Module) -> Iterator[tuple[cst.BaseSmallStatement, int, bool]]:
    """Every small statement that runs when the module is imported (not those in functions or
    classes), with the index of its top-level statement and whether it sits inside a block
    (`if`, `try`, `with`, loops)."""
    for index, statement in enumerate(module.body):
        yield from _walk(statement, index, False)


def assigned_name(small: cst.BaseSmallStatement) -> str | None:
    """NAME for `NAME = value` (one target) and `NAME: type = value`."""
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        return target.value if isinstance(target, cst.Name) else None
    if isinstance(small, cst.AnnAssign) and small.value is not None:
        return small.target.value if isinstance(small.target, cst.Name) else None
    return None


def describe(node: cst.BaseExpression) -> str:
    """A short description of an expression for a `left` reason."""
    text = code_of(node).split("\n", 1)[0]
    if len(text) > 40:
        text = text[:37] + "..."
    kind = {
        cst.Name: "the name",
        cst.Call: "the call",
        cst.Attribute: "the attribute",
        cst.Subscript: "the subscript",
        cst.BinaryOperation: "the expression",
    }.get(type(node), "the expression")
    return f"{kind} `{text}`"


# -- the transformation ----------------------------------------------------------------------------


def _databases_subscript(target: cst.BaseExpression) -> tuple[Any, ...] | None:
    """(alias,) for `DATABASES[alias]`, (alias, key) for `DATABASES[alias][key]`, literals only."""
    keys: list[Any] = []
    node = target
    while isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if not isinstance(index, cst.Index):
            return None
        ok, value = literal(index.value)
        if not ok:
            return None
        keys.insert(0, value)
        node = node.value
    if not m.matches(node, m.Name("DATABASES")) or not 1 <= len(keys) <= 2:
        return None
    return tuple(keys)


def _is_url_call(node: cst.BaseExpression) -> bool:
    """`dj_database_url.config(...)` / `.parse(...)` (imported as a module)."""
    return isinstance(node, cst.Call) and m.matches(
        node.func,
        m.Attribute(value=m.Name("dj_database_url"), attr=m.Name("config") | m.Name("parse")),
    )


def _pooled(entry: cst.Dict) -> bool:
    """The alias asks for a connection pool: OPTIONS holds "pool" with anything but False."""
    for element in entry.elements:
        if not isinstance(element, cst.DictElement) or literal(element.key) != (True, "OPTIONS"):
            continue
        if not isinstance(element.value, cst.Dict):
            return False
        for option in element.value.elements:
            if isinstance(option, cst.DictElement) and literal(option.key) == (True, "pool"):
                return literal(option.value) not in ((True, False), (True, None))
    return False


def _is_zero(node: cst.BaseExpression) -> bool:
    ok, value = literal(node)
    return ok and (value is None or (isinstance(value, int) and value == 0))


class PersistentConnections(ModuleLevelCommand):
    DESCRIPTION = "Keep database connections open between requests and check them before reuse."

    def __init__(self, context: CodemodContext, *, conn_max_age: int, health_checks: bool) -> None:
        super().__init__(context)
        self.conn_max_age = conn_max_age
        self.health_checks = health_checks
        self.result = Result("")
        self._depth = 0
        self._quote = '"'
        self._unit = "    "
        #: keys set later by `DATABASES[alias][key] = value`, per alias
        self._set_later: dict[Any, set[str]] = {}
        #: lines of `DATABASES[alias][key] = value`, per (alias, key)
        self._key_lines: dict[tuple[Any, ...], list[int]] = {}
        #: module-level names bound to a dj_database_url call (`db_from_env = ...config(...)`)
        self._url_calls: dict[str, cst.Call] = {}

    def visit_Module(self, node: cst.Module) -> bool:
        self._quote = preferred_quote(node, self.source)
        self._unit = node.default_indent
        for small, _, _ in module_statements(node):
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    keys = _databases_subscript(target.target)
                    if keys is not None and len(keys) == 2:
                        self._set_later.setdefault(keys[0], set()).add(keys[1])
                        self._key_lines.setdefault(keys, []).append(self._line(small))
                    if isinstance(target.target, cst.Name) and _is_url_call(small.value):
                        self._url_calls[target.target.value] = small.value  # type: ignore[assignment]
        for small, _, _ in module_statements(node):
            update = self._url_update(small)
            if update is not None:
                # DATABASES[alias].update(dj_database_url.config(...)) sets both keys
                # (dj-database-url 1.0+ writes CONN_HEALTH_CHECKS=False when not asked): the
                # missing ones go after it
                self._set_later.setdefault(update[0], set()).update(CALL_KEYWORDS.values())
        return True

    def _url_update(self, small: cst.BaseSmallStatement) -> tuple[Any, cst.Call] | None:
        """(alias, the dj_database_url call) for `DATABASES[alias].update(<call or its name>)`."""
        if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
            return None
        call = small.value
        if not m.matches(call.func, m.Attribute(attr=m.Name("update"))) or len(call.args) != 1:
            return None
        keys = _databases_subscript(call.func.value)  # type: ignore[union-attr]
        if keys is None or len(keys) != 1:
            return None
        arg = call.args[0].value
        if isinstance(arg, cst.Name):
            arg = self._url_calls.get(arg.value, arg)
        return (keys[0], arg) if _is_url_call(arg) else None  # type: ignore[return-value]

    def leave_SimpleStatementLine(self, original, updated):
        if self._depth or len(updated.body) != 1:
            return updated
        update = self._url_update(updated.body[0])
        if update is None:
            return updated
        alias, call = update
        line = self._line(original)
        present = self._call_keys(call) | {
            key
            for key in CALL_KEYWORDS.values()
            if any(later > line for later in self._key_lines.get((alias, key), []))
        }
        wanted = [CONN_MAX_AGE, CONN_HEALTH_CHECKS] if self.health_checks else [CONN_MAX_AGE]
        missing = [key for key in wanted if key not in present]
        if not missing:
            return updated
        key = code_of(self._str(alias)) if isinstance(alias, str) else repr(alias)
        target = f"DATABASES[{key}]"
        lines = [
            cst.parse_statement(
                f"{target}[{code_of(self._str(key))}] = {code_of(self._value_for(key))}\n"
            )
            for key in missing
        ]
        self.result.rewritten.append((f"DATABASES[{alias!r}]", line))
        return cst.FlattenSentinel([updated, *lines])

    # -- helpers -----------------------------------------------------------------------------------
    def _str(self, value: str) -> cst.BaseExpression:
        return cst.parse_expression(string_code(value, self._quote))

    def _max_age(self) -> cst.BaseExpression:
        var = string_code(CONN_MAX_AGE, self._quote)
        return cst.parse_expression(f"env.int({var}, default={int(self.conn_max_age)})")

    def _value_for(self, key: str) -> cst.BaseExpression:
        return self._max_age() if key == CONN_MAX_AGE else cst.Name("True")

    def _missing(self, alias: Any, present: set[str]) -> list[str]:
        """Keys to add to an alias that sets `present` (in the dict or via call keywords)."""
        present = present | self._set_later.get(alias, set())
        wanted = [CONN_MAX_AGE, CONN_HEALTH_CHECKS] if self.health_checks else [CONN_MAX_AGE]
        return [key for key in wanted if key not in present]

    @staticmethod
    def _call_keys(call: cst.BaseExpression) -> set[str]:
        if not isinstance(call, cst.Call):
            return set()
        return {
            CALL_KEYWORDS[arg.keyword.value]
            for arg in call.args
            if arg.keyword is not None and arg.keyword.value in CALL_KEYWORDS
        }

    # -- one alias ---------------------------------------------------------------------------------
    def _complete_dict(self, alias: Any, entry: cst.Dict) -> cst.Dict | None:
        """Add the missing keys to an alias given as a dict literal; None when nothing changes."""
        if _pooled(entry):
            # a connection pool (Django 5.1+, psycopg 3) keeps the connections: Django refuses
            # CONN_MAX_AGE next to it (ImproperlyConfigured)
            return None
        present: set[str] = set()
        replaced = False
        elements: list[cst.BaseDictElement] = []
        for element in entry.elements:
            if isinstance(element, cst.StarredDictElement):
                present |= self._call_keys(element.value)
            else:
                ok, key = literal(element.key)
                if ok and isinstance(key, str):
                    present.add(key)
                    if key == CONN_MAX_AGE and _is_zero(element.value):
                        element = element.with_changes(value=self._max_age())
                        replaced = True
            elements.append(element)
        new = entry.with_changes(elements=elements)
        missing = self._missing(alias, present)
        for key in missing:
            new = append_element(new, cst.DictElement(self._str(key), self._value_for(key)))
        return new if replaced or missing else None

    def _call_to_dict(
        self, alias: Any, call: cst.Call, *, indent: str, closing: str, indent_flag: bool
    ) -> cst.Dict | None:
        missing = self._missing(alias, self._call_keys(call))
        if not missing:
            return None
        elements: list[cst.BaseDictElement] = [cst.StarredDictElement(deeper(call, self._unit))]
        elements += [cst.DictElement(self._str(key), self._value_for(key)) for key in missing]
        return block_dict(elements, indent=indent, closing=closing, indent_flag=indent_flag)

    # -- DATABASES = {...} -------------------------------------------------------------------------
    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if self._depth or len(updated.targets) != 1:
            return updated
        target = updated.targets[0].target
        if m.matches(target, m.Name("DATABASES")):
            return self._databases(original, updated)
        keys = _databases_subscript(target)
        if keys is None:
            return updated
        line = self._line(original)
        label = f"DATABASES[{keys[0]!r}]"
        if len(keys) == 2:
            # DATABASES[alias]["CONN_MAX_AGE"] = 0
            if keys[1] == CONN_MAX_AGE and _is_zero(updated.value):
                self.result.rewritten.append((label, line))
                return updated.with_changes(value=self._max_age())
            return updated
        # DATABASES[alias] = {...} or = a call
        value = updated.value
        new: cst.Dict | None
        if isinstance(value, cst.Dict):
            new = self._complete_dict(keys[0], value)
        elif isinstance(value, cst.Call):
            new = self._call_to_dict(
                keys[0], value, indent=self._unit, closing="", indent_flag=True
            )
        else:
            self.result.left.append(
                (label, line, f"it is {describe(value)}, not a dict literal or a call")
            )
            return updated
        if new is None:
            return updated
        self.result.rewritten.append((label, line))
        return updated.with_changes(value=new)

    def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> cst.AnnAssign:
        if self._depth or updated.value is None:
            return updated
        if m.matches(updated.target, m.Name("DATABASES")):
            return self._databases(original, updated)
        return updated

    def _databases(self, original: AnyAssign, updated: AnyAssign) -> AnyAssign:
        line = self._line(original)
        value = updated.value
        if not isinstance(value, cst.Dict) or not isinstance(original.value, cst.Dict):
            self.result.left.append(
                ("DATABASES", line, f"it is {describe(value)}, not a dict literal")
            )
            return updated
        outer = value
        originals = list(original.value.elements)
        single_line = not is_multiline(outer) and not isinstance(
            outer.rbrace.whitespace_before, cst.ParenthesizedWhitespace
        )
        new_values: dict[int, cst.BaseExpression] = {}
        needs_block = False
        for i, element in enumerate(outer.elements):
            if isinstance(element, cst.StarredDictElement):
                self.result.left.append(
                    (
                        "DATABASES",
                        self._line(originals[i]),
                        f"it unpacks {describe(element.value)}: those aliases are not visible here",
                    )
                )
                continue
            ok, alias = literal(element.key)
            label = f"DATABASES[{alias!r}]" if ok else f"DATABASES[{code_of(element.key)}]"
            alias = alias if ok else None
            entry_line = self._line(originals[i])
            entry = element.value
            new: cst.BaseExpression | None
            if isinstance(entry, cst.Dict):
                new = self._complete_dict(alias, entry)
            elif isinstance(entry, cst.Call):
                if single_line:
                    indent, closing, flag = self._unit * 2, self._unit, True
                else:
                    column = self._column(originals[i])
                    if column is None:
                        self.result.left.append((label, entry_line, "its position is unknown"))
                        continue
                    indent, closing, flag = " " * column + self._unit, " " * column, False
                new = self._call_to_dict(
                    alias, entry, indent=indent, closing=closing, indent_flag=flag
                )
                needs_block = needs_block or new is not None
            else:
                self.result.left.append(
                    (label, entry_line, f"it is {describe(entry)}, not a dict literal or a call")
                )
                continue
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


def transform(source: str, *, conn_max_age: int = 60, health_checks: bool = True) -> Result:
    """Add CONN_MAX_AGE (from the environment, default `conn_max_age` seconds) and, when
    health_checks, CONN_HEALTH_CHECKS = True to every database alias of one settings module.
    Never raises on odd input: unparsable source comes back unchanged with a `left` entry."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return Result(
            source, left=[("<module>", error.raw_line, f"not valid Python: {error.message}")]
        )
    command = PersistentConnections(
        CodemodContext(), conn_max_age=conn_max_age, health_checks=health_checks
    )
    command.source = source
    new_module = command.transform_module(module)
    command.result.code = new_module.code
    return command.result
