"""Item 10's plan: reads in ready() are guarded against the missing schema, queries evaluated
at import are made lazy, and those that cannot be are wrapped with an empty value and a warning."""

from __future__ import annotations

import ast
from pathlib import Path

from codemods import import_guard, ready_guard
from fixer.analysis.startup_code import evaluates_query, walk_code
from fixer.fix_context import FixContext


def fix(ctx: FixContext) -> None:
    """Item 10: guard reads in ready(), make import-time queries lazy."""
    paths = sorted({f.path for f in ctx.findings(10) if f.path})
    for rel in paths:
        source = ctx.changeset.read(rel)
        if source is None:
            continue
        kind = "apps" if Path(rel).name == "apps.py" else "module"
        result = ready_guard.transform(
            source, module_kind=kind, django_version=ctx.project.django_version
        )
        code = guard_import_queries(result.code)
        guarded = {name for name, _ in code[1]}
        for setting, line, reason in result.left:
            if setting.split(" ")[0] not in guarded:
                ctx.leave(10, rel, f"{setting} (line {line}): {reason}")
        if code[0] != source:
            ctx.write(rel, code[0], 10)


def guard_import_queries(source: str) -> tuple[str, list[tuple[str, int]]]:
    """Wrap the module-level assignments that still evaluate a query at import (those that
    could not be made lazy) in try/except with an empty value and a logged warning."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source, []
    lines: set[int] = set()
    for node, guarded in walk_code(tree.body, import_time=True):
        if guarded or not evaluates_query(node):
            continue
        line = getattr(node, "lineno", 0)
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and stmt.lineno <= line <= (stmt.end_lineno or 0):
                lines.add(stmt.lineno)
    if not lines:
        return source, []
    result = import_guard.transform(source, lines)
    return result.code, result.rewritten
