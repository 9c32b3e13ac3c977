"""Item 10: the app starts before the schema exists.

## What it checks
- `query-in-ready` (DJ100): database access in the `ready()` method of a local app's
  AppConfig: any `Model.objects.<...>(...)` call (including `ContentType.objects`,
  `Permission.objects` and `get_user_model().objects`), `.save()`, `.delete()`,
  `connection.cursor()`, `connections[...]`, `MigrationExecutor(...)` and `call_command(...)`.
  Only code that `ready()` itself runs counts: statements in its body (also inside `if`, `try`,
  `with` and loops), and the body of a function of the same file, or a method of the same class,
  that `ready()` calls (one level deep). Code in functions defined inside `ready()`, and signal
  handlers it only connects, does not run there and is not reported. A read wrapped in a
  `try` that catches `OperationalError`, `ProgrammingError` (or a broader `DatabaseError` /
  `Exception`) is not reported: the app starts before `migrate`, which is what the item asks.
  A write in such a `try` still is: the rows it creates belong in a data migration (item 12).
  When the project pins a Django older than 3.2, an `INSTALLED_APPS` entry naming the app
  module (not its AppConfig) uses the AppConfig of `apps.py` only through
  `default_app_config`; without it that `ready()` never runs and is not checked.
- `query-at-import` (DJ101): a query *evaluated* while a module of a local app is imported:
  at module level, in class bodies (models, forms, serializers, admin classes), in decorators
  and default argument values. Evaluating means `list()`, `tuple()`, `set()`, `dict()`,
  `len()`, `bool()`, `sorted()` (and similar) of a queryset, a comprehension or a module-level
  `for` loop over `X.objects...`, `.get()`, `.first()`, `.last()`, `.count()`, `.exists()`,
  `.aggregate()`, `.latest()`, `.earliest()`, `.in_bulk()`, `.create()` and the like,
  indexing (`[0]`), a truth test or `in`, and `connection.cursor()`. A lazy queryset, such
  as `queryset=X.objects.all()` on a `ModelChoiceField` or a class attribute, is not evaluated
  and is not reported, nor is anything inside a function or lambda body, nor a read inside a
  `try` that catches `OperationalError` / `ProgrammingError`.

Modules under `migrations/` and `tests/`, `tests.py`, `test_*.py` and `conftest.py` are not
scanned: they are not imported when the app starts. Files are first filtered by the text
`.objects`, `_default_manager` or `cursor(`, and by indentation (a module that mentions them
only inside function bodies, such as most views, is not parsed, whether a signature fits on
one line or goes on over several). A module the filter sends to the parser and that does not
parse is reported by DJ900, not here.

## Why it matters
Django imports every app's models (and usually its forms, admin and URL modules) and runs every
`ready()` in *every* process: `migrate` itself, `collectstatic` during the image build (often
with no database at all), health checks, workers. A query there runs before `migrate` has
created the tables on a new database, so the very command that would create them crashes with
"relation does not exist" or "no such table"; without a reachable database even
`collectstatic` fails. A queryset evaluated at import time also freezes its result for the
life of the process: `choices` computed from the database never show rows added later.

## Example
```diff
 class ProductFilterForm(forms.Form):
-    category = forms.ChoiceField(choices=[(c.pk, c.name) for c in Category.objects.all()])
+    category = forms.ModelChoiceField(queryset=Category.objects.all())
```

## Fix safety
No automatic fix: moving a query out of `ready()` or out of import time changes when it runs.
Use a lazy queryset (`ModelChoiceField(queryset=...)`, a callable `choices`), compute the value
in the view or method that needs it, and create initial rows in a data migration (item 12).

## Options
None.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator
from typing import Any

from fixer import rule_codes
from fixer.analysis.startup_code import (
    Hit,
    ReadyMethod,
    app_python_files,
    creates_data,
    evaluates_query,
    is_query_in_ready,
    ready_methods,
    scan_body,
    snippet,
    walk_code,
)
from fixer.checks import rule
from fixer.findings import Finding, Severity
from fixer.project import ProjectModel
from fixer.sources import PyFile

ITEM = 10
TITLE = "Starts before the schema exists"

QUERY_IN_READY = rule(
    __name__,
    rule_codes.QUERY_IN_READY,
    "query-in-ready",
    ITEM,
    Severity.ERROR,
    "AppConfig.ready() queries the database, which fails before `migrate` has run.",
)
QUERY_AT_IMPORT = rule(
    __name__,
    rule_codes.QUERY_AT_IMPORT,
    "query-at-import",
    ITEM,
    Severity.ERROR,
    "A module of a local app evaluates a query when it is imported.",
)
RULES = [QUERY_IN_READY, QUERY_AT_IMPORT]
OPTIONS: dict[str, Any] = {}


def applies(project: ProjectModel) -> bool:
    return bool(project.apps)


def _ready_message(ready: ReadyMethod, hit: Hit, what: str) -> str:
    where = f"{ready.cls.name}.ready()"
    line = getattr(hit.node, "lineno", 1)
    if hit.via_name:
        runs = f"{where} calls {hit.via_name}(), which runs `{snippet(hit.node)}` (line {line})"
    else:
        runs = f"{where} runs `{snippet(hit.node)}`"
    hidden = (
        ": the except clause hides the error, but the query still runs in every process, "
        "before `migrate` has created the tables on a new database"
        if hit.guarded
        else " in every process (migrate and collectstatic included), before `migrate` has "
        "created the tables on a new database"
    )
    return f"{runs}{hidden}; {what}"


def _writes(node: ast.AST) -> bool:
    return any(creates_data(sub) for sub in ast.walk(node))


def _queries_in_ready(project: ProjectModel) -> Iterator[Finding]:
    for ready in ready_methods(project):
        tree = ready.file.tree
        if tree is None:
            continue
        for hit in scan_body(ready.func, tree, ready.cls, is_query_in_ready):
            if hit.guarded and not _writes(hit.node):
                # a read guarded against the missing table (OperationalError /
                # ProgrammingError) lets the app start before migrate: what the item asks
                continue
            yield Finding(
                QUERY_IN_READY,
                _ready_message(
                    ready,
                    hit,
                    "move it out of ready() into the view, task or management command that "
                    "needs it (initial rows belong in a data migration)",
                ),
                ready.file.rel,
                hit.line,
                getattr(hit.via or hit.node, "col_offset", 0) + 1,
            )


def _import_time_message(node: ast.AST, guarded: bool) -> str:
    text = snippet(node.iter if isinstance(node, (ast.For, ast.AsyncFor)) else node)
    verb = "iterates over" if isinstance(node, (ast.For, ast.AsyncFor)) else "evaluates"
    hidden = " (the except clause hides the error, but the query still runs)" if guarded else ""
    return (
        f"`{text}` {verb} a query when the module is imported, which happens in every process "
        f"before `migrate` has created the tables on a new database{hidden}, and freezes the "
        "result for the life of the process: make it lazy (a queryset, a callable `choices`, "
        "or compute it in the function that needs it)"
    )


#: how a query is written: through a manager, or a cursor (the text and the pattern)
_NEEDLES = (".objects", "_default_manager", "cursor(")
_NEEDLE = re.compile(r"\.objects|_default_manager|cursor\(")
_DEF_HEADER = re.compile(r"(async\s+)?def\s+\w+\s*\(.*\)\s*(->.*)?:\s*(#.*)?$")
#: the first line of a `def` whose parameters go on over the next lines (black's style)
_DEF_OPENS = re.compile(r"(async\s+)?def\s+\w+\s*\(")
#: the line that closes such a signature, at the `def`'s own indentation: `):` or `) -> T:`
_SIGNATURE_CLOSES = re.compile(r"\)\s*(->[^#]*)?:\s*(#.*)?$")


def _may_run_at_import(text: str) -> bool:
    """Cheap text test before parsing: False only when every line that mentions a manager or a
    cursor sits inside the body of a function, judged by indentation (one pass, keeping the
    stack of enclosing block headers). Views are the bulk of the files holding `.objects`, and
    they need no parsing. A signature over several lines counts as a function header once its
    closing `):` line (at the `def`'s indentation) ends it; its parameter lines are outside the
    body (their defaults run at import). Continuation lines and strings can only pop headers
    early, which errs on the side of parsing."""
    headers: list[tuple[int, bool]] = []  # (indentation, is a function header)
    in_function = 0  # how many of `headers` are function headers
    signature: int | None = None  # the indentation of a `def` whose signature is still open
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped[0] == "#":
            continue
        depth = len(line) - len(line.lstrip(" \t"))
        while headers and headers[-1][0] >= depth:
            in_function -= headers.pop()[1]
        if not in_function and _NEEDLE.search(line):
            return True
        if signature is not None and depth <= signature:
            closes = depth == signature and _SIGNATURE_CLOSES.match(stripped)
            signature = None
            if closes:
                headers.append((depth, True))
                in_function += 1
                continue
        # both patterns start with `def` or `async`: most lines need neither
        maybe_def = stripped.startswith(("def", "async"))
        if stripped[-1] == ":" or (maybe_def and _DEF_HEADER.match(stripped)):
            is_def = maybe_def and bool(_DEF_HEADER.match(stripped))
            headers.append((depth, is_def))
            in_function += is_def
        elif maybe_def and _DEF_OPENS.match(stripped) and stripped.count("(") > stripped.count(")"):
            signature = depth
    return False


def _queries_at_import(project: ProjectModel) -> Iterator[Finding]:
    for path in app_python_files(project):
        f = project.cache.python(path)
        # one scan per file content in a run: the check after the fixes reuses it
        for line, column, message in f.memo("item10:import-time", lambda f=f: _import_hits(f)):
            yield Finding(QUERY_AT_IMPORT, message, f.rel, line, column)


def _import_hits(f: PyFile) -> list[tuple[int, int, str]]:
    """(line, column, message) of each query a module evaluates when it is imported."""
    text = f.text
    if not text or not any(needle in text for needle in _NEEDLES):
        return []
    if not _may_run_at_import(text):
        return []
    parsed_here = not f.has_tree
    tree = f.tree
    if tree is None:
        return []  # reported as unparsable by the general check
    hits: list[tuple[int, int, str]] = []
    reported: set[int] = set()
    # a query is written with a manager or a cursor (the needles): only the top-level
    # statements whose lines hold one are walked, not every class body of a large module
    lines = [n for n, line in enumerate(text.split("\n"), 1) if _NEEDLE.search(line)]
    statements = [stmt for stmt in tree.body if _holds_a_line(stmt, lines)]
    for node, guarded in walk_code(statements, import_time=True):
        if not evaluates_query(node) or guarded:
            # a read guarded against the missing table lets the module import before
            # migrate, with an empty value and a warning: what the item asks
            continue
        line = getattr(node, "lineno", 1)
        if line in reported:
            continue
        reported.add(line)
        hits.append((line, getattr(node, "col_offset", 0) + 1, _import_time_message(node, guarded)))
    if parsed_here:
        f.release()  # nothing holds its nodes: a large repository's trees are not kept
    return hits


def _holds_a_line(stmt: ast.stmt, lines: list[int]) -> bool:
    """True when one of the sorted `lines` falls within the statement (decorators included)."""
    start = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
    end = getattr(stmt, "end_lineno", None) or stmt.lineno
    index = bisect.bisect_left(lines, start)
    return index < len(lines) and lines[index] <= end


def check(project: ProjectModel, options: dict[str, Any]) -> Iterator[Finding]:
    yield from _queries_in_ready(project)
    yield from _queries_at_import(project)
