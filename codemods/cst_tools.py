"""Shared LibCST helpers of the settings codemods: read literals, write strings in the
author's quotes, add elements to dict, list and tuple literals in the author's own layout (one
per line or on one line, trailing comma, comments kept), find the statements that run when
a settings module is imported, and the few node shapes the codemods look for (`is_name`,
`is_attribute`, `find_all`: what they used `libcst.matchers` for, which costs a fifth of a
second to import).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import libcst as cst

from codemods import piece_parse
from fixer.literals import literal_eval

_EOL = cst.TrailingWhitespace()  # a line end without a comment
AnyAssign = TypeVar("AnyAssign", cst.Assign, cst.AnnAssign)
Container = TypeVar("Container", cst.Dict, cst.List, cst.Tuple, cst.Set)


_PARSED: dict[str, cst.Module] = {}  # parse_module's last tree, by its text


# -- shapes --------------------------------------------------------------------------------------


def is_name(node: object, *values: str) -> bool:
    """A name (one of `values`, when given)."""
    return isinstance(node, cst.Name) and (not values or node.value in values)


def is_attribute(node: object, attr: str | tuple[str, ...] = (), *, of: str | None = None) -> bool:
    """`x.attr` (an attribute of `attr`, or any; of the plain name `of`, when given)."""
    if not isinstance(node, cst.Attribute):
        return False
    if attr and node.attr.value not in ((attr,) if isinstance(attr, str) else attr):
        return False
    return of is None or is_name(node.value, of)


def is_single_assign(node: object, *names: str) -> bool:
    """`NAME = value` with one target, a name (one of `names`, when given)."""
    return (
        isinstance(node, cst.Assign)
        and len(node.targets) == 1
        and is_name(node.targets[0].target, *names)
    )


def is_docstring_line(statement: object) -> bool:
    """A line holding one string literal and nothing else (a module's docstring)."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString)
    )


class _FindAll(cst.CSTVisitor):
    def __init__(self, test: Callable[[cst.CSTNode], bool]) -> None:
        super().__init__()
        self.test = test
        self.found: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.test(node):
            self.found.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        pass


def find_all(node: cst.CSTNode, test: Callable[[cst.CSTNode], bool]) -> list[cst.CSTNode]:
    """Every node of `node`'s tree (itself included) that `test` accepts, in source order."""
    finder = _FindAll(test)
    node.visit(finder)
    return finder.found


def parse_module(source: str) -> cst.Module:
    """`cst.parse_module(source)`, remembered for the last text parsed. Codemods of one run
    often read the same text in turn (item 9's two rewrites of a settings module, when the
    first leaves it as it was); a LibCST tree is immutable and a parse depends on the text
    alone, so the tree is the same one a new parse would give. One tree is kept, so a long
    module's tree outlives its passes by one parse at most. A new text is parsed in pieces,
    again only where it differs from the last (`piece_parse`)."""
    tree = _PARSED.get(source)
    if tree is None:
        _PARSED.clear()
        tree = piece_parse.parse_module(source)
        _PARSED[source] = tree
    return tree


def forget() -> None:
    """Drop the tree `parse_module` keeps, and its pieces."""
    _PARSED.clear()
    piece_parse.forget()


# expressions `ast.literal_eval` refuses whatever is inside them (a call is refused unless it is
# `set()`, an operator unless it signs a number or joins a complex one)
_NEVER_LITERAL = (
    cst.Attribute,
    cst.Await,
    cst.BooleanOperation,
    cst.Comparison,
    cst.DictComp,
    cst.FormattedString,
    cst.GeneratorExp,
    cst.IfExp,
    cst.Lambda,
    cst.ListComp,
    cst.NamedExpr,
    cst.SetComp,
    cst.Subscript,
    cst.Yield,
)


def _with_subclasses(*classes: type) -> frozenset[type]:
    found = set(classes)
    todo = list(classes)
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return frozenset(found)


# the isinstance tests of `_never_literal` as look-ups of the node's type (LibCST's node classes
# are abstract-base-class instances: isinstance against a tuple of them costs microseconds, and
# a long settings module asks it thousands of times)
_NEVER_TYPES = _with_subclasses(*_NEVER_LITERAL)
_CALLS = _with_subclasses(cst.Call)
_BINARY = _with_subclasses(cst.BinaryOperation)
_UNARY = _with_subclasses(cst.UnaryOperation)
_ADD_SUBTRACT = _with_subclasses(cst.Add, cst.Subtract)
_NOT_INVERT = _with_subclasses(cst.Not, cst.BitInvert)


def _never_literal(node: cst.BaseExpression) -> bool:
    kind = type(node)
    if kind in _NEVER_TYPES:
        return True
    if kind in _CALLS:
        return not (is_name(node.func, "set") and not node.args)  # type: ignore[attr-defined]
    if kind in _BINARY:
        return type(node.operator) not in _ADD_SUBTRACT  # type: ignore[attr-defined]
    if kind in _UNARY:
        return type(node.operator) in _NOT_INVERT  # type: ignore[attr-defined]
    return False


def literal(node: cst.BaseExpression) -> tuple[bool, Any]:
    """(True, value) when node is a Python literal, else (False, None)."""
    try:
        # (`_value` refuses what `_never_literal` names, as the code generation and the parse
        # below would)
        return True, _value(node)
    except _Unsure:
        pass
    except (ValueError, TypeError, MemoryError, RecursionError):
        return False, None
    try:
        if type(node) is cst.SimpleString:
            # its code is its value in the parentheses and comments around it, which change
            # nothing the parser reads: no code generation for the commonest literal
            return True, literal_eval(node.value)
        return True, literal_eval(cst.Module([]).code_for_node(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


class _Unsure(Exception):
    """`_value` leaves the node to the code generation and the parse."""


_PLAIN_PREFIXES = frozenset({"", "u", "U", "r", "R"})
_NUMBERS = (cst.Integer, cst.Float, cst.Imaginary)


def _value(node: cst.BaseExpression) -> Any:
    """What `literal_eval` of the node's code gives, read from the tree: the parse of the
    generated code (a compile a literal, thousands in a long settings module) is saved for the
    shapes settings are made of; it raises what `literal_eval` would (ValueError for what is
    no literal, TypeError for an unhashable key), and `_Unsure` for any other shape."""
    if _never_literal(node):
        raise ValueError("no literal")
    kind = type(node)
    if kind is cst.SimpleString:
        token = node.value
        body = token.lstrip("rRbBuUfF")
        # a plain string without escapes (or a raw one, the same then) is the text between
        # its quotes; line breaks other than \n and NUL are left to the parser
        if token[: len(token) - len(body)] not in _PLAIN_PREFIXES or any(
            c in token for c in "\\\r\0"
        ):
            raise _Unsure
        quote = 3 if body[:3] in ('"""', "'''") else 1
        return body[quote:-quote]
    if kind is cst.Integer:
        return int(node.value, 0)  # type: ignore[attr-defined]
    if kind is cst.Float:
        return float(node.value)  # type: ignore[attr-defined]
    if kind is cst.Imaginary:
        return complex(node.value)  # type: ignore[attr-defined]
    if kind is cst.Name:
        constants = {"True": True, "False": False, "None": None}
        if node.value in constants:  # type: ignore[attr-defined]
            return constants[node.value]  # type: ignore[attr-defined]
        raise ValueError("a name")
    if kind is cst.List or kind is cst.Set or (kind is cst.Tuple and node.lpar):  # type: ignore[attr-defined]
        # (a tuple without parentheses may span lines its code alone does not parse)
        values = [_element(e) for e in node.elements]  # type: ignore[attr-defined]
        return (
            list(values)
            if kind is cst.List
            else tuple(values)
            if kind is cst.Tuple
            else set(values)
        )
    if kind is cst.Dict:
        keys: list[Any] = []
        values = []
        for element in node.elements:  # type: ignore[attr-defined]
            if not isinstance(element, cst.DictElement):
                raise ValueError("**")
            keys.append(_value(element.key))
            values.append(_value(element.value))
        return dict(zip(keys, values, strict=True))
    if kind is cst.UnaryOperation or kind is cst.BinaryOperation:
        return _signed(node)
    if kind is cst.Ellipsis:
        return ...
    if kind is cst.Call:  # `set()`, the one call `_never_literal` lets through
        return set()
    # (what is left: a tuple without parentheses, concatenated strings, and any shape
    # unknown here)
    raise _Unsure


def _element(element: cst.BaseElement) -> Any:
    if not isinstance(element, cst.Element):
        raise ValueError("*")
    return _value(element.value)


def _signed(node: cst.BaseExpression) -> Any:
    # literal_eval's numbers: a sign on a number, and a real number plus or minus an
    # imaginary one
    if isinstance(node, cst.UnaryOperation):
        if isinstance(node.operator, cst.Plus | cst.Minus) and isinstance(
            node.expression, _NUMBERS
        ):
            number = _value(node.expression)
            return +number if isinstance(node.operator, cst.Plus) else -number
        raise ValueError("an operator")
    if isinstance(node, cst.BinaryOperation) and isinstance(node.right, _NUMBERS):
        left = _signed(node.left) if not isinstance(node.left, _NUMBERS) else _value(node.left)
        right = _value(node.right)
        if isinstance(left, int | float) and isinstance(right, complex):
            return left + right if isinstance(node.operator, cst.Add) else left - right
    raise ValueError("an operator")


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


def insert_element(node: Container, index: int, element: Any) -> Container:
    """Add element at `index` of a dict/list/tuple/set literal, in the literal's layout: in a
    one-per-line literal on a line of its own, where a comment at the end of the line before
    stays on that line and comment lines above the next element stay above it."""
    elements = list(node.elements)
    if index >= len(elements):
        return append_element(node, element)
    if index <= 0:
        return prepend_element(node, element)
    before = elements[index - 1]
    comma = before.comma if isinstance(before.comma, cst.Comma) else separator(node)
    between = comma.whitespace_after
    if isinstance(between, cst.ParenthesizedWhitespace):
        elements[index - 1] = before.with_changes(
            comma=comma.with_changes(whitespace_after=between.with_changes(empty_lines=[]))
        )
        after = between.with_changes(first_line=cst.TrailingWhitespace())
        new_comma = cst.Comma(whitespace_after=after)
    else:
        elements[index - 1] = before.with_changes(comma=comma)
        new_comma = cst.Comma(whitespace_after=between)
    elements.insert(index, element.with_changes(comma=new_comma))
    return node.with_changes(elements=elements)


def line_break(indent: str, indent_flag: bool = True) -> cst.ParenthesizedWhitespace:
    """A line break followed by `indent` (relative to the block when indent_flag)."""
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
        e.with_changes(comma=cst.Comma(whitespace_after=line_break(indent, indent_flag)))
        for e in elements[:-1]
    ]
    inner.append(
        elements[-1].with_changes(
            comma=cst.Comma(whitespace_after=line_break(closing, indent_flag))
        )
    )
    return cst.Dict(
        elements=inner,
        lbrace=cst.LeftCurlyBrace(whitespace_after=line_break(indent, indent_flag)),
        rbrace=cst.RightCurlyBrace(whitespace_before=cst.SimpleWhitespace("")),
    )


def explode_dict(node: cst.Dict, unit: str) -> cst.Dict:
    """A single-line dict laid out one element per line (a trailing comma when it has more than
    one element, as ruff and black write it)."""
    elements = list(node.elements)
    last_comma: cst.Comma | cst.MaybeSentinel = (
        cst.Comma(whitespace_after=line_break(""))
        if len(elements) > 1
        else cst.MaybeSentinel.DEFAULT
    )
    laid = [
        e.with_changes(comma=cst.Comma(whitespace_after=line_break(unit))) for e in elements[:-1]
    ]
    laid.append(elements[-1].with_changes(comma=last_comma))
    return node.with_changes(
        elements=laid,
        lbrace=cst.LeftCurlyBrace(whitespace_after=line_break(unit)),
        rbrace=cst.RightCurlyBrace(
            whitespace_before=cst.SimpleWhitespace("") if len(elements) > 1 else line_break("")
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


def opening_whitespace(node: cst.List | cst.Tuple) -> cst.BaseParenthesizableWhitespace:
    return (
        node.lbracket.whitespace_after
        if isinstance(node, cst.List)
        else node.lpar[0].whitespace_after
    )


def with_bracket_whitespace(
    node: cst.List | cst.Tuple,
    opening: cst.BaseParenthesizableWhitespace,
    closing: cst.BaseParenthesizableWhitespace,
):
    if isinstance(node, cst.List):
        return node.with_changes(
            lbracket=node.lbracket.with_changes(whitespace_after=opening),
            rbracket=node.rbracket.with_changes(whitespace_before=closing),
        )
    return node.with_changes(
        lpar=[node.lpar[0].with_changes(whitespace_after=opening), *node.lpar[1:]],
        rpar=[node.rpar[0].with_changes(whitespace_before=closing), *node.rpar[1:]],
    )


def fill_empty(node: cst.List | cst.Tuple, elements: list[cst.Element], unit: str):
    """An empty list/tuple literal holding `elements`: one per line with a trailing comma when
    its brackets are on different lines (`[\n    # your apps\n]`, comments kept), else on one
    line. `unit` is the module's indent."""
    opening = opening_whitespace(node) if isinstance(node, cst.List) or node.lpar else None
    if not isinstance(opening, cst.ParenthesizedWhitespace):
        laid = [
            e.with_changes(comma=cst.Comma(cst.SimpleWhitespace(""), cst.SimpleWhitespace(" ")))
            for e in elements[:-1]
        ]
        laid.append(elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT))
        return node.with_changes(elements=laid)
    laid = [
        e.with_changes(comma=cst.Comma(whitespace_after=line_break(unit))) for e in elements[:-1]
    ]
    laid.append(elements[-1].with_changes(comma=cst.Comma(whitespace_after=line_break(""))))
    node = with_bracket_whitespace(
        node, opening.with_changes(last_line=cst.SimpleWhitespace(unit)), cst.SimpleWhitespace("")
    )
    return node.with_changes(elements=laid)


# -- comments of a literal that is rewritten -------------------------------------------------------


def comments_in(node: cst.CSTNode) -> list[cst.Comment]:
    """The comments inside node (its whitespace, commas and brackets included), in source
    order."""
    return find_all(node, lambda n: isinstance(n, cst.Comment))  # type: ignore[return-value]


def as_list(node: cst.List | cst.Tuple) -> cst.List:
    """A list literal with the elements of a list or parenthesized tuple literal, its layout,
    commas and comments kept."""
    if isinstance(node, cst.List) or not node.lpar:
        return node if isinstance(node, cst.List) else cst.List(elements=node.elements)
    return cst.List(
        elements=node.elements,
        lbracket=cst.LeftSquareBracket(whitespace_after=node.lpar[0].whitespace_after),
        rbracket=cst.RightSquareBracket(whitespace_before=node.rpar[-1].whitespace_before),
    )


def with_comment_lines(
    ws: cst.BaseParenthesizableWhitespace, comments: Sequence[cst.Comment], unit: str
) -> cst.ParenthesizedWhitespace:
    """The whitespace before an element of a literal, with `comments` on lines of their own
    right above the element, at its indent. Whitespace without a line break (the element
    follows on the same line) becomes a line break indented by `unit`."""
    if not isinstance(ws, cst.ParenthesizedWhitespace):
        ws = line_break(unit)
    lines = [cst.EmptyLine(indent=ws.indent, whitespace=ws.last_line, comment=c) for c in comments]
    return ws.with_changes(empty_lines=[*ws.empty_lines, *lines])
