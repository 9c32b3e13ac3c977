"""The shared LibCST helpers: `literal` reads what `ast.literal_eval` reads from the node's code
(its shortcuts change no answer), and `parse_module` shares the tree of the text it parsed last."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from codemods.cst_tools import forget, insert_element, literal, parse_module

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
    # the shapes read from the tree without a parse, and their edges
    "1j",
    "-1j",
    "-(1)",
    "- -1",
    "-(-1)",
    "-True",
    "+(1j)",
    "1 + 2 + 3j",
    "(1 + 2j) + 3j",
    "-1 + 2j",
    "1.5 - 2j",
    "1 + 2",
    "1 + 'a'",
    "1j + 1j",
    "'''triple'''",
    "''",
    '""""""',
    "u'unicode'",
    "R'raw'",
    "rb'raw bytes'",
    "B'bytes'",
    "'quote \\' inside'",
    '"é ünïcode"',
    "[*a]",
    "{**a}",
    "{'a': 1, **b}",
    "{[1]: 2}",
    "{[1]}",
    "{(1, [2]): 3}",
    "{(1, 2): 3}",
    '{"a": 1, "a": 2}',
    "{1, 1}",
    "[f()]",
    "[set()]",
    "[set(x)]",
    "(1,)",
    "()",
    "1, 2",
    "(1, 2)",
    "[1,\n 2]",
    "[1,  # a comment\n 2]",
    "0o17",
    "0b1_0",
    "00",
    "1e500",
    "1_0.5e1_0",
    "10j",
    "[1, [2, [3, name]]]",
    "{'a': f()}",
    "[True, False, None]",
    "(((1)))",
    "[..., ...]",
    "[a.b]",
    "[x == 1]",
    "[1 + 2j]",
    "(1, a)",
    "{1: a}",
    "{a: 1}",
    "[lambda: 1]",
    '["a" "b"]',
]


def _reference(code: str) -> tuple[bool, object]:
    try:
        return True, ast.literal_eval(code)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


@pytest.mark.parametrize("code", EXPRESSIONS)
def test_literal_reads_what_literal_eval_reads(code: str) -> None:
    node = cst.parse_expression(code)
    found = literal(node)
    expected = _reference(cst.Module([]).code_for_node(node))
    assert found == expected
    # the same value of the same type (1 == True == 1.0)
    assert repr(found) == repr(expected)
    assert type(found[1]) is type(expected[1])


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


def test_forget_drops_the_tree_kept() -> None:
    source = "A = 1\n"
    tree = parse_module(source)
    forget()
    assert parse_module(source) is not tree


def test_the_shapes_settings_are_made_of_are_read_without_a_parse(monkeypatch) -> None:
    nodes = [
        cst.parse_expression(code)
        for code in (
            '{"default": {"ENGINE": "django.db.backends.postgresql", "PORT": 5432}}',
            '["a", ("b", 1.5), {1, 2}, None, True, -1, 1 + 2j, ...]',
            "(FEATURE_NAME, FEATURE_LIMIT)",
        )
    ]
    parses: list[str] = []
    real = ast.parse
    monkeypatch.setattr(
        ast, "parse", lambda code, *a, **k: parses.append(code) or real(code, *a, **k)
    )
    assert [literal(node)[0] for node in nodes] == [True, True, False]
    assert parses == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # one per line: the comment ending the line before stays there, the comment lines
        # above the next element stay above it
        (
            '[\n    "a",  # end of a\n    # about c\n    "c",\n]',
            '[\n    "a",  # end of a\n    "b",\n    # about c\n    "c",\n]',
        ),
        ('["a", "c"]', '["a", "b", "c"]'),
        ("('a',\n 'c')", "('a',\n 'b',\n 'c')"),
    ],
)
def test_insert_element_keeps_the_layout(before: str, after: str) -> None:
    node = cst.parse_expression(before)
    element = cst.Element(cst.parse_expression('"b"' if '"' in before else "'b'"))
    new = insert_element(node, 1, element)  # type: ignore[arg-type]
    assert cst.Module([]).code_for_node(new) == after
