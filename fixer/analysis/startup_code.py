"""The startup-code scanner: which modules of the local apps run when the app starts, and which
of their statements touch the database there (in `AppConfig.ready()`, and at import).

Items 10 and 12 detect with it, their plans and the ready()/import codemods rewrite with it.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fixer.project import App, ProjectModel
from fixer.sources import PyFile

#: attributes that hold a model manager
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
#: folders of an app whose modules are not imported when the app starts (or are not Python)
_SKIP_DIRS = frozenset(
    {
        "migrations",
        "tests",
        "test",
        "__pycache__",
        "node_modules",
        "static",
        "templates",
        "locale",
        "fixtures",
    }
)
_MAX_FILES = 5000
_MAX_DEPTH = 8
#: exceptions that, caught around a query, hide a missing table or database
_DB_ERRORS = frozenset(
    {
        "Exception",
        "BaseException",
        "DatabaseError",
        "OperationalError",
        "ProgrammingError",
        "Error",
        "InterfaceError",
    }
)


def app_python_files(project: ProjectModel) -> list[Path]:
    """The Python modules of the local apps that may be imported when the app starts: every
    .py file below each app folder except tests and migrations; each file once. Walked once per
    run for the same apps: the discoveries of a run share it."""
    folders = tuple(app.path for app in project.apps)
    return list(project.cache.store.remember(("app-python-files", folders), lambda: _walk(folders)))


def _walk(folders: tuple[Path, ...]) -> tuple[Path, ...]:
    out: list[Path] = []
    seen: set[str] = set()
    for folder in folders:
        base_depth = len(folder.parts)
        for dirpath, dirnames, filenames in os.walk(folder):
            depth = len(Path(dirpath).parts) - base_depth
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in _SKIP_DIRS
                and not d.startswith(".")
                and depth < _MAX_DEPTH
                and not os.path.isfile(os.path.join(dirpath, d, "pyvenv.cfg"))
            )
            real_dir = None
            for name in sorted(filenames):
                if not name.endswith(".py") or _is_test_module(name):
                    continue
                path = os.path.join(dirpath, name)
                # the real path of the file, found for the folder once: a file that is itself
                # a link (the rare case) resolves on its own
                if os.path.islink(path):
                    key = os.path.realpath(path)
                else:
                    real_dir = real_dir or os.path.realpath(dirpath)
                    key = os.path.join(real_dir, name)
                if key in seen:
                    continue
                seen.add(key)
                out.append(Path(dirpath) / name)
                if len(out) >= _MAX_FILES:
                    return tuple(out)
    return tuple(out)


def _is_test_module(name: str) -> bool:
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name in ("tests.py", "test.py", "conftest.py")
    )


def chain(node: ast.AST) -> Iterator[ast.AST]:
    """The receiver chain of an expression: `a.b().c[0].d` yields d, c[0], c, b(), b, a."""
    current: ast.AST | None = node
    for _ in range(64):  # bounded: chains are short, a hostile file must not loop us
        if current is None:
            return
        yield current
        if isinstance(current, ast.Attribute):
            current = current.value
        elif isinstance(current, ast.Call):
            current = current.func
        elif isinstance(current, ast.Subscript):
            current = current.value
        else:
            return


def uses_manager(node: ast.AST) -> bool:
    """True when the expression goes through a model manager (`X.objects...`)."""
    return any(isinstance(n, ast.Attribute) and n.attr in MANAGERS for n in chain(node))


def call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def snippet(node: ast.AST, limit: int = 70) -> str:
    try:
        text = " ".join(ast.unparse(node).split())
    except Exception:  # unparse of a strange tree must not stop a check
        return "a query"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _catches_db_errors(node: ast.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for t in types:
            name = t.attr if isinstance(t, ast.Attribute) else getattr(t, "id", "")
            if name in _DB_ERRORS:
                return True
    return False


def walk_expr(node: ast.AST, guarded: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Every node of an expression evaluated when the expression is, not entering lambda
    bodies (they run later)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current, guarded
        if isinstance(current, ast.Lambda):
            stack.extend(d for d in (*current.args.defaults, *current.args.kw_defaults) if d)
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(current))))


def walk_code(
    stmts: Iterable[ast.stmt], *, import_time: bool, guarded: bool = False
) -> Iterator[tuple[ast.AST, bool]]:
    """(node, guarded) for every statement and expression node that runs when `stmts` run,
    without entering function bodies. With `import_time`, class bodies run too (as they do
    when a module is imported), and so do decorators and default argument values; otherwise
    nested functions and classes are skipped whole. `guarded` tells whether a `try` around
    the node catches database errors."""
    for stmt in stmts:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if import_time:
                args = stmt.args
                for expr in (*stmt.decorator_list, *args.defaults, *args.kw_defaults):
                    if expr is not None:
                        yield from walk_expr(expr, guarded)
            continue
        if isinstance(stmt, ast.ClassDef):
            if import_time:
                for expr in (*stmt.decorator_list, *stmt.bases, *stmt.keywords):
                    yield from walk_expr(expr, guarded)
                yield from walk_code(stmt.body, import_time=True, guarded=guarded)
            continue
        yield stmt, guarded
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            inner = guarded or _catches_db_errors(stmt)  # type: ignore[arg-type]
            yield from walk_code(stmt.body, import_time=import_time, guarded=inner)
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                yield from walk_code(handler.body, import_time=import_time, guarded=guarded)
            yield from walk_code(stmt.orelse, import_time=import_time, guarded=guarded)  # type: ignore[attr-defined]
            yield from walk_code(stmt.finalbody, import_time=import_time, guarded=guarded)  # type: ignore[attr-defined]
            continue
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                yield from walk_code([child], import_time=import_time, guarded=guarded)
            elif isinstance(child, ast.match_case):
                yield from walk_code(child.body, import_time=import_time, guarded=guarded)
                if child.guard is not None:
                    yield from walk_expr(child.guard, guarded)
            elif isinstance(child, ast.withitem):
                yield from walk_expr(child.context_expr, guarded)
            elif isinstance(child, ast.expr):
                yield from walk_expr(child, guarded)


@dataclass
class ReadyMethod:
    app: App
    file: PyFile
    cls: ast.ClassDef
    func: ast.FunctionDef | ast.AsyncFunctionDef


def _is_app_config(cls: ast.ClassDef) -> bool:
    for base in cls.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name.endswith("AppConfig"):
            return True
    return False


def _pinned_below_3_2(project: ProjectModel) -> bool:
    """True when the project's Django is known to be older than 3.2: locked, or pinned with
    `==`. A lower bound alone (`>=2.2`) may install a newer release."""
    version = project.django_version
    if version is None or version >= (3, 2):
        return False
    source = project.django_version_source or ""
    if source.endswith(".lock"):
        return True
    requirement = project.packages.get("django")
    return requirement is not None and requirement.spec.strip().startswith("==")


def _ready_runs(project: ProjectModel, app: App) -> bool:
    """Before Django 3.2, an INSTALLED_APPS entry naming the module (not the config class) uses
    the AppConfig of apps.py only through `default_app_config` in the app's __init__.py."""
    if app.entry != app.name or not _pinned_below_3_2(project):
        return True
    init = project.cache.python(app.path / "__init__.py")
    return bool(init.text and "default_app_config" in init.text)


def ready_methods(project: ProjectModel) -> list[ReadyMethod]:
    """The ready() of the AppConfig each local app uses (every AppConfig of its apps.py when
    djfix cannot tell which one)."""
    out: list[ReadyMethod] = []
    for app in project.apps:
        if not _ready_runs(project, app):
            continue
        path: Path | None = None
        wanted: str | None = None
        if app.config_class:
            module, _, wanted = app.config_class.rpartition(".")
            path = project.module_path(module)
        if path is None and app.apps_file:
            path, wanted = project.root / app.apps_file, None
        if path is None:
            continue
        f = project.cache.python(path)
        if f.tree is None or "ready" not in (f.text or ""):
            continue
        classes = [c for c in f.tree.body if isinstance(c, ast.ClassDef) and _is_app_config(c)]
        chosen = [c for c in classes if c.name == wanted] or classes
        for cls in chosen:
            for stmt in cls.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    stmt.name == "ready"
                ):
                    out.append(ReadyMethod(app, f, cls, stmt))
    return out


def module_functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def called_helper(
    call: ast.Call,
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
    cls: ast.ClassDef | None,
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function of the same file (or method of the same class, through `self.`) that a
    call runs, if any."""
    func = call.func
    if isinstance(func, ast.Name):
        return functions.get(func.id)
    if (
        cls is not None
        and isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in ("self", "cls")
    ):
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == func.attr:
                return stmt
    return None


@dataclass
class Hit:
    """A node found in code that runs at some moment, possibly through a helper call."""

    node: ast.AST
    guarded: bool
    via: ast.Call | None = None  # the call in the scanned body that led to `node`
    via_name: str | None = None

    @property
    def line(self) -> int:
        return getattr(self.via or self.node, "lineno", 1)


def scan_body(
    func: ast.FunctionDef | ast.AsyncFunctionDef,
    tree: ast.Module,
    cls: ast.ClassDef | None,
    matches,
) -> list[Hit]:
    """Nodes for which `matches(node)` is true in the code `func` runs: its own body and, one
    level deep, the bodies of the same-file functions and same-class methods it calls."""
    functions = module_functions(tree)
    hits: list[Hit] = []
    for node, guarded in walk_code(func.body, import_time=False):
        if matches(node):
            hits.append(Hit(node, guarded))
        if isinstance(node, ast.Call):
            helper = called_helper(node, functions, cls)
            if helper is None or helper is func:
                continue
            for inner, inner_guarded in walk_code(helper.body, import_time=False):
                if matches(inner):
                    hits.append(Hit(inner, guarded or inner_guarded, node, helper.name))
    return _outermost(hits)


def _outermost(hits: list[Hit]) -> list[Hit]:
    """One hit per source position: `X.objects.filter().count()` holds two matching calls
    that start at the same place; keep the whole expression."""
    best: dict[tuple[int, int, int], Hit] = {}
    for hit in hits:
        node = hit.node
        key = (hit.line, getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        old = best.get(key)
        if old is None or getattr(node, "end_col_offset", 0) > getattr(
            old.node, "end_col_offset", 0
        ):
            best[key] = hit
    return sorted(best.values(), key=lambda h: (h.line, getattr(h.node, "col_offset", 0)))


# -- database access in ready() ----------------------------------------------------------------


def _is_connection(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("connection", "db_connection")
    if isinstance(node, ast.Attribute):
        return node.attr == "connection"
    if isinstance(node, ast.Subscript):
        return _is_connections(node.value)
    return False


def _is_connections(node: ast.AST) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name == "connections"


def is_cursor_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "cursor"
        and _is_connection(node.func.value)
    )


def _receiver_is_cache(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    text = snippet(func.value, 200).lower()
    return "cache" in text or "session" in text or "storage" in text


def is_query_in_ready(node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript) and _is_connections(node.value):
        return True
    if not isinstance(node, ast.Call):
        return False
    name = call_name(node)
    if name in ("MigrationExecutor", "call_command") or is_cursor_call(node):
        return True
    if uses_manager(node.func):
        return True
    return (
        name in ("save", "delete")
        and isinstance(node.func, ast.Attribute)
        and not (_receiver_is_cache(node))
    )


# -- queries evaluated at import ---------------------------------------------------------------

#: builtins that evaluate a queryset given as their first argument
_EVALUATING_BUILTINS = frozenset(
    {
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "len",
        "bool",
        "sorted",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "enumerate",
        "next",
        "iter",
    }
)
#: queryset methods that run a query at once
_EVALUATING_METHODS = frozenset(
    {
        "get",
        "first",
        "last",
        "count",
        "exists",
        "aggregate",
        "latest",
        "earliest",
        "in_bulk",
        "contains",
        "explain",
        "iterator",
        "create",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "update",
        "delete",
    }
)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp)


def _is_queryset(node: ast.AST | None) -> bool:
    return isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)) and uses_manager(node)


def _iterates_queryset(comp: ast.AST) -> bool:
    return any(_is_queryset(g.iter) for g in getattr(comp, "generators", []))


def evaluates_query(node: ast.AST) -> bool:
    """True when evaluating `node` (at import time) runs a database query."""
    if isinstance(node, ast.Call):
        if is_cursor_call(node):
            return True
        name = call_name(node)
        if isinstance(node.func, ast.Name) and name in _EVALUATING_BUILTINS and node.args:
            first = node.args[0]
            if _is_queryset(first):
                return True
            if isinstance(first, ast.GeneratorExp) and _iterates_queryset(first):
                return True
        if (
            isinstance(node.func, ast.Attribute)
            and name in _EVALUATING_METHODS
            and uses_manager(node.func.value)
        ):
            return True
        # a generator handed to any call (e.g. `choices=tuple(...)`, `OrderedDict(...)`) is
        # consumed by it
        return any(
            isinstance(a, ast.GeneratorExp) and _iterates_queryset(a)
            for a in (*node.args, *(k.value for k in node.keywords))
        )
    if isinstance(node, _COMPREHENSIONS):
        return _iterates_queryset(node)
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return _is_queryset(node.iter)
    if isinstance(node, ast.Subscript):
        return _is_queryset(node.value) and not isinstance(node.slice, ast.Slice)
    if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
        return _is_queryset(node.test)
    if isinstance(node, ast.BoolOp):
        return any(_is_queryset(v) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _is_queryset(node.operand)
    if isinstance(node, ast.Compare):
        return any(
            isinstance(op, (ast.In, ast.NotIn)) and _is_queryset(c)
            for op, c in zip(node.ops, node.comparators, strict=False)
        )
    if isinstance(node, ast.Starred):
        return _is_queryset(node.value)
    return False


_CREATING = frozenset({"create", "get_or_create", "update_or_create", "bulk_create", "save"})


def creates_data(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = call_name(node)
    if name in _CREATING and isinstance(node.func, ast.Attribute):
        if name == "save":
            receiver = snippet(node.func.value, 200).lower()
            return not any(w in receiver for w in ("cache", "session", "storage"))
        return True
    if name == "call_command" and node.args:
        first = node.args[0]
        return isinstance(first, ast.Constant) and first.value == "loaddata"
    return False
