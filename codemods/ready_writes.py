"""Remove the writes of `AppConfig.ready()` and `post_migrate` handlers (checklist item 12) once
the rows they create live in a data migration.

Pure source -> source. `transform(source, calls, handlers=...)` takes the positions (line,
0-based column, as `ast` gives them) of the creating calls that were migrated, and removes the
statement of each: an expression statement, or an assignment whose names nothing else in the
function reads (`obj, created = X.objects.get_or_create(...)`). A `for`, `if`, `with` or `try`
left with an empty body goes too (a `try` only when it has no `else` or `finally`). Then:

- a `post_migrate` handler (a module-level function named in `handlers`) left with nothing
  but imports, a docstring or `pass` is deleted, with its `post_migrate.connect(handler, ...)`
  statements in the same module;
- a `ready()` left with nothing but imports, a docstring or `pass` is deleted;
- imports only the removed code used are removed.

A call whose statement does more than create the row (its value is used, it sits inside
another expression) is left, with the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

USED_RESULT = "its result is used: remove it by hand once the data migration exists"
NOT_A_STATEMENT = "the call is part of a larger statement: remove it by hand"


@dataclass
class Result:
    code: str
    removed: list[int] = field(default_factory=list)  # lines of the removed statements
    removed_functions: list[str] = field(default_factory=list)
    left: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def _is_filler(stmt: cst.BaseStatement) -> bool:
    """Statements that do nothing once the writes are gone: imports, docstrings, pass."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, (cst.Import, cst.ImportFrom, cst.Pass)):
            continue
        if isinstance(small, cst.Expr) and isinstance(
            small.value, (cst.SimpleString, cst.ConcatenatedString)
        ):
            continue
        return False
    return True


def _empty(block: cst.BaseSuite) -> bool:
    return isinstance(block, cst.IndentedBlock) and not block.body


_PASS = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Pass()])])


def _names(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()
    stack = [node]
    for _ in range(100_000):
        if not stack:
            break
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        stack.extend(current.children)
    return found


class _RemoveWrites(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, calls: set[tuple[int, int]], reads: dict[int, set[str]]) -> None:
        self.calls = calls
        self.reads = reads  # line of an assignment -> names read elsewhere in its function
        self.result = Result("")
        self.used: set[str] = set()
        self.touched: list[bool] = []
        self.emptied: set[str] = set()  # functions left with filler only

    def _position(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.get_metadata(PositionProvider, node).start
        return start.line, start.column

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.touched.append(False)

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        touched = self.touched.pop()
        if touched and self.touched:
            self.touched[-1] = True
        if not touched:
            return updated
        if all(_is_filler(s) for s in updated.body.body):
            self.emptied.add(updated.name.value)
        if _empty(updated.body):
            return updated.with_changes(body=_PASS)
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        if len(updated.body) != 1:
            return self._check_left(original)
        small = updated.body[0]
        value = getattr(small, "value", None)
        if not isinstance(small, (cst.Expr, cst.Assign)) or not isinstance(value, cst.Call):
            return self._check_left(original)
        line, column = self._position(original.body[0].value)
        if (line, column) not in self.calls:
            return self._check_left(original)
        if isinstance(small, cst.Assign):
            targets = set().union(*(_names(t.target) for t in small.targets))
            if targets - {"_"} & self.reads.get(line, set()):
                self.result.left.append((line, USED_RESULT))
                return updated
        self.result.removed.append(line)
        self.used |= _names(small)
        if self.touched:
            self.touched[-1] = True
        return cst.RemoveFromParent()

    def _check_left(self, original: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        start = self.get_metadata(PositionProvider, original).start.line
        end = self.get_metadata(PositionProvider, original).end.line
        for line, _column in self.calls:
            if start <= line <= end:
                self.result.left.append((line, NOT_A_STATEMENT))
        return original

    def leave_For(self, original, updated):
        if _empty(updated.body):
            return cst.RemoveFromParent() if updated.orelse is None else updated
        return updated

    def leave_While(self, original, updated):
        return self.leave_For(original, updated)

    def leave_With(self, original, updated):
        return cst.RemoveFromParent() if _empty(updated.body) else updated

    def leave_If(self, original, updated):
        if _empty(updated.body):
            if updated.orelse is None:
                return cst.RemoveFromParent()
            return updated.with_changes(body=_PASS)
        return updated

    def leave_Else(self, original, updated):
        return updated.with_changes(body=_PASS) if _empty(updated.body) else updated

    def leave_ExceptHandler(self, original, updated):
        return updated.with_changes(body=_PASS) if _empty(updated.body) else updated

    def leave_Try(self, original, updated):
        if _empty(updated.body):
            if updated.orelse is None and updated.finalbody is None:
                return cst.RemoveFromParent()
            return updated.with_changes(body=_PASS)
        return updated


class _RemoveEmptied(cst.CSTTransformer):
    """Delete the handlers and ready() methods left empty, and what connects the handlers."""

    def __init__(self, handlers: set[str], emptied: set[str]) -> None:
        self.handlers = handlers & emptied
        self.ready = "ready" in emptied
        self.removed: list[str] = []
        self.used: set[str] = set()
        self.depth = 0
        self.connect_removed = False

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth += 1

    def leave_ClassDef(self, original, updated):
        self.depth -= 1
        if isinstance(updated.body, cst.IndentedBlock) and not updated.body.body:
            return updated.with_changes(body=_PASS)
        return updated

    def leave_FunctionDef(self, original, updated):
        name = updated.name.value
        filler = all(_is_filler(s) for s in updated.body.body)
        if self.depth == 0 and name in self.handlers and filler:
            self.removed.append(name)
            self.used |= _names(original)
            return cst.RemoveFromParent()
        if self.depth == 1 and name == "ready" and filler and (self.ready or self.connect_removed):
            self.removed.append(name)
            self.used |= _names(original.body)
            return cst.RemoveFromParent()
        if _empty(updated.body):
            return updated.with_changes(body=_PASS)
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        if len(updated.body) != 1 or not isinstance(updated.body[0], cst.Expr):
            return updated
        call = updated.body[0].value
        if not (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "connect"
            and _names(call.func.value) & {"post_migrate"}
            and call.args
            and isinstance(call.args[0].value, cst.Name)
            and call.args[0].value.value in self.handlers
        ):
            return updated
        self.connect_removed = True
        self.used |= _names(updated)
        return cst.RemoveFromParent()


class _RemoveImports(cst.CSTTransformer):
    def __init__(self, names: set[str]) -> None:
        self.names = names

    def _keep(self, alias: cst.ImportAlias) -> bool:
        bound = alias.asname.name if alias.asname else alias.name
        if isinstance(bound, cst.Attribute):
            return True
        return bound.value not in self.names

    def _rewrite(self, updated):
        if isinstance(updated.names, cst.ImportStar):
            return updated
        kept = [a for a in updated.names if self._keep(a)]
        if len(kept) == len(updated.names):
            return updated
        if not kept:
            return cst.RemoveFromParent()
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(names=kept)

    def leave_Import(self, original, updated):
        return self._rewrite(updated)

    def leave_ImportFrom(self, original, updated):
        return self._rewrite(updated)

    def leave_SimpleStatementLine(self, original, updated):
        if not updated.body:
            return cst.RemoveFromParent()
        return updated


def _reads_by_assignment(tree: ast.Module) -> dict[int, set[str]]:
    """For each assignment line inside a function: the names the rest of the function reads."""
    out: dict[int, set[str]] = {}
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for stmt in ast.walk(func):
            if isinstance(stmt, ast.Assign):
                out[stmt.lineno] = {
                    n.id
                    for n in ast.walk(func)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                }
    return out


def _unused(tree: ast.Module, names: set[str]) -> set[str]:
    """Those of `names` that the module no longer reads (nor exports through __all__)."""
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    read |= {
        n.value.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
    }
    exported = {
        e.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets)
        for e in ast.walk(n.value)
        if isinstance(e, ast.Constant)
    }
    return names - read - exported


def transform(
    source: str, calls: Collection[tuple[int, int]], handlers: Collection[str] = ()
) -> Result:
    """Remove the statements of the creating calls at `calls` ((line, column) pairs)."""
    try:
        tree = ast.parse(source)
        module = cst.parse_module(source)
    except (SyntaxError, ValueError, cst.ParserSyntaxError):
        return Result(source, left=[(line, "the module does not parse") for line, _ in calls])
    writes = _RemoveWrites(set(calls), _reads_by_assignment(tree))
    module = MetadataWrapper(module).visit(writes)
    result = writes.result
    if not result.removed:
        result.code = source
        return result
    emptied = _RemoveEmptied(set(handlers), writes.emptied)
    module = module.visit(emptied)
    result.removed_functions = emptied.removed
    candidates = (writes.used | emptied.used) - {"self", "cls"}
    imported = {
        (a.asname or a.name).split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in n.names
    }
    unused = _unused(ast.parse(module.code), candidates & imported)
    if unused:
        module = module.visit(_RemoveImports(unused))
    # a module that only held the handler is left empty (other modules may still import it)
    result.code = module.code if module.code.strip() else ""
    return result
