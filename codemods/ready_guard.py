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
- both kinds: queries at import time are made lazy where that is safe (callable form-field
  `choices`, module-level values that become functions): `codemods.lazy_queries` plans and
  rewrites them, in the same pass.

Everything else the detector reports is left with the reason, so that silence means "clean".
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from codemods.app_module import (
    Key,
    ParsedModule,
    blank_run,
    empty_value,
    module_bindings,
    module_imports,
    padded,
    qualified_name,
    scan_names,
)
from codemods.command import Context, need_import
from codemods.cst_tools import code_of, parse_module, string_code
from codemods.lazy_queries import ImportTimePlanner, LazyPlan, LazyRewrite
from codemods.module_level import preferred_quote

# The detector decides what a finding is: the codemod asks the scanner's own predicates
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


@dataclass
class Result:
    code: str
    rewritten: list[tuple[str, int]] = field(default_factory=list)  # (query, line)
    left: list[tuple[str, int, str]] = field(default_factory=list)  # (query, line, reason)


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
            stores = scan_names(helper.body).outer_stores if helper else []
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
    """The guards in ready()."""

    wraps: dict[Key, tuple[Key, str]] = field(default_factory=dict)  # first stmt -> (last, what)
    exc_names: dict[Key, str] = field(default_factory=dict)  # first stmt -> `as` name
    #: first stmt -> (target, empty value) set in the except clause, for results kept for later
    fallbacks: dict[Key, list[tuple[str, str]]] = field(default_factory=dict)
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
        src: ParsedModule,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        hits: list[_ReadyHit],
        plan: _Plan,
        blocked: str | None,
    ) -> None:
        self.src = src
        self.hits = hits
        self.plan = plan
        self.names = scan_names(func.body)
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


def _logger_name(tree: ast.Module, imports: dict[str, str]) -> tuple[str, bool, str | None]:
    """(name of the module's logger, whether it must be created, why none can be used)."""
    bound = module_bindings(tree)
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
            and qualified_name(stmt.value.func, imports) == "logging.getLogger"
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
    bound = module_bindings(tree)
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


# -- the rewrite ---------------------------------------------------------------------------------


class _Rewrite(LazyRewrite):
    """The lazy rewrite of import-time queries plus the guards in ready()."""

    def __init__(
        self,
        context: Context,
        plan: _Plan,
        lazy: LazyPlan,
        src: ParsedModule,
        quote: str,
    ) -> None:
        super().__init__(context, lazy, src)
        self.plan = plan
        self.quote = quote
        self.wrapped = 0

    # -- ready(): guards -------------------------------------------------------------------------

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not self.plan.wraps:
            return updated
        keys = [self.start_of(s) for s in original.body]
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
        gap, kept = blank_run(stmts[0].leading_lines)
        stmts[0] = stmts[0].with_changes(leading_lines=kept)
        body = template.body.with_changes(body=stmts)
        return template.with_changes(body=body, leading_lines=gap)

    # -- the module ------------------------------------------------------------------------------

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        updated = super().leave_Module(original, updated)
        if not self.wrapped:
            return updated
        body = list(updated.body)
        if self.plan.add_logger:
            need_import(self.context, "logging")
            body = _after_imports(
                body, cst.parse_statement(f"{self.plan.logger} = logging.getLogger(__name__)\n")
            )
        for name in self.plan.add_errors:
            need_import(self.context, "django.db.utils", name)
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
        body[index] = body[index].with_changes(leading_lines=padded(body[index].leading_lines, 1))
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


def _cst_body(src: ParsedModule, cls: ast.ClassDef, func: ast.AST) -> cst.BaseSuite | None:
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
        module = parse_module(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, cst.ParserSyntaxError) as error:
        line = getattr(error, "lineno", None) or getattr(error, "raw_line", None) or 1
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return Result(source, [], [("module", int(line), f"does not parse: {first}")])
    src = ParsedModule(source, tree, module)
    imports = module_imports(tree)
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

    lazy = LazyPlan()
    rewritten, left = ImportTimePlanner(src, lazy, django_version, imported_elsewhere).run()
    result.rewritten.extend(rewritten)
    result.left.extend(left)
    result.rewritten.sort(key=lambda entry: entry[1])
    result.left.sort(key=lambda entry: entry[1])

    if not (plan.wraps or lazy.choices or lazy.functions):
        return result
    command = _Rewrite(Context(), plan, lazy, src, preferred_quote(module, source))
    result.code = command.transform_module(module).code
    return result
