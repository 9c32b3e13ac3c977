"""The base of the settings codemods: settings run at import, so only module-level code is
rewritten; function and class bodies (and lambdas) are skipped, and positions are at hand.

Import clean-up is paid only where it can change something: LibCST's RemoveImportsVisitor
resolves the scopes of the whole module (the costliest pass over a long settings file), so an
import a codemod asks to remove is dropped from the request while its name is still used in
the rewritten code, and an import it asks to add while the module already has it.
"""

from __future__ import annotations

import re

import libcst as cst
from libcst.codemod import Codemod, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor, ImportItem, RemoveImportsVisitor
from libcst.metadata import PositionProvider


class ModuleLevelCommand(VisitorBasedCodemodCommand):
    """`self._depth` is 0 exactly while visiting code that runs when the module is imported."""

    METADATA_DEPENDENCIES = (PositionProvider,)
    _depth = 0

    def transform_module(self, tree: cst.Module) -> cst.Module:
        # CodemodCommand.transform_module, with the import passes run only when needed
        tree = Codemod.transform_module(self, tree)
        scratch = self.context.scratch
        removals = scratch.get(RemoveImportsVisitor.CONTEXT_KEY)
        additions = scratch.get(AddImportsVisitor.CONTEXT_KEY)
        if removals or additions:
            imports, rest = _split_imports(tree)
            if removals:
                wanted = [r for r in removals if not _used(_bound_name(*r), rest)]
                scratch[RemoveImportsVisitor.CONTEXT_KEY] = wanted
            if additions:
                present = set(imports)
                scratch[AddImportsVisitor.CONTEXT_KEY] = [
                    a for a in additions if _import_line(a) not in present
                ]
        for key, transform in (
            (AddImportsVisitor.CONTEXT_KEY, AddImportsVisitor),
            (RemoveImportsVisitor.CONTEXT_KEY, RemoveImportsVisitor),
        ):
            if scratch.get(key):
                tree = self._instantiate_and_run(transform, tree)
        return tree

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._depth += 1
        return True

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._depth -= 1
        return updated

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._depth += 1
        return True

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self._depth -= 1
        return updated

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self._depth += 1
        return True

    def leave_Lambda(self, original: cst.Lambda, updated: cst.BaseExpression) -> cst.BaseExpression:
        self._depth -= 1
        return updated

    def _line(self, node: cst.CSTNode) -> int:
        position = self.get_metadata(PositionProvider, node, None)
        return position.start.line if position is not None else 0

    def _column(self, node: cst.CSTNode) -> int | None:
        position = self.get_metadata(PositionProvider, node, None)
        return position.start.column if position is not None else None


def _split_imports(tree: cst.Module) -> tuple[list[str], str]:
    """The module's top-level import statements (one line each, normalised) and the code of
    everything else."""
    imports: list[str] = []
    rest: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
        ):
            for s in stmt.body:
                imports.extend(_normalised(s))
        else:
            rest.append(tree.code_for_node(stmt))
    return imports, "".join(rest)


def _normalised(stmt: cst.Import | cst.ImportFrom) -> list[str]:
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


def _import_line(item: ImportItem) -> str:
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
