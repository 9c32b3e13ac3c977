"""Parse a long module in pieces, and parse again only the pieces whose text changed.

Each settings item rewrites a few statements of a module, and the next item parses the whole
text again: on a long settings module most of a run went into parsing the same statements over
and over. Here the text is cut into pieces, each piece is parsed on its own (or its tree is
taken from the last parse, where its text is the same), and the pieces' statements make one
Module: the very tree a parse of the whole text gives, for these reasons.

A cut is made only before a line that starts a statement at column 0 (a name, not `else`,
`elif`, `except`, `finally` or `case`), right after a line of code at column 0 (not blank, not a
comment, not a decorator, not ending in `:` or a backslash). A piece that stops inside a
bracket, a string or a statement that goes on does not parse, so when every piece parses, each
cut is where LibCST's tokenizer is at the start of a logical line at indentation 0 with no
comment or blank line waiting for an owner: the statements of the pieces are those of the
whole, in order, and none owns text across a cut. What a Module holds besides its statements is
checked: the first piece gives the header, the last the footer and the final newline, no other
piece may have either, and every piece must have found the same default indent (LibCST takes the
first indented block's; a piece without one reports the default, so a module indented by other
than four spaces is parsed whole). Where anything fails, the whole text is parsed as one: a
syntax error is the whole module's, as before.

A piece is about one statement (a cut is taken at the first line allowed once the piece holds
`MIN_PIECE` characters): the cuts depend on the lines around them, not on their offsets, so an
edit leaves the other pieces' texts, and trees, as they were. Item 5 rewrites statements all
over a settings module and the next item parses its text again: with pieces of 2,000 characters
each piece held a rewritten statement and all of them were parsed again (about 0.06 s of CPU, a
third of item 7's time, on a 87 KB module); with pieces of a statement, the statements item 5
left as they were are reused, and the first parse of a text costs what it did. A LibCST tree
is immutable, so sharing statements between the trees of two texts is safe; within one tree no
statement appears twice (two pieces of the same text are two parses), as the codemods key
positions by node.
"""

from __future__ import annotations

import libcst as cst

# characters: a piece of about one statement (most statements of a settings module are longer);
# a cut before every statement (1) costs about a third more in parse calls than it saves
MIN_PIECE = 50
WHOLE_BELOW = 8_000  # a shorter module is parsed whole
_CLAUSES = ("else", "elif", "except", "finally", "case")
_pieces: dict[str, cst.Module] = {}  # the pieces of the last module parsed in pieces
# the last module joined from pieces, and its pieces' texts with their statement counts
_last: tuple[cst.Module, list[tuple[str, int]]] | None = None


def parse_module(source: str) -> cst.Module:
    """`cst.parse_module(source)`, parsing again only pieces not seen in the last call."""
    if len(source) < WHOLE_BELOW or "\r" in source:
        return cst.parse_module(source)
    texts = split(source)
    if len(texts) < 2:
        return cst.parse_module(source)
    trees: list[cst.Module] = []
    used: set[int] = set()
    kept: dict[str, cst.Module] = {}
    try:
        for text in texts:
            tree = _pieces.get(text)
            if tree is None or id(tree) in used:
                tree = cst.parse_module(text)
            used.add(id(tree))
            trees.append(tree)
            kept[text] = tree
    except Exception:  # the parse of the whole module says what is wrong (or parses)
        return cst.parse_module(source)
    module = _joined(trees)
    if module is None:
        return cst.parse_module(source)
    _pieces.clear()
    _pieces.update(kept)
    global _last
    _last = (module, [(text, len(tree.body)) for text, tree in zip(texts, trees, strict=True)])
    return module


def pieces_of(module: cst.Module) -> list[tuple[str, list[cst.BaseStatement]]] | None:
    """For the module this parsed last in pieces: each piece's text with its statements (a
    statement's code is part of its piece's text: a piece holds the whole lines of its
    statements). None for any other module."""
    if _last is None or _last[0] is not module:
        return None
    out: list[tuple[str, list[cst.BaseStatement]]] = []
    start = 0
    for text, count in _last[1]:
        out.append((text, list(module.body[start : start + count])))
        start += count
    return out


def forget() -> None:
    """Drop the pieces kept from the last parse."""
    global _last
    _pieces.clear()
    _last = None


def split(source: str) -> list[str]:
    """The pieces of `source` (joined, they are `source`)."""
    lines = source.split("\n")
    pieces: list[str] = []
    start = 0  # index of the first line of the current piece
    size = 0  # characters in the current piece so far
    for i in range(1, len(lines)):
        size += len(lines[i - 1]) + 1
        if size >= MIN_PIECE and _cut_before(lines[i - 1], lines[i]):
            pieces.append("\n".join(lines[start:i]) + "\n")
            start, size = i, 0
    pieces.append("\n".join(lines[start:]))
    return pieces


def _cut_before(previous: str, line: str) -> bool:
    if not line or not (line[0].isalpha() or line[0] == "_"):
        return False
    if not previous or previous[0].isspace() or previous[0] in "#@":
        return False
    end = previous.rstrip()
    if end.endswith((":", "\\")):
        return False
    word = line.split(None, 1)[0]
    return word.rstrip(":") not in _CLAUSES


def _joined(trees: list[cst.Module]) -> cst.Module | None:
    """One Module of the pieces' statements, or None where it would not be the whole's."""
    first, last = trees[0], trees[-1]
    if any(tree.header for tree in trees[1:]) or any(tree.footer for tree in trees[:-1]):
        return None
    if any(tree.default_indent != first.default_indent for tree in trees[1:]):
        return None
    if any(tree.default_newline != first.default_newline for tree in trees[1:]):
        return None
    if any(tree.encoding != first.encoding for tree in trees[1:]):
        return None
    return first.with_changes(
        body=[statement for tree in trees for statement in tree.body],
        footer=last.footer,
        has_trailing_newline=last.has_trailing_newline,
    )
