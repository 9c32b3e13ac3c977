"""Reading files of the target repository: decoding, parsing, and the reasons they fail.

Every file is read at most once per run, and parsed at most once while its tree is in use: the
`SourceCache` of a rediscovery (the project as the planned changes leave it) shares the files of
the first discovery through one `FileStore`, keyed by path for what is on disk and by content for
planned texts, so an unchanged file is neither read nor parsed again. A tree is dropped
(`PyFile.release`) once the code that scanned it is done; what was learnt from it can be kept
with `PyFile.memo`, keyed by the file's content. A file that cannot be read or parsed becomes a
`SourceProblem` the caller turns into a finding, never an exception.
"""

from __future__ import annotations

import ast
import bisect
import contextlib
import contextvars
import gc
import hashlib
import io
import os
import re
import sys
import tokenize
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

#: folders never copied when a project is run from a temporary copy (djfix's own Django runs,
#: verify, apply's verification): version control, virtualenvs, caches, front-end packages
COPY_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)

_T = TypeVar("_T")

_PY2_HINTS = (
    re.compile(r"^\s*print\s+[^\s(=]", re.M),
    re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:", re.M),
    re.compile(r"^\s*raise\s+\w+\s*,", re.M),
    re.compile(r"^\s*exec\s+[\"']", re.M),
    re.compile(r"\bur[\"']"),
    re.compile(r"\b\d+L\b"),
)


#: files a plan will create, seen by discovery as if they were on disk (re-checking a plan)
_PLANNED: contextvars.ContextVar[frozenset[Path]] = contextvars.ContextVar(
    "planned", default=frozenset()
)


@contextlib.contextmanager
def planned_files(paths: set[Path]):
    token = _PLANNED.set(frozenset(paths))
    try:
        yield
    finally:
        _PLANNED.reset(token)


def planned_paths() -> frozenset[Path]:
    """The files the planned changes create (empty outside `planned_files`)."""
    return _PLANNED.get()


#: what a computation under `FileStore.recall` looks at, in order: ("file", path, python,
#: file) for each file it reads, ("is_file", path, answer) for each file it looks for
_LOOKS: contextvars.ContextVar[list[tuple[Any, ...]] | None] = contextvars.ContextVar(
    "looks", default=None
)


def is_file(path: Path) -> bool:
    found = path in _PLANNED.get() or path.is_file()
    looks = _LOOKS.get()
    if looks is not None:
        looks.append(("is_file", path, found))
    return found


def is_dir(path: Path) -> bool:
    return path.is_dir() or any(path in p.parents for p in _PLANNED.get())


@dataclass
class SourceProblem:
    """Why a file could not be used: `kind` is one of undecodable, syntax, python2,
    newer-syntax, unreadable."""

    kind: str
    message: str
    line: int | None = None
    column: int | None = None


@dataclass
class TextFile:
    path: Path
    rel: str
    text: str | None
    problem: SourceProblem | None = None
    bom: bool = False
    encoding: str = "utf-8"
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, key: str, compute: Callable[[], _T]) -> _T:
        """What `compute` learns from this file, computed once per content: the same file
        serves every discovery of the run while its text is unchanged."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


@dataclass
class PyFile(TextFile):
    _tree: ast.Module | None = field(default=None, repr=False)
    _failed: bool = field(default=False, repr=False)
    _store: FileStore | None = field(default=None, repr=False, compare=False)

    @property
    def tree(self) -> ast.Module | None:
        """The module's AST, or None (and `problem` set) when it does not parse."""
        if self._tree is not None or self._failed or self.text is None:
            return self._tree
        if self._store is not None:
            self._store.make_room(len(self.text))
        tree, problem = _parse_python(self.text, self.rel)
        if self._store is not None:
            self._store.parses += 1
        if problem is not None:
            self.problem = problem
            self._failed = True
            return None
        self._tree = tree
        if self._store is not None:
            self._store.kept(self)
        return tree

    @property
    def has_tree(self) -> bool:
        """True while a tree of this file is in memory (someone may hold its nodes)."""
        return self._tree is not None

    def release(self) -> None:
        """Drop the tree (the next `tree` parses again): a scanner calls it when it holds no
        node of the tree any more, so a large repository's trees are not all alive at once."""
        if self._tree is not None and self._store is not None:
            self._store.forget(self)
        self._tree = None

    def statement_at(self, line: int, column: int) -> ast.stmt | None:
        """The innermost statement of the module (or of a block inside it) that starts at or
        before `line`, `column` (as `ast` counts them) and holds that place: the statement
        itself when one starts there. None when the file does not parse."""
        tree = self.tree
        if tree is None:
            return None
        where = (line, column)
        found: ast.stmt | None = None
        body: list[ast.stmt] = tree.body
        for _ in range(200):  # blocks nest at most as deep as the parser allows
            i = bisect.bisect_right(body, where, key=lambda s: (s.lineno, s.col_offset))
            if i == 0:
                return found
            found = body[i - 1]
            if (found.lineno, found.col_offset) == where:
                return found
            blocks = [
                getattr(found, name, None) or [] for name in ("body", "orelse", "finalbody")
            ] + [h.body for h in getattr(found, "handlers", None) or []]
            blocks = [b for b in blocks if b and (b[0].lineno, b[0].col_offset) <= where]
            if not blocks:
                return found
            body = max(blocks, key=lambda b: (b[0].lineno, b[0].col_offset))
        return found


@dataclass(frozen=True, eq=False)
class NodeAt:
    """Where a statement (or the call an expression statement makes) stands in a Python file:
    what a record that outlives the scan keeps instead of the node, so that the file's tree
    can be freed once the scan is done; `node` finds the node again (parsing the file again
    when its tree was dropped)."""

    file: PyFile
    line: int
    column: int
    call: bool = False  # the call of the expression statement there

    @classmethod
    def of(cls, file: PyFile, node: ast.stmt | ast.expr) -> NodeAt:
        return cls(file, node.lineno, node.col_offset, isinstance(node, ast.Call))

    @property
    def node(self) -> ast.AST | None:
        stmt = self.file.statement_at(self.line, self.column)
        if self.call and isinstance(stmt, ast.Expr):
            return stmt.value
        return stmt


def _decode(raw: bytes, python: bool) -> tuple[str | None, SourceProblem | None, bool, str]:
    bom = raw.startswith(b"\xef\xbb\xbf")
    encoding = "utf-8"
    if python:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        except SyntaxError as exc:
            return None, SourceProblem("undecodable", str(exc)), bom, encoding
    try:
        text = raw.decode("utf-8-sig" if encoding in ("utf-8", "utf-8-sig") else encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line = None
        if isinstance(exc, UnicodeDecodeError):
            line = raw.count(b"\n", 0, exc.start) + 1
            detail = f"byte 0x{raw[exc.start]:02x} at line {line} is not valid {encoding}"
        else:
            detail = f"unknown encoding {encoding!r}"
        return (
            None,
            SourceProblem(
                "undecodable",
                f"cannot be decoded: {detail}; save it as UTF-8 or declare its encoding "
                "with a `# -*- coding: ... -*-` line",
                line,
            ),
            bom,
            encoding,
        )
    # Python reads CRLF and CR as LF; so do we, and the writer puts the author's endings back.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, None, bom, encoding


def _parse_python(text: str, rel: str) -> tuple[ast.Module | None, SourceProblem | None]:
    # A tree is hundreds of thousands of objects that reference counting frees; the cyclic
    # collector would only walk them again and again while they are built (it tripled the
    # time of a large repository's check), so it waits until the tree is made.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(text, filename=rel), None
    except RecursionError:
        return None, SourceProblem(
            "syntax", "nests expressions too deeply for Python's parser to read it"
        )
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        col = getattr(exc, "offset", None)
        msg = getattr(exc, "msg", str(exc))
        if "Missing parentheses in call to 'print'" in msg or any(
            p.search(text) for p in _PY2_HINTS
        ):
            return None, SourceProblem(
                "python2",
                f"is Python 2 code (line {line}: {msg}); djfix reads Python 3 only: "
                "port the file first (for example with `pyupgrade` or `2to3`)",
                line,
                col,
            )
        if _newer_statement(text, line) or _parses_with_newer_grammar(text):
            running = ".".join(map(str, sys.version_info[:2]))
            return None, SourceProblem(
                "newer-syntax",
                f"uses Python syntax newer than Python {running}, which runs djfix "
                f"(line {line}: {msg}); run djfix with the project's own Python",
                line,
                col,
            )
        return None, SourceProblem("syntax", f"has a syntax error at line {line}: {msg}", line, col)
    finally:
        if enabled:
            gc.enable()


#: statements of a Python newer than the one running, known by their first line: the check
#: that the whole file parses with a newer grammar (LibCST, a tenth of a second) is then not needed
_NEWER_STATEMENTS = (
    ((3, 12), re.compile(r"\s*type\s+[A-Za-z_]\w*\s*(\[[^\]]*\])?\s*=")),  # type X = ...
    ((3, 12), re.compile(r"\s*(async\s+)?def\s+[A-Za-z_]\w*\s*\[")),  # def f[T](...)
    ((3, 12), re.compile(r"\s*class\s+[A-Za-z_]\w*\s*\[")),  # class C[T]: ...
)


def _newer_statement(text: str, line: int | None) -> bool:
    if not line:
        return False
    lines = text.split("\n", line)
    if len(lines) < line:
        return False
    source = lines[line - 1]
    return any(
        sys.version_info < version and pattern.match(source)
        for version, pattern in _NEWER_STATEMENTS
    )


def _parses_with_newer_grammar(text: str) -> bool:
    try:
        # lazy: libcst is heavy, loaded only for a file the running Python's ast cannot parse
        import libcst

        libcst.parse_module(text)
    except Exception:
        return False
    return True


#: how much source (in characters) the trees a run keeps in memory may have been parsed from:
#: past it, the trees parsed longest ago are dropped (`PyFile.release`) and parsed again if
#: asked for. A tree takes about 40 bytes per character of its source, so this is about 80 MB;
#: a repository's usual files stay far below it, a generated settings module of megabytes
#: does not keep one tree per planned state of itself. A file longer than the budget is the
#: exception: the one tree of such a file is kept beside the budget (`FileStore.make_room`)
TREE_BUDGET = 2_000_000

#: answers `FileStore.recall` keeps for one key: a run's plans change a settings module a few
#: times, and the stages of its commits ask for each state again
RECALL_KEPT = 4


def _same_look(cache: SourceCache, look: tuple[Any, ...]) -> bool:
    if look[0] == "file":
        _, path, python, known = look
        return (cache.python(path) if python else cache.text(path)) is known
    _, path, found = look
    return is_file(path) == found


class FileStore:
    """The files one run has read, shared by the `SourceCache` of every discovery of the same
    repository: those on disk by path, planned texts by their content."""

    def __init__(self) -> None:
        self.disk: dict[Path, TextFile] = {}
        self.planned: dict[tuple[Path, str], TextFile] = {}
        self.reads = 0  # files read from disk
        self.parses = 0  # trees built
        #: discovery's walk of the repository, reused by the rediscoveries
        self.walk: Any = None
        self._derived: dict[Hashable, Any] = {}
        # what `recall` computed, by key: (what the computation looked at, its answer)
        self._recalled: dict[Hashable, list[tuple[list[tuple[Any, ...]], Any]]] = {}
        # the files whose trees are in memory, parsed longest ago first; their source's size
        self._trees: dict[int, PyFile] = {}
        self._tree_chars = 0
        # the file longer than the budget whose tree is in memory, if any (not in `_trees`)
        self._long: PyFile | None = None

    def make_room(self, chars: int) -> None:
        """A tree of `chars` characters of source is about to be built: drop the trees parsed
        longest ago until it fits in `TREE_BUDGET` (or none is left), before it is built, so
        that the old trees and the new one are never all in memory at once.

        A file longer than the budget by itself is counted apart: its tree is dropped to make
        room for the tree of another such file (another planned text of the same long settings
        module, usually), not for the short files parsed while it is worked on, nor they for
        it. Otherwise every short file parsed beside a module of megabytes dropped that
        module's tree, and each question about it parsed it again (a second or so each); the
        trees in memory stay within the budget and one long file's tree."""
        if chars > TREE_BUDGET:
            if self._long is not None:
                self._long.release()
            return
        while self._trees and self._tree_chars + chars > TREE_BUDGET:
            next(iter(self._trees.values())).release()

    def kept(self, f: PyFile) -> None:
        """`f` has just been parsed."""
        if len(f.text or "") > TREE_BUDGET:
            self._long = f
            return
        self._trees[id(f)] = f
        self._tree_chars += len(f.text or "")

    def forget(self, f: PyFile) -> None:
        """`f`'s tree is dropped."""
        if self._long is f:
            self._long = None
        elif self._trees.pop(id(f), None) is not None:
            self._tree_chars -= len(f.text or "")

    def remember(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """What `compute` learns from the files on disk, computed once per run: every discovery
        of the run sees the same disk (planned files are not written until the run is done)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def recall(self, key: Hashable, cache: SourceCache, compute: Callable[[], _T]) -> _T:
        """`compute()`, or its answer from an earlier discovery of the run in which it read the
        same files with the same content and found the same files present or missing: for a
        computation that depends on nothing else (and whose answer nobody changes), such as
        the evaluation of a settings module, which each rediscovery would repeat for every
        plan that leaves the settings as they were. The earlier looks are replayed in order
        and the first that differs ends the replay: what it read, `compute` reads first too."""
        for looks, answer in reversed(self._recalled.get(key, [])):
            if all(_same_look(cache, look) for look in looks):
                return answer  # type: ignore[no-any-return]
        looks: list[tuple[Any, ...]] = []
        outer = cache._looks
        token = _LOOKS.set(looks)
        cache._looks = looks
        try:
            answer = compute()
        finally:
            cache._looks = outer
            _LOOKS.reset(token)
            if outer is not None:
                outer.extend(looks)  # a recall inside a recall: the outer one read them too
        kept = self._recalled.setdefault(key, [])
        kept.append((looks, answer))
        del kept[:-RECALL_KEPT]
        return answer

    def planned_file(self, path: Path, rel: str, text: str, python: bool) -> TextFile:
        key = (path, hashlib.blake2b(text.encode("utf-8", "surrogatepass")).hexdigest())
        found = self.planned.get(key)
        if found is None or isinstance(found, PyFile) != python:
            on_disk = self.disk.get(path)
            if (
                on_disk is not None
                and on_disk.text == text
                and isinstance(on_disk, PyFile) == python
            ):
                found = on_disk  # planned as it is: its tree and memos serve as they are
            elif python:
                found = PyFile(path, rel, text, _store=self)
            else:
                found = TextFile(path, rel, text)
            self.planned[key] = found
        return found


class SourceCache:
    """Reads and parses each file of one repository at most once.

    `overlay` ({relative path: text}) holds planned contents that take the place of the files
    on disk; `store` is shared with the discovery this one re-does (see `FileStore`)."""

    def __init__(
        self,
        root: Path,
        overlay: dict[str, str] | None = None,
        store: FileStore | None = None,
    ) -> None:
        self.root = root
        self._files: dict[Path, TextFile] = {}
        self.overlay = overlay or {}
        self.store = store if store is not None else FileStore()
        # a path below the root, as text, starts with this (where "/" separates the parts): its
        # relative path is the rest, without the cost of Path.relative_to for every file
        self._prefix = f"{root}/" if os.sep == "/" and root.is_absolute() else None
        self._looks: list[tuple[Any, ...]] | None = None  # see FileStore.recall

    def rel(self, path: Path) -> str:
        if self._prefix is not None:
            text = str(path)
            if text.startswith(self._prefix):
                return text[len(self._prefix) :]
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def python(self, path: Path) -> PyFile:
        f = self._files.get(path)
        if not isinstance(f, PyFile):
            f = self._load(path, python=True)
            assert isinstance(f, PyFile)
        if self._looks is not None:
            self._looks.append(("file", path, True, f))
        return f

    def text(self, path: Path) -> TextFile:
        f = self._files.get(path)
        if f is None:
            f = self._load(path, python=False)
        if self._looks is not None:
            self._looks.append(("file", path, False, f))
        return f

    def adopt(self, files: Iterable[tuple[Path, TextFile]]) -> None:
        """Take files an earlier discovery of the run read from disk (`FileStore.disk`), as if
        read here: for a caller that knows the overlay leaves them as they are."""
        for path, f in files:
            self._files.setdefault(path, f)

    def already_read(self, path: Path) -> TextFile | None:
        """The file when something in this run has read it, else None; never reads it."""
        return self._files.get(path)

    def problems(self) -> list[TextFile]:
        return [f for f in self._files.values() if f.problem is not None]

    def _load(self, path: Path, python: bool) -> TextFile:
        rel = self.rel(path)
        if rel in self.overlay:
            f = self.store.planned_file(path, rel, self.overlay[rel], python)
        else:
            found = self.store.disk.get(path)
            if found is None or (python and not isinstance(found, PyFile)):
                found = self._read(path, rel, python)
                self.store.disk[path] = found
            f = found
        self._files[path] = f
        return f

    def _read(self, path: Path, rel: str, python: bool) -> TextFile:
        self.store.reads += 1
        try:
            raw = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            problem = SourceProblem("unreadable", f"cannot be read: {reason}")
            if python:
                return PyFile(path, rel, None, problem, _store=self.store)
            return TextFile(path, rel, None, problem)
        text, problem, bom, enc = _decode(raw, python=python)
        if python:
            return PyFile(path, rel, text, problem, bom, enc, _store=self.store)
        return TextFile(path, rel, text, problem, bom, enc)
