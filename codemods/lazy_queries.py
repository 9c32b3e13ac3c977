"""Queries at import time (checklist item 10), both kinds of app module: the `choices=` of a
Django form field computed from a query in a class body becomes a module-level function, passed
as a callable `choices` (form fields call it each time they render or validate, since Django
1.8). A module-level value computed from a query becomes a function, and its uses calls, when
every use allows it and the caller knows that no other module imports the name. Model-field
choices are left: Django's system checks call a callable `choices` during `check` and
`migrate`, so the query would still run before the tables exist.

`ImportTimePlanner` plans the rewrite (and says why each query it cannot make lazy is left);
`LazyRewrite` applies it. `ready_guard.transform` runs both, after its guards in ready().
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import PositionProvider

from codemods.app_module import (
    Key,
    ParsedModule,
    blank_run,
    module_bindings,
    module_imports,
    padded,
    qualified_name,
    scan_names,
)
from codemods.command import Command, Context
from fixer.analysis import startup_code as detector

#: form fields whose `choices` may be a callable (Django >= 1.8)
FORM_CHOICE_FIELDS = frozenset(
    {"ChoiceField", "TypedChoiceField", "MultipleChoiceField", "TypedMultipleChoiceField"}
)
MODEL_CHOICES = (
    "choices of a model field: a callable would still be called by the system checks of "
    "`check` and `migrate` (and model fields take one only from Django 5.0): use a ForeignKey, "
    "or validate the value in a form"
)
OLD_DJANGO = "form fields take a callable `choices` only from Django 1.8"
CLASS_BODY = "evaluated when the class is created: use a lazy queryset, or compute it in a method"
MODULE_CODE = "runs a query at import: move it into the function that needs it"
DEFINITION = (
    "evaluated when the function is defined (a decorator or a default value): compute it "
    "inside the function"
)
MODULE_VALUE = "evaluated at import: make it a function"


@dataclass
class LazyPlan:
    choices: dict[Key, str] = field(default_factory=dict)  # `choices=` Arg -> function name
    before_class: dict[Key, list[str]] = field(default_factory=dict)  # class -> functions
    functions: dict[Key, str] = field(default_factory=dict)  # module-level assignment -> name
    calls: set[Key] = field(default_factory=set)  # names that become calls


def _field_kind(call: ast.Call, imports: dict[str, str]) -> str:
    """ "form" (a Django form field that takes a callable `choices`), "model" or "other"."""
    path = qualified_name(call.func, imports)
    module, _, name = path.rpartition(".")
    if module in ("django.forms", "django.forms.fields") and name in FORM_CHOICE_FIELDS:
        return "form"
    if module.startswith("django.db.models") or module.startswith("django.contrib.postgres"):
        return "model"
    return "other"


# -- import-time queries -------------------------------------------------------------------------


def _free_names(expr: ast.AST) -> set[str]:
    loads = {
        n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    local: set[str] = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.comprehension):
            local |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Lambda):
            local |= {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    return loads - local


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class ImportTimePlanner:
    """Plans the rewrite of the queries the scanner finds at import time into a LazyPlan;
    `run()` returns the queries it made lazy and those it left, with the reason."""

    def __init__(
        self,
        src: ParsedModule,
        lazy: LazyPlan,
        django_version: tuple[int, int] | None,
        imported_elsewhere: Collection[str] | None,
    ) -> None:
        self.src = src
        self.tree = src.tree
        self.lazy = lazy
        self.django_version = django_version
        self.imported_elsewhere = imported_elsewhere
        self.imports = module_imports(self.tree)
        self.bindings = module_bindings(self.tree)
        self.taken = {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)} | set(
            self.bindings
        )
        self.cst_args: dict[Key, cst.Arg] = {}
        self.cst_names: set[Key] = set()
        self.cst_statements: dict[Key, cst.CSTNode] = {}
        self.cst_classes: set[Key] = set()
        for node in src.positions:
            if isinstance(node, cst.Arg) and node.keyword is not None:
                self.cst_args[src.start(node)] = node
            elif isinstance(node, cst.Name):
                self.cst_names.add(src.start(node))
        for stmt in src.module.body:
            self.cst_statements[src.start(stmt)] = stmt
            if isinstance(stmt, cst.ClassDef):
                self.cst_classes.add(src.start(stmt))

    def run(self) -> tuple[list[tuple[str, int]], list[tuple[str, int, str]]]:
        by_line: dict[int, list[ast.AST]] = {}
        for node, _guarded in detector.walk_code(self.tree.body, import_time=True):
            if detector.evaluates_query(node):
                by_line.setdefault(getattr(node, "lineno", 1), []).append(node)
        outcome: dict[int, str] = {}  # id(node) -> "rewritten" or reason
        nodes = [n for line in sorted(by_line) for n in by_line[line]]
        for node in nodes:
            if id(node) not in outcome:
                self._plan_node(node, outcome)
        rewritten: list[tuple[str, int]] = []
        left: list[tuple[str, int, str]] = []
        for line in sorted(by_line):
            first = by_line[line][0]
            text = detector.snippet(
                first.iter if isinstance(first, (ast.For, ast.AsyncFor)) else first
            )
            reasons = [outcome[id(n)] for n in by_line[line] if outcome[id(n)] != "rewritten"]
            if reasons:
                left.append((text, line, reasons[0]))
            else:
                rewritten.append((text, line))
        return rewritten, left

    # -- one finding --------------------------------------------------------------------------

    def _plan_node(self, node: ast.AST, outcome: dict[int, str]) -> None:
        choices = self._choices_context(node)
        if choices is not None:
            cls, stmt, keyword = choices
            members = self._findings_in(keyword.value)
            reason = self._plan_choices(cls, stmt, keyword)
            for member in members:
                outcome[id(member)] = reason or "rewritten"
            outcome.setdefault(id(node), reason or "rewritten")
            return
        assign = self._module_assignment(node)
        if assign is not None:
            members = self._findings_in(assign.value)
            reason = self._plan_module_value(assign)
            for member in members:
                outcome[id(member)] = reason or "rewritten"
            outcome.setdefault(id(node), reason or "rewritten")
            return
        outcome[id(node)] = self._where(node)

    def _findings_in(self, expr: ast.AST) -> list[ast.AST]:
        return [n for n, _ in detector.walk_expr(expr, False) if detector.evaluates_query(n)]

    def _where(self, node: ast.AST) -> str:
        current: ast.AST | None = node
        value = False  # the query computes a value that module-level code assigns
        while current is not None:
            parent = self.src.parents.get(current)
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return DEFINITION
            if isinstance(parent, ast.ClassDef) and current in parent.body:
                return CLASS_BODY
            if isinstance(parent, (ast.Assign, ast.AnnAssign)) and current is parent.value:
                value = True
            current = parent
        return MODULE_VALUE if value else MODULE_CODE

    def _choices_context(
        self, node: ast.AST
    ) -> tuple[ast.ClassDef, ast.Assign | ast.AnnAssign, ast.keyword] | None:
        current = node
        while current in self.src.parents:
            parent = self.src.parents[current]
            if isinstance(parent, ast.stmt):
                return None
            if isinstance(parent, ast.keyword) and parent.arg == "choices":
                call = self.src.parents.get(parent)
                stmt = self.src.parents.get(call) if call is not None else None
                cls = self.src.parents.get(stmt) if stmt is not None else None
                if (
                    isinstance(stmt, (ast.Assign, ast.AnnAssign))
                    and stmt.value is call
                    and isinstance(cls, ast.ClassDef)
                    and stmt in cls.body
                ):
                    return cls, stmt, parent
                return None
            current = parent
        return None

    def _field_reason(self, cls: ast.ClassDef, stmt: ast.stmt, call: ast.Call) -> str | None:
        """Why `choices=` of this field call cannot become a callable; None when it can."""
        kind = _field_kind(call, self.imports)
        if kind == "model":
            return MODEL_CHOICES
        if kind == "other":
            return (
                f"`{detector.snippet(call.func, 40)}` is not a Django form field known to take "
                "a callable `choices`"
            )
        if self.django_version is not None and self.django_version < (1, 8):
            return OLD_DJANGO
        if cls not in self.tree.body:
            return "the class is not defined at module level"
        return None

    def _plan_choices(
        self, cls: ast.ClassDef, stmt: ast.Assign | ast.AnnAssign, keyword: ast.keyword
    ) -> str | None:
        call = stmt.value
        assert isinstance(call, ast.Call)
        reason = self._field_reason(cls, stmt, call)
        if reason:
            return reason
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            return "the field is not assigned to one name"
        expr = keyword.value
        if any(isinstance(n, ast.NamedExpr) for n in ast.walk(expr)):
            return "the choices bind a name (`:=`) in the class body"
        class_names = scan_names(cls.body)
        own = {s.name for s in class_names.stores if not s.nested}
        for name in sorted(_free_names(expr)):
            if name in own:
                return (
                    f"the choices use `{name}` of the class body, which a module-level "
                    "function cannot see"
                )
            if any(line > cls.lineno for line in self.bindings.get(name, [])):
                return f"`{name}` is bound again later in the module"
        arg_key = self.src.key(keyword)
        class_key = self.src.key(cls)
        if arg_key not in self.cst_args or class_key not in self.cst_classes:
            return "djfix could not locate the field in the source"
        name = self._fresh(f"_{targets[0].id}_choices", f"_{_snake(cls.name)}_{targets[0].id}")
        self.lazy.choices[arg_key] = name
        self.lazy.before_class.setdefault(class_key, []).append(name)
        return None

    def _fresh(self, name: str, longer: str) -> str:
        for candidate in (name, f"{longer}_choices"):
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        n = 2
        while f"{longer}_choices_{n}" in self.taken:
            n += 1
        self.taken.add(f"{longer}_choices_{n}")
        return f"{longer}_choices_{n}"

    # -- module-level values --------------------------------------------------------------------

    def _module_assignment(self, node: ast.AST) -> ast.Assign | None:
        current = node
        while current in self.src.parents:
            parent = self.src.parents[current]
            if isinstance(parent, ast.Assign) and current is parent.value:
                return parent if parent in self.tree.body else None
            if isinstance(parent, ast.stmt):
                return None
            current = parent
        return None

    def _plan_module_value(self, assign: ast.Assign) -> str | None:
        if len(assign.targets) != 1 or not isinstance(assign.targets[0], ast.Name):
            return MODULE_VALUE
        name = assign.targets[0].id
        if self.imported_elsewhere is None:
            return f"{MODULE_VALUE} (other modules may import `{name}`)"
        if name in self.imported_elsewhere:
            return f"{MODULE_VALUE} (another module imports `{name}`)"
        if name in self._exported():
            return f"{MODULE_VALUE} (`{name}` is in `__all__`)"
        if len(self.bindings.get(name, [])) != 1:
            return f"{MODULE_VALUE} (`{name}` is assigned more than once)"
        shared = [
            s
            for s in self.tree.body
            if s is not assign and s.lineno <= assign.end_lineno and s.end_lineno >= assign.lineno  # type: ignore[operator]
        ]
        if shared:
            return f"{MODULE_VALUE} (`{name}` shares its line with another statement)"
        for free in sorted(_free_names(assign.value)):
            if any(line > assign.lineno for line in self.bindings.get(free, [])):
                return f"{MODULE_VALUE} (`{free}` is bound again later in the module)"
        calls: list[Key] = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Name) or node.id != name or node is assign.targets[0]:
                continue
            problem = self._use_problem(node, calls)
            if problem:
                return f"{MODULE_VALUE} ({problem})"
        statement_key = self.src.key(assign)
        if statement_key not in self.cst_statements or any(k not in self.cst_names for k in calls):
            return f"{MODULE_VALUE} (djfix could not locate its uses in the source)"
        self.lazy.functions[statement_key] = name
        self.lazy.calls.update(calls)
        return None

    def _exported(self) -> set[str]:
        for stmt in self.tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets)
                and isinstance(stmt.value, (ast.List, ast.Tuple))
            ):
                return {
                    e.value
                    for e in stmt.value.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)
                }
        return set()

    def _use_problem(self, node: ast.Name, calls: list[Key]) -> str | None:
        """Why this occurrence of the name stops the value from becoming a function; None when
        it can (then a use inside a function is added to `calls`)."""
        if not isinstance(node.ctx, ast.Load):
            return f"line {node.lineno} assigns `{node.id}`"
        function = self._enclosing_function(node)
        if function is None:
            if self._is_callable_choices(node):
                return None
            return f"it is used at import, line {node.lineno}"
        scope: ast.AST | None = function
        while scope is not None:
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                declared = {
                    n
                    for stmt in ast.walk(scope)
                    if isinstance(stmt, (ast.Global, ast.Nonlocal))
                    for n in stmt.names
                }
                if node.id in declared:
                    return f"a function declares `global {node.id}`"
                if node.id in self._locals(scope):
                    return None  # a local of the same name: not this value
            scope = self._enclosing_function(scope)
        parent = self.src.parents.get(node)
        if isinstance(parent, ast.Attribute):
            return f"line {node.lineno} uses `{node.id}.{parent.attr}`"
        if isinstance(parent, ast.Subscript) and not isinstance(parent.ctx, ast.Load):
            return f"line {node.lineno} changes an item of `{node.id}`"
        calls.append(self.src.key(node))
        return None

    def _enclosing_function(self, node: ast.AST) -> ast.AST | None:
        """The function or lambda whose body holds `node` (decorators and default values run
        in the enclosing scope)."""
        current = node
        while current in self.src.parents:
            parent = self.src.parents[current]
            if (
                isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef))
                and current in parent.body
            ):
                return parent
            if isinstance(parent, ast.Lambda) and current is parent.body:
                return parent
            current = parent
        return None

    @staticmethod
    def _locals(function: ast.AST) -> set[str]:
        args = function.args  # type: ignore[attr-defined]
        names = {
            a.arg
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
            if a is not None
        }
        body = function.body if isinstance(function.body, list) else [function.body]  # type: ignore[attr-defined]
        scanned = scan_names(body)
        return names | {s.name for s in scanned.stores if not s.nested}

    def _is_callable_choices(self, node: ast.Name) -> bool:
        """`choices=NAME` of a form field in a class body: it may hold the function itself."""
        keyword = self.src.parents.get(node)
        if not isinstance(keyword, ast.keyword) or keyword.arg != "choices":
            return False
        context = self._choices_context(node)
        if context is None:
            return False
        cls, stmt, _ = context
        call = stmt.value
        return isinstance(call, ast.Call) and self._field_reason(cls, stmt, call) is None


# -- the rewrite ---------------------------------------------------------------------------------


class _Reindent(cst.CSTTransformer):
    """Moves the continuation lines of an expression `shift` columns left (right when
    negative), so that it keeps its shape under the line it now starts on."""

    def __init__(self, block: int, shift: int) -> None:
        super().__init__()
        self.block = block
        self.shift = shift

    def leave_ParenthesizedWhitespace(
        self, original: cst.ParenthesizedWhitespace, updated: cst.ParenthesizedWhitespace
    ) -> cst.ParenthesizedWhitespace:
        total = (self.block if updated.indent else 0) + len(updated.last_line.value)
        return updated.with_changes(
            indent=False, last_line=cst.SimpleWhitespace(" " * max(total - self.shift, 0))
        )

    def leave_EmptyLine(self, original: cst.EmptyLine, updated: cst.EmptyLine) -> cst.EmptyLine:
        if updated.comment is None:
            return updated
        total = (self.block if updated.indent else 0) + len(updated.whitespace.value)
        return updated.with_changes(
            indent=False, whitespace=cst.SimpleWhitespace(" " * max(total - self.shift, 0))
        )


class LazyRewrite(Command):
    """Applies a LazyPlan: callable `choices`, module-level values that become functions."""

    DESCRIPTION = "Let the app start before the schema exists (checklist item 10)."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: Context, lazy: LazyPlan, src: ParsedModule) -> None:
        super().__init__(context)
        self.lazy = lazy
        self.src = src
        self.moved: dict[str, cst.BaseExpression] = {}

    def start_of(self, node: cst.CSTNode) -> Key:
        position = self.get_metadata(PositionProvider, node)
        return position.start.line, position.start.column

    # -- class bodies: callable choices ----------------------------------------------------------

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        name = self.lazy.choices.get(self.start_of(original))
        if name is None:
            return updated
        line = self.start_of(original.value)[0]
        self.moved[name] = self._reindented(updated.value, line, self._class_indent(original))
        return updated.with_changes(value=cst.Name(name))

    def _class_indent(self, arg: cst.Arg) -> int:
        for stmt in self.src.module.body:
            if isinstance(stmt, cst.ClassDef):
                first, last = self.src.span(stmt)
                if first <= self.start_of(arg)[0] <= last:
                    indent = stmt.body.indent if isinstance(stmt.body, cst.IndentedBlock) else None
                    return len(self.src.module.default_indent if indent is None else indent)
        return len(self.src.module.default_indent)

    def _reindented(self, expr: cst.BaseExpression, line: int, block: int) -> cst.BaseExpression:
        indent = self.src.indent_of_line(line)
        unit = self.src.module.default_indent
        if indent is None or unit.strip(" ") or "\t" in cst.Module([]).code_for_node(expr):
            return expr
        return expr.visit(_Reindent(block, indent - len(unit)))  # type: ignore[return-value]

    def _function(self, name: str, expr: cst.BaseExpression) -> cst.FunctionDef:
        func = cst.parse_statement(f"def {name}():\n    return None\n")
        assert isinstance(func, cst.FunctionDef) and isinstance(func.body, cst.IndentedBlock)
        line = func.body.body[0]
        assert isinstance(line, cst.SimpleStatementLine)
        ret = line.body[0]
        assert isinstance(ret, cst.Return)
        line = line.with_changes(body=[ret.with_changes(value=expr)])
        return func.with_changes(body=func.body.with_changes(body=[line]))

    # -- module-level values: functions and calls ------------------------------------------------

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if self.lazy.calls and self.start_of(original) in self.lazy.calls:
            return cst.Call(func=updated)
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        name = self.lazy.functions.get(self.start_of(original))
        if name is None:
            return updated
        assign = updated.body[0]
        assert isinstance(assign, cst.Assign)
        line = self.start_of(original)[0]
        func = self._function(name, self._reindented(assign.value, line, 0))
        assert isinstance(func.body, cst.IndentedBlock)
        header = func.body.header.with_changes(
            whitespace=updated.trailing_whitespace.whitespace,
            comment=updated.trailing_whitespace.comment,
        )
        return func.with_changes(
            leading_lines=updated.leading_lines, body=func.body.with_changes(header=header)
        )

    # -- the module ------------------------------------------------------------------------------

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body: list[cst.BaseStatement] = []
        functions = set(self.lazy.functions)
        pad_next = False
        for before, after in zip(original.body, updated.body, strict=True):
            key = self.start_of(before)
            names = self.lazy.before_class.get(key, []) if isinstance(after, cst.ClassDef) else []
            defs = [self._function(n, self.moved[n]) for n in names if n in self.moved]
            if defs:
                gap, kept = blank_run(after.leading_lines)
                defs[0] = defs[0].with_changes(leading_lines=padded(gap, 2) if body else gap)
                defs[1:] = [d.with_changes(leading_lines=padded([], 2)) for d in defs[1:]]
                after = after.with_changes(leading_lines=padded(kept, 2))
                body.extend(defs)
            elif key in functions:
                if body:
                    after = after.with_changes(leading_lines=padded(after.leading_lines, 2))
                body.append(after)
                pad_next = True
                continue
            elif pad_next:
                after = after.with_changes(leading_lines=padded(after.leading_lines, 2))
            pad_next = False
            body.append(after)
        return updated.with_changes(body=body)
