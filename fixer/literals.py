"""`ast.literal_eval`, without the garbage it leaves.

The standard library's version defines its helpers as closures at each call; a closure that calls
itself is a reference cycle, which only the cyclic collector frees. A run evaluates literals by
the hundred thousand in a large settings module, and djfix's collector runs rarely (see
`fixer.cli.COLLECTOR_THRESHOLDS`): the cycles piled up between collections. These helpers are
plain functions; what they accept, return and raise is the standard library's (Python 3.11).
"""

from __future__ import annotations

import ast
from typing import Any


def literal_eval(node_or_string: ast.AST | str) -> Any:
    """The value of a literal expression (a node or its source), as `ast.literal_eval`."""
    if isinstance(node_or_string, str):
        node_or_string = ast.parse(node_or_string.lstrip(" \t"), mode="eval")
    if isinstance(node_or_string, ast.Expression):
        node_or_string = node_or_string.body
    return _convert(node_or_string)


def _malformed(node: Any) -> None:
    msg = "malformed node or string"
    if lno := getattr(node, "lineno", None):
        msg += f" on line {lno}"
    raise ValueError(msg + f": {node!r}")


def _convert_num(node: Any) -> Any:
    if not isinstance(node, ast.Constant) or type(node.value) not in (int, float, complex):
        _malformed(node)
    return node.value


def _convert_signed_num(node: Any) -> Any:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _convert_num(node.operand)
        return +operand if isinstance(node.op, ast.UAdd) else -operand
    return _convert_num(node)


def _convert(node: Any) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(map(_convert, node.elts))
    if isinstance(node, ast.List):
        return list(map(_convert, node.elts))
    if isinstance(node, ast.Set):
        return set(map(_convert, node.elts))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "set"
        and node.args == node.keywords == []
    ):
        return set()
    if isinstance(node, ast.Dict):
        if len(node.keys) != len(node.values):
            _malformed(node)
        return dict(zip(map(_convert, node.keys), map(_convert, node.values), strict=False))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        left = _convert_signed_num(node.left)
        right = _convert_num(node.right)
        if isinstance(left, (int, float)) and isinstance(right, complex):
            return left + right if isinstance(node.op, ast.Add) else left - right
    return _convert_signed_num(node)
