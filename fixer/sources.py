"""Reading files of the target repository: decoding, parsing, and the reasons they fail.

Every file is read at most once per run (a `SourceCache`), and a file that cannot be read or
parsed becomes a `SourceProblem` the caller turns into a finding, never an exception.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import io
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

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


def is_file(path: Path) -> bool:
    return path in _PLANNED.get() or path.is_file()


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


@dataclass
class PyFile(TextFile):
    _tree: ast.Module | None = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @property
    def tree(self) -> ast.Module | None:
        """The module's AST, or None (and `problem` set) when it does not parse."""
        if not self._parsed:
            self._parsed = True
            if self.text is not None:
                self._tree, problem = _parse_python(self.text, self.rel)
                if problem is not None:
                    self.problem = problem
        return self._tree


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
    try:
        return ast.parse(text, filename=rel), None
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
        if _parses_with_newer_grammar(text):
            running = ".".join(map(str, sys.version_info[:2]))
            return None, SourceProblem(
                "newer-syntax",
                f"uses Python syntax newer than Python {running}, which runs djfix "
                f"(line {line}: {msg}); run djfix with the project's own Python",
                line,
                col,
            )
        return None, SourceProblem("syntax", f"has a syntax error at line {line}: {msg}", line, col)


def _parses_with_newer_grammar(text: str) -> bool:
    try:
        import libcst

        libcst.parse_module(text)
    except Exception:
        return False
    return True


class SourceCache:
    """Reads and parses each file of one repository at most once."""

    def __init__(self, root: Path, overlay: dict[str, str] | None = None) -> None:
        self.root = root
        self._files: dict[Path, TextFile] = {}
        # planned contents ({relative path: text}) that take the place of the files on disk
        self.overlay = overlay or {}

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def python(self, path: Path) -> PyFile:
        cached = self._files.get(path)
        if isinstance(cached, PyFile):
            return cached
        raw, problem = self._read(path)
        if raw is None:
            f = PyFile(path, self.rel(path), None, problem)
        elif self.rel(path) in self.overlay:
            f = PyFile(path, self.rel(path), self.overlay[self.rel(path)])
        else:
            text, problem, bom, enc = _decode(raw, python=True)
            f = PyFile(path, self.rel(path), text, problem, bom, enc)
        self._files[path] = f
        return f

    def text(self, path: Path) -> TextFile:
        cached = self._files.get(path)
        if cached is not None:
            return cached
        raw, problem = self._read(path)
        if raw is None:
            f = TextFile(path, self.rel(path), None, problem)
        elif self.rel(path) in self.overlay:
            f = TextFile(path, self.rel(path), self.overlay[self.rel(path)])
        else:
            text, problem, bom, enc = _decode(raw, python=False)
            f = TextFile(path, self.rel(path), text, problem, bom, enc)
        self._files[path] = f
        return f

    def problems(self) -> list[TextFile]:
        return [f for f in self._files.values() if f.problem is not None]

    def _read(self, path: Path) -> tuple[bytes | None, SourceProblem | None]:
        if self.rel(path) in self.overlay:
            return b"", None
        try:
            return path.read_bytes(), None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return None, SourceProblem("unreadable", f"cannot be read: {reason}")
