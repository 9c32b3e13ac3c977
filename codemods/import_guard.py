"""Guard a query evaluated at import time against a schema that does not exist yet.

`STATUSES = list(Status.objects.values_list("name", flat=True))` at module level runs when the
module is imported, before `migrate` has created the table on a new database. Where the value
cannot be made lazy (other modules import the name), the statement is wrapped so the app starts
with an empty value of the same shape and a logged warning:

    try:
        STATUSES = list(Status.objects.values_list("name", flat=True))
    except (OperationalError, ProgrammingError) as exc:
        # The table does not exist yet (before `migrate`): start with an empty value.
        logger.warning("Could not compute STATUSES at import: %s", exc)
        STATUSES = []

Pure source -> source; `transform(source, lines)` wraps the module-level assignments that start
on `lines` and whose empty value it can tell from the expression's shape; the others are left
with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from codemods.app_module import empty_value
from codemods.command import Context, need_import
from codemods.cst_tools import (
    find_all,
    is_docstring_line,
    is_single_assign,
    parse_module,
)
from codemods.module_level import ModuleLevelCommand, module_code


@dataclass
class Result:
    code: str
    rewritten: list[tuple[str, int]] = field(default_factory=list)
    left: list[tuple[str, int, str]] = field(default_factory=list)


class GuardImportQueries(ModuleLevelCommand):
    DESCRIPTION = "Let a module that evaluates a query at import start before migrate."

    def __init__(self, context: Context, lines: set[int]) -> None:
        super().__init__(context)
        self.lines = lines
        self.result = Result("")
        self._has_logger = False

    def visit_Module(self, node: cst.Module) -> bool:
        self._has_logger = bool(find_all(node, lambda n: is_single_assign(n, "logger")))
        return True

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        line = self.line_of(original)
        if self.depth or line not in self.lines:
            return updated
        if len(updated.body) != 1 or not is_single_assign(updated.body[0]):
            self.result.left.append(("<statement>", line, "not a plain `NAME = ...` assignment"))
            return updated
        assign = updated.body[0]
        assert isinstance(assign, cst.Assign)
        name = assign.targets[0].target.value  # type: ignore[union-attr]
        empty = empty_value(assign.value)
        if empty is None:
            self.result.left.append(
                (name, line, "djfix cannot tell what empty value stands for it: make it lazy")
            )
            return updated
        handler = cst.parse_statement(
            "try:\n"
            "    pass\n"
            "except (OperationalError, ProgrammingError) as exc:\n"
            "    # The table does not exist yet (before `migrate`): start with an empty value.\n"
            f'    logger.warning("Could not compute {name} at import: %s", exc)\n'
            f"    {name} = {empty}\n"
        )
        assert isinstance(handler, cst.Try)
        body = handler.body.with_changes(body=[updated.with_changes(leading_lines=[])])
        self.result.rewritten.append((name, line))
        need_import(self.context, "django.db.utils", "OperationalError")
        need_import(self.context, "django.db.utils", "ProgrammingError")
        return handler.with_changes(body=body, leading_lines=updated.leading_lines)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.result.rewritten or self._has_logger:
            return updated
        need_import(self.context, "logging")
        # the logger goes after the imports, before the first guarded statement
        body = list(updated.body)
        index = 0
        for i, stmt in enumerate(body):
            if isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
            ):
                index = i + 1
            elif i == 0 and is_docstring_line(stmt):
                index = 1
            else:
                break
        logger = cst.parse_statement("logger = logging.getLogger(__name__)\n").with_changes(
            leading_lines=[cst.EmptyLine()]
        )
        return updated.with_changes(body=[*body[:index], logger, *body[index:]])


def transform(source: str, lines: set[int]) -> Result:
    """Guard the module-level assignments starting on `lines`. Never raises on odd input."""
    try:
        module = parse_module(source)
    except cst.ParserSyntaxError as error:
        return Result(
            source, left=[("<module>", error.raw_line, f"not valid Python: {error.message}")]
        )
    command = GuardImportQueries(Context(), lines)
    new = command.transform_module(module)
    command.result.code = module_code(new, module)
    return command.result
