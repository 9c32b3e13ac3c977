"""The base of the settings codemods: settings run at import, so only module-level code is
rewritten; function and class bodies (and lambdas) are skipped, and positions are at hand.

A pass visits every node of the module, so the per-node work is kept to the visitor methods a
codemod defines: the matcher-decorator machinery of LibCST's codemod base (three look-ups and a
matcher walk for every node and attribute) is skipped, as these codemods use none of it, and so
are LibCST's no-op hooks. What cannot change the result is not visited at all: the insides of
small statements for a codemod whose hooks are all on statements, and the top-level statements
a codemod's `skip_statement` names. Positions (`line_of`) are LibCST's, computed only as far into
the module as the node asked about (`StartPositions`). A top-level statement no hook changed
stays the node parsed, so the new module's code is its pieces' text where they are unchanged,
and the lines of a kept statement the positions pass went through (`module_code`).

Import clean-up is paid only where it can change something: LibCST's RemoveImportsVisitor
resolves the scopes of the whole module (the costliest pass over a long settings file), so an
import a codemod asks to remove is dropped from the request while its name is still used in
the rewritten code, and an import it asks to add while the module already has it.
"""

from __future__ import annotations

import dataclasses
import io
import re
import sys
import tokenize
import typing
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import ClassVar, NamedTuple

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import MetadataWrapper

from codemods import piece_parse
from codemods.command import ADD_KEY, REMOVE_KEY, Command, ImportRequest, make_requested_imports

#: what LibCST's matcher decorators (`@m.visit`, `@m.call_if_inside`, ...) mark a method with
_MATCHER_MARKS = (
    "VISIT_POSITIVE_MATCHER_ATTR",
    "VISIT_NEGATIVE_MATCHER_ATTR",
    "CONSTRUCTED_VISIT_MATCHER_ATTR",
    "CONSTRUCTED_LEAVE_MATCHER_ATTR",
)
_ATTRIBUTE_HOOK = re.compile(r"(visit|leave)_[A-Z]\w*?_[a-z]\w*")
_NEWLINE = re.compile(r"\r\n?|\n")  # as LibCST counts lines


class QuoteCounts(NamedTuple):
    """How many plain string literals of a module open with each quote (prefix letters aside),
    one-line and triple-quoted apart."""

    single: int = 0
    double: int = 0
    triple_single: int = 0
    triple_double: int = 0

    @property
    def preferred(self) -> str:
        """The quote most one-line strings use (double on a tie): docstrings say nothing about
        the author's quotes."""
        return "'" if self.single > self.double else '"'


class _QuoteCounter(cst.CSTVisitor):
    def __init__(self) -> None:
        self.counts = [0, 0, 0, 0]

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.counts[_quote_kind(node.value)] += 1


def _quote_kind(literal: str) -> int:
    body = literal.lstrip("rRbBuU")
    triple = body.startswith(('"""', "'''"))
    return (2 if triple else 0) + (0 if body.startswith("'") else 1)


def _counts_of_text(source: str, module: cst.Module | None = None) -> QuoteCounts | None:
    scanned = _scan(source, module)
    return scanned[0] if scanned is not None else None


def string_tokens(source: str, module: cst.Module | None = None) -> tuple[str, ...] | None:
    """The plain string literals of `module`, parsed from `source` (its SimpleString nodes),
    as written; None where the tokens cannot be trusted to be those nodes."""
    scanned = _scan(source, module)
    return scanned[1] if scanned is not None else None


def _scan(source: str, module: cst.Module | None) -> tuple[QuoteCounts, tuple[str, ...]] | None:
    # a module parsed in pieces is scanned a piece at a time, each piece's scan remembered: a
    # piece starts a logical line at indentation 0 (`piece_parse`), so its string tokens are
    # the whole text's there; where any piece cannot tell, the whole text is scanned
    pieces = piece_parse.pieces_of(module) if module is not None else None
    if pieces is not None and "".join(text for text, _ in pieces) == source:
        scans = [_scan_piece(text) for text, _ in pieces]
        counts = [0, 0, 0, 0]
        strings: list[str] = []
        for scan in scans:
            if scan is None:
                return _scan_strings(source)
            counts = [total + n for total, n in zip(counts, scan[0], strict=True)]
            strings.extend(scan[1])
        return QuoteCounts(*counts), tuple(strings)
    return _scan_strings(source)


def _scan_text(source: str) -> tuple[QuoteCounts, tuple[str, ...]] | None:
    # one tokenize pass instead of a walk over the parsed tree; None where the tokens cannot
    # be trusted to be the tree's SimpleString nodes
    counts = [0, 0, 0, 0]
    strings: list[str] = []
    new_fstrings = sys.version_info >= (3, 12)  # f-strings are split into their own tokens
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type != tokenize.STRING:
                continue
            prefix = token.string[: len(token.string) - len(token.string.lstrip("rRbBuUfF"))]
            if "f" in prefix.lower():
                if new_fstrings:
                    continue
                # before 3.12 an f-string is one token: the strings nested in its replacement
                # fields are SimpleString nodes of the tree the token does not show
                body = token.string[len(prefix) :].strip("'\"")
                if "'" in body or '"' in body:
                    return None
                continue
            counts[_quote_kind(token.string)] += 1
            strings.append(token.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return QuoteCounts(*counts), tuple(strings)


# whole modules a few at a time; pieces by the hundred (those of the last modules parsed)
_scan_strings = lru_cache(maxsize=8)(_scan_text)
_scan_piece = lru_cache(maxsize=1024)(_scan_text)


def quote_counts(module: cst.Module, source: str | None = None) -> QuoteCounts:
    """The string literals of `module` by quote. `source`, the text `module` was parsed from,
    makes it one tokenize pass (remembered for the same text) instead of a walk of the tree."""
    if source is not None:
        counts = _counts_of_text(source, module)
        if counts is not None:
            return counts
    counter = _QuoteCounter()
    module.visit(counter)
    return QuoteCounts(*counter.counts)


def preferred_quote(module: cst.Module, source: str | None = None) -> str:
    """The quote character most strings of the module use (double on a tie)."""
    return quote_counts(module, source).preferred


class ModuleLevelCommand(Command):
    """`self.depth` is 0 exactly while visiting code that runs when the module is imported."""

    # positions are resolved on demand (`line_of`), not before every pass
    METADATA_DEPENDENCIES = ()
    depth = 0
    _positions: StartPositions | PiecePositions | None = None
    # the top-level statements of the module, and the one being visited: in a module parsed
    # in pieces, a position is generated from its own piece's start (`PiecePositions`)
    _tops: frozenset[int] = frozenset()
    _top: cst.BaseStatement | None = None
    # how many hooks returned another node than the one they were given, in all and when the
    # top-level statement being visited was entered: a statement no hook changed is kept as
    # it was parsed (`on_leave`)
    _changes = 0
    _changes_at = 0
    # the text the module being transformed was parsed from, when the caller has it: what
    # can be read from the text (`quote_counts`) is, without a walk of the tree
    source: str | None = None
    # the visit_* / leave_* methods the codemod defines, by node type (`_collect_hooks`)
    _visit_hooks: ClassVar[dict[str, str]] = {}
    _leave_hooks: ClassVar[dict[str, str]] = {}
    _attribute_hooks: ClassVar[frozenset[str]] = frozenset()
    # the whitespace and punctuation node types the visit does not enter (`_collect_hooks`)
    _plain_types: ClassVar[frozenset[type]] = frozenset()
    # every hook is on a statement (or the Lambda depth count): no hook sees an expression
    _statement_hooks_only: ClassVar[bool] = False
    _skipped: frozenset[int] = frozenset()  # ids of the top-level statements not visited
    _root: cst.Module | None = None  # the module being visited
    # set by `only_visit`: ids of the only top-level statements to visit
    _visit_tops: frozenset[int] | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # a method made by a matcher decorator comes from a module that loaded them
        decorators = sys.modules.get("libcst.matchers._decorators")
        marks = [getattr(decorators, mark, None) for mark in _MATCHER_MARKS if decorators]
        marks = [mark for mark in marks if mark is not None]
        for name in dir(cls) if marks else ():
            if name.startswith(("visit_", "leave_")) and any(
                hasattr(getattr(cls, name), mark) for mark in marks
            ):
                raise TypeError(
                    f"{cls.__name__}.{name}: matcher decorators are not run by "
                    "ModuleLevelCommand; match inside the method instead"
                )
        _collect_hooks(cls)

    # the plain transformer's dispatch (CSTTransformer.on_visit and on_leave), without the
    # matcher decorators' bookkeeping and without calling LibCST's no-op hooks; and without
    # visiting what cannot change the result: the top-level statements `skip_statement` names,
    # and the insides of small statements (`x = ...`) for a codemod whose hooks are all on
    # statements (`_collect_hooks`)
    def on_visit(self, node: cst.CSTNode) -> bool:
        if type(node) in self._plain_types:
            return False  # whitespace or punctuation: nothing inside concerns a hook
        if id(node) in self._tops:
            self._top = node  # type: ignore[assignment]
            self._changes_at = self._changes
        if self._skipped and id(node) in self._skipped:
            return False
        name = self._visit_hooks.get(type(node).__name__)
        if name is not None and getattr(self, name)(node) is False:
            return False
        if node is self._root:
            # asked once visit_Module has run: what it planned may tell what needs no visit
            self._skipped = frozenset(
                id(s)
                for s in node.body  # type: ignore[attr-defined]
                if self.skip_statement(s)
            )
        return not (self._statement_hooks_only and type(node) in _SMALL_STATEMENTS)

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        if type(original_node) in self._plain_types:
            return updated_node  # no hook, never a top-level statement
        if self._skipped and id(original_node) in self._skipped:
            return updated_node
        name = self._leave_hooks.get(type(original_node).__name__)
        if name is not None:
            result = getattr(self, name)(original_node, updated_node)
            if result is not updated_node:
                self._changes += 1
                return result
        if id(original_node) in self._tops and self._changes == self._changes_at:
            # LibCST rebuilds every node it visits; a top-level statement in which every hook
            # returned what it was given is the statement as parsed, field for field: it stays
            # that very node, so the code of an unchanged piece of the module is its text
            # (`module_code`), not generated again
            return original_node
        return updated_node

    def skip_statement(self, statement: cst.BaseStatement) -> bool:
        """True: the visit leaves this top-level statement as it is (no hook sees it or
        anything in it, and the new module holds it as it was). For a codemod that can tell,
        from a cheap look or from what its visit_Module planned, that nothing in the statement
        concerns it. Asked after visit_Module."""
        return self._visit_tops is not None and id(statement) not in self._visit_tops

    def only_visit(self, module: cst.Module, smalls: Iterable[cst.CSTNode]) -> None:
        """From visit_Module: of the module's top-level statements, visit only the compound
        ones (`if`, `try`, ...) and the lines that hold one of `smalls` (small statements).
        For a codemod whose hooks change only what its visit_Module planned, on those."""
        wanted = {id(small) for small in smalls}
        self._visit_tops = frozenset(
            id(statement)
            for statement in module.body
            if not isinstance(statement, cst.SimpleStatementLine)
            or any(id(small) in wanted for small in statement.body)
        )

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        self._skipped = frozenset()
        self._visit_tops = None
        self._root = tree
        self._tops = frozenset(id(s) for s in tree.body)
        try:
            return super().transform_module_impl(tree)
        finally:
            self._skipped = frozenset()
            self._visit_tops = None
            self._root = None
            self._tops = frozenset()
            self._top = None

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if self._attribute_hooks:
            cst.CSTTransformer.on_visit_attribute(self, node, attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if self._attribute_hooks:
            cst.CSTTransformer.on_leave_attribute(self, original_node, attribute)

    def transform_module(self, tree: cst.Module) -> cst.Module:
        # Command.transform_module, with the import passes run only when needed, and
        # metadata computed on the tree as given: the callers parse it for this one pass, so
        # the deep copy LibCST makes first (to protect a tree shared elsewhere) is pure cost
        self._positions = None
        wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
        previous = self.context.wrapper
        with self.resolve(wrapper):
            self.context = dataclasses.replace(self.context, wrapper=wrapper)
            try:
                tree = self.transform_module_impl(wrapper.module)
            finally:
                self.context = dataclasses.replace(self.context, wrapper=previous)
        scratch = self.context.scratch
        removals = scratch.get(REMOVE_KEY)
        additions = scratch.get(ADD_KEY)
        # the code of the statements kept as parsed that the positions pass went through
        _CODES.clear()
        if isinstance(self._positions, PiecePositions):
            _CODES.update(self._positions.codes(tree.body))
        if removals or additions:
            imports, rest = _split_imports(tree, wrapper.module)
            present = set(imports)
            if removals:
                # only an import the module has at the top, and whose name nothing else uses
                scratch[REMOVE_KEY] = [
                    r
                    for r in removals
                    if _import_line(ImportRequest(r[0], r[1], r[2])) in present
                    and not _used(_bound_name(*r), rest)
                ]
                # an import statement all of whose names go is removed here: the text showed
                # them unused, which is what LibCST's scope analysis would conclude
                tree, scratch[REMOVE_KEY] = _drop_imports(tree, scratch[REMOVE_KEY])
            if additions:
                scratch[ADD_KEY] = [a for a in additions if _import_line(a) not in present]
        return make_requested_imports(self.context, tree)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.depth += 1
        return True

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.depth -= 1
        return updated

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.depth += 1
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.depth -= 1
        return updated

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.depth += 1
        return True

    def leave_Lambda(self, original: cst.Lambda, updated: cst.BaseExpression) -> cst.BaseExpression:
        self.depth -= 1
        return updated

    def _position(self, node: cst.CSTNode) -> tuple[int, int] | None:
        # positions cost a code generation pass over the module: made on the first question,
        # and only as far into the module as the node asked about (`StartPositions`)
        if self._positions is None:
            wrapper = self.context.wrapper
            if wrapper is None:
                return None
            pieces = piece_parse.pieces_of(wrapper.module)
            self._positions = (
                PiecePositions(wrapper.module, pieces)
                if pieces is not None
                else StartPositions(wrapper.module)
            )
        if isinstance(self._positions, PiecePositions):
            return self._positions.start(node, self._top)
        return self._positions.start(node)

    def line_of(self, node: cst.CSTNode) -> int:
        position = self._position(node)
        return position[0] if position is not None else 0

    def column_of(self, node: cst.CSTNode) -> int | None:
        position = self._position(node)
        return position[1] if position is not None else None


def quiet_statements(module: cst.Module, mentions: Callable[[str], bool]) -> frozenset[int]:
    """Ids of the top-level statements of a module parsed in pieces (`piece_parse`) whose
    piece's text `mentions` says nothing about: their own code, part of that text between line
    ends, says nothing either, so no code is generated to look. Empty for another module."""
    pieces = piece_parse.pieces_of(module)
    if pieces is None:
        return frozenset()
    return frozenset(
        id(statement)
        for text, statements in pieces
        if not mentions(text)
        for statement in statements
    )


def module_code(module: cst.Module, parsed: cst.Module) -> str:
    """`module.code`, for a module a codemod made from `parsed`, the module it parsed: a run of
    statements `module` keeps from a piece of `parsed` (`piece_parse`), the very statements,
    all of the piece's, is written as the piece's text, not generated again. (A statement's
    code does not depend on what comes before it; a piece other than the first and the last
    is exactly its statements' code.) So a codemod that leaves most statements unvisited
    (`skip_statement`) pays for the code of those it changed."""
    try:
        return _module_code(module, parsed)
    finally:
        _CODES.clear()  # the statements it holds live no longer than their pass


def _module_code(module: cst.Module, parsed: cst.Module) -> str:
    pieces = piece_parse.pieces_of(parsed)
    if (
        pieces is None
        or len(pieces) < 3
        or not module.has_trailing_newline
        or module.default_indent != parsed.default_indent
        or module.default_newline != parsed.default_newline
    ):
        return module.code
    starts: dict[int, tuple[str, list[cst.BaseStatement]]] = {
        id(statements[0]): (text, statements) for text, statements in pieces[1:-1] if statements
    }
    state = CodegenState(
        default_indent=module.default_indent, default_newline=module.default_newline
    )
    for part in module.header:
        part._codegen(state)
    body = module.body
    index = 0
    while index < len(body):
        found = starts.get(id(body[index]))
        if found is not None:
            text, statements = found
            end = index + len(statements)
            if end <= len(body) and all(
                a is b for a, b in zip(body[index:end], statements, strict=True)
            ):
                state.add_token(text)
                index = end
                continue
        known = _CODES.get(id(body[index]))
        if known is not None and known[0] is body[index]:
            state.add_token(known[1])
        else:
            body[index]._codegen(state)
        index += 1
    for part in module.footer:
        part._codegen(state)
    if not state.tokens:
        state.add_token(state.default_newline)  # Module._codegen_impl's empty module
    return "".join(state.tokens)


class StartPositions(CodegenState):
    """Where each node of a module starts (line, column), as LibCST's PositionProvider puts it
    (the syntactic start: a statement's leading comment lines and indent are not part of it).

    Made by the same code generation, with two savings that matter on a long settings module:
    the statements are generated one at a time and only until the node asked about is reached
    (a codemod that asks for the line of DATABASES near the top pays for those lines only),
    and only the starts are kept (no end positions, no text)."""

    def __init__(
        self,
        module: cst.Module,
        parts: tuple[cst.CSTNode, ...] | None = None,
        first_line: int = 1,
    ) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.line = first_line
        self.column = 0
        self.starts: dict[cst.CSTNode, tuple[int, int]] = {}
        # id of a part generated so far -> (the part, its first line, the line after it), for a
        # part that starts and ends a line: its code is those lines of the text
        self.spans: dict[int, tuple[cst.CSTNode, int, int]] = {}
        self._stack: list[tuple[int, int]] = []
        # Module._codegen, a statement at a time (no generator: it would make a reference
        # cycle that keeps the whole tree alive until a garbage collection); `parts`, a run
        # of the module's top-level parts starting at column 0 of `first_line`, for those only
        self._module: cst.Module | None = module if parts is None else None
        self._parts = (*module.header, *module.body, *module.footer) if parts is None else parts
        self._next = 0
        if parts is None:
            self.before_codegen(module)

    def start(self, node: cst.CSTNode) -> tuple[int, int] | None:
        while node not in self.starts:
            if not self._advance():
                return None
        return self.starts[node]

    def _advance(self) -> bool:
        if self._next < len(self._parts):
            part = self._parts[self._next]
            line, column = self.line, self.column
            part._codegen(self)
            if column == 0 and self.column == 0:
                self.spans[id(part)] = (part, line, self.line)
            self._next += 1
            return True
        if self._module is not None:  # the module's own start, (1, 0)
            self.after_codegen(self._module)
            self._module = None
            return True
        return False

    # -- CodegenState, keeping positions only ----------------------------------------------
    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.column += len(token)

    def add_token(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            segments = _NEWLINE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def pop_trailing_newline(self) -> None:
        pass  # the text is not kept; positions do not move back (nor do LibCST's)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._stack.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._stack.pop()
        if node not in self.starts:  # a syntactic start recorded inside stays
            self.starts[node] = start

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _SyntacticStart:
        return _SyntacticStart(self, node, start_node)


#: the pieces whose start positions `PiecePositions` keeps at a time
KEPT_PIECES = 16


class PiecePositions:
    """Start positions in a module parsed in pieces (`piece_parse`): a piece starts a line at
    column 0 outside any block, and the lines before it are its predecessors' text, so its
    statements are generated from its own first line, and a node is found by generating the
    piece of the top-level statement it is in (given by the caller), not every statement
    before it. A node found in no such piece is looked for in the whole module."""

    def __init__(
        self, module: cst.Module, pieces: list[tuple[str, list[cst.BaseStatement]]]
    ) -> None:
        self.module = module
        self.pieces = pieces
        self.piece_of: dict[int, int] = {}
        self.first_lines: list[int] = []
        line = 1
        for index, (text, statements) in enumerate(pieces):
            self.first_lines.append(line)
            for statement in statements:
                self.piece_of[id(statement)] = index
            line += text.count("\n")
        # the pieces' positions made last (`KEPT_PIECES`), and the spans of the statements of
        # those dropped before
        self.states: dict[int, StartPositions] = {}
        self.spans: dict[int, tuple[cst.CSTNode, int, int]] = {}
        self.whole: StartPositions | None = None

    def _first_start(self, node: cst.CSTNode, index: int) -> tuple[int, int] | None:
        """Where the piece's first statement starts, for it and its first small statement, when
        it is a line of small statements: its piece's first line, after its comment and blank
        lines (and the module's header, in the first piece), at column 0, with no code
        generated. A settings assignment is mostly such a statement, alone in its piece (the
        pieces are about a statement long), and its line is asked for every one."""
        statements = self.pieces[index][1]
        top = statements[0] if statements else None
        if not isinstance(top, cst.SimpleStatementLine) or not (
            node is top or (top.body and node is top.body[0])
        ):
            return None
        above = (*self.module.header, *top.leading_lines) if index == 0 else top.leading_lines
        # an empty line is its whitespace, comment and line break: one line, and one more for
        # each line break its whitespace holds (a backslash continuation), as add_token counts
        lines = sum(1 + len(_NEWLINE.findall(line.whitespace.value)) for line in above)
        return (self.first_lines[index] + lines, 0)

    def codes(
        self, statements: Iterable[cst.BaseStatement]
    ) -> dict[int, tuple[cst.BaseStatement, str]]:
        """The code of those of `statements` that are the module's own and that a position
        question has generated so far, by id: the lines of their piece's text they span (a
        piece is its statements' code, each statement's whole lines), without generating it
        again."""
        out: dict[int, tuple[cst.BaseStatement, str]] = {}
        lines: dict[int, list[str]] = {}
        wanted: dict[int, list[cst.BaseStatement]] = {}
        for statement in statements:
            index = self.piece_of.get(id(statement))
            if index is not None:
                wanted.setdefault(index, []).append(statement)
        for index, found in wanted.items():
            state = self.states.get(index)
            spans = state.spans if state is not None else self.spans
            first = self.first_lines[index]
            for statement in found:
                span = spans.get(id(statement))
                if span is None or span[0] is not statement:
                    continue
                if index not in lines:
                    lines[index] = self.pieces[index][0].split("\n")
                text = lines[index]
                start, end = span[1] - first, span[2] - first
                # the lines each end with a line break in the text: the last line of a module
                # without a final newline has none (its statement's code has one)
                if 0 <= start < end < len(text):
                    out[id(statement)] = (statement, "\n".join(text[start:end]) + "\n")
        return out

    def start(self, node: cst.CSTNode, top: cst.CSTNode | None) -> tuple[int, int] | None:
        index = self.piece_of.get(id(node))
        if index is None and top is not None:
            index = self.piece_of.get(id(top))
        if index is not None:
            first = self._first_start(node, index)
            if first is not None:
                return first
            state = self.states.get(index)
            if state is None:
                if len(self.states) >= KEPT_PIECES:
                    # a pass asks about its nodes in order: the positions of every node of a
                    # long module (a tuple and a dict entry each) are not kept to its end; a
                    # piece asked about again is generated again
                    dropped = self.states.pop(next(iter(self.states)))
                    self.spans.update(dropped.spans)
                statements = tuple(self.pieces[index][1])
                # the first piece holds the module's header lines before its statements
                parts = (*self.module.header, *statements) if index == 0 else statements
                state = self.states[index] = StartPositions(
                    self.module, parts, self.first_lines[index]
                )
            found = state.start(node)
            if found is not None:
                return found
        if self.whole is None:
            self.whole = StartPositions(self.module)
        return self.whole.start(node)


class _SyntacticStart:
    """PositionProvidingCodegenState.record_syntactic_position for starts, as a plain context
    manager (entered for most nodes: a generator-based one costs several times more)."""

    __slots__ = ("_node", "_start", "_start_node", "_state")

    def __init__(
        self, state: StartPositions, node: cst.CSTNode, start_node: cst.CSTNode | None
    ) -> None:
        self._state = state
        self._node = node
        self._start_node = start_node
        self._start = (state.line, state.column)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        starts = self._state.starts
        starts[self._node] = (
            starts[self._start_node] if self._start_node is not None else self._start
        )


def _collect_hooks(cls: type[ModuleLevelCommand]) -> None:
    # the hooks the codemods define, by node type name: LibCST's base classes define a no-op
    # visit_X / leave_X / visit_X_attr for every node, and looking those up by name for every
    # node and attribute of a long module is most of a pass's dispatch cost
    # the names LibCST's classes alone define (about 2,000) cannot be own hooks: only those of
    # the classes outside LibCST are looked at (a few ms a codemod class, at import)
    candidates = {
        name
        for klass in cls.__mro__
        if not klass.__module__.startswith("libcst")
        for name in vars(klass)
    }
    own = [name for name in sorted(candidates) if _own_hook(cls, name)]
    cls._visit_hooks = {n[6:]: n for n in own if n.startswith("visit_")}
    cls._leave_hooks = {n[6:]: n for n in own if n.startswith("leave_")}
    cls._attribute_hooks = frozenset(n for n in own if _ATTRIBUTE_HOOK.fullmatch(n))
    # a small statement holds expressions only (no statement): a codemod whose hooks are on
    # statements alone, and the Lambda depth count of this base, which a skipped lambda leaves
    # balanced, need not visit inside one
    hooked = {*cls._visit_hooks, *cls._leave_hooks}
    # whitespace, comments, punctuation and operators are half the nodes of a module: LibCST
    # would rebuild each one, equal to the one parsed, for a codemod that looks at none of them
    # (`_PLAIN_TYPES`); they stay the nodes parsed. A codemod with a hook on one of them, or on
    # an attribute, visits them all
    cls._plain_types = (
        frozenset()
        if cls._attribute_hooks or any(t.__name__ in hooked for t in _PLAIN_TYPES)
        else _PLAIN_TYPES
    )
    cls._statement_hooks_only = (
        not cls._attribute_hooks
        and all(
            name in _STATEMENT_NODES
            or (name == "Lambda" and _defined_by(cls, f"visit_{name}") is ModuleLevelCommand)
            for name in hooked
        )
        and all(
            _defined_by(cls, f"{kind}_Lambda") is ModuleLevelCommand for kind in ("visit", "leave")
        )
    )


def _defined_by(cls: type, name: str) -> type | None:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass
    return None


def _subclasses(base: type) -> set[type]:
    found: set[type] = set()
    todo = [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


# the node types a statement is made of, down to its small statements (their insides are
# expressions): a hook on one of these can never be reached from inside an expression
_SMALL_STATEMENTS = frozenset(_subclasses(cst.BaseSmallStatement))
_STATEMENT_NODES = frozenset(
    t.__name__
    for t in {
        cst.Module,
        cst.Else,
        cst.ExceptHandler,
        cst.ExceptStarHandler,
        cst.Finally,
        cst.MatchCase,
        *_subclasses(cst.BaseStatement),
        *_subclasses(cst.BaseSuite),
        *_SMALL_STATEMENTS,
    }
)


def _own_hook(cls: type, name: str) -> bool:
    """`name` is a visit_* / leave_* method that a class outside LibCST defines."""
    if not name.startswith(("visit_", "leave_")):
        return False
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return not klass.__module__.startswith("libcst")
    return False


def _plain_node_types() -> frozenset[type]:
    """The node types that hold nothing but text, flags and other such nodes (whitespace,
    comments, the tokens of operators and punctuation): a visit inside one meets no other
    node. Taken from LibCST's own field types, so a node type that can hold an expression or
    a statement is never one; and only among the kinds named here."""
    kinds = (
        cst.BaseParenthesizableWhitespace,
        cst.Comment,
        cst.Newline,
        cst.EmptyLine,
        cst.TrailingWhitespace,
        cst.BaseBinaryOp,
        cst.BaseBooleanOp,
        cst.BaseCompOp,
        cst.BaseUnaryOp,
        cst.BaseAugOp,
        cst.AssignEqual,
        cst.Comma,
        cst.Dot,
        cst.Colon,
        cst.Semicolon,
        cst.LeftParen,
        cst.RightParen,
        cst.LeftSquareBracket,
        cst.RightSquareBracket,
        cst.LeftCurlyBrace,
        cst.RightCurlyBrace,
    )
    candidates = {t for kind in kinds for t in (kind, *_subclasses(kind))}
    candidates = {t for t in candidates if dataclasses.is_dataclass(t)}
    every = {t for t in _subclasses(cst.CSTNode) if dataclasses.is_dataclass(t)}
    plain: set[type] = set()
    grown = True
    while grown:  # a fixpoint: a type is plain once all its fields are
        grown = False
        for t in candidates - plain:
            if all(_plain_field(f.type, every, plain) for f in dataclasses.fields(t)):
                plain.add(t)
                grown = True
    return frozenset(plain)


def _plain_field(annotation: object, every: set[type], plain: set[type]) -> bool:
    args = typing.get_args(annotation) if typing.get_origin(annotation) is not None else None
    if args is not None:  # Optional[...], Sequence[...], Union[...]
        return all(_plain_field(a, every, plain) for a in args)
    if annotation in (str, bool, type(None)):
        return True
    if not isinstance(annotation, type) or not issubclass(annotation, cst.CSTNode):
        return False  # a forward reference, a literal: not known to be plain
    kinds = {t for t in (annotation, *_subclasses(annotation)) if t in every}
    return bool(kinds) and kinds <= plain


_PLAIN_TYPES = _plain_node_types()

_collect_hooks(ModuleLevelCommand)


def _is_import_line(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def _split_imports(tree: cst.Module, parsed: cst.Module) -> tuple[list[str], str]:
    """The module's top-level import statements (one line each, normalised) and the code of
    everything else. A run of statements `tree` keeps from a piece of `parsed`, the piece's
    very statements and no import among them, is the piece's text (as in `module_code`)."""
    imports: list[str] = []
    rest: list[str] = []
    pieces = piece_parse.pieces_of(parsed)
    starts: dict[int, tuple[str, list[cst.BaseStatement]]] = {
        id(statements[0]): (text, statements)
        for text, statements in (pieces[1:-1] if pieces is not None else ())
        if statements and not any(_is_import_line(stmt) for stmt in statements)
    }
    body = tree.body
    index = 0
    while index < len(body):
        stmt = body[index]
        found = starts.get(id(stmt))
        if found is not None:
            text, statements = found
            end = index + len(statements)
            if end <= len(body) and all(
                a is b for a, b in zip(body[index:end], statements, strict=True)
            ):
                rest.append(text)
                index = end
                continue
        index += 1
        if _is_import_line(stmt):
            for s in stmt.body:  # type: ignore[attr-defined]
                imports.extend(normalised_imports(s))
            continue
        known = _CODES.get(id(stmt))
        if known is not None and known[0] is stmt:
            code = known[1]
        else:
            code = tree.code_for_node(stmt)
            _CODES[id(stmt)] = (stmt, code)
        rest.append(code)
    return imports, "".join(rest)


#: the code of statements of the module the last pass made, by id (with the statement, so the
#: id stays its own): those the pass kept as parsed, read from their piece's text where the
#: positions pass went through them (`PiecePositions.codes`), and those `_split_imports`
#: generated; `module_code` takes them instead of generating them again
_CODES: dict[int, tuple[cst.BaseStatement, str]] = {}


def _drop_imports(
    tree: cst.Module, removals: list[tuple[str, str | None, str | None]]
) -> tuple[cst.Module, list[tuple[str, str | None, str | None]]]:
    """Remove the top-level import statements whose every name is in `removals`; the removals
    left (a name that shares its statement with one that stays) are LibCST's to do."""
    wanted = {_import_line(ImportRequest(*r)): r for r in removals}
    if not wanted:
        return tree, removals
    body = []
    done: set[str] = set()
    for stmt in tree.body:
        if (
            isinstance(stmt, cst.SimpleStatementLine)
            and len(stmt.body) == 1
            and isinstance(stmt.body[0], (cst.Import, cst.ImportFrom))
        ):
            lines = normalised_imports(stmt.body[0])
            if lines and all(line in wanted for line in lines):
                done.update(lines)
                continue
        body.append(stmt)
    if not done:
        return tree, removals
    left = [r for line, r in wanted.items() if line not in done]
    return tree.with_changes(body=body), left


def normalised_imports(stmt: cst.Import | cst.ImportFrom) -> list[str]:
    """`import a as b` / `from m import x as y`, one name a line, as `_import_line` writes them."""
    out: list[str] = []
    if isinstance(stmt, cst.Import):
        for alias in stmt.names:
            name = cst.Module([]).code_for_node(alias.name)
            asname = alias.evaluated_alias
            out.append(f"import {name}" + (f" as {asname}" if asname else ""))
        return out
    if isinstance(stmt.names, cst.ImportStar):
        return out
    module = cst.Module([]).code_for_node(stmt.module) if stmt.module is not None else ""
    dots = "." * len(stmt.relative)
    for alias in stmt.names:
        name = cst.Module([]).code_for_node(alias.name)
        asname = alias.evaluated_alias
        out.append(f"from {dots}{module} import {name}" + (f" as {asname}" if asname else ""))
    return out


def _import_line(item: ImportRequest) -> str:
    dots = "." * item.relative
    if item.obj_name is None:
        line = f"import {dots}{item.module_name}"
    else:
        line = f"from {dots}{item.module_name} import {item.obj_name}"
    return line + (f" as {item.alias}" if item.alias else "")


def _bound_name(module: str, obj: str | None, asname: str | None) -> str:
    if asname:
        return asname
    if obj:
        return obj
    return module.split(".")[0]


def _used(name: str, code: str) -> bool:
    """True when `name` appears as a name (not an attribute) in `code`: then the scope analysis
    would find the import used, and removing it is a no-op not worth a pass over the module."""
    return re.search(rf"(?<![\w.]){re.escape(name)}\b", code) is not None
