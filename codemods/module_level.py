"""The base of the settings codemods: settings run at import, so only module-level code is
rewritten; function and class bodies (and lambdas) are skipped, and positions are at hand."""

from __future__ import annotations

import libcst as cst
from libcst.codemod import VisitorBasedCodemodCommand
from libcst.metadata import PositionProvider


class ModuleLevelCommand(VisitorBasedCodemodCommand):
    """`self._depth` is 0 exactly while visiting code that runs when the module is imported."""

    METADATA_DEPENDENCIES = (PositionProvider,)
    _depth = 0

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
