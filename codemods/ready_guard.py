"""Queries in `AppConfig.ready()` and at import time (checklist item 10): let the app start
before `migrate` has created its tables.

Pure source -> source, for one module of a local app. `transform(source, module_kind=...)`
returns the new source, the queries it rewrote and the queries it left, with the reason. It
rewrites only what the item-10 detector reports (it asks the detector's own predicates), and
only where the rewrite cannot change what a working site does:

- `module_kind="apps"` (the module holding the app's AppConfig): a read in `ready()`, a manager
  call that cannot write, is wrapped together with the statements that use its result in
  `try: ... except (OperationalError, ProgrammingError)`, which logs a warning and lets the
  process start. A result kept for later (`self.count = Model.objects.count()`, a name ready()
  declares global, `CACHE[key] = list(...)`) gets a value of the same shape in the except
  clause (0, [], {}, None, ...), so the app starts on an empty database. The detector still
  reports a guarded query (it still runs in every process), as a guarded one. Writes belong in
  a data migration (item 12); raw SQL, management commands, results whose empty value djfix
  cannot tell and calls djfix cannot tell from a write are left.
- both kinds: the `choices=` of a Django form field computed from a query in a class body
  becomes a module-level function, passed as a callable `choices` (form fields call it each
  time they render or validate, since Django 1.8). A module-level value computed from a query
  becomes a function, and its uses calls, when every use allows it and the caller knows that no
  other module imports the name. Model-field choices are left: Django's system checks call a
  callable `choices` during `check` and `migrate`, so the query would still run before the
  tables exist.

Everything else the detector reports is left with the reason, so that silence means "clean".
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from codemods.cst_tools import code_of, string_code
from codemods.import_guard import empty_value
from codemods.module_level import preferred_quote

# The detector decides what a finding is; `from package import module` also works while the
# detector module is itself being imported (it may import this codemod for its fix plan).
from fixer.analysis import startup_code as detector

APPS = "apps"
MODULE = "module"

#: manager and queryset methods that only read
READ_METHODS = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "get",
        "first",
        "last",
        "count",
        "exists",
        "values",
        "values_list",
        "order_by",
        "distinct",
        "select_related",
        "prefetch_related",
        "only",
        "defer",
        "annotate",
        "alias",
        "aggregate",
        "in_bulk",
        "iterator",
        "latest",
        "earliest",
        "none",
        "using",
        "reverse",
        "dates",
        "datetimes",
        "contains",
        "get_queryset",
        "get_by_natural_key",
        "get_current",
        "get_for_id",
        "union",
        "intersection",
        "difference",
    }
)
#: methods that create rows (`get_for_model` creates the content type it does not find)
CREATE_METHODS = frozenset(
    {
        "create",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "save",
        "get_for_model",
        "get_for_models",
        "create_user",
        "create_superuser",
    }
)
#: methods that change or delete rows
CHANGE_METHODS = frozenset({"update", "bulk_update", "delete", "add", "remove", "set", "clear"})
#: form fields whose `choices` may be a callable (Django >= 1.8)
FORM_CHOICE_FIELDS = frozenset(
    {"ChoiceField", "TypedChoiceField", "MultipleChoiceField", "TypedMultipleChoiceField"}
)
#: the names `from django.db.utils import ...` brings, and where else Django exports them
DB_ERRORS = ("OperationalError", "ProgrammingError")
DB_ERROR_MODULES = frozenset({"django.db", "django.db.utils"})

CREATES = "creates data: belongs in a data migration (item 12)"
CHANGES = "changes data: belongs in a data migration (item 12)"
ALREADY_GUARDED = (
    "already guarded: a missing table no longer stops the start, but the query still runs "
    "in every process"
)
RAW_SQL = "runs SQL through a connection, which may write: move it out of ready()"
MIGRATION_STATE = "inspects the migration state: move it out of ready()"
COMMAND = "runs a management command at startup: make it a release step after `migrate`"
ONE_LINE_READY = "ready() is written on one line"
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
class Result:
    code: str
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (query, line)
    left: list[tuple[str, int, str]] = field(default_factory=list)  # (query, line, reason)


Key = tuple[int, int]  # (line, column) where a node starts, the same in ast and libcst terms


# -- positions -----------------------------------------------------------------------------------


class _Source:
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
class _Name:
    name: str
    line: int
    nested: bool  # inside a function, lambda or class defined in the scanned body


@dataclass
class _Names:
    loads: list[_Name] = field(default_factory=list)
    stores: list[_Name] = field(default_factory=list)
    outer_stores: list[_Name] = field(default_factory=list)  # `self.x =`, `d[k] =`, `global x`

    def bound_in(self, first: int, last: int) -> set[str]:
        return {s.name for s in self.stores if not s.nested and first <= s.line <= last}

    def outer_in(self, first: int, last: int) -> list[_Name]:
        return [s for s in self.outer_stores if first <= s.line <= last]


def _scan_names(stmts: Sequence[ast.stmt]) -> _Names:
    names = _Names()
    for stmt in stmts:
        _collect(stmt, False, names)
    return names


def _collect(node: ast.AST, nested: bool, out: _Names) -> None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        out.stores.append(_Name(node.name, node.lineno, nested))
        for child in ast.iter_child_nodes(node):
            _collect(child, True, out)
        return
    if isinstance(node, ast.Lambda):
        for child in ast.iter_child_nodes(node):
            _collect(child, True, out)
        return
    if isinstance(node, ast.comprehension):
        # its target is local to the comprehension
        for child in (node.iter, *node.ifs):
            _collect(child, nested, out)
        return
    if isinstance(node, ast.Name):
        bucket = out.loads if isinstance(node.ctx, ast.Load) else out.stores
        bucket.append(_Name(node.id, node.lineno, nested))
    elif isinstance(node, (ast.Attribute, ast.Subscript)) and not nested:
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            out.outer_stores.append(_Name(detector.snippet(node, 40), node.lineno, nested))
    elif isinstance(node, (ast.Global, ast.Nonlocal)) and not nested:
        out.outer_stores.extend(_Name(n, node.lineno, nested) for n in node.names)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name != "*":
                local = alias.asname or alias.name.split(".")[0]
                out.stores.append(_Name(local, node.lineno, nested))
    elif isinstance(node, ast.ExceptHandler) and node.name:
        out.stores.append(_Name(node.name, node.lineno, nested))
    for child in ast.iter_child_nodes(node):
        _collect(child, nested, out)


# -- what a query in ready() does ----------------------------------------------------------------


@dataclass
class _ReadyHit:
    text: str
    line: int  # where the detector reports it: the call in ready() that runs it
    guarded: bool
    reason: str | None  # why it cannot be guarded; None for a read
    label: str  # what the warning says was skipped
    via: int | None = None  # the helper call in ready() that runs it, if any
    outcome: str | None = None  # "rewritten", or the reason it is left


def _classify(node: ast.AST) -> tuple[str | None, str]:
    """(reason a query cannot be guarded, or None for a read; what it reads)."""
    if not isinstance(node, ast.Call) or detector.is_cursor_call(node):
        return RAW_SQL, ""
    name = detector.call_name(node)
    if name == "MigrationExecutor":
        return MIGRATION_STATE, ""
    if name == "call_command":
        return COMMAND, ""
    links = list(detector.chain(node))
    manager = next(
        (
            i
            for i, link in enumerate(links)
            if isinstance(link, ast.Attribute) and link.attr in detector.MANAGERS
        ),
        None,
    )
    outer = links if manager is None else links[:manager]
    methods = [
        link.func.attr
        for link in outer
        if isinstance(link, ast.Call) and isinstance(link.func, ast.Attribute)
    ]
    if any(m in CREATE_METHODS for m in methods):
        return CREATES, ""
    if any(m in CHANGE_METHODS for m in methods):
        return CHANGES, ""
    unknown = [m for m in methods if m not in READ_METHODS]
    if manager is None or unknown:
        call = unknown[0] if unknown else name
        return f"calls `{call}()`, which djfix cannot tell from a write: move it out of ready()", ""
    model = links[manager]
    assert isinstance(model, ast.Attribute)
    return None, f"reading {detector.snippet(model.value, 40)}"


def _ready_hits(
    tree: ast.Module, cls: ast.ClassDef, func: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[_ReadyHit]:
    functions = detector.module_functions(tree)
    hits: list[_ReadyHit] = []
    helper_reason: dict[int, str | None] = {}
    for hit in detector.scan_body(func, tree, cls, detector.is_query_in_ready):
        reason, label = _classify(hit.node)
        if hit.via is not None:
            label = f"{hit.via_name}()"
        via = id(hit.via) if hit.via is not None else None
        hits.append(
            _ReadyHit(detector.snippet(hit.node), hit.line, hit.guarded, reason, label, via)
        )
        if hit.via is not None and id(hit.via) not in helper_reason:
            helper = detector.called_helper(hit.via, functions, cls)
            stores = _scan_names(helper.body).outer_stores if helper else []
            helper_reason[id(hit.via)] = (
                f"`{hit.via_name}()` stores its result in `{stores[0].name}`, which would be "
                "missing if the query were skipped: compute it where it is used"
                if stores
                else None
            )
        if via is not None:
            hits[-1].reason = hits[-1].reason or helper_reason[via]
    # a read that runs in the same helper call as something unguardable is not guarded alone
    for h in hits:
        if h.via is None or h.reason is not None:
            continue
        other = next((o for o in hits if o.via == h.via and o.reason), None)
        if other is not None:
            h.reason = f"runs in the same call as `{other.text}`, which cannot be guarded"
    return hits


# -- planning the guards in ready() --------------------------------------------------------------


@dataclass
class _Plan:
    wraps: dict[Key, tuple[Key, str]] = field(default_factory=dict)  # first stmt -> (last, what)
    exc_names: dict[Key, str] = field(default_factory=dict)  # first stmt -> `as` name
    #: first stmt -> (target, empty value) set in the except clause, for results kept for later
    fallbacks: dict[Key, list[tuple[str, str]]] = field(default_factory=dict)
    choices: dict[Key, str] = field(default_factory=dict)  # `choices=` Arg -> function name
    before_class: dict[Key, list[str]] = field(default_factory=dict)  # class -> functions
    functions: dict[Key, str] = field(default_factory=dict)  # module-level assignment -> name
    calls: set[Key] = field(default_factory=set)  # names that become calls
    logger: str = "logger"
    add_logger: bool = False
    add_errors: list[str] = field(default_factory=list)


def _child_suites(stmt: cst.CSTNode, in_loop: bool) -> Iterator[tuple[cst.IndentedBlock, bool]]:
    """The indented blocks of a compound statement, each with "runs repeatedly"."""
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.IndentedBlock):
        yield body, in_loop or isinstance(stmt, (cst.For, cst.While))
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, (cst.If, cst.Else)):  # elif / else: once, after the loop if any
        yield from _child_suites(orelse, in_loop)
    for part in (*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())):
        yield from _child_suites(part, in_loop)
    finalbody = getattr(stmt, "finalbody", None)
    if finalbody is not None:
        yield from _child_suites(finalbody, in_loop)


class _ReadyPlanner:
    """Chooses the statements of one ready() to wrap, innermost blocks only where a whole
    statement cannot be wrapped."""

    def __init__(
        self,
        src: _Source,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        hits: list[_ReadyHit],
        plan: _Plan,
        blocked: str | None,
    ) -> None:
        self.src = src
        self.hits = hits
        self.plan = plan
        self.names = _scan_names(func.body)
        #: names ready() declares global: assigning one stores a result for later
        self.globals = {
            name for node in ast.walk(func) if isinstance(node, ast.Global) for name in node.names
        }
        self.blocked = blocked
        used = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)} | {
            a.arg for a in ast.walk(func) if isinstance(a, ast.arg)
        }
        self.exc_name = next((n for n in ("exc", "error", "db_error") if n not in used), None)
        if self.blocked is None and plan.logger in self.names.bound_in(1, 10**9):
            self.blocked = f"ready() binds its own `{plan.logger}`"
        if self.blocked is None and self.exc_name is None:
            self.blocked = "ready() already uses the names `exc`, `error` and `db_error`"

    def run(self, body: cst.BaseSuite) -> None:
        for hit in self.hits:
            if hit.guarded:
                hit.outcome = hit.reason or ALREADY_GUARDED
            elif hit.reason is not None:
                hit.outcome = hit.reason
        if not isinstance(body, cst.IndentedBlock):
            for hit in self.hits:
                hit.outcome = hit.outcome or ONE_LINE_READY
            return
        self.suite(body.body, False)
        for hit in self.hits:
            hit.outcome = hit.outcome or "djfix could not place it in ready()"

    def _hits_in(self, first: int, last: int) -> list[_ReadyHit]:
        return [h for h in self.hits if first <= h.line <= last]

    def suite(self, stmts: Sequence[cst.BaseStatement], in_loop: bool) -> None:
        spans = [self.src.span(s) for s in stmts]

        def index_of(line: int) -> int | None:
            return next((i for i, (a, b) in enumerate(spans) if a <= line <= b), None)

        starts = sorted(
            {
                i
                for h in self.hits
                if not h.guarded and h.outcome is None
                for i in [index_of(h.line)]
                if i is not None
            }
        )
        blocks = [[i, i] for i in starts]
        failures: dict[int, str] = {}
        changed = True
        while changed:
            changed = False
            for block in blocks:
                failure = self._extend(block, spans, index_of, in_loop)
                if failure:
                    failures[block[0]] = failure
            # blocks that grew into each other become one
            merged: list[list[int]] = []
            for block in blocks:
                if merged and block[0] <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], block[1])
                    changed = True
                    if block[0] in failures:
                        failures.setdefault(merged[-1][0], failures.pop(block[0]))
                else:
                    merged.append(block)
            blocks = merged
        guarded: list[list[int]] = []
        fallbacks: dict[int, list[tuple[str, str]]] = {}
        for first, last in blocks:
            a, b = spans[first][0], spans[last][1]
            failure = failures.get(first) or self._check(a, b)
            if failure is None:
                found = self._fallbacks(stmts[first : last + 1])
                if isinstance(found, str):
                    failure = found
                else:
                    fallbacks[first] = found
            if failure is None:
                if guarded and guarded[-1][1] + 1 == first:
                    guarded[-1][1] = last  # one `try` for reads that follow each other
                    fallbacks[guarded[-1][0]] += fallbacks.pop(first)
                else:
                    guarded.append([first, last])
                continue
            for stmt in stmts[first : last + 1]:
                for block_node, loop in _child_suites(stmt, in_loop):
                    self.suite(block_node.body, loop)
            for hit in self._hits_in(a, b):
                hit.outcome = hit.outcome or failure
        for first, last in guarded:
            self._wrap(stmts[first], stmts[last], spans[first][0], spans[last][1])
            if fallbacks[first]:
                self.plan.fallbacks[self.src.start(stmts[first])] = fallbacks[first]

    def _extend(self, block: list[int], spans, index_of, in_loop: bool) -> str | None:
        while True:
            a, b = spans[block[0]][0], spans[block[1]][1]
            bound = self.names.bound_in(a, b)
            grown = False
            for use in self.names.loads:
                if use.name not in bound or a <= use.line <= b:
                    continue
                if use.nested:
                    return (
                        f"its result `{use.name}` is used by a function defined in ready() "
                        f"(line {use.line})"
                    )
                if use.line > b:
                    k = index_of(use.line)
                    if k is None:
                        return (
                            f"its result `{use.name}` is used after the enclosing block "
                            f"(line {use.line})"
                        )
                    if k > block[1]:
                        block[1] = k
                        grown = True
                        break
                elif in_loop:
                    return f"its result `{use.name}` is used again on the next turn of the loop"
            if not grown:
                return None

    def _check(self, a: int, b: int) -> str | None:
        if self.blocked:
            return self.blocked
        for hit in self._hits_in(a, b):
            if hit.reason is not None:
                return (
                    f"runs in one block with `{hit.text}` (line {hit.line}), which cannot be "
                    "guarded"
                )
        return None

    def _fallbacks(self, stmts: Sequence[cst.BaseStatement]) -> list[tuple[str, str]] | str:
        """(target, empty value) for each result a block keeps for later (`self.x = ...`,
        `module.X = ...`, `CACHE[key] = ...`, a name ready() declares global), set in the
        except clause so that the app starts with a value of the same shape; or the reason
        the block cannot be guarded."""
        out: list[tuple[str, str]] = []
        for stmt in stmts:
            a, b = self.src.span(stmt)
            stored = [n.name for n in self.names.outer_in(a, b)] + sorted(
                {
                    n.name
                    for n in self.names.stores
                    if not n.nested and a <= n.line <= b and n.name in self.globals
                }
            )
            if not stored:
                continue
            missing = (
                f"stores its result in `{stored[0]}`, which would be missing if the query "
                "were skipped: compute it where it is used"
            )
            if not (
                isinstance(stmt, cst.SimpleStatementLine)
                and len(stmt.body) == 1
                and isinstance(stmt.body[0], cst.Assign)
                and len(stmt.body[0].targets) == 1
            ):
                return missing
            assign = stmt.body[0]
            target = assign.targets[0].target
            if isinstance(target, cst.Name) and target.value not in self.globals:
                return missing  # a local, with a store of its own elsewhere in the statement
            if not isinstance(target, (cst.Name, cst.Attribute, cst.Subscript)):
                return missing
            empty = empty_value(assign.value)
            if empty is None:
                return (
                    f"stores its result in `{stored[0]}`, and djfix cannot tell which empty "
                    "value stands for it: compute it where it is used"
                )
            out.append((code_of(target), empty))
        return out

    def _wrap(self, first: cst.CSTNode, last: cst.CSTNode, a: int, b: int) -> None:
        hits = [h for h in self._hits_in(a, b) if not h.guarded]
        labels: list[str] = []
        for hit in hits:
            hit.outcome = "rewritten"
            if hit.label not in labels:
                labels.append(hit.label)
        key = self.src.start(first)
        self.plan.wraps[key] = (self.src.start(last), _what(labels))
        assert self.exc_name is not None
        self.plan.exc_names[key] = self.exc_name


def _what(labels: list[str]) -> str:
    """ "reading Category and Tag", "load_defaults() and reading Site"."""
    reads = [label.removeprefix("reading ") for label in labels if label.startswith("reading ")]
    parts = [label for label in labels if not label.startswith("reading ")]
    if reads:
        parts.append("reading " + _join(reads))
    return _join(parts)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- module-level facts --------------------------------------------------------------------------


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted path, for the imports at module level."""
    out: dict[str, str] = {}
    for node in _module_level(tree.body):
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


def _module_level(stmts: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at module level: into if/try/with/for blocks, not into functions
    or classes."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list):
                yield from _module_level(inner)
        for handler in getattr(stmt, "handlers", ()):
            yield from _module_level(handler.body)


def _module_bindings(tree: ast.Module) -> dict[str, list[int]]:
    """Name -> lines where module-level code binds it."""
    out: dict[str, list[int]] = {}
    for stmt in _module_level(tree.body):
        names = _Names()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.stores.append(_Name(stmt.name, stmt.lineno, False))
        elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for part in ("target", "items"):
                node = getattr(stmt, part, None)
                for item in node if isinstance(node, list) else [node]:
                    if item is not None:
                        _collect(item, False, names)
            for handler in getattr(stmt, "handlers", ()):
                if handler.name:
                    names.stores.append(_Name(handler.name, handler.lineno, False))
        else:
            _collect(stmt, False, names)
        for store in names.stores:
            if not store.nested:
                out.setdefault(store.name, []).append(store.line)
    return out


def _qualified(func: ast.AST, imports: dict[str, str]) -> str:
    text = detector.snippet(func, 200)
    head, _, rest = text.partition(".")
    base = imports.get(head)
    if base is None:
        return text
    return f"{base}.{rest}" if rest else base


def _field_kind(call: ast.Call, imports: dict[str, str]) -> str:
    """ "form" (a Django form field that takes a callable `choices`), "model" or "other"."""
    path = _qualified(call.func, imports)
    module, _, name = path.rpartition(".")
    if module in ("django.forms", "django.forms.fields") and name in FORM_CHOICE_FIELDS:
        return "form"
    if module.startswith("django.db.models") or module.startswith("django.contrib.postgres"):
        return "model"
    return "other"


def _logger_name(tree: ast.Module, imports: dict[str, str]) -> tuple[str, bool, str | None]:
    """(name of the module's logger, whether it must be created, why none can be used)."""
    bound = _module_bindings(tree)
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
            and _qualified(stmt.value.func, imports) == "logging.getLogger"
            and len(bound.get(stmt.targets[0].id, [])) == 1
        ):
            return stmt.targets[0].id, False, None
    if "logger" in bound:
        return "logger", False, "the module's `logger` is not made by logging.getLogger()"
    if "logging" in bound and imports.get("logging") != "logging":
        return "logger", True, "the module binds `logging` to something else"
    return "logger", True, None


def _errors_state(tree: ast.Module, imports: dict[str, str]) -> tuple[list[str], str | None]:
    """(the exception names to import, why they cannot be used)."""
    bound = _module_bindings(tree)
    missing: list[str] = []
    for name in DB_ERRORS:
        path = imports.get(name)
        if (
            path is not None
            and path.rpartition(".")[0] in DB_ERROR_MODULES
            and len(bound.get(name, [])) == 1
        ):
            continue
        if name in bound:
            return [], f"the module binds `{name}` to something other than Django's"
        missing.append(name)
    return missing, None


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


class _ImportTimePlanner:
    def __init__(
        self,
        src: _Source,
        plan: _Plan,
        django_version: tuple[int, int] | None,
        imported_elsewhere: Collection[str] | None,
    ) -> None:
        self.src = src
        self.tree = src.tree
        self.plan = plan
        self.django_version = django_version
        self.imported_elsewhere = imported_elsewhere
        self.imports = _imports(self.tree)
        self.bindings = _module_bindings(self.tree)
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
        class_names = _scan_names(cls.body)
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
        self.plan.choices[arg_key] = name
        self.plan.before_class.setdefault(class_key, []).append(name)
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
        self.plan.functions[statement_key] = name
        self.plan.calls.update(calls)
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
        scanned = _scan_names(body)
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


def _blank_run(lines: Sequence[cst.EmptyLine]) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """Leading lines split after their last blank line: (the gap, the comments kept with the
    code)."""
    last_blank = max((i for i, line in enumerate(lines) if line.comment is None), default=-1)
    return list(lines[: last_blank + 1]), list(lines[last_blank + 1 :])


def _padded(lines: Sequence[cst.EmptyLine], blank: int) -> list[cst.EmptyLine]:
    """At least `blank` blank lines before the first comment."""
    have = 0
    for line in lines:
        if line.comment is not None:
            break
        have += 1
    return [cst.EmptyLine() for _ in range(max(blank - have, 0))] + list(lines)


class _Rewrite(VisitorBasedCodemodCommand):
    DESCRIPTION = "Let the app start before the schema exists (checklist item 10)."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: CodemodContext, plan: _Plan, src: _Source, quote: str) -> None:
        super().__init__(context)
        self.plan = plan
        self.src = src
        self.quote = quote
        self.moved: dict[str, cst.BaseExpression] = {}
        self.wrapped = 0

    def _start(self, node: cst.CSTNode) -> Key:
        position = self.get_metadata(PositionProvider, node)
        return position.start.line, position.start.column

    # -- ready(): guards -------------------------------------------------------------------------

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not self.plan.wraps:
            return updated
        keys = [self._start(s) for s in original.body]
        out: list[cst.BaseStatement] = []
        i = 0
        while i < len(keys):
            wrap = self.plan.wraps.get(keys[i])
            if wrap is None:
                out.append(updated.body[i])
                i += 1
                continue
            last_key, what = wrap
            j = keys.index(last_key, i)
            out.append(
                self._guard(
                    list(updated.body[i : j + 1]),
                    what,
                    self.plan.exc_names[keys[i]],
                    self.plan.fallbacks.get(keys[i], []),
                )
            )
            self.wrapped += 1
            i = j + 1
        return updated.with_changes(body=out)

    def _guard(
        self,
        stmts: list[cst.BaseStatement],
        what: str,
        exc: str,
        fallbacks: list[tuple[str, str]],
    ) -> cst.Try:
        message = string_code(f"Skipped {what.replace('%', '%%')} at startup: %s", self.quote)
        comment = "start with empty values" if fallbacks else "start anyway"
        template = cst.parse_statement(
            "try:\n"
            "    pass\n"
            f"except ({', '.join(DB_ERRORS)}) as {exc}:\n"
            f"    # The tables do not exist yet (before `migrate`): {comment}.\n"
            f"    {self.plan.logger}.warning({message}, {exc})\n"
            + "".join(f"    {target} = {empty}\n" for target, empty in fallbacks)
        )
        assert isinstance(template, cst.Try)
        gap, kept = _blank_run(stmts[0].leading_lines)
        stmts[0] = stmts[0].with_changes(leading_lines=kept)
        body = template.body.with_changes(body=stmts)
        return template.with_changes(body=body, leading_lines=gap)

    # -- class bodies: callable choices ----------------------------------------------------------

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        name = self.plan.choices.get(self._start(original))
        if name is None:
            return updated
        line = self._start(original.value)[0]
        self.moved[name] = self._reindented(updated.value, line, self._class_indent(original))
        return updated.with_changes(value=cst.Name(name))

    def _class_indent(self, arg: cst.Arg) -> int:
        for stmt in self.src.module.body:
            if isinstance(stmt, cst.ClassDef):
                first, last = self.src.span(stmt)
                if first <= self._start(arg)[0] <= last:
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
        if self.plan.calls and self._start(original) in self.plan.calls:
            return cst.Call(func=updated)
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        name = self.plan.functions.get(self._start(original))
        if name is None:
            return updated
        assign = updated.body[0]
        assert isinstance(assign, cst.Assign)
        line = self._start(original)[0]
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
        functions = set(self.plan.functions)
        pad_next = False
        for before, after in zip(original.body, updated.body, strict=True):
            key = self._start(before)
            names = self.plan.before_class.get(key, []) if isinstance(after, cst.ClassDef) else []
            defs = [self._function(n, self.moved[n]) for n in names if n in self.moved]
            if defs:
                gap, kept = _blank_run(after.leading_lines)
                defs[0] = defs[0].with_changes(leading_lines=_padded(gap, 2) if body else gap)
                defs[1:] = [d.with_changes(leading_lines=_padded([], 2)) for d in defs[1:]]
                after = after.with_changes(leading_lines=_padded(kept, 2))
                body.extend(defs)
            elif key in functions:
                if body:
                    after = after.with_changes(leading_lines=_padded(after.leading_lines, 2))
                body.append(after)
                pad_next = True
                continue
            elif pad_next:
                after = after.with_changes(leading_lines=_padded(after.leading_lines, 2))
            pad_next = False
            body.append(after)
        if self.wrapped:
            if self.plan.add_logger:
                AddImportsVisitor.add_needed_import(self.context, "logging")
                body = _after_imports(
                    body, cst.parse_statement(f"{self.plan.logger} = logging.getLogger(__name__)\n")
                )
            for name in self.plan.add_errors:
                AddImportsVisitor.add_needed_import(self.context, "django.db.utils", name)
        return updated.with_changes(body=body)


def _after_imports(
    body: list[cst.BaseStatement], stmt: cst.BaseStatement
) -> list[cst.BaseStatement]:
    index = 0
    for i, node in enumerate(body):
        if isinstance(node, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) for s in node.body
        ):
            index = i + 1
        elif (
            i == 0
            and isinstance(node, cst.SimpleStatementLine)
            and isinstance(node.body[0], cst.Expr)
            and isinstance(node.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
        ):
            index = 1  # the module docstring
        else:
            break
    stmt = stmt.with_changes(leading_lines=[cst.EmptyLine()] if index else [])
    if index < len(body):
        body[index] = body[index].with_changes(leading_lines=_padded(body[index].leading_lines, 1))
    return [*body[:index], stmt, *body[index:]]


# -- entry point ---------------------------------------------------------------------------------


def _app_configs(
    tree: ast.Module,
) -> Iterator[tuple[ast.ClassDef, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        if not any(
            (b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")).endswith("AppConfig")
            for b in cls.bases
        ):
            continue
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "ready":
                yield cls, stmt


def _cst_body(src: _Source, cls: ast.ClassDef, func: ast.AST) -> cst.BaseSuite | None:
    for stmt in src.module.body:
        if isinstance(stmt, cst.ClassDef) and src.start(stmt.name)[0] == cls.lineno:
            for inner in stmt.body.body:
                if (
                    isinstance(inner, cst.FunctionDef)
                    and inner.name.value == "ready"
                    and src.start(inner.name)[0] == func.lineno  # type: ignore[attr-defined]
                ):
                    return inner.body
    return None


def transform(
    source: str,
    *,
    module_kind: str,
    django_version: tuple[int, int] | None = None,
    imported_elsewhere: Collection[str] | None = None,
) -> Result:
    """Rewrite one module of a local app so that importing it, and running its AppConfig's
    ready(), work before `migrate` has created the tables.

    module_kind: "apps" for the module that defines the app's AppConfig (its ready() and its
    import-time code are handled), "module" for any other module of the app (import-time
    code only). django_version: the project's Django, when known. imported_elsewhere: names
    of this module that other modules import; None when unknown, and then no module-level
    value becomes a function. A module that does not parse is returned unchanged, with the
    reason in `left`.
    """
    if module_kind not in (APPS, MODULE):
        raise ValueError(f"module_kind must be {APPS!r} or {MODULE!r}, not {module_kind!r}")
    try:
        tree = ast.parse(source)
        module = cst.parse_module(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, cst.ParserSyntaxError) as error:
        line = getattr(error, "lineno", None) or getattr(error, "raw_line", None) or 1
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return Result(source, [], [("module", int(line), f"does not parse: {first}")])
    src = _Source(source, tree, module)
    imports = _imports(tree)
    plan = _Plan()
    logger, plan.add_logger, logger_problem = _logger_name(tree, imports)
    plan.logger = logger
    plan.add_errors, errors_problem = _errors_state(tree, imports)
    result = Result(source)

    if module_kind == APPS:
        for cls, func in _app_configs(tree):
            hits = _ready_hits(tree, cls, func)
            if not hits:
                continue
            body = _cst_body(src, cls, func)
            planner = _ReadyPlanner(src, func, hits, plan, logger_problem or errors_problem)
            if body is None:
                for hit in hits:
                    hit.outcome = "djfix could not locate ready() in the source"
            else:
                planner.run(body)
            for hit in hits:
                if hit.outcome == "rewritten":
                    result.rewritten.append((hit.text, hit.line))
                else:
                    result.left.append((hit.text, hit.line, hit.outcome or "left"))

    rewritten, left = _ImportTimePlanner(src, plan, django_version, imported_elsewhere).run()
    result.rewritten.extend(rewritten)
    result.left.extend(left)
    result.rewritten.sort(key=lambda entry: entry[1])
    result.left.sort(key=lambda entry: entry[1])

    if not (plan.wraps or plan.choices or plan.functions):
        return result
    command = _Rewrite(CodemodContext(), plan, src, preferred_quote(module, source))
    result.code = command.transform_module(module).code
    return result
