"""A module parsed in pieces is the tree a parse of the whole text gives (deep_equals, and the
same code), on the first parse and on a parse again after an edit that reuses the other pieces;
text where a cut would be wrong is parsed whole, and a syntax error is the whole module's."""

from __future__ import annotations

from textwrap import dedent

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods import (
    conn_max_age,
    cst_tools,
    deploy_security,
    installed_apps,
    module_level,
    piece_parse,
    settings_env,
)
from tests.test_deep_stack import statements


@pytest.fixture
def every_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut wherever a cut is allowed, so that small texts test the rule on every line."""
    monkeypatch.setattr(piece_parse, "MIN_PIECE", 1)
    monkeypatch.setattr(piece_parse, "WHOLE_BELOW", 1)
    piece_parse.forget()
    yield
    piece_parse.forget()


def _same_as_whole(source: str) -> cst.Module:
    tree = piece_parse.parse_module(source)
    assert tree.deep_equals(cst.parse_module(source))
    assert tree.code == source
    return tree


SHAPES = {
    "comments between statements": """\
        # header comment

        import os
        A = 1
        # owned by B
        B = 2

        C = 3  # trailing
        # footer
        """,
    "blocks and clauses": """\
        if A:
            B = 1
        elif C:
            B = 2
        else:
            B = 3
        D = 4
        try:
            import local
        except ImportError:
            local = None
        finally:
            E = 5
        F = 6
        """,
    "comments after a block": """\
        if A:
            B = 1
            # indented: the block's footer
        # at column 0: C's leading line
        C = 2
        """,
    "strings and brackets over lines": '''\
        A = """
        B = 1
        C = 2
        """
        D = [
        E,
        F]
        G = 1 + \\
        H
        I = 1
        ''',
    "decorators and functions": """\
        @decorator
        def f():
            X = [
        1,
        ]
        Y = 2
        class K:
            pass
        Z = 3
        """,
    "two-space indent": """\
        A = 1
        if A:
          B = 1
        C = 2
        if C:
          D = 2
        """,
    "indent changes between blocks": """\
        A = 1
        if A:
          B = 1
        C = 2
        if C:
            D = 2
        """,
    "match and soft keywords": """\
        match = 1
        case = 2
        match A:
            case 1:
                B = 1
        type = 3
        """,
    "no final newline": "A = 1\nB = 2",
    "semicolons": "A = 1; B = 2\nC = 3\n",
}


@pytest.mark.usefixtures("every_cut")
@pytest.mark.parametrize("name", SHAPES)
def test_every_cut_gives_the_whole_tree(name: str) -> None:
    _same_as_whole(dedent(SHAPES[name]))


@pytest.mark.usefixtures("every_cut")
def test_an_edit_reuses_the_other_pieces_and_still_gives_the_whole_tree() -> None:
    source = "import os\nA = 1\nB = os.environ['B']\nC = 3\n"
    first = _same_as_whole(source)
    second = _same_as_whole(source.replace("os.environ['B']", "env.int('B', default=2)"))
    # the statements the edit left are the first tree's own (not parsed again)
    assert [s is t for s, t in zip(first.body, second.body, strict=True)] == [
        True,
        True,
        False,
        True,
    ]


@pytest.mark.usefixtures("every_cut")
def test_the_same_piece_twice_is_two_trees() -> None:
    # positions are kept by node: a statement may not stand twice in one tree
    tree = _same_as_whole("A = 1\nB = 2\nA = 1\nB = 2\n")
    assert len({id(statement) for statement in tree.body}) == 4


@pytest.mark.usefixtures("every_cut")
def test_a_syntax_error_is_the_whole_modules() -> None:
    source = "A = 1\nB = (\nC = 2\n"
    with pytest.raises(cst.ParserSyntaxError) as pieces:
        piece_parse.parse_module(source)
    with pytest.raises(cst.ParserSyntaxError) as whole:
        cst.parse_module(source)
    assert str(pieces.value) == str(whole.value)


def test_a_long_settings_module_and_its_rewrites() -> None:
    piece_parse.forget()
    source = statements(5000)
    assert len(piece_parse.split(source)) > 10
    _same_as_whole(source)
    edited = source.replace("DEBUG = True", 'DEBUG = env.bool("DEBUG", default=False)')
    edited = edited.replace("FEATURE_2000 = ", "# a comment\nFEATURE_2000 = ")
    _same_as_whole(edited)
    piece_parse.forget()


def test_the_next_parse_after_item_5_reuses_the_statements_it_left() -> None:
    # item 5 rewrites the environment reads all over a long settings module (a quarter of the
    # statements here); the next item's parse of its text takes the other statements' trees
    # from the parse before (a piece is about a statement), not only pieces with no rewrite
    cst_tools.forget()
    source = statements(2000)
    before = cst_tools.parse_module(source)
    rewritten = settings_env.transform(source, settings_env.Plan()).code
    assert rewritten.count("env(") > 400
    after = cst_tools.parse_module(rewritten)
    old = {id(statement) for statement in before.body}
    kept = sum(1 for statement in after.body if id(statement) in old)
    assert kept > len(after.body) // 2
    assert after.deep_equals(cst.parse_module(rewritten))
    cst_tools.forget()


def _rewrites(source: str) -> list[object]:
    """What every settings codemod makes of `source`, the results whole."""
    cst_tools._PARSED.clear()  # no tree of the other way of parsing
    only = settings_env.Plan(only=frozenset({"DEBUG", "SECRET_KEY"}))
    return [
        vars(settings_env.transform(source, settings_env.Plan())),
        vars(settings_env.transform(source, only)),
        vars(conn_max_age.transform(source)),
        vars(deploy_security.transform(source)),
        vars(
            installed_apps.transform(
                source, app="common.apps.CommonConfig", middleware="common.middleware.Health"
            )
        ),
        settings_env.ensure_env(source.replace("import os", "import os\nX = env"), only),
    ]


@pytest.mark.slow
def test_codemods_on_a_module_in_pieces_give_what_they_give_on_a_whole_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = statements(5000).replace(
        "FEATURE_12 = os", "# DEBUG is read below\nDEBUG = os.environ.get('DEBUG')\nFEATURE_12 = os"
    )
    rewritten = [source, settings_env.transform(source, settings_env.Plan()).code]
    piece_parse.forget()
    in_pieces = [_rewrites(text) for text in rewritten]
    monkeypatch.setattr(piece_parse, "WHOLE_BELOW", len(source) * 2)
    whole = [_rewrites(text) for text in rewritten]
    assert in_pieces == whole
    piece_parse.forget()


@pytest.mark.usefixtures("every_cut")
@pytest.mark.parametrize("name", ["mixed quotes", "f-string with quotes inside"])
def test_string_literals_read_a_piece_at_a_time_are_the_whole_texts(name: str) -> None:
    source = dedent(
        """\
        A = 'single'
        B = "double"
        C = '''triple'''
        D = b"bytes"
        E = f"{A}"
        """
    )
    if name == "f-string with quotes inside":
        source += "F = f\"{'nested'}\"\n"
    tree = piece_parse.parse_module(source)
    assert piece_parse.pieces_of(tree) is not None
    assert module_level.string_tokens(source, tree) == module_level.string_tokens(source)
    assert module_level.quote_counts(tree, source) == module_level.quote_counts(
        cst.parse_module(source), source
    )


class _Tops(cst.CSTVisitor):
    """Every node of a module with the top-level statement it is in."""

    def __init__(self, module: cst.Module) -> None:
        self.tops = {id(statement) for statement in module.body}
        self.top: cst.CSTNode | None = None
        self.nodes: list[tuple[cst.CSTNode, cst.CSTNode | None]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) in self.tops:
            self.top = node
        self.nodes.append((node, self.top))
        return True


@pytest.mark.usefixtures("every_cut")
@pytest.mark.parametrize("name", SHAPES)
def test_positions_found_from_a_piece_are_libcsts(name: str) -> None:
    source = dedent(SHAPES[name])
    tree = piece_parse.parse_module(source)
    pieces = piece_parse.pieces_of(tree)
    if pieces is None:
        return  # parsed whole (no cut, or one that fails): StartPositions serves it as before
    wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
    expected = wrapper.resolve(PositionProvider)
    tops = _Tops(tree)
    tree.visit(tops)
    positions = module_level.PiecePositions(tree, pieces)
    for node, top in reversed(tops.nodes):  # the last first: no piece before it is generated
        want = expected[node].start
        assert positions.start(node, top) == (want.line, want.column)
