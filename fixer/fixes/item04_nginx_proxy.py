"""An nginx reverse proxy of a compose file that served the collected static files from a volume
the app's container filled (`location /static/ { alias /home/app/web/staticfiles/; }`): once the
generated `static` image holds those files, the location forwards to the `static` service
instead. Only that directive changes; the rest of the file, its comments and layout stay.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection
from dataclasses import dataclass, field

#: bounds on hostile input: characters read, statements and nesting followed
MAX_CHARS = 200_000
_MAX_STATEMENTS = 5000
_MAX_DEPTH = 20
#: directives that decide how a location answers, which a forwarded location must not keep
_CONTENT = frozenset({"try_files", "return", "rewrite", "if", "location", "error_page", "index"})


@dataclass
class _Statement:
    words: list[str]
    #: offsets of the statement's first character and of the end of its `;` or block
    start: int
    end: int
    block: list[_Statement] | None = None
    parent: _Statement | None = field(default=None, repr=False)


def _statements(text: str) -> list[_Statement] | None:
    """The statements of an nginx configuration, nested; None where it does not read as one
    (an unbalanced brace, a quote left open)."""
    root: list[_Statement] = []
    stack: list[tuple[list[_Statement], _Statement | None]] = [(root, None)]
    words: list[str] = []
    start = -1
    count = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c.isspace():
            i += 1
            continue
        if c in ";{}":
            current, parent = stack[-1]
            if c == "}":
                if words or parent is None:
                    return None
                parent.end = i + 1
                stack.pop()
                i += 1
                continue
            if not words:
                return None
            count += 1
            if count > _MAX_STATEMENTS:
                return None
            statement = _Statement(words, start, i + 1, parent=parent)
            current.append(statement)
            words, start = [], -1
            if c == "{":
                if len(stack) > _MAX_DEPTH:
                    return None
                statement.block = []
                stack.append((statement.block, statement))
            i += 1
            continue
        if start < 0:
            start = i
        if c in "\"'":
            end = text.find(c, i + 1)
            if end < 0:
                return None
            words.append(text[i + 1 : end])
            i = end + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in ";{}#\"'":
            j += 1
        words.append(text[i:j])
        i = j
    if words or len(stack) != 1:
        return None
    return root


def _walk(statements: list[_Statement]) -> list[_Statement]:
    out: list[_Statement] = []
    todo = list(statements)
    while todo:
        statement = todo.pop(0)
        out.append(statement)
        if statement.block is not None:
            todo[:0] = statement.block
    return out


def _served(statement: _Statement) -> str | None:
    """The folder an `alias` or `root` directive serves its location's URL from."""
    if statement.words[0] not in ("alias", "root") or len(statement.words) != 2:
        return None
    folder = statement.words[1]
    location = statement.parent
    if statement.words[0] == "root":
        if location is None or location.words[0] != "location":
            return posixpath.normpath(folder)
        folder = posixpath.join(folder, location.words[-1].lstrip("/"))
    return posixpath.normpath(folder) if folder.startswith("/") else None


def proxy_static(text: str, served: Collection[str], url: str, upstream: str) -> str | None:
    """`text` with the location that serves the static URL `url` from one of the folders
    `served` (the volume's mount points in the proxy's container) forwarding to `upstream`
    (`http://static:80`) instead. None when no location serves them, or when one does in a way
    djfix does not change: a regex location, another URL, `try_files` or `return` in it, or the
    folder used elsewhere in the file."""
    if len(text) > MAX_CHARS:
        return None
    statements = _statements(text)
    if statements is None:
        return None
    folders = {posixpath.normpath(f) for f in served}
    prefix = "/" + url.strip("/")
    edits: list[_Statement] = []
    for statement in _walk(statements):
        folder = _served(statement)
        if folder is None or not any(
            folder == f or folder.startswith(f.rstrip("/") + "/") for f in folders
        ):
            continue
        location = statement.parent
        if location is None or location.words[0] != "location" or location.block is None:
            return None  # a server-wide root on the volume: more than the static URL
        if len(location.words) != 2 or "/" + location.words[1].strip("/") != prefix:
            return None  # a modifier (`~`, `=`) or another URL
        if folder not in folders:
            return None  # a folder inside the volume: the URLs would not line up
        if any(s.words[0] in _CONTENT for s in location.block):
            return None
        edits.append(statement)
    if not edits:
        return None
    out = text
    for statement in sorted(edits, key=lambda s: s.start, reverse=True):
        out = out[: statement.start] + f"proxy_pass {upstream};" + out[statement.end :]
    return out
