from __future__ import annotations

import subprocess

import pytest

from fixer.changeset import Changeset
from fixer.errors import DjfixError


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text("X = 1\nY = 2\n")
    (tmp_path / "crlf.py").write_bytes(b"A = 1\r\nB = 2\r\n")
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbfC = 1\n")
    return tmp_path


def test_read_goes_through_the_overlay(repo):
    cs = Changeset(repo)
    assert cs.read("a.py") == "X = 1\nY = 2\n"
    cs.write("a.py", "X = 3\n")
    assert cs.read("a.py") == "X = 3\n"
    assert (repo / "a.py").read_text() == "X = 1\nY = 2\n"
    assert cs.read("missing.py") is None


def test_writing_the_same_text_is_no_change(repo):
    cs = Changeset(repo)
    cs.write("a.py", "X = 1\nY = 2\n")
    assert not cs


def test_diff_applies_with_git_apply(repo):
    cs = Changeset(repo)
    cs.write("a.py", "X = 1\nY = 3\n")
    cs.write("crlf.py", "A = 1\nB = 3\n")
    cs.write("bom.py", "C = 2\n")
    cs.write("new/file.txt", "hello\n")
    cs.write(".env", "SECRET=1\n", tracked=False)
    patch = cs.diff()
    assert ".env" not in patch
    assert "new file mode 100644" in patch
    (repo / "p.diff").write_text(patch)
    git(repo, "apply", "--check", "p.diff")
    git(repo, "apply", "p.diff")
    assert (repo / "crlf.py").read_bytes() == b"A = 1\r\nB = 3\r\n"
    assert (repo / "bom.py").read_bytes() == b"\xef\xbb\xbfC = 2\n"
    assert (repo / "new/file.txt").read_text() == "hello\n"


def test_commit_keeps_line_endings_bom_and_mode(repo):
    (repo / "run.sh").write_text("echo hi\n")
    (repo / "run.sh").chmod(0o755)
    cs = Changeset(repo)
    cs.write("crlf.py", "A = 1\nB = 9\n")
    cs.write("bom.py", "C = 5\n")
    cs.write("run.sh", "echo bye\n")
    written = cs.commit()
    assert sorted(written) == ["bom.py", "crlf.py", "run.sh"]
    assert (repo / "crlf.py").read_bytes() == b"A = 1\r\nB = 9\r\n"
    assert (repo / "bom.py").read_bytes() == b"\xef\xbb\xbfC = 5\n"
    assert (repo / "run.sh").stat().st_mode & 0o777 == 0o755


def test_commit_is_all_or_nothing(repo, monkeypatch):
    import os

    cs = Changeset(repo)
    cs.write("a.py", "X = 100\n")
    cs.write("b/new.py", "NEW = 1\n")
    cs.write("crlf.py", "A = 0\n")
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(DjfixError, match="no file was changed"):
        cs.commit()
    assert (repo / "a.py").read_text() == "X = 1\nY = 2\n"
    assert not (repo / "b/new.py").exists()
    assert (repo / "crlf.py").read_bytes() == b"A = 1\r\nB = 2\r\n"
    assert not [p for p in repo.iterdir() if p.name.startswith(".djfix-")]


def test_non_utf8_file_is_refused(repo):
    (repo / "latin.py").write_bytes(b"X = '\xe9'\n")
    cs = Changeset(repo)
    with pytest.raises(DjfixError, match="not UTF-8"):
        cs.write("latin.py", "X = 1\n")


# -- stages: the state after each item -------------------------------------------------------------


def test_stages_from_write_order_when_none_were_marked(repo):
    cs = Changeset(repo)
    cs.write("a.py", "X = 3\nY = 2\n", item=5)
    cs.write("b.py", "B = 1\n", item=5)
    cs.write("a.py", "X = 3\nY = 4\n", item=9)
    cs.write("a.py", "X = 3\nY = 4\nZ = 5\n")  # no item: joins the run before it
    cs.write("b.py", "", item=11)
    cs.write(".env", "S=1\n", item=5, tracked=False)  # never a stage's file
    assert [(s.item, s.texts) for s in cs.staged()] == [
        (5, {"a.py": "X = 3\nY = 2\n", "b.py": "B = 1\n"}),
        (9, {"a.py": "X = 3\nY = 4\nZ = 5\n", "b.py": "B = 1\n"}),
        (11, {"a.py": "X = 3\nY = 4\nZ = 5\n", "b.py": ""}),
        (5, {"a.py": "X = 3\nY = 4\nZ = 5\n", "b.py": ""}),
    ]


def test_a_file_written_back_to_its_old_text_leaves_the_stages_after(repo):
    cs = Changeset(repo)
    cs.write("a.py", "X = 3\n", item=5)
    cs.write("a.py", "X = 1\nY = 2\n", item=9)
    assert [(s.item, s.texts) for s in cs.staged()] == [(5, {"a.py": "X = 3\n"}), (9, {})]
    assert not cs


def test_marked_stages_resolve_once_and_only_when_read(repo):
    cs = Changeset(repo)
    cs.write("a.py", "X = 3\n", item=5)
    calls = []

    def resolve():
        calls.append(1)
        return {"a.py": "X = 3\n", ".env.example": "X=\n"}

    cs.mark(5, resolve=resolve, fixed={3})
    stage = cs.staged()[0]
    assert calls == [] and stage.raw == {"a.py": "X = 3\n"} and stage.fixed == {3}
    assert stage.texts == {"a.py": "X = 3\n", ".env.example": "X=\n"}
    assert stage.texts is stage.texts and calls == [1]


def test_a_copy_is_independent_and_writes_into_another_tree(repo, tmp_path):
    cs = Changeset(repo)
    cs.write("crlf.py", "A = 2\nB = 2\n", item=5)
    other = cs.copy()
    other.write("a.py", "X = 9\n", item=9)
    assert [c.rel for c in cs.changes()] == ["crlf.py"]
    assert [c.rel for c in other.changes()] == ["a.py", "crlf.py"]
    dest = tmp_path / "copy"
    assert other.write_to(dest) == ["a.py", "crlf.py"]
    assert (dest / "crlf.py").read_bytes() == b"A = 2\r\nB = 2\r\n"
    assert (repo / "a.py").read_text() == "X = 1\nY = 2\n"
    assert cs.encode("bom.py", "C = 2\n") == b"\xef\xbb\xbfC = 2\n"
