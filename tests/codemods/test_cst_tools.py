"""The shared LibCST helpers: `literal` reads what `ast.literal_eval` reads from the node's code
(its shortcuts change no answer), and `parse_module` shares the tree of the text it parsed last."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from codemods.cst_tools import literal, parse_module

EXPRESSIONS = [
    '"plain"',
    "'single'",
    'r"raw\\d"',
    'b"bytes"',
    '"""triple\nquoted"""',
    '"escaped\\n\\x41"',
    '("parenthesised"  # a comment\n)',
    '"implicit" "concatenation"',
    'f"formatted {x}"',
    'f"no fields"',
    "42",
    "0x1F",
    "1_000",
    "-3",
    "+3.5",
    "~1",
    "not True",
    "1 + 2j",
    "1 - 2j",
    "2 * 3",
    "[1, 2, (3, 4)]",
    '{"a": [1], "b": {"c": None}}',
    "{1, 2}",
    "set()",
    "set([1])",
    "frozenset()",
    "dict(a=1)",
    "True",
    "None",
    "name",
    "os.environ",
    "x == 1",
    "a and b",
    "a[0]",
    "lambda: 1",
    "1 if a else 2",
    "[x for x in y]",
    "{x for x in y}",
    "{x: 1 for x in y}",
    "(x for x in y)",
    "(y := 1)",
    'BASE_DIR / "data"',
    "(1, 2) + (3,)",
    '"a" + "b"',
    "...",
]


def _reference(code: str) -> tuple[bool, object]:
    try:
        return True, ast.literal_eval(code)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


@pytest.mark.parametrize("code", EXPRESSIONS)
def test_literal_reads_what_literal_eval_reads(code: str) -> None:
    node = cst.parse_expression(code)
    assert literal(node) == _reference(cst.Module([]).code_for_node(node))


def test_parse_module_shares_the_tree_of_the_same_text() -> None:
    source = 'SECRET_KEY = "x"  # a comment\nDEBUG = True\n'
    tree = parse_module(source)
    assert parse_module(source) is tree
    assert tree.code == source
    other = parse_module(source + "X = 1\n")
    assert other is not tree and other.code == source + "X = 1\n"
    # only the last text is kept
    assert parse_module(source) is not tree
    assert parse_module(source).deep_equals(tree)
