"""The oldest Python the project's own code runs on, read from what it writes: a range such as
`requires-python = ">=3.8"` (poetry's `^3.8`) names the oldest Python a project meant to
support when it was written, and its code may since need a newer one. Seen on a real
repository: `python = "^3.8"`, and a view class with `def f(self, x: list[dict]) -> list[dict]`,
which fails on 3.8 when the class is made (`TypeError: 'type' object is not subscriptable`).

What is looked for, each in a module of the local apps or the settings (tests and migrations
aside), without running anything:

- 3.9: a built-in generic (`list[int]`, `dict[str, int]`, `type[X]`) in an annotation Python
  evaluates (a function's parameters and return, a module's or a class's annotated names) where
  the module does not `from __future__ import annotations`;
- 3.10: a `match` statement; a union written `int | None` in such an annotation;
- 3.11: `except*`.

A module the running Python cannot parse says nothing here (its problem is reported where the
file is read)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from fixer.analysis.startup_code import app_python_files
from fixer.project import ProjectModel

Python = tuple[int, int]

_GENERICS = frozenset({"list", "dict", "tuple", "set", "frozenset", "type"})


def code_python(project: ProjectModel) -> tuple[Python, str] | None:
    """(X.Y, where and why) of the newest Python feature the project's code needs, or None.
    Read once per run: each plan's choice of the image's Python and verify's of an interpreter
    ask again, and the code on disk is the same for all of them."""
    return project.cache.store.remember(
        ("code-python", project.source_root), lambda: _code_python(project)
    )


def _code_python(project: ProjectModel) -> tuple[Python, str] | None:
    best: tuple[Python, str] | None = None
    files = list(app_python_files(project))
    files += [m.path for m in project.settings_modules.values() if m.path is not None]
    seen: set[Path] = set()
    for path in files:
        if path in seen:
            continue
        seen.add(path)
        f = project.cache.python(path)
        tree = f.tree
        if tree is None:
            continue
        for version, line, what in _needs(tree):
            if best is None or version > best[0]:
                best = (version, f"{f.rel}:{line} {what}")
    return best


def _needs(tree: ast.Module) -> Iterator[tuple[Python, int, str]]:
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(a.name == "annotations" for a in node.names)
        for node in tree.body
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Match):
            yield (3, 10), node.lineno, "uses a match statement"
        elif isinstance(node, ast.TryStar):
            yield (3, 11), node.lineno, "uses except*"
        elif not postponed and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            for annotation in [a.annotation for a in every if a is not None] + [node.returns]:
                yield from _annotation(annotation)
        elif not postponed and isinstance(node, (ast.Module, ast.ClassDef)):
            # the annotated names of a module or a class body are evaluated (a function's are not)
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign):
                    yield from _annotation(stmt.annotation)


def _annotation(node: ast.expr | None) -> Iterator[tuple[Python, int, str]]:
    if node is None or isinstance(node, ast.Constant):  # a string annotation is not evaluated
        return
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Subscript)
            and isinstance(sub.value, ast.Name)
            and sub.value.id in _GENERICS
        ):
            yield (3, 9), sub.lineno, f"evaluates {sub.value.id}[...] in an annotation"
        elif isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.BitOr):
            yield (3, 10), sub.lineno, "evaluates a union written with | in an annotation"
