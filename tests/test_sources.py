from __future__ import annotations

import ast

from fixer import sources
from fixer.sources import NodeAt, SourceCache


def read(tmp_path, raw: bytes, name: str = "m.py"):
    path = tmp_path / name
    path.write_bytes(raw)
    f = SourceCache(tmp_path).python(path)
    f.tree  # noqa: B018 - parsing is lazy
    return f


def test_plain_utf8_parses(tmp_path):
    f = read(tmp_path, b"X = 1\n")
    assert f.problem is None and f.tree is not None


def test_bom_and_crlf_are_read(tmp_path):
    f = read(tmp_path, b"\xef\xbb\xbfX = 1\r\nY = 2\r\n")
    assert f.problem is None
    assert f.bom is True
    assert f.text == "X = 1\nY = 2\n"


def test_latin1_with_coding_line_is_decoded(tmp_path):
    f = read(tmp_path, b"# -*- coding: latin-1 -*-\nNAME = '\xe9'\n")
    assert f.problem is None
    assert "é" in f.text


def test_latin1_without_coding_line_is_undecodable(tmp_path):
    f = read(tmp_path, b"X = 1\nNAME = '\xe9'\n")
    assert f.text is None
    assert f.problem.kind == "undecodable"
    assert f.problem.line == 2
    assert "byte 0xe9 at line 2 is not valid utf-8" in f.problem.message


def test_python2_print_statement(tmp_path):
    f = read(tmp_path, b'print "hello"\n')
    assert f.tree is None
    assert f.problem.kind == "python2"
    assert "Python 2" in f.problem.message


def test_python2_except_comma(tmp_path):
    f = read(tmp_path, b"try:\n    pass\nexcept ValueError, e:\n    pass\n")
    assert f.problem.kind == "python2"


def test_newer_syntax_is_named_as_such(tmp_path):
    # PEP 695 type aliases parse from Python 3.12 on
    f = read(tmp_path, b"type Point = tuple[float, float]\n")
    assert f.tree is None
    assert f.problem.kind == "newer-syntax"
    assert "newer than Python 3." in f.problem.message


def test_plain_syntax_error(tmp_path):
    f = read(tmp_path, b"def f(:\n")
    assert f.problem.kind == "syntax"
    assert f.problem.line == 1


def test_unreadable_symlink_loop(tmp_path):
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    f = SourceCache(tmp_path).python(tmp_path / "loop.py")
    assert f.text is None
    assert f.problem.kind == "unreadable"


def test_each_file_is_read_once(tmp_path):
    (tmp_path / "m.py").write_text("X = 1\n")
    cache = SourceCache(tmp_path)
    assert cache.python(tmp_path / "m.py") is cache.python(tmp_path / "m.py")


def test_a_cache_sharing_the_store_reads_nothing_again(tmp_path):
    (tmp_path / "m.py").write_text("X = 1\n")
    first = SourceCache(tmp_path)
    f = first.python(tmp_path / "m.py")
    assert f.tree is not None
    second = SourceCache(tmp_path, {}, first.store)
    assert second.python(tmp_path / "m.py") is f
    assert (first.store.reads, first.store.parses) == (1, 1)


def test_a_planned_text_equal_to_the_file_is_the_same_file(tmp_path):
    (tmp_path / "m.py").write_text("X = 1\n")
    first = SourceCache(tmp_path)
    on_disk = first.python(tmp_path / "m.py")
    same = SourceCache(tmp_path, {"m.py": "X = 1\n"}, first.store).python(tmp_path / "m.py")
    changed = SourceCache(tmp_path, {"m.py": "X = 2\n"}, first.store).python(tmp_path / "m.py")
    again = SourceCache(tmp_path, {"m.py": "X = 2\n"}, first.store).python(tmp_path / "m.py")
    assert same is on_disk
    assert changed is not on_disk and changed.text == "X = 2\n"
    assert again is changed  # one parse per planned content, whichever discovery asks


def test_release_drops_the_tree_and_memo_keeps_what_was_learnt(tmp_path):
    (tmp_path / "m.py").write_text("X = 1\nY = 2\n")
    cache = SourceCache(tmp_path)
    f = cache.python(tmp_path / "m.py")
    assert f.memo("names", lambda: [n.targets[0].id for n in f.tree.body]) == ["X", "Y"]
    assert f.has_tree
    f.release()
    assert not f.has_tree
    assert f.memo("names", lambda: []) == ["X", "Y"]
    assert cache.store.parses == 1
    assert f.tree is not None  # parsed again on demand
    assert cache.store.parses == 2


def test_a_syntax_error_is_parsed_once(tmp_path):
    (tmp_path / "m.py").write_text("def f(:\n")
    cache = SourceCache(tmp_path)
    f = cache.python(tmp_path / "m.py")
    assert f.tree is None and f.tree is None
    assert f.problem is not None and f.problem.kind == "syntax"
    assert cache.store.parses == 1


def test_a_type_alias_statement_is_newer_syntax_on_an_older_python(tmp_path):
    import sys

    f = read(tmp_path, b"from typing import Any\n\ntype Payload = dict[str, Any]\n")
    if sys.version_info >= (3, 12):
        assert f.problem is None
    else:
        assert f.problem is not None
        assert (f.problem.kind, f.problem.line) == ("newer-syntax", 3)


def test_what_is_remembered_is_computed_once_per_store(tmp_path):
    first = SourceCache(tmp_path)
    calls = []
    assert first.store.remember("k", lambda: calls.append(1) or "v") == "v"
    again = SourceCache(tmp_path, {"m.py": "X = 2\n"}, first.store)  # a rediscovery's cache
    assert again.store.remember("k", lambda: calls.append(1) or "w") == "v"
    assert SourceCache(tmp_path).store.remember("k", lambda: "fresh") == "fresh"  # another run
    assert calls == [1]


def test_relative_paths_are_those_of_pathlib(tmp_path):
    cache = SourceCache(tmp_path)
    for path in (
        tmp_path / "a/b.py",
        tmp_path,
        tmp_path / "a/../c.py",
        tmp_path.parent / f"{tmp_path.name}x/d.py",  # a sibling whose name starts the same
        tmp_path.parent / "elsewhere/e.py",
    ):
        try:
            expected = path.relative_to(tmp_path).as_posix()
        except ValueError:
            expected = path.as_posix()
        assert cache.rel(path) == expected


def test_statement_at_finds_a_statement_inside_blocks(tmp_path):
    (tmp_path / "m.py").write_text(
        "import os\n"
        "A = 1\n"
        "if os.environ.get('X'):\n"
        "    try:\n"
        "        B = 2\n"
        "    except KeyError:\n"
        "        C = 3\n"
        "    finally:\n"
        "        D = 4; E = 5\n"
        "else:\n"
        "    APPS.append('x')\n"
    )
    f = SourceCache(tmp_path).python(tmp_path / "m.py")
    found = {
        (line, col): ast.unparse(f.statement_at(line, col))
        for line, col in [(2, 0), (5, 8), (7, 8), (9, 8), (9, 15), (11, 4)]
    }
    assert found == {
        (2, 0): "A = 1",
        (5, 8): "B = 2",
        (7, 8): "C = 3",
        (9, 8): "D = 4",
        (9, 15): "E = 5",
        (11, 4): "APPS.append('x')",
    }
    call = NodeAt(f, 11, 4, call=True).node
    assert isinstance(call, ast.Call) and ast.unparse(call) == "APPS.append('x')"


def test_trees_past_the_budget_are_dropped_oldest_first(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "TREE_BUDGET", 25)
    for name in "abc":
        (tmp_path / f"{name}.py").write_text(f"{name.upper()} = 1\nX = 2\n")  # 12 characters
    cache = SourceCache(tmp_path)
    a, b, c = (cache.python(tmp_path / f"{name}.py") for name in "abc")
    a.tree, b.tree  # noqa: B018 - parsing is lazy
    assert a.has_tree and b.has_tree
    c.tree  # noqa: B018 - a is dropped before c is parsed
    assert (a.has_tree, b.has_tree, c.has_tree) == (False, True, True)
    b.release()
    a.tree  # noqa: B018 - parsed again: the budget holds a and c
    assert (a.has_tree, b.has_tree, c.has_tree) == (True, False, True)
    assert cache.store.parses == 4


def test_the_tree_of_a_file_longer_than_the_budget_is_kept_beside_it(tmp_path, monkeypatch):
    # a settings module of megabytes: the short files parsed while it is worked on neither drop
    # its tree nor are dropped for it; the tree of another long file (another planned text of
    # it) takes its place
    monkeypatch.setattr(sources, "TREE_BUDGET", 25)
    for name in "ab":
        (tmp_path / f"{name}.py").write_text(f"{name.upper()} = 1\nX = 2\n")  # 12 characters
    for name in ("long", "other"):
        (tmp_path / f"{name}.py").write_text("".join(f"V{i} = {i}\n" for i in range(10)))
    cache = SourceCache(tmp_path)
    a, b, long, other = (cache.python(tmp_path / f"{n}.py") for n in ("a", "b", "long", "other"))
    long.tree, a.tree, b.tree  # noqa: B018 - parsing is lazy
    assert (long.has_tree, a.has_tree, b.has_tree) == (True, True, True)
    other.tree  # noqa: B018 - one long tree at a time
    assert (long.has_tree, other.has_tree, a.has_tree, b.has_tree) == (False, True, True, True)
    long.tree  # noqa: B018 - parsed again, in the place of the other
    assert (long.has_tree, other.has_tree) == (True, False)
    assert cache.store.parses == 5
    long.release()
    other.tree  # noqa: B018
    assert (long.has_tree, other.has_tree, a.has_tree, b.has_tree) == (False, True, True, True)
    assert cache.store.parses == 6
