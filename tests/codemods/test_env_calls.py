"""The env(...) calls item 5 writes: made from a call parsed once per method, they are the tree
a parse of their code gives."""

from __future__ import annotations

import libcst as cst
import pytest

from codemods.env_calls import build_env_call, py_literal


@pytest.mark.parametrize("method", [None, "bool", "int", "list", "db", "str"])
@pytest.mark.parametrize("var", ["SECRET_KEY", "A_B_1", 'QUOTE"D', "QUOTE'S", "BACK\\SLASH", "é"])
@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_call_is_the_tree_its_code_parses_to(method, var, quote) -> None:
    func = "env" if method is None else f"env.{method}"
    parsed = cst.parse_expression(f"{func}({py_literal(var, quote)})")
    made = build_env_call(method, var, quote=quote)
    assert made.deep_equals(parsed)
    assert cst.Module([]).code_for_node(made) == cst.Module([]).code_for_node(parsed)


def test_defaults_follow_the_variable() -> None:
    call = build_env_call("bool", "DEBUG", False, quote='"')
    assert cst.Module([]).code_for_node(call) == 'env.bool("DEBUG", default=False)'
    node = cst.parse_expression('BASE_DIR / "db"')
    call = build_env_call("db", "DATABASE_URL", default_node=node, quote="'")
    assert cst.Module([]).code_for_node(call) == "env.db('DATABASE_URL', default=BASE_DIR / \"db\")"
