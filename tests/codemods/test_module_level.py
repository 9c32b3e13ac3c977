"""The base of the settings codemods: the positions it reports are LibCST's, its dispatch calls
the hooks a codemod defines and only those, and every settings codemod handles a settings module
of 5,000 statements (no RecursionError, the rewrite done, a second run changing nothing)."""

from __future__ import annotations

import ast
from textwrap import dedent

import libcst as cst
import libcst.matchers as m
import pytest
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods import (
    conn_max_age,
    cst_tools,
    deploy_security,
    piece_parse,
    redis_cache,
    settings_env,
)
from codemods.cst_tools import parse_module
from codemods.installed_apps import InstallApp
from codemods.module_level import (
    KEPT_PIECES,
    ModuleLevelCommand,
    PiecePositions,
    StartPositions,
    module_code,
)
from tests.test_deep_stack import statements

SHAPES = {
    "plain": """\
        import os

        SECRET_KEY = "x"
        DEBUG = True
        """,
    "comments-and-blocks": '''\
        """Settings."""
        # a comment above
        import os  # trailing

        if os.environ.get("CI"):  # why
            DATABASES = {
                "default": {  # the main one
                    "NAME": "db",
                },
            }
        else:
            DATABASES = {}
        # a comment at the end of the block

        try:
            from .local import *
        except ImportError:
            pass
        ''',
    "semicolons-and-continuations": """\
        A = 1; B = (
            2); C = 3
        D = \\
            4
        """,
    "decorators-functions-classes": """\
        @decorator
        @other(1)
        def helper(x,
                   y):
            return x; y


        class Settings(Base):
            NAME = "n"
        """,
    "no-trailing-newline": "X = 1\nY = [\n    1,\n]",
    "comments-only": "# nothing\n\n# here\n",
    "empty": "",
}


def libcst_starts(module: cst.Module) -> dict[cst.CSTNode, tuple[int, int]]:
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {node: (r.start.line, r.start.column) for node, r in positions.items()}


@pytest.mark.parametrize("source", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_start_positions_are_libcsts(source, newline):
    text = dedent(source).replace("\n", newline)
    module = cst.parse_module(text)
    expected = libcst_starts(module)
    starts = StartPositions(module)
    # asked in reverse order: the statements after the first node asked about are generated
    # then, and those before are not generated twice
    for node in reversed(list(expected)):
        assert starts.start(node) == expected[node], type(node).__name__
    assert len(starts.starts) == len(expected)


def test_start_positions_go_only_as_far_as_the_node_asked_about():
    module = cst.parse_module("A = 1\nB = 2\nC = [\n    3,\n]\n")
    starts = StartPositions(module)
    assert starts.start(module.body[1]) == (2, 0)
    assert module.body[2] not in starts.starts


def test_a_node_not_in_the_module_has_no_position():
    module = cst.parse_module("A = 1\n")
    starts = StartPositions(module)
    assert starts.start(cst.Name("A")) is None
    assert starts.start(module.body[0]) == (1, 0)


class _Recorder(ModuleLevelCommand):
    def __init__(self) -> None:
        super().__init__(CodemodContext())
        self.seen: list[str] = []
        self.lines: dict[str, int] = {}

    def visit_Name(self, node: cst.Name) -> bool:
        self.seen.append(node.value)
        self.lines[node.value] = self.line_of(node)
        return True

    def visit_Call(self, node: cst.Call) -> bool:
        return False  # the names inside a call are not visited

    def leave_Integer(self, original: cst.Integer, updated: cst.Integer) -> cst.Integer:
        return updated.with_changes(value=str(int(updated.value) + 1))


def test_the_hooks_a_codemod_defines_are_called_and_obeyed():
    command = _Recorder()
    module = command.transform_module(cst.parse_module("A = 1\nB = f(C)\n\nD = [\n    2,\n]\n"))
    assert module.code == "A = 2\nB = f(C)\n\nD = [\n    3,\n]\n"
    assert command.seen == ["A", "B", "D"]
    assert command.lines == {"A": 1, "B": 2, "D": 4}


class _Statements(ModuleLevelCommand):
    """Hooks on statements only: the insides of its small statements are not visited."""

    def __init__(self) -> None:
        super().__init__(CodemodContext())
        self.assigned: list[str] = []

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        self.assigned.append(cst.Module([]).code_for_node(original.targets[0].target))
        if self.line_of(original) == 3:
            return updated.with_changes(value=cst.Integer("0"))
        return updated


class _StatementsAndNames(_Statements):
    def visit_Name(self, node: cst.Name) -> None:
        pass


def test_a_codemod_with_statement_hooks_only_skips_the_expressions():
    source = "A = [x for x in y]\nif A:\n    B = lambda: (C := 1)\nD = f(lambda: 1)\n"
    for command in (_Statements(), _StatementsAndNames()):
        module = command.transform_module(cst.parse_module(source))
        assert module.code == "A = [x for x in y]\nif A:\n    B = 0\nD = f(lambda: 1)\n"
        assert command.assigned == ["A", "B", "D"]
        assert command.depth == 0
    assert _Statements._statement_hooks_only
    assert not _StatementsAndNames._statement_hooks_only


class _Commas(_Recorder):
    """A hook on a token: every whitespace and punctuation node is visited again."""

    def leave_Comma(self, original: cst.Comma, updated: cst.Comma) -> cst.Comma:
        return updated.with_changes(whitespace_after=cst.SimpleWhitespace("  "))


def test_whitespace_and_punctuation_are_not_entered_unless_hooked():
    # they hold no expression (LibCST's field types say so), so a visit inside one meets
    # nothing a hook looks at: a codemod without a hook on one keeps the very nodes parsed
    source = "A = [1, 2]  # two\nB = 1 + (2)\n"
    module = cst.parse_module(source)
    new = _Recorder().transform_module(module)
    assert new.code == "A = [2, 3]  # two\nB = 2 + (3)\n"
    first, second = module.body[0], new.body[0]
    assert first.trailing_whitespace is second.trailing_whitespace  # type: ignore[attr-defined]
    old_list = first.body[0].value  # type: ignore[attr-defined]
    new_list = second.body[0].value  # type: ignore[attr-defined]
    assert old_list.elements[0].comma is new_list.elements[0].comma
    assert old_list is not new_list  # an integer inside changed
    assert {cst.SimpleWhitespace, cst.Comma, cst.Add, cst.AssignEqual} <= _Recorder._plain_types
    assert not {cst.Name, cst.Integer, cst.SimpleString} & _Recorder._plain_types
    # a hook on one of them: every one is visited, and the hook applies
    assert not _Commas._plain_types
    assert _Commas().transform_module(module).code == "A = [2,  3]  # two\nB = 2 + (3)\n"


class _Skipping(_Recorder):
    def skip_statement(self, statement: cst.BaseStatement) -> bool:
        return "SKIP" in cst.Module([]).code_for_node(statement)


def test_skipped_statements_are_left_as_they_are():
    command = _Skipping()
    source = "A = 1\nif SKIP:\n    B = 2\nC = 3\n"
    module = command.transform_module(cst.parse_module(source))
    assert module.code == "A = 2\nif SKIP:\n    B = 2\nC = 4\n"
    assert command.seen == ["A", "C"]


class _Planned(_Recorder):
    """Plans in visit_Module to change the assignment to B, and visits only its line."""

    def visit_Module(self, node: cst.Module) -> bool:
        lines = [line for line in node.body if isinstance(line, cst.SimpleStatementLine)]
        self.only_visit(node, [small for line in lines for small in line.body if _is_b(small)])
        return True


def _is_b(small: cst.CSTNode) -> bool:
    target = small.targets[0].target if isinstance(small, cst.Assign) else None
    return isinstance(target, cst.Name) and target.value == "B"


def test_a_statement_no_hook_changed_is_the_parsed_one():
    # every statement is visited; those whose hooks all returned what they were given stay the
    # very nodes parsed (LibCST rebuilds what it visits), the compound ones too
    command = _Recorder()
    module = cst.parse_module("A = x\nB = 2\nif A:\n    C = y\nif B:\n    D = 3\n")
    new = command.transform_module(module)
    assert new.code == "A = x\nB = 3\nif A:\n    C = y\nif B:\n    D = 4\n"
    assert [a is b for a, b in zip(module.body, new.body, strict=True)] == [
        True,
        False,
        True,
        False,
    ]


def test_only_visit_leaves_the_other_lines_as_they_were():
    command = _Planned()
    module = cst.parse_module("A = 1\nB = 2\nif A:\n    C = 3\nD = 4\n")
    new = command.transform_module(module)
    # the compound statements are visited whatever the plan: the small ones it names are in them
    assert new.code == "A = 1\nB = 3\nif A:\n    C = 4\nD = 4\n"
    assert command.seen == ["B", "A", "C"]
    assert [a is b for a, b in zip(module.body, new.body, strict=True)] == [
        True,
        False,
        False,
        True,
    ]


def _long_module() -> tuple[str, cst.Module]:
    source = "# settings\n\n" + statements(600) + "# the end\n"
    module = parse_module(source)
    pieces = piece_parse.pieces_of(module)
    assert pieces is not None and len(pieces) >= 4  # parsed in pieces
    return source, module


def test_module_code_is_the_code_of_a_module_made_from_pieces():
    source, module = _long_module()
    assert module_code(module, module) == module.code == source
    body = list(module.body)
    middle = len(body) // 2
    changed = [
        [*body[:middle], cst.parse_statement("CHANGED = 1\n"), *body[middle + 1 :]],
        body[:middle] + body[middle + 1 :],
        [*body[:middle], cst.parse_statement("ADDED = 1\n"), *body[middle:]],
        body[1:-1],
        [*body[10:], *body[:10]],
        [],
    ]
    for new_body in changed:
        new = module.with_changes(body=new_body)
        assert module_code(new, module) == new.code
    no_newline = module.with_changes(body=body[:-1], has_trailing_newline=False)
    assert module_code(no_newline, module) == no_newline.code
    # a module not parsed in pieces: its code
    small = cst.parse_module("A = 1\n")
    assert module_code(small.with_changes(body=[]), small) == small.with_changes(body=[]).code


def test_the_positions_of_a_long_module_keep_a_few_pieces_at_a_time():
    module = parse_module(statements(3000))
    pieces = piece_parse.pieces_of(module)
    assert pieces is not None and len(pieces) > 2 * KEPT_PIECES
    positions = PiecePositions(module, pieces)
    expected = libcst_starts(module)
    for _, piece in pieces:  # a pass asks in order, a node of every piece
        assert positions.start(piece[-1], piece[-1]) == expected[piece[-1]]
    assert len(positions.states) <= KEPT_PIECES
    # a piece dropped and asked about again is generated again
    first = pieces[0][1][1]
    assert positions.start(first, first) == expected[first]
    # the code of the statements of dropped pieces is still read from the text
    codes = positions.codes(module.body)
    assert len(codes) >= len(module.body) - len(pieces)
    for statement, code in codes.values():
        assert code == module.code_for_node(statement)


def test_settings_codemods_keep_the_lines_they_do_not_change():
    # what they leave unvisited is the same statement, and its piece's text is not generated
    source, module = _long_module()
    commands = [
        InstallApp(CodemodContext(), app="common.apps.CommonConfig", middleware=None),
        conn_max_age.PersistentConnections(CodemodContext(), conn_max_age=60, health_checks=True),
        deploy_security.DeploySecurity(CodemodContext(), debug_defined=True, health_paths=()),
    ]
    for command in commands:
        module = parse_module(source)
        command.source = source
        new = command.transform_module(module)
        kept = sum(1 for a, b in zip(module.body, new.body, strict=False) if a is b)
        assert kept >= len(module.body) - 10, type(command).__name__
        assert module_code(new, module) == new.code


def test_the_code_of_a_statement_the_positions_went_through_is_its_pieces_text(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(piece_parse, "MIN_PIECE", 2_000)  # pieces of many statements
    cst_tools.forget()  # not the tree of the same text cut at every statement
    _, module = _long_module()
    pieces = piece_parse.pieces_of(module)
    assert pieces is not None
    positions = PiecePositions(module, pieces)
    # positions asked in the second piece, up to its third statement, and at the module's end
    second = pieces[1][1]
    assert positions.start(second[2], second[2]) is not None
    assert positions.start(module.body[-1], module.body[-1]) is not None
    codes = positions.codes(module.body)
    assert [id(s) for s in second[:3]] == [k for k in codes if codes[k][0] in second]
    assert module.body[-1] in [stmt for stmt, _ in codes.values()]
    for statement, code in codes.values():
        assert code == module.code_for_node(statement)
    # a statement not of the module, or one the positions did not reach, has none
    assert positions.codes([cst.parse_statement("X = 1\n"), second[3]]) == {}
    # the last line of a module without a final newline has no line break in the text
    bare = parse_module(statements(600).rstrip("\n"))
    bare_pieces = piece_parse.pieces_of(bare)
    assert bare_pieces is not None
    at_end = PiecePositions(bare, bare_pieces)
    assert at_end.start(bare.body[-1], bare.body[-1]) is not None
    assert bare.body[-1] not in [stmt for stmt, _ in at_end.codes(bare.body).values()]


def test_only_debug_and_secret_key_leaves_every_other_read():
    source = dedent(
        """\
        import os

        DEBUG = os.environ.get("DEBUG") == "1"
        NAME = os.environ.get("NAME", "shop")
        if os.environ.get("CI"):
            SECRET_KEY = "ci"
        SECRET_KEY = os.environ["SECRET_KEY"]
        """
    )
    only = settings_env.Plan(only=frozenset({"DEBUG", "SECRET_KEY"}))
    result = settings_env.transform(source, only)
    assert 'NAME = os.environ.get("NAME", "shop")' in result.code
    assert 'if os.environ.get("CI"):' in result.code
    assert 'SECRET_KEY = env("SECRET_KEY")' in result.code
    assert 'DEBUG = env.bool("DEBUG", default=False)' in result.code


LONG = statements(5000)


def assert_settles(code: str, again: str) -> None:
    ast.parse(code)
    assert again == code


@pytest.mark.slow
def test_settings_env_on_5000_statements():
    result = settings_env.transform(LONG, settings_env.Plan())
    assert '\nSECRET_KEY = env("SECRET_KEY")\n' in result.code
    assert 'FEATURE_4992 = env("FEATURE_4992", default="off")' in result.code
    assert result.rewritten == [("SECRET_KEY", 2), ("DEBUG", 3), ("DATABASES", 6)]
    assert_settles(result.code, settings_env.transform(result.code, settings_env.Plan()).code)
    only = settings_env.Plan(only=frozenset({"DEBUG", "SECRET_KEY"}))
    partial = settings_env.transform(LONG, only)
    assert 'SECRET_KEY = env("SECRET_KEY")' in partial.code
    assert 'FEATURE_0 = os.environ.get("FEATURE_0", "off")' in partial.code


@pytest.mark.slow
def test_conn_max_age_on_5000_statements():
    result = conn_max_age.transform(LONG)
    assert '"CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60)' in result.code
    assert result.rewritten == [("DATABASES['default']", 6)]
    assert_settles(result.code, conn_max_age.transform(result.code).code)


@pytest.mark.slow
def test_deploy_security_on_5000_statements():
    options = {
        "debug_defined": True,
        "settings_block": True,
        "inherited": frozenset(),
        "old_headers": False,
    }
    result = deploy_security.transform(LONG, **options)  # type: ignore[arg-type]
    assert "SECURE_PROXY_SSL_HEADER" in result.code
    assert result.code.startswith(LONG.split("\n", 1)[0])
    again = deploy_security.transform(result.code, **options)  # type: ignore[arg-type]
    assert_settles(result.code, again.code)


@pytest.mark.slow
def test_redis_cache_on_5000_statements():
    source = LONG + 'CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache"}}\n'
    result = redis_cache.transform(source)
    assert '"IGNORE_EXCEPTIONS": True' in result.code
    assert_settles(result.code, redis_cache.transform(result.code).code)


def test_a_hook_made_by_a_matcher_decorator_is_refused():
    # ModuleLevelCommand dispatches its hooks itself: a decorator's matcher would never run
    with pytest.raises(TypeError, match="matcher decorators"):

        class _Decorated(ModuleLevelCommand):
            @m.visit(m.Name("DEBUG"))
            def visit_debug_name(self, node: cst.Name) -> None:
                pass
