"""setup.py: the install_requires=[...] literal of setup(), through libcst."""

from __future__ import annotations

import ast
from collections import Counter

import libcst as cst

from codemods.dependencies.requirement import (
    Package,
    Result,
    insert_index,
    item_key,
    joined_names,
    parse_req,
    pep508,
    pep508_style,
    sort_key,
    split_declared,
    string_literal,
    unsafe_note,
)

_ListLike = cst.List | cst.Tuple


class _SetupCalls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls = 0
        self.install_requires: list[cst.BaseExpression] = []
        self.assignments: dict[str, list[cst.BaseExpression]] = {}
        self._depth = 0

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
        if name != "setup":
            return
        self.calls += 1
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "install_requires":
                self.install_requires.append(arg.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.assignments.setdefault(target.target.value, []).append(node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.assignments.setdefault(node.target.value, []).append(node.value)


def _find_install_requires(module: cst.Module) -> _ListLike | str:
    visitor = _SetupCalls()
    module.visit(visitor)
    if not visitor.calls:
        return "has no setup() call"
    if not visitor.install_requires:
        return "has no install_requires in setup()"
    if len(visitor.install_requires) > 1:
        return "passes install_requires more than once"
    value = visitor.install_requires[0]
    if isinstance(value, cst.Name):
        assigned = visitor.assignments.get(value.value, [])
        if len(assigned) != 1:
            return f"builds install_requires from {value.value}, which is not one list literal"
        value = assigned[0]
    if not isinstance(value, _ListLike) or (isinstance(value, cst.Tuple) and not value.lpar):
        return "computes install_requires instead of writing a list literal"
    if not all(
        isinstance(e, cst.Element) and isinstance(e.value, cst.SimpleString) for e in value.elements
    ):
        return "has install_requires items that are not plain strings"
    return value


def _element_strings(node: _ListLike) -> list[str]:
    out = []
    for element in node.elements:
        assert isinstance(element.value, cst.SimpleString)
        value = element.value.evaluated_value
        out.append(value if isinstance(value, str) else value.decode())
    return out


def _opening(node: _ListLike) -> cst.BaseParenthesizableWhitespace:
    if isinstance(node, cst.List):
        return node.lbracket.whitespace_after
    return node.lpar[0].whitespace_after


def _with_opening(node: _ListLike, ws: cst.BaseParenthesizableWhitespace) -> _ListLike:
    if isinstance(node, cst.List):
        return node.with_changes(lbracket=node.lbracket.with_changes(whitespace_after=ws))
    first = node.lpar[0].with_changes(whitespace_after=ws)
    return node.with_changes(lpar=[first, *node.lpar[1:]])


def _closing(node: _ListLike) -> cst.BaseParenthesizableWhitespace:
    if isinstance(node, cst.List):
        return node.rbracket.whitespace_before
    return node.rpar[-1].whitespace_before


def _with_closing(node: _ListLike, ws: cst.BaseParenthesizableWhitespace) -> _ListLike:
    if isinstance(node, cst.List):
        return node.with_changes(rbracket=node.rbracket.with_changes(whitespace_before=ws))
    last = node.rpar[-1].with_changes(whitespace_before=ws)
    return node.with_changes(rpar=[*node.rpar[:-1], last])


def _split_attached(lines: list[cst.EmptyLine]) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """(lines that stay, the comment lines right above the next element)."""
    cut = len(lines)
    while cut > 0 and lines[cut - 1].comment is not None:
        cut -= 1
    return list(lines[:cut]), list(lines[cut:])


def _insert_element(node: _ListLike, index: int, value: cst.SimpleString) -> _ListLike:
    elements = list(node.elements)
    if not elements:
        comma = cst.Comma() if isinstance(node, cst.Tuple) else cst.MaybeSentinel.DEFAULT
        node = node.with_changes(elements=[cst.Element(value, comma=comma)])
        node = _with_opening(node, cst.SimpleWhitespace(""))
        return _with_closing(node, cst.SimpleWhitespace(""))

    def lead(i: int) -> cst.BaseParenthesizableWhitespace:
        if i == 0:
            return _opening(node)
        comma = elements[i - 1].comma
        return comma.whitespace_after if isinstance(comma, cst.Comma) else cst.SimpleWhitespace("")

    first_comma = elements[0].comma
    sep = (
        first_comma.whitespace_after
        if isinstance(first_comma, cst.Comma)
        and isinstance(first_comma.whitespace_after, cst.SimpleWhitespace)
        and first_comma.whitespace_after.value
        else cst.SimpleWhitespace(" ")
    )
    if index < len(elements):
        before = lead(index)
        if isinstance(before, cst.ParenthesizedWhitespace):
            stay, attached = _split_attached(list(before.empty_lines))
            if index == 0 and not stay:  # comments that open the list head all of it
                stay, attached = attached, []
            to_next = before.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=attached)
            new = cst.Element(value, comma=cst.Comma(whitespace_after=to_next))
            before = before.with_changes(empty_lines=stay)
            if index == 0:
                node = _with_opening(node, before)
            else:
                comma = elements[index - 1].comma
                assert isinstance(comma, cst.Comma)
                elements[index - 1] = elements[index - 1].with_changes(
                    comma=comma.with_changes(whitespace_after=before)
                )
        else:
            new = cst.Element(value, comma=cst.Comma(whitespace_after=sep))
        elements.insert(index, new)
        return node.with_changes(elements=elements)

    last = elements[-1]
    item_ws = lead(len(elements) - 1)
    if not isinstance(item_ws, cst.ParenthesizedWhitespace):
        item_ws = _opening(node)
    if not isinstance(item_ws, cst.ParenthesizedWhitespace):  # all on one line
        if isinstance(last.comma, cst.Comma):
            new = cst.Element(value, comma=last.comma)
            last = last.with_changes(comma=last.comma.with_changes(whitespace_after=sep))
        else:
            new = cst.Element(value)
            last = last.with_changes(comma=cst.Comma(whitespace_after=sep))
        return node.with_changes(elements=[*elements[:-1], last, new])
    closing = last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else _closing(node)
    to_item = item_ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    to_close = closing
    if isinstance(closing, cst.ParenthesizedWhitespace):
        # the last element's own comment stays on its line; trailing comment lines stay last
        to_item = to_item.with_changes(first_line=closing.first_line)
        to_close = closing.with_changes(first_line=cst.TrailingWhitespace())
    if isinstance(last.comma, cst.Comma):
        new = cst.Element(value, comma=last.comma.with_changes(whitespace_after=to_close))
        last = last.with_changes(comma=last.comma.with_changes(whitespace_after=to_item))
    else:
        new = cst.Element(value)
        last = last.with_changes(comma=cst.Comma(whitespace_after=to_item))
        node = _with_closing(node, to_close)
    return node.with_changes(elements=[*elements[:-1], last, new])


def add_setup_py(text: str, packages: list[Package], label: str) -> Result:
    """Declare `packages` in the install_requires list literal of setup.py's setup() call."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return Result(text, notes=[f"{label} does not parse ({exc.message}): left unchanged"])
    found = _find_install_requires(module)
    if isinstance(found, str):
        return Result(text, notes=[f"{label} {found}: add {joined_names(packages)} by hand"])
    values = _element_strings(found)
    reqs = [r for r in map(parse_req, values) if r]
    missing, already = split_declared(packages, {sort_key(r.name) for r in reqs})
    result = Result(text, already=already)
    if not missing:
        return result
    style = pep508_style(reqs)
    quotes = Counter(e.value.quote for e in found.elements if isinstance(e.value, cst.SimpleString))
    quote = "'" if quotes["'"] > quotes['"'] else '"'
    node: _ListLike = found
    items = [pep508(pkg, style) for pkg in missing]
    for item in items:
        keys = [item_key(v) for v in _element_strings(node)]
        at = insert_index(keys, item_key(item))
        literal = cst.SimpleString(string_literal(item, quote))
        node = _insert_element(node, len(keys) if at is None else at, literal)
    new_text = module.deep_replace(found, node).code
    after = _find_install_requires(cst.parse_module(new_text))
    if isinstance(after, str) or Counter(_element_strings(after)) != Counter(values + items):
        return Result(
            text, already=already, notes=[unsafe_note(label, "install_requires", missing)]
        )
    try:
        ast.parse(new_text)
    except SyntaxError:
        return Result(
            text, already=already, notes=[unsafe_note(label, "install_requires", missing)]
        )
    result.text = new_text
    result.added = [pkg.name for pkg in missing]
    return result
