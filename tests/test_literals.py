from __future__ import annotations

import ast
import gc
import re

import pytest

from fixer.literals import literal_eval

SOURCES = [
    "1",
    "-1.5",
    "+2",
    "1 + 2j",
    "-1 - 2j",
    "'text'",
    "b'bytes'",
    "None",
    "(1, 'a', [True, {'k': {2, 3}}])",
    "set()",
    "{'a': 1, 'b': (2,)}",
]

MALFORMED = ["x", "f(1)", "1 + 2", "{**other}", "-'a'", "set([1])", "[1, y]"]


@pytest.mark.parametrize("source", SOURCES)
def test_a_literal_has_the_standard_librarys_value(source):
    assert literal_eval(source) == ast.literal_eval(source)
    node = ast.parse(source, mode="eval").body
    assert literal_eval(node) == ast.literal_eval(node)


@pytest.mark.parametrize("source", MALFORMED)
def test_what_is_no_literal_raises_the_standard_librarys_error(source):
    with pytest.raises(ValueError) as ours:
        literal_eval(source)
    with pytest.raises(ValueError) as theirs:
        ast.literal_eval(source)
    # the message names the node by its repr, whose address differs
    assert re.sub(" at 0x[0-9a-f]+", "", str(ours.value)) == re.sub(
        " at 0x[0-9a-f]+", "", str(theirs.value)
    )


def test_an_evaluation_leaves_nothing_for_the_cyclic_collector():
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for source in SOURCES:
            literal_eval(source)
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
