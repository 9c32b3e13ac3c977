"""One module of a local app as the startup-query codemods (`ready_guard`, `lazy_queries`,
`import_guard`) see it: parsed twice (`ast` for the item-10 scanner, libcst with positions to
rewrite), the names a body binds and reads, what the module imports and binds at module level,
the empty value a query result stands for on a new database, and the blank-line bookkeeping of
statements they insert.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from fixer.analysis import startup_code as detector

Key = tuple[int, int]  # (line, column) where a node starts, the same in ast and libcst terms


# -- positions -----------------------------------------------------------------------------------


class ParsedModule:
    """The module parsed twice: `ast` for the detector, libcst (with positions) to rewrite."""

    def __init__(self, source: str, tree: ast.Module, module: cst.Module) -> None:
        self.tree = tree
        self.wrapper = MetadataWrapper(module)
        self.module = self.wrapper.module
        self.positions: dict[cst.CSTNode, CodeRange] = dict(self.wrapper.resolve(PositionProvider))
        self.lines = re.split(r"\r\n|\r|\n", source)
        self.parents: dict[ast.AST, ast.AST] = {
            child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
        }

    def key(self, node: ast.AST) -> Key:
        """Where an ast node starts, its column counted in characters as libcst counts it."""
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return line, len(text.encode("utf-8")[:col].decode("utf-8", "replace"))

    def start(self, node: cst.CSTNode) -> Key:
        position = self.positions[node]
        return position.start.line, position.start.column

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self.positions[node]
        return position.start.line, position.end.line

    def indent_of_line(self, line: int) -> int | None:
        """Spaces before the code on a line; None when the indentation has tabs."""
        text = self.lines[line - 1]
        indent = text[: len(text) - len(text.lstrip(" \t"))]
        return None if "\t" in indent else len(indent)


# -- names bound and read by a function body -----------------------------------------------------


@dataclass
class BoundName:
    name: str
    line: int
    nested: bool  # inside a function, lambda or class defined in the scanned body


@dataclass
class Names:
    loads: list[BoundName] = field(default_factory=list)
    stores: list[BoundName] = field(default_factory=list)
    outer_stores: list[BoundName] = field(default_factory=list)  # `self.x =`, `d[k] =`, `global x`

    def bound_in(self, first: int, last: int) -> set[str]:
        return {s.name for s in self.stores if not s.nested and first <= s.line <= last}

    def outer_in(self, first: int, last: int) -> list[BoundName]:
        return [s for s in self.outer_stores if first <= s.line <= last]


def scan_names(stmts: Sequence[ast.stmt]) -> Names:
    names = Names()
    for stmt in stmts:
        collect_names(stmt, False, names)
    return names


def collect_names(node: ast.AST, nested: bool, out: Names) -> None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        out.stores.append(BoundName(node.name, node.lineno, nested))
        for child in ast.iter_child_nodes(node):
            collect_names(child, True, out)
        return
    if isinstance(node, ast.Lambda):
        for child in ast.iter_child_nodes(node):
            collect_names(child, True, out)
        return
    if isinstance(node, ast.comprehension):
        # its target is local to the comprehension
        for child in (node.iter, *node.ifs):
            collect_names(child, nested, out)
        return
    if isinstance(node, ast.Name):
        bucket = out.loads if isinstance(node.ctx, ast.Load) else out.stores
        bucket.append(BoundName(node.id, node.lineno, nested))
    elif isinstance(node, (ast.Attribute, ast.Subscript)) and not nested:
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            out.outer_stores.append(BoundName(detector.snippet(node, 40), node.lineno, nested))
    elif isinstance(node, (ast.Global, ast.Nonlocal)) and not nested:
        out.outer_stores.extend(BoundName(n, node.lineno, nested) for n in node.names)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name != "*":
                local = alias.asname or alias.name.split(".")[0]
                out.stores.append(BoundName(local, node.lineno, nested))
    elif isinstance(node, ast.ExceptHandler) and node.name:
        out.stores.append(BoundName(node.name, node.lineno, nested))
    for child in ast.iter_child_nodes(node):
        collect_names(child, nested, out)


# -- module-level facts --------------------------------------------------------------------------


def module_imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted path, for the imports at module level."""
    out: dict[str, str] = {}
    for node in module_level_statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    out[head] = head
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if alias.name != "*":
                    out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return out


def module_level_statements(stmts: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at module level: into if/try/with/for blocks, not into functions
    or classes."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list):
                yield from module_level_statements(inner)
        for handler in getattr(stmt, "handlers", ()):
            yield from module_level_statements(handler.body)


def module_bindings(tree: ast.Module) -> dict[str, list[int]]:
    """Name -> lines where module-level code binds it."""
    out: dict[str, list[int]] = {}
    for stmt in module_level_statements(tree.body):
        names = Names()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.stores.append(BoundName(stmt.name, stmt.lineno, False))
        elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for part in ("target", "items"):
                node = getattr(stmt, part, None)
                for item in node if isinstance(node, list) else [node]:
                    if item is not None:
                        collect_names(item, False, names)
            for handler in getattr(stmt, "handlers", ()):
                if handler.name:
                    names.stores.append(BoundName(handler.name, handler.lineno, False))
        else:
            collect_names(stmt, False, names)
        for store in names.stores:
            if not store.nested:
                out.setdefault(store.name, []).append(store.line)
    return out


def qualified_name(func: ast.AST, imports: dict[str, str]) -> str:
    text = detector.snippet(func, 200)
    head, _, rest = text.partition(".")
    base = imports.get(head)
    if base is None:
        return text
    return f"{base}.{rest}" if rest else base


# -- blank lines around inserted statements ----------------------------------------------------


def blank_run(lines: Sequence[cst.EmptyLine]) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """Leading lines split after their last blank line: (the gap, the comments kept with the
    code)."""
    last_blank = max((i for i, line in enumerate(lines) if line.comment is None), default=-1)
    return list(lines[: last_blank + 1]), list(lines[last_blank + 1 :])


def padded(lines: Sequence[cst.EmptyLine], blank: int) -> list[cst.EmptyLine]:
    """At least `blank` blank lines before the first comment."""
    have = 0
    for line in lines:
        if line.comment is not None:
            break
        have += 1
    return [cst.EmptyLine() for _ in range(max(blank - have, 0))] + list(lines)


# -- the value a query gives on an empty database ------------------------------------------------

#: the empty value a failed evaluation stands for, by the outermost call or method
_EMPTY_BY_CALL = {
    "list": "[]",
    "sorted": "[]",
    "tuple": "()",
    "set": "set()",
    "frozenset": "frozenset()",
    "dict": "{}",
    "len": "0",
    "bool": "False",
}
_EMPTY_BY_METHOD = {
    "count": "0",
    "exists": "False",
    "first": "None",
    "last": "None",
    "get": "None",
    "latest": "None",
    "earliest": "None",
    "aggregate": "{}",
    "in_bulk": "{}",
}


def empty_value(expr: cst.BaseExpression) -> str | None:
    """The value an evaluation of `expr` gives on an empty database, or None if unknown."""
    if isinstance(expr, cst.ListComp):
        return "[]"
    if isinstance(expr, cst.SetComp):
        return "set()"
    if isinstance(expr, cst.DictComp):
        return "{}"
    if isinstance(expr, cst.Call):
        if isinstance(expr.func, cst.Name):
            return _EMPTY_BY_CALL.get(expr.func.value)
        if isinstance(expr.func, cst.Attribute):
            return _EMPTY_BY_METHOD.get(expr.func.attr.value)
    return None
